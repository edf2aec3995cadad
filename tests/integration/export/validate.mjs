// tests/integration/export/validate.mjs FILE.yaml...: every document parsed by npm's `yaml` and
// validated as a batch/v1 CronJob by npm's `kubernetes-models` (the API's JSON schema). Prints
// one line per CronJob: file, name, schedule, timeZone, tock/source (tab-separated). With RUN_DIR set,
// each container's command is also run here, with its env (and RUN_DIR), to check its stdin.
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';

let bad = 0;
for (const file of process.argv.slice(2))
for (const d of parseAllDocuments(readFileSync(file, 'utf8'))) {
  if (d.errors.length) { console.error(`YAML error: ${d.errors[0].message}`); bad++; continue; }
  const obj = d.toJS();
  try { new CronJob(obj).validate(); }
  catch (e) { console.error(`invalid CronJob ${obj?.metadata?.name}: ${e.message}`); bad++; continue; }
  const s = obj.spec;
  console.log([file, obj.metadata.name, s.schedule, s.timeZone ?? '', obj.metadata.annotations['tock/source']].join('\t'));
  if (process.env.RUN_DIR) {
    const c = s.jobTemplate.spec.template.spec.containers[0];
    const env = { RUN_DIR: process.env.RUN_DIR };
    for (const e of c.env ?? []) env[e.name] = e.value;
    execFileSync(c.command[0], c.command.slice(1), { env, stdio: ['ignore', 'inherit', 'inherit'] });
  }
}
process.exit(bad ? 1 : 0);
