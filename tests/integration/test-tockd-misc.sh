#!/usr/bin/env bash
# tockd as a service: @reboot once per boot, sd_notify (READY, STATUS, RELOADING, STOPPING),
# SIGHUP, SIGTERM with jobs.on_stop=term and leave, and tockd under libfaketime.
#
# Clock jumps are not tested here: the only way to make one is to set the machine's real clock,
# which is not safe on a shared or CI machine. sched_after_jump() and the DST rules are covered by
# the core's unit tests (tests/unit/test_sched*.c); what this file can check is that tockd's timer
# follows a clock that libfaketime speeds up.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tockd-lib.sh"
export TZ=UTC

td_require_tockd "tockd misc"
td_require_home "tockd misc"

section "the version and the help, short and long"
for opt in -V --version; do
        out=$("$TOCKD" "$opt" 2>&1); rc=$?
        if [ "$rc" = 0 ] && [ "$out" = "tockd $(sed -n 's/^VERSION *:= *//p' "$(dirname "$0")/../../Makefile")" ]; then
                pass "tockd $opt prints the version"
        else flunk "tockd $opt prints the version" "exit $rc: $out"; fi
done
for opt in -h --help; do
        out=$("$TOCKD" "$opt" 2>&1); rc=$?
        if [ "$rc" = 0 ] && [[ $out == usage:\ tockd* ]]; then pass "tockd $opt prints the usage"
        else flunk "tockd $opt prints the usage" "exit $rc: $out"; fi
done
out=$("$TOCKD" --state-dir "$T/sd" --dump-config 2>&1)
if grep -qx "state = $T/sd" <<<"$out"; then pass "--state-dir still sets the state directory"
else flunk "--state-dir still sets the state directory" "$out"; fi

# ---- 8. @reboot runs once per boot
section "8. @reboot runs once per boot"
B=$T/boot
td_prepare boot
echo "boot-X" >"$B/boot_id"
put "$B/cron.d/r" <<EOF
@reboot $ME echo ran >> $T/reboot.out
EOF
if td_start boot; then
        if wait_until 10 has_lines "$T/reboot.out" 1; then pass "@reboot runs at the first start in a boot"
        else flunk "@reboot runs at the first start in a boot" "$(log_tail boot)"; fi
        wait_log 10 boot "$B/cron.d/r:1 ($ME) ended"
        td_stop boot
fi
if td_start boot; then
        if log_has boot "@reboot jobs already ran in this boot (boot-X); not again"; then
                pass "a restart in the same boot says @reboot jobs already ran"
        else flunk "a restart in the same boot says @reboot jobs already ran" "$(log_tail boot)"; fi
        td_stop boot
        # the spawn would have been logged before "ready:", and tockd has stopped since
        if [ "$(nlines "$T/reboot.out")" = 1 ] && ! log_has boot "$B/cron.d/r:1 ($ME) started"; then
                pass "a restart in the same boot does not run @reboot again"
        else flunk "a restart in the same boot does not run @reboot again" "reboot.out has $(nlines "$T/reboot.out") lines"; fi
fi
echo "boot-Y" >"$B/boot_id"
if td_start boot; then
        if wait_until 10 has_lines "$T/reboot.out" 2; then pass "a new boot id runs @reboot again"
        else flunk "a new boot id runs @reboot again" "$(log_tail boot)"; fi
        wait_log 10 boot "$B/cron.d/r:1 ($ME) ended"
        td_stop boot
        check "and only once" test "$(nlines "$T/reboot.out")" = 2
fi

# ---- 9. sd_notify
section "9. sd_notify: READY, STATUS, RELOADING, STOPPING"
LISTEN=$T/notify-listen
if ! command -v cc >/dev/null; then
        skip "sd_notify" "no C compiler to build notify-listen.c"
elif ! cc -o "$LISTEN" "$(dirname "$0")/notify-listen.c" 2>"$T/cc.err"; then
        flunk "notify-listen.c builds" "$(cat "$T/cc.err")"
else
        N=$T/notify
        td_prepare notify
        put "$N/cron.d/a" <<EOF
0 3 * * * $ME true
@reboot $ME echo ran >> $T/notify-reboot.out
EOF
        put "$N/crontab" <<EOF
