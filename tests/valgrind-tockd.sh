#!/usr/bin/env bash
# tockd (and its spawner) under valgrind: load tables, run a few jobs, reload on SIGHUP, stop on
# SIGTERM; fails on any memory error or definite/indirect leak in either process.
set -uo pipefail
TOCKD=${1:-build/tockd}
T=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
mkdir -p "$T/cron.d" "$T/spool" "$T/state"
echo "valgrind-boot" >"$T/boot_id"
printf 'CRON_TZ=Europe/Berlin\n[sec:*/1] * * * * * root echo tick >> %s/out\n@reboot root echo boot >> %s/out\n0 0 30 2 * root never\n' "$T" "$T" >"$T/cron.d/a"
printf 'bad line\n' >"$T/cron.d/b"
# as root, the jobs go through a private PAM service: the session holder (a fork of the spawner,
# so under valgrind too) is checked as well
pam=(--set jobs.pam_service=)
if [ "$(id -u)" = 0 ] && [ -n "$(find /lib /usr/lib -name pam_unix.so -path '*security*' 2>/dev/null | head -n 1)" ]; then
        mkdir -p "$T/pam.d"
        printf '%s\n' 'auth required pam_permit.so' 'account required pam_unix.so' 'session required pam_env.so readenv=0' \
                'session required pam_limits.so' 'session required pam_unix.so' >"$T/pam.d/cron"
        pam=(--set jobs.pam_service=cron --set paths.pam_dir="$T/pam.d")
fi
valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99 --child-silent-after-fork=no \
        --log-file="$T/vg.%p" \
        "$TOCKD" --foreground "${pam[@]}" --crontab '' --cron-d "$T/cron.d" --spool "$T/spool" --state-dir "$T/state" --socket "$T/sock" \
        --log-target stderr --log-level debug --set paths.boot_id="$T/boot_id" 2>"$T/log" &
pid=$!
wait_for() { # PATTERN FILE SECONDS
        local end=$((SECONDS + $3))
        while [ $SECONDS -lt $end ]; do grep -q -- "$1" "$2" 2>/dev/null && return 0; sleep 0.2; done
        echo "timed out waiting for '$1' in $2"; cat "$T/log"; return 1
}
wait_for "ready:" "$T/log" 60 || exit 1
wait_for "tick" "$T/out" 30 || exit 1
printf '[sec:*/1] * * * * * root echo tock >> %s/out\n' "$T" >"$T/cron.d/c"
wait_for "tock" "$T/out" 30 || exit 1
kill -HUP "$pid"
wait_for "reloading on SIGHUP" "$T/log" 30 || exit 1
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
# the spawner leaves when tockd closes its socket; let it finish its own leak report
for f in "$T"/vg.*; do
        p=${f##*.}
        end=$((SECONDS + 20))
        while [ -d "/proc/$p" ] && [ $SECONDS -lt $end ]; do sleep 0.1; done
done
if [ "$rc" != 0 ] || grep -q . "$T"/vg.* 2>/dev/null; then
        echo "valgrind reported problems in tockd (exit status $rc):"
        cat "$T"/vg.*
        exit 1
fi
[ "$(ls "$T"/vg.* | wc -l)" -ge 2 ] || { echo "expected valgrind logs of tockd and its spawner"; ls "$T"; exit 1; }
grep -q "jobs go through the PAM service" "$T/log" && with=", PAM session holders too" || with=
echo "valgrind: tockd and its spawner clean ($(grep -c tick "$T/out") runs$with)"
