#!/usr/bin/env bash
# tockd and its tables: jobs fire at their second, tables are picked up (new, renamed over,
# rewritten in place, deleted, in the spool, /etc/crontab created late), a broken edit keeps the
# old table, cron's rules on which files count, '%' input, double-forking jobs leave no zombie,
# job output is bounded. One tockd instance ("main") runs all of it; as non-root the system
# tables name your own user and are owned by you, which tockd accepts when it is not root.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tockd-lib.sh"
export TZ=UTC

td_require_tockd "tockd tables"
td_require_home "tockd tables"

D=$T/main
td_prepare main
# the even-second job runs for the whole script; its record is checked at the end (check 1)
put "$D/cron.d/even" <<EOF
[sec:*/2] * * * * * $ME date +\%s >> $T/even.out
EOF
mkfifo "$D/cron.d/fifo" # opened without blocking, and refused
# a variable in tockd's own environment, which no job may see (cron's jobs get a clean one)
TD_PREFIX=(env TOCK_LEAK_MARKER=leaked)
td_start main --set jobs.max_output=1K || { finish; exit; }
TD_PREFIX=()
check "tockd loads cron.d/even at start" log_has main "$D/cron.d/even: loaded, 1 job"
check "a FIFO in cron.d is refused at start, without blocking tockd" log_has main "$D/cron.d/fifo: refused: not a regular file"
rm -f "$D/cron.d/fifo"

# ---- 2. tables are picked up within a deadline
section "2. tables are picked up"
put "$D/cron.d/new" <<EOF
[sec:*/1] * * * * * $ME echo v1 >> $T/new.out
EOF
if wait_until 10 file_has_line "$T/new.out" v1; then pass "a new cron.d file runs within 10 s"
else flunk "a new cron.d file runs within 10 s" "$(log_tail main)"; fi

# an edit by rename: written beside, then moved over the old name
printf '[sec:*/1] * * * * * %s echo v2 >> %s/new.out\n' "$ME" "$T" >"$T/new.tmp"
mv -f "$T/new.tmp" "$D/cron.d/new"
if wait_until 10 file_has_line "$T/new.out" v2; then pass "an edit by rename is picked up within 10 s"
else flunk "an edit by rename is picked up within 10 s" "$(log_tail main)"; fi

# an in-place rewrite: the same inode truncated and written again
printf '[sec:*/1] * * * * * %s echo v3 >> %s/new.out\n' "$ME" "$T" >"$D/cron.d/new"
if wait_until 10 file_has_line "$T/new.out" v3; then pass "an in-place rewrite is picked up within 10 s"
else flunk "an in-place rewrite is picked up within 10 s" "$(log_tail main)"; fi

# a deletion: the jobs stop
rm -f "$D/cron.d/new"
if wait_log 10 main "$D/cron.d/new: removed, its jobs are dropped"; then pass "a deleted table is dropped (log)"
else flunk "a deleted table is dropped (log)" "$(log_tail main)"; fi
settle 1 # a run started just before the deletion may still be writing
n_before=$(nlines "$T/new.out")
settle 3
n_after=$(nlines "$T/new.out")
if [ "$n_before" = "$n_after" ]; then pass "no run of a deleted table in 3 s"
else flunk "no run of a deleted table in 3 s" "new.out grew from $n_before to $n_after lines"; fi
if sed -n "\|$D/cron.d/new: removed|,\$p" "$D/log" | grep -qF "$D/cron.d/new:1 ($ME) started"; then
        flunk "the log shows no start of a deleted table's job" "$(log_tail main)"
else pass "the log shows no start of a deleted table's job"; fi
# each version replaced the one before: once v2 ran, v1 never did again, and so on
if [ "$(uniq "$T/new.out" | tr '\n' ' ')" = "v1 v2 v3 " ]; then pass "each edit replaced the previous version's job"
else flunk "each edit replaced the previous version's job" "runs were: $(uniq -c "$T/new.out" | tr '\n' ' ')"; fi

# a user's table in the spool: owned by the user, mode 600, no user field
put "$D/spool/$ME" 600 "$ME" <<EOF
[sec:*/1] * * * * * echo spool >> $T/spool.out
EOF
if wait_until 10 nonempty "$T/spool.out"; then pass "a spool table of user $ME runs within 10 s"
else flunk "a spool table of user $ME runs within 10 s" "$(log_tail main)"; fi
check "its job runs as the table's owner (log)" log_has main "$D/spool/$ME:1 ($ME) started"
rm -f "$D/spool/$ME"
wait_log 10 main "$D/spool/$ME: removed" || flunk "a removed spool table is dropped" "$(log_tail main)"