0 5 * * * $ME true
EOF
        "$LISTEN" "$T/notify.sock" >"$T/notify.out" 2>"$T/notify.err" &
        CLEAN_PIDS+=($!)
        listener=$!
        TD_PREFIX=(env NOTIFY_SOCKET="$T/notify.sock")
        if ! wait_until 5 test -S "$T/notify.sock"; then
                flunk "the notify listener binds its socket" "$(cat "$T/notify.err")"
        elif td_start notify; then
                TD_PREFIX=()
                wait_until 10 has_lines "$T/notify-reboot.out" 1 || flunk "@reboot runs at start" "$(log_tail notify)"
                if wait_until 10 file_has_line "$T/notify.out" READY=1; then pass "READY=1 arrives"
                else flunk "READY=1 arrives" "notify.out: $(cat "$T/notify.out")"; fi
                if wait_until 10 grep -q '^STATUS=2 tables, 3 jobs' "$T/notify.out"; then
                        pass "a STATUS= line gives the number of tables (2) and jobs (3)"
                else flunk "a STATUS= line gives the number of tables (2) and jobs (3)" "notify.out: $(cat "$T/notify.out")"; fi
                # SIGHUP: RELOADING=1, then READY=1 again, and every table read again
                put "$N/cron.d/b" <<EOF
@reboot $ME echo ran >> $T/notify-reboot.out
EOF
                wait_log 10 notify "$N/cron.d/b: loaded"
                n_loaded=$(log_count notify "$N/cron.d/a: loaded")
                ready_before=$(grep -c '^READY=1$' "$T/notify.out")
                hup_from=$BASHPID # the pid the SIGHUP comes from: this shell's (kill is a builtin)
                td_signal notify HUP
                if wait_until 10 eval '[ "$(grep -c "^READY=1$" "$T/notify.out")" -gt "$ready_before" ]'; then
                        r_line=$(grep -n '^RELOADING=1$' "$T/notify.out" | tail -n 1 | cut -d: -f1)
                        y_line=$(grep -n '^READY=1$' "$T/notify.out" | tail -n 1 | cut -d: -f1)
                        if [ -n "$r_line" ] && [ "$r_line" -lt "$y_line" ]; then pass "SIGHUP sends RELOADING=1, then READY=1"
                        else flunk "SIGHUP sends RELOADING=1, then READY=1" "notify.out: $(cat "$T/notify.out")"; fi
                        check "RELOADING=1 comes with MONOTONIC_USEC=" grep -q '^MONOTONIC_USEC=[0-9]' "$T/notify.out"
                else
                        flunk "SIGHUP sends RELOADING=1, then READY=1" "no second READY=1; notify.out: $(cat "$T/notify.out")"
                fi
                if wait_until 10 eval '[ "$(log_count notify "$N/cron.d/a: loaded")" -gt "$n_loaded" ]'; then
                        pass "SIGHUP reads every table again"
                else flunk "SIGHUP reads every table again" "$(log_tail notify)"; fi
                check "the reload log line says who sent SIGHUP" log_has notify \
                        "info: reloading on SIGHUP from uid $(id -u) (pid $hup_from)"
                check "SIGHUP does not run @reboot jobs again, nor does a new table's @reboot line run" \
                        test "$(nlines "$T/notify-reboot.out")" = 1
                if wait_until 10 grep -q '^STATUS=3 tables, 4 jobs' "$T/notify.out"; then pass "STATUS= follows the tables (3, 4 jobs)"
                else flunk "STATUS= follows the tables (3, 4 jobs)" "notify.out: $(cat "$T/notify.out")"; fi
                if log_has notify "the configuration has errors"; then
                        flunk "SIGHUP with an explicit --config keeps no error" "$(log_tail notify)"
                else pass "SIGHUP with an explicit --config reloads it without error"; fi
                # SIGTERM: STOPPING=1 and exit status 0
                td_stop notify
                if wait_until 10 file_has_line "$T/notify.out" STOPPING=1; then pass "SIGTERM sends STOPPING=1"
                else flunk "SIGTERM sends STOPPING=1" "notify.out: $(cat "$T/notify.out")"; fi
                if [ "${TD_RC[notify]}" = 0 ]; then pass "tockd exits 0 within 15 s of SIGTERM"
                else flunk "tockd exits 0 within 15 s of SIGTERM" "status ${TD_RC[notify]}"; fi
        fi
        TD_PREFIX=()
        kill "$listener" 2>/dev/null
        wait "$listener" 2>/dev/null
        forget "$listener"
fi

# SIGHUP without --config when the default file does not exist: the start accepts a missing
# default file, so a reload should too. (Skipped when /etc/tock/tockd.conf exists: this test
# must not read the machine's real configuration.)
section "SIGHUP without a configuration file"
if [ -e /etc/tock/tockd.conf ]; then
        skip "SIGHUP without a config file" "/etc/tock/tockd.conf exists on this machine"
