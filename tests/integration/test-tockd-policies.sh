#!/usr/bin/env bash
# Per-job policies: a timeout stops the run's whole process group; overlap:skip skips a fire time
# while the last run goes on, overlap:queue keeps at most one waiting; jitter spreads the starts of
# many jobs over its bound and never past it.
. "$(dirname "$0")/lib.sh"
TOCKD=${TOCKD:-build/tockd}
# libfaketime is an LD_PRELOAD library: an ASan build must not insist on coming first
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
case $TOCKD in /*) ;; *) TOCKD=$PWD/$TOCKD ;; esac
T=$T_TMP
pids=()
cleanup() {
        local log p
        for log in "$T"/*/log; do
                p=$(grep -o -m1 'tockd\[[0-9]*\]' "$log" 2>/dev/null | tr -dc 0-9)
                [ -n "$p" ] && kill -TERM "$p" 2>/dev/null
        done
        for p in "${pids[@]}"; do
                for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
                kill -KILL "$p" 2>/dev/null
        done
        for f in "$T"/*.child; do [ -f "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null; done
        rm -rf "$T"
}
trap cleanup EXIT
chmod 755 "$T"

wait_log() { # FILE PATTERN SECONDS
        local end=$((SECONDS + $3))
        while [ $SECONDS -lt $end ]; do grep -q -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
        return 1
}

# start NAME TABLE [PREFIX...]: tockd on one cron.d table
start() {
        local name=$1 table=$2 dir=$T/$1
        shift 2
        mkdir -p "$dir/cron.d" "$dir/state"
        echo "policies-$name" >"$dir/boot_id"
        printf '%s\n' "$table" >"$dir/cron.d/t"
        "$@" "$TOCKD" --foreground --set jobs.pam_service= --crontab '' --cron-d "$dir/cron.d" --spool '' --socket '' --state-dir "$dir/state" \
                --log-target stderr --log-level debug --set paths.boot_id="$dir/boot_id" --set jobs.kill_grace=2 \
                </dev/null >/dev/null 2>"$dir/log" &
        pids+=($!)
        wait_log "$dir/log" "ready:" 20 || fail "$name: tockd did not start: $(tail -3 "$dir/log")"
}
ME=$(id -un)

# ---- timeout: the job and the child it put in the background are both stopped
start timeout "[sec:*/3 timeout:1s] * * * * * $ME sleep 300 & echo \$! > $T/timeout.child; echo \$\$ > $T/timeout.pid; wait"
if wait_log "$T/timeout/log" "timed out after 1s: SIGTERM to its process group" 40; then
        ok
        wait_log "$T/timeout/log" "killed by signal 15 (Terminated) at its timeout" 10 && ok || fail "the run's end does not say it was the timeout"
        child=$(cat "$T/timeout.child" 2>/dev/null)
        end=$((SECONDS + 5))
        while [ -n "$child" ] && [ -d "/proc/$child" ] && [ "$(cut -d' ' -f3 "/proc/$child/stat" 2>/dev/null)" != Z ] && [ $SECONDS -lt $end ]; do sleep 0.1; done
        [ -n "$child" ] && [ ! -d "/proc/$child" ] && ok || fail "the job's background child $child outlived the timeout"
else
        fail "no timeout: $(tail -5 "$T/timeout/log")"
fi

# ---- overlap: skip and queue, with runs of 2.5 s every second
start overlap "[sec:*/1 overlap:skip] * * * * * $ME echo run >> $T/skip.out; sleep 2.5
[sec:*/1 overlap:queue] * * * * * $ME echo run >> $T/queue.out; sleep 2.5"
sleep 6.5 # a window of runs: the point is how many started in it, not when
kill -TERM "$(grep -o -m1 'tockd\[[0-9]*\]' "$T/overlap/log" | tr -dc 0-9)"
skip_runs=$(wc -l <"$T/skip.out" 2>/dev/null || echo 0)
queue_runs=$(wc -l <"$T/queue.out" 2>/dev/null || echo 0)
# without a policy a job of every second would have started about 6 times
[ "$skip_runs" -ge 1 ] && [ "$skip_runs" -le 3 ] && ok || fail "overlap:skip started $skip_runs runs in 6.5 s"
grep -q "cron.d/t:1 skipped: the previous run (pid [0-9]*) is still going (overlap:skip)" "$T/overlap/log" && ok || fail "no skip logged"
[ "$queue_runs" -ge 2 ] && [ "$queue_runs" -le 4 ] && ok || fail "overlap:queue started $queue_runs runs in 6.5 s"
grep -q "cron.d/t:2 queued: starts when the running one" "$T/overlap/log" && ok || fail "no queue logged"
grep -q "cron.d/t:2 skipped: a run is already queued" "$T/overlap/log" && ok || fail "a second waiting run was not skipped"
# queued runs start as soon as the previous ends: no gap of a whole second between them
starts=$(grep "cron.d/t:2 ($ME) started" "$T/overlap/log" | cut -c12-23)
[ "$(printf '%s\n' "$starts" | wc -l)" -ge 2 ] && ok || fail "queued runs did not start"

