#!/usr/bin/env bash
# tockctl and the `crontab` name against a running tockd: install, list, remove and restore a
# user's table (tockctl install/list/remove/restore; crontab FILE, -, -l, -r), as root and as test
# users; the table lands in the spool as USER, owned by the user, mode 600, and tockd runs it as
# the user; an unchanged install changes nothing; a refused table changes nothing. Then tockd
# gone: no socket, nothing listening, a peer of another protocol version or none at all.
# Root creates two test users (removed by the EXIT trap); as another user the user parts skip.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tockd-lib.sh"
. "$(dirname "$0")/tockctl-lib.sh"
export TZ=UTC

tc_need_binaries "tockctl with tockd"
td_require_home "tockctl with tockd"

WHO=("$ME")
if $IS_ROOT && command -v useradd >/dev/null && command -v setpriv >/dev/null; then
        UA=tocktest$$a UB=tocktest$$b
        if tc_user "$UA" && tc_user "$UB"; then
                WHO+=("$UA")
        else
                flunk "test users are created" "useradd failed"
                UA='' UB=''
        fi
else
        UA='' UB=''
        skip "tables of other users" "needs root (and useradd, setpriv) to create test users and run tockctl as them"
fi

D=$T/tables
tc_start tables || { finish; exit; }
tc_install_works tables

# same_as NAME FILE: after r, stdout is byte for byte FILE
same_as() {
        if cmp -s "$T/out" "$2"; then pass "$1"; else
                flunk "$1" "stdout:"$'\n'"$(head -c 600 "$T/out")"$'\n'"wanted:"$'\n'"$(cat "$2")"
        fi
}
# table W NAME: writes $T/tt/W.NAME, a table of W whose job appends W's user name to
# $T/shared/W.ran every second; NAME is in a comment, so each version differs
table() {
        mkdir -p "$T/tt"
        chmod 755 "$T/tt"
        printf '# version %s\nMAILTO=""\n[sec:*/1] * * * * * id -un >> %s\n' "$2" "$T/shared/$1.ran" >"$T/tt/$1.$2"
        chmod 644 "$T/tt/$1.$2"
}
ran() { nlines "$T/shared/$1.ran"; }
# runs_again W: the job of W's table appends another line within 10 s
runs_again() {
        local n
        n=$(ran "$1")
        wait_until 10 has_lines "$T/shared/$1.ran" $((n + 1))
}
sig() { stat -c '%i %s %Y %U %a' "$1" 2>/dev/null; }

