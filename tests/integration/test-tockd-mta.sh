#!/usr/bin/env bash
# Job output mailed through a real MTA: Debian 12's exim4 (package exim4-daemon-light) is tockd's
# jobs.sendmail and delivers the message into a mailbox file under the test's temp dir.
#
# Nothing is installed and no daemon is started: the package (and any library package it needs
# that is not installed) is fetched with `apt-get download` and unpacked with `dpkg -x` into
# build/tools/exim4 (a cache; the setuid bit is dropped there). tockd runs it as
#   env LD_LIBRARY_PATH=<cache libs> <cache>/usr/sbin/exim4 -C $T/NAME/exim.conf -odi \
#       -FCronDaemon -i -oem -oi -t
# a private configuration (-C, kept with its privileges since the job's owner is root) whose
# spool, log and mailboxes are in $T, delivering in the foreground (-odi, no queue runner) by an
# appendfile transport to $T/mail/LOCALPART, as nobody. exim looks its compiled-in user
# Debian-exim up before it reads any configuration: when that user does not exist, tockd runs in
# a mount namespace of its own whose /etc has passwd and group copies with it added (nothing
# outside changes), or, where namespaces are not allowed, a temporary system user is created
# and removed by the EXIT trap. Root only; skipped when exim cannot be fetched.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tockd-lib.sh"
export TZ=UTC
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=$ROOT/build/tools/exim4
EXIM=$CACHE/usr/sbin/exim4

td_require_tockd "tockd mail by exim"
$IS_ROOT || td_skip_all "tockd mail by exim" "needs root (to fetch exim4 with apt-get, and exim keeps its privileges with -C only for root)"
td_require_home "tockd mail by exim"

