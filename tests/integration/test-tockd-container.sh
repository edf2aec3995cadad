#!/usr/bin/env bash
# tockd in a container, without a container engine: the short form `tockd --table FILE` (the
# container mode: foreground, logs on stdout, no system tables, socket, state, PAM or
# configuration file, and not a warning about any of them), as root and as a uid with no passwd
# entry; several tables and directories of them; jobs that get tockd's environment; tables
# changed the way Kubernetes changes a ConfigMap, by rename, in place, and through a bind mount;
# the stop (SIGTERM to the jobs, SIGKILL after stop_timeout, the exit status says which); and
# tockd as PID 1 of a PID namespace (unshare --pid --fork --mount-proc): orphans reaped, jobs
# stopped with SIGTERM where "left to finish" would have been a lie.
# test-container-engine.sh runs the same behaviours in podman.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tockd-lib.sh"
export TZ=UTC

td_require_tockd "tockd container mode"

CT_PREFIX=() # command put before tockd by ct_start (env, setpriv, unshare)

# ct_start NAME TOCKD-ARGS...: tockd (after CT_PREFIX) with stdout in $T/NAME/log and stderr in
# $T/NAME/err; waits for "ready:". TD_PID is tockd's pid as this script sees it: the wrapper's
# when that is not an exec chain (unshare --fork), set by the caller then.
ct_start() {
        local n=$1 d=$T/$1 pid
        shift
        mkdir -p "$d"
        : >"$d/log"
        : >"$d/err"
        "${CT_PREFIX[@]}" "$TOCKD" "$@" >>"$d/log" 2>>"$d/err" &
        TD_WRAP[$n]=$!
        TD_PID[$n]=$!
        wait_until 15 eval 'ready_in "$d/log" || ! alive "${TD_WRAP[$n]}"'
        if ! ready_in "$d/log"; then
                flunk "$n: tockd starts" "not ready within 15 s; stdout:"$'\n'"$(tail -n 20 "$d/log")"$'\n'"stderr: $(cat "$d/err")"
                return 1
        fi
        return 0
}

# ready_in LOG: tockd said "ready:", in text or JSON
ready_in() { grep -qE ' info: ready: |"message":"ready: ' "$1"; }

# quiet NAME: nothing on stderr, no warning and no error on stdout
quiet() {
        local d=$T/$1
        [ ! -s "$d/err" ] && ! grep -qE ' (warning|error): ' "$d/log"
}

# a table file: put_table FILE < text (mode 644)
put_table() { put "$1" 644; }

mkdir -p "$T/jo" "$T/home"
chmod 777 "$T/jo" "$T/home"

# ---- 1. the short form
section "1. tockd --table FILE alone is the container mode"
C=$T/c1
mkdir -p "$C"
put_table "$C/table" <<EOF
[sec:*/1] * * * * * { id -u; echo "\$USER"; echo "\$HOME"; pwd; } > $T/jo/c1.tmp && mv -f $T/jo/c1.tmp $T/jo/c1
EOF
expect_rc 0 "$TOCKD" --table "$C/table" --dump-config
for k in "crontab = " "cron_d = " "spool = " "state = " "socket = " "target = stdout" "on_stop = term" \
        "pam_service = " "sendmail = " "inherit_env = yes" "table = $C/table"; do
        if grep -qxF -- "$k" "$T/out"; then pass "--dump-config of the short form: '$k'"
        else flunk "--dump-config of the short form: '$k'" "$(cat "$T/out")"; fi
done
check "the short form reads no configuration file" grep -qF "no configuration file: the defaults of the container mode" "$T/out"
expect_rc 0 "$TOCKD" --table "$C/table" --crontab "$C/crontab" --dump-config
check "--table with --crontab is the system mode, as before (the socket is the system's)" \
        grep -qxF "socket = /run/tock/tockd.sock" "$T/out"
