#!/usr/bin/env bash
# bench/daemon.sh BUILD: section 4 of `make bench`, tockd beside busybox crond, both started the
# same way in the same run, every path under one temp dir, stopped by PID:
#   a. resident memory after loading 0, 10,000, 100,000 and 1,000,000 entries over 1,000 users
#   b. CPU time and wake-ups over an idle period, 10,000 entries loaded and nothing due
#   c. the delay from the due minute to the first and the last of 10,000 jobs due together
#   d. the delay from putting a table in place to the daemon having its jobs
# As root it re-runs itself in a private mount namespace (unshare(1)) in which /etc is an overlay
# whose passwd and group add the bench users, and /run an empty temp dir (busybox crond writes
# crond.pid and crond.reboot there). Nothing changes on the machine, and no user can be left
# behind, whatever happens to the run. Not root, or no namespace: one user and cron.d-style
# tables, and busybox crond only as root (it reads only tables owned by root).
# BENCH_IDLE_SECONDS=S: the idle period (default 20 s; 180 s with BENCH_FULL=1).
# BENCH_BUSYBOX=PATH: a busybox with the crond applet. BENCH_DAEMON_USERS=0: one user even as
# root. BENCH_DAEMON_SIZES="0 10000": the entry counts of a. BENCH_TRACE=FILE: set -x to FILE.
# See bench/README.md, section 4.
# Timing never fails: the exit status is 0 unless something is broken.
set -euo pipefail
[ -n "${BENCH_TRACE:-}" ] && { exec 7>>"$BENCH_TRACE"; BASH_XTRACEFD=7; set -x; }

