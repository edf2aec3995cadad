#!/usr/bin/env bash
# PAM: where the system has the cron PAM service, each job goes through its account and session
# steps as cron(8)'s do. The service here is a private one (paths.pam_dir in the test's temp dir)
# built from Debian's modules: pam_unix (an expired account runs nothing), pam_env (variables),
# pam_limits (limits), pam_loginuid (the login uid) and pam_exec (records when sessions open and
# close). Root only: it creates two users (removed again by the EXIT trap).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tockd-lib.sh"
export TZ=UTC

td_require_tockd "tockd PAM"
$IS_ROOT || td_skip_all "PAM sessions for jobs" "needs root: PAM's account and session steps and the jobs' users"
PAMLIB=$(dirname "$(find /lib /usr/lib -name pam_unix.so -path '*security*' 2>/dev/null | head -n 1)")
for mod in pam_unix pam_env pam_limits pam_exec pam_loginuid; do
        if [ ! -e "$PAMLIB/$mod.so" ]; then
                skip "PAM sessions for jobs" "$mod.so is not installed (libpam-modules)"
                finish
                exit
        fi
done
# (read whole first: grep -q would end the pipe early, and pipefail make tockd's SIGPIPE a skip)
dump=$("$TOCKD" --dump-config 2>/dev/null)
grep -q '^pam_service' <<<"$dump" || { skip "PAM" "tockd has no jobs.pam_service"; finish; exit; }

UA=tockpam$$a UB=tockpam$$b UX=tockpam$$x
CLEAN_USERS+=("$UA" "$UB" "$UX")
made=true
useradd -M -U -d "$T/home_a" -s /bin/sh "$UA" || made=false
useradd -M -U -d "$T/home_b" -s /bin/sh "$UB" || made=false
useradd -M -U -d "$T/home_x" -s /bin/sh "$UX" || made=false
# an account that expired yesterday: pam_unix's account step refuses it
chage -E "$(date -u -d yesterday +%F)" "$UX" || made=false
if ! $made; then
        flunk "test users are created" "useradd or chage failed"
        finish
        exit
fi
for u in "$UA" "$UB" "$UX"; do
        mkdir -p "$T/home_${u: -1}"
        chown "$u:$(id -gn "$u")" "$T/home_${u: -1}"
done
mkdir -p "$T/out"
chmod 1777 "$T/out"

# the job's login uid: checked only where this process may set its own (not in every container)
LOGINUID=optional
bash -c 'echo 0 > /proc/self/loginuid' 2>/dev/null && LOGINUID=required

D=$T/pam
td_prepare pam
mkdir -p "$D/pam.d"
printf '%s\n' 'TOCK_PAM_VAR=set by pam_env' 'PATH=/pam/bin' >"$T/pam-environment"
: >"$T/pam-env.conf"
printf '%s\n' "$UA soft nofile 123" "$UA hard nofile 123" >"$T/limits.conf"
# the session hook appends "TYPE USER TTY" to one file, which the jobs append to as well
cat >"$T/hook" <<EOF
#!/bin/sh
echo "\$PAM_TYPE \$PAM_USER \$PAM_TTY \$PAM_SERVICE" >> $T/out/sessions
EOF
chmod 755 "$T/hook"
# a slow PAM module, for one user only: opening $UB's session takes 4 s (pam_exec gives no PATH)
cat >"$T/slow" <<EOF
#!/bin/sh
[ "\$PAM_USER" = "$UB" ] && [ "\$PAM_TYPE" = open_session ] && $(command -v sleep) 4
exit 0
EOF
chmod 755 "$T/slow"
# pam_setcred needs an auth stack, as Debian's cron service has one (common-auth)
cat >"$D/pam.d/cron" <<EOF
auth     required  pam_permit.so
account  required  pam_unix.so
session  $LOGINUID  pam_loginuid.so
session  required  pam_env.so readenv=1 envfile=$T/pam-environment conffile=$T/pam-env.conf user_readenv=0
session  required  pam_limits.so conf=$T/limits.conf
session  optional  pam_exec.so quiet $T/hook
session  optional  pam_exec.so quiet $T/slow
EOF

