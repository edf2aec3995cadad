# bench/lib.sh: process helpers shared by bench/daemon.sh, bench/mem.sh and bench/peers.sh
# (sourced, bash). They read /proc only; stop() signals only the PIDs it is given.

# the state letter of PID (R, S, Z, ...), or nothing when it is gone
pstate() {
        local s
        read -r s 2>/dev/null <"/proc/$1/stat" || return 0
        s=${s##*) }
        echo "${s%% *}"
}
alive() { local s; s=$(pstate "$1"); [ -n "$s" ] && [ "$s" != Z ]; }

# the PID of the child of PPID whose name is COMM
child_named() { # PPID COMM
        local f s a
        for f in /proc/[0-9]*/stat; do
                read -r s 2>/dev/null <"$f" || continue
                [[ $s == *"($2) "* ]] || continue
                read -ra a <<<"${s##*) }"
                [ "${a[1]}" = "$1" ] || continue
                f=${f#/proc/}
                echo "${f%/stat}"
                return 0
        done
        return 1
}

# stop PID...: SIGTERM, then SIGKILL after 10 s; reaps those that are this shell's children
stop() {
        local p i
        for p; do kill -TERM "$p" 2>/dev/null || true; done
        for p; do
                for ((i = 0; i < 200; i++)); do
                        alive "$p" || break
                        sleep 0.05
                done
                alive "$p" && kill -KILL "$p" 2>/dev/null
                wait "$p" 2>/dev/null || true
        done
}

# warm_memory BUILD MIB: MIB MiB (at most half of what is available) faulted in and given back
# by bench/warm.c, built into BUILD/bench-warm on first use, before daemons are measured: on a
# virtual machine, memory the host never backed costs its first user far more (bench/warm.c).
# Quiet; a failure only leaves the figures as they would have been.
warm_memory() { # BUILD MIB
        local tool=$1/bench-warm avail mib=$2 src
        src=$(dirname "${BASH_SOURCE[0]}")/warm.c
        [ -x "$tool" ] && [ "$tool" -nt "$src" ] || "${CC:-cc}" -O2 -o "$tool" "$src" 2>/dev/null || return 0
        avail=$(awk '$1 == "MemAvailable:" { print int($2 / 2048) }' /proc/meminfo 2>/dev/null)
        [ -n "$avail" ] && [ "$avail" -lt "$mib" ] && mib=$avail
        if [ "${mib:-0}" -gt 0 ]; then "$tool" "$mib" 2>/dev/null || true; fi
}