if ct_start c1 --table "$C/table"; then
        if wait_until 10 nonempty "$T/jo/c1"; then
                mapfile -t got <"$T/jo/c1"
                check "the job runs as tockd's uid" test "${got[0]}" = "$(id -u)"
                check "with USER from the passwd entry" test "${got[1]}" = "$(id -un)"
                home=$(getent passwd "$(id -u)" | cut -d: -f6)
                check "and HOME from the passwd entry, its working directory" test "${got[2]}" = "$home" -a "${got[3]}" = "$home"
        else flunk "the job of the short form runs" "$(tail -n 20 "$T/c1/log")"; fi
        check "the log is on stdout, with the job's start" log_has c1 "$C/table:1 ($(id -un)) started pid"
        if quiet c1; then pass "no warning, no error, nothing on stderr"
        else flunk "no warning, no error, nothing on stderr" "$(grep -E ' (warning|error): ' "$T/c1/log"; cat "$T/c1/err")"; fi
        check "no control socket unless --socket is given" eval '! grep -q "control socket\|listen" "$T/c1/log"'
        td_stop c1
        check "tockd exits 0 on SIGTERM" test "${TD_RC[c1]}" = 0
fi

# ---- 2. several tables, a directory of them
section "2. several --table, and a directory of tables"
C=$T/c2
mkdir -p "$C/dir"
put_table "$C/a" <<EOF
0 0 1 1 * true
EOF
for f in b c .hidden c~; do
        put_table "$C/dir/$f" <<EOF
0 0 1 1 * true
EOF
done
if ct_start c2 --table "$C/a" --table "$C/dir"; then
        check "three tables: the file, and the directory's two visible ones (not .hidden nor c~)" \
                log_has c2 "ready: 3 tables, 3 jobs"
        check "no warning" quiet c2
        put_table "$C/dir/d" <<EOF
0 0 1 1 * true
0 0 2 1 * true
EOF
        if wait_log 10 c2 "$C/dir/d: loaded, 2 jobs"; then pass "a table added to the directory is loaded"
        else flunk "a table added to the directory is loaded" "$(tail -n 5 "$T/c2/log")"; fi
        rm -f "$C/dir/b"
        if wait_log 10 c2 "$C/dir/b: removed, its jobs are dropped"; then pass "a table removed from the directory is dropped"
        else flunk "a table removed from the directory is dropped" "$(tail -n 5 "$T/c2/log")"; fi
        td_stop c2
fi
check "a --table path with ':' is refused" eval '! "$TOCKD" --table "$C/x:y" --dump-config >/dev/null 2>&1'

# ---- 3. the environment
section "3. jobs get tockd's environment; the table's lines override it"
C=$T/c3
mkdir -p "$C"
put_table "$C/table" <<EOF
[sec:*/1] * * * * * { echo "\${GREETING-unset}"; echo "\${OTHER-unset}"; echo "\$PATH"; echo "\$SHELL"; echo "\${NOTIFY_SOCKET-unset}"; } > $T/jo/c3.tmp && mv -f $T/jo/c3.tmp $T/jo/c3
OTHER=from-table
[sec:*/1] * * * * * echo "\$OTHER" > $T/jo/c3b.tmp && mv -f $T/jo/c3b.tmp $T/jo/c3b
EOF
CT_PREFIX=(env GREETING=hi OTHER=from-env SHELL=/bin/false PATH="/opt/x:$PATH" NOTIFY_SOCKET="$T/nonexistent.sock")
if ct_start c3 --table "$C/table"; then
        if wait_until 10 nonempty "$T/jo/c3" && wait_until 10 nonempty "$T/jo/c3b"; then
                mapfile -t got <"$T/jo/c3"
                check "GREETING=hi from tockd's environment reaches the job" test "${got[0]}" = hi
                check "a variable the table sets later does not reach the lines before it" test "${got[1]}" = from-env
                check "tockd's PATH is the job's" test "${got[2]}" = "/opt/x:$PATH"
                check "SHELL is cron's (the shell that runs the job), not tockd's" test "${got[3]}" = /bin/sh
                check "systemd's NOTIFY_SOCKET is tockd's alone" test "${got[4]}" = unset
                check "the table's line overrides tockd's environment" test "$(cat "$T/jo/c3b")" = from-table
        else flunk "the environment jobs run" "$(tail -n 20 "$T/c3/log")"; fi
        td_stop c3