for W in "${WHO[@]}"; do
        section "1. $W's table through tockctl and crontab"
        S=$D/spool/$W
        for v in a b c d bad; do table "$W" $v; done
        echo '61 * * * * echo bad minute' >>"$T/tt/$W.bad"

        ctl "$W" list
        want "$W: tockctl list without a table says so and exits 1" 1 err "no crontab for $W" =out ""
        ct "$W" -l
        want "$W: crontab -l without a table: 'no crontab for $W' on stderr, exit 1" 1 =err "no crontab for $W" =out ""

        ctl "$W" install "$T/tt/$W.a"
        want "$W: tockctl install FILE installs it" 0 out "installed the table of $W: 1 entry"
        check "$W: the table is in the spool as $W" test -f "$S"
        check "$W: owned by $W, mode 600" test "$(stat -c '%U %a' "$S" 2>/dev/null)" = "$W 600"
        check "$W: with the text sent" cmp -s "$S" "$T/tt/$W.a"
        if wait_until 10 has_lines "$T/shared/$W.ran" 1; then
                check "$W: tockd runs the installed table's [sec:*/1] job, as $W" test "$(sort -u "$T/shared/$W.ran")" = "$W"
        else flunk "$W: tockd runs the installed table's [sec:*/1] job" "$(log_tail tables)"; fi

        ctl "$W" list
        want "$W: tockctl list exits 0" 0
        same_as "$W: tockctl list prints the table as installed" "$T/tt/$W.a"
        ct "$W" -l
        same_as "$W: crontab -l prints the table as installed" "$T/tt/$W.a"
        ctl "$W" list --json
        want "$W: tockctl list --json exits 0" 0 out '"table": "# version a\n'
        want_json "$W: tockctl list --json is valid JSON"

        before=$(sig "$S")
        n_inst=$(log_count tables "$S: installed by")
        ctl "$W" install "$T/tt/$W.a"
        want "$W: installing the same table again says nothing changed" 0 out "no changes to the table of $W"
        check "$W: and leaves the spool file alone (inode, size, mtime)" test "$(sig "$S")" = "$before"
        check "$W: and tockd logs no install" test "$(log_count tables "$S: installed by")" = "$n_inst"
        check "$W: and keeps no previous version of it" test ! -e "$D/state/previous/$W"

        ct "$W" "$T/tt/$W.b"
        want "$W: crontab FILE installs silently, exit 0" 0 =out "" =err ""
        ctl "$W" list
        same_as "$W: crontab FILE's table is the one listed" "$T/tt/$W.b"
        R_IN=$T/tt/$W.c ct "$W" -
        want "$W: crontab - installs standard input, exit 0" 0 =out "" =err ""
        ct "$W" -l
        same_as "$W: crontab -'s table is the one listed" "$T/tt/$W.c"
        R_IN=$T/tt/$W.d ct "$W"
        want "$W: bare crontab with standard input not a terminal installs it (cronie)" 0
        ct "$W" -l
        same_as "$W: that table is the one listed" "$T/tt/$W.d"
        R_IN=$T/tt/$W.c ctl "$W" install -
        want "$W: tockctl install - installs standard input" 0 out "installed the table of $W: 1 entry"
        check "$W: still owned by $W, mode 600, after replacements" test "$(stat -c '%U %a' "$S" 2>/dev/null)" = "$W 600"

        # tockd keeps each replaced version for restore; as an ordinary user it cannot (a bug)
        prev_ok=true
        if log_has tables "cannot keep the previous table of $W"; then
                prev_ok=false
                bug "$W: tockd keeps the replaced table for restore" \
                        "tockd not run as root cannot keep previous versions: keep_previous() in daemon/control.c writes them with fchown(0, 0), which fails with EPERM ('cannot keep the previous table of $W: Operation not permitted' in the log); restore then finds nothing, and remove still says 'tockctl restore brings it back'"
        fi

        # a table with errors changes nothing
        before=$(sig "$S")
        ctl "$W" install "$T/tt/$W.bad"
        want "$W: tockctl install of a table with errors exits 1 with FILE:LINE:COL" 1 \
                err "$T/tt/$W.bad:4:1: error: minute 61 is out of range 0-59" \
                err "tockd refused the table and kept the one it had"
        ct "$W" "$T/tt/$W.bad"
        want "$W: crontab FILE with errors: cron's 'errors in crontab file, can't install.', exit 1" 1 \
                err "errors in crontab file, can't install." err ":4:1: error: minute 61"
        check "$W: a refused table leaves the spool file alone" test "$(sig "$S")" = "$before"
        if $prev_ok; then
                check "$W: and the previous version too (d)" cmp -s "$D/state/previous/$W" "$T/tt/$W.d"

                # restore swaps the current and the previous version
                ctl "$W" restore
                want "$W: tockctl restore brings the previous table back" 0 out "restored the table of $W"
                ctl "$W" list
                same_as "$W: the restored table is the one before the last install (d)" "$T/tt/$W.d"
                ctl "$W" restore
                ctl "$W" list
                same_as "$W: a second restore undoes the first (c)" "$T/tt/$W.c"
        fi

        # remove, then restore
        echo n >"$T/answer.n"
        R_IN=$T/answer.n ct "$W" -r -i
        want "$W: crontab -r -i answered n keeps the table, exit 0" 0 out "crontab: really delete $W's crontab? (y/n)"
        check "$W: the table is still there" test -e "$S"
        R_IN=$T/answer.n ctl "$W" remove -i
        want "$W: tockctl remove -i answered n keeps the table, exit 0" 0 err "Remove the table of $W? (y/n)"
        check "$W: the table is still there" test -e "$S"
        ct "$W" -r
        want "$W: crontab -r removes silently, exit 0" 0 =out "" =err ""
        check "$W: the spool file is gone" test ! -e "$S"
        ct "$W" -l
        want "$W: crontab -l after -r: no crontab, exit 1" 1 =err "no crontab for $W"
        ctl "$W" status --json
        if [ "$RC" = 0 ] && ! grep -qF "\"table\": \"$S\"" "$T/out"; then pass "$W: tockd dropped the removed table's job"
        else flunk "$W: tockd dropped the removed table's job" "$(head -c 800 "$T/out")"; fi
        ct "$W" -r
        want "$W: crontab -r without a table: no crontab, exit 1" 1 =err "no crontab for $W"
        if ! $prev_ok; then
                ctl "$W" install "$T/tt/$W.c"
                ctl "$W" remove
                want "$W: tockctl remove" 0 out "removed the table of $W"
                continue
        fi
        ctl "$W" restore
        want "$W: tockctl restore after a remove brings the table back" 0 out "restored the table of $W"
        ctl "$W" list
        same_as "$W: the removed table (c) is back" "$T/tt/$W.c"
        check "$W: owned by $W, mode 600" test "$(stat -c '%U %a' "$S" 2>/dev/null)" = "$W 600"
        check "$W: and tockd runs it again" runs_again "$W"
        ctl "$W" remove
        want "$W: tockctl remove says how to undo it" 0 out "removed the table of $W (tockctl restore brings it back)"
        ctl "$W" remove
        want "$W: tockctl remove without a table: no crontab, exit 1" 1 err "no crontab for $W"
        ctl "$W" restore
        ctl "$W" restore
        want "$W: restore with no current table uses the kept version up: the next says so, exit 1" 1 \
                err "no previous version of the table of $W is kept"
        ctl "$W" remove
