#!/usr/bin/env bash
# bench/peers.sh BUILD [--quick]: section 6 of `make bench` (issue 13), tockd beside Debian's cron,
# bcron and busybox crond in the same run, over table sizes, with a Markdown report and PNG plots
# in $BENCH_OUT (default BUILD/bench):
#   - per table size (100 users' tables of never-firing entries, commands of about 40 bytes), each
#     daemon started alone on them: RSS and bytes per entry, load CPU; then, all of them up: the
#     delay from a table change (one user's table replaced by a rename) to the daemon having read
#     it (inotify on the new file: its open and its close), and CPU and wake-ups over a quiet period;
#   - bursts of 1, 100, 1,000 and 10,000 jobs due together, one daemon at a time: the delay from
#     the due second to the first, median and last job started, and how many were lost;
#   - the machine's fork+exec ceiling, for context.
# The peers are fetched with apt-get download and unpacked under BUILD/peer/ (never installed). As
# root the script runs in a private mount namespace whose /etc is an overlay adding the bench users
# (passwd, group, shadow) and Debian cron's /etc/pam.d/cron, whose /run is a temp dir; Debian cron
# runs in a namespace of its own inside it, with /var/spool, /etc/crontab and /etc/cron.d bound to
# temp dirs. Nothing on the machine changes. Not root: tockd alone, as the caller.
# --quick (make bench-quick, CI): one size, one burst, tockd and one peer (bcron), a short quiet
# period: under 2 minutes. Timing never fails the run; only breakage does (a daemon that does not
# start, tockd losing jobs, no report).
# BENCH_PEERS_SIZES, BENCH_PEERS_BURSTS, BENCH_PEERS ("cron bcron busybox"), BENCH_PEERS_IDLE (s).
# See bench/README.md, section 6.
set -euo pipefail

