#!/usr/bin/env bash
# A fleet of three tockd coordinated through a real three-member etcd cluster (Debian's
# etcd-server), all on loopback with random free ports, temp data dirs, started and stopped by
# PID here (issue 14). One table, shared by path and text, has a per-second fleet job and a
# per-second plain job; each appends "HOST FIRE_TIME" (TOCK_FIRE_TIME, the nominal second) to
# its log. Checked: every fire time of the fleet job in a window ran exactly once across the
# three hosts; the plain job ran on all three. Then the faults: a tockd killed; one etcd member
# killed (quorum kept); two killed (quorum lost: fleet.unreachable=skip is followed, nothing runs
# twice once quorum is back); a tockd SIGSTOPped past its lease and resumed; a host whose clock is
# 2 s ahead (libfaketime). Bad [fleet] configuration is logged clearly and the plain job runs on.
#
# TOCK_FLEET_QUICK=1 (tests/run-all.sh sets it for the ASan pass) shortens every window.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tockd-lib.sh"
export TZ=UTC

td_require_tockd "tockd fleet"
td_require_home "tockd fleet"
# a tockd with the fleet loads libcurl.so.4 by that name when a fleet is configured (fleet-libs.c)
if ! "$TOCKD" --dump-config 2>/dev/null | grep -c "^\[fleet\]" >/dev/null || ! grep -qa 'libcurl\.so\.4' "$TOCKD"; then
        td_skip_all "tockd fleet" "$TOCKD was built without fleet support (make FLEET=1 needs libcurl4-openssl-dev and libjansson-dev)"
fi
if ! command -v etcd >/dev/null; then
        if [ "$(id -u)" = 0 ]; then
                DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends etcd-server >/dev/null 2>&1
        fi
        command -v etcd >/dev/null || td_skip_all "tockd fleet" "no etcd (Debian's etcd-server; apt-get install etcd-server as root)"
fi
command -v curl >/dev/null || td_skip_all "tockd fleet" "no curl command (to ask etcd for its health)"

QUICK=${TOCK_FLEET_QUICK:-0}
W=8; [ "$QUICK" = 1 ] && W=4 # seconds of each window
TTL=3

. "$(dirname "$0")/fleet-lib.sh"

# in a long log, grep -q ends the pipe early and pipefail would make tail's SIGPIPE a failure
log_has_since() { tail -n "+$(($2 + 1))" "$T/$1/log" | grep -F -- "$3" >/dev/null; }

section "three etcd members"
for i in 1 2 3; do etcd_start "$i"; done
if wait_until 30 all_healthy; then pass "the etcd cluster is healthy"
else flunk "the etcd cluster is healthy" "$(tail -n 5 "$T"/etcd*/log)"; finish; exit; fi

# ---- three tockd sharing one table
TABLE=$T/shared.cron
cat >"$TABLE" <<EOF
[sec:* fleet] * * * * * echo "\$FLEET_HOST \$TOCK_FIRE_TIME" >> $T/fleet.log
[sec:*] * * * * * echo "\$FLEET_HOST \$TOCK_FIRE_TIME" >> $T/plain.log
EOF
chmod 644 "$TABLE"
# window_lines KIND A B: the lines of KIND.log (fleet or plain) whose fire time is in [A, B)
window_lines() { awk -v a="$2" -v b="$3" '$2 >= a && $2 < b' "$T/$1.log" 2>/dev/null; }
# exactly_once NAME A B: every second of [A, B) is in fleet.log once
exactly_once() {
        local name=$1 a=$2 b=$3 dup missing
        dup=$(window_lines fleet "$a" "$b" | awk '{ print $2 }' | sort | uniq -d | head -5 | tr '\n' ' ')
        missing=$(for ((s = a; s < b; s++)); do window_lines fleet "$a" "$b" | awk -v s="$s" '$2 == s { f = 1 } END { exit !f }' || echo "$s"; done | head -5 | tr '\n' ' ')
        if [ -z "$dup" ] && [ -z "$missing" ]; then pass "$name: each fire time $a..$((b - 1)) of the fleet job ran exactly once"
        else flunk "$name: each fire time ran exactly once" "twice: [$dup] missing: [$missing]; $(window_lines fleet "$a" "$b" | sort -k2 | tr '\n' ';')"; fi
}
no_double() {
        local name=$1 a=$2 b=$3 dup
        dup=$(window_lines fleet "$a" "$b" | awk '{ print $2 }' | sort | uniq -d | head -5 | tr '\n' ' ')
        if [ -z "$dup" ]; then pass "$name: no fire time of the fleet job ran twice ($a..$((b - 1)))"
        else
                flunk "$name: no fire time ran twice" "twice: [$dup]: $(for s in $dup; do grep " $s\$" "$T/fleet.log"; grep -h "fire time $s" "$T"/h?/log; done)"
        fi
}
plain_on() { # NAME A B HOST...: the plain job ran every second of [A, B) on each HOST
        local name=$1 a=$2 b=$3 h n; shift 3
        for h in "$@"; do
                n=$(window_lines plain "$a" "$b" | awk -v h="$h" '$1 == h' | awk '{ print $2 }' | sort -u | wc -l)
                if [ "$n" = $((b - a)) ]; then pass "$name: the plain job ran each second on $h"
                else flunk "$name: the plain job ran each second on $h" "$n of $((b - a)) seconds"; fi
        done
}
now_s() { date +%s; }
# a window of W whole seconds starting at the next second plus one, once it is over (and 2 s more
# for the last runs to be written)
run_window() { # seconds; sets A B
        A=$(($(now_s) + 2))
        B=$((A + $1))
        while [ "$(now_s)" -lt $((B + 2)) ]; do sleep 0.2; done
}

