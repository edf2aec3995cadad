#!/usr/bin/env bash
# Issue 10: the attacks that already failed when the issue was filed, kept as attacks so that they
# go on failing; each check fails when its attack works. A local user $A, allowed to use cron:
#  - names: another user's table, names that climb out of the spool (../), a uid that has no
#    passwd entry;
#  - frames: oversized, malformed, cut short, garbage;
#  - CRON_TZ naming a file that is no zone (../../etc/shadow, /etc/shadow);
#  - MAILTO and MAILFROM holding sendmail options or extra headers;
#  - the job: its uid, groups, capabilities and open descriptors.
# Root only (it creates a user, removed again by the EXIT trap).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tockd-lib.sh"
. "$(dirname "$0")/tockctl-lib.sh"
export TZ=UTC

tc_need_binaries "attacks that held"
$IS_ROOT || td_skip_all "attacks that held" "needs root to create a user and act as others"
for tool in useradd setpriv; do
        command -v "$tool" >/dev/null || td_skip_all "attacks that held" "needs $tool"
done
A=tocktest$$a
if ! tc_user "$A"; then
        flunk "the test user is created" "useradd failed"
        finish
        exit
fi
mkdir -p "$T/tt" "$T/mail"
chmod 755 "$T/tt"
chmod 1777 "$T/mail"
# the sendmail: records its arguments, its uid and groups, and the message
put "$T/sendmail" 755 <<EOF
#!/bin/sh
n=\$(mktemp "$T/mail/msg.XXXXXX")
printf '%s\n' "\$@" > "\$n.args"
id -u > "\$n.uid"
cat > "\$n"
: > "\$n.done"
EOF
tc_start held --set jobs.sendmail="$T/sendmail" || { finish; exit; }
P=$T/held
# lacks FILE PATTERN: no line of FILE matches PATTERN (a file that is there)
lacks() { [ -e "$1" ] && ! grep -q -- "$2" "$1"; }
printf 'MAILTO=""\n# root secret table\n[name:r-job] 0 0 1 1 * true\n' >"$T/tt/root"
ctl "" install "$T/tt/root"
want "root installs a table" 0 out "installed the table of root"

section "names"
ctl "$A" list -u root
want "$A cannot list root's table" - !out "root secret" err "only root may act on another user's table"
for name in ../root ../../etc/shadow "$A/../root" /etc/shadow .. .; do
        ctl "$A" list -u "$name"
        want "$A's list -u '$name' is refused" - !out "root secret" !out "root:" err "only root may"
done
for name in ../../etc/passwd "../$(basename "$P")/spool/root" .. "a/b"; do
        ctl "" list -u "$name"
        want "root's list -u '$name' names no user: refused" - !out "root:x:0" !out "root secret" err "no such user"
done
printf '* * * * * true\n' >"$T/tt/evil"
chmod 644 "$T/tt/evil"
ctl "" install -u ../../tmp/tock-evil-$$ "$T/tt/evil"
want "root's install -u ../../tmp/... is refused" - err "no such user"
check "... and wrote nothing outside the spool" test ! -e "/tmp/tock-evil-$$"
ctl "$A" install -u root "$T/tt/evil"
want "$A cannot install a table for root" - err "only root may act on another user's table"
ctl "" list
want "root's table is untouched" 0 out "root secret"
# a uid with no passwd entry
NOUID=54321
while getent passwd "$NOUID" >/dev/null; do NOUID=$((NOUID + 1)); done
for cmd in list status remove "install $T/tt/evil"; do
        R_IN=/dev/null r "" setpriv --reuid="$NOUID" --regid="$NOUID" --clear-groups "$TOCKCTL" --socket "$SOCK" $cmd
        want "uid $NOUID (no passwd entry): $cmd is refused" - err "your uid $NOUID has no user name"
done
check "nothing was installed for uid $NOUID" test -z "$(find "$P/spool" -user "$NOUID" 2>/dev/null)"

section "frames"
if tc_cc proto-peer; then
        chmod 755 "$T/proto-peer"
        for mode in oversize malformed trailing garbage half-header promise-close; do
                as "$A" "$T/proto-peer" "$SOCK" "$mode" >"$T/frame.out" 2>&1
                case $mode in
                oversize) check "$mode: an error naming the limit, then the connection closes" \
                        grep -q "^ERROR -90 message of .* bytes is over the limit" "$T/frame.out" ;;
                malformed | trailing) check "$mode: an error, not an answer" grep -q "^ERROR" "$T/frame.out" ;;
                garbage) check "$mode: no answer, the connection closed" grep -qx "closed without a reply" "$T/frame.out" ;;
                *) check "$mode: sent" grep -qx sent "$T/frame.out" ;;
                esac
        done
        r "" "$TOCKCTL" --socket "$SOCK" status
        want "root's status answers after the frames" 0 out "r-job"
