#!/bin/sh
# tests/integration/fake-editor.sh FILE: a scripted $EDITOR for the `tockctl edit` and
# `crontab -e` tests. It counts its runs in $FAKE_EDITOR_DIR/count, notes the file it was given
# (path, mode, owner, first line) in $FAKE_EDITOR_DIR/seen, then does what $FAKE_EDITOR_DIR/script
# says for this run: the script's line N (or its last line, past the end) is one of
#   keep            save the file unchanged
#   copy NAME       write $FAKE_EDITOR_DIR/NAME over the file (in place, as most editors do)
#   rename NAME     put $FAKE_EDITOR_DIR/NAME in the file's place by rename (as vim with
#                   backupcopy=no does)
#   append TEXT     add the line TEXT to the file
#   fail            exit 3 without saving
set -eu
dir=${FAKE_EDITOR_DIR:?set FAKE_EDITOR_DIR}
f=$1
n=0
[ -f "$dir/count" ] && n=$(cat "$dir/count")
n=$((n + 1))
echo "$n" >"$dir/count"
echo "$f $(stat -c '%a %U' "$f") $(head -n 1 "$f")" >>"$dir/seen"
line=$(sed -n "${n}p" "$dir/script")
[ -n "$line" ] || line=$(sed -n '$p' "$dir/script")
op=${line%% *}
arg=${line#* }
case $op in
keep) ;;
copy) cat "$dir/$arg" >"$f" ;;
rename)
        cp "$dir/$arg" "$f.new"
        mv -f "$f.new" "$f"
        ;;
append) printf '%s\n' "$arg" >>"$f" ;;
fail) exit 3 ;;
*)
        echo "fake-editor.sh: unknown step '$line'" >&2
        exit 9
        ;;
esac
