#!/usr/bin/env bash
# Per-job policies: a timeout stops the run's whole process group; overlap:skip skips a fire time
# while the last run goes on, overlap:queue keeps at most one waiting; jitter spreads the starts of
# many jobs over its bound and never past it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tockd-lib.sh"
export TZ=UTC

td_require_tockd "tockd policies"
td_require_home "tockd policies"

# table NAME: stdin becomes the instance's cron.d/t
table() { td_prepare "$1"; put "$T/$1/cron.d/t"; }
# snapshot SRC DST PATTERN: copies SRC to DST when SRC holds PATTERN (a job rewrites SRC every
# second: the copy is checked, not the file that may be half rewritten)
snapshot() { cp "$1" "$2" 2>/dev/null && grep -q -- "$3" "$2"; }

# ---- timeout: the job and the child it put in the background are both stopped
section "timeout"
table timeout <<EOF
[sec:*/3 timeout:1s] * * * * * $ME sleep 300 & echo \$! > $T/timeout.child; echo \$\$ > $T/timeout.pid; wait
EOF
# jobs.on_stop=term: the run going on when tockd stops ends with it, with its child
if td_start timeout --set jobs.kill_grace=2 --set jobs.on_stop=term; then
        if wait_log 40 timeout "timed out after 1s: SIGTERM to its process group"; then
                pass "a run past its timeout gets SIGTERM to its process group"
                if wait_log 10 timeout "killed by signal 15 (Terminated) at its timeout"; then pass "the run's end says it was the timeout"
                else flunk "the run's end says it was the timeout" "$(log_tail timeout 5)"; fi
                child=$(cat "$T/timeout.child" 2>/dev/null)
                [ -n "$child" ] && CLEAN_PIDS+=("$child")
                if [ -n "$child" ] && wait_until 5 gone_for_good "$child"; then
                        forget "$child"
                        pass "the job's background child does not outlive the timeout"
                else flunk "the job's background child does not outlive the timeout" "child '$child' state $(proc_state "$child")"; fi
        else
                flunk "a run past its timeout gets SIGTERM to its process group" "$(log_tail timeout 5)"
        fi
        td_stop_ok timeout
fi

# ---- overlap: skip and queue, with runs of 2.5 s every second. The window is six fire times (of
# line 1, counted from its log: each one either starts a run or is skipped); without a policy a
# job of every second would start 6 runs in it.
section "overlap"
table overlap <<EOF
[sec:*/1 overlap:skip] * * * * * $ME echo run >> $T/skip.out; sleep 2.5
[sec:*/1 overlap:queue] * * * * * $ME echo run >> $T/queue.out; sleep 2.5
EOF
O=$T/overlap/cron.d/t
fires1() { echo $(($(log_count overlap "$O:1 ($ME) started") + $(log_count overlap "$O:1 skipped: "))); }
if td_start overlap --set jobs.kill_grace=2; then
        wait_until 20 eval '[ "$(fires1)" -ge 6 ]' || flunk "overlap: six fire times come" "$(log_tail overlap 5)"
        td_stop_ok overlap
        # every run started writes its line first (the runs outlive tockd: jobs.on_stop=leave); a
        # run asked for just before the stop may have started without tockd logging it
        wait_until 10 has_lines "$T/skip.out" "$(log_count overlap "$O:1 ($ME) started")"
        wait_until 10 has_lines "$T/queue.out" "$(log_count overlap "$O:2 ($ME) started")"
        skip_runs=$(nlines "$T/skip.out")
        queue_runs=$(nlines "$T/queue.out")
        if [ "$skip_runs" -ge 1 ] && [ "$skip_runs" -le 3 ]; then
                pass "overlap:skip starts 1 to 3 runs in $(fires1) fire times ($skip_runs)"
        else flunk "overlap:skip starts 1 to 3 runs in $(fires1) fire times" "$skip_runs runs, $(log_count overlap "$O:1 ($ME) started") logged"; fi
        check "a skip is logged" log_match overlap "cron.d/t:1 skipped: the previous run (pid [0-9]*) is still going (overlap:skip)"
        if [ "$queue_runs" -ge 2 ] && [ "$queue_runs" -le 4 ]; then
                pass "overlap:queue starts 2 to 4 runs in $(fires1) fire times ($queue_runs)"
        else flunk "overlap:queue starts 2 to 4 runs in $(fires1) fire times" "$queue_runs runs, $(log_count overlap "$O:2 ($ME) started") logged"; fi
        check "a queued run is logged" log_has overlap "cron.d/t:2 queued: starts when the running one"
        check "a second waiting run is skipped" log_has overlap "cron.d/t:2 skipped: a run is already queued"
        # a run of line 2 started after the first "queued": the queued run started
        if sed -n "\\|cron.d/t:2 queued: |,\$p" "$T/overlap/log" | grep -qF "$O:2 ($ME) started"; then pass "a queued run starts"
        else flunk "a queued run starts" "$(grep -F "t:2" "$T/overlap/log" | head -8)"; fi