build=${1:-build}
case $build in /*) ;; *) build=$PWD/$build ;; esac
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
tockd=$build/tockd
stamp=$build/bench-stamp
renamer=$build/bench-rename

n_users=1000
read -ra mem_sizes <<<"${BENCH_DAEMON_SIZES:-0 10000 100000 1000000}"
n_jobs=10000   # the idle set and each dispatch
n_reloads=20   # small-table replacements timed for tockd
cap_lines=300  # the table that finds busybox's per-table line limit
cap_from=250   # its lines from here on are due
if [ "${BENCH_FULL:-0}" = 1 ]; then
        idle_s=${BENCH_IDLE_SECONDS:-180}
        idle_why="BENCH_FULL=1"
else
        idle_s=${BENCH_IDLE_SECONDS:-20}
        idle_why="the default; BENCH_FULL=1 makes it 180 s"
fi
[ -n "${BENCH_IDLE_SECONDS:-}" ] && idle_why="set"
[[ $idle_s =~ ^[1-9][0-9]*$ ]] || { echo "bench/daemon.sh: BENCH_IDLE_SECONDS must be a whole number of seconds" >&2; exit 1; }

# As root: the same script again, in a mount namespace of its own (see the top of the file).
if [ "$(id -u)" = 0 ] && [ -z "${TOCK_BENCH_NS:-}" ] && unshare --mount --propagation private true 2>/dev/null; then
        exec env TOCK_BENCH_NS=1 unshare --mount --propagation private "$BASH" "$here/daemon.sh" "$@"
fi
cd "$here/.."

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tock-bench-daemon.XXXXXX")
chmod 755 "$tmp" # the bench users' jobs write under it
started=()       # pids of the daemons started here; the trap ends those still running
cleanup() {
        local p c
        for p in "${started[@]}"; do
                read -r c 2>/dev/null <"/proc/$p/comm" || continue
                case $c in tockd | tockd-spawner | busybox) kill -KILL "$p" 2>/dev/null || true ;; esac
        done
        wait 2>/dev/null || true
        # only this namespace sees these mounts; they go with it, but not before $tmp
        if $run_mounted; then umount -l /run 2>/dev/null || true; fi
        if $etc_mounted; then umount -l /etc 2>/dev/null || true; fi
        rm -rf -- "$tmp"
}
run_mounted=false
etc_mounted=false
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
set -E
trap 'echo "bench/daemon.sh: line $LINENO: \"$BASH_COMMAND\" failed" >&2' ERR

# ---- small tools -----------------------------------------------------------------------

now_ns() { echo "${EPOCHREALTIME/./}000"; }
now_s() { echo "${EPOCHREALTIME%.*}"; }

# "1234567" -> "1,234,567"
grp() {
        local s=$1 out=""
        while [ ${#s} -gt 3 ]; do
                out=",${s: -3}$out"
                s=${s:0:${#s}-3}
        done
        echo "$s$out"
}
kib() { awk -v k="$1" 'BEGIN { if (k >= 10240) printf "%.1f MiB", k / 1024; else printf "%d KiB", k }'; }

# VmRSS and VmHWM, KiB
mem() { awk '$1 == "VmRSS:" { r = $2 } $1 == "VmHWM:" { h = $2 } END { printf "%d %d\n", r, h }' "/proc/$1/status"; }
# utime+stime in clock ticks (children excluded), run time in ns (schedstat), voluntary and
# involuntary context switches
snap() {
        local s a rt
        read -r s <"/proc/$1/stat"
        s=${s##*) }
        read -ra a <<<"$s"
        read -r rt _ 2>/dev/null <"/proc/$1/schedstat" || rt=0
        awk -v t=$((a[11] + a[12])) -v rt="$rt" '$1 == "voluntary_ctxt_switches:" { v = $2 }
                $1 == "nonvoluntary_ctxt_switches:" { n = $2 } END { print t, rt, v, n }' "/proc/$1/status"
}

# tockd's log stamps (local time, run with TZ=UTC; whole ms, truncated) -> ns since the epoch,
# in the middle of that millisecond
log_ns() { echo "$(date -u -d "${1/T/ }" +%s%3N)500000"; }

# ---- what runs -------------------------------------------------------------------------

me=$(id -un)
is_root=false
[ "$(id -u)" = 0 ] && is_root=true

# `make bench` builds build/bench and build/tockctl; tockd and the two helpers are built here
build_tools() {
        local cc=${CC:-cc}
        ${MAKE:-make} -s --no-print-directory BUILD="$1" "$1/tockd" >&2
        if [ ! -x "$stamp" ] || [ "$here/stamp.c" -nt "$stamp" ]; then
                "$cc" -O2 -static -o "$stamp" "$here/stamp.c" 2>/dev/null || "$cc" -O2 -o "$stamp" "$here/stamp.c"
        fi
        if [ ! -x "$renamer" ] || [ "$here/rename.c" -nt "$renamer" ]; then
                "$cc" -O2 -o "$renamer" "$here/rename.c"
        fi
}

# A busybox with the crond applet: BENCH_BUSYBOX, the installed one, or busybox-static's. Debian's
# busybox package has no crond; busybox-static has, but conflicts with busybox, so its .deb is
# fetched with apt-get download and unpacked under BUILD/peer/: nothing is installed.
find_busybox() {
        local b dir=$build/peer/busybox-static
        for b in "${BENCH_BUSYBOX:-}" "$(command -v busybox || true)" "$dir/bin/busybox"; do
                if [ -n "$b" ] && [ -x "$b" ] && "$b" crond --help >/dev/null 2>&1; then
                        echo "$b"
                        return 0
                fi
        done
        [ -z "${BENCH_BUSYBOX:-}" ] && command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || return 1
        rm -rf "$dir"
        mkdir -p "$dir/deb"
        (cd "$dir/deb" && apt-get download -qq busybox-static) >/dev/null 2>&1 || return 1
        dpkg-deb -x "$dir"/deb/busybox-static_*.deb "$dir" || return 1
        "$dir/bin/busybox" crond --help >/dev/null 2>&1 || return 1
        echo "$dir/bin/busybox"
}

# ---- users (root, in the namespace) ----------------------------------------------------

uid_base=0
user() { printf 'tockbench%04d' "$1"; }

# The first of a few bases with N free uids and gids in a row.
free_id_base() {
        local b
        for b in 61000 300000 3000000; do
                if awk -F: -v lo="$b" -v hi=$((b + n_users)) '$3 >= lo && $3 < hi { bad = 1 } END { exit bad }' \
                        /etc/passwd /etc/group && ! grep -q '^tockbench' /etc/passwd /etc/group; then
                        echo "$b"
                        return 0
                fi
        done
        return 1
}

# write_userdb N: /etc/passwd and /etc/group as they were, plus the first N bench users. Users
# 0-2 have a home under $tmp.
write_userdb() {
        { cat "$tmp/etc/passwd.orig"
          awk -v b="$uid_base" -v n="$1" -v home="$tmp/home" 'BEGIN { for (i = 0; i < n; i++)
                printf "tockbench%04d:x:%d:%d:tock bench:%s/tockbench%04d:/usr/sbin/nologin\n", i, b + i, b + i, home, i }'
        } >/etc/passwd
        { cat "$tmp/etc/group.orig"
          awk -v b="$uid_base" -v n="$1" 'BEGIN { for (i = 0; i < n; i++) printf "tockbench%04d:x:%d:\n", i, b + i }'
        } >/etc/group
}

# In the namespace: an overlay on /etc whose upper layer is under $tmp, so that the bench's users
# are seen by this run only. (Bind mounts on /etc/passwd itself would not do: when useradd or
# userdel elsewhere on the machine renames a new file over /etc/passwd, the kernel drops mounts
# on the old one in every namespace.) /run: an empty dir of $tmp.
setup_run() {
        [ -n "${TOCK_BENCH_NS:-}" ] || return 1
        mkdir -p "$tmp/run"
        mount --bind "$tmp/run" /run || return 1
        run_mounted=true
}

setup_users() {
        local i
        [ -n "${TOCK_BENCH_NS:-}" ] && [ "${BENCH_DAEMON_USERS:-1}" != 0 ] || return 1
        uid_base=$(free_id_base) || return 1
        mkdir -p "$tmp/etc" "$tmp/etc-upper" "$tmp/etc-work" "$tmp/home"
        cp /etc/passwd "$tmp/etc/passwd.orig"
        cp /etc/group "$tmp/etc/group.orig"
        mount -t overlay tock-bench -o "lowerdir=/etc,upperdir=$tmp/etc-upper,workdir=$tmp/etc-work" /etc || return 1
        etc_mounted=true
        write_userdb "$n_users"
        for i in 0 1 2; do
                mkdir -p "$tmp/home/$(user $i)"
                chown "$((uid_base + i)):$((uid_base + i))" "$tmp/home/$(user $i)"
        done
        [ "$(id -u "$(user 999)")" = $((uid_base + 999)) ]
}

# ---- tables ----------------------------------------------------------------------------

# A month six months away: the never-firing entries are on days 1-28 of it.
far_month=$(( ($(date -u +%-m) + 5) % 12 + 1 ))

# gen_tables DIR STYLE USERS PER_USER: never-firing entries spread over minutes, hours and days,
# mode 600. STYLE spool: a file per user named after it, no user field; crond: a file per user
# with a user field ($me); single: one file, root, holding everything.
gen_tables() {
        local dir=$1 style=$2 users=$3 per=$4
        rm -rf "$dir"
        mkdir -p "$dir"
        [ "$per" -gt 0 ] || return 0
        (umask 077 && awk -v dir="$dir" -v style="$style" -v users="$users" -v per="$per" -v who="$me" \
                -v cmd="exec $stamp $tmp/never" -v mon="$far_month" 'BEGIN {
                for (u = 0; u < users; u++) {
                        f = dir "/" (style == "single" ? "root" : sprintf("tockbench%04d", u))
                        for (j = 0; j < per; j++) {
                                g = u * per + j
                                printf "%d %d %d %d * %s%s %07d >/dev/null 2>&1\n", g % 60, int(g / 60) % 24,
                                        1 + int(g / 1440) % 28, mon, style == "crond" ? who " " : "", cmd, g > f
                        }
                        if (style != "single")
                                close(f)
                }
        }')
}

# owned_by_users DIR: each tockbenchNNNN file owned by that user (tockd's rule for the spool)
owned_by_users() {
        perl -e 'my ($dir, $base, $n) = @ARGV;
                 for my $i (0 .. $n - 1) {
                         my $f = sprintf("%s/tockbench%04d", $dir, $i);
                         next unless -e $f;
                         chown($base + $i, $base + $i, $f) or die "chown $f: $!\n";
                 }' "$1" "$uid_base" "$n_users"
}

# put_table FILE OWNER (reads the table on stdin): written beside FILE under a name the daemons
# skip (a dot), then renamed into place; prints the rename's CLOCK_REALTIME ns
put_table() {
        local dst=$1 owner=$2 t
        t="$(dirname "$dst")/.new.$(basename "$dst")"
        (umask 077 && cat >"$t")
        [ "$owner" = "$me" ] || chown "$owner:" "$t"
        "$renamer" "$t" "$dst"
}

# due_lines N WHEN OUT PREFIX: N entries firing at WHEN (epoch seconds: minute resolution, or
# with PREFIX "sec" tockd's [sec:S] option), each running `exec stamp OUT ID`
due_lines() {
        local n=$1 at=$2 out=$3 how=${4:-}
        awk -v n="$n" -v m=$((at / 60 % 60)) -v h=$((at / 3600 % 24)) -v s=$((at % 60)) -v how="$how" \
                -v cmd="exec $stamp $out" 'BEGIN { for (i = 0; i < n; i++)
                printf "%s%d %d * * * %s %05d >/dev/null 2>&1\n", how == "sec" ? "[sec:" s "] " : "", m, h, cmd, i }'
}

# ---- the daemons -----------------------------------------------------------------------

td_pid=0 td_spawner=0 td_log="" td_t0=0
# tockd_start NAME TOCKD-ARGS...: every path under $tmp/NAME
tockd_start() {
        local d=$tmp/$1
        shift
        mkdir -p "$d/state"
        td_log=$d/log
        td_t0=$(now_ns)
        TZ=UTC "$tockd" --foreground --config "$tmp/tockd.conf" --log-target stderr --log-level info --set jobs.pam_service= \
                --crontab '' --cron-d '' --spool '' --state-dir "$d/state" --set paths.boot_id="$tmp/boot_id" \
                --set paths.localtime="$tmp/localtime" --set paths.socket="$d/tockd.sock" "$@" </dev/null >/dev/null 2>"$td_log" &
        td_pid=$!
        started+=("$td_pid")
}

# tockd_ready DEADLINE_S: waits for "ready:"; sets td_spawner, td_ready_ns, td_jobs
tockd_ready() {
        local end=$(($(now_s) + $1)) line
        until line=$(grep -m 1 ' info: ready: ' "$td_log"); do
                if ! alive "$td_pid" || [ "$(now_s)" -ge "$end" ]; then
                        echo "tockd did not get ready; its log ends:" >&2
                        tail -n 5 "$td_log" >&2
                        return 1
                fi
                sleep 0.02
        done
        td_ready_ns=$(log_ns "${line%% *}")
        td_jobs=$(sed -n 's/.* ready: [0-9]* tables, \([0-9]*\) jobs.*/\1/p' <<<"$line")
        td_spawner=$(child_named "$td_pid" tockd-spawner) || { echo "tockd has no spawner" >&2; return 1; }
        started+=("$td_spawner")
}

