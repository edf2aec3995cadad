#!/usr/bin/env bash
# The static tockd (make static: musl, no libsystemd, no PAM), the one the FROM scratch image
# holds: test-tockd-container.sh again with it, PID 1 of a PID namespace included. It is built
# here, beside TOCKD ($(dirname TOCKD)/static), when missing.
. "$(dirname "$0")/lib.sh"
TOCKD=${TOCKD:-build/tockd}
case $TOCKD in /*) ;; *) TOCKD=$PWD/$TOCKD ;; esac
B=$(dirname "$TOCKD")
S=$B/static

if ! command -v musl-gcc >/dev/null; then
        echo "SKIP - static tockd: musl-gcc is not installed (apt-get install musl-tools)"
        finish
        exit
fi
if [ ! -x "$S/tockd" ] || [ "$S/tockd" -ot "$TOCKD" ]; then
        if ! make -s -C "$(dirname "$0")/../.." BUILD="$B" static >"$T_TMP/make.log" 2>&1; then
                fail "make static builds: $(tail -n 20 "$T_TMP/make.log")"
                finish
                exit
        fi
fi
if file "$S/tockd" 2>/dev/null | grep -q "statically linked" || ! command -v file >/dev/null; then ok
else fail "$S/tockd is statically linked: $(file "$S/tockd")"; fi
echo "static tockd: $(stat -c %s "$S/tockd") bytes, tockctl: $(stat -c %s "$S/tockctl") bytes"
TOCKD=$S/tockd TOCKCTL=$S/tockctl bash "$(dirname "$0")/test-tockd-container.sh"
rc=$?
finish && exit $rc
