#!/usr/bin/env bash
# tockd runs each job as its owner: uid, primary gid, supplementary groups, cwd = home, and
# cron's environment (HOME LOGNAME USER SHELL PATH; a table may change HOME and SHELL but not
# LOGNAME or USER); a user whose home is missing gets no job, and nothing runs as root instead;
# tockd started as an ordinary user runs that user's --table and refuses everyone else's jobs.
# Root only: it creates three users and a group (removed again by the EXIT trap).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tockd-lib.sh"
export TZ=UTC

td_require_tockd "tockd users"
if ! $IS_ROOT; then
        skip "5. jobs run as their owner" "needs root to create users and to run jobs as them"
        skip "12. tockd as an ordinary user" "needs root to start tockd as another user"
        finish
        exit
fi
for tool in useradd userdel groupadd groupdel setpriv; do
        if ! command -v "$tool" >/dev/null; then
                skip "tockd users" "$tool is not installed"
                finish
                exit
        fi
done

UA=tocktest$$a UB=tocktest$$b UC=tocktest$$c GS=tocktest$$g
CLEAN_USERS+=("$UA" "$UB" "$UC")
CLEAN_GROUPS+=("$GS")
made=true
groupadd "$GS" || made=false
useradd -M -U -d "$T/home_a" -s /bin/sh -G "$GS" "$UA" || made=false
useradd -M -U -d "$T/home_b" -s /bin/sh "$UB" || made=false
useradd -M -U -d "$T/home_c" -s /bin/sh "$UC" || made=false # its home is never created
if ! $made; then
        flunk "test users and group are created" "useradd or groupadd failed"
        finish
        exit
fi
for u in "$UA" "$UB"; do
        h=$T/home_${u: -1}
        mkdir -p "$h"
        chown "$u:$(id -gn "$u")" "$h"
done
mkdir -p "$T/b_alt" "$T/anyone"
chown "$UB:$(id -gn "$UB")" "$T/b_alt"
chmod 1777 "$T/anyone" # whatever uid a wrong job ran as, it could write here

# ---- 5. jobs run as their owner
section "5. jobs run as their owner, with cron's environment"
D=$T/users
td_prepare users
# each job writes its identity to a temp file and renames it, so a reader never sees half of it
IDS='{ id -u; id -g; id -G; pwd; echo "$HOME $LOGNAME $USER $SHELL $PATH"; }'
put "$D/spool/$UA" 600 "$UA" <<EOF
[sec:*/1] * * * * * $IDS > $T/home_a/ids.tmp && mv -f $T/home_a/ids.tmp $T/home_a/ids
EOF
put "$D/cron.d/users" <<EOF
[sec:*/1] * * * * * $UB $IDS > $T/home_b/ids.tmp && mv -f $T/home_b/ids.tmp $T/home_b/ids
[sec:*/1] * * * * * $UC id -u >> $T/anyone/c.out
EOF
put "$D/cron.d/envt" <<EOF
HOME=$T/b_alt
SHELL=/bin/bash
LOGNAME=evil
USER=evil
[sec:*/1] * * * * * $UB echo "\$HOME \$LOGNAME \$USER \$SHELL \${BASH_VERSION:+bash} \$(pwd)" > $T/b_alt/env.tmp && mv -f $T/b_alt/env.tmp $T/b_alt/env
EOF
td_start users || { finish; exit; }

# check_ids NAME USER FILE HOME
check_ids() {
        local name=$1 u=$2 f=$3 home=$4 got want
        if ! wait_until 10 nonempty "$f"; then
                flunk "$name: the job ran" "$(log_tail users)"
                return
        fi
        mapfile -t got <"$f"
        check "$name: uid is $u's ($(id -u "$u"))" test "${got[0]}" = "$(id -u "$u")"
        check "$name: primary gid is $u's ($(id -g "$u"))" test "${got[1]}" = "$(id -g "$u")"
        want=$(id -G "$u" | tr ' ' '\n' | sort -n | paste -sd ' ')
        if [ "$(echo "${got[2]}" | tr ' ' '\n' | sort -n | paste -sd ' ')" = "$want" ]; then
                pass "$name: the groups are those of 'id -G $u' ($want)"
        else flunk "$name: the groups are those of 'id -G $u'" "got '${got[2]}', want '$want'"; fi
        check "$name: the working directory is the home ($home)" test "${got[3]}" = "$home"
        want="$home $u $u /bin/sh /usr/bin:/bin"
        if [ "${got[4]}" = "$want" ]; then pass "$name: HOME LOGNAME USER SHELL PATH are '$want'"
        else flunk "$name: HOME LOGNAME USER SHELL PATH" "got '${got[4]}', want '$want'"; fi
}
check_ids "spool table of $UA" "$UA" "$T/home_a/ids" "$T/home_a"
check_ids "cron.d line for $UB" "$UB" "$T/home_b/ids" "$T/home_b"
check "$UA's supplementary group $GS is among them" grep -qw "$(getent group "$GS" | cut -d: -f3)" "$T/home_a/ids"

