#!/usr/bin/env bash
# packaging/tock-tables (/usr/libexec/tock/tables in the package), which the maintainer scripts
# run: the tables tockd refuses (postinst) and those Debian's cron would not run as tock does
# (prerm), found where tockd --dump-config says, all of them here under a temp dir.
. "$(dirname "$0")/lib.sh"
export TOCKCTL=${TOCKCTL:-build/tockctl} TOCKD=${TOCKD:-build/tockd}
TABLES=$(dirname "$0")/../../packaging/tock-tables
D=$T_TMP/root
mkdir -p "$D/cron.d" "$D/spool"
paths=(--config /dev/null --crontab "$D/crontab" --cron-d "$D/cron.d" --spool "$D/spool")

# --- nothing to say: exit 0, no output
printf 'SHELL=/bin/sh\n17 * * * * root cd / && run-parts --report /etc/cron.hourly\n' >"$D/crontab"
printf '*/5 * * * * echo alice\n' >"$D/spool/alice"
expect_rc 0 "$TABLES" refused "${paths[@]}"
expect_out ""
expect_rc 0 "$TABLES" cron-compat "${paths[@]}"
expect_out ""

# --- refused tables, with their first errors; files tockd does not read are not looked at
printf '0 22-2 * * * root x\n61 * * * * root y\n70 * * * * root z\n80 * * * * root w\n' >"$D/cron.d/bad"
printf '0 22-2 * * * root x\n' >"$D/cron.d/bad.dpkg-old"
printf '0 22-2 * * * echo bob\n' >"$D/spool/bob"
printf 'garbage\n' >"$D/spool/tmp.1234"
printf '61 * * * * root x\n' >"$D/crontab"
expect_rc 1 "$TABLES" refused "${paths[@]}"
expect_grep out "tock: tockd refuses these tables"
expect_grep out "  $D/crontab"
expect_grep out "    $D/crontab:1:1: error: minute 61 is out of range 0-59"
expect_grep out "  $D/cron.d/bad"
expect_grep out "    $D/cron.d/bad:1:6: error: reversed range 22-2"
expect_grep out "    $D/cron.d/bad:3:1: error: minute 70"
expect_grep out "... and 1 more (tockctl check shows them all)"
expect_no_grep out "minute 80"
expect_grep out "  $D/spool/bob"
expect_no_grep out "bad.dpkg-old"
expect_no_grep out "tmp.1234"
expect_no_grep out "$D/spool/alice"
# the source line and the caret come along
if grep -A2 -F "$D/spool/bob:1:6" "$T_TMP/out" | tail -1 | grep -qx '             ^'; then ok; else fail "no caret: $(cat "$T_TMP/out")"; fi
# tockd's own paths: with --spool '' the spool is not read
expect_rc 1 "$TABLES" refused --config /dev/null --crontab "$D/crontab" --cron-d "$D/cron.d" --spool ''
expect_no_grep out "spool/bob"

# --- cron-compat: only tables tock runs, only what Debian's cron reads otherwise
printf '17 * * * * root x\n' >"$D/crontab"
printf '[name:carol sec:*/30] * * * * * echo carol\n' >"$D/spool/carol"
printf 'CRON_TZ=Europe/Paris\n0 3 * * * root x\n' >"$D/cron.d/paris"
expect_rc 1 "$TABLES" cron-compat "${paths[@]}"
expect_grep out "tock: Debian's cron would not run these tables as tock does"
expect_grep out "  $D/spool/carol"
expect_grep out "$D/spool/carol:1:1: error: tock's per-job options"
expect_grep out "  $D/cron.d/paris"
expect_grep out "$D/cron.d/paris:1: warning: Debian's cron has no CRON_TZ"
expect_no_grep out "spool/bob"
expect_no_grep out "spool/alice"
expect_no_grep out "$D/crontab"

expect_rc 2 "$TABLES"
finish
