#!/usr/bin/env bash
# Issue 10, the control socket under attack by one user (a [sec:*/1] canary job runs through the flood):
#   2. a table of 100,000 entries (its STATUS and NEXT replies are over PROTO_MAX_BODY): status and
#      next --count 100000 answer completely, in parts; a client that cannot take parts (an older
#      tockctl) gets an error saying so instead of waiting forever; replies are written as the
#      socket drains: 30 of root's STATUS requests never read do not make tockd hold 30 replies;
#   3. 250 connections of one user, each sending NEXT 100000 and never reading: tockd's RSS stays
#      bounded, root's status answers, and the canary keeps running;
#   4. held `tockctl run`s of one user: the one past jobs.max_manual_runs_per_user is refused with
#      an error, and root's status answers;
#   5. without that limit, runs (never closed to make room) in every slot but the 16 kept for
#      root: root's status and run still get in.
# As root the attacks come from test users; as an ordinary user from that user, and the checks
# that need root (root's view, root not locked out) are skipped saying so.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tockd-lib.sh"
. "$(dirname "$0")/tockctl-lib.sh"
export TZ=UTC
# ASan keeps freed memory in quarantine (256 MB by default): small enough for the RSS bound
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=16

tc_need_binaries "the socket under attack"
td_require_home "the socket under attack"
tc_cc proto-peer || { finish; exit; }
PEER=$T/proto-peer
B=$T/attack
ENTRIES=100000
MAX_RUNS=4

if $IS_ROOT; then
        BIG=tkbig$$ FLOOD=tkflood$$ RUNNER=tkrun$$ # this run's own: another run may go on meanwhile
        for u in $BIG $FLOOD $RUNNER; do tc_user $u || td_skip_all "the socket under attack" "cannot add user $u"; done
else
        BIG=$ME FLOOD=$ME RUNNER=$ME
fi
# root_skip NAME: as an ordinary user, say that NAME needs root
root_skip() { skip "$1" "needs root (test users, and root's view of every job)"; }

td_prepare attack
put "$B/cron.d/canary" <<EOF
[sec:*/1 name:canary] * * * * * $ME date +\%s >> $T/shared/canary
EOF
# in the file rather than with --set, so that a tockd without the key (the old code) still starts
printf '[jobs]\nmax_manual_runs_per_user = %s\n' $MAX_RUNS >"$B/tockd.conf"
tc_start attack || { finish; exit; }
PID=${TD_PID[attack]}
tc_install_works attack
wait_until 10 has_lines "$T/shared/canary" 1 || flunk "the canary job runs" "$(log_tail attack)"
canary_grows() { [ "$(nlines "$T/shared/canary")" -ge "$1" ]; }
rss_kb() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$PID/status"; }

section "3. 250 connections of one user, each sending NEXT 100000 and never reading"
# 20 jobs every minute: NEXT 100000 is 100,000 runs, a reply of about 9 MB each. Unbounded, the
# 250 replies are 2 GB and more. Bounded, a uid is not read past 16 MiB of its requests and
# replies in tockd's buffers: with one more reply being built, well under 100 MB; the bound below
# adds room for the allocator's slack (and ASan's) over tockd's RSS before the flood, which comes
# first, while tockd is small.
awk 'BEGIN { for (i = 1; i <= 20; i++) printf "* * * * * echo flood-%02d\n", i }' >"$T/flood.cron"
chmod 644 "$T/flood.cron"
ctl "$FLOOD" install "$T/flood.cron"
want "the flooding user's table is installed" 0
base=$(rss_kb)
bound=$((base + 150 * 1024))
mkfifo "$T/flood.fifo"
as "$FLOOD" "$PEER" "$SOCK" flood 250 100000 "$PID" "$bound" <"$T/flood.fifo" >"$T/flood.out" 2>&1 &
FLOOD_PID=$!
CLEAN_PIDS+=("$FLOOD_PID")
exec 7>"$T/flood.fifo"
wait_until 90 test -s "$T/flood.out"
read -r _ sent _ peak <"$T/flood.out"
[[ "$sent$peak" =~ ^[0-9]+$ ]] || sent=0 peak=0
# after the flood, while the connections are held: tockd keeps going (3 canary lines later, the
# requests it was going to read are read) and its RSS then
mark=$(nlines "$T/shared/canary")
wait_until 30 canary_grows $((mark + 3))
check "the canary keeps running during the flood" canary_grows $((mark + 3))
for _ in 1 2 3 4 5; do
        k=$(rss_kb)
        [ "${k:-0}" -gt "${peak:-0}" ] && peak=$k
        sleep 0.2