fi

# ---- concurrency cap: 5 jobs of 1.5 s due at once with jobs.max_running=2 all run, 2 at a time
section "concurrency cap"
for i in 1 2 3 4 5; do
        echo "[sec:*/5] * * * * * $ME echo \$(date +\%s.\%N) start >> $T/cap.out; sleep 1.5; echo \$(date +\%s.\%N) end >> $T/cap.out"
done | table capped
ends() { local n; n=$(grep -c ' end' "$T/cap.out" 2>/dev/null); echo "${n:-0}"; }
if td_start capped --set jobs.max_running=2; then
        if wait_until 40 eval '[ "$(ends)" -ge 5 ]'; then pass "every capped job runs"
        else flunk "every capped job runs" "$(cat "$T/cap.out" 2>/dev/null)"; fi
        check "a run waits for the cap" log_has capped "waiting: the concurrency cap is reached (jobs.max_running 2"
        td_stop_ok capped
        # never more than 2 at once: walk the start/end events in time order
        max=$(sort -n "$T/cap.out" 2>/dev/null | awk '$2 == "start" { n++; if (n > m) m = n } $2 == "end" { n-- } END { print m + 0 }')
        if [ "$max" -le 2 ]; then pass "never more than 2 runs at once under jobs.max_running=2"
        else flunk "never more than 2 runs at once under jobs.max_running=2" "$max runs at once"; fi
fi

# ---- catchup: a job whose fire time passed while tockd was stopped runs once at start. tockd
# decides what it catches up before it logs "ready:"; a ticker's next run shows that nothing
# came after.
section "catchup"
table catchup <<EOF
[catchup] 0 0 1 1 * $ME echo caught >> $T/catchup.out
0 0 1 1 * $ME echo plain >> $T/plain.out
EOF
C=$T/catchup/cron.d/t
echo "[sec:*/1] * * * * * $ME true" | put "$T/catchup/cron.d/tick"
tick() {
        local m
        m=$(log_mark catchup)
        wait_log_since 10 catchup "$m" "$T/catchup/cron.d/tick:1 ($ME) started" || flunk "the ticker runs" "$(log_tail catchup 3)"
}
if td_start catchup; then
        td_stop_ok catchup
        if [ -s "$T/catchup/state/catchup" ]; then pass "the first start writes the catchup state"
        else flunk "the first start writes the catchup state" "no state file"; fi
        if [ ! -e "$T/catchup.out" ] && ! log_has catchup "catching up"; then pass "a first start catches up no run it never missed"
        else flunk "a first start catches up no run it never missed" "$(grep -i catch "$T/catchup/log")"; fi
fi
# as if tockd had been down since the year before: last fire time 2 years ago
two_years_ago=$(($(date +%s) - 2 * 366 * 86400))
sed -i "s/ [0-9-]*\$/ $two_years_ago/" "$T/catchup/state/catchup"
if td_start catchup; then
        wait_until 10 nonempty "$T/catchup.out"
        wait_log 10 catchup "$C:1 ($ME) ended"
        tick
        td_stop_ok catchup
        if [ "$(cat "$T/catchup.out" 2>/dev/null)" = caught ]; then pass "the missed run is caught up once"
        else flunk "the missed run is caught up once" "catchup.out: $(cat "$T/catchup.out" 2>/dev/null); $(log_tail catchup 3)"; fi
        check "the catch-up is logged" log_has catchup "catching up: its run at"
        if [ ! -e "$T/plain.out" ] && ! log_has catchup "$C:2 ($ME) started"; then pass "a job without catchup is not caught up"
        else flunk "a job without catchup is not caught up" "$(log_tail catchup 3)"; fi
