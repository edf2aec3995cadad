# tests/integration/tockd-lib.sh: run a real tockd with every path under the test's temp dir.
# Source it after lib.sh. Each tockd instance NAME lives in $T/NAME: crontab (absent until a test
# writes it), cron.d/, spool/, state/, boot_id, tockd.conf (empty), localtime (a copy of UTC) and
# log (its stderr at debug level). Nothing outside $T is read for tables, written, or watched.
# Waits are polls with deadlines, never fixed sleeps; everything started or created is removed by
# the EXIT trap: processes by PID (or process group of a job, from its "started pid N" line),
# users and groups by name.

TOCKD=${TOCKD:-build/tockd}
case $TOCKD in /*) ;; *) TOCKD=$PWD/$TOCKD ;; esac
T=$T_TMP
chmod 755 "$T" # jobs of other users write under it
ME=$(id -un)
IS_ROOT=false
[ "$(id -u)" = 0 ] && IS_ROOT=true

# td_skip_all NAME WHY: skips the rest of the script, saying why
td_skip_all() {
        skip "$1" "$2"
        finish
        exit
}
td_require_tockd() { [ -x "$TOCKD" ] || td_skip_all "$1" "no tockd binary at $TOCKD (run make)"; }

# tockd runs jobs in their owner's home, as cron does: as an ordinary user whose home is missing
# (nobody's /nonexistent) no job can start, so the tests that run jobs say so and stop
td_require_home() {
        local home
        home=$(getent passwd "$(id -u)" | cut -d: -f6)
        if [ -z "$home" ] || [ ! -d "$home" ] || [ ! -x "$home" ]; then
                td_skip_all "$1" "tockd runs $ME's jobs in $ME's home '$home', which is not a usable directory"
        fi
}

declare -A TD_PID=()  # instance -> tockd's pid (the real one, from its log)
declare -A TD_WRAP=() # instance -> the pid $! gave (a wrapper like faketime, or tockd itself)
declare -A TD_RC=()   # instance -> exit status after td_stop
TD_PREFIX=()          # command put before tockd by td_start (env, setpriv, faketime)
CLEAN_PGIDS=()        # process groups of jobs that may outlive tockd (forget them once gone)
CLEAN_PIDS=()         # other processes that may linger (forget them once gone)
CLEAN_USERS=()
CLEAN_GROUPS=()

td_cleanup() {
        local p u g n
        # a tockd under a wrapper (faketime) interrupted in td_start is known only from its log
        for n in "${!TD_WRAP[@]}"; do
                [ "${TD_PID[$n]:-}" = "${TD_WRAP[$n]}" ] || continue
                p=$(sed -n '1s/^[^ ]* tockd\[\([0-9]*\)\].*/\1/p' "$T/$n/log" 2>/dev/null)
                [ -n "$p" ] && kill -KILL "$p" 2>/dev/null
        done
        for p in "${TD_PID[@]}" "${TD_WRAP[@]}" "${CLEAN_PIDS[@]}"; do
                [ -n "$p" ] && kill -KILL "$p" 2>/dev/null
        done
        for g in "${CLEAN_PGIDS[@]}"; do
                [ -n "$g" ] && kill -KILL -- "-$g" 2>/dev/null
        done
        for u in "${CLEAN_USERS[@]}"; do
                getent passwd "$u" >/dev/null || continue
                # userdel refuses while a process of the user runs: a job may just be ending, or a
                # tockd run as the user and its spawner; give them 5 s, then end what is left
                if ! wait_until 5 quiet_userdel "$u"; then
                        for p in $(uid_procs "$(id -u "$u")"); do kill -KILL "$p" 2>/dev/null; done
                        wait_until 5 quiet_userdel "$u" || echo "could not delete test user $u" >&2
                fi
                getent group "$u" >/dev/null && groupdel "$u" >/dev/null 2>&1
        done
        for g in "${CLEAN_GROUPS[@]}"; do
                getent group "$g" >/dev/null && groupdel "$g" >/dev/null 2>&1
        done
        rm -rf "$T"
}
quiet_userdel() { userdel "$1" >/dev/null 2>&1; }