done
if [ "${sent:-0}" = 250 ] && [ "${peak:-0}" -le "$bound" ]; then
        pass "250 NEXT 100000 never read: tockd's RSS stays under ${bound} kB (${base} kB before, at most ${peak} kB; $(cat "$T/flood.out"))"
else
        flunk "250 NEXT 100000 never read: tockd's RSS stays under ${bound} kB" \
                "${base} kB before, ${peak} kB at most; $(cat "$T/flood.out") (the flood stops once over the bound)"
fi
if $IS_ROOT; then
        r "" timeout 60 "$TOCKCTL" --socket "$SOCK" status
        want "root's tockctl status answers during the flood" 0 out "canary"
else
        root_skip "root's tockctl status during the flood"
fi
exec 7>&-
wait "$FLOOD_PID"
forget "$FLOOD_PID"
check "tockd still answers after the flood" tc_alive attack
ctl "$FLOOD" remove

# the canary has done its work; as an ordinary user it would fill that user's next 100000 runs
rm -f "$B/cron.d/canary"
no_canary() { "$TOCKCTL" --socket "$SOCK" status 2>/dev/null | grep -q canary && return 1; return 0; }
wait_until 10 no_canary || flunk "the canary is gone once its file is" "$(log_tail attack)"

section "2. replies over PROTO_MAX_BODY"
# 100,000 yearly jobs with 100-byte commands: 11 MB of table (under CRONTAB_MAX_BYTES), a STATUS
# reply of about 26 MB and a NEXT reply of about 18 MB (PROTO_MAX_BODY is 16 MB and 64 KiB)
pad=$(printf '%0100d' 0)
awk -v n=$ENTRIES -v pad="$pad" 'BEGIN { for (i = 1; i <= n; i++) printf "0 0 1 1 * echo big-%06d-%s\n", i, pad }' \
        >"$T/big.cron"
