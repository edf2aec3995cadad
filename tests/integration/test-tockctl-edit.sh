#!/usr/bin/env bash
# `tockctl edit` and `crontab -e` against a running tockd, with a scripted $EDITOR
# (fake-editor.sh): a valid edit is installed and run; an unchanged edit installs nothing; an
# invalid edit is shown with its errors and the question "edit again?" is answered on the terminal
# (pty-run.c gives the command a pseudo-terminal): "y" edits the same text again and a fixed edit
# is installed, "n" installs nothing and exits 1; with no terminal to ask on, the edit is kept in
# a file; a failing editor installs nothing. As root also as a test user (removed by the trap).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tockd-lib.sh"
. "$(dirname "$0")/tockctl-lib.sh"
export TZ=UTC
unset VISUAL
FAKE="sh $TC_HERE/fake-editor.sh" # run by sh: works without the exec bit
export EDITOR=$FAKE

tc_need_binaries "tockctl edit"
td_require_home "tockctl edit"
tc_cc pty-run || { finish; exit; }
PTY=$T/pty-run

WHO=("$ME")
if $IS_ROOT && command -v useradd >/dev/null && command -v setpriv >/dev/null; then
        UA=tocktest$$e
        if tc_user "$UA"; then WHO+=("$UA"); else flunk "a test user is created" "useradd failed"; fi
else
        skip "edits of another user" "needs root (and useradd, setpriv) to create a test user and run tockctl as it"
fi

D=$T/edit
tc_start edit || { finish; exit; }
tc_install_works edit

# editor W STEP...: a fresh fake-editor directory for W ($ED), whose script is the STEPs; the
# tables good1, good2 (each with a [sec:*/1] job writing W's name to $T/shared/W.STYLE.ran) and
# bad are in it
editor() {
        local w=$1 s
        shift
        ED=$T/ed/$w
        rm -rf "$ED"
        mkdir -p "$ED"
        for s in good1 good2; do
                printf '# %s\n[sec:*/1] * * * * * id -un >> %s\n' "$s" "$T/shared/$w.$STYLE.ran" >"$ED/$s"
        done
        printf '# bad\n[sec:*/1] * * * * * true\n0 25 * * * hour twenty-five\n' >"$ED/bad"
        printf '%s\n' "$@" >"$ED/script"
        chown -R "$w" "$ED" 2>/dev/null
        export FAKE_EDITOR_DIR=$ED
}
edits() { cat "$ED/count" 2>/dev/null || echo 0; }
sig() { stat -c '%i %s %Y %U %a' "$1" 2>/dev/null; }
# kept_file: the file named by "...edit is kept in PATH" / "edits left in PATH" in $T/out + err
kept_file() { sed -n 's/.*\(your edit is kept in\|edits left in\) \([^ ]*\)$/\2/p' "$T/out" "$T/err" | tr -d '\r' | tail -n 1; }