build=${1:-build}
case $build in /*) ;; *) build=$PWD/$build ;; esac
quick=false
[ "${2:-}" = --quick ] && quick=true
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
if $quick; then
        def_sizes="1000" def_bursts="100" def_peers="bcron" def_idle=5 lead=8
else
        def_sizes="1000 10000 100000 1000000" def_bursts="1 100 1000 10000" def_peers="cron bcron busybox" def_idle=60 lead=20
fi
read -ra sizes <<<"${BENCH_PEERS_SIZES:-$def_sizes}"
read -ra bursts <<<"${BENCH_PEERS_BURSTS:-$def_bursts}"
read -ra want_peers <<<"${BENCH_PEERS-$def_peers}"
idle_s=${BENCH_PEERS_IDLE:-$def_idle}
out=${BENCH_OUT:-$build/bench}
case $out in /*) ;; *) out=$PWD/$out ;; esac
n_users=100

if [ "$(id -u)" = 0 ] && [ -z "${TOCK_PEERS_NS:-}" ] && unshare --mount --propagation private true 2>/dev/null; then
        exec env TOCK_PEERS_NS=1 unshare --mount --propagation private "$BASH" "$here/peers.sh" "$@"
fi
cd "$here/.."

tockd=$build/tockd stamp=$build/bench-stamp watch=$build/bench-watch forkexec=$build/bench-forkexec
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tock-bench-peers.XXXXXX")
chmod 755 "$tmp"
started=() # pids started here; the trap ends those still running
mounts=()  # mounts made here, undone in reverse (they go with the namespace anyway)
cleanup() {
        local p c i
        for p in "${started[@]}"; do
                read -r c 2>/dev/null <"/proc/$p/comm" || continue
                case $c in tockd | tockd-spawner | cron | bcron-sched | bcron-exec | busybox) kill -KILL "$p" 2>/dev/null || true ;; esac
        done
        wait 2>/dev/null || true
        for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount -l "${mounts[i]}" 2>/dev/null || true; done
        rm -rf -- "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
set -E
trap 'echo "bench/peers.sh: line $LINENO: \"$BASH_COMMAND\" failed" >&2' ERR
die() { echo "bench/peers.sh: $*" >&2; exit 1; }

# ---- small tools -----------------------------------------------------------------------

now_s() { echo "${EPOCHREALTIME%.*}"; }
now_ns() { echo "${EPOCHREALTIME/./}000"; }
sleep_until() { sleep "$(awk -v a="$EPOCHREALTIME" -v b="$1" 'BEGIN { d = b - a; print (d > 0 ? d : 0) }')"; }
# sums over PIDS: "RSS_KIB CPU_NS TICKS VOLUNTARY INVOLUNTARY"
snap() {
        local p rss=0 ns=0 ticks=0 vol=0 inv=0 s a r v n
        for p; do
                read -r s <"/proc/$p/stat" || return 1
                read -ra a <<<"${s##*) }"
                read -r r _ <"/proc/$p/schedstat"
                read -r v n r2 < <(awk '$1 == "voluntary_ctxt_switches:" { v = $2 } $1 == "nonvoluntary_ctxt_switches:" { n = $2 }
                        $1 == "VmRSS:" { r = $2 } END { print v, n, r }' "/proc/$p/status")
                rss=$((rss + r2)) ns=$((ns + r)) ticks=$((ticks + a[11] + a[12])) vol=$((vol + v)) inv=$((inv + n))
        done
        echo "$rss $ns $ticks $vol $inv"
}

# ---- what runs: tockd and the peers ----------------------------------------------------

build_tools() {
        local cc=${CC:-cc}
        ${MAKE:-make} -s --no-print-directory BUILD="$build" "$tockd" >&2
        [ -x "$stamp" ] && [ "$stamp" -nt "$here/stamp.c" ] ||
                "$cc" -O2 -static -o "$stamp" "$here/stamp.c" 2>/dev/null || "$cc" -O2 -o "$stamp" "$here/stamp.c"
        [ -x "$watch" ] && [ "$watch" -nt "$here/watch.c" ] || "$cc" -O2 -o "$watch" "$here/watch.c"
        [ -x "$forkexec" ] && [ "$forkexec" -nt "$here/forkexec.c" ] || "$cc" -O2 -o "$forkexec" "$here/forkexec.c"
}

# fetch NAME PKG...: the packages' .debs, fetched with apt-get download into BUILD/peer/NAME and
# unpacked there (dpkg-deb -x): nothing is installed; later runs reuse them. Prints the root.
fetch() {
        local name=$1 dir=$build/peer/$1 d
        shift
        if [ -f "$dir/.done" ]; then echo "$dir/root"; return 0; fi
        command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || return 1
        rm -rf "$dir"
        mkdir -p "$dir/deb" "$dir/root"
        chmod 755 "$dir/deb" # apt-get download writes as _apt when it can
        (cd "$dir/deb" && apt-get download -qq "$@") >/dev/null 2>&1 || return 1
        for d in "$dir"/deb/*.deb; do dpkg-deb -x "$d" "$dir/root" || return 1; done
        touch "$dir/.done"
        echo "$dir/root"
}

peers=()          # the peers that run, among cron bcron busybox
declare -A skip=() ver=() pam=()
find_peers() {
        local p r b
        for p in "${want_peers[@]}"; do
                if [ "$mode" != users ]; then
                        skip[$p]="needs root and a private mount namespace (its users, paths and setuid)"
                        continue
                fi
                case $p in
                cron)
                        if r=$(fetch cron cron) && [ -x "$r/usr/sbin/cron" ]; then
                                cron_root=$r
                                ver[cron]="Debian cron $(dpkg-deb -f "$build"/peer/cron/deb/cron_*.deb Version)"
                                peers+=(cron)
                        else
                                skip[cron]="apt-get download cron failed"
                        fi ;;
                bcron)
                        if r=$(fetch bcron bcron libbg2) && LD_LIBRARY_PATH=$r/usr/lib ldd "$r/usr/sbin/bcron-sched" | grep "$r/usr/lib/libbg" >/dev/null; then
                                bcron_root=$r
                                ver[bcron]="bcron $(dpkg-deb -f "$build"/peer/bcron/deb/bcron_*.deb Version) (libbg2 $(dpkg-deb -f "$build"/peer/bcron/deb/libbg2_*.deb Version))"
                                peers+=(bcron)
                        else
                                skip[bcron]="apt-get download bcron libbg2 failed, or its bcron-sched does not find libbg"
                        fi ;;
                busybox)
                        b=""
                        for r in "${BENCH_BUSYBOX:-}" "$(command -v busybox || true)" "$build/peer/busybox-static/bin/busybox"; do
                                [ -n "$r" ] && [ -x "$r" ] && "$r" crond --help >/dev/null 2>&1 && { b=$r; break; }
                        done
                        if [ -z "$b" ] && r=$(fetch busybox busybox-static) && "$r/bin/busybox" crond --help >/dev/null 2>&1; then
                                b=$r/bin/busybox
                        fi
                        if [ -n "$b" ]; then
                                busybox=$b
                                ver[busybox]="busybox $("$b" 2>&1 | sed -n '1s/^BusyBox \(v[^ ]*\).*/\1/p') crond"
                                peers+=(busybox)
                        else
                                skip[busybox]="no busybox with a crond applet, and busybox-static could not be fetched"
                        fi ;;
                *) die "unknown peer '$p' (BENCH_PEERS takes cron bcron busybox)" ;;
                esac
        done
}

# ---- users (root, in the namespace) ----------------------------------------------------

