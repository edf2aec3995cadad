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