for W in "${WHO[@]}"; do
        S=$D/spool/$W
        for STYLE in tockctl crontab; do
                if [ $STYLE = tockctl ]; then
                        E=("$TOCKCTL" --socket "$SOCK" edit)
                        unchanged="no changes made to the table"
                else
                        E=("$CRONTAB" -e)
                        unchanged="No modification made"
                fi
                section "2. $STYLE edit as $W"
                rm -f "$S" "$D/state/previous/$W"

                # a valid edit of no table at all
                editor "$W" "copy good1"
                r "$W" "${E[@]}"
                if [ $STYLE = tockctl ]; then
                        want "$W $STYLE: a valid edit is installed" 0 out "installed the table of $W: 1 entry"
                else
                        want "$W $STYLE: a valid edit is installed, with cron's words" 0 \
                                err "no crontab for $W - using an empty one" err "crontab: installing new crontab"
                fi
                check "$W $STYLE: the edited text is the table in the spool" cmp -s "$S" "$ED/good1"
                check "$W $STYLE: owned by $W, mode 600" test "$(stat -c '%U %a' "$S" 2>/dev/null)" = "$W 600"
                read -r tmp tmode towner _ <"$ED/seen"
                check "$W $STYLE: the editor got a private file (mode 600, $W's)" test "$tmode $towner" = "600 $W"
                case ${tmp##*/} in crontab.??????) pass "$W $STYLE: the temporary file is named crontab.XXXXXX" ;;
                *) flunk "$W $STYLE: the temporary file is named crontab.XXXXXX" "it was $tmp" ;; esac
                check "$W $STYLE: and it is removed afterwards" test ! -e "$tmp"
                if wait_until 10 has_lines "$T/shared/$W.$STYLE.ran" 1; then
                        check "$W $STYLE: tockd runs the edited table, as $W" test "$(sort -u "$T/shared/$W.$STYLE.ran")" = "$W"
                else flunk "$W $STYLE: tockd runs the edited table" "$(log_tail edit)"; fi

                # unchanged
                editor "$W" keep
                before=$(sig "$S")
                n_inst=$(log_count edit "$S: installed by")
                r "$W" "${E[@]}"
                want "$W $STYLE: an unchanged edit says so and exits 0" 0 err "$unchanged"
                check "$W $STYLE: the editor saw the installed table" grep -qF " # good1" "$ED/seen"
                check "$W $STYLE: nothing is installed (the spool file and the log stay as they were)" \
                        test "$(sig "$S") $(log_count edit "$S: installed by")" = "$before $n_inst"
                check "$W $STYLE: and no previous version is kept" test ! -e "$D/state/previous/$W"

                # invalid, "y", then fixed
                editor "$W" "copy bad" "copy good2"
                r "$W" "$PTY" y -- "${E[@]}"
                want "$W $STYLE: an invalid edit shows its errors and asks again; 'y' and a fixed edit install it" 0 \
                        out ":3:3: error: hour 25 is out of range 0-23" out "(y/n)"
                check "$W $STYLE: the editor ran twice" test "$(edits)" = 2
                check "$W $STYLE: the second time on the text of the first (the edit is not lost)" \
                        test "$(sed -n '2s/^[^ ]* [^ ]* [^ ]* //p' "$ED/seen")" = "# bad"
                check "$W $STYLE: the fixed edit is the table" cmp -s "$S" "$ED/good2"
                if log_has edit "cannot keep the previous table of $W"; then
                        bug "$W $STYLE: the previous version is the one before the edit" \
                                "tockd not run as root cannot keep previous versions (keep_previous() in daemon/control.c chowns them to root: EPERM)"
                else
                        check "$W $STYLE: and the previous version is the one before the edit" cmp -s "$D/state/previous/$W" "$ED/good1"
                fi

                # invalid, "n"
                editor "$W" "copy bad"
                before=$(sig "$S")
                r "$W" "$PTY" n -- "${E[@]}"
                if [ $STYLE = tockctl ]; then
                        want "$W $STYLE: an invalid edit answered 'n' installs nothing, exit 1" 1 \
                                out "tockctl edit: nothing installed" out "(y/n)"
                else
                        want "$W $STYLE: an invalid edit answered 'n' installs nothing, exit 1, the edit left in a file" 1 \
                                out "errors in crontab file, can't install." out "crontab: edits left in "
                        kept=$(kept_file)
                        check "$W $STYLE: the file left holds the invalid edit" cmp -s "$kept" "$ED/bad"
                        rm -f "$kept"
                fi
                check "$W $STYLE: the editor ran once" test "$(edits)" = 1
                check "$W $STYLE: the table is still the last good one" test "$(sig "$S")" = "$before"

                # invalid, and no terminal to ask on
                if command -v setsid >/dev/null; then
                        editor "$W" "copy bad"
                        r "$W" setsid -w "${E[@]}"
                        want "$W $STYLE: an invalid edit with no terminal to ask on: exit 1, says so, keeps the edit" 1 \
                                err "no terminal to ask whether to edit again" !err "nothing installed"
                        kept=$(kept_file)
                        if [ -n "$kept" ] && cmp -s "$kept" "$ED/bad"; then
                                pass "$W $STYLE: the file kept holds the edit"
                        else flunk "$W $STYLE: the file kept holds the edit" "'$kept'; stderr: $(cat "$T/err")"; fi
                        rm -f "$kept"
                        check "$W $STYLE: the table is unchanged" test "$(sig "$S")" = "$before"
                else
                        skip "$W $STYLE: an edit with no terminal" "setsid (util-linux) is not installed"
                fi

                # a failing editor
                editor "$W" fail
                r "$W" "${E[@]}"
                want "$W $STYLE: an editor that fails installs nothing and exits 1" 1 err "ended with exit 3; nothing installed"
                check "$W $STYLE: the table is unchanged" test "$(sig "$S")" = "$before"

                # an editor that saves by rename, chosen by VISUAL over EDITOR
                editor "$W" "rename good1"
                VISUAL=$FAKE EDITOR=/bin/false r "$W" "${E[@]}"
                want "$W $STYLE: \$VISUAL is used before \$EDITOR; an editor saving by rename works" 0
                check "$W $STYLE: its text is installed" cmp -s "$S" "$ED/good1"
        done
done

if [ ${#WHO[@]} -gt 1 ]; then
        section "2. root edits another user's table"
        editor "$UA" "copy good2"
        r "" "$CRONTAB" -u "$UA" -e
        want "crontab -u $UA -e as root installs $UA's table" 0 err "crontab: installing new crontab"
        check "it is $UA's, mode 600, with the edit" test "$(stat -c '%U %a' "$D/spool/$UA") $(head -n 1 "$D/spool/$UA")" = "$UA 600 # good2"
        editor "$UA" "copy good1"
        r "" "$TOCKCTL" --socket "$SOCK" edit -u "$UA"
        want "tockctl edit -u $UA as root installs $UA's table" 0 out "installed the table of $UA: 1 entry"
        check "it is $UA's, mode 600, with the edit" test "$(stat -c '%U %a' "$D/spool/$UA") $(head -n 1 "$D/spool/$UA")" = "$UA 600 # good1"
fi

check "tockd is alive, no sanitizer report in its log" tc_alive edit
td_stop edit
finish