section "libcurl and jansson are loaded only in a fleet"
if td_start solo --table "$TABLE"; then
        check "a tockd in no fleet has neither libcurl nor jansson mapped" sh -c "! grep -qE 'libcurl|libjansson' /proc/${TD_PID[solo]}/maps"
        td_stop_ok solo
fi

section "three tockd, one table"
for n in h1 h2 h3; do start_host "$n" || { finish; exit; }; done
check "a tockd in a fleet has loaded libcurl and jansson (dlopen)" sh -c "grep -q libcurl /proc/${TD_PID[h1]}/maps && grep -q libjansson /proc/${TD_PID[h1]}/maps"
wait_until 10 eval 'grep -q "claimed fire time" "$T/h1/log" "$T/h2/log" "$T/h3/log"' 
run_window "$W"
exactly_once "all up" "$A" "$B"
plain_on "all up" "$A" "$B" h1 h2 h3
if log_has h1 "ran on h" || log_has h2 "ran on h" || log_has h3 "ran on h"; then pass "losers log where the fire time ran"
else flunk "losers log where it ran" "$(tail -n 5 "$T/h1/log")"; fi

section "status, why, fleet, metrics"
TOCKCTL=${TOCKCTL:-build/tockctl}
TOCK_SOCKET=$T/h1/tockd.sock "$TOCKCTL" why "$TABLE:1" >"$T_TMP/out" 2>"$T_TMP/err"
expect_grep out "fleet: its fire time"
# status: a host whose last claim another host won shows that host (each loses about 2 in 3)
for n in h1 h2 h3; do TOCK_SOCKET=$T/$n/tockd.sock "$TOCKCTL" status; done >"$T_TMP/out" 2>"$T_TMP/err"
expect_grep out "ran on h"
TOCK_SOCKET=$T/h2/tockd.sock "$TOCKCTL" status --json >"$T_TMP/out" 2>"$T_TMP/err"
expect_grep out '"fleet_last_host"'
TOCK_SOCKET=$T/h1/tockd.sock "$TOCKCTL" fleet >"$T_TMP/out" 2>"$T_TMP/err"
expect_grep out "fleet test, this member h1"
expect_grep out "h2"
TOCK_SOCKET=$T/h1/tockd.sock "$TOCKCTL" metrics >"$T_TMP/out" 2>"$T_TMP/err"
expect_grep out 'tock_fleet_claims_total{outcome="won"}'

section "a tockd killed"
kill -KILL "${TD_PID[h3]}"; wait "${TD_WRAP[h3]}" 2>/dev/null; unset "TD_PID[h3]" "TD_WRAP[h3]"
run_window "$W"
exactly_once "h3 killed" "$A" "$B"
plain_on "h3 killed" "$A" "$B" h1 h2
start_host h3 || { finish; exit; }

