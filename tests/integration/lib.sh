# tests/integration/lib.sh: small assertion helpers for the shell tests. Source it.
set -uo pipefail
T_PASS=0 T_FAIL=0
T_TMP=$(mktemp -d)
trap 'rm -rf "$T_TMP"' EXIT

ok()   { T_PASS=$((T_PASS + 1)); }
fail() { T_FAIL=$((T_FAIL + 1)); echo "FAIL: $*" >&2; }

# expect_rc WANT CMD...: runs CMD with stdout in $T_TMP/out and stderr in $T_TMP/err
expect_rc() {
        local want=$1; shift
        "$@" >"$T_TMP/out" 2>"$T_TMP/err"
        local rc=$?
        if [ "$rc" = "$want" ]; then ok; else fail "'$*' exited $rc, wanted $want; stderr: $(head -c 600 "$T_TMP/err")"; fi
}
expect_out() { # exact stdout
        if [ "$(cat "$T_TMP/out")" = "$1" ]; then ok; else fail "stdout was:"$'\n'"$(cat "$T_TMP/out")"$'\n'"wanted:"$'\n'"$1"; fi
}
expect_grep() { # FILE(out|err) PATTERN (fixed string)
        if grep -qF -- "$2" "$T_TMP/$1"; then ok; else fail "$1 lacks '$2'; it was:"$'\n'"$(head -c 1500 "$T_TMP/$1")"; fi
}
expect_no_grep() {
        if grep -qF -- "$2" "$T_TMP/$1"; then fail "$1 has '$2'"; else ok; fi
}
finish() {
        echo "$T_PASS passed, $T_FAIL failed"
        [ "$T_FAIL" = 0 ]
}