# ---- concurrency cap: 5 jobs of 1.5 s due at once with jobs.max_running=2 all run, 2 at a time
table=
for i in 1 2 3 4 5; do table+="[sec:*/5] * * * * * $ME echo \$(date +\%s.\%N) start >> $T/cap.out; sleep 1.5; echo \$(date +\%s.\%N) end >> $T/cap.out"$'\n'; done
rm -f "$T/cap.out"
dir=$T/capped
mkdir -p "$dir/cron.d" "$dir/state"
echo capped >"$dir/boot_id"
printf '%s' "$table" >"$dir/cron.d/t"
"$TOCKD" --foreground --set jobs.pam_service= --crontab '' --cron-d "$dir/cron.d" --spool '' --socket '' --state-dir "$dir/state" \
        --log-target stderr --log-level debug --set paths.boot_id="$dir/boot_id" --set jobs.max_running=2 \
        </dev/null >/dev/null 2>"$dir/log" &
pids+=($!)
ends() { local n; n=$(grep -c ' end' "$T/cap.out" 2>/dev/null); echo "${n:-0}"; }
end=$((SECONDS + 40))
while [ $SECONDS -lt $end ] && [ "$(ends)" -lt 5 ]; do sleep 0.2; done
[ "$(ends)" -ge 5 ] && ok || fail "not every capped job ran: $(cat "$T/cap.out" 2>/dev/null)"
grep -q "waiting: the concurrency cap is reached (jobs.max_running 2" "$dir/log" && ok || fail "no run waited for the cap"
# never more than 2 at once: walk the start/end events in time order
max=$(sort -n "$T/cap.out" 2>/dev/null | awk '$2 == "start" { n++; if (n > m) m = n } $2 == "end" { n-- } END { print m + 0 }')
[ "$max" -le 2 ] && ok || fail "$max runs at once under jobs.max_running=2"

# ---- catchup: a job whose fire time passed while tockd was stopped runs once at start
dir=$T/catchup
mkdir -p "$dir/cron.d" "$dir/state"
echo catchup >"$dir/boot_id"
printf '%s\n' "[catchup] 0 0 1 1 * $ME echo caught >> $T/catchup.out" "0 0 1 1 * $ME echo plain >> $T/plain.out" >"$dir/cron.d/t"
run_catchup() {
        "$TOCKD" --foreground --set jobs.pam_service= --crontab '' --cron-d "$dir/cron.d" --spool '' --socket '' --state-dir "$dir/state" \
                --log-target stderr --log-level debug --set paths.boot_id="$dir/boot_id" </dev/null >/dev/null 2>>"$dir/log" &
        local p=$!
        pids+=($p)
        wait_log "$dir/log" "ready:" 20
        kill -TERM "$p"
        wait "$p"
}
run_catchup
[ -s "$dir/state/catchup" ] && ok || fail "no catchup state after the first start"
[ ! -e "$T/catchup.out" ] && ok || fail "a first start caught up a run it never missed"
# as if tockd had been down since the year before: last fire time 2 years ago
two_years_ago=$(( $(date +%s) - 2 * 366 * 86400 ))
sed -i "s/ [0-9-]*\$/ $two_years_ago/" "$dir/state/catchup"
: >"$dir/log"
run_catchup
end=$((SECONDS + 10)); while [ ! -s "$T/catchup.out" ] && [ $SECONDS -lt $end ]; do sleep 0.1; done
[ "$(cat "$T/catchup.out" 2>/dev/null)" = caught ] && ok || fail "the missed run was not caught up once: $(cat "$T/catchup.out" 2>/dev/null) $(tail -3 "$dir/log")"
grep -q "catching up: its run at" "$dir/log" && ok || fail "no catch-up logged"
[ ! -e "$T/plain.out" ] && ok || fail "a job without catchup was caught up"
: >"$dir/log"
run_catchup
sleep 1
[ "$(wc -l <"$T/catchup.out")" = 1 ] && ok || fail "caught up again on the next start"

# ---- limits, nice and on_failure from the config
dir=$T/limits
mkdir -p "$dir/cron.d" "$dir/state"
echo limits >"$dir/boot_id"
printf '%s\n' "[sec:*/1] * * * * * $ME (ulimit -n; ulimit -c; nice) > $T/limits.out" \
        "[sec:*/1] * * * * * $ME echo something broke; exit 3" >"$dir/cron.d/t"
