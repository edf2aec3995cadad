#!/usr/bin/env bash
# tockd's control socket against broken and hostile clients (proto-peer.c writes the bytes by
# hand): a client gone mid-header or mid-body, an oversized header, a malformed body, bytes that
# are no header, another protocol version, unexpected file descriptors, more idle connections
# than tockd keeps, replies never read, and 200 tockctl clients at once while a [sec:*/1] job
# fires every second. tockd must answer each with an error or by closing that connection only,
# keep its schedule without a gap, never crash, and leave no sanitizer report in its log.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tockd-lib.sh"
. "$(dirname "$0")/tockctl-lib.sh"
export TZ=UTC

tc_need_binaries "tockd's socket against bad clients"
td_require_home "tockd's socket against bad clients"
tc_cc proto-peer || { finish; exit; }
PEER=$T/proto-peer
B=$T/robust
td_prepare robust
put "$B/cron.d/sec" <<EOF
[sec:*/1 name:sec] * * * * * $ME date +\%s >> $T/shared/sec
[name:slow] 0 0 1 1 * $ME sleep 1; echo done >> $T/shared/slow
EOF
tc_start robust || { finish; exit; }
PID=${TD_PID[robust]}
wait_until 10 has_lines "$T/shared/sec" 1 || flunk "the [sec:*/1] job runs" "$(log_tail robust)"

# peer MODE [ARGS]: runs proto-peer against tockd, its output in $T/out
peer() { r "" "$PEER" "$SOCK" "$@"; }
# answers: tockd is alive, clean, and answers HELLO and tockctl status
answers() {
        tc_alive robust && "$PEER" "$SOCK" hello | grep -q '^OK version=' &&
                "$TOCKCTL" --socket "$SOCK" status >/dev/null 2>&1
}

section "5. broken messages"
peer hello
want "a well-formed HELLO is answered with tockd's version, the caller's uid and name" 0 \
        =out "OK version=$("$TOCKCTL" --version | cut -d' ' -f2) uid=$(id -u) user=$ME"
peer half-header
check "a client gone after half a header: tockd still answers" answers
peer promise-close
check "a client gone after a header promising a body: tockd still answers" answers
peer oversize
max=$(sed -n 's/^limit //p' "$T/out")
want "a header announcing a body over the limit: an error saying so, then the connection is closed" 0 \
        out "ERROR -90 message of $((max + 1)) bytes is over the limit of $max" out "closed"
check "tockd still answers" answers
peer malformed
want "a body whose string runs past its end: a 'malformed request' error" 0 =out "ERROR -74 malformed request"
peer trailing
want "a body with bytes left over: a 'malformed request' error" 0 =out "ERROR -74 malformed request"
peer garbage
want "bytes that are no header: the connection is closed without a reply" 0 =out "closed without a reply"
check "tockd still answers" answers
# tockd's own version (common/proto.h), and the ones it is not: the one before, the next, 0 and the largest
PV=$(sed -n 's/^#define PROTO_VERSION \([0-9]*\).*/\1/p' "$(dirname "$0")/../../common/proto.h")
for v in $((PV - 1)) $((PV + 1)) 0 65535; do
        peer version $v
        want "a client of protocol version $v gets the version message, then the connection is closed" 0 \
                out "ERROR -93 tockctl speaks protocol version $v, tockd " out " speaks $PV: use the tockctl that came with tockd" \
                out "closed"
done
peer fds
want "a file descriptor with a request that takes none: an error, then the connection is closed" 0 \
        out "ERROR -74 unexpected file descriptors" out "closed"
check "tockd still answers after every broken message" answers

section "5. a tockctl run killed while its job runs"
"$TOCKCTL" --socket "$SOCK" run slow >"$T/slow.out" 2>"$T/slow.err" &
runner=$!
CLEAN_PIDS+=("$runner")
if wait_until 10 grep -q "started pid" "$T/slow.err"; then
        {
                kill -KILL "$runner"
                wait "$runner"
        } 2>/dev/null
        forget "$runner"
        check "the job goes on after the tockctl run waiting for it is killed" wait_until 10 test -s "$T/shared/slow"
        check "tockd logs its end" wait_log 10 robust "$B/cron.d/sec:2 ($ME) ended"
        check "tockd still answers" answers
else
        flunk "tockctl run starts the job" "$(cat "$T/slow.err")"
fi

section "5. many connections"
# more idle connections than tockd keeps (256): the oldest idle ones make room, tockctl gets in
peer_hold hold hold 300
if grep -q '^held ' "$T/hold.out"; then
        check "300 half-open connections are all accepted" grep -qx 'held 300' "$T/hold.out"
else flunk "300 half-open connections are all accepted" "$(cat "$T/hold.out")"; fi
ctl "" status
want "tockctl status gets in past 300 idle connections" 0 out "tockd "
peer_release