fi
rm -f "$T/jo/c3"
if ct_start c3 --table "$C/table" --set jobs.inherit_env=no; then
        if wait_until 10 nonempty "$T/jo/c3"; then
                mapfile -t got <"$T/jo/c3"
                check "jobs.inherit_env=no: GREETING does not reach the job" test "${got[0]}" = unset
                check "jobs.inherit_env=no: PATH is cron's" test "${got[2]}" = /usr/bin:/bin
        else flunk "the job runs with inherit_env=no" "$(tail -n 20 "$T/c3/log")"; fi
        td_stop c3
fi
CT_PREFIX=()

# ---- 4. a uid with no passwd entry
section "4. a uid with no passwd entry runs its table"
NOUID=
for u in 12345 23456 34567 45678; do
        getent passwd "$u" >/dev/null || { NOUID=$u; break; }
done
if ! $IS_ROOT; then
        skip "a uid with no passwd entry" "needs root to start tockd as another uid"
elif ! command -v setpriv >/dev/null; then
        skip "a uid with no passwd entry" "setpriv is not installed"
elif [ -z "$NOUID" ]; then
        skip "a uid with no passwd entry" "uids 12345 23456 34567 45678 all have passwd entries"
else
        C=$T/c4
        mkdir -p "$C" "$T/home/$NOUID"
        chown "$NOUID:$NOUID" "$T/home/$NOUID"
        put_table "$C/table" <<EOF
[sec:*/1] * * * * * { id -u; echo "\$USER"; echo "\$LOGNAME"; echo "\$HOME"; pwd; } > $T/jo/c4.tmp && mv -f $T/jo/c4.tmp $T/jo/c4
EOF
        CT_PREFIX=(setpriv --reuid="$NOUID" --regid="$NOUID" --clear-groups env -u USER -u LOGNAME HOME="$T/home/$NOUID")
        if ct_start c4 --table "$C/table"; then
                if wait_until 10 nonempty "$T/jo/c4"; then
                        mapfile -t got <"$T/jo/c4"
                        check "the job runs as uid $NOUID" test "${got[0]}" = "$NOUID"
                        check "USER and LOGNAME are the number when the environment names nobody" \
                                test "${got[1]}" = "$NOUID" -a "${got[2]}" = "$NOUID"
                        check "HOME comes from the environment, and is the working directory" \
                                test "${got[3]}" = "$T/home/$NOUID" -a "${got[4]}" = "$T/home/$NOUID"
                else flunk "the table of a uid with no passwd entry runs" "$(tail -n 20 "$T/c4/log")"; fi
                check "the log says whom the jobs run as" log_has c4 "uid $NOUID has no passwd entry: its jobs run as '$NOUID', home $T/home/$NOUID"
                if quiet c4; then pass "no warning, no error as uid $NOUID"
                else flunk "no warning, no error as uid $NOUID" "$(grep -E ' (warning|error): ' "$T/c4/log"; cat "$T/c4/err")"; fi
                td_stop c4
        fi
        rm -f "$T/jo/c4"
        CT_PREFIX=(setpriv --reuid="$NOUID" --regid="$NOUID" --clear-groups env -u HOME USER=appuser LOGNAME=x)
        if ct_start c4 --table "$C/table"; then
                if wait_until 10 nonempty "$T/jo/c4"; then
                        mapfile -t got <"$T/jo/c4"
                        check "USER and LOGNAME come from \$USER" test "${got[1]}" = appuser -a "${got[2]}" = appuser
                        check "without \$HOME the home is /" test "${got[3]}" = / -a "${got[4]}" = /
                else flunk "the table runs as uid $NOUID named by \$USER" "$(tail -n 20 "$T/c4/log")"; fi
                td_stop c4
        fi
        CT_PREFIX=()
fi