# the system table at --crontab, which did not exist when tockd started
put "$D/crontab" <<EOF
SHELL=/bin/sh
[sec:*/1] * * * * * $ME echo crontab >> $T/crontab.out
EOF
if wait_until 10 nonempty "$T/crontab.out"; then pass "a system table created at --crontab after start runs within 10 s"
else flunk "a system table created at --crontab after start runs within 10 s" "$(log_tail main)"; fi
rm -f "$D/crontab"
wait_log 10 main "$D/crontab: removed" || flunk "the removed --crontab is dropped" "$(log_tail main)"

# ---- 3. a broken edit keeps the old table
section "3. a broken edit keeps the previous version"
put "$D/cron.d/keep" <<EOF
[sec:*/1] * * * * * $ME echo keep >> $T/keep.out
EOF
wait_until 10 nonempty "$T/keep.out" || flunk "cron.d/keep runs" "$(log_tail main)"
put "$D/cron.d/keep" <<EOF
[sec:*/1] * * * * * $ME echo broken >> $T/broken.out
61 * * * * $ME echo broken >> $T/broken.out
EOF
if wait_log 10 main "$D/cron.d/keep:2:1: error: minute 61 is out of range"; then
        pass "the syntax error is logged as file:line:col"
else flunk "the syntax error is logged as file:line:col" "$(log_tail main)"; fi
if wait_log 10 main "$D/cron.d/keep: refused with errors, keeping the previous version (1 job"; then
        pass "the log says the previous version is kept"
else flunk "the log says the previous version is kept" "$(log_tail main)"; fi
n=$(nlines "$T/keep.out")
if wait_until 10 has_lines "$T/keep.out" $((n + 2)); then pass "the previous version's job keeps running"
else flunk "the previous version's job keeps running" "keep.out stayed at $n lines; $(log_tail main)"; fi
if [ -e "$T/broken.out" ]; then flunk "no line of the refused version runs" "broken.out exists"
else pass "no line of the refused version runs"; fi
rm -f "$D/cron.d/keep"

# ---- 4. cron's rules on which files count
section "4. which files count as tables"
good_line="[sec:*/1] * * * * * $ME echo refused >> $T/refused.out"
printf '%s\n' "$good_line" | put "$D/cron.d/foo.dpkg-old"
printf '%s\n' "$good_line" | put "$D/cron.d/bar~"
printf '%s\n' "$good_line" | put "$D/cron.d/gw" 664
printf '%s\n' "$good_line" | put "$D/cron.d/ow" 646
user_line="[sec:*/1] * * * * * echo refused >> $T/refused.out"
# a spool file named after one user (root, or nobody when we are root) and owned by another
if $IS_ROOT; then other=nobody; else other=root; fi
printf '%s\n' "$user_line" | put "$D/spool/$other" 600
printf '%s\n' "$user_line" >"$T/target.cron"
chmod 600 "$T/target.cron"
ln -s "$T/target.cron" "$D/spool/$ME"
nouser=tocknouser$$
printf '%s\n' "$user_line" | put "$D/spool/$nouser" 600
for f in foo.dpkg-old 'bar~'; do
        if wait_log 10 main "$D/cron.d/$f: skipped: only names of letters, digits, '_' and '-' count in cron.d"; then
                pass "cron.d/$f is skipped (log)"
        else flunk "cron.d/$f is skipped (log)" "$(log_tail main)"; fi
done
for f in gw ow; do
        if wait_log 10 main "$D/cron.d/$f: refused: writable by group or others"; then
                pass "a group- or world-writable cron.d/$f is refused with the reason"
        else flunk "a group- or world-writable cron.d/$f is refused with the reason" "$(log_tail main)"; fi
done
if wait_log 10 main "$D/spool/$other: refused: not owned by the user it is named after"; then
        pass "a spool file owned by the wrong user is refused"
else flunk "a spool file owned by the wrong user is refused" "$(log_tail main)"; fi
if wait_log 10 main "$D/spool/$ME: refused: it is a symlink"; then pass "a symlink in the spool is refused"
else flunk "a symlink in the spool is refused" "$(log_tail main)"; fi
if wait_log 10 main "$D/spool/$nouser: refused: no such user"; then
        pass "a spool file named after a nonexistent user is refused"
else flunk "a spool file named after a nonexistent user is refused" "$(log_tail main)"; fi
# a world-writable table also stops counting when it is made so after it was accepted
printf '%s\n' "[sec:*/1] * * * * * $ME echo late >> $T/late.out" | put "$D/cron.d/late"
wait_until 10 nonempty "$T/late.out" || flunk "cron.d/late runs" "$(log_tail main)"
chmod o+w "$D/cron.d/late"
if wait_log 10 main "$D/cron.d/late: refused: writable by group or others"; then
        pass "chmod o+w on a loaded table gets it refused"