bb_pid=0 bb_log="" bb_t0=0
bb_start() {
        mkdir -p "$tmp/$1"
        bb_log=$tmp/$1/log
        bb_t0=$(now_ns)
        TZ=UTC "$busybox" crond -f -L "$bb_log" -c "$2" </dev/null >/dev/null 2>&1 &
        bb_pid=$!
        started+=("$bb_pid")
}

# bb_loaded DEADLINE_S: busybox crond says nothing when it has read its tables, so: until it
# sleeps with RSS and CPU time unchanged over 3 polls 0.1 s apart. Sets bb_ready_ns (the first
# of those polls: an upper bound, to 0.1 s).
bb_loaded() {
        local end=$(($(now_s) + $1)) prev="" cur same=0 t=0
        while [ "$same" -lt 3 ]; do
                if ! alive "$bb_pid" || [ "$(now_s)" -ge "$end" ]; then
                        echo "busybox crond did not settle" >&2
                        return 1
                fi
                sleep 0.1
                cur="$(pstate "$bb_pid") $(mem "$bb_pid") $(snap "$bb_pid" | cut -d' ' -f1)"
                if [ "$cur" = "$prev" ] && [ "${cur%% *}" = S ]; then
                        same=$((same + 1))
                else
                        same=0
                        t=$(now_ns)
                fi
                prev=$cur
        done
        bb_ready_ns=$t
}

# wait_runs FILE N UNTIL_S: until FILE has N lines, or has some and has not grown for 3 s, or the
# clock passes UNTIL_S
wait_runs() {
        local n last=-1 still=0
        while [ "$(now_s)" -lt "$3" ]; do
                n=$(wc -l <"$1")
                [ "$n" -ge "$2" ] && return 0
                if [ "$n" -gt 0 ] && [ "$n" = "$last" ]; then
                        still=$((still + 1))
                        [ "$still" -lt 15 ] || return 0
                else
                        still=0
                fi
                last=$n
                sleep 0.2
        done
}

