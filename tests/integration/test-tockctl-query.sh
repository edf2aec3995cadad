#!/usr/bin/env bash
# tockctl status, next, why, run and metrics against a running tockd: status lists every job with
# its next run and, once it ran, how its last run ended; run (by LINE, TABLE:LINE and name) runs a
# job as its owner with its output on tockctl's own stdout/stderr/stdin and exits with the job's
# status; why says why a job failed, and when its table was refused or its user does not exist;
# metrics is valid Prometheus text (promtool check metrics; as root promtool is fetched once from
# Debian's prometheus package into build/tools/, never installed); --json output parses.
# As root the jobs belong to a test user (removed by the EXIT trap).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tockd-lib.sh"
. "$(dirname "$0")/tockctl-lib.sh"
export TZ=UTC

tc_need_binaries "tockctl queries"
td_require_home "tockctl queries"

W=$ME
if $IS_ROOT && command -v useradd >/dev/null && command -v setpriv >/dev/null; then
        W=tocktest$$q
        tc_user "$W" || { flunk "a test user is created" "useradd failed"; finish; exit; }
        HOME_W=$T/home/$W
else
        skip "jobs of a test user" "not root: the jobs are $ME's own"
        HOME_W=$(getent passwd "$(id -u)" | cut -d: -f6)
fi
Q=$T/query
S=$Q/spool/$W
td_prepare query
if $IS_ROOT; then
        put "$Q/cron.d/ghost" <<EOF
[name:ghost] * * * * * nosuchuser$$ true
EOF
fi
tc_start query || { finish; exit; }
tc_install_works query

mkdir -p "$T/tt"
chmod 755 "$T/tt"
cat >"$T/tt/main" <<EOF
[sec:*/1 name:tick] * * * * * echo tick-out; id -un >> $T/shared/tick.ran
[sec:*/1 name:flaky] * * * * * echo fail-out; echo fail-err >&2; exit 7
[name:manual] 0 0 1 1 * echo "manual \$(id -un) \$PWD"; echo to-stderr >&2; exit 3
[name:killer] 0 0 1 1 * kill -TERM \$\$
[name:reader] 0 0 1 1 * tr a-z A-Z
EOF
printf 'hello from stdin\n' >"$T/tt/input"
chmod 644 "$T/tt/main" "$T/tt/input"
ctl "$W" install "$T/tt/main"
want "$W installs a table of 5 jobs" 0 out "installed the table of $W: 5 entries"

# ---- status
section "4. status"
wait_until 10 has_lines "$T/shared/tick.ran" 1
ended_with() { ctl "$W" why "$1" && grep -q "$2 after" "$T/out"; }
wait_until 10 ended_with tick "exit 0"
wait_until 10 ended_with flaky "exit 7"
ctl "$W" status
want "status: the daemon line" 0 out "tockd " out " jobs, " out " running"
want "status: a table with a heading" 0 out "JOB" out "NEXT RUN" out "LAST RUN" out "RESULT"
row() { grep -E "^$1 " "$T/out"; }
check "status: the caller's 5 jobs, one row each" test "$(grep -cE "^(tick|flaky|manual|killer|reader) " "$T/out")" = 5
check "status: tick's row has its next run (ISO 8601 with offset) and 'exit 0'" \
        eval 'row tick | grep -qE "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\+00:00 .* exit 0, "'
check "status: flaky's row says 'exit 7'" eval 'row flaky | grep -q "exit 7, "'
check "status: manual's row: next run on 1 January, never ran" eval 'row manual | grep -qE "[0-9]{4}-01-01T00:00:00\+00:00 .* never ran"'
ctl "$W" status --json
want "status --json" 0 out '"name": "flaky"' out '"last_exit_status": 7' out '"last_exit_status": 0'
want_json "status --json is valid JSON"

# ---- next
section "4. next"
ctl "$W" next --count 6
want "next: the upcoming runs" 0 out "tick-out" out "exit 7"
check "next: 6 runs, in time order" eval '[ "$(grep -cE "^[0-9]{4}-" "$T/out")" = 6 ] && grep -oE "^[^ ]+" "$T/out" | sort -c'
ctl "$W" next --count 3 --json
want "next --json" 0
want_json "next --json is valid JSON"

