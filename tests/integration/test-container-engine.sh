#!/usr/bin/env bash
# tockd in a real container engine (podman, with runc), from the images of contrib/container/:
# the FROM scratch image with the static tockd (make static) run as --user 12345 (no passwd
# entry), a per-second job and a double-forking one, no zombie (podman exec ps), GREETING from
# podman run -e, JSON logs (podman logs), a ConfigMap-style ..data swap on a bind-mounted
# directory, podman stop -t 20 with a TERM-trapping job (it gets TERM, the container exits 0 in
# the grace period); and a Debian-based image whose build runs `crontab /app/crontab` and that
# runs the job when started. Prints the figures of the README: image sizes, tockd's RSS idle with
# a 100-line table, start to first job.
#
# Root only: it installs podman and runc (apt-get) when missing and builds local images (no
# registry: FROM scratch, and a debootstrap tarball imported for Debian), cached under
# $(dirname TOCKD)/tools. It skips, saying why, when the engine cannot run here. On these
# machines rootful podman needs --runtime runc (crun refuses hybrid cgroups), --network none and
# the --ulimit values below (the hard nofile limit is below podman's default).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tockd-lib.sh"
B=$(cd "$(dirname "$TOCKD")" && pwd)
case $B in */asan) B=${B%/asan} ;; esac # the static build and the cached images serve both runs
TOOLS=$B/tools
TAG=tock-test-$$
RUN=(--runtime runc)
RUNOPTS=(--network none --ulimit nofile=1024:1024 --ulimit nproc=4096:4096)
CONTAINERS=()
IMAGES=()

$IS_ROOT || td_skip_all "container engine" "needs root to run podman and build images"
if ! command -v podman >/dev/null || ! command -v runc >/dev/null; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends podman runc >"$T/apt.log" 2>&1 ||
                td_skip_all "container engine" "podman and runc are not installed and apt-get failed: $(tail -n 3 "$T/apt.log")"
fi
command -v musl-gcc >/dev/null || td_skip_all "container engine" "musl-gcc is not installed (apt-get install musl-tools) for make static"

engine_cleanup() {
        local c i
        for c in "${CONTAINERS[@]}"; do podman "${RUN[@]}" rm -f -t 0 "$c" >/dev/null 2>&1; done
        for i in "${IMAGES[@]}"; do podman rmi -f "$i" >/dev/null 2>&1; done
        td_cleanup
}
trap engine_cleanup EXIT

# ---- the images
S=$B/static
if [ ! -x "$S/tockd" ] || [ "$S/tockd" -ot "$TOCKD" ]; then
        make -s -C "$(dirname "$0")/../.." BUILD="$B" static >"$T/make.log" 2>&1 ||
                td_skip_all "container engine" "make static failed: $(tail -n 5 "$T/make.log")"
fi
mkdir -p "$TOOLS"
if [ ! -x "$TOOLS/busybox-static/bin/busybox" ]; then
        rm -rf "$TOOLS/busybox-static" && mkdir -p "$TOOLS/busybox-static"
        if ! (cd "$TOOLS/busybox-static" && apt-get download busybox-static >"$T/bb.log" 2>&1 &&
              dpkg-deb -x busybox-static_*.deb .); then
                td_skip_all "container engine" "cannot fetch busybox-static (a static shell for the jobs): $(tail -n 2 "$T/bb.log")"
        fi
fi
CTX=$T/ctx
mkdir -p "$CTX/zoneinfo"
cp "$S/tockd" "$S/tockctl" "$TOOLS/busybox-static/bin/busybox" "$CTX/"
cp /usr/share/zoneinfo/UTC "$CTX/zoneinfo/"
CF=$(cd "$(dirname "$0")/../../contrib/container" && pwd)
if ! podman "${RUN[@]}" build --network none -q -f "$CF/Containerfile.scratch" -t "$TAG-scratch" "$CTX" >"$T/build.log" 2>&1; then
        td_skip_all "container engine" "podman cannot build FROM scratch here: $(tail -n 5 "$T/build.log")"
fi
IMAGES+=("$TAG-scratch")
pass "the FROM scratch image builds ($(podman image inspect -f '{{.Size}}' "$TAG-scratch") bytes)"

# prun NAME ARGS...: podman run -d, the container remembered for the trap
prun() {
        local n=$1
        shift
        CONTAINERS+=("$n")
        podman "${RUN[@]}" run -d --name "$n" "${RUNOPTS[@]}" "$@" >"$T/run.$n" 2>&1
}
plogs() { podman "${RUN[@]}" logs "$1" 2>/dev/null; }
logs_have() { plogs "$1" | grep -qF -- "$2"; }

