#!/usr/bin/env bash
# Who may do what through tockd's socket: an ordinary user acts on their own table only (`-u
# other` is "must be privileged to use -u" for crontab, the permission-denied exit code 5 for
# tockctl), cron.allow / cron.deny refuse a denied user with a clear message (cron.allow wins
# when it exists; root is always allowed), root may act on any user, reload is root's, and a user
# sees only the jobs that run as them in status, next, why, run and metrics.
# As root it creates three test users (removed by the EXIT trap); as another user, the checks
# that need a second user skip and the rest run against this user's own tockd.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tockd-lib.sh"
. "$(dirname "$0")/tockctl-lib.sh"
export TZ=UTC

tc_need_binaries "tockctl permissions"
td_require_home "tockctl permissions"

UA='' UB='' UC=''
if $IS_ROOT && command -v useradd >/dev/null && command -v setpriv >/dev/null; then
        UA=tocktest$$a UB=tocktest$$b UC=tocktest$$c
        if ! { tc_user "$UA" && tc_user "$UB" && tc_user "$UC"; }; then
                flunk "test users are created" "useradd failed"
                finish
                exit
        fi
        ME_U=$UA   # the ordinary user whose view is checked
        OTHER=$UB  # a user ME_U may not touch
else
        skip "root acting on other users; other users' jobs hidden" "needs root (and useradd, setpriv) to create test users"
        ME_U=$ME
        OTHER=root
fi
P=$T/perms
ALLOW=$P/cron.allow DENY=$P/cron.deny

mkdir -p "$T/tt"
chmod 755 "$T/tt"
# tab W: a table of W with a named job that prints W's name and one that fails
tab() {
        printf '[name:%s-who] 0 0 1 1 * id -un\n[name:%s-fail] 0 0 1 1 * exit 7\n' "$1" "$1" >"$T/tt/$1"
        chmod 644 "$T/tt/$1"
}
for u in "$ME_U" "$OTHER" ${UC:+"$UC"}; do tab "$u"; done
td_prepare perms
if [ -n "$UA" ]; then
        # system jobs of root and of UA: UA sees the latter only
        put "$P/cron.d/sys" <<EOF
[name:sys-root] 0 0 1 1 * root echo root-job
[name:sys-a] 0 0 1 1 * $UA id -un
EOF
fi
tc_start perms || { finish; exit; }
tc_install_works perms

section "3. an ordinary user and another user's table"
ctl "$ME_U" install "$T/tt/$ME_U"
want "$ME_U installs their own table" 0 out "installed the table of $ME_U: 2 entries"
if [ -n "$UA" ]; then
        ctl "" install -u "$OTHER" "$T/tt/$OTHER"
        want "root installs $OTHER's table with -u" 0 out "installed the table of $OTHER: 2 entries"
        check "it is $OTHER's, mode 600" test "$(stat -c '%U %a' "$P/spool/$OTHER" 2>/dev/null)" = "$OTHER 600"
        ctl "" list -u "$OTHER"
        want "root lists $OTHER's table with -u" 0 out "[name:$OTHER-who]"
        ct "" -u "$OTHER" -l
        want "root: crontab -u $OTHER -l" 0 out "[name:$OTHER-who]"
fi
ct "$ME_U" -u "$OTHER" -l
want "$ME_U: crontab -u $OTHER -l: cron's 'must be privileged to use -u', exit 1" 1 =err "must be privileged to use -u" =out ""
ct "$ME_U" -u "$OTHER" -r
want "$ME_U: crontab -u $OTHER -r: refused the same way" 1 =err "must be privileged to use -u"
ct "$ME_U" -u "$OTHER" "$T/tt/$ME_U"
want "$ME_U: crontab -u $OTHER FILE: refused the same way" 1 =err "must be privileged to use -u"
ct "$ME_U" -u "$ME_U" -l
want "$ME_U: crontab -u $ME_U (themselves) is allowed, as in Debian" 0 out "[name:$ME_U-who]"
for cmd in list remove restore status next install why run edit; do
        case $cmd in
        install) args=("$T/tt/$ME_U") ;;
        why | run) args=(1) ;;
        *) args=() ;;
        esac
        EDITOR=true ctl "$ME_U" "$cmd" -u "$OTHER" "${args[@]}"
        want "$ME_U: tockctl $cmd -u $OTHER is refused with exit 5" 5 err "only root may act on another user's table"