# ---- 5. tables changed the ConfigMap way, by rename, in place, through a bind mount
section "5. reloads: a ConfigMap's ..data swap, a rename, an in-place write, a bind-mounted file"
C=$T/c5
mkdir -p "$C/cm/..2026_01_01_00_00_00.1" "$C/cmf/..2026_01_01_00_00_00.1"
# cm_version DIR N: a ConfigMap volume's layout, its table writing "vN" to $T/jo/cm-$(basename DIR)
cm_version() {
        local dir=$1 n=$2 new="..2026_01_01_00_00_0$2.$2" old
        mkdir -p "$dir/$new"
        echo "[sec:*/1] * * * * * echo v$n > $T/jo/cm-$(basename "$dir").tmp && mv -f $T/jo/cm-$(basename "$dir").tmp $T/jo/cm-$(basename "$dir")" \
                >"$dir/$new/app.cron"
        chmod 644 "$dir/$new/app.cron"
        old=$(readlink "$dir/..data" 2>/dev/null)
        ln -sfn "$new" "$dir/..data_tmp"
        mv -T "$dir/..data_tmp" "$dir/..data" # the atomic swap, as kubelet's atomic writer does it
        [ -e "$dir/app.cron" ] || ln -s ..data/app.cron "$dir/app.cron"
        [ -z "$old" ] || rm -rf "${dir:?}/$old"
}
cm_version "$C/cm" 1
cm_version "$C/cmf" 1
put_table "$C/plain" <<EOF
[sec:*/1] * * * * * echo r1 > $T/jo/plain.tmp && mv -f $T/jo/plain.tmp $T/jo/plain
EOF
if ct_start c5 --table "$C/cm" --table "$C/cmf/app.cron" --table "$C/plain"; then
        has() { [ "$(cat "$T/jo/$1" 2>/dev/null)" = "$2" ]; }
        if wait_until 10 has cm-cm v1 && wait_until 10 has cm-cmf v1; then pass "the ConfigMap tables run (a directory, a file)"
        else flunk "the ConfigMap tables run" "$(tail -n 20 "$T/c5/log")"; fi
        cm_version "$C/cm" 2
        if wait_until 10 has cm-cm v2; then pass "a ConfigMap directory whose ..data is swapped: the new table runs"
        else flunk "a ConfigMap directory whose ..data is swapped: the new table runs" "$(tail -n 20 "$T/c5/log")"; fi
        cm_version "$C/cmf" 2
        if wait_until 10 has cm-cmf v2; then pass "a ConfigMap file named in --table, its ..data swapped: the new table runs"
        else flunk "a ConfigMap file named in --table, its ..data swapped: the new table runs" "$(tail -n 20 "$T/c5/log")"; fi
        put_table "$C/plain" <<EOF
[sec:*/1] * * * * * echo r2 > $T/jo/plain.tmp && mv -f $T/jo/plain.tmp $T/jo/plain
EOF
        if wait_until 10 has plain r2; then pass "a table replaced by rename runs anew"
        else flunk "a table replaced by rename runs anew" "$(tail -n 20 "$T/c5/log")"; fi
        echo "[sec:*/1] * * * * * echo r3 > $T/jo/plain.tmp && mv -f $T/jo/plain.tmp $T/jo/plain" >"$C/plain"
        if wait_until 10 has plain r3; then pass "a table written in place runs anew"
        else flunk "a table written in place runs anew" "$(tail -n 20 "$T/c5/log")"; fi
        check "no warning through the reloads" quiet c5
        td_stop c5
fi
if ! $IS_ROOT || ! command -v unshare >/dev/null; then
        skip "a bind-mounted table written in place" "needs root and unshare for a mount namespace"