# ---- 1. --user 12345, JSON logs, GREETING, a double fork, a swapped ConfigMap, the stop
section "1. the scratch image as --user 12345"
V=$T/cm
mkdir -p "$V/..v1"
cat >"$V/..v1/app.cron" <<'EOF'
[sec:*/1 name:tick] * * * * * echo "tick $GREETING $(id -u) $USER"
[sec:*/1 name:fork] * * * * * sh -c 'sleep 300 &' ; true
@reboot trap 'echo got TERM; exit 0' TERM; while :; do sleep 0.2; done
EOF
chmod 755 "$V" "$V/..v1"
chmod 644 "$V/..v1/app.cron"
ln -s ..v1 "$V/..data"
ln -s ..data/app.cron "$V/app.cron"
t0=$(now_us)
t0_wall=$(date -u +%s.%N)
if ! prun "$TAG-a" --user 12345 -e GREETING=hi -v "$V:/etc/tock:ro" "$TAG-scratch" --table /etc/tock --log-format json; then
        td_skip_all "container engine" "podman run fails here: $(cat "$T/run.$TAG-a")"
fi
if wait_until 20 logs_have "$TAG-a" '"message":"tick hi 12345 12345"'; then
        pass "the per-second job runs as uid 12345 (no passwd entry), USER=12345, GREETING=hi from podman run -e"
else flunk "the job runs as uid 12345 with GREETING" "$(plogs "$TAG-a" | tail -n 10)"; fi
# the @reboot job starts as tockd is ready: podman run to its start is start to first job
first=$(plogs "$TAG-a" | grep -m1 '"event":"started"' | sed 's/.*"time":"\([^"]*\)".*/\1/')
echo "# figures: podman run to the first job (@reboot): $(( ($(date -u -d "$first" +%s%N) - ${t0_wall/./}) / 1000000 )) ms"
n=$(plogs "$TAG-a" | grep -c '"job":"fork".*"event":"ended"')
wait_until 15 eval '[ "$(plogs "$TAG-a" | grep -c "\"job\":\"fork\".*\"event\":\"ended\"")" -ge $((n + 4)) ]'
podman "${RUN[@]}" exec "$TAG-a" ps -o pid,ppid,stat,comm >"$T/ps" 2>&1
if grep -q ' Z ' "$T/ps" || ! grep -q 'sleep' "$T/ps"; then
        flunk "podman exec ps: double-forked sleeps are there, and no zombie" "$(cat "$T/ps")"
else pass "podman exec ps: $(grep -c sleep "$T/ps") double-forked sleeps, no zombie"; fi
if plogs "$TAG-a" | python3 -c '
import json, sys
n = 0
for line in sys.stdin:
    o = json.loads(line)
    assert {"time", "level", "message"} <= o.keys(), o
    if o.get("event") in ("started", "ended", "output"):
        assert {"job", "table", "line", "user", "pid"} <= o.keys(), o
    if o.get("event") == "output":
        assert o["stream"] in ("stdout", "stderr"), o
    if o.get("event") == "ended":
        assert "duration_ms" in o and ("exit_status" in o or "signal" in o), o
    n += 1
assert n > 5
' 2>"$T/json.err"; then pass "podman logs: every line is a JSON object with the documented fields"
else flunk "podman logs parse as JSON" "$(cat "$T/json.err")"; fi
# the ConfigMap way: a new timestamped directory, ..data swapped to it
mkdir -p "$V/..v2"
sed 's/tick \$GREETING/tock $GREETING/' "$V/..v1/app.cron" >"$V/..v2/app.cron"
chmod 755 "$V/..v2"
chmod 644 "$V/..v2/app.cron"
ln -s ..v2 "$V/..data_tmp" && mv -T "$V/..data_tmp" "$V/..data" && rm -rf "${V:?}/..v1"
if wait_until 15 logs_have "$TAG-a" '"message":"tock hi 12345 12345"'; then
        pass "a ConfigMap-style ..data swap on the bind-mounted directory is picked up"
else flunk "the ..data swap is picked up" "$(plogs "$TAG-a" | tail -n 5)"; fi
# RSS of tockd (PID 1), idle: the figure is taken with the 100-line table of section 3
t0=$(now_us)
podman "${RUN[@]}" stop -t 20 "$TAG-a" >/dev/null 2>&1
ms=$((($(now_us) - t0) / 1000))
code=$(podman "${RUN[@]}" inspect -f '{{.State.ExitCode}}' "$TAG-a" 2>/dev/null)
# conmon may still be writing the container's last lines to its log when podman stop returns
if wait_until 10 logs_have "$TAG-a" '"message":"got TERM"'; then
        pass "podman stop -t 20: the TERM-trapping job says it got TERM"