# stamps FILE DUE_S: "ran first_ms last_ms" from the stamp lines, relative to DUE_S
stamps() {
        awk -v due="$2" '!seen[$1]++ { n++; t = $2 - due * 1e9; if (n == 1 || t < lo) lo = t; if (n == 1 || t > hi) hi = t }
                END { if (n) printf "%d %.1f %.1f\n", n, lo / 1e6, hi / 1e6; else print "0 - -" }' "$1" 2>/dev/null || echo "0 - -"
}

# ---- a. memory -------------------------------------------------------------------------

memory_section() {
        local size per held t_ms m0 h0 m1 h1 s0 sh0 p tbl bbtbl td_arg warn
        echo "a. Resident memory after loading (VmRSS / VmHWM of /proc/PID/status), $(grp "$n_users") tables"
        if [ "$mode" = users ]; then
                echo "   of $(grp "$n_users") users (tockbench0000..0999), entries spread evenly; tockd reads them from its"
                echo "   spool (owned by each user), busybox crond from -c DIR (owned by root, as it requires)."
        else
                if [ -n "$busybox" ]; then
                        echo "   in cron.d style (a user field, $me) for tockd; busybox crond: one table, root's."
                else
                        echo "   in cron.d style (a user field, $me) for tockd."
                fi
        fi
        echo "   Entries fire on days 1-28 of month $far_month only, so nothing runs. tockd counts with its"
        echo "   spawner (tockd-spawner, its child); \"per entry\" is (RSS - RSS with no tables) / entries held."
        echo
        printf '%-14s %9s %9s %9s %11s %11s %11s %11s %10s\n' "daemon" "entries" "held" "load" "VmRSS" "spawner" \
                "RSS sum" "HWM sum" "per entry"
        for size in "${mem_sizes[@]}"; do
                per=$((size / n_users))
                tbl=$tmp/mem/tockd
                if [ "$mode" = users ]; then
                        gen_tables "$tbl" spool "$n_users" "$per"
                        owned_by_users "$tbl"
                        td_arg=(--spool "$tbl")
                else
                        gen_tables "$tbl" crond "$n_users" "$per"
                        td_arg=(--cron-d "$tbl")
                fi
                tockd_start "mem-tockd-$size" "${td_arg[@]}"
                tockd_ready 900 || return 1
                read -r m0 h0 < <(mem "$td_pid")
                read -r s0 sh0 < <(mem "$td_spawner")
                stop "$td_pid" "$td_spawner"
                t_ms=$(( (td_ready_ns - td_t0) / 1000000 ))
                [ "$size" = 0 ] && td_base=$((m0 + s0))
                mem_row tockd "$size" "$td_jobs" "$t_ms" "$m0" "$s0" "$((m0 + s0))" "$((h0 + sh0))" "$td_base"
                td_mem[$size]="$((m0 + s0)) $td_jobs $t_ms"
                rm -rf "$tbl"

                [ -n "$busybox" ] || continue
                bbtbl=$tmp/mem/busybox
                if [ "$mode" = users ]; then
                        gen_tables "$bbtbl" spool "$n_users" "$per"
                        held=$((n_users * (per < bb_cap ? per : bb_cap)))
                else
                        gen_tables "$bbtbl" single 1 "$size"
                        held=$((size < bb_root_cap ? size : bb_root_cap))
                fi
                bb_start "mem-busybox-$size" "$bbtbl"
                bb_loaded 600 || return 1
                read -r m1 h1 < <(mem "$bb_pid")
                stop "$bb_pid"
                warn=$(grep -c 'too many lines' "$bb_log" || true)
                t_ms=$(( (bb_ready_ns - bb_t0) / 1000000 ))
                [ "$size" = 0 ] && bb_base=$m1
                mem_row "busybox crond" "$size" "$held" "$t_ms" "$m1" - "$m1" "$h1" "$bb_base"
                [ "$warn" -gt 0 ] && bb_notes+=("$(grp "$size") entries: busybox crond logged 'too many lines' for $warn tables")
                bb_mem[$size]="$m1 $held"
                rm -rf "$bbtbl"
        done
        echo
        echo "   load: from the start to tockd's \"ready:\" log line.${busybox:+ busybox crond logs nothing when it}"
        [ -n "$busybox" ] && echo "   has read its tables: its figure is until it sleeps with RSS and CPU time steady (to 0.1 s)."
        if [ -n "$busybox" ]; then
                if [ "$mode" = users ]; then
                        echo "   held: busybox crond keeps at most $bb_cap entries of a table that is not root's (its"
                        echo "   MAXLINES, 256: it stops before reading line 256; checked in c. below) and warns"
                        echo "   'too many lines'; tockd's limit is 100,000 entries per table."
                else
                        echo "   held: busybox crond keeps at most $bb_root_cap lines of root's table."
                fi
                for p in "${bb_notes[@]}"; do echo "   $p"; done
        fi
        echo
        local kb n ms
        for size in 10000 1000000; do
                [ -n "${td_mem[$size]:-}" ] || continue
                read -r kb n ms <<<"${td_mem[$size]}"
                printf 'target: tockd resident memory, %s entries over %s tables (tockd + spawner)   measured %s, %s per entry, loaded in %s s' \
                        "$(grp "$size")" "$(grp "$n_users")" "$(kib "$kb")" "$(per_entry "$kb" "$td_base" "$n")" \
                        "$(awk -v m="$ms" 'BEGIN { printf "%.2f", m / 1000 }')"
                if [ -n "${bb_mem[$size]:-}" ]; then
                        read -r kb n <<<"${bb_mem[$size]}"
                        printf ' (busybox crond: %s holding %s, %s per entry)' "$(kib "$kb")" "$(grp "$n")" "$(per_entry "$kb" "$bb_base" "$n")"
                fi
                echo
        done
}

per_entry() { awk -v s="$1" -v b="$2" -v n="$3" 'BEGIN { if (n > 0) printf "%.0f B", (s - b) * 1024 / n; else printf "-" }'; }