section "one etcd member killed (quorum kept)"
etcd_stop 1
run_window "$W"
exactly_once "etcd e1 down" "$A" "$B"

section "two etcd members killed (quorum lost)"
# h1 and h2 keep fleet.unreachable=skip; h3 is reloaded with local: during the outage it alone
# runs the fleet job, every second, and h1 and h2 run none
sed -i 's/^unreachable = .*/unreachable = local/' "$T/h3/tockd.conf"
M3=$(log_mark h3)
td_signal h3 HUP
wait_log_since 10 h3 "$M3" "when etcd is unreachable: run here" || flunk "h3 reloads with unreachable=local" "$(tail -n 3 "$T/h3/log")"
etcd_stop 2
M1=$(log_mark h1)
M3=$(log_mark h3)
run_window "$W"
QA=$A QB=$B
no_double "quorum lost" "$A" "$B"
N=$(window_lines fleet "$A" "$B" | grep -vc "^h3 ")
if [ "$N" = 0 ]; then pass "quorum lost: fleet.unreachable=skip runs no fire time (h1, h2)"
else flunk "quorum lost: skip runs nothing" "$N runs on h1 and h2"; fi
if log_has_since h1 "$M1" "not claimed: etcd"; then pass "quorum lost: the skip is logged"
else flunk "quorum lost: the skip is logged" "$(tail -n 5 "$T/h1/log")"; fi
exactly_once "quorum lost, h3 with unreachable=local" "$A" "$B"
if log_has_since h3 "$M3" "runs here (fleet.unreachable=local)"; then pass "quorum lost: h3 says it runs them here"
else flunk "quorum lost: h3 says it runs them here" "$(tail -n 5 "$T/h3/log")"; fi
plain_on "quorum lost" "$A" "$B" h1 h2 h3
# back to skip before quorum returns: with local, a fire time whose claim fails on h3 while the
# members come back may be claimed by another host too (local means at least once)
sed -i 's/^unreachable = .*/unreachable = skip/' "$T/h3/tockd.conf"
M3=$(log_mark h3)
td_signal h3 HUP
wait_log_since 10 h3 "$M3" "when etcd is unreachable: skip" || flunk "h3 reloads with unreachable=skip" "$(tail -n 3 "$T/h3/log")"
# ... and every claim sent while h3 ran fire times here has failed on h1 and h2: a fire time 3 s
# ahead is skipped on all three (a claim tries each endpoint for at most 1.5 s)
F=$(($(now_s) + 3))
skipped_everywhere() { log_has h1 "fire time $1 not claimed" && log_has h2 "fire time $1 not claimed" && log_has h3 "fire time $1 not claimed"; }
wait_until 20 skipped_everywhere "$F" || flunk "fire time $F is skipped on every host" "$(grep -h "fire time $F" "$T"/h?/log)"
etcd_start 1 existing; etcd_start 2 existing
wait_until 30 all_healthy || flunk "etcd recovers" "$(tail -n 5 "$T"/etcd1/log)"
run_window "$W"
exactly_once "quorum back" "$A" "$B"
no_double "over the outage" "$QA" "$B"

section "a tockd stopped past its lease"
kill -STOP "${TD_PID[h2]}"
sleep $((TTL * 2 + 1))
kill -CONT "${TD_PID[h2]}"
run_window "$W"
no_double "h2 stopped and resumed" "$((A - TTL * 2 - 4))" "$B"
exactly_once "after h2 resumed" "$A" "$B"

section "a host 2 s ahead"
td_stop h3
start_host h3 skip "+2s" || { finish; exit; }
run_window "$W"
exactly_once "h3 2 s ahead" "$A" "$B"

section "spread"
# over the whole run (every window, faults included): the claim delay is drawn from host and key,
# so no host wins them all
SPREAD=$(awk '{ print $1 }' "$T/fleet.log" | sort | uniq -c | awk '{ printf "%s:%s ", $2, $1 }')
if [ "$(awk '{ print $1 }' "$T/fleet.log" | sort -u | wc -l)" -ge 3 ]; then pass "the fleet job's runs spread over the 3 hosts ($SPREAD)"
else flunk "the runs spread over the hosts" "$SPREAD"; fi

