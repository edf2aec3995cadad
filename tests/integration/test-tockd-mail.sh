#!/usr/bin/env bash
# Job output by mail, as cron(8) sends it: to MAILTO (the owner by default), from MAILFROM, with
# cron's headers, as the job's owner, and no mail when the job printed nothing or MAILTO="".
# The sendmail is a stand-in that records its arguments, its user and the message.
. "$(dirname "$0")/lib.sh"
TOCKD=${TOCKD:-build/tockd}
case $TOCKD in /*) ;; *) TOCKD=$PWD/$TOCKD ;; esac
T=$T_TMP
chmod 755 "$T"
pid=
cleanup() {
        local p
        p=$(grep -o -m1 'tockd\[[0-9]*\]' "$T/log" 2>/dev/null | tr -dc 0-9)
        [ -n "$p" ] && kill -TERM "$p" 2>/dev/null
        [ -n "$pid" ] && { sleep 0.2; kill -KILL "$pid" 2>/dev/null; }
        rm -rf "$T"
}
trap cleanup EXIT
wait_for() { # SECONDS CMD...
        local end=$((SECONDS + $1)); shift
        while [ $SECONDS -lt $end ]; do "$@" && return 0; sleep 0.1; done
        return 1
}
ME=$(id -un)
mkdir -p "$T/cron.d" "$T/state" "$T/mail"
chmod 777 "$T/mail"
printf '%s\n' '#!/bin/sh' \
        "n=\$(mktemp \"$T/mail/msg.XXXXXX\")" \
        'printf "%s\n" "$*" > "$n.args"' \
        'id -un > "$n.user"' \
        'cat > "$n"' >"$T/sendmail"
chmod 755 "$T/sendmail"
printf '%s\n' \
        "[sec:*/2] * * * * * $ME echo hello from the job; echo an error >&2" \
        "MAILTO=someone@example.org" \
        "MAILFROM=cron@example.org" \
        "[sec:*/2] * * * * * $ME echo to someone" \
        "[sec:*/2] * * * * * $ME true" \
        'MAILTO=""' \
        "[sec:*/2] * * * * * $ME echo not mailed" >"$T/cron.d/t"
echo mail-test >"$T/boot_id"
"$TOCKD" --foreground --set jobs.pam_service= --crontab '' --cron-d "$T/cron.d" --spool '' --socket '' --state-dir "$T/state" \
        --log-target stderr --log-level debug --set paths.boot_id="$T/boot_id" --set jobs.sendmail="$T/sendmail" \
        </dev/null >/dev/null 2>"$T/log" &
pid=$!
mails_with() { grep -l -- "$1" "$T"/mail/msg.?????? >/dev/null 2>&1; }
wait_for 20 mails_with "hello from the job" && ok || fail "no mail of the first job: $(tail -5 "$T/log")"
wait_for 20 mails_with "to someone" && ok || fail "no mail to MAILTO: $(tail -5 "$T/log")"
m=$(grep -l "hello from the job" "$T"/mail/msg.?????? | head -1)
grep -qx "To: $ME" "$m" && ok || fail "the owner's mail is not to $ME: $(head -3 "$m")"
grep -qx "From: root (Cron Daemon)" "$m" && ok || fail "no cron From: $(head -3 "$m")"
grep -q "^Subject: Cron <$ME@.*> echo hello from the job; echo an error >&2$" "$m" && ok || fail "subject: $(grep Subject "$m")"
grep -qx "X-Cron-Env: <LOGNAME=$ME>" "$m" && ok || fail "no X-Cron-Env headers"
grep -qx "an error" "$m" && ok || fail "stderr is not in the mail"
grep -qx -- "-FCronDaemon -i -oem -oi -t" "$m.args" && ok || fail "sendmail arguments: $(cat "$m.args")"
[ "$(cat "$m.user")" = "$ME" ] && ok || fail "sendmail ran as $(cat "$m.user"), not $ME"
m2=$(grep -l "to someone" "$T"/mail/msg.?????? | head -1)
grep -qx "To: someone@example.org" "$m2" && grep -qx "From: cron@example.org" "$m2" && ok || fail "MAILTO/MAILFROM: $(head -3 "$m2")"
wait_for 10 grep -q "t:7 ($ME) ended" "$T/log" && ok || fail "the MAILTO=\"\" job did not run"
! mails_with "not mailed" && ok || fail "a MAILTO=\"\" job was mailed"
grep -q "t:7 ($ME) output: not mailed" "$T/log" && ok || fail "MAILTO=\"\" output is not logged"
# 'true' (line 5) prints nothing: no mail for it
wait_for 10 grep -q "t:5 ($ME) ended" "$T/log" && ok || fail "line 5 did not run"
! grep -q "t:5 ($ME) output (.*) mailed" "$T/log" && ok || fail "an empty output was mailed"
finish