mem_row() { # NAME ENTRIES HELD LOAD_MS RSS SPAWNER SUM HWM BASE
        local per spawner="-" load
        per=$(per_entry "$7" "$9" "$3")
        [ "$6" != - ] && spawner=$(kib "$6")
        load=$(awk -v ms="$4" 'BEGIN { printf (ms >= 10000 ? "%.0f s" : "%.2f s"), ms / 1000 }')
        printf '%-14s %9s %9s %9s %11s %11s %11s %11s %10s\n' "$1" "$(grp "$2")" "$(grp "$3")" "$load" "$(kib "$5")" \
                "$spawner" "$(kib "$7")" "$(kib "$8")" "$per"
}

# ---- b-d. idle, dispatch, reload -------------------------------------------------------

# d. tockd: a one-entry table replaced n_reloads times: from the rename to its "loaded, 1 job"
# log line. The log stamps whole milliseconds (truncated), so each delay is taken up to the end
# of that millisecond: an upper bound, by less than 1 ms.
tockd_reloads() { # DIR OWNER NAME [USER-FIELD]
        local dir=$1 owner=$2 name=$3 who=${4:+$4 } i t0 n line delays=()
        for ((i = 0; i < n_reloads; i++)); do
                n=$(grep -c "/$name: loaded, " "$td_log" || true)
                t0=$(echo "$i 0 1 $far_month * $who""exec $stamp $tmp/never reload-$i >/dev/null 2>&1" |
                        put_table "$dir/$name" "$owner")
                line=$(tockd_loaded_line "$name" "$n") || return 1
                delays+=("$(( $(log_ns "${line%% *}") + 500000 - t0 ))")
        done
        reload_stats=$(printf '%s\n' "${delays[@]}" | sort -n | awk '{ v[NR] = $1 } END {
                m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
                printf "%.1f %.1f\n", m / 1e6, v[NR] / 1e6 }')
}

# tockd_loaded_line NAME N: waits (10 s at most) for the N+1th "NAME: loaded" log line, prints it
tockd_loaded_line() {
        local end=$(($(now_s) + 10))
        until [ "$(grep -c "/$1: loaded, " "$td_log" || true)" -gt "$2" ]; do
                [ "$(now_s)" -lt "$end" ] || { echo "tockd did not load $1" >&2; return 1; }
                sleep 0.01
        done
        grep "/$1: loaded, " "$td_log" | sed -n "$(($2 + 1))p"
}

# tockd_put NAME OWNER DIR (the table on stdin): puts it in place; prints the rename's ns and the
# delay to its "loaded" line in ms (an upper bound, see tockd_reloads)
tockd_put() {
        local n t0 line
        n=$(grep -c "/$1: loaded, " "$td_log" || true)
        t0=$(put_table "$3/$1" "$2")
        line=$(tockd_loaded_line "$1" "$n") || { echo "$t0 -"; return 0; }
        echo "$t0 $(awk -v a="$(log_ns "${line%% *}")" -v b="$t0" 'BEGIN { printf "%.1f", (a + 500000 - b) / 1e6 }')"
}

idle_row() { # NAME SNAP_BEFORE SNAP_AFTER
        local t0 r0 v0 n0 t1 r1 v1 n1
        read -r t0 r0 v0 n0 <<<"$2"
        read -r t1 r1 v1 n1 <<<"$3"
        idle_wakes=$((v1 - v0 + n1 - n0))
        idle_ticks=$((t1 - t0))
        printf '%-16s %6d ticks = %5d ms %12.3f ms %8d + %-6d %14s\n' "$1" "$idle_ticks" $((idle_ticks * 1000 / hz)) \
                "$(awk -v a="$r0" -v b="$r1" 'BEGIN { print (b - a) / 1e6 }')" $((v1 - v0)) $((n1 - n0)) \
                "$(awk -v w="$idle_wakes" -v s="$idle_real" 'BEGIN { if (w == 0 || s >= 60) printf "%.1f", w * 3600 / s; else printf "-" }')"
}

# The busybox crond of b. and c., started before a. so that its first wake-up after the start
# (0-1 s after the next minute), which always rereads every table, is over before b.'s idle
# period. It holds root's 10,000 never-firing entries.
bb_run_start() {
        bb_dir=$tmp/run/busybox
        mkdir -p "$tmp/run"
        chmod 755 "$tmp/run"
        gen_tables "$bb_dir" single 1 "$n_jobs"
        bb_start run-busybox "$bb_dir"
        bb_loaded 120 || return 1
        bb_first_wake=$(( ($(now_s) / 60 + 1) * 60 + 1 ))
        run_bb_pid=$bb_pid
}

# c. tockd's jobs as tockbench0000, due at a whole second 12 s on ([sec:S]), cut off 3 s before
# busybox crond's minute if they have not all run by then; putting this 10,000-entry table in
# place is also one of d.'s figures
tockd_user_run() {
        local f=$out/tockd-user load
        : >"$f"
        chown "$(user 0):" "$f"
        m3=$(($(now_s) + 12))
        read -r _ td_user_load < <(due_lines "$n_jobs" "$m3" "$f" sec | tockd_put "$(user 0)" "$(user 0)" "$spool")
        if [ -n "$busybox" ]; then
                wait_runs "$f" "$n_jobs" $((m_bb - 3))
        else
                wait_runs "$f" "$n_jobs" $((m3 + 55))
        fi
        td_user_disp=$(stamps "$f" "$m3")
}