section "bad fleet configuration"
printf '[fleet]\nendpoints = ftp://nowhere\nname = test\n[jobs]\ninherit_env = yes\n' >"$T/h1/tockd.conf"
M1=$(log_mark h1)
td_signal h1 HUP
wait_log_since 10 h1 "$M1" "is not an etcd client URL" && pass "a bad endpoint is a clear error at reload" ||
        flunk "a bad endpoint is a clear error" "$(tail -n 5 "$T/h1/log")"
printf '[fleet]\nendpoints = %s\ncacert = %s/missing.pem\n[jobs]\ninherit_env = yes\n' "$ENDPOINTS" "$T" >"$T/h1/tockd.conf"
M1=$(log_mark h1)
td_signal h1 HUP
wait_log_since 10 h1 "$M1" "fleet.cacert: cannot read" && pass "a missing TLS file is a clear error at reload" ||
        flunk "a missing TLS file is a clear error" "$(tail -n 5 "$T/h1/log")"
M1=$(now_s)
wait_until 5 eval '[ "$(window_lines plain $((M1 + 1)) $((M1 + 3)) | grep -c "^h1 ")" -ge 2 ]' &&
        pass "the plain job runs on after a bad fleet configuration" || flunk "the plain job runs on" "no new runs on h1"
fleet_conf h4
sed -i "s|^endpoints = .*|endpoints = 127.0.0.1:${CP[1]}|" "$T/h4/tockd.conf"
printf '[jobs]\ninherit_env = yes\n' >>"$T/h4/tockd.conf"
TD_PREFIX=(env FLEET_HOST=h4)
td_start h4 --table "$TABLE"
TD_PREFIX=()
log_has h4 "fleet.endpoints: '127.0.0.1:${CP[1]}' is not an etcd client URL" && pass "a bad endpoint is a clear error at start" ||
        flunk "a bad endpoint is a clear error at start" "$(tail -n 5 "$T/h4/log")"
M1=$(now_s)
wait_until 5 eval '[ "$(window_lines plain $((M1 + 1)) $((M1 + 3)) | grep -c "^h4 ")" -ge 2 ]' &&
        pass "the plain job runs on a tockd started with a bad fleet configuration" || flunk "the plain job runs on h4" "no runs on h4"
wait_log 5 h4 "not claimed: fleet.endpoints" && pass "its fleet job is skipped, saying why" ||
        flunk "its fleet job is skipped, saying why" "$(tail -n 5 "$T/h4/log")"
td_stop h4
echo "[sec:* fleet:sometimes] * * * * * true" >"$T_TMP/bad.cron"
"$TOCKCTL" check "$T_TMP/bad.cron" >"$T_TMP/out" 2>"$T_TMP/err"
expect_grep err "fleet is fleet, fleet:once"

for n in h1 h2 h3; do td_stop "$n"; done
for i in 1 2 3; do etcd_stop "$i"; done
section "no libcurl on the machine: the fleet is refused, saying what to install"
if [ "$(id -u)" = 0 ] && unshare -m --propagation private true 2>/dev/null; then
        : >"$T/empty-lib"
        hide=""
        for l in libcurl.so.4 libcurl-gnutls.so.4; do
                f=$(ldconfig -p | awk -v l="$l" '$1 == l { print $NF; exit }')
                [ -n "$f" ] && hide="$hide mount --bind '$T/empty-lib' '$(readlink -f "$f")' &&"
        done
        fleet_conf nolib
        TD_PREFIX=(unshare -m --propagation private sh -c "$hide exec \"\$@\"" sh)
        td_start nolib --table "$TABLE" && started=true || started=false
        TD_PREFIX=()
        if $started; then
                if wait_until 5 log_has nolib "fleet: cannot load libcurl.so.4 (install libcurl4): "; then
                        pass "tockd says libcurl cannot be loaded and which package has it"
                else flunk "tockd says libcurl cannot be loaded" "$(log_tail nolib 5)"; fi
                if wait_until 5 log_match nolib "shared.cron:1 .*not run: fire time [0-9]* not claimed: fleet: cannot load libcurl"; then
                        pass "the fleet job is skipped, saying why"
                else flunk "the fleet job is skipped, saying why" "$(log_tail nolib 5)"; fi
                check "the plain job runs" wait_until 5 log_has nolib "shared.cron:2 ("
                td_stop_ok nolib
        fi
else
        skip "no libcurl on the machine" "needs root and a private mount namespace (unshare -m)"
fi

finish
