#!/usr/bin/env bash
# Runs every test: the Criterion unit tests, the command-line integration tests, tockd under
# systemd in a booted Debian (packaging/test-systemd.sh as root: the binaries, then the .deb), the
# unit and integration tests again under ASan/UBSan with LeakSanitizer, and tockctl and tockd (with
# its spawner) under valgrind.
# Criterion fails on failing tests and sanitizer errors but not on leaks, so leaks are checked
# here from the tools' own output. Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
export TOCK_CORPUS=${TOCK_CORPUS:-$(cd .. && pwd)/shared/corpus/crontab-lines}
passed=0 failed=0
logdir=$(mktemp -d)
trap 'rm -rf "$logdir"' EXIT

step() { # name command...; exit 77 is a skip (the test says why in its last lines)
        local name=$1 t0=$SECONDS rc; shift
        echo "=== $name"
        "$@" >"$logdir/out" 2>&1
        rc=$?
        if [ "$rc" = 0 ] || [ "$rc" = 77 ]; then
                tail -n 3 "$logdir/out"
                echo "--- ok$([ "$rc" = 77 ] && echo ', skipped'): $name ($((SECONDS - t0)) s)"; passed=$((passed + 1))
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
        for t in kubernetes systemd; do
                under_valgrind "$B/tockctl" export --to $t --tz America/New_York contrib/example.crontab >/dev/null 2>&1 \
                        || { echo "valgrind: tockctl export --to $t"; return 1; }
        done
        echo "valgrind: tockctl clean"
}

# tockd under a real systemd, in a booted Debian 12 (systemd-nspawn), once, not in the ASan pass:
# the built binaries, then the .deb (built here with nocheck) with the switch from Debian's cron
# and back. Exit 77 is the skip (not root, no debootstrap or systemd-nspawn), said in the output.
# The debootstrapped root is cached in $B/tools. Both run in the background, one after the
# other, beside the foreground steps: they wait on minutes inside their own container (their own
# users, /etc and spool), so they cost the foreground little; their results come at the end.
systemd_test() {
        env TOCKD="$B/tockd" TOCKCTL="$B/tockctl" bash packaging/test-systemd.sh --cache "$B/tools"
}
systemd_deb_test() {
        if [ "${TOCK_SYSTEMD_TEST:-}" = skip ] || [ "$(id -u)" != 0 ] || ! command -v dpkg-buildpackage >/dev/null; then
                echo "skipped: the .deb's test needs root and dpkg-buildpackage, and TOCK_SYSTEMD_TEST unset"
                return 77
        fi
        rm -rf "$B/deb"
        DEB_BUILD_OPTIONS=nocheck DEB_BUILD_PROFILES=nocheck packaging/build-deb.sh "$B/deb" || return 1
        bash packaging/test-systemd.sh --deb "$(ls "$B"/deb/tock_*_*.deb | grep -v dbgsym)" --cache "$B/tools"
}
background_steps=("systemd: packaging/test-systemd.sh" "systemd: the .deb, packaging/test-systemd.sh --deb")
background() { # runs systemd_test, then systemd_deb_test, each into $logdir/bg.N.{out,rc,s}
        local i=0 f t0
        for f in systemd_test systemd_deb_test; do
                t0=$SECONDS
                "$f" >"$logdir/bg.$i.out" 2>&1
                echo $? >"$logdir/bg.$i.rc"
                echo $((SECONDS - t0)) >"$logdir/bg.$i.s"
                i=$((i + 1))
        done
}
background_report() { # waits for the background steps and counts them as steps
        local i rc t0=$SECONDS
        wait "$background_pid"
        [ $((SECONDS - t0)) -gt 0 ] && echo "(waited $((SECONDS - t0)) s for the background steps)"
        for i in "${!background_steps[@]}"; do
                echo "=== ${background_steps[$i]} (in the background)"
                rc=$(cat "$logdir/bg.$i.rc" 2>/dev/null)
                if [ "$rc" = 0 ] || [ "$rc" = 77 ]; then
                        tail -n 3 "$logdir/bg.$i.out"
                        echo "--- ok$([ "$rc" = 77 ] && echo ', skipped'): ${background_steps[$i]} ($(cat "$logdir/bg.$i.s") s)"
                        passed=$((passed + 1))
                else
                        cat "$logdir/bg.$i.out"
                        echo "--- FAILED: ${background_steps[$i]} ($(cat "$logdir/bg.$i.s" 2>/dev/null) s)"; failed=$((failed + 1))
                fi
        done
}
background &
background_pid=$!

step "unit tests" "$B/unit-tests" --jobs 2
for t in tests/integration/test-*.sh; do
        step "integration: $(basename "$t")" env TOCKCTL="$B/tockctl" TOCKD="$B/tockd" bash "$t"
done
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
background_report
echo
echo "$passed passed, $failed failed in $((SECONDS / 60)) min $((SECONDS % 60)) s"
[ "$failed" = 0 ]