done

if [ -n "$UB" ]; then
        section "1. a user without any history"
        ctl "$UB" restore
        want "$UB: tockctl restore with nothing kept: exit 1 and says so" 1 err "no previous version of the table of $UB is kept"
        ctl "$UB" restore --json
        want "$UB: tockctl restore --json of nothing fails the same way" 1
fi

ctl "" status
want "tockd still answers after all that" 0 out "tockd "
check "tockd is alive, no sanitizer report in its log" tc_alive tables

# ---- 6. tockd gone
section "6. tockd is not there"
if [ -z "$UA" ]; then U6=$ME; else U6=$UA; fi
r "" "$TOCKCTL" --socket "$T/nowhere/tockd.sock" status
want "tockctl, no socket: says tockd is not running, exit 4" 4 =err "tockctl: tockd is not running (no socket at $T/nowhere/tockd.sock)"
TOCK_SOCKET=$T/nowhere/tockd.sock ct "$U6" -l
want "crontab -l, no socket: exit 4 (not 1, which means 'no crontab'), says why" 4 \
        =err "crontab: tockd is not running (no socket at $T/nowhere/tockd.sock)"
TOCK_SOCKET=$T/nowhere/tockd.sock r "" "$TOCKCTL" --socket "$SOCK" status
want "--socket wins over \$TOCK_SOCKET" 0 out "tockd "
TOCK_SOCKET=$SOCK r "" "$TOCKCTL" status
want "\$TOCK_SOCKET is used without --socket" 0 out "tockd "
r "" "$TOCKCTL" --socket "$T/$(printf 'x%.0s' {1..120})" status
want "a socket path too long for sun_path: a usage error that says so" 2 err "the socket path is longer than 107 bytes"

