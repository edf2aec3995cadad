#!/usr/bin/env bash
# Attacks on who may run what (issue 10, items 6 and 7, and who sends a request); each check fails
# when the attack works.
#  - a user cron.deny refuses starts their own job with `tockctl run`, or has tockd run their spool
#    table on schedule (cron(8) runs no table of a denied user; root may still run it by hand);
#  - a user is deleted and a new one gets the name with another uid: the new user must not list
#    the old table, restore the old user's kept version, nor have tockd run the old table as them;
#  - root's connection handed to another uid: that uid's requests on it are refused;
#  - a user deleted (and the name given to a new uid) while connected: the old connection is no
#    one's, not the new user's;
#  - root's `tockctl run -u USER`: a process USER's job leaves behind writes after the run; it
#    must not reach root's files, and tockd gives another uid's job only pipes (item 5).
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

# lacks FILE PATTERN: no line of FILE matches PATTERN (a file that is there)
lacks() { [ -e "$1" ] && ! grep -q -- "$2" "$1"; }

section "a connection passed from root to another uid"
# Who holds a descriptor is not who opened it: a request is the sender's. Root's process opens
# the connection and hands it to a child that becomes $UD (SCM_RIGHTS or inheritance across a
# setuid are the same thing to the socket).
if tc_cc proto-peer; then
        PEER=$T/proto-peer
        chmod 755 "$PEER"
        "$PEER" "$SOCK" hello >"$T/hello.out" 2>&1
        check "root's own HELLO is answered as uid 0 (the peer works)" grep -q "^OK .* uid=0 user=root" "$T/hello.out"
        "$PEER" "$SOCK" passed "$(id -u "$UD")" >"$T/passed.out" 2>&1
        check "a request sent by $UD on root's connection is refused" \
                grep -q "^ERROR -1 this connection was opened by uid 0; a request sent on it by uid $(id -u "$UD") is refused" \
                "$T/passed.out"
        check "... and is not answered as root" lacks "$T/passed.out" "uid=0"
        check "... and tockd closes that connection" grep -qx "closed" "$T/passed.out"
        check "tockd logs the refused request" wait_until 5 log_match att \
                "control: a request from uid $(id -u "$UD") (pid [0-9]*) on a connection opened by uid 0 (pid [0-9]*): refused"

        section "a user deleted while connected"
        # $UX connects and waits; the account is deleted (userdel -f, as for a user still logged
        # in) and a new $UX made with another uid and a table of their own. The old connection,
        # still the old uid's, must not act as the new $UX.
        UX=tocktest$$x
        tc_user "$UX" || flunk "$UX is created" "useradd failed"
        printf 'MAILTO=""\n# secret-new of the new %s\n' "$UX" >"$T/tt/$UX"
        chmod 644 "$T/tt/$UX"
        mkfifo "$T/later.in" "$T/later0.in"
        as "$UX" "$PEER" "$SOCK" later list <"$T/later0.in" >"$T/later0.out" 2>&1 &
        echo go >"$T/later0.in"
        wait $!
        check "a held connection's LIST is answered while its user exists (the peer works)" \
                grep -q "^ERROR .*no crontab\|^OK len=" "$T/later0.out"
        as "$UX" "$PEER" "$SOCK" later list <"$T/later.in" >"$T/later.out" 2>&1 &
        LATER=$!
        exec 7>"$T/later.in"
        wait_until 5 grep -q connected "$T/later.out" || flunk "$UX's connection is held" "$(cat "$T/later.out")"
        X_UID=$(id -u "$UX")
        userdel -f "$UX" >/dev/null 2>&1
        getent group "$UX" >/dev/null && groupdel "$UX" >/dev/null 2>&1
        X_NEW=$((X_UID + 1000))
        while getent passwd "$X_NEW" >/dev/null || getent group "$X_NEW" >/dev/null; do X_NEW=$((X_NEW + 1)); done
        useradd -M -U -u "$X_NEW" -d "$T/home/$UX" -s /bin/sh "$UX" || flunk "a new $UX is created" "useradd failed"
        ctl "" install -u "$UX" "$T/tt/$UX"
        want "root installs a table for the new $UX (uid $X_NEW)" 0 out "installed the table of $UX"
        (trap "" PIPE; echo go >&7) 2>/dev/null # the peer may be gone: its checks say so
        exec 7>&-
        wait "$LATER"
        check "the deleted $UX's held connection cannot list the new $UX's table" lacks "$T/later.out" "^OK"
        check "... it is told its uid has no user name" grep -q "^ERROR .*your uid $X_UID has no user name" "$T/later.out"

        section "5. root's tockctl run -u: nothing of root's reaches the user's job"
        # The job leaves a process behind that writes on the job's stdout and stderr after the run
        # has ended. root's tockctl has them in mode-0600 files of root's: the process must not
        # reach them (it did when tockctl handed its own descriptors to the job).
        UL=tocktest$$l
        tc_user "$UL" || flunk "$UL is created" "useradd failed"
        printf 'MAILTO=""\n[name:leave] 0 0 1 1 * (trap "" PIPE; sleep 2; echo LEFTOVER-out; echo LEFTOVER-err >&2; echo tried > %s) & echo now-out; echo now-err >&2\n[name:cat] 0 0 1 1 * tr a-z A-Z\n' \
                "$T/shared/leftover.tried" >"$T/tt/$UL"
        chmod 644 "$T/tt/$UL"
        ctl "" install -u "$UL" "$T/tt/$UL"
        want "root installs the table of $UL" 0 out "installed the table of $UL"
        (umask 077 && : >"$T/secret.out" && : >"$T/secret.err")
        "$TOCKCTL" --socket "$SOCK" run -u "$UL" leave >>"$T/secret.out" 2>>"$T/secret.err" </dev/null
        RUN_RC=$?
        check "root's tockctl run -u $UL leave exits 0" test "$RUN_RC" = 0
        check "the job's stdout came through tockctl" grep -qx "now-out" "$T/secret.out"
        check "the job's stderr came through tockctl" grep -qx "now-err" "$T/secret.err"
        check "the process the job left behind tried to write (2 s later)" wait_until 10 test -e "$T/shared/leftover.tried"
        check "... and nothing it wrote reached root's 0600 stdout file" lacks "$T/secret.out" LEFTOVER
        check "... nor root's 0600 stderr file" lacks "$T/secret.err" LEFTOVER
        check "root's files are still mode 0600, root's" test "$(stat -c %a:%U "$T/secret.out")" = 600:root
        echo "input for the job" >"$T/job.in"
        "$TOCKCTL" --socket "$SOCK" run -u "$UL" cat <"$T/job.in" >"$T/cat.out" 2>"$T/cat.err"
        check "the job reads root's standard input through tockctl (relayed)" grep -qx "INPUT FOR THE JOB" "$T/cat.out"
        # a client that hands over its own file, as tockctl did: tockd refuses it for another uid
        (umask 077 && : >"$T/secret.file")
        "$PEER" "$SOCK" run-file "$UL" leave "$T/secret.file" >"$T/runfile.out" 2>&1
        check "tockd refuses to give $UL's job a file of root's as its streams" \
                grep -q "^ERROR -1 the job of $UL gets pipes as its standard streams, never a file or terminal of uid 0's" \
                "$T/runfile.out"
        sleep 3
        check "... and that job did not run into root's file" test ! -s "$T/secret.file"
        "$PEER" "$SOCK" run-file root 2 "$T/secret.file" >"$T/runfile-own.out" 2>&1
        check "root's own job may have root's file (same uid: nothing crosses)" grep -q "^REPLY type=" "$T/runfile-own.out"
fi

check "tockd is alive, no sanitizer report in its log" tc_alive att
td_stop att
finish
