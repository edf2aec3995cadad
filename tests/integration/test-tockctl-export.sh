#!/usr/bin/env bash
# tockctl export, checked by the targets' own tools:
#   - every CronJob parses with npm's `yaml` and validates against the Kubernetes API schema with
#     npm's `kubernetes-models` (batch/v1 CronJob validate()); its command, run here by sh, gets
#     cron's '%' input byte for byte;
#   - every unit passes `systemd-analyze verify` (Debian's systemd);
#   - for every entry, the next 50 fire times of its OnCalendar= lines (systemd-analyze calendar
#     --iterations=50, under faketime at the same start) and of its CronJob schedule + timeZone
#     (npm's croner) are `tockctl next`'s, except on the daylight-saving nights the export named;
#     for systemd the named nights are exactly those that differ (croner follows cron's own DST
#     rule, not the robfig/cron one Kubernetes uses, so there only "differs => named" is checked);
#     faketime stops the clock at the start (-f), so that systemd-analyze's "now" is the start;
#   - bad input: an unknown --to, a refused table, --strict, colliding names.
#   - the CronJobs' fire times are also those of robfig/cron v3.0.1, the library Kubernetes'
#     CronJob controller computes them with (Debian's golang-github-robfig-cron-dev, called as the
#     controller calls it, by export/robfig.go), except on the nights named, and exactly those;
# npm packages go to ${TOCK_TOOLS:-build/tools}/npm once (pinned versions), then are reused; the
# Go helper is built once into ${TOCK_TOOLS:-build/tools}/robfig-next.
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CTL=${TOCKCTL:-build/tockctl}
case $CTL in /*) ;; *) CTL=$ROOT/$CTL ;; esac
HERE=$ROOT/tests/integration/export
NPM_DIR=${TOCK_TOOLS:-$ROOT/build/tools}/npm
export TZ=UTC

skip_all() { echo "SKIP - tockctl export: $*"; exit 77; }
[ -x "$CTL" ] || skip_all "no tockctl at $CTL (run make)"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        [ "$(id -u)" = 0 ] || skip_all "node and npm are not installed (apt-get install nodejs npm)"
        apt-get install -y -q nodejs npm >/dev/null 2>&1 || skip_all "apt-get install nodejs npm failed"
fi
for t in systemd-analyze faketime; do
        command -v $t >/dev/null || skip_all "$t is not installed (apt-get install systemd faketime)"
done
# robfig/cron: Go and the library from Debian (installed as root when missing), built once
TOOLS=${TOCK_TOOLS:-$ROOT/build/tools}
ROBFIG=$TOOLS/robfig-next
if [ ! -d /usr/share/gocode/src/github.com/robfig/cron ] || ! command -v go >/dev/null; then
        [ "$(id -u)" = 0 ] || skip_all "Go and robfig/cron are not installed (apt-get install golang-go golang-github-robfig-cron-dev)"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q golang-go golang-github-robfig-cron-dev >"$T_TMP/apt.log" 2>&1 ||
                skip_all "apt-get install golang-go golang-github-robfig-cron-dev failed: $(tail -3 "$T_TMP/apt.log")"
fi
if [ ! -x "$ROBFIG" ] || [ "$HERE/robfig.go" -nt "$ROBFIG" ]; then
        mkdir -p "$TOOLS"
        GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE=$TOOLS/go-cache go build -o "$ROBFIG" "$HERE/robfig.go" >"$T_TMP/go.log" 2>&1 ||
                { fail "building export/robfig.go: $(cat "$T_TMP/go.log")"; finish; exit; }
fi
PKGS="kubernetes-models@4.5.1 croner@11.0.1 yaml@2.9.1"
if ! (cd "$NPM_DIR" 2>/dev/null && node -e 'for (const p of ["kubernetes-models","croner","yaml"]) require.resolve(p + "/package.json")') 2>/dev/null; then
        mkdir -p "$NPM_DIR"
        npm install --no-audit --no-fund --silent --prefix "$NPM_DIR" $PKGS >"$T_TMP/npm.log" 2>&1 ||
                skip_all "npm install $PKGS failed: $(tail -3 "$T_TMP/npm.log")"
fi
cp "$HERE"/*.mjs "$NPM_DIR/" # node resolves the packages from the script's directory
validate() { node "$NPM_DIR/validate.mjs" "$@"; }
compare() { node "$NPM_DIR/compare.mjs" "$@"; }

# the nights a daylight-saving warning of FILE names, comma-separated
warned_nights() { sed -n 's/.*daylight saving: .* years from [0-9-]*: \([0-9, -]*\) (cron.*/\1/p' "$1" | tr -d ' '; }