section "jobs go through the PAM service"
# run by tockctl run only: the schedules are far away
put "$D/cron.d/pam" <<EOF
0 0 1 1 * $UA { id -u; echo "\$TOCK_PAM_VAR"; echo "\$PATH"; ulimit -n; cat /proc/self/loginuid; echo; } > $T/out/a.tmp && mv $T/out/a.tmp $T/out/a
0 0 1 1 * $UX id -u > $T/out/x
0 0 1 1 * $UA echo "job $UA" >> $T/out/sessions; sleep 1; echo "job end" >> $T/out/sessions
0 0 1 1 * $UA exit 3
0 0 1 1 * $UA kill -TERM \$\$
EOF
td_start pam || { finish; exit; }
check "tockd says jobs go through the PAM service" log_has pam "jobs go through the PAM service 'cron' ($D/pam.d/cron)"
S=$D/cron.d/pam
run_line() { # LINE: runs that table line now, through tockctl run (the caller's stdio), waits for it
        "${TOCKCTL:-build/tockctl}" --socket "$D/tockd.sock" run "$S:$1" </dev/null >"$T/run.out" 2>&1
}
run_line 1
rc=$?
check "tockctl run of a PAM job exits 0" test "$rc" = 0
if nonempty "$T/out/a"; then
        mapfile -t got <"$T/out/a"
        check "the job runs as $UA" test "${got[0]}" = "$(id -u "$UA")"
        check "pam_env's variable is in the job's environment" test "${got[1]}" = "set by pam_env"
        check "cron's PATH wins over pam_env's (cronie's order)" test "${got[2]}" = "/usr/bin:/bin"
        check "pam_limits' nofile limit (123) applies to the job" test "${got[3]}" = 123
        if [ "$LOGINUID" = required ]; then
                check "pam_loginuid set the job's login uid" test "${got[4]}" = "$(id -u "$UA")"
        else
                skip "pam_loginuid set the job's login uid" "this process may not set /proc/self/loginuid here"
        fi
else
        flunk "the PAM job ran" "$(cat "$T/run.out"; log_tail pam)"
fi

# session order: open, the job, its end, close, as cron holds the session around the job
: >"$T/out/sessions"
chmod 666 "$T/out/sessions"
run_line 3
want="open_session $UA cron cron
job $UA
job end
close_session $UA cron cron"
if wait_until 10 eval '[ "$(cat "$T/out/sessions")" = "$want" ]'; then
        pass "the session opens before the job and closes after it ends"
else
        flunk "the session opens before the job and closes after it ends" "got:"$'\n'"$(cat "$T/out/sessions")"
fi

# an expired account runs nothing, and the log says why
run_line 2
rc=$?
check "tockctl run of an expired account's job fails" test "$rc" != 0
if grep -q "PAM's account check: User account has expired" "$T/run.out"; then pass "and says what PAM said"
else flunk "and says what PAM said" "$(cat "$T/run.out")"; fi
if wait_log 10 pam "$S:2 ($UX) failed before running: PAM's account check: User account has expired"; then
        pass "the log says the account check refused it"
else flunk "the log says the account check refused it" "$(log_tail pam)"; fi
check "nothing of it ran" test ! -e "$T/out/x"
"${TOCKCTL:-build/tockctl}" --socket "$D/tockd.sock" why "$S:2" >"$T/why.out" 2>&1
if grep -q "PAM's account check: User account has expired" "$T/why.out"; then pass "tockctl why says so too"
else flunk "tockctl why says so too" "$(cat "$T/why.out")"; fi

# the job's exit status and signal come through the session holder
run_line 4
check "the job's exit status (3) is the run's" test "$?" = 3
wait_until 10 eval 'grep -q "$S:4 ($UA) ended: pid [0-9]*, exit status 3," "$D/log"' && pass "the log has exit status 3" ||
        flunk "the log has exit status 3" "$(log_tail pam)"