done
if [ -n "$UA" ]; then
        check "$OTHER's table is untouched" cmp -s "$P/spool/$OTHER" "$T/tt/$OTHER"
        ct "" -u nosuchuser$$ -l
        want "root: crontab -u of an unknown user: cron's message" 1 err "user \`nosuchuser$$' unknown"
        ctl "" list -u nosuchuser$$
        want "root: tockctl list -u of an unknown user: no such user, exit 1" 1 err "no such user 'nosuchuser$$'"
fi

section "3. reload"
ctl "" reload
if $IS_ROOT; then
        want "root: tockctl reload" 0 out "reloaded the configuration and every table"
        check "root: the log says who asked for the reload, not SIGHUP" eval \
                'log_match perms "info: reloading: asked by uid 0 (pid [0-9][0-9]*) with tockctl reload" &&
                 ! log_has perms "SIGHUP"'
        ctl "$ME_U" reload
fi
want "$ME_U: tockctl reload is refused, exit 5" 5 err "only root may reload tockd"
ctl "" reload --json
if $IS_ROOT; then want "root: tockctl reload --json" 0; want_json "reload --json is valid JSON"; fi

section "3. cron.allow and cron.deny"
# deny_check NAME: $ME_U is refused everything on their table, with the files named
deny_check() {
        local what=$1
        ctl "$ME_U" list
        want "$what: tockctl list is refused, exit 5, saying why" 5 \
                err "you ($ME_U) are not allowed to use cron ($ALLOW / $DENY)"
        ct "$ME_U" -l
        want "$what: crontab -l is refused with the same words, exit 1 (cron's)" 1 \
                err "you ($ME_U) are not allowed to use cron" !err "no crontab"
        ct "$ME_U" "$T/tt/$ME_U"
        want "$what: crontab FILE is refused" 1 err "not allowed to use cron"
        ctl "$ME_U" remove
        want "$what: tockctl remove is refused" 5 err "not allowed to use cron"
        EDITOR=true ctl "$ME_U" edit
        want "$what: tockctl edit is refused before the editor runs" 5 err "not allowed to use cron"
        check "$what: the table is still there" test -e "$P/spool/$ME_U"
}
echo "$ME_U" >"$DENY"
chmod 644 "$DENY"
deny_check "$ME_U in cron.deny"
if [ -n "$UA" ]; then
        ctl "$UC" install "$T/tt/$UC"
        want "a user not in cron.deny may install" 0 out "installed the table of $UC"
fi
printf '# allowed\nsomeoneelse\n' >"$ALLOW"
chmod 644 "$ALLOW" "$DENY"
: >"$DENY"
deny_check "cron.allow exists without $ME_U"
printf 'someoneelse\n  %s  \n' "$ME_U" >"$ALLOW"
echo "$ME_U" >"$DENY"
ctl "$ME_U" list
want "$ME_U in cron.allow (with blanks around) and in cron.deny: cron.allow wins" 0 out "[name:$ME_U-who]"
if [ -n "$UA" ]; then
        ctl "$UC" list
        want "$UC, not in an existing cron.allow, is refused" 5 err "you ($UC) are not allowed to use cron"
        echo root >"$DENY"
        : >"$ALLOW"
        ctl "" list
        want "root is allowed though cron.deny names it and cron.allow is empty" 1 err "no crontab for root" !err "not allowed"
        echo "$OTHER" >"$DENY"
        rm -f "$ALLOW"
        ctl "" list -u "$OTHER"
        want "root may act on a denied user's table" 0 out "[name:$OTHER-who]"
        ctl "$OTHER" status
        want "a denied user may still ask for status (no table is touched)" 0 out "tockd "
        ctl "$OTHER" why "$OTHER-who"
        want "why names the denial for a denied user's job" 0 out "$OTHER is not allowed to use cron"
fi
rm -f "$ALLOW" "$DENY"
ctl "$ME_U" list
want "with neither file, $ME_U may use cron again" 0 out "[name:$ME_U-who]"

section "3. a user sees only their own jobs"
ctl "$ME_U" status --json
want "$ME_U: status" 0 out "\"name\": \"$ME_U-who\""
want "$ME_U: status shows none of $OTHER's jobs" 0 !out "\"user\": \"$OTHER\"" !out "$OTHER-who"
if [ -n "$UA" ]; then
        want "$ME_U: status shows the system job that runs as $ME_U" 0 out '"name": "sys-a"' !out "sys-root"