fi
if td_start catchup; then
        tick
        td_stop_ok catchup
        if [ "$(nlines "$T/catchup.out")" = 1 ] && ! log_has catchup "catching up"; then pass "the next start does not catch up again"
        else flunk "the next start does not catch up again" "catchup.out has $(nlines "$T/catchup.out") lines"; fi
fi

# ---- limits, nice and on_failure from the config
section "limits, nice and on_failure"
table limits <<EOF
[sec:*/1] * * * * * $ME (ulimit -n; ulimit -c; nice) > $T/limits.out
[sec:*/1] * * * * * $ME echo something broke; exit 3
EOF
if td_start limits --set jobs.nice=5 --set jobs.limit_nofile=123 --set jobs.limit_core=0 \
        --set jobs.on_failure="env | grep ^TOCK_ | sort > $T/failure.env"; then
        wait_until 15 snapshot "$T/limits.out" "$T/limits.snap" "^5$"
        if [ "$(tr '\n' ' ' <"$T/limits.snap" 2>/dev/null)" = "123 0 5 " ]; then pass "jobs get limit_nofile, limit_core and nice"
        else flunk "jobs get limit_nofile, limit_core and nice" "$(cat "$T/limits.snap" 2>/dev/null) $(log_tail limits 3)"; fi
        wait_until 15 snapshot "$T/failure.env" "$T/failure.snap" "^TOCK_USER="
        F=$T/failure.snap
        if grep -qx "TOCK_EXIT_STATUS=3" "$F" 2>/dev/null; then pass "on_failure gets the exit status"
        else flunk "on_failure gets the exit status" "$(cat "$F" 2>/dev/null)"; fi
        check "on_failure gets TOCK_JOB" grep -q "^TOCK_JOB=$T/limits/cron.d/t:2$" "$F"
        check "on_failure gets the output's tail" grep -q "^TOCK_OUTPUT_TAIL=something broke" "$F"
        check "on_failure gets TOCK_USER" grep -qx "TOCK_USER=$ME" "$F"
        td_stop_ok limits
fi

# ---- a job printing 1 GiB: tockd keeps what it logs (jobs.max_output) and its memory stays flat
section "a job printing 1 GiB"
table flood <<EOF
[sec:*/3 overlap:skip] * * * * * $ME head -c 1073741824 /dev/zero; echo done > $T/flood.done
EOF
if td_start flood --log-level info --set jobs.sendmail=; then
        rss() { awk '/^VmRSS/ { print $2 }' "/proc/${TD_PID[flood]}/status"; }
        before=$(rss)
        wait_until 60 log_match flood "output past .* dropped"
        if log_has flood "output past 65536 bytes dropped: 1073676288 bytes"; then pass "1 GiB of output is cut and counted"
        else flunk "1 GiB of output is cut and counted" "$(grep -m3 'flood\|dropped' "$T/flood/log")"; fi
        after=$(rss)
        if [ $((after - before)) -lt 8192 ]; then pass "tockd's memory stays flat reading 1 GiB of output"
        else flunk "tockd's memory stays flat reading 1 GiB of output" "it grew from ${before} kB to ${after} kB"; fi
        check "tockd lives on" alive "${TD_PID[flood]}"
        td_stop_ok flood
fi

# ---- an entry added to an idle tockd does not run for a fire time that passed before it existed
section "an entry added to an idle tockd"
if ! $HAVE_FAKETIME; then
        skip "an entry added to an idle tockd" "the faketime command is not installed"
else
        table idle <<<"# nothing yet"
        if td_start_faketime idle '@2026-06-01 08:59:50 x10'; then
                seen=$(now_us)
                # what is under test needs the fake clock past 09:00 while tockd sleeps (2 real s)
                td_fake_sleep_until idle "$seen" 10 '2026-06-01 09:00:10'
                # line 2 fires every second: once it has started, line 1 would have too if it were due
                put "$T/idle/cron.d/t2" <<EOF
0 9 * * * $ME echo ran >> $T/idle.out
[sec:*/1] * * * * * $ME true
EOF
                if wait_log 10 idle "cron.d/t2: loaded"; then pass "the new table is loaded"
                else flunk "the new table is loaded" "$(log_tail idle 5)"; fi
                wait_log 10 idle "$T/idle/cron.d/t2:2 ($ME) started" || flunk "the per-second entry runs" "$(log_tail idle 5)"
                if [ ! -e "$T/idle.out" ] && ! log_has idle "$T/idle/cron.d/t2:1 ($ME) started"; then
                        pass "an entry for 09:00 added after 09:00 does not run at once"
                else flunk "an entry for 09:00 added after 09:00 does not run at once" "$(log_tail idle 5)"; fi
                td_stop_ok idle
        fi
