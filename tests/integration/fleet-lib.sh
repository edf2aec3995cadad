# tests/integration/fleet-lib.sh: three etcd members and tockd fleet members on loopback, for
# test-tockd-fleet.sh and bench/fleet.sh. Source it after lib.sh and tockd-lib.sh, with TTL set
# (fleet.lease_ttl, seconds) and TABLE the shared table's path. Every process is started here
# and stopped by PID (tockd-lib.sh's trap ends what is left).

# ---- etcd: three members
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
declare -A USED=()
# below the kernel's ephemeral range (ip_local_port_range, 32768 up by default): an outgoing
# connection could take a port of that range while its member is down, and the member's restart
# would fail with "address already in use"
free_port() {
        local p lo
        read -r lo _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || lo=32768
        [ "$lo" -gt 21024 ] || lo=61000 # a machine with a wide ephemeral range: above it, then
        while :; do
                if [ "$lo" = 61000 ]; then p=$((61000 + RANDOM % 4000)); else p=$((20000 + RANDOM % (lo - 20000))); fi
                [ -z "${USED[$p]:-}" ] && port_free "$p" && { USED[$p]=1; echo "$p"; return; }
        done
}
declare -a CP PP EPID
CLUSTER=
for i in 1 2 3; do
        CP[$i]=$(free_port)
        PP[$i]=$(free_port)
        CLUSTER+="${CLUSTER:+,}e$i=http://127.0.0.1:${PP[$i]}"
done
ENDPOINTS="http://127.0.0.1:${CP[1]},http://127.0.0.1:${CP[2]},http://127.0.0.1:${CP[3]}"

etcd_start() {
        local i=$1
        mkdir -p "$T/etcd$i"
        etcd --name "e$i" --data-dir "$T/etcd$i/data" --listen-client-urls "http://127.0.0.1:${CP[$i]}" \
                --advertise-client-urls "http://127.0.0.1:${CP[$i]}" --listen-peer-urls "http://127.0.0.1:${PP[$i]}" \
                --initial-advertise-peer-urls "http://127.0.0.1:${PP[$i]}" --initial-cluster "$CLUSTER" \
                --initial-cluster-state "${2:-new}" --initial-cluster-token "tock-test-$$" --logger zap --log-level error \
                >>"$T/etcd$i/log" 2>&1 &
        EPID[$i]=$!
        CLEAN_PIDS+=("${EPID[$i]}")
}
etcd_stop() { kill -KILL "${EPID[$1]}" 2>/dev/null; wait "${EPID[$1]}" 2>/dev/null; forget "${EPID[$1]}"; }
etcd_healthy() { curl -s -m 1 "http://127.0.0.1:${CP[$1]}/health" | grep -q '"health":"true"'; }
all_healthy() { etcd_healthy 1 && etcd_healthy 2 && etcd_healthy 3; }

fleet_conf() { # NAME [UNREACHABLE]
        td_prepare "$1"
        cat >"$T/$1/tockd.conf" <<EOF
[fleet]
endpoints = $ENDPOINTS
name = test
host = $1
lease_ttl = ${TTL}s
unreachable = ${2:-skip}
EOF
}
# the table's jobs see tockd's environment (jobs.inherit_env): FLEET_HOST names the host
start_host() { # NAME [UNREACH] [FAKETIME]
        local n=$1
        fleet_conf "$n" "${2:-skip}"
        printf '[jobs]\ninherit_env = yes\n' >>"$T/$n/tockd.conf"
        TD_PREFIX=(env FLEET_HOST="$n")
        if [ -n "${3:-}" ]; then td_start_faketime "$n" "$3" --table "$TABLE"; else td_start "$n" --table "$TABLE"; fi
        local r=$?
        TD_PREFIX=()
        return $r
}