# 200 tockctl status at once, and 60 half-open connections held meanwhile
peer_hold hold2 hold 60
mkdir -p "$T/storm"
t0=$(date +%s)
# rounds of 200 at once, for 3 seconds at least
round=0
while [ "$round" = 0 ] || [ "$(date +%s)" -lt $((t0 + 3)) ]; do
        round=$((round + 1))
        pids=()
        for i in $(seq 200); do
                { "$TOCKCTL" --socket "$SOCK" status >"$T/storm/$round.$i.out" 2>"$T/storm/$round.$i.err"
                        echo $? >"$T/storm/$round.$i.rc"; } &
                pids+=($!)
        done
        wait "${pids[@]}"
done
ctl "" status
want "tockctl status answers right after the storm" 0 out "tockd "
peer_release
t1=$(date +%s)
bad=$(grep -Lx 0 "$T/storm/"*.rc | wc -l)
if [ "$bad" = 0 ] && [ "$(grep -l '^tockd ' "$T/storm/"*.out | wc -l)" = $((round * 200)) ]; then
        pass "$round rounds of 200 tockctl status at once: every one gets its answer"
else
        flunk "$round rounds of 200 tockctl status at once: every one gets its answer" \
                "$bad failed; e.g.: $(cat "$(grep -Lx 0 "$T/storm/"*.rc | head -n 1 | sed 's/rc$/err/')" 2>/dev/null)"
fi
check "60 half-open connections were held meanwhile" grep -qx 'held 60' "$T/hold2.out"
wait_until 10 grep -qx "$((t1 + 1))" "$T/shared/sec"
gaps=$(seconds_gaps "$T/shared/sec" "$t0" "$t1")
if [ -z "$gaps" ]; then
        pass "the [sec:*/1] job ran every second from $t0 to $t1 ($((t1 - t0 + 1)) s) meanwhile"
else
        flunk "the [sec:*/1] job ran every second meanwhile" "missing seconds: $gaps; log: $(grep -F 'sec:1' "$B/log" | tail -n 20)"
fi
check "tockd still answers after 200 clients" answers

section "5. replies never read"
# a client that sends request after request and never reads: tockd must not buffer without bound
rss() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$PID/status"; }
rss0=$(rss)
peer_hold pipe pipeline 300
wait_until 5 eval '[ "$(rss)" -gt $((rss0 + 65536)) ]' # up to 5 s for tockd to work through them
rss1=$(rss)
check "tockd still answers while a client does not read its replies" answers
peer_release
grown=$(((rss1 - rss0) / 1024))
if [ "$grown" -le 64 ]; then
        pass "300 requests sent without reading the replies cost tockd ${grown} MiB (bounded)"
else
        bug "300 requests sent without reading the replies cost tockd little memory" \
                "tockd's memory grew by $grown MiB: client_read() in daemon/control.c reads request after request and client_send() appends every reply to an output buffer without limit while the client reads nothing (2000 NEXT requests of 20 bytes took 1.3 GB)"
fi
check "tockd still answers once that client is gone" answers

section "8. input files that are no table: one message, exit 3 (crontab: 1, as cron), never a hang"
# issue 10, item 8: every table tockctl reads goes through read_input(); a FIFO without a writer
# once blocked install forever, /dev/urandom gave next another message and exit code than check
mkfifo "$T/in.fifo"
mkdir "$T/in.dir"
truncate -s $((16 * 1024 * 1024 + 1)) "$T/in.big" # sparse: costs no disk
why_of() {
        case $1 in
        *.fifo | /dev/urandom) echo "not a regular file" ;;
        *.dir) echo "Is a directory" ;;
        *.big) echo "larger than the 16777216-byte limit for a table" ;;
        esac
}
for f in "$T/in.fifo" /dev/urandom "$T/in.dir" "$T/in.big"; do
        for how in check install "next --file"; do
                # shellcheck disable=SC2086 # "next --file" is two words
                r "" timeout 10 "$TOCKCTL" --socket "$SOCK" $how "$f"
                want "${how%% *} ${f##*/}: refused at once, exit 3" 3 =err "$f: error: cannot read: $(why_of "$f")"
        done
        # the `crontab` name: the same message, and cron's exit code 1 for every failure
        for how in "" -n; do
                # shellcheck disable=SC2086
                r "" timeout 10 "$CRONTAB" $how "$f"
                want "crontab ${how:+$how }${f##*/}: refused at once with the same message, exit 1 (cron's)" 1 \
                        =err "$f: error: cannot read: $(why_of "$f")"
        done
done
for how in check install "next --file"; do
        # shellcheck disable=SC2086
        R_IN=/dev/urandom r "" timeout 20 "$TOCKCTL" --socket "$SOCK" $how -
        want "${how%% *} - from /dev/urandom: the size error, exit 3" 3 \
                =err "<stdin>: error: cannot read: larger than the 16777216-byte limit for a table"
done
R_IN=<(printf '0 0 * * * true\n') r "" timeout 10 "$TOCKCTL" --socket "$SOCK" check -
want "check - still reads a pipe on standard input" 0 out "<stdin>: valid, 1 entry"
check "tockd still answers" answers

check "tockd never crashed and its log has no sanitizer report" tc_alive robust
td_stop robust
check "tockd exits 0 on SIGTERM after all that" test "${TD_RC[robust]}" = 0
finish