# ---- exim4 from Debian's package, unpacked into build/tools/exim4 (never installed)
# fetch PKG...: apt-get download into $T/apt (with one apt-get update if the lists are stale)
fetch() {
        (cd "$T/apt" && apt-get download "$@") >>"$T/apt.log" 2>&1 && return 0
        apt-get update >>"$T/apt.log" 2>&1
        (cd "$T/apt" && apt-get download "$@") >>"$T/apt.log" 2>&1
}
# lib_dirs DIR: the directories under DIR that hold shared libraries, ':'-separated
lib_dirs() { find "$1" -name 'lib*.so*' -printf '%h\n' 2>/dev/null | sort -u | paste -sd: -; }
get_exim() {
        local new=$CACHE.new.$$ deps=() p missing
        [ -x "$EXIM" ] && return 0
        if ! command -v apt-get >/dev/null || ! command -v dpkg >/dev/null; then echo "apt-get or dpkg is missing"; return 1; fi
        mkdir -p "$T/apt" "$new"
        fetch exim4-daemon-light || { echo "apt-get download exim4-daemon-light failed: $(tail -n 2 "$T/apt.log")"; return 1; }
        # the library packages it depends on that this machine lacks are unpacked beside it
        for p in $(dpkg-deb -f "$T"/apt/exim4-daemon-light_*.deb Depends | tr ',|' '\n' | sed 's/(.*//; s/ //g' | grep '^lib'); do
                [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" = installed ] || deps+=("$p")
        done
        if [ ${#deps[@]} -gt 0 ]; then
                fetch "${deps[@]}" || { echo "apt-get download ${deps[*]} failed: $(tail -n 2 "$T/apt.log")"; return 1; }
        fi
        for p in "$T"/apt/*.deb; do dpkg -x "$p" "$new" || { echo "dpkg -x $p failed"; return 1; }; done
        chmod 0755 "$new/usr/sbin/exim4" # no setuid-root binary left in build/
        missing=$(LD_LIBRARY_PATH=$(lib_dirs "$new") ldd "$new/usr/sbin/exim4" | grep 'not found')
        [ -z "$missing" ] || { echo "exim4 still lacks libraries: $missing"; rm -rf "$new"; return 1; }
        mkdir -p "${CACHE%/*}"
        mv -T "$new" "$CACHE" 2>/dev/null || rm -rf "$new" # another run may have won the race
        rm -rf "$T/apt"
        [ -x "$EXIM" ]
}
trap 'rm -rf "$CACHE.new.$$"; td_cleanup' EXIT # a fetch cut short leaves no half-made cache
if ! why=$(get_exim); then
        skip "tockd mail by exim" "exim4 could not be fetched from Debian's archive: $why"
        finish
        exit
fi
SENDMAIL_PREFIX="$(command -v env) LD_LIBRARY_PATH=$(lib_dirs "$CACHE") $EXIM"

# ---- exim's user Debian-exim, looked up before exim reads any configuration: it exists, or
# tockd runs in a mount namespace of its own whose /etc has it, or it is a temporary user.
# The namespace's /etc is $T/ns/etc mounted over /etc: passwd and group are copies with
# Debian-exim added, every other entry a symlink to the real /etc (mounted at $T/ns/real in the
# namespace only). Not a bind mount of the two files alone: a useradd or userdel elsewhere
# replaces /etc/passwd, and that detaches such a mount from every namespace.
ns_prepare() {
        local uid=64990 e
        while getent passwd "$uid" >/dev/null || getent group "$uid" >/dev/null; do uid=$((uid - 1)); done
        mkdir -p "$T/ns/etc" "$T/ns/real"
        for e in /etc/* /etc/.[!.]*; do
                [ -e "$e" ] || [ -L "$e" ] || continue
                case ${e##*/} in
                passwd | group) ;;
                *) if [ -L "$e" ]; then cp -P "$e" "$T/ns/etc/"; else ln -s "$T/ns/real/${e##*/}" "$T/ns/etc/"; fi ;;
                esac
        done
        { getent passwd; echo "Debian-exim:x:$uid:$uid:exim (tock test):/nonexistent:/usr/sbin/nologin"; } >"$T/ns/etc/passwd"
        { getent group; echo "Debian-exim:x:$uid:"; } >"$T/ns/etc/group"
        chmod 755 "$T/ns" "$T/ns/etc" "$T/ns/real"
        chmod 644 "$T/ns/etc/passwd" "$T/ns/etc/group"
        NS=(unshare -m --propagation private -- sh -c \
                'mount --bind /etc "$1/real" && mount --bind "$1/etc" /etc && shift && exec "$@"' sh "$T/ns")
}
if ! getent passwd Debian-exim >/dev/null; then
        ns_prepare
        if "${NS[@]}" getent passwd Debian-exim >/dev/null 2>&1; then
                TD_PREFIX=("${NS[@]}")
        elif command -v useradd >/dev/null && command -v userdel >/dev/null; then
                if ! useradd --system -U -M -d /nonexistent -s /usr/sbin/nologin -c "exim (tock test)" Debian-exim; then
                        skip "tockd mail by exim" "no user Debian-exim (exim's compiled-in user), no mount namespace, and useradd failed"
                        finish
                        exit
                fi
                CLEAN_USERS+=(Debian-exim) # with its group, by the EXIT trap
        else
                skip "tockd mail by exim" "no user Debian-exim (exim's compiled-in user), no mount namespace, no useradd"
                finish
                exit
        fi
fi

