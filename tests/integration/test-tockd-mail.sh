#!/usr/bin/env bash
# Job output by mail, as cron(8) sends it: to MAILTO (the owner by default), from MAILFROM, with
# cron's headers, as the job's owner, and no mail when the job printed nothing or MAILTO="".
# The sendmail is a stand-in that records its arguments, its user and the message, then marks it
# done.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tockd-lib.sh"
export TZ=UTC

td_require_tockd "tockd mail"
td_require_home "tockd mail"

M=$T/mail
mkdir -p "$M"
chmod 777 "$M"
put "$T/sendmail" 755 <<EOF
#!/bin/sh
n=\$(mktemp "$M/msg.XXXXXX")
printf "%s\n" "\$*" > "\$n.args"
id -un > "\$n.user"
cat > "\$n"
: > "\$n.done"
EOF
D=$T/mailer
td_prepare mailer
put "$D/cron.d/t" <<EOF
[sec:*/2] * * * * * $ME echo hello from the job; echo an error >&2
MAILTO=someone@example.org
MAILFROM=cron@example.org
[sec:*/2] * * * * * $ME echo to someone
[sec:*/2] * * * * * $ME true
MAILTO=""
[sec:*/2] * * * * * $ME echo not mailed
EOF
td_start mailer --set jobs.sendmail="$T/sendmail" || { finish; exit; }

# mail_with TEXT: the first complete message holding TEXT
mail_with() {
        local f
        for f in "$M"/msg.??????; do
                [ -e "$f.done" ] && grep -q -- "$1" "$f" 2>/dev/null && { echo "$f"; return 0; }
        done
        return 1
}
has_mail_with() { mail_with "$1" >/dev/null; }
if wait_until 20 has_mail_with "hello from the job"; then pass "the first job's output is mailed"
else flunk "the first job's output is mailed" "$(log_tail mailer 5)"; fi
if wait_until 20 has_mail_with "to someone"; then pass "output is mailed to MAILTO"
else flunk "output is mailed to MAILTO" "$(log_tail mailer 5)"; fi
m=$(mail_with "hello from the job") || m=/nonexistent
check "the owner's mail is to $ME" grep -qx "To: $ME" "$m"
check "it is from cron" grep -qx "From: root (Cron Daemon)" "$m"
if grep -q "^Subject: Cron <$ME@.*> echo hello from the job; echo an error >&2$" "$m"; then pass "cron's Subject"
else flunk "cron's Subject" "$(grep Subject "$m")"; fi
check "X-Cron-Env headers" grep -qx "X-Cron-Env: <LOGNAME=$ME>" "$m"
check "stderr is in the mail" grep -qx "an error" "$m"
if grep -qx -- "-FCronDaemon -i -oem -oi -t" "$m.args"; then pass "sendmail gets cron's arguments"
else flunk "sendmail gets cron's arguments" "$(cat "$m.args")"; fi
if [ "$(cat "$m.user")" = "$ME" ]; then pass "sendmail runs as the job's owner"
else flunk "sendmail runs as the job's owner" "it ran as $(cat "$m.user"), not $ME"; fi
m2=$(mail_with "to someone") || m2=/nonexistent
if grep -qx "To: someone@example.org" "$m2" && grep -qx "From: cron@example.org" "$m2"; then pass "MAILTO and MAILFROM"
else flunk "MAILTO and MAILFROM" "$(head -3 "$m2")"; fi
if wait_log 10 mailer "t:7 ($ME) ended"; then pass "the MAILTO=\"\" job runs"
else flunk "the MAILTO=\"\" job runs" "$(log_tail mailer 5)"; fi
if ! has_mail_with "not mailed"; then pass "a MAILTO=\"\" job is not mailed"
else flunk "a MAILTO=\"\" job is not mailed" "$(mail_with "not mailed")"; fi
check "MAILTO=\"\" output is logged" log_has mailer "t:7 ($ME) output: not mailed"
# 'true' (line 5) prints nothing: no mail for it. A mailed output is logged as handed to sendmail
# (line 1's is); line 5's is not, and no message has its command for subject.
if wait_until 10 log_match mailer "t:1 ($ME) output ([0-9]* bytes) handed to sendmail for $ME"; then
        pass "a mailed output is logged as handed to sendmail"
else flunk "a mailed output is logged as handed to sendmail" "$(log_tail mailer 5)"; fi
if wait_log 10 mailer "t:5 ($ME) ended"; then pass "line 5 runs"
else flunk "line 5 runs" "$(log_tail mailer 5)"; fi
if ! log_match mailer "t:5 ($ME) output (.*) handed to sendmail" && ! grep -q "^Subject: Cron <.*> true$" "$M"/msg.??????; then
        pass "an empty output is not mailed"
else flunk "an empty output is not mailed" "$(grep "t:5" "$D/log" | head -3)"; fi
td_stop_ok mailer
finish
