#!/usr/bin/env bash
# bench/run.sh BUILD: `make bench`. Runs build/bench and build/tockctl and prints one report:
#   1. sched_next() per call beside a brute-force matcher (UTC, New York, Lord Howe; 2026, 2150)
#   2. check throughput: crontab_parse() in-process, and `tockctl check` as a whole command
#   3. a peer for check: the installed crontab(1), if any
#   4. tockd beside busybox crond: memory, idle CPU and wake-ups, dispatch delay, reload delay
#      (bench/daemon.sh; as root in a private mount namespace with 1,000 bench users)
#   5. tockd's memory and load CPU per entry at 100,000 and 1,000,000 entries over 100 users
#      (bench/mem.sh, issue 13's figures)
#   6. tockd beside Debian's cron, bcron and busybox crond over table sizes and bursts, with a
#      Markdown report and PNG plots in BUILD/bench (bench/peers.sh)
#   7. a fleet of three tockd on three etcd members: claim latency and what a claim adds to a
#      job's start (bench/fleet.sh, issue 14; skipped without Debian's etcd-server)
# and the issue's targets with PASS/MISS. Timing never fails: the exit status is 0 unless
# something is broken (a wrong answer, a table tockctl refuses, a tool that will not run).
# BENCH_ROW_TIME=S changes the measuring time per row (default 0.2 s); BENCH_IDLE_SECONDS=S the
# daemon's idle period (default 20 s; BENCH_FULL=1 makes it 180 s); see bench/README.md.
set -euo pipefail

build=${1:-build}
bench=$build/bench
tockctl=$build/tockctl
row_time=${BENCH_ROW_TIME:-0.2}
tockctl_entries=99000 # under CRONTAB_MAX_ENTRIES (100000), so that tockctl takes the table as is

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tock-bench.XXXXXX")
trap 'rm -rf -- "$tmp"' EXIT

section() {
        printf '\n== %s ==\n\n' "$*"
}

header() {
        echo "tock bench, $(date -u '+%Y-%m-%d %H:%M UTC')"
        echo "host: $(uname -srm), $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)," \
                "load average $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine adds noise)"
        echo "tzdata: $(dpkg-query -W -f='${Version}' tzdata 2>/dev/null || echo unknown)"
        "$bench" info
}

# ---- 1. next() -------------------------------------------------------------------------
next_section() {
        section "1. sched_next(): ns per call, chained, zone conversion included, beside a brute force"
        "$bench" next --row-time "$row_time"
}

# ---- 2. check --------------------------------------------------------------------------
check_section() {
        section "2. check: crontab_parse() in-process, and tockctl check as a whole command"
        "$bench" parse --row-time "$row_time" --lines 1000000 --entries "$tockctl_entries"
        echo
        "$bench" gen --entries "$tockctl_entries" "$tmp/table.crontab"
        echo "tockctl checks it whole (read, parse, CRON_TZ zones, report): wall time of the command, $tockctl_entries"
        echo "entries being under tockctl's 100,000-entry limit; median and best of 7 runs."
        echo
        "$bench" time-header
        "$bench" time --repeat 7 --file "$tmp/table.crontab" --log "$tmp/tockctl.log" --target --must-pass \
                "tockctl check" -- "$tockctl" check "$tmp/table.crontab" || { head -n 20 "$tmp/tockctl.log"; return 1; }
        echo "tockctl said: $(sed "s|$tmp/||" "$tmp/tockctl.log")"
}

# ---- 3. a peer for check ---------------------------------------------------------------
# There is no cron parser library to link, and busybox's crontab applet installs a table without
# checking it, so the peer is the installed crontab(1), asked to check without installing:
# cronie's `crontab -T FILE`, or Debian cron's dry run `crontab -n FILE`. Never installed here.
# BENCH_PEER_CRONTAB=PATH points at another crontab(1).
peer_section() {
        section "3. peer: the installed crontab(1) on the same table"
        local crontab=${BENCH_PEER_CRONTAB:-/usr/bin/crontab} usage flag
        if [ ! -x "$crontab" ]; then
                echo "peer: none installed (no $crontab; busybox's crontab applet does not check syntax,"
                echo "so it is no peer for check; install cron or cronie to get one)"
                return 0
        fi
        usage=$("$crontab" -h 2>&1 || true)
        if grep -qE '(^|[^[:alnum:]])-T([^[:alnum:]]|$)' <<<"$usage"; then
                flag=-T # cronie: test the syntax of FILE
        elif grep -qE '(^|[^[:alnum:]])-n([^[:alnum:]]|$)' <<<"$usage"; then
                flag=-n # Debian cron: dry run, check FILE without installing it
        else
                echo "peer: $crontab has neither -T (cronie) nor -n (Debian): it cannot check without installing"
                return 0
        fi
        mkdir -p "$tmp/peer"
        install -m 0644 "$tmp/table.crontab" "$tmp/peer/crontab"
        "$bench" time-header
        "$bench" time --repeat 3 --file "$tmp/peer/crontab" --log "$tmp/peer.log" \
                "peer: crontab $flag" -- "$crontab" "$flag" "$tmp/peer/crontab"
        echo "crontab $flag said: $(head -n 3 "$tmp/peer.log" | sed "s|$tmp/||")"
}

# ---- 4. the daemon beside busybox crond ------------------------------------------------
# bench/daemon.sh starts tockd and `busybox crond -f -c DIR` the same way in the same run, every
# path under its own temp dir, stops them by PID and prints their figures side by side, with a
# `target:` line per figure. It builds tockd and its two helpers (bench/stamp.c, bench/rename.c).
daemon_section() {
        section "4. daemon: tockd beside busybox crond"
        "$(dirname "$0")/daemon.sh" "$build"
}

# ---- 5. memory and load per entry ------------------------------------------------------
# bench/mem.sh: issue 13's figures, tockd alone on 100 users' tables of never-firing entries.
mem_section() {
        section "5. daemon: tockd's memory and load per entry"
        "$(dirname "$0")/mem.sh" "$build"
}

# ---- 6. beside the peers ---------------------------------------------------------------
# bench/peers.sh: tockd beside Debian's cron, bcron and busybox crond over table sizes and
# bursts, with a Markdown report and PNG plots in BUILD/bench (issue 13).
peers_section() {
        section "6. daemon: tockd beside Debian's cron, bcron and busybox crond, with plots"
        "$(dirname "$0")/peers.sh" "$build"
}

# ---- 7. a fleet -------------------------------------------------------------------------
# bench/fleet.sh: three etcd members and three tockd on loopback, a per-second fleet job beside
# a plain one, for BENCH_FLEET_SECONDS (default 60).
fleet_section() {
        section "7. fleet: three tockd on three etcd members"
        if ! command -v etcd >/dev/null; then
                echo "skipped: no etcd (apt-get install etcd-server; make check's deps install it as root)"
                return 0
        fi
        "$(dirname "$0")/fleet.sh" "$build" "${BENCH_FLEET_SECONDS:-60}"
}

# ---- summary ---------------------------------------------------------------------------
summary_section() {
        section "targets from the issue"
        grep '^target:' "$tmp/report" | sed 's/^target: //' || echo "(none measured)"
}

[ -x "$bench" ] && [ -x "$tockctl" ] || { echo "bench/run.sh: build $bench and $tockctl first (make bench)" >&2; exit 1; }
{
        header
        next_section
        check_section
        peer_section
        daemon_section
        mem_section
        peers_section
        fleet_section
} 2>&1 | tee "$tmp/report"
summary_section
echo
echo "bench finished in ${SECONDS} s; timing never fails the build, wrong answers do"