fi
ctl "$ME_U" next --count 50
want "$ME_U: next" 0 out "id -un"
want "$ME_U: next shows none of $OTHER's or root's runs" 0 !out "$OTHER" !out "root-job"
ctl "$ME_U" why "$OTHER-who"
want "$ME_U: why of $OTHER's job by name: no such job" 1 err "no job '$OTHER-who'"
ctl "$ME_U" why "$P/spool/$OTHER:1"
want "$ME_U: why of $OTHER's job by TABLE:LINE: no such job" 1 err "no job '$P/spool/$OTHER:1'"
ctl "$ME_U" run "$OTHER-who"
want "$ME_U: run of $OTHER's job: no such job, exit 1" 1 err "no job '$OTHER-who'" =out ""
ctl "$ME_U" run "$P/spool/$OTHER:1"
want "$ME_U: run of $OTHER's job by TABLE:LINE: no such job" 1 =out ""
ctl "$ME_U" run "$ME_U-who"
want "$ME_U: run of their own job runs it as $ME_U" 0 =out "$ME_U"
ctl "$ME_U" metrics
want "$ME_U: metrics has their own jobs only" 0 out "name=\"$ME_U-who\"" !out "user=\"$OTHER\""
if [ -n "$UA" ]; then
        ctl "$ME_U" run sys-a
        want "$UA: run of the system job that runs as $UA" 0 =out "$UA"
        ctl "$ME_U" run sys-root
        want "$UA: run of root's system job: no such job" 1 err "no job 'sys-root'" =out ""
        ctl "" status --json
        want "root: status shows every job" 0 out "$UA-who" out "$OTHER-who" out "sys-root"
        ctl "" status -u "$OTHER" --json
        want "root: status -u $OTHER shows $OTHER's jobs only" 0 out "$OTHER-who" !out "$UA-who" !out "sys-root"
        ctl "" run -u "$OTHER" "$OTHER-who"
        want "root: run -u $OTHER runs $OTHER's job as $OTHER" 0 =out "$OTHER"
        ctl "" run -u "$OTHER" "$OTHER-fail"
        want "root: run -u $OTHER of a failing job exits with its status" 7 =out ""
        ctl "" why -u "$OTHER" "$OTHER-who"
        want "root: why -u $OTHER" 0 out "$OTHER-who ($P/spool/$OTHER:1)"
        ctl "" metrics
        want "root: metrics has everyone's jobs" 0 out "name=\"$UA-who\"" out "name=\"$OTHER-who\"" out "name=\"sys-root\""
fi

section "3. why of a running job whose user cron.deny names"
# the job's first fire time comes while its user is denied ("not run: ..."), its second once
# allowed: it runs, and why says so, not the old note; denied again while it runs, why says both
V=${UC:-$ME_U}
s1=$(( ($(date +%s) + 3) % 60 )) s2=$(( ($(date +%s) + 7) % 60 ))
echo "$V" >"$DENY"
chmod 644 "$DENY"
printf '[sec:%d,%d name:long] * * * * * exec sleep 60\n' "$s1" "$s2" | put "$P/spool/$V" 600 "$V"
wait_log 10 perms "$P/spool/$V: loaded, 1 job"
if wait_log 10 perms "($V) not run: $V is not allowed to use cron"; then
        rm -f "$DENY"
        wait_log 10 perms "$P/spool/$V:1 ($V) started pid"
        pid=$(job_pid perms "$P/spool/$V:1 ($V) started pid")
        ctl "$V" why long
        want "why of the running job: it is running, not that $V may not use cron" 0 \
                out "why          it is running now (pid $pid)" !out "not allowed"
        echo "$V" >"$DENY"
        ctl "$V" why long
        want "why of the running job once $V is denied: it is running, and will not start on schedule again" 0 \
                out "why          it is running now (pid $pid); $V is not allowed to use cron" \
                out "it will not start on schedule again"
        [ -z "$pid" ] || kill "$pid" 2>/dev/null
else
        flunk "a denied user's job does not run at its time" "$(log_tail perms)"
fi
rm -f "$DENY"

check "tockd is alive, no sanitizer report in its log" tc_alive perms
td_stop perms
finish