# ---- run
section "4. run"
for spec in 3 "$S:3" manual; do
        ctl "$W" run "$spec"
        want "run $spec: runs the job as $W in its home, exit 3 as the job" 3 out "manual $W $HOME_W" err "started pid "
        [ "$spec" = manual ] || continue
        if grep -qx "to-stderr" "$T/err" && ! grep -q "to-stderr" "$T/out"; then
                pass "run: the job's stderr is tockctl's stderr, its stdout tockctl's stdout"
        elif grep -q "to-stderr" "$T/out"; then
                bug "run: the job's stderr is tockctl's stderr" \
                        "job_spawn() in daemon/spawn.c ignores the third fd of RUN and dup2s the caller's stdout onto the job's stderr too: 'tockctl run JOB 2>/dev/null' still shows the job's stderr"
        else
                flunk "run: the job's stderr is tockctl's stderr" "stdout: $(cat "$T/out") stderr: $(cat "$T/err")"
        fi
done
ctl "$W" run killer
want "run of a job killed by SIGTERM: exit 143 and says so" 143 err "tockctl run: killed by SIGTERM after "
R_IN=$T/tt/input ctl "$W" run reader
want "run: the job reads tockctl's stdin" 0 =out "HELLO FROM STDIN"
ctl "$W" run --json manual
want "run --json: the job's output goes to stderr, the exit status into JSON" 3 out '"exit_status": 3' \
        out '"job": "manual"' !out "manual $W" err "manual $W"
want_json "run --json is valid JSON"
ctl "$W" run nosuch
want "run of no such job: exit 1, says so" 1 err "no job 'nosuch' of $W"
ctl "$W" run 99
want "run of a line with no job: exit 1" 1 err "no job '99' of $W"
ctl "$W" why manual
want "a run by tockctl is not counted as a scheduled run" 0 out "never ran"

# ---- why
section "4. why"
ctl "$W" why tick
want "why of a job that ran: its last run, exit 0, the end of its output" 0 \
        out "job          tick ($S:1)" out "exit 0 after" out "last output (its end):" out "    tick-out"
ctl "$W" why 2
want "why of a job that failed (by LINE): exit 7, failures counted, its output" 0 \
        out "exit 7 after" out "failure" out "fail-out" out "fail-err" !out ", 0 failures)"
ctl "$W" why --json "$S:2"
want "why --json (by TABLE:LINE)" 0 out '"last_exit_status": 7' out '"table_state": "loaded, 5 jobs"'
want_json "why --json is valid JSON"
ctl "$W" why nosuch
want "why of no such job: exit 1, says how to name one" 1 err "no job 'nosuch' of $W (name it LINE, TABLE:LINE or by [name:...])"

# ---- metrics
section "4. metrics"
ctl "$W" metrics
want "metrics: the job families, with labels" 0 out "# TYPE tock_job_runs_total counter" \
        out "tock_job_runs_total{table=\"$S\",line=\"1\",user=\"$W\",name=\"tick\"}" out "tock_job_failures_total{"
cp "$T/out" "$T/metrics.prom"
ctl "" metrics
cp "$T/out" "$T/metrics-all.prom"
ctl "$W" metrics --json
want "metrics --json" 0 out '"metrics": "# HELP'
want_json "metrics --json is valid JSON"

# promtool: on PATH, cached in build/tools, or (root) fetched from Debian's package, not installed
PROMTOOL_CACHE=$TC_ROOT/build/tools/promtool
get_promtool() {
        local dl=$T/apt
        if command -v promtool >/dev/null; then command -v promtool; return 0; fi
        if [ -x "$PROMTOOL_CACHE" ]; then echo "$PROMTOOL_CACHE"; return 0; fi
        $IS_ROOT && command -v apt-get >/dev/null && command -v dpkg >/dev/null || return 1
        mkdir -p "$dl"
        if ! (cd "$dl" && apt-get download prometheus) >"$T/apt.log" 2>&1; then
                apt-get update >>"$T/apt.log" 2>&1
                (cd "$dl" && apt-get download prometheus) >>"$T/apt.log" 2>&1 || return 1
        fi
        dpkg -x "$dl"/prometheus_*.deb "$dl/x" >>"$T/apt.log" 2>&1 && [ -x "$dl/x/usr/bin/promtool" ] || return 1
        mkdir -p "${PROMTOOL_CACHE%/*}"
        cp "$dl/x/usr/bin/promtool" "$PROMTOOL_CACHE.$$" && mv -f "$PROMTOOL_CACHE.$$" "$PROMTOOL_CACHE" || return 1
        rm -rf "$dl"
        echo "$PROMTOOL_CACHE"
}
if PROMTOOL=$(get_promtool); then
        for f in metrics metrics-all; do
                if "$PROMTOOL" check metrics <"$T/$f.prom" >"$T/promtool.out" 2>&1; then
                        pass "promtool check metrics accepts tockctl metrics ($f)"
                else flunk "promtool check metrics accepts tockctl metrics ($f)" "$(head -c 1500 "$T/promtool.out")"; fi
        done
