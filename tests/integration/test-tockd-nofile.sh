#!/usr/bin/env bash
# tockd out of file descriptors (prlimit gives it 32, and idle control connections take them):
# connections it cannot take are closed at once rather than leaving the listening socket to wake
# tockd in a loop, and a run due meanwhile waits and starts within about a second of descriptors
# coming back, with no other run whose end would bring it back.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tockd-lib.sh"
. "$(dirname "$0")/tockctl-lib.sh"
export TZ=UTC

tc_need_binaries "tockd out of descriptors"
td_require_home "tockd out of descriptors"
command -v prlimit >/dev/null || td_skip_all "tockd out of descriptors" "prlimit (util-linux) is not installed"
tc_cc proto-peer || { finish; exit; }

# cpu_ticks PID: user + system clock ticks the process has used
cpu_ticks() {
        local line
        read -r line <"/proc/$1/stat" || return 1
        line=${line##*) }
        set -- $line
        echo $((${12} + ${13}))
}

N=$T/nofile
td_prepare nofile
TD_PREFIX=(prlimit --nofile=32:32)
tc_start nofile || { finish; exit; }
TD_PREFIX=()
PID=${TD_PID[nofile]}

# a job due once, 5 s from now, while the descriptors are taken
due=$(($(date +%s) + 5))
put "$N/cron.d/t" <<EOF
[sec:$(date -u -d "@$due" +%-S)] $(date -u -d "@$due" '+%-M %-H') * * * $ME echo ran >> $T/once.out
EOF
wait_log 10 nofile "cron.d/t: loaded, 1 job" || flunk "the table is loaded" "$(log_tail nofile)"

peer_hold hold hold 60
if wait_log 10 nofile "out of file descriptors: a tockctl connection was closed unanswered"; then
        pass "connections tockd has no descriptor for are closed, and the log says so"
else flunk "connections tockd has no descriptor for are closed, and the log says so" "$(log_tail nofile)"; fi
# the listening socket does not keep tockd busy: well under half a second of CPU in 2 s
t0=$(cpu_ticks "$PID")
settle 2
t1=$(cpu_ticks "$PID")
hz=$(getconf CLK_TCK)
if [ $((t1 - t0)) -lt $((hz / 2)) ]; then pass "tockd idles while out of descriptors ($((t1 - t0)) ticks in 2 s)"
else flunk "tockd idles while out of descriptors" "$((t1 - t0)) ticks of CPU in 2 s (CLK_TCK $hz)"; fi

# the run due meanwhile is waiting for a descriptor
wait_until 10 eval '[ "$(date +%s)" -gt $((due + 1)) ]'
if log_has nofile "out of file descriptors: 1 run waits for running jobs to end"; then
        pass "the run due while out of descriptors waits"
else flunk "the run due while out of descriptors waits" "$(log_tail nofile)"; fi
check "it has not run yet" test ! -e "$T/once.out"
peer_release
if wait_until 5 nonempty "$T/once.out"; then
        pass "once descriptors are free, it runs within seconds (no run ended to bring it back)"
else flunk "once descriptors are free, it runs within seconds" "$(log_tail nofile)"; fi
check "once" test "$(nlines "$T/once.out")" = 1
ctl "" status
want "tockctl works again" 0 out "tockd "
td_stop nofile
check "tockd exits 0" test "${TD_RC[nofile]}" = 0
finish