fi

section "CRON_TZ naming a file that is no zone"
for tz in ../../etc/shadow /etc/shadow ../../../../../../etc/shadow "Europe/../../../etc/shadow"; do
        printf 'CRON_TZ=%s\n0 0 1 1 * true\n' "$tz" >"$T/tt/$A.tz"
        chmod 644 "$T/tt/$A.tz"
        ctl "$A" install "$T/tt/$A.tz"
        want "$A's table with CRON_TZ=$tz is refused" - err "CRON_TZ" !err "root:" !out "root:"
        check "... and not installed" test ! -e "$P/spool/$A"
        ctl "$A" next --file "$T/tt/$A.tz"
        want "tockctl next of it shows no shadow line" - !out "root:" !err "root:"
done

section "MAILTO and MAILFROM"
cat >"$T/tt/$A.mail" <<EOF
MAILTO=-oQ/tmp/tock-q-$$ -X/tmp/tock-x-$$ victim@example.org
MAILFROM=-f root@example.org
[name:m1 sec:*/1] * * * * * echo mailed output one
EOF
chmod 644 "$T/tt/$A.mail"
ctl "$A" install "$T/tt/$A.mail"
want "$A installs a table whose MAILTO and MAILFROM look like sendmail options" 0
# mail_with TEXT: a complete message holding TEXT
mail_with() {
        local f
        for f in "$T/mail"/msg.??????; do
                [ -e "$f.done" ] && grep -q -- "$1" "$f" 2>/dev/null && { echo "$f"; return 0; }
        done
        return 1
}
has_mail_with() { mail_with "$1" >/dev/null; }
check "the output is mailed" wait_until 20 has_mail_with "mailed output one"
ctl "$A" remove
m=$(mail_with "mailed output one") || m=/nonexistent
check "sendmail's arguments are cron's only (MAILTO is a header, never an argument)" \
        test "$(tr '\n' ' ' <"$m.args")" = "-FCronDaemon -i -oem -oi -t "
check "sendmail runs as $A, not root" test "$(cat "$m.uid")" = "$(id -u "$A")"
check "MAILTO is the To: header, whole" grep -qx -- "To: -oQ/tmp/tock-q-$$ -X/tmp/tock-x-$$ victim@example.org" "$m"
check "no file came of the -X option" test ! -e "/tmp/tock-x-$$"
# a value cannot hold a newline in a table; a carriage return could make a header of its own
printf 'MAILTO=ops@example.org\rBcc: victim@example.org\n[name:m2 sec:*/1] * * * * * echo mailed output two\n' >"$T/tt/$A.cr"
chmod 644 "$T/tt/$A.cr"
ctl "$A" install "$T/tt/$A.cr"
check "a MAILTO with a carriage return: the output is logged instead" \
        wait_log 20 held "MAILTO or MAILFROM holds control characters; the output is logged instead"
ctl "$A" remove
check "... and no mail has a Bcc header" test -z "$(grep -l '^Bcc:' "$T/mail"/msg.?????? 2>/dev/null)"

section "the job's privileges and descriptors"
G0=$(id -G "$A" | tr ' ' '\n' | sort -n | tr '\n' ' ')
cat >"$T/tt/$A.priv" <<EOF
MAILTO=""
[name:priv sec:*/1] * * * * * { id -u; id -G | tr ' ' '\n' | sort -n | tr '\n' ' '; echo; grep -E '^(CapEff|CapPrm|CapAmb|NoNewPrivs):' /proc/self/status; ls /proc/self/fd | tr '\n' ' '; echo; } > $T/shared/priv.out.tmp && mv $T/shared/priv.out.tmp $T/shared/priv.out
EOF
chmod 644 "$T/tt/$A.priv"
ctl "$A" install "$T/tt/$A.priv"
want "$A installs a job that reports its privileges" 0
check "the job ran" wait_until 15 test -s "$T/shared/priv.out"
ctl "$A" remove
{ read -r uid; read -r groups; read -r _ cap_eff; read -r _ cap_prm; read -r _ cap_amb; read -r _ nnp; read -r fds; } <"$T/shared/priv.out"
check "the job's uid is $A's" test "$uid" = "$(id -u "$A")"
check "its groups are $A's only ($G0)" test "$groups " = "$G0"
check "it has no effective, permitted or ambient capability" \
        test "$cap_eff:$cap_prm:$cap_amb" = "0000000000000000:0000000000000000:0000000000000000"
check "ls in the job has only its stdin, stdout, stderr and the directory it reads open (no fd of tockd's)" \
        test "$fds" = "0 1 2 3"
check "tockd is alive, no sanitizer report in its log" tc_alive held
td_stop held
finish