mode=single uid_base=0
user() { printf 'tockpeer%03d' "$1"; }
setup_users() {
        local b
        [ -n "${TOCK_PEERS_NS:-}" ] || return 1
        for b in 64000 320000 3200000; do
                if awk -F: -v lo="$b" -v hi=$((b + n_users + 1)) '$3 >= lo && $3 < hi { bad = 1 } END { exit bad }' \
                        /etc/passwd /etc/group && ! grep -q '^tockpeer' /etc/passwd /etc/group; then
                        uid_base=$b
                        break
                fi
        done
        [ "$uid_base" != 0 ] || return 1
        mkdir -p "$tmp/etc-upper" "$tmp/etc-work" "$tmp/run" "$tmp/home"
        cp /etc/passwd "$tmp/passwd" && cp /etc/group "$tmp/group" && cp /etc/shadow "$tmp/shadow"
        mount -t overlay tock-bench-peers -o "lowerdir=/etc,upperdir=$tmp/etc-upper,workdir=$tmp/etc-work" /etc || return 1
        mounts+=(/etc)
        [ "$(findmnt -n -o FSTYPE /etc)" = overlay ] || return 1
        mount --bind "$tmp/run" /run && mounts+=(/run)
        # users 0..99 own the tables; user 100 is bcron's unprivileged user (BCRON_USER). Shadow
        # entries too: Debian cron's PAM account check (pam_unix) wants one, as useradd makes
        { cat "$tmp/passwd"; awk -v b="$uid_base" -v n="$n_users" -v home="$tmp/home" 'BEGIN { for (i = 0; i <= n; i++)
                printf "tockpeer%03d:x:%d:%d:tock bench:%s:/bin/sh\n", i, b + i, b + i, home }'; } >/etc/passwd
        { cat "$tmp/group"; awk -v b="$uid_base" -v n="$n_users" 'BEGIN { for (i = 0; i <= n; i++)
                printf "tockpeer%03d:x:%d:\n", i, b + i }'; } >/etc/group
        { cat "$tmp/shadow"; awk -v n="$n_users" 'BEGIN { for (i = 0; i <= n; i++)
                printf "tockpeer%03d:!:20000:0:99999:7:::\n", i }'; } >/etc/shadow
        [ "$(id -u "$(user 99)")" = $((uid_base + 99)) ]
}

# The PAM service "cron", as Debian's cron package ships it (the unpacked one when there is one):
# Debian's cron always opens a PAM session for a job, and tockd does with jobs.pam_service=cron.
setup_pam() {
        mkdir -p /etc/pam.d /etc/cron.d
        [ -e /etc/crontab ] || : >/etc/crontab # a mount point for Debian cron's own namespace (in the overlay)
        if [ -n "${cron_root:-}" ] && [ -f "$cron_root/etc/pam.d/cron" ]; then
                cp "$cron_root/etc/pam.d/cron" /etc/pam.d/cron
                pam_src="Debian's cron package"
        else
                printf '%s\n' '@include common-auth' 'session required pam_loginuid.so' 'session required pam_env.so' \
                        '@include common-account' '@include common-session-noninteractive' 'session required pam_limits.so' \
                        >/etc/pam.d/cron
                pam_src="written as Debian's cron package has it"
        fi
}

# ---- tables ----------------------------------------------------------------------------

far_month=$(( ($(date -u +%-m) + 5) % 12 + 1 ))
# gen_tables DIR PER_USER: 100 files tockpeer000..099 of never-firing entries (days 1-28 of the
# month six months away), commands of 35 to 43 bytes, all different (as bench/mem.sh)
gen_tables() {
        rm -rf "$1"
        mkdir -p "$1"
        awk -v dir="$1" -v users="$n_users" -v per="$2" -v mon="$far_month" 'BEGIN {
                split("backup sync report rotate", verb, " ")
                for (u = 0; u < users; u++) {
                        f = sprintf("%s/tockpeer%03d", dir, u)
                        printf "" > f
                        for (j = 0; j < per; j++) {
                                g = u * per + j
                                printf "%d %d %d %d * /usr/bin/%s --id %d >/dev/null\n", g % 60,
                                        int(g / 60) % 24, 1 + int(g / 1440) % 28, mon, verb[1 + g % 4], g > f
                        }
                        close(f)
                }
        }'
}