else
        echo "[sec:*/1] * * * * * echo b1 > $T/jo/bind.tmp && mv -f $T/jo/bind.tmp $T/jo/bind" >"$C/host.cron"
        : >"$C/mounted.cron"
        chmod 644 "$C/host.cron" "$C/mounted.cron"
        # like docker run -v host.cron:/etc/app.cron: the file's directory in the container is
        # not the one the host writes in
        CT_PREFIX=(unshare --mount --propagation private sh -c 'mount --bind "$0" "$1" && shift && exec "$@"' "$C/host.cron" "$C/mounted.cron")
        if ct_start c5b --table "$C/mounted.cron"; then
                if wait_until 10 has bind b1; then pass "a bind-mounted table runs"
                else flunk "a bind-mounted table runs" "$(tail -n 20 "$T/c5b/log")"; fi
                echo "[sec:*/1] * * * * * echo b2 > $T/jo/bind.tmp && mv -f $T/jo/bind.tmp $T/jo/bind" >"$C/host.cron"
                if wait_until 10 has bind b2; then pass "a bind-mounted table written in place on the host runs anew"
                else flunk "a bind-mounted table written in place on the host runs anew" "$(tail -n 20 "$T/c5b/log")"; fi
                td_stop c5b
        fi
        CT_PREFIX=()
fi

# ---- 6. the stop
section "6. SIGTERM: SIGTERM to each job, SIGKILL after stop_timeout, the exit status says which"
C=$T/c6
mkdir -p "$C"
put_table "$C/trap" <<EOF
@reboot trap 'echo got TERM > $T/jo/trap; exit 0' TERM; echo \$\$ > $T/jo/trap.pid; while :; do sleep 0.1; done
EOF
if ct_start c6 --table "$C/trap"; then
        if wait_until 10 nonempty "$T/jo/trap.pid"; then
                job=$(cat "$T/jo/trap.pid")
                CLEAN_PGIDS+=("$job")
                td_stop c6
                check "the TERM-trapping job got SIGTERM" test "$(cat "$T/jo/trap" 2>/dev/null)" = "got TERM"
                check "tockd exits 0: every job ended within the grace period" test "${TD_RC[c6]}" = 0
                check "the log says SIGTERM went to the job" log_has c6 "sending SIGTERM to 1 running job, SIGKILL to what is left in 8s"
                check "the log says every job ended in time" log_has c6 "every running job ended within the grace period"
                check "nothing is said to be left to finish" eval '! log_has c6 "left to finish"'
                gone "$job" && forget "$job"
        else flunk "the TERM-trapping job starts" "$(tail -n 20 "$T/c6/log")"; fi
fi
put_table "$C/stubborn" <<EOF
@reboot trap '' TERM; echo \$\$ > $T/jo/stubborn.pid; while :; do sleep 0.1; done
EOF
if ct_start c6b --table "$C/stubborn" --set jobs.stop_timeout=1; then
        if wait_until 10 nonempty "$T/jo/stubborn.pid"; then
                job=$(cat "$T/jo/stubborn.pid")
                CLEAN_PGIDS+=("$job")
                td_stop c6b
                check "a job that ignores SIGTERM is killed at stop_timeout" wait_until 5 gone "$job"
                check "tockd exits non-zero when a job had to be killed" test "${TD_RC[c6b]}" = 1
                check "the log says so" log_has c6b "stop timeout: killing 1 remaining job with SIGKILL (jobs.stop_timeout 1s)"
                gone "$job" && forget "$job"
        else flunk "the job ignoring SIGTERM starts" "$(tail -n 20 "$T/c6b/log")"; fi
fi

# what a job prints as it ends on SIGTERM is logged before tockd exits, even when a process it
# left behind holds its output pipe open (no end of file will come) and the line has no newline
put_table "$C/last" <<EOF
@reboot trap '(sleep 30 & echo \$! > $T/jo/leftover.pid); printf "last words"; exit 0' TERM; echo \$\$ > $T/jo/last.pid; while :; do sleep 0.1; done
EOF
if ct_start c6c --table "$C/last"; then
        if wait_until 10 nonempty "$T/jo/last.pid"; then
                job=$(cat "$T/jo/last.pid")
                CLEAN_PGIDS+=("$job")
                td_stop c6c
                wait_until 5 nonempty "$T/jo/leftover.pid" && CLEAN_PIDS+=("$(cat "$T/jo/leftover.pid")")
                check "the job's last words, printed as it ended on SIGTERM, are logged before tockd exits" \
                        log_has c6c "last words"
                check "tockd exits 0" test "${TD_RC[c6c]}" = 0
                [ -s "$T/jo/leftover.pid" ] && kill "$(cat "$T/jo/leftover.pid")" 2>/dev/null
                gone "$job" && forget "$job"
        else flunk "the job with last words starts" "$(tail -n 20 "$T/c6c/log")"; fi