fi

# ---- a burst larger than the descriptors tockd may open: every job still runs (they wait in order)
section "a burst larger than tockd's descriptors"
for i in $(seq 1 300); do echo "[sec:*/5] * * * * * $ME echo $i >> $T/burst.out; sleep 0.5"; done | table burst
burst_lines() { local n; n=$(sort -u "$T/burst.out" 2>/dev/null | wc -l); echo "${n:-0}"; }
TD_PREFIX=(prlimit --nofile=100:100) # soft and hard: tockd cannot raise it
td_start burst --log-level info --set jobs.sendmail=
started=$?
TD_PREFIX=()
if [ "$started" = 0 ]; then
        if wait_until 60 eval '[ "$(burst_lines)" -ge 300 ]'; then pass "all 300 jobs run with 100 descriptors"
        else flunk "all 300 jobs run with 100 descriptors" "$(burst_lines) of 300 ran"; fi
        check "the burst runs out of descriptors (else the test is too small)" \
                log_has burst "out of file descriptors: 1 run waits for running jobs to end"
        if ! log_has burst "not run"; then pass "no job is dropped"
        else flunk "no job is dropped" "$(grep -m3 'not run' "$T/burst/log")"; fi
        td_stop_ok burst
fi

# ---- jitter: 40 jobs due at the same second, each starting up to 8 s late. Start times in the
# log are late by however long the (loaded) machine took to fork, times faketime's speed-up, so
# each run's delay is read from the order of the log instead: ten markers fire at seconds 0 to 9
# (lines 1 to 10, undelayed). Runs start in the order they were due (the queue is ordered by
# time, then by line; the spawner answers in order), so a run of delay k starts after marker k
# and before marker k + 1, and one past the bound after marker 9. Only the first minute counts: a
# slow machine may reach the next one (12 real seconds on) before the checks read the log.
# order_runs TABLE MARKERS: for each start of a line past the first MARKERS of TABLE, in log order
# up to the second start of marker 1, its line and the second of the last marker started before
# it (-1 if none)
order_runs() {
        awk -v p="$T/$1/cron.d/t:" -v m="$2" 'index($0, p) && / started pid / {
                n = substr($0, index($0, p) + length(p)) + 0
                if (n == 1 && seen1++) exit
                if (n <= m) k = n - 1; else print n, k
        }' k=-1 "$T/$1/log"
}
section "jitter"
if ! $HAVE_FAKETIME; then
        skip "jitter spread" "the faketime command is not installed"
else
        {
                for k in $(seq 0 9); do echo "[sec:$k] * * * * * $ME true"; done
                for i in $(seq 1 40); do echo "[sec:0 jitter:8s] * * * * * $ME true"; done
        } | table jitter
        if td_start_faketime jitter '@2026-06-01 11:59:50 x5'; then
                # the next fire time is 12:01:00, 12 real seconds after the first: these are all of 12:00
                wait_until 20 eval '[ "$(order_runs jitter 10 | wc -l)" -ge 40 ]'
                wait_log 10 jitter "$T/jitter/cron.d/t:10 ($ME) started" || flunk "jitter: the marker of second 9 runs" "$(log_tail jitter 3)"
                delays=$(order_runs jitter 10 | awk '{ print $2 }' | sort -n | uniq -c)
                n=$(order_runs jitter 10 | wc -l)
                if [ "$n" = 40 ]; then pass "all 40 jittered jobs start"
                else flunk "all 40 jittered jobs start" "$n of 40 started"; fi
                late=$(order_runs jitter 10 | awk '$2 > 8 || $2 < 0' | wc -l)
                if [ "$late" = 0 ]; then pass "no job starts past the 8 s bound"
                else flunk "no job starts past the 8 s bound" "runs by delay (s): $delays"; fi
                distinct=$(printf '%s\n' "$delays" | wc -l)
                if [ "$distinct" -ge 5 ]; then pass "40 starts spread over 5 seconds or more ($distinct)"
                else flunk "40 starts spread over 5 seconds or more" "only $distinct: $delays"; fi
                td_stop_ok jitter
        fi