run_line 5
rc=$?
check "a job killed by SIGTERM: tockctl run says so (exit 143)" test "$rc" = 143
wait_until 10 eval 'grep -q "$S:5 ($UA) ended: pid [0-9]*, killed by signal 15" "$D/log"' && pass "the log has the signal" ||
        flunk "the log has the signal" "$(log_tail pam)"

# a timeout ends the job's process group; the session still closes
: >"$T/out/sessions"
put "$D/cron.d/timeout" <<EOF
[sec:*/3 timeout:1s] * * * * * $UA sleep 30; echo "not killed" >> $T/out/timeout
EOF
if wait_log 15 pam "$D/cron.d/timeout:1 ($UA) ended: pid" && grep -q "killed by signal 15 (Terminated) at its timeout" "$D/log"; then
        pass "a PAM job is ended at its timeout"
else flunk "a PAM job is ended at its timeout" "$(log_tail pam)"; fi
rm -f "$D/cron.d/timeout"
if wait_until 10 grep -q "close_session $UA" "$T/out/sessions"; then
        pass "and its session is closed"
else flunk "and its session is closed" "$(cat "$T/out/sessions"; log_tail pam)"; fi
check "the job was killed, not left to finish" test ! -e "$T/out/timeout"
# a burst: 20 PAM jobs due at the same second all run, each in its own session
: >"$T/out/sessions"
: >"$T/out/burst"
chmod 666 "$T/out/burst"
for i in $(seq 1 20); do echo "[sec:*/2] * * * * * $UA echo $i >> $T/out/burst"; done | put "$D/cron.d/burst"
if wait_until 20 has_lines "$T/out/burst" 40; then
        rm -f "$D/cron.d/burst"
        check "20 PAM jobs due at once all run" test "$(sort -un "$T/out/burst" | wc -l)" = 20
        # every session opened is closed once the runs have ended
        wait_until 30 eval '[ "$(grep -c "^open_session" "$T/out/sessions")" = "$(grep -c "^close_session" "$T/out/sessions")" ]'
        check "every session opened is closed" test "$(grep -c "^open_session" "$T/out/sessions")" = \
                "$(grep -c "^close_session" "$T/out/sessions")"
else
        rm -f "$D/cron.d/burst"
        flunk "20 PAM jobs due at once all run" "$(wc -l <"$T/out/burst") lines; $(log_tail pam)"
fi
check "no PAM run failed to start" test "$(log_count pam "burst:")" -gt 0 -a "$(grep -c "burst:.*failed before running" "$D/log")" = 0
# a PAM module that takes its time delays its own job only: 5 jobs of $UA due at the same second
# as a job of $UB, whose session takes 4 s to open, start at once
put "$D/cron.d/slow" <<EOF
[sec:*/15] * * * * * $UB echo b >> $T/out/slow.b
EOF
for i in 1 2 3 4 5; do echo "[sec:*/15] * * * * * $UA echo a >> $T/out/slow.a"; done >>"$D/cron.d/slow"
ms_of() { local ts; ts=$(cut -c1-23 <<<"$1"); echo $(($(date -d "$ts" +%s%N) / 1000000)); }
if wait_until 25 nonempty "$T/out/slow.b"; then
        rm -f "$D/cron.d/slow"
        tb=$(ms_of "$(grep -m1 "slow:1 ($UB) started" "$D/log")")
        late=0
        while read -r line; do
                [ $(( $(ms_of "$line") )) -le $((tb - 2500)) ] || late=$((late + 1))
        done < <(grep "slow:[2-6] ($UA) started" "$D/log" | head -n 5)
        check "5 jobs due with one whose PAM session takes 4 s: all 5 started at once" test "$late" = 0 -a \
                "$(grep -c "slow:[2-6] ($UA) started" "$D/log")" -ge 5
else
        rm -f "$D/cron.d/slow"
        flunk "the job with the slow PAM session runs" "$(log_tail pam)"