else
        H=$T/hup
        td_prepare hup
        put "$H/cron.d/a" <<EOF
0 3 * * * $ME true
EOF
        # td_start passes --config; this one must not, so it is started here by hand
        "$TOCKD" --foreground --set jobs.pam_service= --crontab "$H/crontab" --cron-d "$H/cron.d" --spool "$H/spool" --state-dir "$H/state" --socket "$H/sock" \
                --log-target stderr --log-level debug --set paths.boot_id="$H/boot_id" \
                --set paths.localtime="$H/localtime" 2>"$H/log" &
        TD_PID[hup]=$!
        TD_WRAP[hup]=$!
        if wait_until 15 log_has hup " info: ready: "; then
                td_signal hup HUP
                if wait_until 10 eval '[ "$(log_count hup "$H/cron.d/a: loaded")" -ge 2 ]'; then
                        if log_has hup "the configuration has errors"; then
                                # was a bug until e0ec835: the reload took the default path as explicit
                                flunk "SIGHUP without --config reloads quietly" "$(log_tail hup)"
                        else pass "SIGHUP without --config reloads quietly"; fi
                else flunk "SIGHUP without --config re-reads the tables" "$(log_tail hup)"; fi
        else
                flunk "tockd without --config starts" "$(log_tail hup)"
        fi
        td_stop hup
fi

# a spool directory that does not exist when tockd starts (no cron package installed it yet)
section "a spool directory created after start"
L=$T/late
td_prepare late
if td_start late --spool "$L/spool.later"; then
        mkdir "$L/spool.later"
        printf '%s\n' "[sec:*/1] * * * * * echo late >> $T/late-spool.out" | put "$L/spool.later/$ME" 600
        if wait_until 10 nonempty "$T/late-spool.out"; then pass "a table in a spool created after start runs"
        else flunk "a table in a spool created after start runs, without SIGHUP" "$(log_tail late)"; fi
        rm -f "$L/spool.later/$ME"
        td_stop late
fi

# one tockd per state directory: a second one (even with no control socket) would run every job twice
section "a second tockd on the same state directory refuses to start"
K=$T/lock
td_prepare lock
if td_start lock; then
        "$TOCKD" --foreground --set jobs.pam_service= --crontab "$K/crontab" --cron-d "$K/cron.d" --spool "$K/spool" \
                --state-dir "$K/state" --socket '' --log-target stderr </dev/null >/dev/null 2>"$T/lock2.err"
        rc=$?
        check "the second tockd exits 1" test "$rc" = 1
        if grep -q "another tockd (pid ${TD_PID[lock]}) uses the state directory $K/state; not starting a second one" "$T/lock2.err"; then
                pass "and says which tockd has the state directory"
        else flunk "and says which tockd has the state directory" "$(cat "$T/lock2.err")"; fi
        check "the first goes on" alive "${TD_PID[lock]}"
        td_stop lock
        td_start lock && pass "once the first has stopped, another starts" && td_stop lock
fi

# ---- 10. SIGTERM and jobs.on_stop
section "10. SIGTERM with jobs.on_stop = term, and the default leave"
for mode in term leave; do
        S=$T/stop-$mode
        td_prepare "stop-$mode"
        put "$S/cron.d/long" <<EOF
@reboot $ME sleep 300 & echo \$! > $S/child.pid; wait
EOF
        if [ "$mode" = term ]; then td_start "stop-$mode" --set jobs.on_stop=term || continue
        else td_start "stop-$mode" || continue; fi
        if ! wait_until 10 nonempty "$S/child.pid"; then
                flunk "on_stop=$mode: the long job starts" "$(log_tail "stop-$mode")"
                td_stop "stop-$mode"
                continue
        fi
        child=$(cat "$S/child.pid")
        job=$(job_pid "stop-$mode" "$S/cron.d/long:1 ($ME) started")
        CLEAN_PGIDS+=("$job") # the job made its own session: its pid is its process group
        td_stop "stop-$mode"
        if [ "${TD_RC[stop-$mode]}" = 0 ]; then pass "on_stop=$mode: tockd exits 0 on SIGTERM"
        else flunk "on_stop=$mode: tockd exits 0 on SIGTERM" "status ${TD_RC[stop-$mode]}"; fi
        if [ "$mode" = term ]; then
                check "on_stop=term: the log says SIGTERM goes to the running job" \
                        log_has "stop-$mode" "stopping on Terminated; sending SIGTERM to 1 running job"
                if wait_until 10 gone "$child"; then forget "$job"; pass "on_stop=term: the job's child 'sleep 300' is gone"
                else flunk "on_stop=term: the job's child 'sleep 300' is gone" "pid $child state $(proc_state "$child")"; fi
                check "on_stop=term: the job's end is logged" log_has "stop-$mode" "$S/cron.d/long:1 ($ME) ended: pid $job, killed by signal 15"
        else
                check "on_stop=leave: the log says the job is left running" \
                        log_has "stop-$mode" "stopping on Terminated; 1 running job"
                if alive "$child"; then pass "on_stop=leave: the job's child 'sleep 300' still runs after tockd exited"
                else flunk "on_stop=leave: the job's child 'sleep 300' still runs after tockd exited" "state $(proc_state "$child")"; fi
                # ours to end: its process group, from the pid in the log
                if [ -n "$job" ]; then kill -TERM -- "-$job" 2>/dev/null; fi
                if wait_until 10 gone "$child"; then forget "$job"; pass "on_stop=leave: the left job ends by its process group"
                else flunk "on_stop=leave: the left job ends by its process group" "pid $child state $(proc_state "$child")"; fi
        fi