chmod 644 "$T/big.cron"
ctl "$BIG" install "$T/big.cron"
want "a table of $ENTRIES entries is installed" 0
# every_job NAME: every job of the table (TABLE:LINE, as status and next show it) is in $T/out
every_job() {
        local n
        n=$(grep -oE "$BIG:[0-9]+ " "$T/out" | sort -u | wc -l)
        if [ "$n" = "$ENTRIES" ] && grep -q "$BIG:1 " "$T/out" && grep -q "$BIG:$ENTRIES " "$T/out"; then
                pass "$1"
        else
                flunk "$1" "$n of $ENTRIES jobs listed; exit $RC; stderr: $(head -c 600 "$T/err")"
        fi
}
R_IN=/dev/null r "$BIG" timeout 60 "$TOCKCTL" --socket "$SOCK" status
want "the owner's tockctl status answers" 0 !err "did not answer"
every_job "the owner's tockctl status lists every one of the $ENTRIES jobs"
R_IN=/dev/null r "$BIG" timeout 60 "$TOCKCTL" --socket "$SOCK" next --count $ENTRIES
want "the owner's tockctl next --count $ENTRIES answers" 0 !err "did not answer"
every_job "the owner's tockctl next --count $ENTRIES lists the next run of every job"
if $IS_ROOT; then
        r "" timeout 60 "$TOCKCTL" --socket "$SOCK" status
        want "root's tockctl status answers whatever one user's table holds" 0 !err "did not answer"
        every_job "root's tockctl status lists every job of that user"
        r "" timeout 60 "$TOCKCTL" --socket "$SOCK" status --json
        want "root's tockctl status --json answers" 0
        want_json "root's tockctl status --json is one JSON document"
        r "" timeout 60 "$TOCKCTL" --socket "$SOCK" next --count $ENTRIES
        want "root's tockctl next --count $ENTRIES answers" 0 !err "did not answer"
        # Replies are written as the socket drains: a client that does not read makes tockd hold
        # a part (256 KiB) and a cursor, not the whole reply. Root is under no budget, so 30 of
        # root's STATUS requests never read would make a tockd that builds replies whole hold
        # 30 x 26 MB.
        base=$(rss_kb)
        mkfifo "$T/stall.fifo"
        "$PEER" "$SOCK" stall 30 "$PID" <"$T/stall.fifo" >"$T/stall.out" 2>&1 &
        STALL_PID=$!
        CLEAN_PIDS+=("$STALL_PID")
        exec 8>"$T/stall.fifo"
        wait_until 60 test -s "$T/stall.out"
        read -r _ _ _ peak <"$T/stall.out"
        if [ -n "$peak" ] && [ "$peak" -lt $((base + 64 * 1024)) ]; then
                pass "30 of root's STATUS never read: tockd grows by under 64 MB (${base} kB before, ${peak} kB at most)"
        else
                flunk "30 of root's STATUS never read: tockd grows by under 64 MB" "${base} kB before, ${peak:-?} kB at most"
        fi
        r "" timeout 60 "$TOCKCTL" --socket "$SOCK" status
        want "root's tockctl status answers while 30 replies wait to be read" 0 !err "did not answer"
        every_job "... and lists every job"
        exec 8>&-
        wait "$STALL_PID"
        forget "$STALL_PID"
else
        root_skip "root's tockctl status with a user's table over the limit"
fi
# the owner's STATUS read slowly while the table changes: the reply is called off, not mixed
mkfifo "$T/pause.fifo"
as "$BIG" "$PEER" "$SOCK" status-pause <"$T/pause.fifo" >"$T/pause.out" 2>&1 &
PAUSE_PID=$!
CLEAN_PIDS+=("$PAUSE_PID")
exec 9>"$T/pause.fifo"
wait_until 20 grep -q paused "$T/pause.out"
{ cat "$T/big.cron"; echo "# changed"; } >"$T/big2.cron"
chmod 644 "$T/big2.cron"
ctl "$BIG" install "$T/big2.cron"
want "the table is changed while a STATUS of it is half read" 0
(trap "" PIPE; echo go >&9) 2>/dev/null # the peer may be gone: its checks say so
exec 9>&-
wait "$PAUSE_PID"
forget "$PAUSE_PID"
check "the rest of that STATUS is an ERROR -EAGAIN flagged PROTO_FLAG_ABORT (the reply is void)" \
        grep -q "^ERROR -11 the tables changed while tockd was sending this reply; ask again flags=4" "$T/pause.out"
check "... after more than one part (the reply was going out in parts)" \
        grep -qE "^parts ([3-9]|[1-9][0-9]+)$" "$T/pause.out"
r "$BIG" "$PEER" "$SOCK" status-whole
want "a client that cannot take a reply in parts gets an error saying so, then tockd closes" 0 \
        out "ERROR -90 the reply is over" out "use the tockctl that came with tockd" out "closed"
check "tockd still answers after all that" tc_alive attack
ctl "$BIG" remove
want "the big table is removed" 0

section "4. held tockctl runs of one user (jobs.max_manual_runs_per_user = $MAX_RUNS)"
put "$T/runner.cron" <<EOF
[name:hold] 0 0 1 1 * while [ ! -e $T/shared/stop-holds ]; do sleep 0.2; done
EOF
chmod 644 "$T/runner.cron"
ctl "$RUNNER" install "$T/runner.cron"
want "the runner's table is installed" 0
mark=$(log_mark attack)
run_pids=()
for i in $(seq $MAX_RUNS); do
        as "$RUNNER" "$TOCKCTL" --socket "$SOCK" run hold </dev/null >"$T/run$i.out" 2>&1 &
        run_pids+=($!)
        CLEAN_PIDS+=($!)