else flunk "podman stop -t 20: the TERM-trapping job says it got TERM" "$(plogs "$TAG-a" | tail -n 8)"; fi
if [ "$code" = 0 ] && [ "$ms" -lt 20000 ]; then pass "the container exits 0, in $ms ms (within the grace period)"
else flunk "the container exits 0 within the grace period" "exit code $code after $ms ms; $(plogs "$TAG-a" | tail -n 5)"; fi
check "the log never says the jobs are left to finish" eval '! logs_have "$TAG-a" "left to finish"'

# ---- 2. idle figures
section "2. figures: tockd idle with a 100-line table"
W=$T/idle
mkdir -p "$W"
for i in $(seq 1 100); do echo "$((i % 60)) $((i % 24)) * * * echo job $i"; done >"$W/app.cron"
chmod 755 "$W"
chmod 644 "$W/app.cron"
if prun "$TAG-b" --user 12345 -v "$W:/etc/tock:ro" "$TAG-scratch" && wait_until 15 logs_have "$TAG-b" "ready: 1 table, 100 jobs"; then
        pid=$(podman "${RUN[@]}" inspect -f '{{.State.Pid}}' "$TAG-b")
        rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
        echo "# figures: tockd (PID 1) idle with 100 jobs: VmRSS $rss kB; its spawner: $(awk '/^VmRSS/ {print $2}' "/proc/$(children_of "$pid" | head -n 1)/status" 2>/dev/null) kB"
        echo "# figures: scratch image $(podman image inspect -f '{{.Size}}' "$TAG-scratch") bytes"
        pass "the idle container answers with 100 jobs (RSS $rss kB)"
        podman "${RUN[@]}" stop -t 5 "$TAG-b" >/dev/null 2>&1
else flunk "the idle container starts" "$(plogs "$TAG-b" | tail -n 5)"; fi

# ---- 3. a Debian-based image with `RUN crontab` at build time
section "3. a Debian image: RUN crontab /app/crontab at build time, the job runs at start"
BASE=$TOOLS/debian-bookworm.tar
if [ ! -s "$BASE" ]; then
        if ! command -v debootstrap >/dev/null; then
                DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >>"$T/apt.log" 2>&1
        fi
        mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null)
        root=$TOOLS/debian-root.$$
        if command -v debootstrap >/dev/null &&
           debootstrap --variant=minbase bookworm "$root" "${mirror:-http://deb.debian.org/debian}" >"$T/debootstrap.log" 2>&1; then
                tar -C "$root" -cf "$BASE.tmp" . && mv "$BASE.tmp" "$BASE"
        fi
        # a failed debootstrap may leave its proc and sys mounted: never remove through a mount
        for m in $(findmnt -rn -o TARGET | grep -F "$root/" | sort -r); do umount "$m" 2>/dev/null; done
        if findmnt -rn -o TARGET | grep -qF "$root/"; then
                echo "# left $root in place: something is still mounted in it" >&2
        else
                rm -rf "$root"
        fi
fi
if [ ! -s "$BASE" ]; then
        skip "the Debian image" "no Debian base: debootstrap failed: $(tail -n 3 "$T/debootstrap.log" 2>/dev/null)"
else
        podman import "$BASE" "$TAG-debian-base" >/dev/null 2>&1 && IMAGES+=("$TAG-debian-base")
        DCTX=$T/dctx
        mkdir -p "$DCTX"
        cp "$S/tockd" "$S/tockctl" "$DCTX/"
        echo '[sec:*/1] * * * * * echo "from the spool: $(id -un)"' >"$DCTX/app.cron"
        if podman "${RUN[@]}" build --network none -q --build-arg BASE="localhost/$TAG-debian-base" \
                -f "$CF/Containerfile.debian" -t "$TAG-debian" "$DCTX" >"$T/dbuild.log" 2>&1; then
                IMAGES+=("$TAG-debian")
                pass "the Debian image builds, its RUN crontab /app/crontab with no tockd running"
                if prun "$TAG-c" "$TAG-debian" && wait_until 20 logs_have "$TAG-c" "output: from the spool: root"; then
                        pass "started, tockd runs the table crontab installed at build time"
                else flunk "tockd runs the table installed at build time" "$(plogs "$TAG-c" | tail -n 10)"; fi
                echo "# figures: Debian image $(podman image inspect -f '{{.Size}}' "$TAG-debian") bytes (base $(podman image inspect -f '{{.Size}}' "$TAG-debian-base"))"
                podman "${RUN[@]}" stop -t 5 "$TAG-c" >/dev/null 2>&1
        else flunk "the Debian image builds" "$(tail -n 10 "$T/dbuild.log")"; fi
fi

finish
