#!/usr/bin/env bash
# tockd notices a set clock at once (TFD_TIMER_CANCEL_ON_SET) and keeps its schedule. The clock is
# set to what it already is, so the machine's time does not move; the rules for real jumps
# (sched_after_jump) are driven through the core with a simulated clock in the unit tests.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tockd-lib.sh"
export TZ=UTC

td_require_tockd "tockd clock"
$IS_ROOT || td_skip_all "tockd clock" "setting the clock needs root"
command -v cc >/dev/null || td_skip_all "tockd clock" "no C compiler to build settime-now.c"
if ! cc -o "$T/settime-now" "$(dirname "$0")/settime-now.c" 2>"$T/cc.err"; then
        flunk "settime-now.c builds" "$(cat "$T/cc.err")"
        finish
        exit
fi
"$T/settime-now" 2>"$T/settime.err" || td_skip_all "tockd clock" "clock_settime is not allowed here: $(cat "$T/settime.err")"
td_require_home "tockd clock"

D=$T/clock
td_prepare clock
echo "[sec:*/1] * * * * * $ME echo x >> $T/clock.out" | put "$D/cron.d/a"
td_start clock || { finish; exit; }
if wait_until 20 nonempty "$T/clock.out"; then pass "the per-second job runs"
else flunk "the per-second job runs" "$(log_tail clock 5)"; fi
m=$(log_mark clock)
"$T/settime-now"
if wait_log_since 10 clock "$m" "clock set without a change"; then pass "tockd notices the clock being set"
else flunk "tockd notices the clock being set" "$(log_tail clock 5)"; fi
n=$(nlines "$T/clock.out")
if wait_until 10 eval '[ "$(nlines "$T/clock.out")" -gt "$n" ]'; then pass "jobs go on after the clock was set"
else flunk "jobs go on after the clock was set" "$(log_tail clock 5)"; fi
td_stop_ok clock
finish