# place KIND DIR FILE...: copies of FILEs into DIR as the daemon wants them: owned by the user the
# file is named after, mode 600 (tockd, Debian cron); by bcron's user (its spool is bcron-spool's);
# by root (busybox crond runs no table that is not root's)
place() {
        local kind=$1 dir=$2 f
        shift 2
        mkdir -p "$dir"
        for f; do cp "$f" "$dir/"; done
        chmod 600 "$dir"/* 2>/dev/null || true
        case $kind in
        tockd | tockd-pam | cron)
                perl -e 'my ($dir, $base) = (shift, shift); for my $f (@ARGV) { my ($i) = $f =~ /(\d+)$/;
                        chown($base + $i, $base + $i, "$dir/$f") or die "chown $dir/$f: $!\n"; }' \
                        "$dir" "$uid_base" $(for f; do basename "$f"; done) ;;
        bcron) chown "$(user "$n_users")" "$dir"/* ;;
        esac
}

# ---- the daemons: start, ready, pids ---------------------------------------------------

# Every daemon NAME has a dir $tmp/d/NAME with its table dir (table_dir NAME), a log, and its pids
# in pids[NAME] (the processes whose memory and CPU are counted).
declare -A pids=()
table_dir() {
        case $1 in
        tockd | tockd-pam) echo "$tmp/d/$1/spool" ;;
        cron) echo "$tmp/d/$1/var/cron/crontabs" ;;
        bcron) echo "$tmp/d/$1/spool/crontabs" ;;
        busybox) echo "$tmp/d/$1/crontabs" ;;
        esac
}
# prepare NAME: an empty dir for the daemon
prepare() {
        local d=$tmp/d/$1
        rm -rf "$d"
        mkdir -p "$d/new" "$(table_dir "$1")"
        case $1 in
        tockd | tockd-pam) mkdir -p "$d/state" ;;
        cron) mkdir -p "$d/run" "$d/cron.d" && : >"$d/crontab" && chmod 700 "$d/var/cron/crontabs" ;;
        bcron) mkdir -p "$d/spool/tmp" && mkfifo "$d/spool/trigger" && chown -R "$(user "$n_users")" "$d/spool" &&
                chmod 700 "$d/spool/crontabs" ;;
        esac
}
# start NAME: the daemon on what its table dir holds, in the background, TZ=UTC
start() {
        local d=$tmp/d/$1 p
        case $1 in
        tockd | tockd-pam)
                local pam_service=""
                [ "$1" = tockd-pam ] && pam_service=cron
                TZ=UTC "$tockd" --foreground --config "$tmp/empty.conf" --log-target stderr --log-level info \
                        --set jobs.pam_service="$pam_service" --crontab '' --cron-d '' --spool "$d/spool" \
                        --state-dir "$d/state" --set paths.boot_id="$tmp/boot_id" --set paths.socket="$d/tockd.sock" \
                        </dev/null >/dev/null 2>"$d/log" & ;;
        cron) # its own mount namespace: /var/spool, /etc/crontab, /etc/cron.d and /run of its dir
                TZ=UTC unshare --mount --propagation private "$BASH" -c 'mount --bind "$1/var" /var/spool &&
                        mount --bind "$1/crontab" /etc/crontab && mount --bind "$1/cron.d" /etc/cron.d &&
                        mount --bind "$1/run" /run && exec "$2" -f' _ "$d" "$cron_root/usr/sbin/cron" \
                        </dev/null >"$d/log" 2>&1 & ;;
        bcron)
                TZ=UTC BCRON_SPOOL="$d/spool" BCRON_USER="$(user "$n_users")" LD_LIBRARY_PATH="$bcron_root/usr/lib" \
                        PATH="$bcron_root/usr/sbin:$PATH" "$bcron_root/usr/sbin/bcron-start" </dev/null >"$d/log" 2>&1 & ;;
        busybox)
                TZ=UTC "$busybox" crond -f -L "$d/log" -c "$d/crontabs" </dev/null >/dev/null 2>&1 & ;;
        esac
        p=$!
        started+=("$p")
        pids[$1]=$p
        t_start=$(now_ns)
}
# ready NAME DEADLINE_S: tockd: its "ready:" line; the others log nothing when loaded: until the
# main process sleeps with RSS and CPU time unchanged over 3 polls 0.1 s apart. Then the helper
# process (tockd's spawner, bcron-exec) joins pids[NAME]. Sets t_ready (ns; to 0.1 s for peers).
ready() {
        local name=$1 end=$(($(now_s) + $2)) p=${pids[$1]} prev="" cur same=0 h
        case $name in
        tockd | tockd-pam)
                until grep -q ' info: ready: ' "$tmp/d/$name/log"; do
                        alive "$p" && [ "$(now_s)" -lt "$end" ] || { tail -n 5 "$tmp/d/$name/log" >&2; die "$name did not get ready"; }
                        sleep 0.02
                done
                t_ready=$(now_ns)
                sleep 0.2 ;;
        *)
                t_ready=$(now_ns)
                while [ "$same" -lt 3 ]; do
                        alive "$p" && [ "$(now_s)" -lt "$end" ] || { tail -n 5 "$tmp/d/$name/log" >&2; die "$name did not settle"; }
                        sleep 0.1
                        cur="$(pstate "$p") $(snap "$p" | cut -d' ' -f1-2)"
                        if [ "$cur" = "$prev" ] && [ "${cur%% *}" = S ]; then same=$((same + 1)); else same=0; t_ready=$(now_ns); fi
                        prev=$cur
                done ;;
        esac
        case $name in
        tockd | tockd-pam) h=$(child_named "$p" tockd-spawner) || die "tockd has no spawner" ;;
        bcron) h=$(child_named "$p" bcron-exec) || die "bcron-sched has no bcron-exec" ;;
        *) h="" ;;
        esac
        [ -n "$h" ] && started+=("$h") && pids[$name]="$p $h"
        return 0
}
# shellcheck disable=SC2086
halt() { stop ${pids[$1]}; }

# ---- A. table sizes --------------------------------------------------------------------

daemons=() # tockd and the peers that run, in that order
held() { # NAME SIZE: the entries the daemon keeps of SIZE over 100 users
        local per=$(($2 / n_users))
        if [ "$1" = busybox ] && [ "$per" -gt 255 ]; then per=255; fi # its MAXLINES (bench/README.md, 4)
        echo $((per * n_users))
}

size_row() { # SIZE: every daemon on the same tables of SIZE entries
        local size=$1 n rss ns ticks vol inv f_new t_change b0 r0 c0 ms base_rss base_ns wl=""
        gen_tables "$tmp/tables" $((size / n_users))
        cp "$tmp/tables/$(user 0)" "$tmp/changed"
        echo "0 0 1 $far_month * /usr/bin/report --id changed >/dev/null" >>"$tmp/changed"
        # memory for all of them used once before (bench/warm.c: a virtual machine's first use of it
        # costs whoever touches it first far more); some 2 KB an entry, 4 times what they take
        warm_memory "$build" $((size * 2000 / 1048576 + 256))
        for n in "${daemons[@]}"; do
                prepare "$n"
                [ "$size" = 0 ] || place "$n" "$(table_dir "$n")" "$tmp/tables"/*
                start "$n"
                ready "$n" 900
                read -r rss ns _ < <(snap ${pids[$n]})
                if [ "$size" = 0 ]; then
                        base[$n]="$rss $ns"
                else
                        read -r base_rss base_ns <<<"${base[$n]}"
                        ms=$(( (t_ready - t_start) / 1000000 ))
                        row[$n]="$size $(held "$n" "$size") $rss $((rss - base_rss)) $((ns - base_ns)) $ms"
                fi
        done
        if [ "$size" = 0 ]; then
                for n in "${daemons[@]}"; do halt "$n"; done
                return 0
        fi
        # the table change: user 0's table, one entry added, renamed into every daemon's dir at once
        for n in "${daemons[@]}"; do
                f_new=$tmp/d/$n/new/$(user 0)
                place "$n" "$tmp/d/$n/new" "$tmp/changed"
                mv "$tmp/d/$n/new/changed" "$f_new"
                case $n in tockd | tockd-pam | cron) chown "$(user 0):" "$f_new" ;; esac
                local fifo=()
                [ "$n" = bcron ] && fifo=("$tmp/d/bcron/spool/trigger")
                "$watch" 70 "$f_new" "$(table_dir "$n")/$(user 0)" "${fifo[@]}" >"$tmp/d/$n/reload" &
                wl+=" $!"
        done
        # shellcheck disable=SC2086
        wait $wl
        for n in "${daemons[@]}"; do
                read -r t_change b0 c0 <"$tmp/d/$n/reload"
                reload[$n]=$(awk -v t="$t_change" -v o="$b0" -v c="$c0" 'BEGIN {
                        printf "%s %s %.1f", (o == "-" ? "-" : sprintf("%.1f", (o - t) / 1e6)), (c == "-" ? "-" : sprintf("%.1f", (c - t) / 1e6)),
                                (t / 1e9) % 60 }')
        done
        # the quiet period, 2 s after the minute peers read the change (their first wake-up after a
        # start is over too): $idle_s seconds, every daemon at once, nothing due
        local from=$(($(now_s) + 2)) to
        to=$((from + idle_s))
        sleep_until "$from"
        for n in "${daemons[@]}"; do before[$n]=$(snap ${pids[$n]}); done
        sleep_until "$to"
        for n in "${daemons[@]}"; do after[$n]=$(snap ${pids[$n]}); done
        for n in "${daemons[@]}"; do
                read -r _ ns ticks vol inv <<<"${before[$n]}"
                read -r _ c0 r0 b0 _ <<<"${after[$n]}"
                echo "$n ${row[$n]} $(( (c0 - ns) / 1000 )) $((b0 - vol)) $((r0 - ticks)) ${reload[$n]}" >>"$out/sizes.tsv"
                halt "$n"
        done
        # RSS sum, per entry, load CPU: printed as they come
        for n in "${daemons[@]}"; do
                awk -v n="$n" '$1 == n && $2 == '"$size"' { printf "   %-10s %9d %9d %9.1f MiB %8.0f B %9.0f ms %7.2f us %10.1f ms %8d %10s ms %10s ms\n",
                        $1, $2, $3, $4 / 1024, $3 ? $5 * 1024 / $3 : 0, $6 / 1e6, $3 ? $6 / 1e3 / $3 : 0, $8 / 1e3, $9, $11, $12 }' "$out/sizes.tsv"
        done
}

# ---- B. bursts -------------------------------------------------------------------------

# burst_lines K DUE OUT SEC: K entries due at DUE, each `exec stamp OUT ID`; SEC: tockd's [sec:S]
burst_lines() {
        awk -v n="$1" -v m=$(($2 / 60 % 60)) -v h=$(($2 / 3600 % 24)) -v s=$(($2 % 60)) -v sec="$4" \
                -v cmd="exec $stamp $3" 'BEGIN { for (i = 0; i < n; i++)
                printf "%s%d %d * * * %s %05d >/dev/null 2>&1\n", sec ? "[sec:" s "] " : "", m, h, cmd, i }'
}
# wait_runs FILE K DUE [QUIET]: until K ran, or some ran and none for QUIET s (default 5; tockd's
# are waited for to the end, since a job of tockd's lost is a failure), or none 30 s after DUE, or
# 300 s after DUE plus a second for every 5 jobs (a loaded machine starts some 50 a second)
wait_runs() {
        local n last=-1 still=0 quiet=$((${4:-5} * 5))
        while [ "$(now_s)" -lt $(($3 + 300 + $2 / 5)) ]; do
                n=$(wc -l <"$1")
                [ "$n" -ge "$2" ] && return 0
                [ "$n" = 0 ] && [ "$(now_s)" -gt $(($3 + 30)) ] && return 0
                if [ "$n" -gt 0 ] && [ "$n" = "$last" ]; then
                        still=$((still + 1))
                        [ "$still" -lt "$quiet" ] || return 0
                else
                        still=0
                fi
                last=$n
                sleep 0.2
        done
}
# burst_stats NAME K DUE FILE: a line of bursts.tsv: name K ran lost first median last (ms after DUE)
burst_stats() {
        sort -n -k2 "$4" | awk -v name="$1" -v k="$2" -v due="$3" '!seen[$1]++ { t[++n] = ($2 - due * 1e9) / 1e6 }
                END { if (n) printf "%s %d %d %d %.1f %.1f %.1f\n", name, k, n, k - n, t[1], t[int((n + 1) / 2)], t[n];
                      else printf "%s %d 0 %d - - -\n", name, k, k }'
}

burst_daemon() { # NAME
        local n=$1 i k due f o minute=true
        case $n in tockd | tockd-pam) minute=false ;; esac
        prepare "$n"
        mkdir -p "$tmp/burst"
        chmod 755 "$tmp/burst"
        if $minute; then
                # every burst's table in place before the start: due at consecutive minutes, the first
                # at least $lead s away (20 s; 8 s in --quick). busybox crond: root's table (it caps other users' at 255 lines)
                due=$(( ($(now_s) + lead + 59) / 60 * 60 ))
                for i in "${!bursts[@]}"; do
                        f=$tmp/burst/$n-${bursts[i]}
                        : >"$f" && chmod 666 "$f"
                        if [ "$n" = busybox ]; then o=root; else o=$(user "$i"); fi
                        burst_lines "${bursts[i]}" $((due + 60 * i)) "$f" "" >>"$tmp/d/$n/new/$o"
                done
                for o in "$tmp/d/$n/new"/*; do place "$n" "$(table_dir "$n")" "$o"; done
                [ "$n" = busybox ] && chown root: "$(table_dir "$n")"/*
                rm -f "$tmp/d/$n/new"/*
                start "$n"
                ready "$n" 60
        else
                start "$n"
                ready "$n" 60
        fi
        for i in "${!bursts[@]}"; do
                k=${bursts[i]}
                f=$tmp/burst/$n-$k
                if ! $minute; then
                        # tockd reads a table at once: each burst's table put in place 4 s before it
                        : >"$f" && chmod 666 "$f"
                        due=$(($(now_s) + 4))
                        mkdir -p "$tmp/src"
                        burst_lines "$k" "$due" "$f" 1 >"$tmp/src/$(user "$i")"
                        place "$n" "$tmp/d/$n/new" "$tmp/src/$(user "$i")"
                        mv "$tmp/d/$n/new/$(user "$i")" "$(table_dir "$n")/"
                        wait_runs "$f" "$k" "$due" 300
                        burst_stats "$n" "$k" "$due" "$f" >>"$out/bursts.tsv"
                else
                        wait_runs "$f" "$k" $((due + 60 * i))
                        burst_stats "$n" "$k" $((due + 60 * i)) "$f" >>"$out/bursts.tsv"
                fi
                tail -n 1 "$out/bursts.tsv" | awk '{ printf "   %-10s %6d jobs  %6d ran  %5d lost  first %9s ms  median %9s ms  last %9s ms\n", $1, $2, $3, $4, $5, $6, $7 }'
        done
        halt "$n"
}

# ---- the report and the plots ----------------------------------------------------------

pam_of() {
        case $1 in
        tockd) echo "off (jobs.pam_service empty)" ;;
        tockd-pam) echo "on: service cron ($pam_src)" ;;
        cron) echo "on: /etc/pam.d/cron ($pam_src); Debian's cron opens a session for every job" ;;
        bcron) echo "off: bcron-exec has no PAM" ;;
        busybox) echo "off: busybox crond has no PAM" ;;
        esac
}

write_report() {
        local md=$out/report.md n
        {
                echo "# tock bench: tockd beside its peers"
                echo
                echo "Ended $(date -u '+%Y-%m-%d %H:%M UTC'), $($quick && echo "bench-quick (a smoke run: figures are indicative only)" || echo "bench/peers.sh, section 6 of make bench")."
                echo "Machine: $machine."
                echo "Load average at the start: $load0 (other work on the machine adds noise)."
                echo
                echo "| daemon | version | runs jobs | PAM |"
                echo "|---|---|---|---|"
                for n in "${daemons[@]}"; do
                        case $n in
                        tockd) echo "| tockd | $("$tockd" --version) | as each table's user, from the spool | $(pam_of tockd) |" ;;
                        tockd-pam) echo "| tockd (PAM) | the same | the same | $(pam_of tockd-pam) |" ;;
                        *) echo "| $n | ${ver[$n]} | $(runs_as "$n") | $(pam_of "$n") |" ;;
                        esac
                done
                for n in "${want_peers[@]}"; do [ -n "${skip[$n]:-}" ] && echo "| $n | skipped: ${skip[$n]} | | |"; done
                echo
                echo "## Over table sizes"
                echo
                echo "$n_users users' tables of never-firing entries (commands of about 40 bytes); each daemon started alone"
                echo "on them, then all of them up together for the table change and the quiet period."
                echo "RSS counts tockd with its spawner and bcron-sched with bcron-exec; per entry is (RSS - RSS with no"
                echo "tables) / entries held. Load CPU is the CPU time (schedstat) to loaded, less the empty daemon's."
                echo "Idle: CPU time and voluntary context switches (wake-ups) over a quiet ${idle_s} s."
                echo "Table change: one user's table replaced by a rename (bcron: and its trigger written, as bcron-spool"
                echo "does); the delay to the daemon opening the new file and closing it read (inotify)."
                echo
                echo "| daemon | entries | held | RSS | per entry | load CPU | per entry | idle CPU | wake-ups | change: open | change: read |"
                echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
                awk '{ printf "| %s | %d | %d | %.1f MiB | %.0f B | %.0f ms | %.2f us | %.1f ms | %d | %s ms | %s ms |\n",
                        $1, $2, $3, $4 / 1024, $3 ? $5 * 1024 / $3 : 0, $6 / 1e6, $3 ? $6 / 1e3 / $3 : 0, $8 / 1e3, $9, $11, $12 }' "$out/sizes.tsv"
                echo
                if grep -q '^busybox ' "$out/sizes.tsv"; then
                        echo "busybox crond keeps at most 255 lines of a table that is not root's: above 25,500 entries it holds"
                        echo "fewer than it was given (held). "
                fi
                if grep -qE '^(cron|busybox) ' "$out/sizes.tsv"; then
                        echo "Debian cron and busybox crond look at their tables once a minute: their change delay is the"
                        echo "time to the next minute (the change was written at the second of the minute in sizes.tsv's last column)."
                fi
                echo
                echo "## Bursts: jobs due together"
                echo
                echo "Each job is /bin/sh -c 'exec stamp FILE ID >/dev/null 2>&1' (bench/stamp.c appends its ID and the"
                echo "time); delays from the due second to the first, median and last job started; lost: never ran"
                echo "(within 5 s of the last one). One daemon at a time, as user tockpeerNNN (busybox crond: root)."
                echo
                echo "| daemon | PAM | jobs | ran | lost | first | median | last |"
                echo "|---|---|---:|---:|---:|---:|---:|---:|"
                awk -v pt="$pam_table" 'BEGIN { split(pt, a, ";"); for (i in a) { split(a[i], kv, "="); p[kv[1]] = kv[2] } }
                        { printf "| %s | %s | %d | %d | %d | %s ms | %s ms | %s ms |\n", $1, p[$1], $2, $3, $4, $5, $6, $7 }' "$out/bursts.tsv"
                echo
                echo "Fork+exec ceiling of this machine ($(nproc) CPUs, $(nproc) children at a time): $ceiling."
                echo
                if [ -n "$plots" ]; then
                        echo "## Plots"
                        echo
                        for n in $plots; do echo "![$n]($n.png)"; done
                else
                        echo "No plots: $plot_skip"
                fi
        } >"$md"
}
runs_as() {
        case $1 in
        cron) echo "cron -f in its own mount namespace (/var/spool, /etc/crontab, /etc/cron.d bound)" ;;
        bcron) echo "bcron-start, BCRON_SPOOL in a temp dir, BCRON_USER a bench user" ;;
        busybox) echo "crond -f -c DIR (tables owned by root)" ;;
        esac
}

# plot NAME TITLE YLABEL FILE XCOL YCOL XLABEL [LOGY]: one line per daemon
plot() {
        local name=$1 title=$2 ylabel=$3 file=$4 x=$5 y=$6 xlabel=$7 logy=${8:-} n first=1
        {
                echo "set terminal pngcairo size 800,500 font 'sans,10'"
                echo "set output '$out/$name.png'"
                echo "set title '$title'"
                echo "set xlabel '$xlabel'; set ylabel '$ylabel'"
                echo "set logscale x; set grid; set key outside right"
                [ -n "$logy" ] && echo "set logscale y"
                printf 'plot '
                for n in $(awk '{ print $1 }' "$file" | awk '!s[$0]++'); do
                        [ $first = 1 ] || printf ', '
                        first=0
                        printf "'< grep \"^%s \" %s' using %s:%s with linespoints title '%s'" "$n" "$file" "$x" "$y" "$n"
                done
                echo
        } >"$out/$name.gp"
        gnuplot "$out/$name.gp" 2>>"$out/gnuplot.log" && plots+="$name "
}

make_plots() {
        plots=""
        if ! command -v gnuplot >/dev/null; then
                plot_skip="gnuplot is not installed (apt-get install gnuplot-nox)"
                return 0
        fi
        # plotted columns: entries, RSS MiB, B/entry, load ms, load us/entry, idle ms, wake-ups, change ms
        awk '$3 > 0 { print $1, $2, $4 / 1024, $5 * 1024 / $3, $6 / 1e6, $6 / 1e3 / $3, $8 / 1e3, $9, ($12 == "-" ? "NaN" : $12) }' \
                "$out/sizes.tsv" >"$out/sizes.dat"
        awk '{ for (i = 5; i <= 7; i++) if ($i == "-") $i = "NaN"; print }' "$out/bursts.tsv" >"$out/bursts.dat"
        plot rss "Resident memory (RSS) after loading" MiB "$out/sizes.dat" 2 3 entries log
        plot bytes-per-entry "Bytes per entry held (RSS - empty daemon)" bytes "$out/sizes.dat" 2 4 entries
        plot load-cpu "CPU time to load the tables" ms "$out/sizes.dat" 2 5 entries log
        plot idle-cpu "CPU time over a quiet ${idle_s} s" ms "$out/sizes.dat" 2 7 entries
        plot idle-wakeups "Wake-ups (voluntary context switches) over a quiet ${idle_s} s" wake-ups "$out/sizes.dat" 2 8 entries
        plot change-delay "Table change to the table read" ms "$out/sizes.dat" 2 9 entries log
        plot burst-first "Due second to the first job started" ms "$out/bursts.dat" 2 5 "jobs due together" log
        plot burst-median "Due second to the median job started" ms "$out/bursts.dat" 2 6 "jobs due together" log
        plot burst-last "Due second to the last job started" ms "$out/bursts.dat" 2 7 "jobs due together" log
        plot burst-lost "Jobs lost (never started)" jobs "$out/bursts.dat" 2 4 "jobs due together"
        [ -n "$plots" ] || plot_skip="gnuplot failed (see gnuplot.log)"
}

# ---- main ------------------------------------------------------------------------------

build_tools
: >"$tmp/empty.conf"
cat /proc/sys/kernel/random/boot_id >"$tmp/boot_id"
mkdir -p "$out"
rm -f "$out"/*.png "$out"/*.gp "$out"/sizes.* "$out"/bursts.* "$out"/gnuplot.log
: >"$out/sizes.tsv"
: >"$out/bursts.tsv"
load0=$(cut -d' ' -f1-3 /proc/loadavg)
machine="$(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)), $(awk '$1 == "MemTotal:" { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -sr), $(. /etc/os-release && echo "$PRETTY_NAME")"
setup_users && mode=users
find_peers
if [ "$mode" = users ]; then
        setup_pam
        daemons=(tockd tockd-pam "${peers[@]}")
else
        pam_src=""
        daemons=() # not root: tockd runs its spool's tables only as their owner; see bench/mem.sh
        echo "6. not root (or no mount namespace): section 6 needs root, for the bench users; skipped"
        exit 0
fi
declare -A base=() row=() reload=() before=() after=()
pam_table=""
for n in "${daemons[@]}"; do pam_table+="$n=$(pam_of "$n" | cut -d: -f1 | cut -d' ' -f1);"; done

echo "6. tockd beside its peers$($quick && echo ", quick (make bench-quick)"): $(IFS=' '; echo "${daemons[*]}")"
for n in "${want_peers[@]}"; do [ -n "${skip[$n]:-}" ] && echo "   $n skipped: ${skip[$n]}"; done
echo "   $n_users users (tockpeer000..099, uids $uid_base..) in a private mount namespace; reports in $out"
echo
echo "A. over table sizes: RSS, per entry, load CPU, per entry; idle CPU and wake-ups over ${idle_s} s; change: open, read"
size_row 0
for s in "${sizes[@]}"; do size_row "$s"; done
echo
read -r _ _ rate < <("$forkexec" 1000 "$(nproc)" "$stamp" /dev/null 1)
read -r _ _ rate_sh < <("$forkexec" 1000 "$(nproc)" /bin/sh -c "exec $stamp /dev/null 1")
ceiling="$rate starts/s of stamp itself, $rate_sh through /bin/sh -c 'exec stamp' as the jobs here"
echo "B. bursts (fork+exec ceiling: $ceiling)"
for n in "${daemons[@]}"; do burst_daemon "$n"; done
make_plots
write_report
echo
echo "report: $out/report.md${plots:+, plots: $(for p in $plots; do printf '%s.png ' "$p"; done)}"
[ -z "$plots" ] && echo "no plots: $plot_skip"

# breakage, not timing: tockd ran every job of every burst, and every daemon read the change
bad=0
awk '($1 == "tockd" || $1 == "tockd-pam") && $4 != 0 { print "bench/peers.sh: " $1 " lost " $4 " of " $2 " jobs"; bad = 1 } END { exit bad }' \
        "$out/bursts.tsv" >&2 || bad=1
awk '($1 == "tockd" || $1 == "tockd-pam") && $12 == "-" { print "bench/peers.sh: " $1 " did not read a changed table"; bad = 1 } END { exit bad }' \
        "$out/sizes.tsv" >&2 || bad=1
[ -s "$out/report.md" ] || { echo "bench/peers.sh: no report" >&2; bad=1; }
exit "$bad"
