#!/usr/bin/env bash
# Attacks through the file system (issue 10); each check fails when the attack works.
#
# A member of the spool's group can write in a Debian-style spool (1730 root:crontab, so that
# a setgid crontab(1) can): $M, in group $G, plants files, symlinks, hard links and FIFOs
# named after $V, who has a log file of V's own (mode 0644) whose lines M can influence (an app
# log of what its users sent). None of it may become V's table, show M or V what is not theirs,
# change a file through a link, or stall tockd. The state directory, where the previous versions
# of users' tables are kept, is tried the same way when it is misconfigured writable by the group.
# Root only (it creates a group and users, removed again by the EXIT trap).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tockd-lib.sh"
. "$(dirname "$0")/tockctl-lib.sh"
export TZ=UTC

tc_need_binaries "attacks through links"
$IS_ROOT || td_skip_all "attacks through links" "needs root to create a group and users"
for tool in useradd groupadd usermod setpriv mkfifo; do
        command -v "$tool" >/dev/null || td_skip_all "attacks through links" "needs $tool"
done

M=tocktest$$m V=tocktest$$v W=tocktest$$w G=tocktest$$g
if ! groupadd "$G"; then
        flunk "the group $G is created" "groupadd failed"
        finish
        exit
fi
CLEAN_GROUPS+=("$G")
if ! { tc_user "$M" && tc_user "$V" && tc_user "$W" && usermod -a -G "$G" "$M"; }; then
        flunk "test users are created" "useradd failed"
        finish
        exit
fi
mkdir -p "$T/tt"
chmod 755 "$T/tt"
tc_start lk || { finish; exit; }
P=$T/lk
SPOOL=$P/spool STATE=$P/state
chgrp "$G" "$SPOOL" && chmod 1730 "$SPOOL"

# lacks FILE PATTERN: no line of FILE matches PATTERN (a file that is there)
lacks() { [ -e "$1" ] && ! grep -q -- "$2" "$1"; }
# root's every-second job: tockd is alive and not stalled
printf 'MAILTO=""\n[sec:*/1] * * * * * echo ran >> %s\n' "$T/shared/root.ran" >"$T/tt/root"
ctl "" install "$T/tt/root"
want "root installs a table that runs every second" 0 out "installed the table of root"
canary_runs() { local n; n=$(nlines "$T/shared/root.ran"); wait_until 10 has_lines "$T/shared/root.ran" $((n + 2)); }
not_as() { ! as "$@" 2>/dev/null; }

# V's app log: V's, 0644, whose lines come from what outsiders sent (here, all of it: a valid
# table, so that only tockd's checks stand between it and running as V)
mkdir -p "$T/home/$V/app"
printf 'MAILTO=""\n[sec:*/1] * * * * * id -un >> %s # GET /index.html\n' "$T/shared/pwned" >"$T/home/$V/app/app.log"
chown -R "$V:$(id -gn "$V")" "$T/home/$V/app"
chmod 644 "$T/home/$V/app/app.log"
LOG_SUM=$(md5sum <"$T/home/$V/app/app.log")
# a file of root's that no one else may read or change
(umask 077 && echo "root's secret" >"$T/rootfile")

section "the spool is Debian's: $M may write in it, not replace $V's files"
check "$M (in $G) can create a file in the 1730 spool" as "$M" touch "$SPOOL/.probe"
rm -f "$SPOOL/.probe"
check "$M cannot list the spool" not_as "$M" ls "$SPOOL"

section "a hard link to $V's log, named $V"
# With fs.protected_hardlinks=0 (some containers, older systems) M may link any file it can
# see; where the kernel forbids it, root makes the same link here on M's behalf.
if ! as "$M" ln "$T/home/$V/app/app.log" "$SPOOL/$V" 2>/dev/null; then
        ln "$T/home/$V/app/app.log" "$SPOOL/$V"
fi
check "the link is in the spool, owned by $V, mode 0644, 2 links" \
        test "$(stat -c %U:%a:%h "$SPOOL/$V")" = "$V:644:2"
check "tockd refuses it: more than one hard link" \
        wait_log 10 lk "$SPOOL/$V: refused: it has more than one hard link"
check "root's every-second job runs on" canary_runs
check "the log's line did not run as $V" test ! -e "$T/shared/pwned"
ctl "$V" list
want "$V's tockctl list does not show the log as a table" - !out "GET /index.html" err "a hard link"
ctl "" reload
check "root's every-second job runs on" canary_runs
check "nor after a reload" test ! -e "$T/shared/pwned"
rm -f "$SPOOL/$V"

section "a symlink to $V's log, and one to root's file, named $V"
as "$M" ln -s "$T/home/$V/app/app.log" "$SPOOL/$V"
check "tockd refuses the symlink" wait_log 10 lk "$SPOOL/$V: refused: it is a symlink"
check "root's every-second job runs on" canary_runs
check "the log's line did not run as $V" test ! -e "$T/shared/pwned"
ctl "$V" list
want "$V's tockctl list does not follow the symlink" - !out "GET /index.html" err "a symlink"
as "$M" rm -f "$SPOOL/$V"
as "$M" ln -s "$T/rootfile" "$SPOOL/$V"
ctl "$V" list
want "$V's tockctl list does not show root's file through the link" - !out "secret" err "a symlink"
ctl "$V" remove
check "$V's tockctl remove does not remove root's file through the link" \
        test "$(cat "$T/rootfile" 2>/dev/null)" = "root's secret"
