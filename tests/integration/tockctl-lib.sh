# tests/integration/tockctl-lib.sh: tockctl against a running tockd. Source it after lib.sh and
# tockd-lib.sh. tc_start runs tockd (tockd-lib's td_start) with its control socket, cron.allow and
# cron.deny in the instance's directory; tockctl is reached with --socket (the `ctl` command) or
# $TOCK_SOCKET (for the `crontab` name, a symlink to tockctl in $T/bin, which has no --socket).
# Commands run as this shell's user or, when root, as a test user (setpriv); `r` keeps the exit
# code and both outputs of one command, `want` checks them. The C helpers are built into $T.

TOCKCTL=${TOCKCTL:-build/tockctl}
case $TOCKCTL in /*) ;; *) TOCKCTL=$PWD/$TOCKCTL ;; esac
TC_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TC_ROOT=$(cd "$TC_HERE/../.." && pwd)
mkdir -p "$T/bin" "$T/shared"
chmod 755 "$T/bin"
chmod 1777 "$T/shared" # any test user may write here (counters, job output)
ln -s "$TOCKCTL" "$T/bin/crontab"
CRONTAB=$T/bin/crontab
SOCK=
RC=

# tc_need_binaries NAME: tockd and tockctl are built, or everything skips
tc_need_binaries() {
        local b
        for b in "$TOCKD" "$TOCKCTL"; do
                if [ ! -x "$b" ]; then
                        skip "$1" "no binary at $b (run make)"
                        finish
                        exit
                fi
        done
}

# tc_start NAME [TOCKD-ARGS...]: starts tockd with its socket at $T/NAME/sock and cron.allow,
# cron.deny at $T/NAME/cron.allow, $T/NAME/cron.deny (absent until a test writes them); sets SOCK
# and exports TOCK_SOCKET
tc_start() {
        local n=$1
        shift
        td_start "$n" --socket "$T/$n/sock" --set paths.cron_allow="$T/$n/cron.allow" \
                --set paths.cron_deny="$T/$n/cron.deny" "$@" || return 1
        SOCK=$T/$n/sock
        export TOCK_SOCKET=$SOCK
        wait_until 10 test -S "$SOCK" || { flunk "$n: the control socket exists" "no socket at $SOCK"; return 1; }
}

# tc_install_works NAME: as an ordinary user on a machine with a `crontab` group (Debian with
# cron installed) that this user is not in, tockd cannot install any table (a known bug): says so
# and ends the script. Leaves no table and no previous version behind.
tc_install_works() {
        $IS_ROOT && return 0
        getent group crontab >/dev/null || return 0
        id -nG | tr ' ' '\n' | grep -qx crontab && return 0
        printf '# probe\n' >"$T/probe.cron"
        ctl "" install "$T/probe.cron"
        rm -f "$T/$1/spool/$ME" "$T/$1/state/previous/$ME"
        if [ "$RC" != 0 ] && grep -q "Operation not permitted" "$T/err"; then
                bug "$1: tockd as an ordinary user installs tables" \
                        "with a 'crontab' group on the machine, tockd not run as root cannot install any table: spool_gid() in daemon/control.c makes write_atomic() fchown the new table to group crontab, which fails with EPERM ('$(cat "$T/err")'); the rest of this file needs installs"
                finish
                exit
        fi
}

# tc_alive NAME: tockd is still running, and its log has no sanitizer report
tc_alive() {
        local pid=${TD_PID[$1]:-}
        [ -n "$pid" ] && alive "$pid" && ! grep -qE 'Sanitizer|runtime error:' "$T/$1/log"
}

# tc_user NAME: a test user NAME with its own group and a home $T/home/NAME (root only); removed
# by the EXIT trap
tc_user() {
        local u=$1
        CLEAN_USERS+=("$u")
        mkdir -p "$T/home"
        chmod 755 "$T/home"
        useradd -M -U -d "$T/home/$u" -s /bin/sh "$u" || return 1
        mkdir -p "$T/home/$u"
        chown "$u:$(id -gn "$u")" "$T/home/$u"
}

# as WHO CMD...: runs CMD as WHO ("" or this shell's user: directly; otherwise with WHO's uid, gid
# and groups, HOME, USER and LOGNAME)
as() {
        local who=$1
        shift
        if [ -z "$who" ] || [ "$who" = "$ME" ]; then
                "$@"
        else
                setpriv --reuid="$who" --regid="$(id -g "$who")" --init-groups \
                        env HOME="$T/home/$who" USER="$who" LOGNAME="$who" TMPDIR="$T/home/$who" "$@"
        fi
}

# r WHO CMD...: runs CMD as WHO with stdin from /dev/null (or from $R_IN when set); stdout in
# $T/out, stderr in $T/err, the exit code in RC. A sanitizer report (ASan builds of tockctl)
# fails at once: it would otherwise stay hidden in $T/err.
r() {
        as "$@" <"${R_IN:-/dev/null}" >"$T/out" 2>"$T/err"
        RC=$?
        if grep -qE 'Sanitizer|runtime error:' "$T/err" "$T/out"; then
                flunk "no sanitizer report from '${*:2}'" "$(grep -hE -A12 'Sanitizer|runtime error:' "$T/err" "$T/out" | head -n 30)"
        fi
}
# ctl WHO ARGS...: r with tockctl --socket $SOCK
ctl() {
        local who=$1
        shift
        r "$who" "$TOCKCTL" --socket "$SOCK" "$@"
}
# ct WHO ARGS...: r with the `crontab` name ($TOCK_SOCKET says where tockd is)
ct() {
        local who=$1
        shift
        r "$who" "$CRONTAB" "$@"
}

# want NAME RC [STREAM TEXT]...: after r, passes when the exit code was RC (- for any) and each
# STREAM has TEXT: `out`/`err` contain it (fixed string), `!out`/`!err` do not, `=out`/`=err` are
# exactly it
want() {
        local name=$1 rc=$2 why="" s f
        shift 2
        [ "$rc" = - ] || [ "$RC" = "$rc" ] || why="exited $RC, wanted $rc"
        while [ $# -ge 2 ]; do
                s=$1
                f=$T/${s#[=!]}
                case $s in
                !*) ! grep -qF -- "$2" "$f" || why="${why:+$why; }${s#!} has '$2'" ;;
                =*) [ "$(cat "$f")" = "$2" ] || why="${why:+$why; }${s#=} is not exactly '$2'" ;;
                *) grep -qF -- "$2" "$f" || why="${why:+$why; }$s lacks '$2'" ;;
                esac
                shift 2
        done
        if [ -z "$why" ]; then
                pass "$name"
        else
                flunk "$name" "$why"$'\n'"stdout: $(head -c 800 "$T/out")"$'\n'"stderr: $(head -c 1200 "$T/err")"
        fi
}

# bug NAME WHAT: a check that found a known bug in tockd or tockctl: skipped, saying which
# bugs found while writing these tests, fixed since: seeing one again is a failure
bug() { flunk "$1" "REGRESSION: $2"; }

# tc_cc NAME: builds tests/integration/NAME.c into $T/NAME (with common/ for proto.h); fails
# (after a skip message) when there is no compiler
tc_cc() {
        if ! command -v cc >/dev/null; then
                skip "$1" "no C compiler (cc) to build tests/integration/$1.c"
                return 1
        fi
        if ! cc -std=gnu11 -O1 -Wall -I"$TC_ROOT/common" -o "$T/$1" "$TC_HERE/$1.c" 2>"$T/cc.err"; then
                flunk "tests/integration/$1.c builds" "$(head -c 1500 "$T/cc.err")"
                return 1
        fi
}

# peer_hold NAME MODE [ARGS...]: proto-peer (built by tc_cc) in MODE against $SOCK, kept going
# until peer_release (it waits for its stdin to end); its output in $T/NAME.out; returns once it
# has printed its first line ("held K", "sent K"), or after 30 s
peer_hold() {
        local n=$1
        shift
        mkfifo "$T/$n.fifo"
        "$T/proto-peer" "$SOCK" "$@" <"$T/$n.fifo" >"$T/$n.out" 2>&1 &
        PEER_PID=$!
        CLEAN_PIDS+=("$PEER_PID")
        exec 7>"$T/$n.fifo"
        wait_until 30 test -s "$T/$n.out"
}
peer_release() {
        exec 7>&-
        wait "$PEER_PID"
        forget "$PEER_PID"
}

# json_ok FILE: FILE is one JSON document (python3 -m json.tool); status 2 when python3 is missing
json_ok() {
        command -v python3 >/dev/null && python3 -c 'import json' 2>/dev/null || return 2
        python3 -m json.tool "$1" >/dev/null 2>&1
}
# want_json NAME: after r, stdout parses as JSON (skipped without python3)
want_json() {
        json_ok "$T/out"
        case $? in
        0) pass "$1" ;;
        2) skip "$1" "python3 is not installed to validate JSON" ;;
        *) flunk "$1" "stdout is not valid JSON: $(head -c 800 "$T/out")" ;;
        esac
}

# seconds_gaps FILE FROM TO: prints the seconds in FROM..TO that FILE (one epoch second a line)
# lacks
seconds_gaps() {
        local s
        for ((s = $2; s <= $3; s++)); do grep -qx "$s" "$1" || echo "$s"; done
}
