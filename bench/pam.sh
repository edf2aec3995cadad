#!/usr/bin/env bash
# bench/pam.sh [BUILD] [N]: what a PAM session costs a burst. N jobs (default 1000) of one test
# user fall due at the same second, once through a private PAM service like Debian's cron
# service (pam_unix account, pam_env, pam_limits, pam_loginuid; no pam_exec), once without
# PAM; prints, for each, when the first and the last job started after the fire time and the
# starts per second. Root only (it creates the user and removes it). Not part of `make bench`:
# no peer cron has PAM to run beside it here.
set -u
B=${1:-build}
N=${2:-1000}
TOCKD=$(cd "$B" && pwd)/tockd
[ "$(id -u)" = 0 ] || { echo "bench/pam.sh: needs root"; exit 0; }
T=$(mktemp -d)
chmod 755 "$T"
U=tockbench$$
pid=
cleanup() {
        [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
        sleep 0.5
        userdel "$U" 2>/dev/null
        getent group "$U" >/dev/null && groupdel "$U" 2>/dev/null
        rm -rf "$T"
}
trap cleanup EXIT
useradd -M -U -d "$T/home" -s /bin/sh "$U" || exit 1
mkdir -p "$T/home" "$T/pam.d"
chown "$U" "$T/home"
printf '%s\n' 'TOCK_PAM_VAR=1' >"$T/env"
: >"$T/env.conf"
printf '%s\n' "$U soft nofile 4096" "$U hard nofile 4096" >"$T/limits.conf"
cat >"$T/pam.d/cron" <<EOF
auth     required  pam_permit.so
account  required  pam_unix.so
session  optional  pam_loginuid.so
session  required  pam_env.so readenv=1 envfile=$T/env conffile=$T/env.conf user_readenv=0
session  required  pam_limits.so conf=$T/limits.conf
session  required  pam_unix.so
EOF

# run LABEL TOCKD-ARGS...: the burst at the next whole minute + 2 s... measured from the log
run() {
        local label=$1 d=$T/$1 now at
        shift
        mkdir -p "$d/cron.d" "$d/state"
        now=$(date +%s)
        at=$(( (now + 4) % 60 ))
        for _ in $(seq 1 "$N"); do echo "[sec:$at] * * * * * $U true"; done >"$d/cron.d/t"
        echo "bench-$label" >"$d/boot_id"
        "$TOCKD" --foreground --crontab '' --cron-d "$d/cron.d" --spool '' --socket '' --state-dir "$d/state" \
                --log-target stderr --log-level info --set paths.boot_id="$d/boot_id" --set paths.pam_dir="$T/pam.d" \
                --set jobs.sendmail= "$@" </dev/null >/dev/null 2>"$d/log" &
        pid=$!
        local end=$((SECONDS + 60))
        while [ "$(grep -c 'ended: pid' "$d/log")" -lt "$N" ] && [ $SECONDS -lt $end ]; do sleep 0.2; done
        kill -TERM "$pid"
        wait "$pid"
        pid=
        local fire first last n
        fire=$(( now - now % 60 + at )); [ "$fire" -lt "$now" ] && fire=$((fire + 60))
        n=$(grep -c ' started pid ' "$d/log")
        first=$(grep -m1 ' started pid ' "$d/log" | cut -c1-23)
        last=$(grep ' started pid ' "$d/log" | tail -n 1 | cut -c1-23)
        first=$(( $(date -d "$first" +%s%3N) - fire * 1000 ))
        last=$(( $(date -d "$last" +%s%3N) - fire * 1000 ))
        printf '%-12s %6d started  first +%5d ms  last +%6d ms  %6.0f starts/s  %s\n' "$label" "$n" "$first" "$last" \
                "$(echo "$n / (($last - $first + 1) / 1000)" | bc -l)" "$(grep -c 'failed before running' "$d/log") failed"
        grep -m1 'PAM' "$d/log" | sed 's/^.*info: /             /'
}
echo "bench/pam.sh: $N jobs of one user due at one second"
run no-pam --set jobs.pam_service=
run pam --set jobs.pam_service=cron