td_stop tables
check "after SIGTERM tockd exits 0" test "${TD_RC[tables]}" = 0
check "and removes its socket" test ! -e "$SOCK"
ctl "" status
want "tockctl after tockd stopped: no socket, exit 4" 4 err "tockd is not running (no socket at $SOCK)"

# killed: the socket file stays and nothing listens on it
tc_start tables || { finish; exit; }
pid=${TD_PID[tables]}
{
        kill -KILL "$pid"
        wait_until 10 gone "$pid"
        wait "${TD_WRAP[tables]}"
} 2>/dev/null # no "Killed" line from bash
unset "TD_PID[tables]" "TD_WRAP[tables]"
check "a killed tockd leaves its socket file" test -S "$SOCK"
ctl "" status
want "tockctl, socket but nothing listening: says so, exit 4" 4 =err "tockctl: tockd is not running (nothing listens on $SOCK)"
ct "$U6" -l
want "crontab -l, nothing listening: exit 4" 4 err "tockd is not running (nothing listens on $SOCK)"
ctl "" list
want "tockctl list, nothing listening: exit 4" 4 err "nothing listens on"

if tc_cc proto-peer; then
        FAKE=$T/fake.sock
        for mode in version garbage close; do
                "$T/proto-peer" "$FAKE" serve "$mode" >"$T/fake.out" 2>&1 &
                fake=$!
                CLEAN_PIDS+=("$fake")
                wait_until 10 test -S "$FAKE"
                r "" "$TOCKCTL" --socket "$FAKE" status
                case $mode in
                version) want "a tockd of another protocol version: tockctl says which, exit 4" 4 \
                        err "tockctl: tockd speaks protocol version 9, this tockctl speaks $(sed -n 's/^#define PROTO_VERSION \([0-9]*\).*/\1/p' "$(dirname "$0")/../../common/proto.h"): use the tockctl that came with tockd" ;;
                garbage) want "a peer that is not tockd: tockctl says so, exit 4" 4 err "$FAKE does not speak tockd's protocol" ;;
                close) want "a peer that closes without answering: tockctl says so, exit 4" 4 \
                        err "tockd closed the connection before answering" ;;
                esac
                TOCK_SOCKET=$FAKE ct "$U6" -l
                want "crontab -l to such a peer ($mode): exit 4, not 'no crontab'" 4 !err "no crontab"
                kill "$fake"
                wait "$fake" 2>/dev/null
                forget "$fake"
                rm -f "$FAKE"
        done
        # a reply in parts that tockd calls off (its tables changed): tockctl asks again, 5 times
        for n in 2 9; do
                "$T/proto-peer" "$FAKE" serve abort $n >"$T/fake.out" 2>&1 &
                fake=$!
                CLEAN_PIDS+=("$fake")
                wait_until 10 test -S "$FAKE"
                r "" "$TOCKCTL" --socket "$FAKE" status
                if [ $n = 2 ]; then
                        # then REFUSED, which this fake closes unanswered as a tockd before it: ignored
                        want "a reply called off twice: tockctl asks again and shows the third" 0 out "fake-3" !err "tockd"
                        check "... over 3 connections" test "$(grep -c '^conn' "$T/fake.out")" = 3
                else
                        want "a reply called off every time: tockctl gives up after 5 tries with tockd's reason" 1 \
                                err "the tables changed" !out "fake"
                        check "... over 5 connections" test "$(grep -c '^conn' "$T/fake.out")" = 5
                fi
                kill "$fake"
                wait "$fake" 2>/dev/null
                forget "$fake"
                rm -f "$FAKE"
        done
        "$T/proto-peer" "$FAKE" bind-only
        r "" "$TOCKCTL" --socket "$FAKE" status
        want "a socket file nobody listens on: nothing listens, exit 4" 4 err "tockd is not running (nothing listens on $FAKE)"
fi

finish
