#!/usr/bin/env bash
# bench/fleet.sh [BUILD] [SECONDS]: figures of the fleet (issue 14) on this machine: three etcd
# members (Debian's etcd-server) and three tockd on loopback, one table with a per-second fleet
# job and a per-second plain job, for SECONDS (default 60). Prints
#   - the claim latency (the txn sent to its answer, as tockd measures it, winners and losers),
#     p50 / p99 / max;
#   - the delay from the due second to the job's start (the job's own clock), fleet job and
#     plain job, p50 / p99 / max, and the difference: what the claim adds (its 0-200 ms jitter
#     included).
# Uses the integration tests' helpers (tests/integration/fleet-lib.sh); everything in a temp dir,
# every process stopped by PID. Never fails on timing.
set -uo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
SECS=${2:-60}
export TOCKD=$B/tockd TOCKCTL=$B/tockctl TZ=UTC
. tests/integration/lib.sh
. tests/integration/tockd-lib.sh
TTL=3
. tests/integration/fleet-lib.sh
command -v etcd >/dev/null || { echo "bench/fleet.sh: no etcd (apt-get install etcd-server)"; exit 1; }

for i in 1 2 3; do etcd_start "$i"; done
wait_until 30 all_healthy || { echo "etcd did not become healthy"; exit 1; }
TABLE=$T/shared.cron
cat >"$TABLE" <<EOT
[sec:* fleet] * * * * * echo "\$FLEET_HOST \$TOCK_FIRE_TIME \$(date +\%s.\%N)" >> $T/fleet.log
[sec:*] * * * * * echo "\$FLEET_HOST \$TOCK_FIRE_TIME \$(date +\%s.\%N)" >> $T/plain.log
EOT
chmod 644 "$TABLE"
for n in h1 h2 h3; do start_host "$n" >/dev/null || exit 1; done
sleep 3 # past the first claims (leases granted, connections open)
A=$(($(date +%s) + 1))
sleep "$SECS"
B=$(date +%s)
sleep 2

# pct FILE: p50 p99 max of the numbers in FILE (one a line)
pct() { sort -n "$1" | awk '{ v[NR] = $1 } END { if (!NR) { print "-"; exit }
        i50 = int(NR * 0.50 + 0.5); i99 = int(NR * 0.99 + 0.5); if (i50 < 1) i50 = 1; if (i99 < 1) i99 = 1
        printf "%.1f / %.1f / %.1f (n=%d)\n", v[i50], v[i99], v[NR], NR }'; }

# claim latency, us -> ms, from the logs of the fire times in [A, B)
cat "$T"/h?/log | sed -n 's/.*fleet: claimed fire time \([0-9]*\) in \([0-9]*\) us.*/\1 \2/p; s/.*fleet: fire time \([0-9]*\) taken by [^;]*; answer in \([0-9]*\) us.*/\1 \2/p' |
        awk -v a="$A" -v b="$B" '$1 >= a && $1 < b { print $2 / 1000 }' >"$T/claim.ms"
delays() { awk -v a="$A" -v b="$B" '$2 >= a && $2 < b { print ($3 - $2) * 1000 }' "$T/$1.log" >"$T/$1.ms"; }
delays fleet
delays plain
runs=$(awk -v a="$A" -v b="$B" '$2 >= a && $2 < b' "$T/fleet.log" | wc -l)
echo "fleet bench: 3 etcd 3.4 members + 3 tockd on loopback, $((B - A)) s, $(nproc) cores, $(uname -r)"
echo "fleet job runs: $runs for $((B - A)) fire times (duplicates: $(awk -v a="$A" -v b="$B" '$2 >= a && $2 < b { print $2 }' "$T/fleet.log" | sort | uniq -d | wc -l))"
echo "claim latency, ms (p50 / p99 / max):              $(pct "$T/claim.ms")"
echo "due second to start, fleet job, ms (p50/p99/max): $(pct "$T/fleet.ms")"
echo "due second to start, plain job, ms (p50/p99/max): $(pct "$T/plain.ms")"
for n in h1 h2 h3; do td_stop "$n"; done
for i in 1 2 3; do etcd_stop "$i"; done