fi
# the spawner dies while a PAM job runs: the job's session holder comes to tockd, which sees the
# run end when the holder does (as the job did)
: >"$T/out/sessions"
put "$D/cron.d/lost" <<EOF
[sec:*/20] * * * * * $UA sleep 3
EOF
if wait_log 25 pam "cron.d/lost:1 ($UA) started pid"; then
        rm -f "$D/cron.d/lost"
        jpid=$(grep -m1 "cron.d/lost:1 ($UA) started pid" "$D/log" | sed 's/.*started pid \([0-9]*\).*/\1/')
        spid=$(sed -n 's/.*debug: spawner started, pid \([0-9]*\).*/\1/p' "$D/log" | tail -n 1)
        kill -KILL "$spid"
        wait_log 10 pam "the spawner process died; starting a new one" || flunk "tockd notices the spawner died" "$(log_tail pam)"
        if wait_log 15 pam "cron.d/lost:1 ($UA) ended: pid $jpid, exit status 0"; then
                pass "a PAM job whose spawner died: its end is still seen (through its session holder)"
        else flunk "a PAM job whose spawner died: its end is still seen" "$(log_tail pam)"; fi
        check "and its session was closed" grep -q "close_session $UA" "$T/out/sessions"
else
        rm -f "$D/cron.d/lost"
        flunk "the job of the lost spawner starts" "$(log_tail pam)"
fi
td_stop pam
check "tockd exits 0" test "${TD_RC[pam]}" = 0

section "on_stop=term reaches a run whose start was still on its way"
# $UB's session takes 4 s to open: tockd is stopped meanwhile, the run's start comes after the
# stop began, and SIGTERM must reach it then (not only at stop_timeout, 60 s here)
P=$T/stopterm
td_prepare stopterm
mkdir -p "$P/pam.d"
cp "$D/pam.d/cron" "$P/pam.d/cron"
: >"$T/out/sessions"
put "$P/cron.d/t" <<EOF
[sec:*/20] * * * * * $UB sleep 30
EOF
td_start stopterm --set jobs.on_stop=term --set jobs.stop_timeout=60 || { finish; exit; }
if wait_until 25 grep -q "open_session $UB" "$T/out/sessions"; then
        td_signal stopterm TERM # while the session opens
        if wait_until 20 gone "${TD_PID[stopterm]}"; then
                pass "tockd stops at once (on_stop=term), not at stop_timeout"
        else flunk "tockd stops at once (on_stop=term), not at stop_timeout" "$(log_tail stopterm)"; fi
        check "the run that started during the stop was ended by SIGTERM" \
                log_has stopterm "cron.d/t:1 ($UB) ended: pid $(job_pid stopterm "cron.d/t:1 ($UB)"), killed by signal 15"
        check "not by the stop timeout's SIGKILL" eval '! log_has stopterm "stop timeout: killing"'
else
        flunk "the job with the slow PAM session starts to open it" "$(log_tail stopterm)"
fi
td_stop stopterm

section "without the service, or for a single table (containers), no PAM"
N=$T/nopam
td_prepare nopam
put "$N/cron.d/t" <<EOF
[sec:*/1] * * * * * $UA echo "\${TOCK_PAM_VAR:-none}" > $T/out/n.tmp && mv $T/out/n.tmp $T/out/n
EOF
td_start nopam || { finish; exit; }
check "tockd says jobs run without PAM, and why" log_has nopam "jobs run without PAM: the system has no such PAM service"
if wait_until 10 nonempty "$T/out/n"; then
        check "the job runs, with no pam_env variable" test "$(cat "$T/out/n")" = none
else flunk "the job runs" "$(log_tail nopam)"; fi
td_stop nopam

C=$T/single
td_prepare single
mkdir -p "$C/pam.d"
cp "$D/pam.d/cron" "$C/pam.d/cron"
put "$C/table" <<EOF
[sec:*/1] * * * * * echo "\${TOCK_PAM_VAR:-none}" > $T/out/s.tmp && mv $T/out/s.tmp $T/out/s
EOF
: >"$T/out/sessions"
td_start single --table "$C/table" || { finish; exit; }
if wait_until 10 nonempty "$T/out/s"; then
        check "a --table job runs without PAM" test "$(cat "$T/out/s")" = none
        check "and opens no session" test ! -s "$T/out/sessions"
else flunk "the --table job runs" "$(log_tail single)"; fi
td_stop single

finish
