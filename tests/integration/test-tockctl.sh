#!/usr/bin/env bash
# tockctl check and next, offline, as a user runs them.
. "$(dirname "$0")/lib.sh"
CTL=${TOCKCTL:-build/tockctl}
export TZ=UTC

# --- check: a valid table
printf 'MAILTO=""\n*/5 * * * * echo hi\n@daily /usr/bin/true\n' >"$T_TMP/ok.cron"
expect_rc 0 "$CTL" check "$T_TMP/ok.cron"
expect_grep out "valid, 2 entries, 1 environment line, 0 warnings"

# --- check: every problem of a file, not only the first, with file:line:col and a caret
printf '# bad table\n61 * * * * a\n* * * * *\n0 0 * * 8 b\nFOO=bar\n*/0 * * * * c\n' >"$T_TMP/bad.cron"
expect_rc 1 "$CTL" check "$T_TMP/bad.cron"
expect_grep err "$T_TMP/bad.cron:2:1: error: minute 61 is out of range 0-59"
expect_grep err "$T_TMP/bad.cron:3:10: error: missing command"
expect_grep err "$T_TMP/bad.cron:4:9: error: weekday 8 is out of range 0-7"
expect_grep err "$T_TMP/bad.cron:6:3: error: step 0 is out of range: it must be at least 1"
expect_grep err "4 errors, 0 warnings; the table would be refused"
# the caret stands under column 9 of line 4 (both lines indented by 4)
if grep -A2 -F "bad.cron:4:9" "$T_TMP/err" | tail -1 | grep -qx '            ^'; then ok; else fail "caret misplaced: $(cat "$T_TMP/err")"; fi

# --- check: warnings do not make a table invalid
printf '*/35 * * * * a\n0 0 30 2 * b\n0 0 1 * fri c\n0 0 * * * date +%%F\n[bogus:1] * * * * * d\n' >"$T_TMP/warn.cron"
expect_rc 0 "$CTL" check "$T_TMP/warn.cron"
expect_grep err "warn.cron:1:3: warning: step 35 does not divide 60 evenly"
expect_grep err "warn.cron:2:5: warning: this schedule never fires"
expect_grep err "warn.cron:3:5: warning: both day-of-month and day-of-week are restricted"
expect_grep err "warn.cron:4:17: warning: '%' ends the command here"
expect_grep err "warn.cron:5:2: warning: unknown option 'bogus'"

# --- check: standard input, system mode, several files with the worst exit code
expect_rc 0 "$CTL" check - <"$T_TMP/ok.cron"
expect_grep out "<stdin>: valid"
printf '17 * * * * root cd / && run-parts /etc/cron.hourly\n' >"$T_TMP/sys.cron"
expect_rc 0 "$CTL" check --system "$T_TMP/sys.cron"
printf '17 * * * *\n' >"$T_TMP/sysbad.cron"
expect_rc 1 "$CTL" check --system "$T_TMP/sysbad.cron"
expect_grep err "missing user field"
expect_rc 1 "$CTL" check "$T_TMP/ok.cron" "$T_TMP/bad.cron"
expect_rc 3 "$CTL" check "$T_TMP/does-not-exist"
expect_grep err "cannot read: No such file or directory"
expect_rc 2 "$CTL" check
printf 'CRON_TZ=Mars/Olympus_Mons\n* * * * * x\n' >"$T_TMP/tz.cron"
expect_rc 1 "$CTL" check "$T_TMP/tz.cron"
expect_grep err "tz.cron:1:9: error: unknown time zone 'Mars/Olympus_Mons' in CRON_TZ"

