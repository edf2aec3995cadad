#!/usr/bin/env bash
# Tables tockd refuses as they are on disk (issue 12): a user's table written behind tockd's back
# (as Debian's crontab writes `0 22-2 * * *`, which tockd refuses) is told to its user in
# `tockctl status`, `tockctl why`, `tockctl list` and `crontab -l`: "your table on disk was
# refused: FILE:LINE:COL: message", and which version is in force (the previous one, or none).
# root's `tockctl status` lists every refused table, system ones (/etc/crontab, cron.d) included,
# with its reason. As root the user is a test user (removed by the EXIT trap); otherwise this shell's user.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tockd-lib.sh"
. "$(dirname "$0")/tockctl-lib.sh"
export TZ=UTC

tc_need_binaries "refused tables"
td_require_home "refused tables"

W=$ME
if $IS_ROOT && command -v useradd >/dev/null && command -v setpriv >/dev/null; then
        W=tocktest$$r
        tc_user "$W" || { flunk "a test user is created" "useradd failed"; finish; exit; }
else
        skip "tables of a test user" "not root: the tables are $ME's own"
fi
Q=$T/ref
S=$Q/spool/$W
td_prepare ref
tc_start ref || { finish; exit; }
tc_install_works ref

mkdir -p "$T/tt"
chmod 755 "$T/tt"
printf '[name:good] 0 0 1 1 * echo good\n' >"$T/tt/good"
chmod 644 "$T/tt/good"
# what Debian's crontab accepts and tockd refuses: a range that wraps around midnight
REASON="reversed range 22-2: a range goes from low to high; to wrap around write 22-23,0-2"

section "1. a user's table refused on disk, the previous version in force"
ctl "$W" install "$T/tt/good"
want "$W installs a table of 1 job" 0 out "installed the table of $W: 1 entry"
printf '0 22-2 * * * echo late\n' | put "$S" 600 "$W"
wait_log 10 ref "$S: refused with errors, keeping the previous version"
SAY="your table on disk was refused: $S:1:6: $REASON"
ctl "$W" status
want "status: the job in force is listed" 0 out "good"
want "status: says the table on disk was refused, where and why, and that the previous version is in force" 0 \
        out "$SAY" out "; the previous version is in force (1 job)"
ctl "$W" why good
want "why JOB: the table's state says it was refused on disk, the previous version in force" 0 \
        out "table        $SAY" out "the previous version is in force (1 job)"
ctl "$W" why 2
want "why of a line only the file on disk has: no such job in the version in force, and why" 1 \
        err "no job '2' of $W in the version in force: $SAY"
ct "$W" -l
want "crontab -l: prints the table on disk, exit 0" 0 =out "0 22-2 * * * echo late"
want "crontab -l: its exit message says the table was refused and what is in force" 0 \
        =err "$SAY; the previous version is in force (1 job)"
ctl "$W" list
want "tockctl list: the same message on stderr" 0 =out "0 22-2 * * * echo late" \
        =err "$SAY; the previous version is in force (1 job)"
ctl "$W" status --json
want_json "status --json parses"
if command -v python3 >/dev/null; then
        check "status --json: refused has the table, its line, column, reason and the version in force" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
r = d["refused"]
assert len(r) == 1, r
r = r[0]
assert r["table"] == sys.argv[2] and r["user"] == sys.argv[3], r
assert (r["line"], r["col"], r["more_errors"]) == (1, 6, 0), r
assert r["reason"].startswith("reversed range 22-2"), r
assert r["in_force"] is True and r["jobs_in_force"] == 1, r
' "$T/out" "$S" "$W"
fi
if $IS_ROOT; then
        ctl "" status -u "$W"
        want "root: status -u $W names whose table was refused" 0 \
                out "the table of $W on disk was refused: $S:1:6: $REASON"
        ct "" -u "$W" -l
        want "root: crontab -u $W -l says the same" 0 err "the table of $W on disk was refused: $S:1:6:"
fi

section "1. a user's table refused from the start: no version in force"
ctl "$W" remove
wait_log 10 ref "$S: removed"
printf '0 22-2 * * * echo late\n61 * * * * echo never\n' | put "$S" 600 "$W"
wait_until 10 eval '[ "$(log_count ref "$S: refused with errors, no jobs from it will run")" -ge 1 ]'
ctl "$W" status
want "status: no jobs, and the refusal with the errors after the first counted" 0 out "no jobs" \
        out "$SAY (and 1 more error); no version of it is in force"
