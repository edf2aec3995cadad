#!/usr/bin/env bash
# Catch-up ([catchup] and jobs.catchup), under libfaketime: a fire time that passes while tockd
# is stopped is run once at the next start, never twice, and not for jobs without catch-up; a
# fire time slept through (tockd stopped by SIGSTOP while its clock runs 3000 times faster, as a
# suspended machine sees it) is run once on waking; the state file forgets jobs that are gone.
#
# tockd decides what to catch up before it logs "ready:" (catchup_startup in daemon/main.c), so a
# start's catch-up runs are known from its log once td_start returns. That nothing more runs
# later is shown by a later event: the next run of a per-second ticker (cron.d/tick), by when
# every fire time due before it has been dispatched.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tockd-lib.sh"
export TZ=UTC

td_require_tockd "tockd catch-up"
td_require_faketime "tockd catch-up"
td_require_home "tockd catch-up"

# tick NAME: waits for the next start of NAME's ticker (up to 10 s); fails if none comes
tick() {
        local m
        m=$(log_mark "$1")
        wait_log_since 10 "$1" "$m" "$T/$1/cron.d/tick:1 ($ME) started" ||
                { flunk "$1: the ticker runs" "$(log_tail "$1")"; return 1; }
}
ticker() { echo "[catchup:no sec:*/1] * * * * * $ME true" | put "$T/$1/cron.d/tick"; }

# ---- a stop spanning fire times
section "a stop spanning fire times"
D=$T/stop
td_prepare stop
put "$D/cron.d/t" <<EOF
[catchup] 0 1 * * * $ME echo caught >> $T/stop.c
0 1 * * * $ME echo plain >> $T/stop.p
EOF
ticker stop
td_start_faketime stop '@2026-03-01 00:50:00' || { finish; exit; }
if [ "$(nlines "$D/state/catchup")" = 1 ]; then pass "the catch-up job is in the state file"
else flunk "the catch-up job is in the state file" "state: $(cat "$D/state/catchup" 2>&1)"; fi
td_stop_ok stop
if [ ! -e "$T/stop.c" ] && ! log_has stop "catching up"; then pass "a first start catches up no run it never missed"
else flunk "a first start catches up no run it never missed" "$(grep -i catch "$D/log")"; fi
# stopped over 01:00: the next start runs the catch-up job once, and only it
td_start_faketime stop '@2026-03-01 05:00:00' || { finish; exit; }
if wait_until 10 has_lines "$T/stop.c" 1; then pass "the run missed while stopped is caught up"
else flunk "the run missed while stopped is caught up" "$(log_tail stop 5)"; fi
check "the log says which run is caught up" log_has stop \
        "$D/cron.d/t:1 catching up: its run at $(date -u -d '2026-03-01 01:00:00' +%s) was missed while tockd was not running"
wait_log 10 stop "$D/cron.d/t:1 ($ME) ended"
tick stop
td_stop_ok stop
if [ "$(nlines "$T/stop.c")" = 1 ] && [ "$(log_count stop "$D/cron.d/t:1 ($ME) started")" = 1 ]; then
        pass "the missed run is caught up once"
else flunk "the missed run is caught up once" "caught up $(nlines "$T/stop.c") times: $(grep -i catch "$D/log")"; fi
if [ ! -e "$T/stop.p" ] && ! log_has stop "$D/cron.d/t:2 ($ME) started"; then pass "a job without catch-up is not caught up"
else flunk "a job without catch-up is not caught up" "$(log_tail stop 5)"; fi
# started again with nothing missed since: nothing runs
td_start_faketime stop '@2026-03-01 05:10:00' || { finish; exit; }
tick stop
td_stop_ok stop
if [ "$(nlines "$T/stop.c")" = 1 ] && ! log_has stop "catching up" && ! log_has stop "$D/cron.d/t:1 ($ME) started"; then
        pass "nothing is caught up with nothing missed"
else flunk "nothing is caught up with nothing missed" "stop.c has $(nlines "$T/stop.c") lines; $(grep -i catch "$D/log")"; fi
# two fire times missed (Mar 2 and Mar 3, 01:00): one run, not two
td_start_faketime stop '@2026-03-03 05:00:00' || { finish; exit; }
if wait_until 10 has_lines "$T/stop.c" 2; then pass "two missed fire times are caught up"
else flunk "two missed fire times are caught up" "$(log_tail stop 5)"; fi
wait_log 10 stop "$D/cron.d/t:1 ($ME) ended"
tick stop
td_stop_ok stop
if [ "$(nlines "$T/stop.c")" = 2 ] && [ "$(log_count stop "$D/cron.d/t:1 ($ME) started")" = 1 ]; then
        pass "two missed fire times run once, not twice"