# exim_conf NAME [refuse]: $T/NAME/exim.conf, spool and log in $T/NAME/exim; mail for alice or
# root @localhost (or unqualified) is appended to $T/mail/LOCALPART. "refuse": every message is
# rejected by the non-SMTP ACL (exit status 1 with -oem).
exim_conf() {
        local d=$T/$1/exim
        mkdir -p "$d/spool" "$d/log"
        {
                echo "exim_path = $EXIM"
                # as root throughout: with Debian-exim, exim receives as that user and re-execs
                # itself, setuid root, to deliver; the cached copy is not setuid
                echo "exim_user = root"
                echo "exim_group = root"
                echo "spool_directory = $d/spool"
                echo "log_file_path = $d/log/%slog"
                echo "primary_hostname = localhost"
                echo "qualify_domain = localhost"
                echo "domainlist local_domains = localhost : @"
                echo "keep_environment = LD_LIBRARY_PATH" # for exim's own re-exec (bounces)
                if [ "${2:-}" = refuse ]; then
                        echo "acl_not_smtp = refuse"
                        echo "begin acl"
                        echo "refuse:"
                        echo "  deny message = tock test: this exim refuses all mail"
                fi
                echo "begin routers"
                echo "mailbox:"
                echo "  driver = accept"
                echo "  domains = +local_domains"
                echo "  local_parts = alice : root"
                echo "  transport = mbox"
                echo "begin transports"
                echo "mbox:"
                echo "  driver = appendfile"
                echo "  file = $T/mail/\$local_part_data"
                echo "  user = nobody"
                echo "  delivery_date_add"
                echo "  envelope_to_add"
                echo "  return_path_add"
        } >"$T/$1/exim.conf"
        chmod 644 "$T/$1/exim.conf"
}
mkdir -p "$T/mail"
chown nobody "$T/mail"
chmod 755 "$T/mail"
HOST=$(uname -n) # what gethostname() gives tockd

# first_msg MBOX: the first message of an mbox file
first_msg() { awk 'NR > 1 && /^From / { exit } { print }' "$1"; }
mailed() { grep -qxF -- "$2" "$T/mail/$1" 2>/dev/null; }
exim_log() { cat "$T/$1/exim/log/mainlog" 2>/dev/null; }
# mail_runs NAME: "PID STATUS" for each mail run of instance NAME that ended. tockd logs one as
# "TABLE:LINE (USER) started pid N: mail to MAILTO" and "... ended: pid N, exit status S, ..."
mail_runs() {
        local p
        for p in $(sed -n 's/.* started pid \([0-9]*\): mail to .*/\1/p' "$T/$1/log"); do
                sed -n "s/.* ended: pid $p, exit status \([0-9]*\),.*/$p \1/p; s/.* ended: pid $p, killed by.*/$p killed/p" "$T/$1/log"
        done
}
n_mail_runs() { mail_runs "$1" | awk -v s="$2" '$2 == s' | wc -l; } # NAME STATUS
n_mail_failed() { mail_runs "$1" | awk '$2 != 0' | wc -l; }
n_started() { grep -c " started pid [0-9]*: $2\$" "$T/$1/log"; } # NAME COMMAND

# ---- 1. delivered: the job's output, with cron's headers, through exim, into alice's mailbox
section "1. mail delivered by exim to a mailbox"
td_prepare ok
exim_conf ok
put "$T/ok/cron.d/t" <<EOF
MAILTO=alice
[sec:*/2] * * * * * root echo hello real mail
[sec:*/2] * * * * * root true
MAILTO=""
[sec:*/2] * * * * * root echo not mailed
EOF
# ---- 2. refused: exim exits 1; tockd says so and goes on
td_prepare bad
exim_conf bad refuse
put "$T/bad/cron.d/t" <<EOF
MAILTO=alice
[sec:*/2] * * * * * root echo refused mail
EOF
start=$SECONDS
td_start ok --set jobs.sendmail="$SENDMAIL_PREFIX -C $T/ok/exim.conf -odi" || { finish; exit; }
td_start bad --set jobs.sendmail="$SENDMAIL_PREFIX -C $T/bad/exim.conf -odi" || { finish; exit; }