done

# ---- 13. tockd under libfaketime, ten times faster
section "13. libfaketime speeds up tockd's timer"
if ! command -v faketime >/dev/null; then
        skip "faketime" "the faketime command is not installed"
else
        F=$T/fake
        td_prepare fake
        put "$F/cron.d/f" <<EOF
[sec:*/10] * * * * * $ME true
EOF
        # ASan must come first in the library list unless told otherwise; libfaketime is preloaded
        TD_PREFIX=(env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" faketime -f '+0 x10')
        td_start fake && started=true || started=false
        TD_PREFIX=()
        if $started; then
                t0=$(now_us)
                # 5 real seconds are 50 faked ones: about five runs of a [sec:*/10] job
                if wait_until 5 eval '[ "$(log_count fake "$F/cron.d/f:1 ($ME) started")" -ge 3 ]'; then
                        pass "a [sec:*/10] job runs 3 times within $((($(now_us) - t0) / 1000)) ms of real time under faketime x10"
                else
                        skip "tockd under faketime x10" "the [sec:*/10] job ran $(log_count fake "$F/cron.d/f:1 ($ME) started") \
times in 5 real seconds: libfaketime's speed-up does not reach tockd's timerfd here"
                fi
                td_stop fake
        fi
fi

# ---- huge pages (daemon/thp.c)
section "large tables: tockd execs itself once with glibc's malloc on huge pages; jobs see the caller's environment"
mkdir -p "$T/hugetab"
printf '[sec:*] * * * * * env > %s/huge-job-env\n' "$T" >"$T/hugetab/job"
thp_why_not=
if ldd "$TOCKD" 2>/dev/null | grep -q libasan; then thp_why_not="an ASan build keeps its own allocator and does not exec"
elif grep -q '\[never\]' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null; then thp_why_not="transparent huge pages are off (never) here"
fi
# whether the tockd NAME runs in the image that thp_reexec() started, and says so
thp_exec_seen() {
        tr '\0' '\n' <"/proc/${TD_PID[$1]}/environ" | grep -qx "TOCK_THP_REEXEC=1" &&
                log_has "$1" "memory: glibc's malloc on transparent huge pages"
}
# td_start_huge NAME ENV...: tockd NAME on the tables of $T/hugetab, with ENV added
td_start_huge() {
        local n=$1
        shift
        rm -f "$T/huge-job-env"
        TD_PREFIX=(env -u GLIBC_TUNABLES -u TOCK_HUGEPAGES "$@")
        td_start "$n" --table "$T/hugetab" --set jobs.inherit_env=yes
        local r=$?
        TD_PREFIX=()
        return $r
}

# big_maps NAME: tockd NAME's anonymous mappings of 256 KiB or more outside its heap, in KiB
big_maps() {
        local range perm _ path s e
        while read -r range perm _ _ _ path; do
                [ -z "$path" ] && [ "${perm:0:2}" = rw ] || continue
                s=$((16#${range%-*})) e=$((16#${range#*-}))
                [ $(((e - s) >> 10)) -lt 256 ] || echo $(((e - s) >> 10))
        done <"/proc/${TD_PID[$1]}/maps"
}
# 20,000 entries that never fire in a test: arrays of some 800 KiB each, which glibc's malloc
# would put in mmap()s of their own (small pages), and which the huge-page image keeps in its heap
awk 'BEGIN { for (i = 0; i < 20000; i++) printf "%d %d 30 2 * /usr/bin/true --id %d\n", i % 60, int(i / 60) % 24, i }' >"$T/hugetab/big"

# a small table: no exec, unless TOCK_HUGEPAGES=1
if td_start_huge huge1 GLIBC_TUNABLES=glibc.malloc.check=0 TOCK_TEST_CALLER=yes TOCK_HUGEPAGES=1; then
        if [ -n "$thp_why_not" ]; then skip "TOCK_HUGEPAGES=1: tockd's exec with glibc.malloc.hugetlb=1" "$thp_why_not"
        elif thp_exec_seen huge1; then
                # (ld.so rewrites GLIBC_TUNABLES in the environment block it was given: not checked)
                pass "TOCK_HUGEPAGES=1: tockd exec'd itself once (same pid) and says its malloc is on transparent huge pages"
        else flunk "TOCK_HUGEPAGES=1: tockd exec'd itself once and says so" "$(log_tail huge1 3)"; fi
        if [ -z "$thp_why_not" ]; then
                maps=$(big_maps huge1)
                if [ -z "$maps" ]; then pass "and keeps a table's large arrays in its heap (huge pages), not in mmap()s of their own"
                else flunk "and keeps a table's large arrays in its heap, not in mmap()s of their own" "anonymous mappings (KiB): $(echo $maps)"; fi
        fi
        if wait_until 10 test -s "$T/huge-job-env"; then
                check "a job sees the caller's GLIBC_TUNABLES" grep -qx "GLIBC_TUNABLES=glibc.malloc.check=0" "$T/huge-job-env"
                check "and the caller's other variables" grep -qx "TOCK_TEST_CALLER=yes" "$T/huge-job-env"
                check "and nothing of tockd's exec" sh -c "! grep -q '^TOCK_THP' '$T/huge-job-env'"
        else flunk "the job of the huge-pages table runs" "$(log_tail huge1)"; fi
        td_stop_ok huge1
fi
if td_start_huge huge2; then
        check "tables under 16 MiB: no exec" sh -c "! tr '\\0' '\\n' </proc/${TD_PID[huge2]}/environ | grep -q TOCK_THP_REEXEC"
        check "and no word of huge pages in the log" sh -c "! grep -qF 'transparent huge pages' '$T/huge2/log'"
        if wait_until 10 test -s "$T/huge-job-env"; then
                check "and a job has no GLIBC_TUNABLES" sh -c "! grep -q '^GLIBC_TUNABLES' '$T/huge-job-env'"
        else flunk "the job of the huge-pages table runs (no exec)" "$(log_tail huge2)"; fi
        td_stop_ok huge2
fi
# 18 MiB of tables (two files of comments) and a configuration with a warning: the exec, and the
# warning said once (the configuration's first, quiet reading says nothing)
for f in pad1 pad2; do yes '# padding, padding, padding, padding, padding, padding' | head -c $((9 << 20)) >"$T/hugetab/$f"; done
td_prepare huge3
printf '[bogus]\nkey = 1\n' >"$T/huge3/tockd.conf"
if td_start_huge huge3; then
        if [ -n "$thp_why_not" ]; then skip "18 MiB of tables: tockd's exec with glibc.malloc.hugetlb=1" "$thp_why_not"
        elif thp_exec_seen huge3; then pass "18 MiB of tables: tockd exec'd itself once with its malloc on huge pages"
        else flunk "18 MiB of tables: tockd exec'd itself once with its malloc on huge pages" "$(log_tail huge3 3)"; fi
        check "the configuration's warning is logged once" test "$(log_count huge3 "unknown key 'key' in section [bogus]")" = 1
        td_stop_ok huge3
fi
rm -f "$T/hugetab/pad1" "$T/hugetab/pad2"
if td_start_huge huge4 TOCK_HUGEPAGES=0; then
        check "TOCK_HUGEPAGES=0: no exec" sh -c "! tr '\\0' '\\n' </proc/${TD_PID[huge4]}/environ | grep -q TOCK_THP_REEXEC"
        # what the check of huge1 above would see without the exec's malloc settings (ASan's
        # allocator maps its own regions: there the check above is skipped, and this says nothing)
        if [ -n "$thp_why_not" ]; then :
        elif [ -n "$(big_maps huge4)" ]; then pass "without the exec, glibc puts the same arrays in mmap()s of their own (the check above can fail)"
        else flunk "without the exec, glibc puts the same arrays in mmap()s of their own" "no anonymous mapping of 256 KiB or more"; fi
        td_stop_ok huge4
fi

finish