else flunk "two missed fire times run once, not twice" "ran $(($(nlines "$T/stop.c") - 1)) times"; fi

# ---- jobs.catchup = yes: every job catches up but those marked [catchup:no]
section "jobs.catchup = yes"
D=$T/cfg
td_prepare cfg
put "$D/cron.d/t" <<EOF
0 1 * * * $ME echo default >> $T/cfg.d
[catchup:no] 0 1 * * * $ME echo no >> $T/cfg.n
@reboot $ME echo reboot >> $T/cfg.r
EOF
ticker cfg
td_start_faketime cfg '@2026-03-01 00:50:00' --set jobs.catchup=yes || { finish; exit; }
wait_log 10 cfg "$D/cron.d/t:3 ($ME) ended" || flunk "@reboot runs at the first start" "$(log_tail cfg 5)"
td_stop_ok cfg
td_start_faketime cfg '@2026-03-01 05:00:00' --set jobs.catchup=yes || { finish; exit; }
if wait_until 10 has_lines "$T/cfg.d" 1; then pass "jobs.catchup=yes catches up a plain job"
else flunk "jobs.catchup=yes catches up a plain job" "$(log_tail cfg 5)"; fi
wait_log 10 cfg "$D/cron.d/t:1 ($ME) ended"
tick cfg
td_stop_ok cfg
if [ ! -e "$T/cfg.n" ] && ! log_has cfg "$D/cron.d/t:2 catching up" && ! log_has cfg "$D/cron.d/t:2 ($ME) started"; then
        pass "a [catchup:no] job is not caught up under jobs.catchup=yes"
else flunk "a [catchup:no] job is not caught up under jobs.catchup=yes" "$(grep -i catch "$D/log")"; fi
if [ "$(nlines "$T/cfg.r")" = 1 ]; then pass "@reboot runs once per boot id"
else flunk "@reboot runs once per boot id" "it ran $(nlines "$T/cfg.r") times"; fi

# ---- the state forgets jobs that are gone
section "the state forgets jobs that are gone"
D=$T/prune
td_prepare prune
put "$D/cron.d/t" <<EOF
[catchup] 0 1 * * * $ME echo a
[catchup] 0 2 * * * $ME echo b
[catchup] 0 3 * * * $ME echo c
EOF
td_start_faketime prune '@2026-03-01 00:50:00' || { finish; exit; }
if [ "$(nlines "$D/state/catchup")" = 3 ]; then pass "3 catch-up jobs are in the state"
else flunk "3 catch-up jobs are in the state" "state: $(cat "$D/state/catchup")"; fi
echo "[catchup] 0 1 * * * $ME echo a" | put "$D/cron.d/t"
if wait_until 10 eval '[ "$(nlines "$D/state/catchup")" = 1 ]'; then pass "the state forgets removed jobs"
else flunk "the state forgets removed jobs" "state: $(cat "$D/state/catchup")"; fi
printf '%s\n' "[catchup] 0 1 * * * $ME echo a" "[catchup] 0 4 * * * $ME echo d" | put "$D/cron.d/t"
if wait_until 10 eval '[ "$(nlines "$D/state/catchup")" = 2 ]'; then pass "a job added while tockd runs is in the state"
else flunk "a job added while tockd runs is in the state" "state: $(cat "$D/state/catchup")"; fi
td_stop_ok prune
# the one added at run time counts from when it was added: stopped over 04:00, it is caught up
td_start_faketime prune '@2026-03-01 06:00:00' || { finish; exit; }
check "a job added at run time is caught up" log_match prune "cron.d/t:2 .*catching up"
td_stop_ok prune