fi

# ---- 7. tockd as PID 1 of a PID namespace
section "7. tockd as PID 1 (unshare --pid --fork --mount-proc)"
# ns_init PID: the host pid of the namespace's PID 1, the child of `unshare --fork` PID
ns_init() { children_of "$1" | head -n 1; }
if ! $IS_ROOT || ! command -v unshare >/dev/null; then
        skip "tockd as PID 1" "needs root and unshare for a PID namespace"
else
        C=$T/c7
        mkdir -p "$C"
        put_table "$C/table" <<EOF
[sec:*/1] * * * * * sh -c 'sleep 300 &' ; echo "\$GREETING" > $T/jo/c7.tmp && mv -f $T/jo/c7.tmp $T/jo/c7
@reboot trap 'echo got TERM > $T/jo/c7trap; exit 0' TERM; while :; do sleep 0.1; done
EOF
        CT_PREFIX=(env GREETING=hi-pid1 unshare --pid --fork --mount-proc)
        if ct_start c7 --table "$C/table"; then
                init=$(ns_init "${TD_WRAP[c7]}")
                TD_PID[c7]=$init
                CLEAN_PIDS+=("$init")
                check "tockd is PID 1 in its namespace" log_has c7 "tockd[1] info: ready:"
                if wait_until 10 nonempty "$T/jo/c7"; then pass "a per-second job runs under tockd as PID 1"
                else flunk "a per-second job runs under tockd as PID 1" "$(tail -n 20 "$T/c7/log")"; fi
                check "GREETING from the environment reaches it" test "$(cat "$T/jo/c7" 2>/dev/null)" = hi-pid1
                # the orphaned 'sleep 300's are reparented to tockd's spawner (a subreaper) or
                # tockd; four runs later none of them may be a zombie
                n=$(log_count c7 "$C/table:1 (")
                wait_until 10 eval '[ "$(log_count c7 "$C/table:1 (")" -ge $((n + 8)) ]'
                if no_zombies_in_family "$init"; then pass "no zombie under tockd as PID 1 after double-forking jobs"
                else flunk "no zombie under tockd as PID 1" "zombies: $(family_zombies "$init")"; fi
                td_stop c7
                check "the TERM-trapping job got SIGTERM" test "$(cat "$T/jo/c7trap" 2>/dev/null)" = "got TERM"
                check "tockd as PID 1 exits 0 when the jobs ended in time" test "${TD_RC[c7]}" = 0
                check "the log does not say the jobs are left to finish" eval '! log_has c7 "left to finish"'
                forget "$init"
        fi
        CT_PREFIX=()
        # the system mode with on_stop=leave (the default): as PID 1 the jobs get SIGTERM too
        td_prepare c7s
        S=$T/c7s
        put "$S/cron.d/t" <<EOF
@reboot $ME trap 'echo got TERM > $T/jo/c7s; exit 0' TERM; while :; do sleep 0.1; done
EOF
        TD_PREFIX=(unshare --pid --fork --mount-proc)
        if td_start c7s; then
                init=$(ns_init "${TD_WRAP[c7s]}")
                TD_PID[c7s]=$init
                CLEAN_PIDS+=("$init")
                wait_log 10 c7s "$S/cron.d/t:1 ($ME) started"
                td_stop c7s
                check "system mode as PID 1, on_stop=leave: the job gets SIGTERM" test "$(cat "$T/jo/c7s" 2>/dev/null)" = "got TERM"
                check "and the log says so, not 'left to finish'" log_has c7s "stopping on Terminated as PID 1; sending SIGTERM to 1 running job"
                check "tockd exits 0" test "${TD_RC[c7s]}" = 0
                forget "$init"
        fi
        TD_PREFIX=()
fi