"$TOCKD" --foreground --set jobs.pam_service= --crontab '' --cron-d "$dir/cron.d" --spool '' --socket '' --state-dir "$dir/state" \
        --log-target stderr --log-level debug --set paths.boot_id="$dir/boot_id" --set jobs.nice=5 \
        --set jobs.limit_nofile=123 --set jobs.limit_core=0 \
        --set jobs.on_failure="env | grep ^TOCK_ | sort > $T/failure.env" </dev/null >/dev/null 2>"$dir/log" &
pids+=($!)
end=$((SECONDS + 15)); while [ ! -s "$T/limits.out" ] && [ $SECONDS -lt $end ]; do sleep 0.1; done
[ "$(tr '\n' ' ' <"$T/limits.out" 2>/dev/null)" = "123 0 5 " ] && ok || fail "limits/nice: $(cat "$T/limits.out" 2>/dev/null) $(tail -3 "$dir/log")"
end=$((SECONDS + 15)); while ! grep -q TOCK_USER "$T/failure.env" 2>/dev/null && [ $SECONDS -lt $end ]; do sleep 0.1; done
grep -qx "TOCK_EXIT_STATUS=3" "$T/failure.env" 2>/dev/null && ok || fail "on_failure did not get the exit status: $(cat "$T/failure.env" 2>/dev/null)"
grep -q "^TOCK_JOB=$dir/cron.d/t:2$" "$T/failure.env" && ok || fail "on_failure: no TOCK_JOB"
grep -q "^TOCK_OUTPUT_TAIL=something broke" "$T/failure.env" && ok || fail "on_failure: no output tail"
grep -qx "TOCK_USER=$ME" "$T/failure.env" && ok || fail "on_failure: no TOCK_USER"

# ---- a job printing 1 GiB: tockd keeps what it logs (jobs.max_output) and its memory stays flat
dir=$T/flood
mkdir -p "$dir/cron.d" "$dir/state"
echo flood >"$dir/boot_id"
printf '%s\n' "[sec:*/3 overlap:skip] * * * * * $ME head -c 1073741824 /dev/zero; echo done > $T/flood.done" >"$dir/cron.d/t"
"$TOCKD" --foreground --set jobs.pam_service= --crontab '' --cron-d "$dir/cron.d" --spool '' --socket '' --state-dir "$dir/state" \
        --log-target stderr --log-level info --set paths.boot_id="$dir/boot_id" --set jobs.sendmail= \
        </dev/null >/dev/null 2>"$dir/log" &
pids+=($!)
wait_log "$dir/log" "ready:" 20
tp=$(grep -o -m1 'tockd\[[0-9]*\]' "$dir/log" | tr -dc 0-9)
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$tp/status"; }
before=$(rss)
end=$((SECONDS + 60)); while ! grep -q "output past .* dropped" "$dir/log" && [ $SECONDS -lt $end ]; do sleep 0.2; done
grep -q "output past 65536 bytes dropped: 1073676288 bytes" "$dir/log" && ok || fail "1 GiB of output was not cut and counted: $(grep -m3 'flood\|dropped' "$dir/log")"
after=$(rss)
[ $((after - before)) -lt 8192 ] && ok || fail "tockd grew from ${before} kB to ${after} kB reading 1 GiB of output"
kill -0 "$tp" && ok || fail "tockd died"

# ---- an entry added to an idle tockd does not run for a fire time that passed before it existed
if command -v faketime >/dev/null; then
        start idle "# nothing yet" faketime -f "@2026-06-01 08:59:50 x10"
        wait_log "$T/idle/log" "ready:" 10
        sleep 3 # 30 s of fake time: it is now past 09:00:10, and tockd has not woken since 08:59:50
        printf '%s\n' "0 9 * * * $ME echo ran >> $T/idle.out" >"$T/idle/cron.d/t2"
        wait_log "$T/idle/log" "cron.d/t2: loaded" 10 && ok || fail "the new table was not loaded"
        sleep 1
        [ ! -e "$T/idle.out" ] && ok || fail "an entry for 09:00 added after 09:00 ran at once"
else
        echo "SKIP: the idle-tockd check needs faketime"
fi