else flunk "chmod o+w on a loaded table gets it refused" "$(log_tail main)"; fi
wait_log 10 main "$D/cron.d/late: its jobs are dropped" || flunk "chmod o+w drops the table's jobs" "$(log_tail main)"
settle 1
n=$(nlines "$T/late.out")
# two more even-second runs: at least two seconds in which refused tables could have run
m=$(nlines "$T/even.out")
wait_until 10 has_lines "$T/even.out" $((m + 2)) || flunk "cron.d/even keeps running" "$(log_tail main)"
if [ -e "$T/refused.out" ]; then flunk "no skipped or refused table ever ran" "refused.out: $(head -3 "$T/refused.out")"
else pass "no skipped or refused table ever ran"; fi
if [ "$(nlines "$T/late.out")" = "$n" ]; then pass "a table refused after chmod o+w stops running"
else flunk "a table refused after chmod o+w stops running" "late.out grew"; fi
rm -f "$D/cron.d/foo.dpkg-old" "$D/cron.d/bar~" "$D/cron.d/gw" "$D/cron.d/ow" "$D/cron.d/late" "$D/spool/$other" \
        "$D/spool/$ME" "$D/spool/$nouser"

# ---- the job's environment is cron's, not tockd's
section "a job's environment"
put "$D/cron.d/env" <<EOF
[sec:*/1] * * * * * $ME env > $T/env.tmp && mv -f $T/env.tmp $T/env.out
EOF
if wait_until 10 nonempty "$T/env.out"; then
        rm -f "$D/cron.d/env"
        if grep -q TOCK_LEAK_MARKER "$T/env.out"; then flunk "a job does not inherit tockd's environment" "$(cat "$T/env.out")"
        else pass "a job does not inherit tockd's environment"; fi
        for v in HOME LOGNAME USER SHELL PATH; do
                check "a job's environment has $v" grep -q "^$v=" "$T/env.out"
        done
else
        flunk "the env job runs" "$(log_tail main)"
        rm -f "$D/cron.d/env"
fi

# ---- 6. '%' input
section "6. % in the command is standard input"
put "$D/cron.d/pct" <<EOF
[sec:*/1] * * * * * $ME cat > $T/in.tmp%line1%line2
EOF
if wait_until 10 nonempty "$T/in.tmp"; then
        rm -f "$D/cron.d/pct"
        wait_log 10 main "$D/cron.d/pct: removed"
        settle 1 # the last run ends
        if cmp -s "$T/in.tmp" <(printf 'line1\nline2'); then pass "a job 'cat > F%line1%line2' gets line1, newline, line2"
        else flunk "a job 'cat > F%line1%line2' gets line1, newline, line2" "got: $(od -c "$T/in.tmp" | head -3)"; fi
else
        flunk "a job 'cat > F%line1%line2' gets line1, newline, line2" "it never ran; $(log_tail main)"
        rm -f "$D/cron.d/pct"
fi

# ---- 7. double-forking jobs leave no zombie
section "7. a job that double-forks leaves no zombie"
put "$D/cron.d/df" <<EOF
[sec:*/1] * * * * * $ME test -e $T/df.pid || sh -c 'sleep 6 >/dev/null 2>&1 & echo \$! > $T/df.pid'; exit 0
EOF
if wait_until 10 nonempty "$T/df.pid"; then
        rm -f "$D/cron.d/df"
        gpid=$(cat "$T/df.pid")
        CLEAN_PIDS+=("$gpid")
        # its parent (the inner sh) is gone at once: the grandchild is re-parented to the nearest
        # child subreaper, tockd or the spawner process it forks jobs from
        family=" ${TD_PID[main]} $(children_of "${TD_PID[main]}" | tr '\n' ' ')"
        if wait_until 5 eval 'case "$family" in *" $(proc_ppid "$gpid") "*) true ;; *) false ;; esac'; then
                pass "the orphaned grandchild is re-parented to tockd or its spawner (a child subreaper)"
        else
                flunk "the orphaned grandchild is re-parented to tockd or its spawner (a child subreaper)" \
                        "its parent is '$(proc_ppid "$gpid")'; tockd and its children are:$family"
        fi
        if wait_until 15 gone_for_good "$gpid"; then forget "$gpid"; pass "the grandchild is reaped when it ends"
        else flunk "the grandchild is reaped when it ends" "pid $gpid state $(proc_state "$gpid")"; fi
        if wait_until 5 no_zombies_in_family "${TD_PID[main]}"; then pass "no zombie children of tockd or its spawner"
        else flunk "no zombie children of tockd or its spawner" "zombies: $(family_zombies "${TD_PID[main]}" | tr '\n' ' ')"; fi