else
        skip "promtool check metrics" "promtool is not installed and could not be fetched$($IS_ROOT || echo " (needs root)")"
fi

# ---- why, when the table is refused
section "4. why: refused tables, unknown users"
# a table refused on disk: the previous version stays in force, and why says so
printf '61 * * * * bad\n' | put "$S" 600 "$W"
wait_log 10 query "$S: refused with errors, keeping the previous version"
ctl "$W" why tick
want "why, table refused on disk after a good one: says the previous version is in force" 0 \
        out "your table on disk was refused: $S:1:1: minute 61 is out of range 0-59; the previous version is in force (5 jobs)"
ctl "$W" status
want "status still lists the jobs of the version in force" 0 out "tick"
# a table refused from the start: no job at all, and why says whose table was refused
ctl "$W" remove
wait_log 10 query "$S: removed"
printf '61 * * * * bad\n' | put "$S" 600 "$W"
wait_until 10 eval '[ "$(log_count query "$S: refused with errors")" -ge 2 ]'
ctl "$W" why 1
want "why, table refused from the start: says the table was refused" 1 \
        err "no job '1' of $W: your table on disk was refused: $S:1:1: minute 61 is out of range 0-59; no version of it is in force"

if $IS_ROOT; then
        ctl "" status
        want "root: status lists the job of a user who does not exist" 0 out "nosuchuser$$"
        ctl "" why ghost
        if [ "$RC" = 0 ]; then
                want "root: why of a job whose user does not exist says so" 0 out "no such user 'nosuchuser$$'"
        elif grep -qF "no job 'ghost' of root" "$T/err"; then
                bug "root: why of a job whose user does not exist says so" \
                        "root cannot why/run a job listed by status that runs as another user (find_job() in daemon/control.c requires the job's user to be the caller's even for root): 'tockctl why ghost' -> \"no job 'ghost' of root\", and -u nosuchuser$$ is refused as no such user"
        else
                want "root: why of a job whose user does not exist says so" 0
        fi
        ctl "" why "$Q/cron.d/ghost:1"
        if [ "$RC" = 0 ]; then pass "root: why by TABLE:LINE as status shows it, of another user's job"
        else bug "root: why by TABLE:LINE as status shows it, of another user's job" "as above: $(head -c 200 "$T/err")"; fi
fi

# ---- status columns: /etc/crontab has tabs between its fields (Debian's does)
section "12. status: tabs and control characters keep the columns straight"
printf '17 *\t* * *\t%s\techo tabbed\001\n' "$W" | put "$Q/crontab" 644
wait_log 10 query "$Q/crontab: loaded, 1 job"
ctl "$W" status
# column_ok TEXT: the row holding TEXT has its NEXT RUN (a time, or "-") where the heading has it,
# and no tab
column_ok() {
        local head line pre
        head=$(grep -m1 '^JOB ' "$T/out") line=$(grep -m1 -F -- "$1" "$T/out") || return 1
        pre=${head%%NEXT RUN*}
        [[ ${line:${#pre}:11} =~ ^([0-9]{4}-[0-9]{2}-[0-9]{2}T|-\ ) ]] && [[ ${line:${#pre}-2:2} == "  " ]] &&
                [[ $line != *$'\t'* ]]
}
want "status: the job from a table with tabs is listed, its schedule with spaces, no tab" 0 out "17 * * * *" !out $'\t'
check "status: its NEXT RUN is under the heading" column_ok "$Q/crontab:1"
if $IS_ROOT; then
        ctl "" status
        check "root: status, the rows of the table with tabs and of cron.d alike under the heading" \
                eval 'column_ok "$Q/crontab:1" && column_ok "ghost "'
fi
if grep -q "^[^ ]*crontab:1 .*17 \* \* \* \*" "$T/out"; then
        pass "status: the row is one line, the schedule's tab a space"
else flunk "status: the row is one line, the schedule's tab a space" "$(cat "$T/out")"; fi
ctl "$W" why "$Q/crontab:1"
want "why: the command's control character is shown as '?'" 0 out "echo tabbed?"

check "tockd is alive, no sanitizer report in its log" tc_alive query
td_stop query
finish