# ---- a burst larger than the descriptors tockd may open: every job still runs (they wait in order)
dir=$T/burst
mkdir -p "$dir/cron.d" "$dir/state"
echo burst >"$dir/boot_id"
table=
for i in $(seq 1 300); do table+="[sec:*/5] * * * * * $ME echo $i >> $T/burst.out; sleep 0.5"$'\n'; done
printf '%s' "$table" >"$dir/cron.d/t"
(
        ulimit -n 100 # soft and hard: tockd cannot raise it
        exec "$TOCKD" --foreground --set jobs.pam_service= --crontab '' --cron-d "$dir/cron.d" --spool '' --socket '' --state-dir "$dir/state" \
                --log-target stderr --log-level info --set paths.boot_id="$dir/boot_id" --set jobs.sendmail= \
                </dev/null >/dev/null 2>"$dir/log"
) &
pids+=($!)
burst_lines() { local n; n=$(sort -u "$T/burst.out" 2>/dev/null | wc -l); echo "${n:-0}"; }
end=$((SECONDS + 60)); while [ "$(burst_lines)" -lt 300 ] && [ $SECONDS -lt $end ]; do sleep 0.2; done
[ "$(burst_lines)" = 300 ] && ok || fail "$(burst_lines) of 300 jobs ran with 100 descriptors"
grep -q "out of file descriptors: 1 run waits for running jobs to end" "$dir/log" && ok || fail "the burst did not run out of descriptors (test too small?)"
! grep -q "not run" "$dir/log" && ok || fail "jobs were dropped: $(grep -m3 'not run' "$dir/log")"

# ---- jitter: 40 jobs due at the same second, each starting up to 8 s late
table=
for i in $(seq 1 40); do table+="[sec:0 jitter:8s] * * * * * $ME true"$'\n'; done
if command -v faketime >/dev/null; then
        start jitter "$table" faketime -f "@2026-06-01 11:59:50 x5"
        if wait_log "$T/jitter/log" "t:40 ($ME) started" 20 || sleep 3; then
                sleep 2 # let every job of the jittered window start (8 fake s = 1.6 s)
                offsets=$(grep "($ME) started" "$T/jitter/log" | cut -c18-19 | sort | uniq -c)
                n=$(grep -c "($ME) started" "$T/jitter/log")
                [ "$n" = 40 ] && ok || fail "$n of 40 jittered jobs started"
                late=$(grep "($ME) started" "$T/jitter/log" | cut -c18-19 | awk '$1 > 8' | wc -l)
                [ "$late" = 0 ] && ok || fail "jobs started past the 8 s bound: $offsets"
                distinct=$(printf '%s\n' "$offsets" | wc -l)
                [ "$distinct" -ge 5 ] && ok || fail "40 starts spread over only $distinct seconds: $offsets"
        fi
else
        echo "SKIP: jitter spread needs faketime"
fi

# ---- RANDOM_DELAY as cronie has it: minutes, scaled by one random factor drawn at daemon start,
# so every run of a job starts the same time after its fire time, and RANDOM_DELAY=2 twice as late
if command -v faketime >/dev/null; then
        start rdelay "RANDOM_DELAY=1
* * * * * $ME true
RANDOM_DELAY=2
* * * * * $ME true" env TZ=UTC faketime -f "@2026-06-01 11:59:55 x20"
        # the (fake, UTC) times line L started, as seconds after 12:00:00
        starts() { grep "t:$1 ($ME) started" "$T/rdelay/log" | cut -c1-19 | while read -r ts; do
                echo $(($(TZ=UTC date -d "$ts" +%s) - $(TZ=UTC date -d '2026-06-01 12:00:00' +%s))); done; }
        end=$((SECONDS + 30))
        while [ "$(starts 4 | wc -l)" -lt 2 ] && [ $SECONDS -lt $end ]; do sleep 0.2; done
        mapfile -t one < <(starts 2)
        mapfile -t two < <(starts 4)
        if [ "${#one[@]}" -ge 2 ] && [ "${#two[@]}" -ge 2 ]; then
                d1=${one[0]} d2=${two[0]}
                [ "$d1" -ge 0 ] && [ "$d1" -lt 61 ] && ok || fail "RANDOM_DELAY=1 delayed the run by ${d1}s"
                [ "$d2" -ge 0 ] && [ "$d2" -lt 121 ] && ok || fail "RANDOM_DELAY=2 delayed the run by ${d2}s"
                # the same factor for both, and for every run (1 s of rounding, 1 s of faketime slack)
                diff=$((d2 - 2 * d1)); diff=${diff#-}
                [ "$diff" -le 2 ] && ok || fail "RANDOM_DELAY=2 gave ${d2}s, RANDOM_DELAY=1 ${d1}s: not one factor"
                diff=$((one[1] - 60 - d1)); diff=${diff#-}
                [ "$diff" -le 2 ] && ok || fail "the next run was delayed by $((one[1] - 60))s, the first by ${d1}s"
        else
                fail "RANDOM_DELAY jobs did not run twice: $(grep started "$T/rdelay/log" | tail -5)"
        fi
else
        echo "SKIP: RANDOM_DELAY needs faketime"
fi
finish