ctl "$W" why 1
want "why: no job, because the table on disk was refused, and none is in force" 1 \
        err "no job '1' of $W: $SAY (and 1 more error); no version of it is in force"
ct "$W" -l
want "crontab -l: the exit message says no version is in force" 0 err "$SAY (and 1 more error); no version of it is in force"
# fixed on disk: nothing refused is said any more
printf '0 22 * * * echo late\n' | put "$S" 600 "$W"
wait_log 10 ref "$S: loaded, 1 job"
ctl "$W" status
want "status after the table is fixed: no refusal" 0 !out "refused"
ct "$W" -l
want "crontab -l after the table is fixed: no exit message" 0 =err ""

section "2. root's status lists every refused table with its reason"
if $IS_ROOT; then
        printf '61 * * * * root echo never\n' | put "$Q/cron.d/broken" 644
        printf '0 0 * * * root echo loose\n' | put "$Q/cron.d/loose" 664
        printf 'SHELL=/bin/sh\n0 22-2 * * *\troot\techo late\n' | put "$Q/crontab" 644
        printf '0 22-2 * * * echo late\n' | put "$S" 600 "$W"
        wait_log 10 ref "$Q/cron.d/broken: refused with errors"
        wait_log 10 ref "$Q/cron.d/loose: refused: writable by group or others"
        wait_log 10 ref "$Q/crontab: refused with errors"
        wait_log 10 ref "$S: refused with errors, keeping the previous version"
        ctl "" status
        want "root: status says how many tables are refused" 0 out "4 tables refused as on disk"
        want "root: a cron.d file with an error, where and why, nothing in force" 0 \
                out "  $Q/cron.d/broken:1:1: minute 61 is out of range 0-59; no version of it is in force"
        want "root: a cron.d file refused as a file (writable by group), why" 0 \
                out "  $Q/cron.d/loose: writable by group or others (chmod go-w it); no version of it is in force"
        want "root: /etc/crontab refused, where and why" 0 out "  $Q/crontab:2:6: $REASON; no version of it is in force"
        want "root: a user's table, where, why, and the version in force" 0 \
                out "  $S:1:6: $REASON; the previous version is in force (1 job)"
        ctl "" status --json
        if command -v python3 >/dev/null; then
                check "root: status --json lists the 4 refused tables" python3 -c '
import json, sys
r = {x["table"]: x for x in json.load(open(sys.argv[1]))["refused"]}
q = sys.argv[2]
assert sorted(r) == sorted([q + "/cron.d/broken", q + "/cron.d/loose", q + "/crontab", sys.argv[3]]), r
assert r[q + "/cron.d/loose"]["line"] is None and r[q + "/cron.d/loose"]["user"] is None, r
assert r[sys.argv[3]]["user"] == sys.argv[4], r
' "$T/out" "$Q" "$S" "$W"
        fi
        ctl "$W" status
        want "$W: status tells only $W's own refused table" 0 out "your table on disk was refused: $S:1:6:" \
                !out "cron.d" !out "$Q/crontab"
        ctl "" why "$Q/cron.d/broken:1"
        want "root: why TABLE:LINE of a refused cron.d file says why there is no job" 1 \
                err "no job '$Q/cron.d/broken:1': the table on disk was refused: $Q/cron.d/broken:1:1: minute 61"
        # fixed: listed no more
        printf '1 * * * * root echo fixed\n' | put "$Q/cron.d/broken" 644
        chmod 644 "$Q/cron.d/loose"
        ctl "" reload
        wait_log 10 ref "$Q/cron.d/broken: loaded, 1 job"
        wait_log 10 ref "$Q/cron.d/loose: loaded, 1 job"
        ctl "" status
        want "root: fixed tables are listed no more" 0 out "2 tables refused as on disk" !out "  $Q/cron.d/broken" \
                !out "  $Q/cron.d/loose"
else
        skip "root's view of every refused table" "needs root"
fi

check "tockd is alive, no sanitizer report in its log" tc_alive ref
td_stop ref
finish