run_section() {
        spool=$tmp/run/tockd-spool
        out=$tmp/run/out
        local td_owner=root td_name=root ta tb tsa tsb ba bb_ t_a t_b
        mkdir -p "$spool" "$out"
        chmod 755 "$out"
        # b.-d. need no 1,000 users: with them, busybox crond's initgroups() for each job would
        # read a 1,000-line /etc/group, a cost of this bench, not of busybox
        [ "$mode" = users ] && write_userdb 3

        # tockd, with root's 10,000 never-firing entries (cron.d style: the user's)
        if [ "$mode" = users ]; then
                (umask 077 && awk -v n="$n_jobs" -v cmd="exec $stamp $tmp/never" -v mon="$far_month" 'BEGIN {
                        for (g = 0; g < n; g++) printf "%d %d %d %d * %s %07d >/dev/null 2>&1\n", g % 60,
                                int(g / 60) % 24, 1 + int(g / 1440) % 28, mon, cmd, g }' >"$spool/root")
                tockd_start run-tockd --spool "$spool"
        else
                td_owner=$me
                td_name=dispatch
                gen_tables "$spool" crond 1 "$n_jobs"
                mv "$spool/$(user 0)" "$spool/$td_name"
                tockd_start run-tockd --cron-d "$spool"
        fi
        tockd_ready 120 || return 1

        # d. table replacements on tockd, before the idle period
        if [ "$mode" = users ]; then
                tockd_reloads "$spool" "$(user 1)" "$(user 1)"
                rm -f "$spool/$(user 1)"
        else
                tockd_reloads "$spool" "$me" reload "$me"
                rm -f "$spool/reload"
        fi

        # b. the idle period. Shorter than a minute: centred on one of busybox crond's wake-ups
        # (0-1 s after a minute; not its first after the start, which rereads every table), so
        # that it holds one, its rate being one a minute. A minute or more: from now.
        local now w
        now=$(now_s)
        if [ "$idle_s" -lt 60 ]; then
                w=$(( (now + idle_s / 2 + 1 + 59) / 60 * 60 ))
                [ -n "$busybox" ] && [ "$w" -lt $((bb_first_wake + 59)) ] && w=$((bb_first_wake + 59))
                idle_from=$((w - idle_s / 2))
        else
                idle_from=$now
                [ -n "$busybox" ] && [ "$idle_from" -le $((bb_first_wake + 1)) ] && idle_from=$((bb_first_wake + 2))
        fi
        idle_to=$((idle_from + idle_s))
        # c.: busybox crond's 10,000 are due at m_bb, the first whole minute 30 s or more after b.;
        # tockd's (at whole seconds, [sec:S]) as a user before it, as root after it
        m_bb=$(( (idle_to + 30 + 59) / 60 * 60 ))
        sleep "$(awk -v a="$EPOCHREALTIME" -v b="$idle_from" 'BEGIN { d = b - a; print (d > 0 ? d : 0) }')"
        t_a=$EPOCHREALTIME
        ta=$(snap "$td_pid")
        tsa=$(snap "$td_spawner")
        [ -n "$busybox" ] && ba=$(snap "$run_bb_pid")
        sleep "$(awk -v a="$EPOCHREALTIME" -v b="$idle_to" 'BEGIN { d = b - a; print (d > 0 ? d : 0) }')"
        tb=$(snap "$td_pid")
        tsb=$(snap "$td_spawner")
        [ -n "$busybox" ] && bb_=$(snap "$run_bb_pid")
        t_b=$EPOCHREALTIME
        idle_real=$(awk -v a="$t_a" -v b="$t_b" 'BEGIN { printf "%.1f", b - a }')

        # c. busybox crond's tables, put in place now that b. is over: root's 10,000 due at m_bb,
        # and, as tockbench0000, the table that finds its per-table limit (lines cap_from to
        # cap_lines due at m_bb). It rereads its directory at its wake-up 0-1 s after m_bb, then
        # runs them: the delay from this rename to the first run is d.'s figure for busybox crond.
        local f_td=$out/tockd-$td_owner f_bb=$out/busybox-root f_cap=$out/busybox-cap
        : >"$f_td"
        : >"$f_bb"
        : >"$f_cap"
        if [ -n "$busybox" ]; then
                bb_put_t0=$(due_lines "$n_jobs" "$m_bb" "$f_bb" | put_table "$bb_dir/root" root)
                if [ "$mode" = users ]; then
                        chown "$(user 0):" "$f_cap"
                        { awk -v n=$((cap_from - 1)) -v mon="$far_month" -v cmd="exec $stamp $tmp/never" 'BEGIN {
                                for (i = 1; i <= n; i++) printf "%d %d 1 %d * %s cap-%d >/dev/null 2>&1\n", i % 60, i % 24, mon, cmd, i }'
                          due_lines $((cap_lines - cap_from + 1)) "$m_bb" "$f_cap" |
                                awk -v f="$cap_from" '{ sub(/ [0-9]+ >\/dev\/null/, " " NR + f - 1 " >/dev/null"); print }'
                        } | put_table "$bb_dir/$(user 0)" root >/dev/null
                fi
        fi
        # c. tockd as tockbench0000 (12 s from now), then busybox crond at m_bb
        [ "$mode" = users ] && tockd_user_run
        if [ -n "$busybox" ]; then
                wait_runs "$f_bb" "$n_jobs" $((m_bb + 55))
                bb_disp=$(stamps "$f_bb" "$m_bb")
                # tockd 5 s after busybox crond's next 10 s step, at which it reaps its jobs
                m_td=$((m_bb + ($(now_s) - m_bb) / 10 * 10 + 15))
        else
                m_td=$(($(now_s) + 10))
        fi
        [ "$m_td" -ge $(($(now_s) + 8)) ] || m_td=$((m_td + 10))
        # c. tockd as root: its 10,000 replace b.'s (d.'s figure for a changed table)
        if [ "$mode" = users ]; then
                read -r _ td_root_load < <(due_lines "$n_jobs" "$m_td" "$f_td" sec | tockd_put root root "$spool")
        else
                # cron.d style; jobs run in $HOME, and the caller's may not be usable (nobody's is not)
                read -r _ td_root_load < <({ echo "HOME=$tmp"; due_lines "$n_jobs" "$m_td" "$f_td" sec |
                        sed "s/^\(\[[^]]*\] [^ ]* [^ ]* [^ ]* [^ ]* [^ ]*\) /\1 $me /"; } | tockd_put "$td_name" "$me" "$spool")
        fi
        wait_runs "$f_td" "$n_jobs" $((m_td + 55))
        td_disp=$(stamps "$f_td" "$m_td")
        td_errors=$(grep -c ' error: ' "$td_log" || true)
        td_fail_sample=$(grep -m 1 ' error: ' "$td_log" | cut -d' ' -f4- || true)
        stop "$td_pid" "$td_spawner"
        [ -n "$busybox" ] && stop "$run_bb_pid"

        # ---- the report of b, c, d ----
        echo
        echo "b. Idle: $(grp "$n_jobs") entries loaded, nothing due, $([ -n "$busybox" ] && echo "both daemons over the same" || echo "tockd over") ${idle_real} s"
        echo "   (BENCH_IDLE_SECONDS=$idle_s, $idle_why)."
        [ "$idle_s" -lt 60 ] && [ -n "$busybox" ] && echo "   The period is centred on one of busybox crond's wake-ups."
        echo "   CPU: utime+stime of /proc/PID/stat (children excluded; 1 tick = $((1000 / hz)) ms) and the run time"
        echo "   in /proc/PID/schedstat. Wake-ups: context switches in /proc/PID/status (voluntary +"
        echo "   involuntary); a sleeping daemon switches once per wake-up."
        echo
        printf '%-16s %22s %15s %17s %14s\n' daemon "CPU (utime+stime)" "CPU (schedstat)" "wake-ups (v + i)" "wake-ups/hour"
        idle_row tockd "$ta" "$tb"
        local w_td=$idle_wakes
        idle_row tockd-spawner "$tsa" "$tsb"
        w_td=$((w_td + idle_wakes))
        local w_bb=-
        if [ -n "$busybox" ]; then
                idle_row "busybox crond" "$ba" "$bb_"
                w_bb=$idle_wakes
                echo "   busybox crond sleeps until the next minute (in 10 s steps while its jobs run): 60 wake-ups"
                echo "   an hour, each a pass over every entry (and a reread of every table when the directory's"
                echo "   mtime changed, and hourly)."
                [ "$idle_s" -lt 60 ] && echo "   A period under a minute is placed to hold one of them, and gives no rate (-)."
        fi
        echo "   perf: $perf_note"

        echo
        echo "c. Dispatch: $(grp "$n_jobs") jobs due at the same instant, each /bin/sh -c 'exec stamp FILE ID"
        echo "   >/dev/null 2>&1' (bench/stamp.c appends ID and CLOCK_REALTIME to FILE): the delay from the"
        echo "   due instant to the first and the last stamp, one daemon at a time. tockd's jobs are due at"
        echo "   whole seconds.${busybox:+ busybox crond has minute resolution and wakes 0-1 s after the minute}"
        if [ -n "$busybox" ]; then
                echo "   (it sleeps whole seconds from the sub-second instant it was started at); the tables having"
                echo "   been put in place after b., it first rereads its directory (about 10 ms for 10,000 lines)."
        fi
        echo
        printf '%-14s %-14s %9s %9s %9s %13s %13s\n' daemon "runs as" "due (UTC)" jobs ran first last
        disp_row tockd "$td_owner" "$m_td" "$td_disp"
        [ -n "$busybox" ] && disp_row "busybox crond" root "$m_bb" "$bb_disp"
        [ "$mode" = users ] && disp_row tockd "$(user 0)" "$m3" "$td_user_disp"
        if [ "$td_errors" -gt 0 ]; then
                echo "   tockd logged $td_errors errors; the first: $td_fail_sample"
        fi
        if [ -n "$busybox" ] && [ "$mode" = users ]; then
                local ran_n lo hi
                read -r ran_n lo hi < <(awk '{ n++; if (n == 1 || $1 < lo) lo = $1; if ($1 > hi) hi = $1 }
                        END { printf "%d %d %d\n", n, lo, hi }' "$f_cap")
                if [ "$ran_n" -gt 0 ]; then
                        echo "   busybox crond's per-table limit: of lines $cap_from-$cap_lines of tockbench0000's table, all due"
                        echo "   at $(date -u -d "@$m_bb" +%H:%M), lines $lo-$hi ran ($ran_n): it keeps the first $hi lines of a table"
                        echo "   that is not root's (a. assumed $bb_cap)."
                else
                        echo "   busybox crond's per-table limit: none of lines $cap_from-$cap_lines of tockbench0000's table ran."
                fi
        fi
        echo "   the machine: $(nproc) CPUs, pid_max $(cat /proc/sys/kernel/pid_max); open files (soft limit) of both"
        echo "   daemons: $(ulimit -Sn)"

        echo
        echo "d. From putting a table in place (a rename into the directory, as crontab(1) does) to the"
        echo "   daemon having its jobs."
        local med max
        read -r med max <<<"$reload_stats"
        echo "   tockd: a one-entry table replaced $n_reloads times, the rename to its 'loaded, 1 job' log line:"
        echo "          median $med ms, max $max ms (the log stamps whole ms: upper bounds, by < 1 ms)"
        echo "   tockd: c.'s $(grp "$n_jobs") entries of $td_owner replacing the $(grp "$n_jobs") of b. (every entry changed): $td_root_load ms"
        [ "$mode" = users ] && echo "   tockd: c.'s $(grp "$n_jobs") entries of tockbench0000, a new table: $td_user_load ms"
        if [ -n "$busybox" ]; then
                local n_p f_p w_at dd
                read -r n_p f_p _ <<<"$bb_disp"
                if [ "$n_p" -gt 0 ]; then
                        w_at=$(awk -v t="$bb_put_t0" 'BEGIN { printf "%.1f", (t / 1e9) % 60 }')
                        dd=$(awk -v t="$bb_put_t0" -v due="$m_bb" -v f="$f_p" 'BEGIN { printf "%.1f", (due * 1e9 + f * 1e6 - t) / 1e9 }')
                        echo "   busybox crond logs no load, and has no inotify: it rereads its directory at its next"
                        echo "   wake-up (0-1 s after each minute) when the directory's mtime changed. c.'s root table,"
                        echo "   put in place at second $w_at of a minute, first ran $dd s later: the rename to the first"
                        echo "   run, an upper bound of the rename to the load. By design that delay is 60 s minus the"
                        echo "   second of the write, plus under 1 s: up to 61 s, 30 s on average."
                        bb_reload="$dd s, written at second $w_at; up to 61 s by design"
                else
                        bb_reload="n/a"
                fi
        fi
        echo
        echo "target: tockd idle wake-ups over ${idle_real} s, tockd + spawner = 0   measured $w_td${busybox:+ (busybox crond $w_bb)}   $(verdict "$w_td" 0)"
        local ran first last
        read -r ran first last <<<"$td_disp"
        echo "target: tockd runs all $(grp "$n_jobs") jobs due together   measured $(grp "$ran") ran, first +$first ms, last +$last ms${busybox:+ (busybox crond: $(disp_short "${bb_disp:-}"))}   $(verdict "$ran" "$n_jobs")"
        if [ "$mode" = users ]; then
                read -r ran first last <<<"$td_user_disp"
                echo "target: tockd runs all $(grp "$n_jobs") jobs due together, as a user   measured $(grp "$ran") ran, first +$first ms, last +$last ms   $(verdict "$ran" "$n_jobs")"
        fi
        echo "target: tockd table put in place -> jobs queued   measured median $med ms, max $max ms${busybox:+ (busybox crond: ${bb_reload:-n/a})}"
}