if wait_until 10 nonempty "$T/b_alt/env"; then
        read -r e_home e_logname e_user e_shell e_bash e_pwd <"$T/b_alt/env"
        check "a table's HOME= line changes HOME" test "$e_home" = "$T/b_alt"
        check "a table's SHELL= line changes SHELL" test "$e_shell" = /bin/bash
        check "and the shell the job runs in" test "$e_bash" = bash
        check "a table's LOGNAME= line does not change LOGNAME" test "$e_logname" = "$UB"
        check "a table's USER= line does not change USER" test "$e_user" = "$UB"
        check "the job runs in the HOME the table set (cron's chdir \$HOME)" test "$e_pwd" = "$T/b_alt"
else
        flunk "the job of a table with HOME= and SHELL= lines ran" "$(log_tail users)"
fi

# a user whose home does not exist: the job fails before running, saying why
if wait_log 10 users "$D/cron.d/users:2 ($UC) failed before running: changing to the home directory: No such file or directory"; then
        pass "a job of a user with no home fails to start, and the log says why"
else flunk "a job of a user with no home fails to start, and the log says why" "$(log_tail users)"; fi
wait_until 10 eval '[ "$(log_count users "($UC) failed before running")" -ge 2 ]'
if [ -e "$T/anyone/c.out" ]; then flunk "nothing of it runs, as root or anyone" "c.out: $(cat "$T/anyone/c.out")"
else pass "nothing of it runs, as root or anyone"; fi
# a user deleted while tockd runs: tockd's user cache must notice (its jobs fail at chdir in
# milliseconds, so userdel finds no process of it within a few tries)
wait_until 10 userdel "$UC" 2>/dev/null
if getent passwd "$UC" >/dev/null; then
        flunk "$UC can be deleted while tockd runs" "userdel kept failing"
elif wait_log 10 users "$D/cron.d/users:2 ($UC) not run: no such user '$UC'"; then
        pass "a user deleted while tockd runs: the job is not run, and the log says why"
else flunk "a user deleted while tockd runs: the job is not run, and the log says why" "$(log_tail users)"; fi
rm -f "$D/cron.d/users" "$D/cron.d/envt" "$D/spool/$UA"
td_stop users
check "tockd (root) exits 0" test "${TD_RC[users]}" = 0

# ---- 12. tockd started as an ordinary user
section "12. tockd as an ordinary user: --table runs as that user, nothing as root"
N=$T/nonroot
td_prepare nonroot
chown "$UA" "$N/state"
put "$N/table" <<EOF
[sec:*/1] * * * * * { id -u; echo "\$USER"; } > $T/home_a/nr.tmp && mv -f $T/home_a/nr.tmp $T/home_a/nr.out
EOF
put "$N/crontab" <<EOF
[sec:*/1] * * * * * root id -u >> $T/anyone/nr-root.out
EOF
put "$N/spool/$UB" 644 "$UB" <<EOF
[sec:*/1] * * * * * id -u >> $T/anyone/nr-other.out
EOF
TD_PREFIX=(setpriv --reuid="$UA" --regid="$(id -g "$UA")" --clear-groups)
td_start nonroot --table "$N/table"
TD_PREFIX=()
if [ -n "${TD_PID[nonroot]:-}" ]; then
        check "tockd says it runs as $UA's uid" log_has nonroot "running as uid $(id -u "$UA"): jobs run as this user only"
        if wait_until 10 nonempty "$T/home_a/nr.out"; then
                mapfile -t got <"$T/home_a/nr.out"
                check "the --table job runs as tockd's user $UA" test "${got[0]}" = "$(id -u "$UA")"
                check "with USER=$UA" test "${got[1]}" = "$UA"
        else
                flunk "the --table job runs" "$(log_tail nonroot)"
        fi
        if log_has nonroot "$N/crontab:1: tockd runs as uid $(id -u "$UA") and cannot run jobs as 'root'; the job will not run"; then
                pass "a system table line for root is not run, and the log says why"
        else flunk "a system table line for root is not run, and the log says why" "$(log_tail nonroot)"; fi
        if log_has nonroot "$N/spool/$UB: refused: tockd does not run as root and cannot run another user's jobs"; then
                pass "another user's spool table is refused, and the log says why"
        else flunk "another user's spool table is refused, and the log says why" "$(log_tail nonroot)"; fi
        # two more runs of the --table job: time enough for the others to have run if they could
        n=$(log_count nonroot "$N/table:1 ($UA) started")
        wait_until 10 eval '[ "$(log_count nonroot "$N/table:1 ($UA) started")" -ge $((n + 2)) ]'
        if [ -e "$T/anyone/nr-root.out" ] || [ -e "$T/anyone/nr-other.out" ]; then
                flunk "no job of root or of another user runs" "$(cat "$T/anyone"/nr-*.out)"
        else pass "no job of root or of another user runs"; fi
        td_stop nonroot
        check "tockd (as $UA) exits 0" test "${TD_RC[nonroot]}" = 0
fi

# the users go in the EXIT trap; their jobs have ended with tockd
finish
