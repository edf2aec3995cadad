#!/usr/bin/env bash
# `crontab FILE` and `tockctl install` with no tockd running (an image build's RUN crontab): as
# root the table is checked with tockd's parser and written into the spool (TOCK_SPOOL here) as
# tockd writes it: owned by the user, group crontab when it exists, mode 600, atomically; a table
# with errors writes nothing; tockd started later runs it. As anyone else: exit 4, as before.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tockd-lib.sh"
export TZ=UTC
TOCKCTL=${TOCKCTL:-build/tockctl}
case $TOCKCTL in /*) ;; *) TOCKCTL=$PWD/$TOCKCTL ;; esac

td_require_tockd "offline install"
[ -x "$TOCKCTL" ] || td_skip_all "offline install" "no tockctl binary at $TOCKCTL (run make)"
ln -s "$TOCKCTL" "$T/crontab" # called as crontab, tockctl takes crontab(1)'s command line
export TOCK_SOCKET=$T/off/tockd.sock TOCK_SPOOL=$T/off/spool

printf '[sec:*/1] * * * * * echo ran > %s/ran.tmp && mv -f %s/ran.tmp %s/ran\n' "$T" "$T" "$T" >"$T/good.cron"
printf '61 * * * * never\n' >"$T/bad.cron"

section "1. not root: tockd is needed, exit 4"
if $IS_ROOT; then PRE=(setpriv --reuid=65534 --regid=65534 --clear-groups); else PRE=(); fi
chmod 755 "$T"
chmod 644 "$T/good.cron"
expect_rc 4 "${PRE[@]}" "$TOCKCTL" install "$T/good.cron"
expect_grep err "tockd is not running"
expect_rc 4 "${PRE[@]}" "$T/crontab" "$T/good.cron"
check "nothing was written" test ! -e "$TOCK_SPOOL"

if ! $IS_ROOT; then
        skip "offline install as root" "needs root"
        finish
        exit
fi

section "2. root, no tockd: crontab FILE writes the spool"
mkdir -p "$T/off"
expect_rc 0 "$T/crontab" "$T/good.cron"
check "crontab FILE is silent, as cron's" test ! -s "$T_TMP/out" -a ! -s "$T_TMP/err"
check "the table is in the spool, byte for byte" cmp -s "$T/good.cron" "$TOCK_SPOOL/root"
group=root
getent group crontab >/dev/null && group=crontab
check "owned by root, group $group, mode 600" test "$(stat -c '%U %G %a' "$TOCK_SPOOL/root")" = "root $group 600"
check "the spool is made as Debian's: 1730" test "$(stat -c '%a' "$TOCK_SPOOL")" = 1730
check "no temporary file is left" test "$(ls -A "$TOCK_SPOOL")" = root
expect_rc 1 "$T/crontab" "$T/bad.cron"
expect_grep err "minute 61 is out of range"
expect_grep err "errors in crontab file, can't install."
check "a table with errors changes nothing" cmp -s "$T/good.cron" "$TOCK_SPOOL/root"
expect_rc 0 "$TOCKCTL" install -u nobody "$T/good.cron"
expect_grep out "installed the table of nobody: 1 entry (tockd is not running: it reads $TOCK_SPOOL/nobody when it starts)"
check "tockctl install -u nobody: owned by nobody" test "$(stat -c '%U %a' "$TOCK_SPOOL/nobody")" = "nobody 600"
expect_rc 1 "$TOCKCTL" install -u no-such-user-$$ "$T/good.cron"
expect_grep err "no such user"
rm -f "$TOCK_SPOOL/nobody"

section "3. tockd started later runs it"
td_prepare off
if td_start off --spool "$TOCK_SPOOL"; then
        if wait_until 10 nonempty "$T/ran"; then pass "tockd runs the table installed before it started"
        else flunk "tockd runs the table installed before it started" "$(log_tail off)"; fi
        expect_rc 0 "$T/crontab" -l
        check "with tockd running, crontab -l asks it" cmp -s "$T/good.cron" "$T_TMP/out"
        td_stop off
fi
finish