# ---- 8. JSON logs
section "8. --log-format json: one object a line, with the documented fields"
# json_check LOG CHECKS: python3 reads every line of LOG as JSON (each with time, level and
# message) and runs CHECKS, python on `objs`, the list of objects; prints what failed
json_check() {
        python3 - "$1" "$2" <<'PY'
import json, sys
objs = []
for n, line in enumerate(open(sys.argv[1], encoding="utf-8", errors="strict"), 1):
    try:
        objs.append(json.loads(line))
    except ValueError as e:
        print(f"line {n} is not JSON: {e}: {line!r}")
        sys.exit(1)
for o in objs:
    for k in ("time", "level", "message"):
        if k not in o:
            print(f"no {k}: {o}")
            sys.exit(1)
def one(pred, what):
    if not any(pred(o) for o in objs):
        print("no object", what)
        sys.exit(1)
exec(sys.argv[2])
PY
}
if ! command -v python3 >/dev/null; then
        skip "JSON logs" "python3 is not installed to read them"
else
        C=$T/c8
        mkdir -p "$C"
        put_table "$C/table" <<EOF
[sec:*/1 name:hello] * * * * * echo "hi \$GREETING"; echo 'to "err" é' >&2; printf 'bad \\377 byte\\n'
[sec:*/1] * * * * * exit 3
EOF
        CT_PREFIX=(env GREETING=there)
        if ct_start c8 --table "$C/table" --log-format json; then
                wait_until 10 eval '[ "$(grep -c "\"event\":\"ended\"" "$T/c8/log")" -ge 4 ]'
                td_stop c8
                if json_check "$T/c8/log" '
one(lambda o: o["message"].startswith("ready: 1 table, 2 jobs") and "job" not in o, "for ready")
one(lambda o: o.get("event") == "started" and o["job"] == "hello" and o["line"] == 1 and o["pid"] > 0
    and o["table"].endswith("/c8/table") and o["command"].startswith("echo") and o["level"] == "info", "for a start")
one(lambda o: o.get("event") == "output" and o["job"] == "hello" and o["stream"] == "stdout" and o["message"] == "hi there" and o["pid"] > 0, "for stdout")
one(lambda o: o.get("event") == "output" and o["stream"] == "stderr" and o["message"] == "to \"err\" \u00e9", "for stderr")
one(lambda o: o.get("event") == "output" and o["message"] == "bad \ufffd byte", "for a byte that is not UTF-8")
one(lambda o: o.get("event") == "ended" and o["job"] == "hello" and o["exit_status"] == 0 and o["duration_ms"] >= 0, "for an end")
one(lambda o: o.get("event") == "ended" and o["job"].endswith("/c8/table:2") and o["exit_status"] == 3 and o["level"] == "warning", "for a failure")
one(lambda o: o["time"].endswith("Z") and len(o["time"]) == 24, "with an RFC 3339 UTC time")
'; then pass "every line is JSON; start, output (stdout, stderr), end and daemon events carry their fields"
                else flunk "JSON logs" "$(head -c 1500 "$T/c8/log")"; fi
                check "nothing but JSON on stdout, nothing on stderr" test ! -s "$T/c8/err"
        fi
        if ct_start c8b --table "$C/table" --log-format json --set log.job_output=end; then
                wait_until 10 eval '[ "$(grep -c "\"event\":\"ended\"" "$T/c8b/log")" -ge 2 ]'
                td_stop c8b
                if json_check "$T/c8b/log" '
runs = {}
for o in objs:
    if o.get("job") == "hello" and o.get("event") in ("started", "output", "ended"):
        runs.setdefault(o["pid"], []).append(o["event"])
done = [r for r in runs.values() if "ended" in r]
if not done or any(r != ["started", "output", "output", "output", "ended"] for r in done):
    print("runs:", runs)
    sys.exit(1)
'; then pass "log.job_output=end: a run's output lines come together, before its end"
                else flunk "log.job_output=end" "$(head -c 1500 "$T/c8b/log")"; fi
        fi
        CT_PREFIX=()
fi

finish