if wait_until 20 mailed alice "hello real mail"; then pass "the mailbox $T/mail/alice holds the job's output"
else flunk "the mailbox $T/mail/alice holds the job's output" "$(ls -l "$T/mail"; exim_log ok | tail -n 5; log_tail ok)"; fi
first_msg "$T/mail/alice" >"$T/msg1"
for h in "Subject: Cron <root@$HOST> echo hello real mail" "Auto-Submitted: auto-generated" "X-Cron-Env: <LOGNAME=root>" \
        "X-Cron-Env: <HOME=/root>" "From: root@localhost (Cron Daemon)" "To: alice@localhost" "hello real mail"; do
        if grep -qxF -- "$h" "$T/msg1"; then pass "the delivered message has '$h'"
        else flunk "the delivered message has '$h'" "message:"$'\n'"$(cat "$T/msg1")"; fi
done
if grep -q "^Received: from root by localhost with local (Exim [0-9.]*)" "$T/msg1" && grep -qx "Envelope-to: alice@localhost" "$T/msg1"; then
        pass "it went through exim (its Received: and Envelope-to: headers)"
else flunk "it went through exim (its Received: and Envelope-to: headers)" "$(head -n 12 "$T/msg1")"; fi
if wait_until 5 eval 'exim_log ok | grep -q " => alice <alice@localhost> R=mailbox T=mbox"'; then
        pass "exim's log shows the delivery (=> alice R=mailbox T=mbox)"
else flunk "exim's log shows the delivery" "$(exim_log ok)"; fi
if exim_log ok | grep -q ' <= root@localhost U=root P=local '; then pass "exim received it locally from root"
else flunk "exim received it locally from root" "$(exim_log ok)"; fi
if wait_log 10 ok "cron.d/t:2 (root) output (16 bytes) handed to sendmail for alice"; then pass "tockd logs the output as mailed"
else flunk "tockd logs the output as mailed" "$(log_tail ok)"; fi
if wait_until 10 eval '[ "$(n_mail_runs ok 0)" -ge 1 ]'; then pass "exim, tockd's mail run, exits 0"
else flunk "exim, tockd's mail run, exits 0" "$(mail_runs ok; grep -F "mail to" "$T/ok/log" | tail -n 5)"; fi

# the silent job and the MAILTO="" job ran (twice, so their mail would have had time to arrive)
if wait_until 15 eval '[ "$(log_count ok "cron.d/t:3 (root) ended")" -ge 2 ] && [ "$(log_count ok "cron.d/t:5 (root) ended")" -ge 2 ]'; then
        pass "the silent job and the MAILTO=\"\" job ran"
else flunk "the silent job and the MAILTO=\"\" job ran" "$(log_tail ok)"; fi
if ! grep -rqF -e "not mailed" -e "Cron <root@$HOST> true" "$T/mail"; then pass "no mail of the silent job nor of the MAILTO=\"\" job"
else flunk "no mail of the silent job nor of the MAILTO=\"\" job" "$(grep -rF -e "not mailed" -e "Cron <root@$HOST> true" "$T/mail")"; fi
if log_has ok "cron.d/t:5 (root) output: not mailed"; then pass "the MAILTO=\"\" job's output is logged instead"
else flunk "the MAILTO=\"\" job's output is logged instead" "$(log_tail ok)"; fi
# (exim's lock files, alice.lock and its hitching post alice.lock.HOST..., are there while it delivers)
if [ "$(ls "$T/mail" | grep -v '^alice\.lock')" = alice ]; then pass "alice's is the only mailbox (no bounce to root)"
else flunk "alice's is the only mailbox (no bounce to root)" "$(ls -l "$T/mail")"; fi
# every message exim delivered is in the mailbox (a delivery may be under way: poll)
same_count() { [ "$(grep -c '^Subject: Cron <root@' "$T/mail/alice")" = "$(exim_log ok | grep -c ' => alice ')" ]; }
if wait_until 5 same_count; then pass "one message in the mailbox per delivery ($(grep -c '^Subject: Cron <root@' "$T/mail/alice"))"
else flunk "one message in the mailbox per delivery" "$(grep -c '^Subject: Cron <root@' "$T/mail/alice") messages, $(exim_log ok | grep -c ' => alice ') deliveries"; fi
if [ "$(n_mail_failed ok)" = 0 ] && ! log_has ok "cannot mail"; then pass "tockd's log records no mail failure ($(n_mail_runs ok 0) mail runs, all exit 0)"
else flunk "tockd's log records no mail failure" "$(mail_runs ok; grep -F "cannot mail" "$T/ok/log")"; fi
if ! grep -qE ' (warning|error|crit|alert|emerg): ' "$T/ok/log"; then pass "tockd's log has no warning nor error"
else flunk "tockd's log has no warning nor error" "$(grep -E ' (warning|error|crit|alert|emerg): ' "$T/ok/log" | head -n 5)"; fi
if [ ! -s "$T/ok/exim/log/paniclog" ] && ! exim_log ok | grep -qE ' (\*\*|==) '; then pass "exim logged no failure nor deferral"
else flunk "exim logged no failure nor deferral" "$(cat "$T/ok/exim/log/"*)"; fi

