// tests/integration/export/compare.mjs: fire times of a target against tockctl next's.
//   node compare.mjs JOBS   one comparison a line, tab-separated:
//   LABEL TZ FROM EXPECTED WARNED MODE ARG [exact]
// EXPECTED: tockctl next's lines (ISO 8601 first). MODE "cron": croner (npm) computes the times
// from the CronJob schedule ARG in TZ; MODE "times": ARG is a file of the target's instants, one a
// line (systemd-analyze's "YYYY-MM-DD HH:MM:SS" in UTC). WARNED: the nights (YYYY-MM-DD,
// comma-separated) the export named. Every instant that differs must fall on a warned night (its
// local date in TZ); with "exact", every warned night inside the compared span must differ too.
// Prints one line a comparison; exits 1 when any failed.
import { readFileSync } from 'node:fs';
import { Cron } from 'croner';

function compare(label, tz, from, expectedFile, warnedArg, mode, arg, exact) {
  const expected = readFileSync(expectedFile, 'utf8').split('\n').filter(Boolean).map(l => Date.parse(l.split(/\s+/)[0]));
  const n = expected.length;
  let actual = [];
  if (mode === 'cron') {
    // legacyMode: cron's OR of two restricted day fields (robfig/cron's, Kubernetes' parser, too)
    const c = new Cron(arg, { timezone: tz, legacyMode: true, paused: true });
    let d = new Date(from);
    for (let i = 0; i < n; i++) { d = c.nextRun(d); if (!d) break; actual.push(d.getTime()); }
  } else {
    actual = [...new Set(readFileSync(arg, 'utf8').split('\n').filter(Boolean).map(l => Date.parse(l.replace(' ', 'T') + 'Z')))]
      .sort((a, b) => a - b).slice(0, n);
  }
  const day = t => new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(t));
  const warned = new Set(warnedArg ? warnedArg.split(',') : []);
  // compare the instants both lists reach
  const end = Math.min(expected[n - 1], actual[actual.length - 1] ?? -Infinity);
  const a = new Set(actual.filter(t => t <= end)), e = new Set(expected.filter(t => t <= end));
  const diffNights = new Set();
  for (const t of a) if (!e.has(t)) diffNights.add(day(t));
  for (const t of e) if (!a.has(t)) diffNights.add(day(t));
  let bad = 0;
  for (const d of diffNights) if (!warned.has(d)) { console.error(`${label}: differs on ${d}, which the export did not name`); bad++; }
  if (exact) {
    const lo = day(Math.min(expected[0], actual[0])), hi = day(end);
    for (const d of warned) if (d >= lo && d <= hi && !diffNights.has(d)) { console.error(`${label}: the export named ${d}, where nothing differs`); bad++; }
  }
  if (n < 2 || actual.length < 2) { console.error(`${label}: too few times: ${n} expected, ${actual.length} from the target`); bad++; }
  console.log(`${label}: ${a.size} instants compared, differing nights: ${[...diffNights].join(',') || 'none'}`);
  return bad;
}

let failed = 0;
for (const line of readFileSync(process.argv[2], 'utf8').split('\n').filter(Boolean))
  failed += compare(...line.split('\t')) ? 1 : 0;
process.exit(failed ? 1 : 0);
