#!/usr/bin/env bash
# Catch-up ([catchup] and jobs.catchup), under libfaketime: a fire time that passes while tockd
# is stopped is run once at the next start, never twice, and not for jobs without catch-up; a
# fire time slept through (tockd stopped by SIGSTOP while its clock runs 1000 times faster, as a
# suspended machine sees it) is run once on waking; the state file forgets jobs that are gone.
. "$(dirname "$0")/lib.sh"
TOCKD=${TOCKD:-build/tockd}
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
export TZ=UTC
case $TOCKD in /*) ;; *) TOCKD=$PWD/$TOCKD ;; esac
if ! command -v faketime >/dev/null; then
        echo "SKIP: faketime is not installed"
        finish
        exit
fi
T=$T_TMP
chmod 755 "$T"
ME=$(id -un)
HOME_DIR=$(getent passwd "$(id -u)" | cut -d: -f6)
if [ ! -d "$HOME_DIR" ]; then
        echo "SKIP: tockd runs $ME's jobs in $ME's home '$HOME_DIR', which does not exist"
        finish
        exit
fi
wrap=
cleanup() {
        local p
        p=$(tockd_pid)
        [ -n "$p" ] && { kill -CONT "$p"; kill -TERM "$p"; } 2>/dev/null
        [ -n "$wrap" ] && { sleep 0.3; kill -KILL "$wrap"; } 2>/dev/null
        rm -rf "$T"
}
trap cleanup EXIT
wait_for() { # SECONDS CMD...
        local end=$((SECONDS + $1)); shift
        while [ $SECONDS -lt $end ]; do "$@" && return 0; sleep 0.1; done
        return 1
}
lines() { if [ -e "$1" ]; then wc -l <"$1"; else echo 0; fi; }
has_lines() { [ "$(lines "$1")" -ge "$2" ]; }

D=
# the running tockd's own pid, from its log (faketime forks it)
tockd_pid() { [ -n "$D" ] && grep -o -m1 'tockd\[[0-9]*\]' "$D/log" 2>/dev/null | tr -dc 0-9; }
# start 'FAKE START' [faketime speed] [tockd args...]: tockd on $D's tables, waits for ready
start() {
        local at=$1 speed=$2
        shift 2
        : >"$D/log"
        faketime -f "@$at$speed" "$TOCKD" --foreground --set jobs.pam_service= --crontab '' --cron-d "$D/cron.d" \
                --spool '' --socket '' --state-dir "$D/state" --log-target stderr --log-level debug \
                --set paths.boot_id="$D/boot_id" "$@" </dev/null >/dev/null 2>"$D/log" &
        wrap=$!
        wait_for 15 grep -q " info: ready: " "$D/log" || fail "tockd did not start: $(tail -5 "$D/log")"
}
stop() {
        local p
        p=$(tockd_pid)
        [ -n "$p" ] && kill -TERM "$p"
        wait "$wrap"
        local rc=$?
        [ "$rc" = 0 ] && ok || fail "tockd exited $rc: $(tail -5 "$D/log")"
        grep -qE 'Sanitizer|runtime error:' "$D/log" && fail "sanitizer report: $(grep -A10 -E 'Sanitizer|runtime error:' "$D/log" | head -20)"
        wrap=
}
prepare() {
        D=$T/$1
        mkdir -p "$D/cron.d" "$D/state"
        echo "boot-$1" >"$D/boot_id"
}

# ---- a stop spanning fire times
prepare stop
printf '%s\n' "[catchup] 0 1 * * * $ME echo caught >> $T/stop.c" "0 1 * * * $ME echo plain >> $T/stop.p" >"$D/cron.d/t"
start '2026-03-01 00:50:00' ''
[ "$(lines "$D/state/catchup")" = 1 ] && ok || fail "the catch-up job is not in the state file: $(cat "$D/state/catchup" 2>&1)"
stop
[ ! -e "$T/stop.c" ] && ok || fail "a first start caught up a run it never missed"
# stopped over 01:00: the next start runs the catch-up job once, and only it
start '2026-03-01 05:00:00' ''
wait_for 10 has_lines "$T/stop.c" 1 && ok || fail "the run missed while stopped was not caught up: $(tail -5 "$D/log")"
grep -q "catching up: its run at $(date -u -d '2026-03-01 01:00:00' +%s) was missed while tockd was not running" "$D/log" &&
        ok || fail "the log does not say which run is caught up: $(grep -i catch "$D/log")"
sleep 1
stop
[ "$(lines "$T/stop.c")" = 1 ] && ok || fail "caught up $(lines "$T/stop.c") times, not once"
[ ! -e "$T/stop.p" ] && ok || fail "a job without catch-up was caught up"
# started again with nothing missed since: nothing runs
start '2026-03-01 05:10:00' ''
sleep 1
stop
[ "$(lines "$T/stop.c")" = 1 ] && ok || fail "caught up again with nothing missed"
# two fire times missed (Mar 2 and Mar 3, 01:00): one run, not two
start '2026-03-03 05:00:00' ''
wait_for 10 has_lines "$T/stop.c" 2 && ok || fail "two missed runs were not caught up: $(tail -5 "$D/log")"
sleep 1
stop
[ "$(lines "$T/stop.c")" = 2 ] && ok || fail "two missed fire times ran $(($(lines "$T/stop.c") - 1)) times, not once"

# ---- jobs.catchup = yes: every job catches up but those marked [catchup:no]
prepare cfg
printf '%s\n' "0 1 * * * $ME echo default >> $T/cfg.d" "[catchup:no] 0 1 * * * $ME echo no >> $T/cfg.n" \
        "@reboot $ME echo reboot >> $T/cfg.r" >"$D/cron.d/t"
start '2026-03-01 00:50:00' '' --set jobs.catchup=yes
stop
start '2026-03-01 05:00:00' '' --set jobs.catchup=yes
wait_for 10 has_lines "$T/cfg.d" 1 && ok || fail "jobs.catchup=yes did not catch up a plain job: $(tail -5 "$D/log")"
sleep 1
stop
[ ! -e "$T/cfg.n" ] && ok || fail "a [catchup:no] job was caught up under jobs.catchup=yes"
[ "$(lines "$T/cfg.r")" = 1 ] && ok || fail "@reboot ran $(lines "$T/cfg.r") times (once per boot id)"

# ---- the state forgets jobs that are gone
prepare prune
printf '%s\n' "[catchup] 0 1 * * * $ME echo a" "[catchup] 0 2 * * * $ME echo b" "[catchup] 0 3 * * * $ME echo c" >"$D/cron.d/t"
start '2026-03-01 00:50:00' ''
[ "$(lines "$D/state/catchup")" = 3 ] && ok || fail "3 catch-up jobs, state: $(cat "$D/state/catchup")"
printf '%s\n' "[catchup] 0 1 * * * $ME echo a" >"$D/cron.d/t.new" && mv "$D/cron.d/t.new" "$D/cron.d/t"
wait_for 10 eval '[ "$(lines "$D/state/catchup")" = 1 ]' && ok ||
        fail "the state still holds removed jobs: $(cat "$D/state/catchup")"
printf '%s\n' "[catchup] 0 1 * * * $ME echo a" "[catchup] 0 4 * * * $ME echo d" >"$D/cron.d/t.new" && mv "$D/cron.d/t.new" "$D/cron.d/t"
wait_for 10 eval '[ "$(lines "$D/state/catchup")" = 2 ]' && ok ||
        fail "a job added while tockd runs is not in the state: $(cat "$D/state/catchup")"
stop
# the one added at run time counts from when it was added: stopped over 04:00, it is caught up
start '2026-03-01 06:00:00' ''
wait_for 10 grep -q "cron.d/t:2 .*catching up" "$D/log" && ok || fail "a job added at run time was not caught up: $(tail -5 "$D/log")"
stop

# ---- what is written when: a daily job's fire time at once (killed just after it, tockd must not
# run it again), a per-second job's at most once a minute, and everything at a stop
prepare crash
printf '%s\n' "[catchup] 0 1 * * * $ME echo daily >> $T/crash.d" "[catchup sec:*/1] * * * * * $ME true" >"$D/cron.d/t"
start '2026-03-01 00:59:57' ''
wait_for 10 has_lines "$T/crash.d" 1 && ok || fail "the daily job did not run at 01:00: $(tail -3 "$D/log")"
ino=$(stat -c %i "$D/state/catchup")
sleep 3
[ "$(stat -c %i "$D/state/catchup")" = "$ino" ] && ok || fail "the state file was rewritten within 3 s of per-second runs"
p=$(tockd_pid)
kill -KILL "$p"
wait "$wrap"
wrap=
start '2026-03-01 01:00:30' ''
sleep 1
[ "$(lines "$T/crash.d")" = 1 ] && ok || fail "after a crash just after its run, the daily job ran again: $(grep -i catch "$D/log")"
secs=$(date -u -d '2026-03-01 01:00:30' +%s)
stop
# the stop wrote the per-second job's last fire time: one of the two lines is that recent
awk -v s="$secs" '$2 >= s { n++ } END { exit !n }' "$D/state/catchup" && ok ||
        fail "tockd's stop did not write the per-second job's last fire time: $(cat "$D/state/catchup")"

# ---- a fire time slept through: SIGSTOP while the (fake) clock runs 1000 times faster
prepare sleep
printf '%s\n' "[catchup] 0 1 * * * $ME echo caught >> $T/sleep.c" "0 1 * * * $ME echo plain >> $T/sleep.p" >"$D/cron.d/t"
start '2026-03-01 00:00:00' ' x1000'
p=$(tockd_pid)
kill -STOP "$p"
# 01:00 is 3.6 s away; 15 s stopped is past 04:00, more than cron's 3 hours of small jumps
sleep 15
kill -CONT "$p"
wait_for 10 has_lines "$T/sleep.c" 1 && ok || fail "the run slept through was not caught up: $(tail -5 "$D/log")"
grep -q "cron.d/t:2 .*missed its run of .* ago (the machine slept or stalled); not caught up" "$D/log" && ok ||
        fail "the plain job's missed run is not logged as not caught up: $(tail -5 "$D/log")"
sleep 0.5
stop
[ "$(lines "$T/sleep.c")" = 1 ] && ok || fail "the slept-through run ran $(lines "$T/sleep.c") times, not once"
[ ! -e "$T/sleep.p" ] && ok || fail "a plain job ran after a sleep of more than 3 hours (cron does not)"

finish