fi

# ---- RANDOM_DELAY as cronie has it: minutes, scaled by one random factor drawn at daemon start,
# so every run of a job starts the same time after its fire time, and RANDOM_DELAY=2 twice as late.
# As for jitter, the delays are read from the log's order: markers at every second of the minute
# (lines 6 to 65, second s on line s + 6, RANDOM_DELAY=0) come after the delayed lines 2 and 4, so
# a run due in second s starts before that second's marker and after every earlier one. Its
# minute comes from its start time in the log, which is late by less than a minute. tockd starts
# 20 fake seconds (1 real one) before 12:00, its first fire time.
section "RANDOM_DELAY"
if ! $HAVE_FAKETIME; then
        skip "RANDOM_DELAY" "the faketime command is not installed"
else
        {
                printf '%s\n' "RANDOM_DELAY=1" "* * * * * $ME true" "RANDOM_DELAY=2" "* * * * * $ME true" "RANDOM_DELAY=0"
                for k in $(seq 0 59); do echo "[sec:$k] * * * * * $ME true"; done
        } | table rdelay
        # delays LINE: the delays of line LINE's runs (seconds after 12:00:00, in order), each once
        # a marker has started after it
        delays() {
                awk -v p="$T/rdelay/cron.d/t:" -v want="$1" 'index($0, p) && / started pid / {
                        n = substr($0, index($0, p) + length(p)) + 0
                        if (n == 2 || n == 4) {
                                # the logged time as seconds after 12:00:00 (the date is 2026-06-01)
                                c = (substr($0, 12, 2) - 12) * 3600 + substr($0, 15, 2) * 60 + substr($0, 18, 2)
                                pend[++np] = n; at[np] = c
                        } else if (n >= 6) {
                                for (i = 1; i <= np; i++)
                                        if (pend[i] == want)
                                                print at[i] - ((at[i] - (n - 6)) % 60 + 60) % 60
                                np = 0
                        }
                }' "$T/rdelay/log"
        }
        if td_start_faketime rdelay '@2026-06-01 11:59:40 x20'; then
                wait_until 30 eval '[ "$(delays 4 | wc -l)" -ge 2 ]'
                mapfile -t one < <(delays 2)
                mapfile -t two < <(delays 4)
                if [ "${#one[@]}" -ge 2 ] && [ "${#two[@]}" -ge 2 ]; then
                        pass "RANDOM_DELAY jobs run twice"
                        d1=${one[0]} d2=${two[0]}
                        if [ "$d1" -ge 0 ] && [ "$d1" -lt 61 ]; then pass "RANDOM_DELAY=1 delays a run by less than a minute"
                        else flunk "RANDOM_DELAY=1 delays a run by less than a minute" "it delayed it by ${d1}s"; fi
                        if [ "$d2" -ge 0 ] && [ "$d2" -lt 121 ]; then pass "RANDOM_DELAY=2 delays a run by less than 2 minutes"
                        else flunk "RANDOM_DELAY=2 delays a run by less than 2 minutes" "it delayed it by ${d2}s"; fi
                        # the same factor for both, and for every run (1 s of rounding, 1 s to spare)
                        diff=$((d2 - 2 * d1))
                        diff=${diff#-}
                        if [ "$diff" -le 2 ]; then pass "RANDOM_DELAY=2 is twice RANDOM_DELAY=1 (one factor): ${d2}s and ${d1}s"
                        else flunk "RANDOM_DELAY=2 is twice RANDOM_DELAY=1 (one factor)" "RANDOM_DELAY=2 gave ${d2}s, RANDOM_DELAY=1 ${d1}s"; fi
                        # the next run found, in whichever minute: a machine stalled for 3 real
                        # seconds (a fake minute) makes tockd skip a minute of a * * * * * line, as
                        # cron does when it wakes late
                        next=$(( ((one[1] - d1) % 60 + 60) % 60 ))
                        if [ "$next" -le 2 ] || [ "$next" -ge 58 ]; then pass "the next run is delayed as much: $(( one[1] % 60 ))s into its minute"
                        else flunk "the next run is delayed as much" "the next run was at +${one[1]}s, the first at +${d1}s"; fi
                else
                        flunk "RANDOM_DELAY jobs run twice" "$(grep started "$T/rdelay/log" | tail -5)"
                fi
                td_stop_ok rdelay
        fi
fi
finish
