#!/usr/bin/env bash
# tockd across daylight-saving changes, under libfaketime (time ten times faster), in
# America/New_York: on the spring-forward night a job of 02:30 runs once at 03:00 EDT; in the
# repeated hour of the fall-back night a fixed-time job does not run again while a wildcard job
# does (cron(8)). Every run writes the (fake) time it started.
. "$(dirname "$0")/lib.sh"
TOCKD=${TOCKD:-build/tockd}
# libfaketime is an LD_PRELOAD library: an ASan build must not insist on coming first
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
case $TOCKD in /*) ;; *) TOCKD=$PWD/$TOCKD ;; esac
if ! command -v faketime >/dev/null; then
        echo "SKIP: faketime is not installed"
        finish
        exit
fi
pids=()
# faketime forks tockd and waits for it: stop tockd itself (its pid is in its log), then faketime
cleanup() {
        local log p
        for log in "$T_TMP"/*/log; do
                p=$(grep -o -m1 'tockd\[[0-9]*\]' "$log" 2>/dev/null | tr -dc 0-9)
                [ -n "$p" ] && kill -TERM "$p" 2>/dev/null
        done
        for p in "${pids[@]}"; do
                for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
                kill -KILL "$p" 2>/dev/null
        done
        rm -rf "$T_TMP"
}
trap cleanup EXIT

wait_lines() { # FILE N SECONDS
        local end=$((SECONDS + $3))
        while [ $SECONDS -lt $end ]; do
                [ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ] && return 0
                sleep 0.2
        done
        return 1
}

# run NAME 'START (local time)' TABLE: tockd under faketime x10 with TZ=America/New_York
run() {
        local dir=$T_TMP/$1
        mkdir -p "$dir/cron.d" "$dir/state"
        echo "dst-$1" >"$dir/boot_id"
        printf '%s\n' "$3" >"$dir/cron.d/t"
        TZ=${TZ:-America/New_York} faketime -f "@$2 x10" "$TOCKD" --foreground --set jobs.pam_service= --crontab '' --cron-d "$dir/cron.d" \
                --spool '' --socket '' --state-dir "$dir/state" --log-target stderr --log-level debug \
                --set paths.boot_id="$dir/boot_id" </dev/null >/dev/null 2>"$dir/log" &
        pids+=($!)
}

wait_log() { # FILE PATTERN SECONDS
        local end=$((SECONDS + $3))
        while [ $SECONDS -lt $end ]; do grep -q -- "$2" "$1" 2>/dev/null && return 0; sleep 0.2; done
        return 1
}
# the (fake) local time at which tockd started line N of its table: "YYYY-MM-DDTHH:MM:SS"
started_at() { grep -m1 "cron.d/t:$2 (root) started" "$1" | cut -c1-19; }

# spring forward: 2026-03-08 02:00 EST becomes 03:00 EDT. tockd's log is in (fake) local time.
run spring '2026-03-08 01:59:30' "30 2 * * * root true
1 3 * * * root true"
L=$T_TMP/spring/log
if wait_log "$L" "cron.d/t:1 (root) started" 20; then
        at=$(started_at "$L" 1)
        [ "$at" = 2026-03-08T03:00:00 ] && ok || fail "the 02:30 job ran at $at, not at the change (03:00:00 EDT)"
else
        fail "the 02:30 job did not run on the spring-forward night: $(tail -5 "$L")"
fi
if wait_log "$L" "cron.d/t:2 (root) started" 30; then
        at=$(started_at "$L" 2)
        [ "$at" = 2026-03-08T03:01:00 ] && ok || fail "the 03:01 job ran at $at"
else
        fail "the 03:01 job did not run"
fi
[ "$(grep -c "cron.d/t:1 (root) started" "$L")" = 1 ] && ok || fail "the 02:30 job ran more than once"

# fall back: 2026-11-01 02:00 EDT becomes 01:00 EST (06:00 UTC). tockd starts in the second
# pass of the repeated hour (01:29:40 EST, 06:29:40 UTC; the table's CRON_TZ carries the zone and
# tockd's own zone is UTC, so faketime's start and the log are in UTC): the fixed 01:30 job ran
# in the first pass and must not run again; the wildcard job follows the clock and runs at 01:30
# EST, 06:30 UTC.
TZ=UTC run fall '2026-11-01 06:29:40' "CRON_TZ=America/New_York
30 1 * * * root true
30 * * * * root true"
L=$T_TMP/fall/log
if wait_log "$L" "cron.d/t:3 (root) started" 20; then
        at=$(started_at "$L" 3)
        [ "$at" = 2026-11-01T06:30:00 ] && ok || fail "the wildcard job ran at $at UTC, not 06:30:00 (01:30 EST)"
        sleep 1 # both would start in the same second; the fixed one must not have
        ! grep -q "cron.d/t:2 (root) started" "$L" && ok || fail "the fixed 01:30 job ran again in the repeated hour"
else
        fail "the wildcard job did not run at 01:30 EST: $(tail -5 "$L")"
fi
finish