# ---- what is written when: a daily job's fire time at once (killed just after it, tockd must not
# run it again), a per-second job's at most once a minute, and everything at a stop
section "what the state file gets, and when"
D=$T/crash
td_prepare crash
put "$D/cron.d/t" <<EOF
[catchup] 0 1 * * * $ME echo daily >> $T/crash.d
[catchup sec:*/1] * * * * * $ME true
EOF
td_start_faketime crash '@2026-03-01 00:59:57' || { finish; exit; }
if wait_until 10 has_lines "$T/crash.d" 1; then pass "the daily job runs at 01:00"
else flunk "the daily job runs at 01:00" "$(log_tail crash 3)"; fi
ino=$(stat -c %i "$D/state/catchup")
# three more fire times of the per-second job, each one recorded, and the file is still the same
n=$(log_count crash "$D/cron.d/t:2 ($ME) started")
wait_log_count 10 crash "$D/cron.d/t:2 ($ME) started" $((n + 3)) || flunk "the per-second job runs" "$(log_tail crash 3)"
if [ "$(stat -c %i "$D/state/catchup")" = "$ino" ]; then pass "the state file is not rewritten for 3 per-second runs"
else flunk "the state file is not rewritten for 3 per-second runs" "it was"; fi
td_stop crash KILL
td_start_faketime crash '@2026-03-01 01:00:30' || { finish; exit; }
# the per-second job is caught up at this start; its first run on schedule comes after it
wait_log_count 10 crash "$D/cron.d/t:2 ($ME) started" 2 || flunk "the per-second job runs after a restart" "$(log_tail crash 3)"
if [ "$(nlines "$T/crash.d")" = 1 ] && ! log_has crash "$D/cron.d/t:1 ($ME) started"; then
        pass "after a crash just after its run, the daily job does not run again"
else flunk "after a crash just after its run, the daily job does not run again" "$(grep -i catch "$D/log")"; fi
secs=$(date -u -d '2026-03-01 01:00:30' +%s)
td_stop_ok crash
# the stop wrote the per-second job's last fire time: one of the two lines is that recent
if awk -v s="$secs" '$2 >= s { n++ } END { exit !n }' "$D/state/catchup"; then
        pass "tockd's stop writes the per-second job's last fire time"
else flunk "tockd's stop writes the per-second job's last fire time" "state: $(cat "$D/state/catchup")"; fi

# ---- a fire time slept through: SIGSTOP while the (fake) clock runs 3000 times faster
section "a fire time slept through"
D=$T/sleep
td_prepare sleep
put "$D/cron.d/t" <<EOF
[catchup] 0 1 * * * $ME echo caught >> $T/sleep.c
0 1 * * * $ME echo plain >> $T/sleep.p
EOF
# from 20:00, 01:00 is 6 real seconds away: tockd is stopped well before it, loaded machine or not
td_start_faketime sleep '@2026-02-28 20:00:00 x3000' || { finish; exit; }
seen=$(now_us)
td_signal sleep STOP
if log_has sleep "($ME) started"; then
        flunk "tockd is stopped before 01:00" "it was not: the start took too long; $(log_tail sleep 5)"
fi
# The sleep is what is under test: tockd must wake after 04:00, more than cron's 3 hours of small
# jumps past 01:00 (about 7 real seconds)
td_fake_sleep_until sleep "$seen" 3000 '2026-03-01 04:05:00'
td_signal sleep CONT
if wait_until 10 has_lines "$T/sleep.c" 1; then pass "the run slept through is caught up"
else flunk "the run slept through is caught up" "$(log_tail sleep 5)"; fi
if wait_until 10 log_match sleep "cron.d/t:2 .*missed its run of .* ago (the machine slept or stalled); not caught up"; then
        pass "the plain job's missed run is logged as not caught up"
else flunk "the plain job's missed run is logged as not caught up" "$(log_tail sleep 5)"; fi
wait_log 10 sleep "$D/cron.d/t:1 ($ME) ended"
td_stop_ok sleep
if [ "$(nlines "$T/sleep.c")" = 1 ] && [ "$(log_count sleep "$D/cron.d/t:1 ($ME) started")" = 1 ]; then
        pass "the slept-through run runs once"
else flunk "the slept-through run runs once" "it ran $(nlines "$T/sleep.c") times"; fi
if [ ! -e "$T/sleep.p" ] && ! log_has sleep "$D/cron.d/t:2 ($ME) started"; then
        pass "a plain job does not run after a sleep of more than 3 hours (cron does not)"
else flunk "a plain job does not run after a sleep of more than 3 hours (cron does not)" "$(log_tail sleep 5)"; fi

finish