verdict() { if [ "$1" = "$2" ]; then echo PASS; else echo MISS; fi; } # A B: PASS when equal

disp_row() { # NAME USER DUE "ran first last"
        local ran first last
        read -r ran first last <<<"$4"
        printf '%-14s %-14s %9s %9s %9s %13s %13s\n' "$1" "$2" "$(date -u -d "@$3" +%H:%M:%S)" "$(grp "$n_jobs")" \
                "$(grp "$ran")" "$(fmt_ms "$first")" "$(fmt_ms "$last")"
}
disp_short() {
        local ran first last
        [ -n "$1" ] || { echo "n/a"; return; }
        read -r ran first last <<<"$1"
        echo "$(grp "$ran") ran, first +$first ms, last +$last ms"
}
fmt_ms() { if [ "$1" = - ]; then echo -; else awk -v v="$1" 'BEGIN { printf "%+.1f ms", v }'; fi; }

# ---- main ------------------------------------------------------------------------------

build_tools "$build"
hz=$(getconf CLK_TCK)
: >"$tmp/tockd.conf"
cat /proc/sys/kernel/random/boot_id >"$tmp/boot_id"
cp /usr/share/zoneinfo/UTC "$tmp/localtime"

busybox=$(find_busybox) || busybox=""
bb_cap=255
bb_root_cap=65534
bb_notes=()
declare -A td_mem=() bb_mem=()
td_base=0 # RSS with no table, a.'s first size when it is 0
bb_base=0
mode=single
setup_run || true
if setup_users; then
        mode=users
