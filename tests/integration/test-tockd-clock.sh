#!/usr/bin/env bash
# tockd notices a set clock at once (TFD_TIMER_CANCEL_ON_SET) and keeps its schedule. The clock is
# set to what it already is, so the machine's time does not move; the rules for real jumps
# (sched_after_jump) are driven through the core with a simulated clock in the unit tests.
. "$(dirname "$0")/lib.sh"
TOCKD=${TOCKD:-build/tockd}
if [ "$(id -u)" != 0 ]; then
        echo "SKIP: setting the clock needs root"
        finish
        exit
fi
cc -o "$T_TMP/settime-now" "$(dirname "$0")/settime-now.c" || { fail "cannot build settime-now"; finish; exit; }
if ! "$T_TMP/settime-now" 2>"$T_TMP/err"; then
        echo "SKIP: clock_settime is not allowed here: $(cat "$T_TMP/err")"
        finish
        exit
fi
mkdir -p "$T_TMP/cron.d" "$T_TMP/state"
echo clock-test >"$T_TMP/boot_id"
printf '[sec:*/1] * * * * * root echo x >> %s/out\n' "$T_TMP" >"$T_TMP/cron.d/a"
"$TOCKD" --foreground --set jobs.pam_service= --crontab '' --cron-d "$T_TMP/cron.d" --spool '' --socket '' --state-dir "$T_TMP/state" \
        --log-target stderr --log-level debug --set paths.boot_id="$T_TMP/boot_id" 2>"$T_TMP/log" &
pid=$!
trap 'kill -KILL $pid 2>/dev/null; rm -rf "$T_TMP"' EXIT

wait_for() { # PATTERN FILE SECONDS
        local end=$((SECONDS + $3))
        while [ $SECONDS -lt $end ]; do grep -q -- "$1" "$2" 2>/dev/null && return 0; sleep 0.1; done
        return 1
}
wait_for "ready:" "$T_TMP/log" 20 && ok || fail "tockd did not get ready: $(cat "$T_TMP/log")"
wait_for x "$T_TMP/out" 20 && ok || fail "the per-second job did not run"
"$T_TMP/settime-now"
wait_for "clock set without a change" "$T_TMP/log" 10 && ok || fail "tockd did not notice the clock being set: $(tail -5 "$T_TMP/log")"
n=$(wc -l <"$T_TMP/out")
end=$((SECONDS + 10))
while [ "$(wc -l <"$T_TMP/out")" -le "$n" ] && [ $SECONDS -lt $end ]; do sleep 0.1; done
[ "$(wc -l <"$T_TMP/out")" -gt "$n" ] && ok || fail "jobs stopped after the clock was set"
kill -TERM $pid
wait $pid && ok || fail "tockd did not exit cleanly"
finish