else
        flunk "the double-forking job runs" "$(log_tail main)"
        rm -f "$D/cron.d/df"
fi

# ---- 11. job output is bounded by jobs.max_output (1K here)
section "11. job output is logged up to jobs.max_output"
put "$D/cron.d/chatty" <<EOF
[sec:*/1] * * * * * $ME test -e $T/chatty.done || { touch $T/chatty.done; yes 0123456789abcdefghijklmnopqrstuvwxyz | head -c 204800; }
EOF
if wait_log 10 main "$D/cron.d/chatty:1 ($ME) output past 1024 bytes dropped"; then
        rm -f "$D/cron.d/chatty"
        pass "a job printing 200 KB gets a line saying output was dropped"
        check "its end says the output was cut" grep -qE "$D/cron.d/chatty:1 \($ME\) ended: pid [0-9]+, exit status 0, [0-9]+ ms, output cut" "$D/log"
        logged=$(grep -F "$D/cron.d/chatty:1 ($ME) output: " "$D/log" | sed 's/.* output: //' | wc -c)
        # (wc counts a newline after the last, partial line, which the job did not print)
        if [ "$logged" -le 1025 ] && [ "$logged" -ge 990 ]; then pass "1 KB of its output is logged ($logged bytes)"
        else flunk "about 1 KB of its output is logged" "$logged bytes logged"; fi
        dropped=$(sed -n "s|.*$D/cron.d/chatty:1 ($ME) output past 1024 bytes dropped: \([0-9]*\) bytes.*|\1|p" "$D/log" | head -n 1)
        if [ "$dropped" = $((204800 - 1024)) ]; then pass "the dropped count is exact (203776 bytes)"
        else flunk "the dropped count is exact" "logged 'dropped: $dropped bytes', the job printed 204800 - 1024 = 203776 more"; fi
        check "tockd stays up after the chatty job" alive "${TD_PID[main]}"
        m=$(nlines "$T/even.out")
        check "and keeps running jobs" wait_until 10 has_lines "$T/even.out" $((m + 1))
else
        flunk "a job printing 200 KB gets a line saying output was dropped" "$(log_tail main)"
        rm -f "$D/cron.d/chatty"
fi

# ---- 1. the even-second job: every run at an even second, once
section "1. a [sec:*/2] job fires at the right second"
wait_until 10 has_lines "$T/even.out" 4
secs=$(cat "$T/even.out" 2>/dev/null)
n=$(nlines "$T/even.out")
if [ "$n" -ge 4 ]; then pass "the [sec:*/2] job ran $n times"; else flunk "the [sec:*/2] job ran at least 4 times" "it ran $n times"; fi
odd=$(for s in $secs; do [ $((s % 2)) = 0 ] || echo "$s"; done)
if [ -z "$odd" ]; then pass "every run of [sec:*/2] started at an even second"
else flunk "every run of [sec:*/2] started at an even second" "odd: $odd"; fi
dups=$(printf '%s\n' "$secs" | sort | uniq -d)
if [ -z "$dups" ]; then pass "no second ran twice"; else flunk "no second ran twice" "duplicates: $dups"; fi
gaps=$(printf '%s\n' "$secs" | sort -n | awk 'NR > 1 && $1 - p != 2 { print p " -> " $1 } { p = $1 }')
if [ -z "$gaps" ]; then pass "no even second was skipped"; else flunk "no even second was skipped" "gaps: $gaps"; fi

# ---- the cron.d directory removed and made again (a package purge and reinstall)
section "cron.d removed and created again"
rm -rf "$D/cron.d"
wait_log 10 main "$D/cron.d/even: removed, its jobs are dropped"
mkdir "$D/cron.d"
printf '%s\n' "[sec:*/1] * * * * * $ME echo again >> $T/again.out" | put "$D/cron.d/again"
if wait_until 10 nonempty "$T/again.out"; then pass "a table in a re-created cron.d runs, without SIGHUP"
else flunk "a table in a re-created cron.d runs, without SIGHUP" "$(log_tail main)"; fi

# ---- stop
section "stopping"
if td_stop main; then pass "tockd exits on SIGTERM"; fi
if [ "${TD_RC[main]}" = 0 ]; then pass "with status 0"; else flunk "tockd exits 0 on SIGTERM" "status ${TD_RC[main]}"; fi
check "the log says it stopped" log_has main "info: stopped"
finish