fi
if ! $is_root; then
        busybox_skip="busybox crond reads only tables owned by root, and this is not root"
        busybox=""
elif ! $run_mounted; then
        busybox_skip="no mount namespace, and busybox crond would write /var/run/crond.pid and crond.reboot"
        busybox=""
fi
if perf stat -e context-switches true >/dev/null 2>&1; then
        perf_note="it works here for software events, but its context-switches for -p PID count what"
        perf_note+=$'\n'"   /proc does; the /proc counters are used"
else
        perf_note="not usable here; the /proc counters are used"
fi

echo "tockd: $("$tockd" --version), $tockd"
if [ -n "$busybox" ]; then
        echo "peer: busybox $("$busybox" 2>&1 | sed -n '1s/^BusyBox \(v[^ ]*\).*/\1/p') crond, $busybox"
else
        [ -n "${busybox_skip:-}" ] || busybox_skip="no busybox with a crond applet: Debian's busybox has none, and busybox-static's
      .deb could not be fetched; BENCH_BUSYBOX=PATH names one"
        echo "peer: none ($busybox_skip)"
fi
if [ "$mode" = users ]; then
        echo "users: $(grp "$n_users") bench users (uids $uid_base..$((uid_base + n_users - 1))) in a private mount namespace, whose /etc"
        echo "       is an overlay that adds them to passwd and group for this run only; /run is a temp dir"
else
        if [ "${BENCH_DAEMON_USERS:-1}" = 0 ]; then
                why="BENCH_DAEMON_USERS=0"
        elif $is_root; then
                why="no mount namespace for the bench users"
        else
                why="not root"
        fi
        echo "users: one, $me ($why): tables in cron.d style with a user field"
        $run_mounted && echo "       /run is a temp dir of a private mount namespace"
fi
echo "both daemons run with TZ=UTC; every path is under a temp dir; /etc/crontab, /etc/cron.d and /var/spool are not read"
echo
t_section=$SECONDS
[ -n "$busybox" ] && bb_run_start
memory_section
t_mem=$((SECONDS - t_section))
run_section
echo
echo "the daemon section took $((SECONDS - t_section)) s: a. $t_mem s, b.-d. $((SECONDS - t_section - t_mem)) s (mostly waiting for minutes)"