# ---- every syntax element, one entry a table (so that next --file lists that entry alone)
CASES=(
        "America/New_York|30 2 * * * fixed-0230"
        "America/New_York|30 1 * * * fixed-0130"
        "America/New_York|*/20 1 * * * wild-1am"
        "America/New_York|*/15 9-17 * jan-mar,oct mon-fri echo hi%in1%in2"
        "America/New_York|0 12 1-31 * 5 or-with-a-full-field"
        "Europe/Berlin|0 0 1,15 * fri or-rule"
        "Europe/Berlin|0 0 */2 * fri and-rule"
        "Europe/Berlin|0 0 */2 * * odd-days"
        "Europe/Berlin|30 2 * * * berlin-0230"
        "Europe/Berlin|[name:Nightly_Backup timeout:2h catchup overlap:skip jitter:5m] 5 4 * * sun backup"
        "Australia/Lord_Howe|15,45 1,2 * * * lord-howe"
        "Europe/London|0 9 * feb-nov/3 1-5 quarterly-weekdays"
        "Asia/Tokyo|@weekly weekly"
        "UTC|@hourly hourly"
        "UTC|1~5 3 * * * random"
        "America/New_York|[sec:*/20] */5 * * * * seconds"
)
BASES="2027-03-13T00:00 2027-09-28T00:00 2027-11-06T00:00"
# first every export and systemd-analyze run, then one node for the CronJobs and one for the times
: >"$T_TMP/jobs"
k8s_files=()
for i in "${!CASES[@]}"; do
        zone=${CASES[$i]%%|*} line=${CASES[$i]#*|}
        tbl=$T_TMP/case$i.cron
        printf 'GREETING="hello world"\nMAILTO=""\nCRON_TZ=%s\n%s\n' "$zone" "$line" >"$tbl"
        for base in $BASES; do
                c=$T_TMP/c$i-$base
                "$CTL" next --file "$tbl" --from "$base" --count 50 >"$c.expected" 2>"$T_TMP/next.err" || fail "next $line: $(cat "$T_TMP/next.err")"
                # -- Kubernetes
                expect_rc 0 "$CTL" export --to kubernetes --from "$base" "$tbl"
                cp "$T_TMP/out" "$c.yaml"
                if [ -s "$c.yaml" ]; then
                        k8s_files+=("$c.yaml")
                        printf '%s\t%s\t%s\t%s\t%s\n' "$c.yaml" "$zone" "${base}:00Z" "$c.expected" "$(warned_nights "$T_TMP/err")" >>"$T_TMP/k8s-jobs"
                else
                        grep -qF "not exported" "$T_TMP/err" && ok || fail "'$line' not exported to Kubernetes, and no message says so: $(cat "$T_TMP/err")"
                fi
                # -- systemd: its OnCalendar= lines, computed below in one systemd-analyze run per start
                expect_rc 0 "$CTL" export --to systemd --from "$base" "$tbl"
                sed -n 's/^OnCalendar=//p' "$T_TMP/out" >"$c.specs"
                sed "s|^|$c\t|" "$c.specs" >>"$T_TMP/specs-$base"
                printf 'systemd %s from %s (%s)\t%s\t%s\t%s\t%s\ttimes\t%s\texact\n' "$(tr '\n' ';' <"$c.specs")" \
                        "$base" "$line" "$zone" "${base}:00Z" "$c.expected" "$(warned_nights "$T_TMP/err")" "$c.times" >>"$T_TMP/jobs"
        done
        expect_rc 0 "$CTL" export --to systemd -o "$T_TMP/units" "$tbl"
done
if (cd "$T_TMP/units" && systemd-analyze verify ./*.timer ./*.service) >"$T_TMP/verify" 2>&1; then ok; else fail "systemd-analyze verify: $(cat "$T_TMP/verify")"; fi
[ "$(ls "$T_TMP/units" | wc -l)" = $((2 * ${#CASES[@]})) ] && ok || fail "units written: $(ls "$T_TMP/units")"
# systemd-analyze calendar prints one block a spec, in order, each from "Normalized form:"
for base in $BASES; do
        cut -f2 "$T_TMP/specs-$base" | tr '\n' '\0' | xargs -0 faketime -f "${base/T/ }:00" systemd-analyze calendar --iterations=50 >"$T_TMP/sa" 2>&1 ||
                fail "systemd-analyze calendar from $base: $(grep -v elapse "$T_TMP/sa" | head -5)"
        cut -f1 "$T_TMP/specs-$base" >"$T_TMP/owners"
        awk -v owners="$T_TMP/owners" '
                /Normalized form:/ { getline out <owners; out = out ".times" }
                /Next elapse:|Iter\. #/ { print $(NF-2) " " $(NF-1) >>out }' "$T_TMP/sa"
        [ "$(grep -c 'Normalized form:' "$T_TMP/sa")" = "$(wc -l <"$T_TMP/owners")" ] && ok || fail "systemd-analyze from $base: $(wc -l <"$T_TMP/owners") specs, $(grep -c 'Normalized form:' "$T_TMP/sa") answers"
done
if validate "${k8s_files[@]}" >"$T_TMP/cj" 2>"$T_TMP/cj.err"; then ok; else fail "CronJobs invalid: $(cat "$T_TMP/cj.err")"; fi
[ "$(wc -l <"$T_TMP/cj")" = "${#k8s_files[@]}" ] && ok || fail "${#k8s_files[@]} files, $(wc -l <"$T_TMP/cj") CronJobs validated"
# the croner comparisons, with the schedule and zone the validated CronJob has
while IFS=$'\t' read -r file zone from expected warned; do
        IFS=$'\t' read -r _ _ sched tz _ < <(grep -F "$file" "$T_TMP/cj")
        [ "$tz" = "$zone" ] && ok || fail "$file: timeZone '$tz', wanted $zone"
        printf 'CronJob %s (%s) from %s, croner\t%s\t%s\t%s\t%s\tcron\t%s\n' "$sched" "$zone" "$from" "$zone" "$from" "$expected" "$warned" "$sched" >>"$T_TMP/jobs"
        printf '%s\t%s\t%s\t%s\t50\n' "$file.robfig" "$zone" "$sched" "$from" >>"$T_TMP/robfig-requests"
        printf 'CronJob %s (%s) from %s, robfig/cron\t%s\t%s\t%s\t%s\ttimes\t%s\texact\n' "$sched" "$zone" "$from" "$zone" "$from" "$expected" "$warned" "$file.robfig" >>"$T_TMP/jobs"
done <"$T_TMP/k8s-jobs"
"$ROBFIG" <"$T_TMP/robfig-requests" >"$T_TMP/robfig.err" 2>&1 && ok || fail "robfig/cron: $(cat "$T_TMP/robfig.err")"
if compare "$T_TMP/jobs" >"$T_TMP/cmp" 2>&1; then ok; else fail "fire times: $(grep -v 'instants compared' "$T_TMP/cmp")"; fi
echo "compared $(wc -l <"$T_TMP/jobs") schedules (${#k8s_files[@]} CronJobs) with tockctl next; $(grep -c 'differing nights: [0-9]' "$T_TMP/cmp") had named DST nights that differ"

# the DST nights named are the real ones: a 2:30 job in New York over 5 years
printf 'CRON_TZ=America/New_York\n30 2 * * * x\n*/20 1 * * * y\n' >"$T_TMP/dst.cron"
expect_rc 0 "$CTL" export --to systemd --from 2027-01-01T00:00 "$T_TMP/dst.cron"
expect_grep err "dst.cron:2:1: warning: daylight saving: systemd runs this job at other times than cron on 5 nights in America/New_York in the 5 years from 2026-12-31: 2027-03-14, 2028-03-12, 2029-03-11, 2030-03-10, 2031-03-09"
expect_grep err "dst.cron:3:1: warning: daylight saving: systemd runs this job at other times than cron on 5 nights in America/New_York in the 5 years from 2026-12-31: 2027-11-07, 2028-11-05"
expect_rc 0 "$CTL" export --to kubernetes --from 2027-01-01T00:00 "$T_TMP/dst.cron"
expect_grep err "dst.cron:2:1: warning: daylight saving: Kubernetes runs this job at other times than cron on 5 nights"
expect_no_grep err "dst.cron:3:1: warning: daylight saving"

# ---- one table with everything: valid CronJobs, names, options, environment, MAILTO, user
cat >"$T_TMP/all.cron" <<'T'
GREETING="hello world"
MAILTO=ops@example.com
[name:Nightly_Backup timeout:2h overlap:skip] 30 3 * * * root /usr/bin/backup --all "$HOME" 50\% done
[overlap:queue jitter:10m catchup] @daily nobody tidy
@reboot root boot-thing
T
expect_rc 0 "$CTL" export --to kubernetes --system --namespace batch --prefix Host-1 --image busybox:1.36 "$T_TMP/all.cron"
cp "$T_TMP/out" "$T_TMP/all.yaml"
if validate "$T_TMP/all.yaml" >"$T_TMP/cj" 2>"$T_TMP/cj.err"; then ok; else fail "all.yaml invalid: $(cat "$T_TMP/cj.err")"; fi
expect_grep out "name: host-1-nightly-backup"
expect_grep out "name: host-1-line-4"
expect_grep out "namespace: \"batch\""
expect_grep out "image: \"busybox:1.36\""
expect_grep out "activeDeadlineSeconds: 7200"
expect_grep out "concurrencyPolicy: Forbid"
expect_grep out '- "/usr/bin/backup --all \"$HOME\" 50% done"'
expect_grep out 'value: "hello world"'
expect_grep err "all.cron:3:1: warning: the job runs as 'root' here; a CronJob runs as its image's user"
expect_grep err "all.cron:3:1: warning: MAILTO=ops@example.com: cron mails the job's output"
expect_grep err "all.cron:4:1: warning: overlap:queue: a CronJob cannot queue"
expect_grep err "all.cron:4:1: warning: jitter: a CronJob has no random delay"
expect_grep err "all.cron:5:1: warning: @reboot has no meaning for a CronJob: not exported"
expect_grep err "2 of 3 entries exported to Kubernetes"
[ "$(grep -c '^kind: CronJob' "$T_TMP/all.yaml")" = 2 ] && ok || fail "wanted 2 CronJobs: $(cat "$T_TMP/all.yaml")"
# catchup: no startingDeadlineSeconds (a missed time runs late, once); without it, 60 s
[ "$(grep -c 'startingDeadlineSeconds: 60' "$T_TMP/all.yaml")" = 1 ] && ok || fail "startingDeadlineSeconds: $(grep -n starting "$T_TMP/all.yaml")"

rm -rf "$T_TMP/u"
expect_rc 0 "$CTL" export --to systemd --system -o "$T_TMP/u" "$T_TMP/all.cron"
for f in nightly-backup.service nightly-backup.timer line-4.service line-4.timer line-5.service line-5.timer; do
        [ -f "$T_TMP/u/all-$f" ] && ok || fail "no all-$f in $(ls "$T_TMP/u")"
done
if (cd "$T_TMP/u" && systemd-analyze verify ./*.timer ./*.service) >"$T_TMP/verify" 2>&1; then ok; else fail "systemd-analyze verify all.cron: $(cat "$T_TMP/verify")"; fi
expect_grep_file() { grep -qF -- "$2" "$1" && ok || fail "$1 lacks '$2': $(cat "$1")"; }
expect_grep_file "$T_TMP/u/all-nightly-backup.service" 'ExecStart="/bin/sh" -c "/usr/bin/backup --all \"$$HOME\" 50%% done"'
expect_grep_file "$T_TMP/u/all-nightly-backup.service" "User=root"
expect_grep_file "$T_TMP/u/all-nightly-backup.service" "RuntimeMaxSec=7200"
expect_grep_file "$T_TMP/u/all-nightly-backup.service" 'Environment="GREETING=hello world"'
expect_grep_file "$T_TMP/u/all-line-4.timer" "RandomizedDelaySec=600"
expect_grep_file "$T_TMP/u/all-line-4.timer" "Persistent=true"
expect_grep_file "$T_TMP/u/all-line-5.timer" "OnBootSec=0"
expect_grep err "all.cron:4:1: warning: overlap:queue: a timer does not queue"

# ---- the '%' input reaches the command byte for byte (cron adds no newline)
cat >"$T_TMP/in.cron" <<'T'
0 0 * * * cat > "$RUN_DIR/a"%line one%line two\%%
0 0 * * * cat > "$RUN_DIR/b"%abc
0 0 * * * cat > "$RUN_DIR/c"%TOCK_INPUT%x
T
mkdir -p "$T_TMP/run"
expect_rc 0 "$CTL" export --to kubernetes "$T_TMP/in.cron"
cp "$T_TMP/out" "$T_TMP/in.yaml"
if RUN_DIR=$T_TMP/run validate "$T_TMP/in.yaml" >/dev/null 2>"$T_TMP/cj.err"; then ok; else fail "running the CronJobs' commands: $(cat "$T_TMP/cj.err")"; fi
[ "$(od -c <"$T_TMP/run/a")" = "$(printf 'line one\nline two%%\n' | od -c)" ] && ok || fail "k8s input a: $(od -c <"$T_TMP/run/a")"
[ "$(od -c <"$T_TMP/run/b")" = "$(printf 'abc' | od -c)" ] && ok || fail "k8s input b: $(od -c <"$T_TMP/run/b")"
[ "$(od -c <"$T_TMP/run/c")" = "$(printf 'TOCK_INPUT\nx' | od -c)" ] && ok || fail "k8s input c: $(od -c <"$T_TMP/run/c")"
rm -rf "$T_TMP/u"
expect_rc 0 "$CTL" export --to systemd -o "$T_TMP/u" "$T_TMP/in.cron"
[ "$(sed -n 's/^StandardInputData=//p' "$T_TMP/u/in-line-1.service" | base64 -d | od -c)" = "$(printf 'line one\nline two%%\n' | od -c)" ] && ok || fail "systemd input a"
[ "$(sed -n 's/^StandardInputData=//p' "$T_TMP/u/in-line-2.service" | base64 -d | od -c)" = "$(printf 'abc' | od -c)" ] && ok || fail "systemd input b"

# ---- bad input
expect_rc 2 "$CTL" export --to nomad "$T_TMP/in.cron"
expect_grep err "unknown target 'nomad'"
expect_rc 2 "$CTL" export "$T_TMP/in.cron"
expect_rc 2 "$CTL" export --to systemd
printf '0 0 * * * ok\n61 * * * * bad\n' >"$T_TMP/bad.cron"
expect_rc 1 "$CTL" export --to kubernetes "$T_TMP/bad.cron"
expect_grep err "bad.cron:2:1: error: minute 61 is out of range 0-59"
expect_grep err "nothing was exported"
[ -s "$T_TMP/out" ] && fail "a refused table wrote: $(cat "$T_TMP/out")" || ok
expect_rc 3 "$CTL" export --to systemd "$T_TMP/missing.cron"
# --strict: what cannot move is an error, and nothing is written
rm -rf "$T_TMP/s"
expect_rc 1 "$CTL" export --to kubernetes --strict -o "$T_TMP/s" "$T_TMP/dst.cron"
expect_grep err "dst.cron:2:1: error: daylight saving: Kubernetes runs this job"
[ -e "$T_TMP/s" ] && fail "--strict with errors wrote $(ls "$T_TMP/s")" || ok
printf 'CRON_TZ=UTC\n[overlap:skip] 0 4 * * * fine\n' >"$T_TMP/clean.cron"
expect_rc 0 "$CTL" export --to systemd --strict "$T_TMP/clean.cron"
expect_grep out "OnCalendar=*-*-* 04:00:00 UTC"
# the zone of entries without CRON_TZ: --tz, else the local zone, which must have a name
printf '0 12 * * * noon\n' >"$T_TMP/local.cron"
TZ='XST5XDT,M3.2.0,M11.1.0' expect_rc 0 "$CTL" export --to kubernetes "$T_TMP/local.cron"
expect_grep err "local.cron:1:1: warning: the local time zone has no name here"
expect_no_grep out "timeZone"
TZ='XST5XDT,M3.2.0,M11.1.0' expect_rc 0 "$CTL" export --to kubernetes --tz Asia/Kolkata "$T_TMP/local.cron"
expect_grep out 'timeZone: "Asia/Kolkata"'
TZ=Europe/Paris expect_rc 0 "$CTL" export --to systemd "$T_TMP/local.cron"
expect_grep out "OnCalendar=*-*-* 12:00:00 Europe/Paris"
expect_rc 3 "$CTL" export --to systemd --tz Mars/Olympus "$T_TMP/local.cron"
# bytes that are not UTF-8 cannot go into YAML or a unit file: said, and left out
printf '0 0 * * * echo \377\n0 1 * * * echo h\303\251\n' >"$T_TMP/u8.cron"
expect_rc 0 "$CTL" export --to kubernetes "$T_TMP/u8.cron"
expect_grep err "u8.cron:1:1: warning: the command, its input or its environment is not UTF-8"
expect_grep err "1 of 2 entries exported to Kubernetes"
expect_grep out "echo h"$'\303\251'
# names that collide once made DNS-safe
printf '[name:Backup_Job] 0 1 * * * a\n[name:backup.job] 0 2 * * * b\n' >"$T_TMP/names.cron"
expect_rc 1 "$CTL" export --to kubernetes "$T_TMP/names.cron"
expect_grep err "names.cron:2: error: the name 'names-backup-job' is also line 1's"
[ -s "$T_TMP/out" ] && fail "colliding names wrote: $(cat "$T_TMP/out")" || ok
finish