done
runs_started() { [ "$(tail -n "+$((mark + 1))" "$T/attack/log" | grep -c ": run now by uid")" -ge "$1" ]; }
wait_until 20 runs_started $MAX_RUNS
check "$MAX_RUNS runs of the user are going" runs_started $MAX_RUNS
R_IN=/dev/null r "$RUNNER" timeout 10 "$TOCKCTL" --socket "$SOCK" run hold
want "run number $((MAX_RUNS + 1)) is refused with an error naming the limit" 1 err "jobs.max_manual_runs_per_user"
if $IS_ROOT; then
        r "" timeout 60 "$TOCKCTL" --socket "$SOCK" status
        want "root's tockctl status answers while the runs are held" 0 out "hold"
else
        root_skip "root's tockctl status while the runs are held"
fi
touch "$T/shared/stop-holds"
for p in "${run_pids[@]}"; do
        wait "$p"
        forget "$p"
done
ctl "$RUNNER" run hold
want "once the held runs end, the user may run again" 0
check "tockd is alive and clean" tc_alive attack
td_stop_ok attack

section "5. every slot but root's reserve held by runs that cannot be closed"
# A RUN in progress is never closed to make room. With no per-user limit on runs
# (jobs.max_manual_runs_per_user = 0), one user asks for 260 of them (more than the 256
# connections tockd takes), each a `cat` waiting on a pipe: tockd takes 240 (256 less the 16 it
# keeps for root) and closes the rest at once; root still gets in.
if $IS_ROOT; then
        td_prepare reserve
        printf '[jobs]\nmax_manual_runs_per_user = 0\n' >"$T/reserve/tockd.conf"
        tc_start reserve || { finish; exit; }
        echo '[name:wait] 0 0 1 1 * cat' >"$T/cat.cron"
        chmod 644 "$T/cat.cron"
        ctl "$RUNNER" install "$T/cat.cron"
        want "the runner's table is installed" 0
        mkfifo "$T/holdruns.fifo"
        as "$RUNNER" "$PEER" "$SOCK" hold-runs 260 wait <"$T/holdruns.fifo" >"$T/holdruns.out" 2>&1 &
        HOLD_PID=$!
        CLEAN_PIDS+=("$HOLD_PID")
        exec 7>"$T/holdruns.fifo"
        wait_until 60 grep -q "^started" "$T/holdruns.out"
        check "tockd runs 240 of the 260 (all the slots not kept for root)" grep -qx "started 240" "$T/holdruns.out"
        R_IN=/dev/null r "$RUNNER" timeout 20 "$TOCKCTL" --socket "$SOCK" status
        want "the runner's next connection finds no slot: tockd closes it, exit 4" 4 err "tockd closed the connection"
        r "" timeout 20 "$TOCKCTL" --socket "$SOCK" status
        want "root's tockctl status answers: root's reserve is free" 0 out "wait"
        r "" timeout 20 "$TOCKCTL" --socket "$SOCK" run -u "$RUNNER" wait
        want "root can even run a job then" 0
        exec 7>&-
        wait_until 60 grep -q "^done" "$T/holdruns.out"
        check "the 240 runs end once their pipe closes" grep -qx "done 240" "$T/holdruns.out"
        wait "$HOLD_PID"
        forget "$HOLD_PID"
        R_IN=/dev/null r "$RUNNER" timeout 20 "$TOCKCTL" --socket "$SOCK" status
        want "then the runner gets in again" 0
        check "tockd is alive and clean" tc_alive reserve
        td_stop_ok reserve
else
        root_skip "every slot but root's reserve held"
fi
finish
