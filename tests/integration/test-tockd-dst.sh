#!/usr/bin/env bash
# tockd across daylight-saving changes, under libfaketime (time ten times faster), in
# America/New_York: on the spring-forward night a job of 02:30 runs once at 03:00 EDT; in the
# repeated hour of the fall-back night a fixed-time job does not run again while a wildcard job
# does (cron(8)). Each start time is read from tockd's log, which is in its (fake) local time.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tockd-lib.sh"
export TZ=UTC

td_require_tockd "tockd DST"
td_require_faketime "tockd DST"
td_require_home "tockd DST"
[ -e /usr/share/zoneinfo/America/New_York ] || td_skip_all "tockd DST" "tzdata has no America/New_York"

# started_at NAME LINE: the (fake) local time at which tockd started line LINE of its table t,
# "YYYY-MM-DDTHH:MM:SS"
started_at() { grep -m1 "$T/$1/cron.d/t:$2 ($ME) started" "$T/$1/log" | cut -c1-19; }
# on_time AT WANT: AT is WANT or up to 3 fake seconds (0.3 real ones at x10) later, the same day:
# the log's time is when the job had started, which a loaded machine delays
on_time() {
        local a=${1#*T} w=${2#*T}
        [ "${1%T*}" = "${2%T*}" ] || return 1
        local d=$(( (10#${a:0:2} * 3600 + 10#${a:3:2} * 60 + 10#${a:6:2}) - (10#${w:0:2} * 3600 + 10#${w:3:2} * 60 + 10#${w:6:2}) ))
        [ "$d" -ge 0 ] && [ "$d" -le 3 ]
}

# ---- spring forward: 2026-03-08 02:00 EST becomes 03:00 EDT; tockd's own zone is New York
section "spring forward"
td_prepare spring
cp /usr/share/zoneinfo/America/New_York "$T/spring/localtime"
put "$T/spring/cron.d/t" <<EOF
30 2 * * * $ME true
1 3 * * * $ME true
EOF
TD_PREFIX=(env TZ=America/New_York)
td_start_faketime spring '@2026-03-08 01:59:30 x10'
started=$?
TD_PREFIX=()
if [ "$started" = 0 ]; then
        if wait_log 20 spring "$T/spring/cron.d/t:1 ($ME) started"; then
                at=$(started_at spring 1)
                if on_time "$at" 2026-03-08T03:00:00; then pass "the 02:30 job runs at the change (03:00:00 EDT)"
                else flunk "the 02:30 job runs at the change (03:00:00 EDT)" "it ran at $at"; fi
        else
                flunk "the 02:30 job runs on the spring-forward night" "$(log_tail spring 5)"
        fi
        if wait_log 30 spring "$T/spring/cron.d/t:2 ($ME) started"; then
                at=$(started_at spring 2)
                if on_time "$at" 2026-03-08T03:01:00; then pass "the 03:01 job runs at 03:01"
                else flunk "the 03:01 job runs at 03:01" "it ran at $at"; fi
        else
                flunk "the 03:01 job runs" "$(log_tail spring 5)"
        fi
        # a later fire time has come (03:01): the 02:30 job ran once in all
        if [ "$(log_count spring "$T/spring/cron.d/t:1 ($ME) started")" = 1 ]; then pass "the 02:30 job runs once"
        else flunk "the 02:30 job runs once" "it ran $(log_count spring "$T/spring/cron.d/t:1 ($ME) started") times"; fi
        td_stop_ok spring
fi

# ---- fall back: 2026-11-01 02:00 EDT becomes 01:00 EST (06:00 UTC). tockd starts in the second
# pass of the repeated hour (01:29:40 EST, 06:29:40 UTC; the table's CRON_TZ carries the zone and
# tockd's own zone is UTC, so faketime's start and the log are in UTC): the fixed 01:30 job ran
# in the first pass and must not run again; the wildcard job follows the clock and runs at 01:30
# EST, 06:30 UTC. A ticker (every 5 fake seconds) shows when every run due at 06:30 has started:
# the spawner answers in the order runs were asked for, so once a tick of a later round (the
# second one after the wildcard job's start: the first may be 06:30's own) has started, so has
# every run of 06:30.
section "fall back"
td_prepare fall
put "$T/fall/cron.d/t" <<EOF
CRON_TZ=America/New_York
30 1 * * * $ME true
30 * * * * $ME true
EOF
echo "[sec:*/5] * * * * * $ME true" | put "$T/fall/cron.d/tick"
if td_start_faketime fall '@2026-11-01 06:29:40 x10'; then
        if wait_log 20 fall "$T/fall/cron.d/t:3 ($ME) started"; then
                at=$(started_at fall 3)
                if on_time "$at" 2026-11-01T06:30:00; then pass "the wildcard job runs at 01:30 EST (06:30:00 UTC)"
                else flunk "the wildcard job runs at 01:30 EST (06:30:00 UTC)" "it ran at $at UTC"; fi
                for _ in 1 2; do
                        m=$(log_mark fall)
                        wait_log_since 10 fall "$m" "$T/fall/cron.d/tick:1 ($ME) started" ||
                                { flunk "the ticker runs after 06:30" "$(log_tail fall 5)"; break; }
                done
                if ! log_has fall "$T/fall/cron.d/t:2 ($ME) started"; then pass "the fixed 01:30 job does not run again in the repeated hour"
                else flunk "the fixed 01:30 job does not run again in the repeated hour" "$(grep "t:2" "$T/fall/log")"; fi
        else
                flunk "the wildcard job runs at 01:30 EST" "$(log_tail fall 5)"
        fi
        td_stop_ok fall
fi
finish
