#!/usr/bin/env bash
# Attacks on who may run what (issue 10, items 6 and 7); each check fails when the attack works.
#  - a user cron.deny refuses starts their own job with `tockctl run`, or has tockd run their spool
#    table on schedule (cron(8) runs no table of a denied user; root may still run it by hand);
#  - a user is deleted and a new one gets the name with another uid: the new user must not list
#    the old table, restore the old user's kept version, nor have tockd run the old table as them.
# Root only (it creates and deletes users, removed again by the EXIT trap).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tockd-lib.sh"
. "$(dirname "$0")/tockctl-lib.sh"
export TZ=UTC

tc_need_binaries "attacks on access"
$IS_ROOT || td_skip_all "attacks on access" "needs root to create, delete and re-create users"
for tool in useradd userdel setpriv; do
        command -v "$tool" >/dev/null || td_skip_all "attacks on access" "needs $tool"
done

UD=tocktest$$d UA=tocktest$$a
if ! { tc_user "$UD" && tc_user "$UA"; }; then
        flunk "test users are created" "useradd failed"
        finish
        exit
fi
P=$T/att
ALLOW=$P/cron.allow DENY=$P/cron.deny
mkdir -p "$T/tt"
chmod 755 "$T/tt"
tc_start att || { finish; exit; }

# a root table whose [sec:*/1] job shows that scheduled jobs run
printf 'MAILTO=""\n[sec:*/1] * * * * * echo ran >> %s\n' "$T/shared/root.ran" >"$T/tt/root"
ctl "" install "$T/tt/root"
want "root installs a table that runs every second" 0 out "installed the table of root"

section "7. a denied user and their jobs"
echo "$UD" >"$DENY"
chmod 644 "$DENY"
printf 'MAILTO=""\n[name:d-job] 0 0 1 1 * id -un > %s\n[name:d-sched sec:*/1] * * * * * id -un >> %s\n' \
        "$T/shared/d.manual" "$T/shared/d.ran" >"$T/tt/$UD"
chmod 644 "$T/tt/$UD"
ctl "" install -u "$UD" "$T/tt/$UD"
want "root installs the table of $UD, who is in cron.deny" 0 out "installed the table of $UD: 2 entries"
ctl "$UD" run d-job
want "$UD (in cron.deny): tockctl run of their own job is refused, exit 5" 5 \
        err "you ($UD) are not allowed to use cron ($ALLOW / $DENY)" =out ""
check "$UD's job did not run (no output file)" test ! -e "$T/shared/d.manual"
# scheduled: root's every-second job runs three times; the denied user's must not run once
wait_until 15 has_lines "$T/shared/root.ran" 3 || flunk "root's [sec:*/1] job runs" "$(log_tail att)"
wait_log 5 att "not run: $UD is not allowed to use cron"
check "tockd does not run the spool table of $UD (in cron.deny) on schedule" test ! -e "$T/shared/d.ran"
ctl "$UD" why d-sched
want "$UD: why d-sched says they are not allowed to use cron" 0 out "$UD is not allowed to use cron"
ctl "" run -u "$UD" d-job
want "root may still run the job of a denied user (root excepted)" 0
check "root's run of $UD's job ran it as $UD" test "$(cat "$T/shared/d.manual" 2>/dev/null)" = "$UD"
rm -f "$DENY"

section "6. a user's name given to a new user"
printf 'MAILTO=""\n# secret-v1 of the old %s\n[name:a-job] 0 0 1 1 * id -u\n' "$UA" >"$T/tt/$UA.v1"
# the job records each uid it runs as in a file of its own (one uid cannot append to another's)
printf 'MAILTO=""\n# secret-v2 of the old %s\n[name:a-job sec:*/1] * * * * * id -u >> %s.$(id -u)\n' "$UA" \
        "$T/shared/a.ran" >"$T/tt/$UA.v2"
chmod 644 "$T/tt/$UA".*
ctl "$UA" install "$T/tt/$UA.v1"
want "$UA installs a table" 0 out "installed the table of $UA"
ctl "$UA" install "$T/tt/$UA.v2"
want "$UA installs another: the first is kept" 0 out "installed the table of $UA"
OLD_UID=$(id -u "$UA")
wait_until 10 test -e "$T/shared/a.ran.$OLD_UID"
check "$UA's table runs, as $UA's uid $OLD_UID" file_has_line "$T/shared/a.ran.$OLD_UID" "$OLD_UID"
# userdel refuses while a job of the user runs: they last milliseconds
wait_until 10 quiet_userdel "$UA" || flunk "$UA can be deleted" "userdel kept failing"
getent group "$UA" >/dev/null && groupdel "$UA" >/dev/null 2>&1
NEW_UID=$((OLD_UID + 1000))
while getent passwd "$NEW_UID" >/dev/null || getent group "$NEW_UID" >/dev/null; do NEW_UID=$((NEW_UID + 1)); done
if ! useradd -M -U -u "$NEW_UID" -d "$T/home/$UA" -s /bin/sh "$UA"; then
        flunk "a new $UA is created with uid $NEW_UID" "useradd failed"
        finish
        exit
fi
chown -R "$UA:$(id -gn "$UA")" "$T/home/$UA"
check "the new $UA has uid $NEW_UID, not $OLD_UID" test "$(id -u "$UA")" = "$NEW_UID"

# the old table is still loaded: its every-second job fires; it must not run as the new uid
wait_log 10 att "not run: its table belongs to uid $OLD_UID"
check "tockd does not run the old $UA's table as the new $UA (uid $NEW_UID)" test ! -e "$T/shared/a.ran.$NEW_UID"
ctl "" run -u "$UA" a-job
check "root's tockctl run of the old table's job fails" test "$RC" != 0
check "root's tockctl run of the old table's job does not run it as the new $UA" test ! -e "$T/shared/a.ran.$NEW_UID"
ctl "$UA" list
want "the new $UA's tockctl list does not show the old $UA's table" - !out "secret" err "no crontab for $UA"
ctl "$UA" restore
want "the new $UA's tockctl restore does not bring back the old $UA's kept table" - \
        err "no previous version of the table of $UA is kept"
check "the spool file is not the new $UA's after that restore" test "$(stat -c %u "$P/spool/$UA" 2>/dev/null)" != "$NEW_UID"
ctl "$UA" list
want "the new $UA still lists no table" - !out "secret"
printf 'MAILTO=""\n# mine\n' >"$T/tt/$UA.new"
chmod 644 "$T/tt/$UA.new"
ctl "$UA" install "$T/tt/$UA.new"
want "the new $UA installs their own table over the old file" 0 out "installed the table of $UA"
ctl "$UA" restore
want "restore then does not bring back the old file it replaced" - !out "restored" err "no previous version"
ctl "$UA" list
want "the new $UA lists their own table" 0 out "# mine" !out "secret"
ctl "" reload
check "after a reload nothing of the old table ran as the new $UA" test ! -e "$T/shared/a.ran.$NEW_UID"

check "tockd is alive, no sanitizer report in its log" tc_alive att
td_stop att
finish
