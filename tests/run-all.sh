#!/usr/bin/env bash
# Runs every test: the Criterion unit tests, the command-line integration tests, tockd under
# systemd in a booted Debian (packaging/test-systemd.sh, as root), the unit and integration tests
# again under ASan/UBSan with LeakSanitizer, and tockctl and tockd (with its spawner) under valgrind.
# Criterion fails on failing tests and sanitizer errors but not on leaks, so leaks are checked
# here from the tools' own output. Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
export TOCK_CORPUS=${TOCK_CORPUS:-$(cd .. && pwd)/shared/corpus/crontab-lines}
passed=0 failed=0
logdir=$(mktemp -d)
trap 'rm -rf "$logdir"' EXIT

step() { # name command...
        local name=$1 t0=$SECONDS; shift
        echo "=== $name"
        if "$@" >"$logdir/out" 2>&1; then
                tail -n 3 "$logdir/out"
                echo "--- ok: $name ($((SECONDS - t0)) s)"; passed=$((passed + 1))
        else
                cat "$logdir/out"
                echo "--- FAILED: $name ($((SECONDS - t0)) s)"; failed=$((failed + 1))
        fi
}

no_leaks() { # command...: runs it and fails if LeakSanitizer reported anything
        "$@" 2>&1 | tee "$logdir/lsan"
        local rc=${PIPESTATUS[0]}
        if grep -q 'ERROR: LeakSanitizer' "$logdir/lsan"; then echo "LeakSanitizer found leaks"; return 1; fi
        return "$rc"
}

under_valgrind() { # command...: fails on any memory error or definite/indirect leak
        valgrind -q --trace-children=yes --leak-check=full --errors-for-leak-kinds=definite,indirect \
                --error-exitcode=99 "$@"
}

valgrind_cli() {
        local f rc=0 files=("$TOCK_CORPUS"/cases/u00{0,1,2,3}*.cron "$TOCK_CORPUS"/cases/s00{0,1}*.cron)
        under_valgrind "$B/tockctl" check "${files[@]}" >/dev/null 2>&1; rc=$?
        [ "$rc" = 99 ] && { echo "valgrind: errors in tockctl check"; return 1; }
        under_valgrind "$B/tockctl" check contrib/example.crontab >/dev/null 2>&1 || { echo "valgrind: tockctl check"; return 1; }
        under_valgrind "$B/tockctl" next --tz America/New_York --count 20 --file contrib/example.crontab >/dev/null 2>&1 \
                || { echo "valgrind: tockctl next --file"; return 1; }
        under_valgrind "$B/tockctl" next --tz Europe/Berlin --count 20 '30 2 * * *' >/dev/null 2>&1 \
                || { echo "valgrind: tockctl next"; return 1; }
        echo "valgrind: tockctl clean"
}

# tockd under a real systemd, in a booted Debian 12 (systemd-nspawn): once, not in the ASan pass.
# Exit 77 is its skip (not root, no debootstrap or systemd-nspawn), said in its last lines. The
# debootstrapped root is cached in $B/tools, as test-container-engine.sh caches its image.
systemd_test() {
        env TOCKD="$B/tockd" TOCKCTL="$B/tockctl" bash packaging/test-systemd.sh --cache "$B/tools"
        local rc=$?
        [ "$rc" = 77 ] && return 0
        return "$rc"
}

step "unit tests" "$B/unit-tests" --jobs 2
for t in tests/integration/test-*.sh; do
        step "integration: $(basename "$t")" env TOCKCTL="$B/tockctl" TOCKD="$B/tockd" bash "$t"
done
step "systemd: packaging/test-systemd.sh" systemd_test
for c in tests/fuzz/corpus/*/; do
        t=$(basename "$c")
        step "fuzz corpus: $t" "$B/fuzz/replay-$t" "$c"
done
# the benchmark harness in small, so that it cannot rot: fails on breakage, never on timing
step "bench-quick" make -s --no-print-directory BUILD="$B" bench-quick
step "asan/ubsan/lsan build" make -s BUILD="$B/asan" SANITIZE=1 "$B/asan/unit-tests" "$B/asan/tockctl" "$B/asan/tockd" \
        $(for c in tests/fuzz/corpus/*/; do echo "$B/asan/fuzz/replay-$(basename "$c")"; done)
step "unit tests under asan+lsan" no_leaks env ASAN_OPTIONS=detect_leaks=1 "$B/asan/unit-tests" --jobs 2
for c in tests/fuzz/corpus/*/; do
        t=$(basename "$c")
        step "fuzz corpus under asan+lsan: $t" no_leaks env ASAN_OPTIONS=detect_leaks=1 "$B/asan/fuzz/replay-$t" "$c"
done
for t in tests/integration/test-*.sh; do
        case $(basename "$t") in
        test-container-engine.sh | test-tockd-static.sh) continue ;; # the static (musl) tockd: nothing for ASan
        esac
        # TOCK_FLEET_QUICK=1: test-tockd-fleet.sh's windows are halved in this pass (its faults all the same)
        step "integration under asan+lsan: $(basename "$t")" no_leaks env ASAN_OPTIONS=detect_leaks=1 TOCK_FLEET_QUICK=1 \
                TOCKCTL="$B/asan/tockctl" TOCKD="$B/asan/tockd" bash "$t"
done
if command -v valgrind >/dev/null; then
        step "tockctl under valgrind" valgrind_cli
        step "tockd under valgrind" bash tests/valgrind-tockd.sh "$B/tockd"
        step "fuzz corpus under valgrind" under_valgrind "$B/fuzz/replay-crontab" tests/fuzz/corpus/crontab
        # libinih is not built with ASan: valgrind is what sees inside it
        step "fuzz corpus under valgrind: config" under_valgrind "$B/fuzz/replay-config" tests/fuzz/corpus/config
else
        echo "valgrind not installed: skipped"
fi
echo
echo "$passed passed, $failed failed in $((SECONDS / 60)) min $((SECONDS % 60)) s"
[ "$failed" = 0 ]