# --- check --cron-compat: what Debian's cron would not run as tock does (tock's removal lists these)
printf 'MAILTO=x\nCRON_TZ=Europe/Paris\n  [name:a sec:*/5] * * * * * echo a\n\t1~5 2 * * * echo b\n*/5 * * * * echo ok\n' >"$T_TMP/compat.cron"
expect_rc 0 "$CTL" check "$T_TMP/compat.cron"
expect_rc 1 "$CTL" check --cron-compat "$T_TMP/compat.cron"
expect_grep err "compat.cron:2: warning: Debian's cron has no CRON_TZ"
expect_grep err "compat.cron:3:3: error: tock's per-job options: Debian's cron refuses this line, and so ignores the whole table"
expect_grep err "compat.cron:4:3: error: a random value ('~')"
expect_grep err "compat.cron: valid for tock, but Debian's cron would not run it as tock does (3 problems)"
printf '*/5 * * * * x' >"$T_TMP/nonl.cron"
expect_rc 1 "$CTL" check --cron-compat "$T_TMP/nonl.cron"
expect_grep err "nonl.cron: error: no newline at the end: Debian's cron ignores the whole table"
expect_rc 0 "$CTL" check --cron-compat "$T_TMP/ok.cron"
expect_grep out "ok.cron: valid, and Debian's cron reads it as tock does"
printf '[sec:*/10] * * * * * root x\n' >"$T_TMP/syscompat.cron"
expect_rc 1 "$CTL" check --system --cron-compat "$T_TMP/syscompat.cron" "$T_TMP/sys.cron"
expect_grep err "syscompat.cron:1:1: error: tock's per-job options"
expect_grep out "sys.cron: valid, and Debian's cron reads it as tock does"
# a table tock refuses is reported as without the option
expect_rc 1 "$CTL" check --cron-compat "$T_TMP/bad.cron"
expect_grep err "4 errors, 0 warnings; the table would be refused"

# --- next: the daylight-saving rule as tockd applies it
expect_rc 0 "$CTL" next --tz America/New_York --from 2026-03-07T12:00 --count 2 '30 2 * * *'
expect_out $'2026-03-08T03:00:00-04:00\n2026-03-09T02:30:00-04:00'
expect_rc 0 "$CTL" next --tz America/New_York --from 2026-11-01T00:00 --count 2 '30 1 * * *'
expect_out $'2026-11-01T01:30:00-04:00\n2026-11-02T01:30:00-05:00'
expect_rc 0 "$CTL" next --tz America/New_York --from 2026-11-01T00:59 --count 3 '30 * * * *'
expect_out $'2026-11-01T01:30:00-04:00\n2026-11-01T01:30:00-05:00\n2026-11-01T02:30:00-05:00'
# fields as separate arguments, Feb 29, never
expect_rc 0 "$CTL" next --tz UTC --from 2026-01-01T00:00 --count 2 0 0 29 2 '*'
expect_out $'2028-02-29T00:00:00+00:00\n2032-02-29T00:00:00+00:00'
expect_rc 1 "$CTL" next --tz UTC '0 0 30 2 *'
expect_grep err "never fires"
# seconds resolution
expect_rc 0 "$CTL" next --tz UTC --from 2026-01-01T00:00:00 --count 3 '[sec:*/20] * * * * *'
expect_out $'2026-01-01T00:00:20+00:00\n2026-01-01T00:00:40+00:00\n2026-01-01T00:01:00+00:00'
expect_rc 2 "$CTL" next --from yesterday '* * * * *'
expect_rc 3 "$CTL" next --tz Nowhere/Land '* * * * *'
expect_rc 1 "$CTL" next '61 * * * *'

# --- next --file: the whole table in time order, with line numbers and CRON_TZ per entry
printf '0 12 * * * noon\nCRON_TZ=Asia/Tokyo\n0 9 * * * tokyo\n@reboot boot\n' >"$T_TMP/f.cron"
expect_rc 0 "$CTL" next --tz UTC --from 2026-06-01T00:00 --count 3 --file "$T_TMP/f.cron"
expect_out "$(printf '%-25s  line %-4s  %s\n' @reboot 4 boot 2026-06-01T12:00:00+00:00 1 noon 2026-06-02T09:00:00+09:00 3 tokyo 2026-06-02T12:00:00+00:00 1 noon)"
expect_rc 1 "$CTL" next --file "$T_TMP/bad.cron"

finish