ctl "$V" restore
want "nor is the link kept as $V's previous version" - !out "restored" !err "secret"
as "$M" rm -f "$SPOOL/$V" 2>/dev/null
as "$M" ln -s "$T/home/$V/app/app.log" "$SPOOL/$V"
printf 'MAILTO=""\n# the table of %s\n[name:v-job] 0 0 1 1 * true\n' "$V" >"$T/tt/$V"
chmod 644 "$T/tt/$V"
ctl "$V" install "$T/tt/$V"
want "$V installs a table over the planted symlink" 0 out "installed the table of $V"
check "the install wrote nothing through the symlink ($V's log unchanged)" \
        test "$(md5sum <"$T/home/$V/app/app.log")" = "$LOG_SUM"
check "the spool now holds $V's own regular file, 0600" test "$(stat -c %F:%U:%a "$SPOOL/$V")" = "regular file:$V:600"

section "$M replaces or imitates $V's table"
as "$M" rm -f "$SPOOL/$V" 2>/dev/null
as "$M" mv -f "$SPOOL/$V" "$SPOOL/gone" 2>/dev/null
check "$M can neither remove nor rename $V's table (the sticky bit)" test "$(stat -c %U "$SPOOL/$V")" = "$V"
# M plants a table of M's under the name of $W, who has none
as "$M" sh -c "printf '[sec:*/1] * * * * * id -un >> %s\n' '$T/shared/pwned' > '$SPOOL/$W'"
check "a table of $M's named $W is refused" wait_log 10 lk "$SPOOL/$W: refused: not owned by the user it is named after"
check "root's every-second job runs on" canary_runs
check "... and did not run (as $W or anyone)" test ! -e "$T/shared/pwned"
as "$M" rm -f "$SPOOL/$W"

section "a FIFO named after a user"
ctl "$V" remove
want "$V removes their table" 0
as "$M" mkfifo "$SPOOL/$V"
check "tockd refuses the FIFO" wait_log 10 lk "$SPOOL/$V: refused: not a regular file"
check "tockd is not stalled by it: root's every-second job runs on" canary_runs
ctl "$V" list
want "$V's tockctl list does not block on it" - !out "."
as "$M" rm -f "$SPOOL/$V"

section "the state directory"
check "$M cannot create anything in tockd's state directory ($(stat -c %a "$STATE"))" not_as "$M" touch "$STATE/x"
printf 'MAILTO=""\n# the second table of %s\n' "$V" >"$T/tt/$V.b"
chmod 644 "$T/tt/$V.b"
ctl "$V" install "$T/tt/$V"
ctl "$V" install "$T/tt/$V.b"
want "$V installs twice: the first is kept" 0
check "the kept version is $V's, 0600, in a 0700 directory of root's" \
        test "$(stat -c %U:%a "$STATE/previous/$V"):$(stat -c %U:%a "$STATE/previous")" = "$V:600:root:700"
# misconfigured: the state directory writable by the group. M swaps `previous` for a symlink to
# a directory of M's, where M has planted a "previous version" of V's: a link to V's log.
chgrp "$G" "$STATE" && chmod 775 "$STATE"
mkdir -p "$T/home/$M/prev"
chown "$M" "$T/home/$M/prev"
as "$M" mv "$STATE/previous" "$STATE/previous.old"
as "$M" ln -s "$T/home/$M/prev" "$STATE/previous"
ln "$T/home/$V/app/app.log" "$T/home/$M/prev/$V" 2>/dev/null # on M's behalf, as above
ctl "$V" restore
want "$V's restore refuses a state directory others may write" - !out "restored" \
        err "tockd's state directory $STATE is not safe"
check "tockd says why" log_has lk "$STATE: writable by group or others (chmod go-w it)"
check "nothing of the log became $V's table" lacks "$SPOOL/$V" "GET /index.html"
ctl "$V" install "$T/tt/$V"
want "$V can still install (the version is not kept)" 0 out "installed the table of $V"
check "no version of $V's was written into $M's directory" test "$(ls "$T/home/$M/prev")" = "$V"
chmod 755 "$STATE"
ctl "$V" restore
want "with the directory fixed, previous is still a symlink: refused" - !out "restored" \
        err "tockd's state directory $STATE is not safe"
check "tockd says why" log_has lk "$STATE/previous: not a directory (a symlink?)"
check "$V's log is unchanged through it all" test "$(md5sum <"$T/home/$V/app/app.log")" = "$LOG_SUM"
check "root's every-second job runs on" canary_runs
check "no planted line ever ran" test ! -e "$T/shared/pwned"

check "tockd is alive, no sanitizer report in its log" tc_alive lk
td_stop lk
finish