section "2. mail refused by exim"
if wait_until 20 eval '[ "$(n_mail_runs bad 1)" -ge 1 ]'; then
        p=$(mail_runs bad | awk '$2 == 1 { print $1; exit }')
        pass "tockd logs the failed mail run:"$'\n'"$(grep -E " (started|ended:) pid ${p}[:,]" "$T/bad/log" | sed 's/^/#   /')"
else flunk "tockd logs the failed mail run (exit status 1)" "$(log_tail bad)"; fi
if log_has bad "cron.d/t:2 (root) output (13 bytes) handed to sendmail for alice"; then pass "the job's output was handed to exim"
else flunk "the job's output was handed to exim" "$(log_tail bad)"; fi
if wait_log 10 bad "cron.d/t:2 (root) mail to alice failed: sendmail exited with status 1; the output is lost"; then
        pass "tockd says the mail failed, and that the output is lost"
else flunk "tockd says the mail failed, and that the output is lost" "$(log_tail bad)"; fi
if exim_log bad | grep -q "F=<root@localhost> rejected by non-SMTP ACL: tock test: this exim refuses all mail"; then
        pass "exim refused it (its log)"
else flunk "exim refused it (its log)" "$(exim_log bad)"; fi
if ! grep -rqF "refused mail" "$T/mail"; then pass "the refused mail is in no mailbox"
else flunk "the refused mail is in no mailbox" "$(ls -l "$T/mail")"; fi
# shellcheck disable=SC2034 # k and f are read by the eval'd conditions
k=$(n_started bad "echo refused mail") f=$(n_mail_failed bad)
if wait_until 10 eval '[ "$(n_started bad "echo refused mail")" -gt "$k" ]'; then
        pass "tockd goes on running the job after the mail failure"
else flunk "tockd goes on running the job after the mail failure" "$(log_tail bad)"; fi
if wait_until 10 eval '[ "$(n_mail_failed bad)" -gt "$f" ]'; then pass "and logs each failed mail"
else flunk "and logs each failed mail" "$(mail_runs bad)"; fi
if [ "$(n_mail_runs bad 0)" = 0 ]; then pass "no mail run of the refusing exim exits 0"
else flunk "no mail run of the refusing exim exits 0" "$(mail_runs bad)"; fi

for n in ok bad; do
        check "$n: tockd is still running" alive "${TD_PID[$n]}"
        td_stop "$n" && [ "${TD_RC[$n]}" = 0 ] && pass "$n: tockd stops cleanly" || flunk "$n: tockd stops cleanly" "exit ${TD_RC[$n]}"
done
getent passwd Debian-exim >/dev/null && [ ${#TD_PREFIX[@]} -gt 0 ] && flunk "the namespace's Debian-exim stays in it" "it is in the real /etc/passwd"
echo "# $((SECONDS - start)) s with tockd"
finish
