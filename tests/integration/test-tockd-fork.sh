#!/usr/bin/env bash
# Jobs that cannot start: a missing shell is reported with the step and the reason, and later
# runs go on; fork() failing with EAGAIN (the spawner put in a pids cgroup of a few processes)
# is retried, so a burst larger than the limit still runs whole when runs end soon, and when
# they do not, the runs that find no process are reported, never lost silently, and tockd goes
# on. The cgroup part needs root and a pids controller (v1 or v2); it is removed at exit.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tockd-lib.sh"
export TZ=UTC

td_require_tockd "tockd fork failures"
td_require_home "tockd fork failures"

section "a job whose shell does not exist"
D=$T/shell
td_prepare shell
put "$D/cron.d/t" <<EOF
SHELL=/nonexistent/sh
[sec:*/1] * * * * * $ME echo never
SHELL=/bin/sh
[sec:*/1] * * * * * $ME echo ok >> $T/shell.out
EOF
td_start shell || { finish; exit; }
if wait_log 10 shell "$D/cron.d/t:2 ($ME) failed before running: executing the shell: No such file or directory"; then
        pass "the log says the shell could not be executed"
else flunk "the log says the shell could not be executed" "$(log_tail shell)"; fi
wait_until 10 has_lines "$T/shell.out" 2
check "the other job of the table goes on running" has_lines "$T/shell.out" 2
n=$(log_count shell "t:2 ($ME) failed before running")
wait_until 10 eval '[ "$(log_count shell "t:2 ($ME) failed before running")" -gt "$n" ]'
check "and the failing one is tried again at its next fire time" test "$(log_count shell "t:2 ($ME) failed before running")" -gt "$n"
td_stop shell
check "tockd exits 0" test "${TD_RC[shell]}" = 0

section "fork() failing with EAGAIN"
$IS_ROOT || td_skip_all "fork failures" "needs root to make a pids cgroup"
# a pids cgroup: v1's pids hierarchy, or v2 where the root enables the pids controller
CG=
if [ -w /sys/fs/cgroup/pids/cgroup.procs ] || [ -e /sys/fs/cgroup/pids/tasks ]; then
        CG=/sys/fs/cgroup/pids/tock-test-$$
elif grep -qw pids /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null; then
        CG=/sys/fs/cgroup/tock-test-$$
fi
if [ -z "$CG" ] || ! mkdir "$CG" 2>/dev/null; then
        skip "fork failures" "no pids cgroup controller to limit the spawner's processes with"
        finish
        exit
fi
cg_cleanup() {
        # whatever is left in it goes back to the root before it is removed
        local p
        if [ -e "$CG/cgroup.procs" ]; then
                while read -r p; do echo "$p" >"${CG%/*}/cgroup.procs"; done <"$CG/cgroup.procs" 2>/dev/null
        fi
        rmdir "$CG" 2>/dev/null
}
trap 'cg_cleanup; td_cleanup' EXIT

# the spawner and 2 jobs of one process each (the shell execs sleep: the jobs themselves never fork)
F=$T/fork
td_prepare fork
for i in 1 2 3 4 5 6; do echo "[sec:*/4] * * * * * $ME echo $i >> $T/fork.out; exec sleep 0.3"; done | put "$F/cron.d/t.off"
td_start fork || { finish; exit; }
spawner=$(sed -n 's/.*debug: spawner started, pid \([0-9]*\).*/\1/p' "$F/log" | head -n 1)
if ! { echo 3 >"$CG/pids.max" && [ "$(cat "$CG/pids.max")" = 3 ]; } 2>/dev/null; then
        skip "fork failures" "cannot set pids.max in $CG"
        td_stop fork
        finish
        exit
fi
if ! echo "$spawner" >"$CG/cgroup.procs"; then
        skip "fork failures" "cannot move the spawner ($spawner) into $CG"
        td_stop fork
        finish
        exit
fi
mv "$F/cron.d/t.off" "$F/cron.d/t"
# runs that end within the retries (50 + 100 + 200 ms): all six run, in two or three waves
if wait_until 20 has_lines "$T/fork.out" 6; then
        pass "6 jobs due at once with room for 2: every one runs (fork retried)"
else flunk "6 jobs due at once with room for 2: every one runs (fork retried)" "$(nlines "$T/fork.out") ran; $(log_tail fork)"; fi
if [ "$(sort -u "$T/fork.out" | head -n 6 | wc -l)" = 6 ]; then pass "the 6 that ran are the 6 jobs"; else flunk "the 6 that ran are the 6 jobs" "$(cat "$T/fork.out"; grep -E "started|failed|ended" "$F/log" | tail -n 30)"; fi
if [ -r "$CG/pids.events" ]; then
        check "pids.max did stop forks (the cgroup counted fork failures)" test "$(sed -n 's/^max //p' "$CG/pids.events")" -gt 0
fi
rm -f "$F/cron.d/t"
wait_until 5 eval '! grep -q " started pid " <(tail -n 1 "$F/log")'

# runs that outlast the retries: those that find no process fail, saying why, and tockd goes on
: >"$T/fork.out"
for i in 1 2 3 4 5 6; do echo "[sec:*/6] * * * * * $ME echo $i >> $T/fork.out; exec sleep 3"; done | put "$F/cron.d/t"
if wait_log 15 fork "failed before running: forking: Resource temporarily unavailable"; then
        pass "a run that finds no process is reported: forking: Resource temporarily unavailable"
else flunk "a run that finds no process is reported" "$(log_tail fork)"; fi
rm -f "$F/cron.d/t"
check "the runs that did start ran" has_lines "$T/fork.out" 1
wait_until 10 eval '[ "$(log_count fork "($ME) ended: pid")" -ge "$(log_count fork "($ME) started pid")" ]'
check "and ended normally" test "$(grep -c "cron.d/t:[0-9] ($ME) ended: pid [0-9]*, exit status 0" "$F/log")" -ge 2
check "tockd is alive" alive "${TD_PID[fork]}"
echo max >"$CG/pids.max"
put "$F/cron.d/u" <<EOF
[sec:*/1] * * * * * $ME echo after >> $T/fork.after
EOF
check "with processes again, jobs run again" wait_until 10 has_lines "$T/fork.after" 1
rm -f "$F/cron.d/u"
td_stop fork
check "tockd exits 0" test "${TD_RC[fork]}" = 0
finish