# uid_procs UID: the pids of the processes whose real uid is UID (only test users get here)
uid_procs() {
        local f k v
        for f in /proc/[0-9]*/status; do
                { while read -r k v _; do
                        if [ "$k" = Uid: ]; then
                                [ "$v" = "$1" ] && { f=${f#/proc/}; echo "${f%/status}"; }
                                break
                        fi
                done <"$f"; } 2>/dev/null
        done
}
trap td_cleanup EXIT

# forget PID: drops PID from CLEAN_PIDS and CLEAN_PGIDS once it is known to be gone, so that the
# trap never signals a pid that may have been reused
forget() {
        local a=() x
        for x in "${CLEAN_PIDS[@]}"; do [ "$x" = "$1" ] || a+=("$x"); done
        CLEAN_PIDS=("${a[@]}")
        a=()
        for x in "${CLEAN_PGIDS[@]}"; do [ "$x" = "$1" ] || a+=("$x"); done
        CLEAN_PGIDS=("${a[@]}")
}
trap 'exit 130' INT TERM HUP

# ---- reporting: named checks on top of lib.sh's ok/fail

pass() { ok; echo "ok - $1"; }
flunk() { fail "$1: $2"; }
skip() { echo "SKIP - $1: $2"; }
section() { echo "# $*"; }

# check NAME CMD...: passes when CMD succeeds
check() {
        local name=$1; shift
        if "$@"; then pass "$name"; else flunk "$name" "'$*' failed"; fi
}

# ---- time and waiting

now_us() { echo "${EPOCHREALTIME/./}"; }

# wait_until SECONDS CMD...: polls CMD every 50 ms until it succeeds (0) or SECONDS pass (1)
wait_until() {
        local end=$(($(now_us) + ${1%.*} * 1000000)); shift
        while :; do
                "$@" && return 0
                [ "$(now_us)" -ge "$end" ] && return 1
                sleep 0.05
        done
}

# settle SECONDS: a deliberate pause, only to show that something does NOT happen
settle() { sleep "$1"; }

# ---- files and processes

nlines() { if [ -e "$1" ]; then wc -l <"$1"; else echo 0; fi; }
has_lines() { [ "$(nlines "$1")" -ge "$2" ]; }
nonempty() { [ -s "$1" ]; }
file_has_line() { grep -qxF -- "$2" "$1" 2>/dev/null; }

# proc_state PID: prints the state letter (R, S, Z, ...) or nothing when the process is gone
proc_state() {
        local line
        { read -r line <"/proc/$1/stat"; } 2>/dev/null || return 0
        line=${line##*) }
        echo "${line%% *}"
}
proc_ppid() {
        local line
        { read -r line <"/proc/$1/stat"; } 2>/dev/null || return 0
        line=${line##*) }
        line=${line#* }
        echo "${line%% *}"
}
alive() { local s; s=$(proc_state "$1"); [ -n "$s" ] && [ "$s" != Z ]; }
gone() { ! alive "$1"; }
gone_for_good() { [ -z "$(proc_state "$1")" ]; } # not even a zombie: reaped

# zombie_children PID: the pids of PID's children that are zombies, one a line
zombie_children() {
        local f line rest pid
        for f in /proc/[0-9]*/stat; do
                { read -r line <"$f"; } 2>/dev/null || continue
                rest=${line##*) }
                pid=${f#/proc/}
                pid=${pid%/stat}
                # rest: "STATE PPID ..."
                [ "${rest%% *}" = Z ] || continue
                rest=${rest#* }
                [ "${rest%% *}" = "$1" ] && echo "$pid"
        done
        return 0
}
no_zombie_children() { [ -z "$(zombie_children "$1")" ]; }

# children_of PID: the pids of PID's children (any state), one a line
children_of() {
        local f line rest pid
        for f in /proc/[0-9]*/stat; do
                { read -r line <"$f"; } 2>/dev/null || continue
                rest=${line##*) }
                rest=${rest#* }
                pid=${f#/proc/}
                [ "${rest%% *}" = "$1" ] && echo "${pid%/stat}"
        done
        return 0
}
# family_zombies PID: zombie children of PID and of PID's children (tockd forks jobs from a
# spawner process, which is their parent and subreaper)
family_zombies() {
        local c
        zombie_children "$1"
        for c in $(children_of "$1"); do zombie_children "$c"; done
}
no_zombies_in_family() { [ -z "$(family_zombies "$1")" ]; }

# put FILE [MODE] [OWNER]: writes stdin beside, sets mode and owner, then renames it into place,
# so that tockd sees one complete file with its final mode (one IN_MOVED_TO)
put() {
        local f=$1 mode=${2:-644} owner=${3:-} tmp
        tmp=$(mktemp "$T/.stage.XXXXXX") || return 1
        cat >"$tmp"
        chmod "$mode" "$tmp"
        [ -z "$owner" ] || chown "$owner" "$tmp"
        mv -f "$tmp" "$f"
}

# ---- tockd instances

td_dir() { echo "$T/$1"; }
td_log() { echo "$T/$1/log"; }

# td_prepare NAME: the instance's directory, empty tables, a boot id
td_prepare() {
        local d=$T/$1
        mkdir -p "$d/cron.d" "$d/spool" "$d/state"
        chmod 755 "$d" "$d/cron.d" "$d/spool"
        [ -e "$d/boot_id" ] || echo "boot-$1-1" >"$d/boot_id"
        [ -e "$d/tockd.conf" ] || : >"$d/tockd.conf"
        [ -e "$d/localtime" ] || cp /usr/share/zoneinfo/UTC "$d/localtime" 2>/dev/null || : >"$d/localtime"
}

# td_start NAME [TOCKD-ARGS...]: starts tockd (prefixed by TD_PREFIX) and waits for "ready:".
# A previous log of NAME is kept as log.1, log.2, ...
td_start() {
        local n=$1 d=$T/$1 k=1 pid
        shift
        td_prepare "$n"
        if [ -e "$d/log" ]; then
                while [ -e "$d/log.$k" ]; do k=$((k + 1)); done
                mv "$d/log" "$d/log.$k"
        fi
        : >"$d/log"
        "${TD_PREFIX[@]}" "$TOCKD" --foreground --config "$d/tockd.conf" --crontab "$d/crontab" --cron-d "$d/cron.d" \
                --spool "$d/spool" --state-dir "$d/state" --socket "$d/tockd.sock" --log-target stderr --log-level debug \
                --set paths.boot_id="$d/boot_id" --set paths.localtime="$d/localtime" --set paths.pam_dir="$d/pam.d" "$@" 2>>"$d/log" &
        TD_WRAP[$n]=$!
        TD_PID[$n]=$!
        wait_until 15 eval 'grep -q " info: ready: " "$d/log" || ! alive "${TD_WRAP[$n]}"'
        if ! grep -q ' info: ready: ' "$d/log"; then
                flunk "$n: tockd starts" "not ready within 15 s; log:"$'\n'"$(tail -n 20 "$d/log")"
                return 1
        fi
        pid=$(sed -n '1s/^[^ ]* tockd\[\([0-9]*\)\].*/\1/p' "$d/log")
        [ -n "$pid" ] && TD_PID[$n]=$pid
        return 0
}

# td_start_faketime NAME SPEC [TOCKD-ARGS...]: td_start under `faketime -f SPEC` ("@2026-03-01
# 00:50:00", "@... x10", "+0 x10"), put after TD_PREFIX so that TD_PREFIX=(env TZ=...) reaches
# tockd. libfaketime is an LD_PRELOAD library: an ASan build must not insist on coming first.
# faketime forks tockd and waits for it: TD_WRAP is faketime, TD_PID tockd (from its log).
td_start_faketime() {
        local n=$1 spec=$2 saved=("${TD_PREFIX[@]}") r
        shift 2
        TD_PREFIX=(env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" "${saved[@]}" faketime -f "$spec")
        td_start "$n" "$@"
        r=$?
        TD_PREFIX=("${saved[@]}")
        return $r
}
HAVE_FAKETIME=false
command -v faketime >/dev/null && HAVE_FAKETIME=true
td_require_faketime() { $HAVE_FAKETIME || td_skip_all "$1" "the faketime command is not installed"; }

# td_fake_sleep_until NAME SEEN_US SPEED 'DATE': for a tockd NAME under faketime at SPEED times real
# time, pauses until its clock reads DATE or later, reckoned from the time on its "ready:" line
# (read in this script's TZ) and from SEEN_US, a now_us taken after td_start returned: the line
# was written at or before SEEN_US, so the pause is never too short. Only for tests where time
# passing unseen (tockd stopped, or idle) is what is under test.
td_fake_sleep_until() {
        local ready_s want_s left_us
        ready_s=$(date -d "$(grep -m1 ' info: ready: ' "$T/$1/log" | cut -c1-19)" +%s) || return 1
        want_s=$(date -d "$4" +%s) || return 1
        left_us=$(($2 + (want_s - ready_s) * 1000000 / $3 - $(now_us)))
        [ "$left_us" -le 0 ] || settle "$((left_us / 1000000)).$(printf %06d $((left_us % 1000000)))"
}

# td_signal NAME SIG
td_signal() { kill -s "$2" "${TD_PID[$1]}"; }

# td_stop NAME [SIGNAL]: signals tockd (TERM), waits up to 15 s for it to exit, sets TD_RC[NAME]
# (exit status, or "timeout") and fails on any sanitizer report in the log. Returns 0 if it exited.
td_stop() {
        local n=$1 sig=${2:-TERM} pid=${TD_PID[$1]:-} wrap=${TD_WRAP[$1]:-} rc
        [ -n "$pid" ] || { TD_RC[$n]="not running"; return 1; }
        kill -s "$sig" "$pid" 2>/dev/null
        if ! wait_until 15 gone "$pid"; then
                TD_RC[$n]=timeout
                flunk "$n: tockd stops on SIG$sig" "still running after 15 s"
                kill -KILL "$pid" 2>/dev/null
        fi
        wait "$wrap" 2>/dev/null
        rc=$?
        [ "${TD_RC[$n]:-}" = timeout ] || TD_RC[$n]=$rc
        unset "TD_PID[$n]" "TD_WRAP[$n]"
        td_check_sanitizers "$n"
        [ "${TD_RC[$n]}" != timeout ]
}

# td_stop_ok NAME: td_stop, then a check that tockd exited 0
td_stop_ok() {
        td_stop "$1"
        if [ "${TD_RC[$1]}" = 0 ]; then pass "$1: tockd exits 0 on SIGTERM"
        else flunk "$1: tockd exits 0 on SIGTERM" "status ${TD_RC[$1]}; $(log_tail "$1" 5)"; fi
}

# td_check_sanitizers NAME: ASan/UBSan/LSan (tockd's, its spawner's) write to stderr, our log
td_check_sanitizers() {
        local f=$T/$1/log
        if grep -qE 'LeakSanitizer|AddressSanitizer|UndefinedBehaviorSanitizer|runtime error:' "$f"; then
                flunk "$1: no sanitizer reports in tockd's log" "$(grep -E -A12 'Sanitizer|runtime error:' "$f" | head -n 40)"
                return 1
        fi
        return 0
}

# log_has NAME STRING: a fixed string in the instance's current log
log_has() { grep -qF -- "$2" "$T/$1/log"; }
log_count() { grep -cF -- "$2" "$T/$1/log"; }
# log_match NAME REGEX: a basic regular expression in the instance's current log
log_match() { grep -q -- "$2" "$T/$1/log"; }
# wait_log SECONDS NAME STRING
wait_log() { wait_until "$1" log_has "$2" "$3"; }
# log_count_ge NAME STRING N: STRING is in N lines or more; wait_log_count SECONDS NAME STRING N
log_count_ge() { [ "$(log_count "$1" "$2")" -ge "$3" ]; }
wait_log_count() { wait_until "$1" log_count_ge "$2" "$3" "$4"; }
# log_mark NAME: how many lines the log has now, for what comes after: log_has_since NAME MARK
# STRING (a fixed string in a line past the first MARK) and wait_log_since SECONDS NAME MARK STRING
log_mark() { nlines "$T/$1/log"; }
log_has_since() { tail -n "+$(($2 + 1))" "$T/$1/log" | grep -qF -- "$3"; }
wait_log_since() { wait_until "$1" log_has_since "$2" "$3" "$4"; }
# job_pid NAME STRING: the pid of the last "started pid N" line containing STRING
job_pid() { grep -F -- "$2" "$T/$1/log" | sed -n 's/.* started pid \([0-9]*\): .*/\1/p' | tail -n 1; }
# log_tail NAME: the last lines of the log, for failure messages
log_tail() { echo "log of $1:"; tail -n "${2:-15}" "$T/$1/log"; }
