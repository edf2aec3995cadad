#!/bin/bash
# packaging/test-systemd.sh: tockd under a real systemd, in a booted Debian 12 container.
#
#   packaging/test-systemd.sh [--deb FILE] [--cache DIR] [--keep]
#
# Debootstraps a minimal bookworm (systemd, cron, cron-daemon-common, tockd's libraries: libinih1,
# and libcurl4 and libjansson4 for the fleet; procps for the unit's /bin/kill) into a temp dir,
# puts tock in it ($TOCKD and $TOCKCTL, else build/tockd and build/tockctl, the unit and
# tockd.conf; or, with --deb, installs the package with dpkg so that its maintainer scripts run
# too), boots it with `systemd-nspawn -b --register=no --keep-unit` and lets a oneshot unit inside
# run the checks below, write "ok"/"not ok" lines to /tock-smoke/results in the container's root
# and power off. Needs root, debootstrap and systemd-nspawn (apt-get install debootstrap
# systemd-container) and Debian's archive (the mirror apt uses, or $TOCK_TEST_MIRROR); skips
# (exit 77) saying why without them. `make check` runs it twice (tests/run-all.sh, in the
# background, not in the ASan pass): with the built binaries, then with --deb on a package built by
# packaging/build-deb.sh with nocheck; both with --cache build/tools: the debootstrapped root is
# kept there as a tarball named after
# its package list and reused, so only the first run downloads (a minute or two more); the boot
# and the checks take about two minutes. TOCK_TEST_ROOTFS=FILE.tar reuses a root saved with
# --keep.
#
# Checked inside: tockd.service is active (running) after boot, so READY=1 arrived, with a
# STATUS= text; with cron.service enabled too, tockd wins the boot and cron stays stopped;
# `systemctl reload` keeps the main pid and logs the reload; the watchdog (WatchdogSec=4s by a
# drop-in) is fed; a table written by crontab(1) for another user is picked up and its job
# runs as that user, without no_new_privs, with TOCK_* fields in the journal; a failing job's
# exit status is in TOCK_EXIT_STATUS; @reboot runs once per boot, also across a restart;
# KillMode=process leaves running jobs alone on restart and stop, and the spawner helper goes
# with tockd; starting cron stops tockd and starting tockd stops cron.
#
# With --deb, the switch from Debian's cron and back, with the package's maintainer scripts: the
# root has cron and users' tables written by cron's crontab(1), one of them refused by tock;
# `dpkg -i` removes cron, keeps the tables, reports the refused one, and ships crontab(1) and
# /etc/pam.d/cron (checked from outside before the boot); inside, the tables' jobs run under
# tockd; `apt-get install --reinstall cron` swaps tock for cron, listing the table with tock's
# options, and cron runs the tables; `dpkg -i` brings tock back; removal says no cron is left;
# purge removes /var/lib/tock and /run/tock and leaves the tables.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
deb= keep=false cache=
while [ $# -gt 0 ]; do
	case $1 in
	--deb) deb=$(realpath "$2"); shift 2 ;;
	--cache) cache=$(realpath -m "$2"); shift 2 ;;
	--keep) keep=true; shift ;;
	*) echo "usage: $0 [--deb FILE] [--cache DIR] [--keep]" >&2; exit 2 ;;
	esac
done
tockd_bin=$(realpath -m "${TOCKD:-$top/build/tockd}")
tockctl_bin=$(realpath -m "${TOCKCTL:-$top/build/tockctl}")
started=$SECONDS

skip() { echo "test-systemd.sh: skipped: $*"; exit 77; }
[ "${TOCK_SYSTEMD_TEST:-}" != skip ] || skip "TOCK_SYSTEMD_TEST=skip (the package build's make check: no container, no network)"
[ "$(id -u)" = 0 ] || skip "needs root (debootstrap, systemd-nspawn)"
command -v systemd-nspawn >/dev/null || skip "no systemd-nspawn (apt-get install systemd-container)"
if [ -z "$deb" ]; then
	for f in "$tockd_bin" "$tockctl_bin"; do
		[ -x "$f" ] || { echo "test-systemd.sh: $f is missing; run make first" >&2; exit 1; }
	done
fi

pkgs=systemd,systemd-sysv,dbus,libinih1,libsystemd0,libcurl4,libjansson4,cron-daemon-common,tzdata,cron,passwd,procps
cached=
[ -z "$cache" ] || cached=$cache/debian-bookworm-systemd-$(echo "$pkgs" | md5sum | cut -c1-8).tar
if [ -z "${TOCK_TEST_ROOTFS:-}" ] && ! [ -s "$cached" ]; then
	command -v debootstrap >/dev/null || skip "no debootstrap (apt-get install debootstrap) and no root cached${cached:+ in $cached}"
fi

work=$(mktemp -d /var/tmp/tock-systemd.XXXXXX)
root=$work/root
nspawn_pid=
cleanup() {
	if [ -n "$nspawn_pid" ] && kill -0 "$nspawn_pid" 2>/dev/null; then
		kill "$nspawn_pid" 2>/dev/null
		wait "$nspawn_pid" 2>/dev/null
	fi
	# a failed debootstrap may leave proc and sys mounted in the root: never remove through a mount
	local m
	for m in $(findmnt -rn -o TARGET | grep -F "$root/" | sort -r); do umount "$m" 2>/dev/null; done
	if findmnt -rn -o TARGET | grep -qF "$root/"; then
		echo "test-systemd.sh: left $work in place: something is still mounted in it" >&2
	elif $keep; then echo "kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# the Debian archive apt uses here, unless told
mirror=${TOCK_TEST_MIRROR:-}
[ -n "$mirror" ] || mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $2 ~ /^https?:/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null)
mirror=${mirror:-http://deb.debian.org/debian}

# ---- the root ----
mkdir "$root"
if [ -n "${TOCK_TEST_ROOTFS:-}" ]; then
	tar -C "$root" -xf "$TOCK_TEST_ROOTFS" || exit 1
elif [ -s "$cached" ]; then
	echo "the root from $cached"
	tar -C "$root" -xf "$cached" || exit 1
else
	echo "debootstrapping Debian 12 from $mirror into $root (a minute or two)"
	if ! debootstrap --variant=minbase --include="$pkgs" bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1; then
		tail -20 "$work/debootstrap.log"
		grep -q "Failed getting release file\|Couldn't download\|Temporary failure resolving" "$work/debootstrap.log" &&
			skip "debootstrap cannot reach the Debian archive at $mirror"
		exit 1
	fi
	echo "debootstrap took $((SECONDS - started)) s"
	if [ -n "$cached" ]; then
		mkdir -p "$cache" && tar -C "$root" -cf "$cached.tmp.$$" . && mv "$cached.tmp.$$" "$cached" &&
			echo "root cached: $cached"
		rm -f "$cached.tmp.$$"
	fi
	if $keep; then tar -C "$root" -cf "$work/rootfs.tar" . && echo "root saved: TOCK_TEST_ROOTFS=$work/rootfs.tar"; fi
fi

# ---- tock in it ----
mkdir -p "$root/tock-smoke"
HR=$work/host-results # checks made from outside, before the boot
: >"$HR"
hcheck() { # DESCRIPTION COMMAND...
	local d=$1
	shift
	if "$@" >/dev/null 2>&1; then echo "ok - $d" >>"$HR"; else echo "not ok - $d" >>"$HR"; fi
}
if [ -n "$deb" ]; then
	cp "$deb" "$root/tock-smoke/tock.deb"
	touch "$root/tock-smoke/deb-mode"
	# Debian's cron with users' tables written by its crontab(1): carol's runs under both crons,
	# tock refuses bob's (a reversed range, which Debian's cron accepts and never runs)
	for u in bob carol dave; do chroot "$root" useradd -m "$u"; done
	echo '* * * * * id -un > /tmp/carol-job' >"$root/tock-smoke/carol.cron"
	echo '0 22-2 * * * echo bob' >"$root/tock-smoke/bob.cron"
	chroot "$root" crontab -u carol /tock-smoke/carol.cron && chroot "$root" crontab -u bob /tock-smoke/bob.cron ||
		{ echo "cron's crontab did not install the tables" >&2; exit 1; }
	# no init script may start or stop a daemon of the chroot on this host
	printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d" && chmod 755 "$root/usr/sbin/policy-rc.d"
	chroot "$root" dpkg -i /tock-smoke/tock.deb >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; exit 1; }
	rm "$root/usr/sbin/policy-rc.d"
	cp "$work/dpkg.log" "$root/tock-smoke/dpkg-i.log"
	spool=$root/var/spool/cron/crontabs
	hcheck "dpkg -i tock removes cron (Conflicts/Replaces)" \
		test "$(chroot "$root" dpkg-query -W -f='${db:Status-Status}' cron)" = config-files
	hcheck "the postinst reports bob's table, refused by tock" grep -q "^  /var/spool/cron/crontabs/bob$" "$work/dpkg.log"
	hcheck "with its first error" grep -q "crontabs/bob:4:6: error: reversed range 22-2" "$work/dpkg.log"
	hcheck "and not carol's, which tock runs" sh -c "! grep -q crontabs/carol '$work/dpkg.log'"
	hcheck "the users' tables are kept" test -f "$spool/carol" -a -f "$spool/bob"
	hcheck "the spool stays 1730 root:crontab" test "$(chroot "$root" stat -c '%a %U:%G' /var/spool/cron/crontabs)" = "1730 root:crontab"
	hcheck "/usr/bin/crontab is tock's: a link to tockctl" test "$(readlink "$root/usr/bin/crontab")" = tockctl
	hcheck "cron's setgid statoverride on crontab is gone" sh -c "! chroot '$root' dpkg-statoverride --list /usr/bin/crontab"
	hcheck "/etc/pam.d/cron is tock's now" sh -c "chroot '$root' dpkg -S /etc/pam.d/cron | grep -q '^tock:'"
	hcheck "/etc/crontab and /etc/cron.daily stay (cron-daemon-common)" test -f "$root/etc/crontab" -a -d "$root/etc/cron.daily"
	hcheck "bash completion for tockctl is installed" test -f "$root/usr/share/bash-completion/completions/tockctl"
else
	install -m 755 "$tockd_bin" "$root/usr/sbin/tockd"
	install -m 755 "$tockctl_bin" "$root/usr/bin/tockctl"
	install -D -m 644 "$top/packaging/systemd/tockd.service" "$root/lib/systemd/system/tockd.service"
	install -D -m 644 "$top/packaging/tockd.conf" "$root/etc/tock/tockd.conf"
	ln -sf /lib/systemd/system/tockd.service "$root/etc/systemd/system/multi-user.target.wants/tockd.service"
fi
[ -L "$root/etc/systemd/system/multi-user.target.wants/cron.service" ] || { echo "cron.service is not enabled in the root" >&2; exit 1; }

mkdir -p "$root/etc/systemd/system/tockd.service.d"
printf '[Service]\nWatchdogSec=4s\n' >"$root/etc/systemd/system/tockd.service.d/smoke.conf"
chroot "$root" useradd -m alice
# Debian's /etc/pam.d/cron (from the cron package) has pam_env read /etc/environment
echo 'TOCK_SMOKE_PAM_ENV=set-by-pam-env' >>"$root/etc/environment"
cat >"$root/etc/cron.d/tock-smoke" <<'EOF'
@reboot root echo ran >> /tmp/reboot-runs
@reboot root exec sleep 1000
[sec:*/2] * * * * * root sh -c 'exit 3'
EOF
chmod 644 "$root/etc/cron.d/tock-smoke"
# plain cron syntax: Debian's crontab(1) refuses a line starting with '[' (tock's options)
cat >"$root/tock-smoke/alice.cron" <<'EOF'
* * * * * { id -un; grep NoNewPrivs /proc/self/status; echo "pam_env: $TOCK_SMOKE_PAM_ENV"; echo "loginuid: $(cat /proc/self/loginuid)"; } > /tmp/alice-job
EOF

cat >"$root/usr/local/sbin/tock-smoke" <<'EOF'
#!/bin/sh
# Runs inside the container once it has booted; results to /tock-smoke/results.
R=/tock-smoke/results
: > $R
ok() { echo "ok - $*" >> $R; }
notok() { echo "not ok - $*" >> $R; }
check() { # DESCRIPTION COMMAND...
	d=$1; shift
	if "$@" >/dev/null 2>&1; then ok "$d"; else notok "$d"; fi
}
# until COMMAND succeeds, for up to $1 seconds
wait_for() {
	n=$(($1 * 4)); shift
	while [ $n -gt 0 ]; do "$@" >/dev/null 2>&1 && return 0; sleep 0.25; n=$((n - 1)); done
	return 1
}
prop() { systemctl show -p "$2" --value "$1"; }
eq() { [ "$1" = "$2" ]; }
journal_has() { journalctl -q -u tockd --no-pager -o cat | grep -qF -- "$1"; }
running() { # a process whose comm is $1
	for c in /proc/[0-9]*/comm; do [ "$(cat "$c" 2>/dev/null)" = "$1" ] && return 0; done
	return 1
}
not_running() { ! running "$1"; }

# -- boot
check "tockd.service is active (running) after boot" eq "$(prop tockd ActiveState)/$(prop tockd SubState)" active/running
check "tockd.service is Type=notify" eq "$(prop tockd Type)" notify
status=$(prop tockd StatusText)
echo "# StatusText: $status" >> $R
case $status in *tables*jobs*running*next\ run*) ok "tockd sent STATUS=";; *) notok "tockd sent STATUS=";; esac
check "the log says ready" journal_has "ready:"
[ -e /tock-smoke/deb-mode ] ||
	check "cron.service, enabled too, lost the boot to the Conflicts=" eq "$(prop cron ActiveState)" inactive
check "StateDirectory made /var/lib/tock" test -d /var/lib/tock
check "the @reboot job ran" wait_for 10 test -s /tmp/reboot-runs
check "the boot id is recorded" eq "$(cat /var/lib/tock/reboot-boot-id)" "$(cat /proc/sys/kernel/random/boot_id)"

# -- stop and start: start returns once READY=1 has arrived
systemctl stop tockd
check "systemctl stop: inactive, Result=success" eq "$(prop tockd ActiveState)/$(prop tockd Result)" inactive/success
check "the spawner went with tockd" wait_for 3 not_running tockd-spawner
if journalctl -q -u tockd -o cat | grep -q "tockd-spawner) remains running"; then
	echo "# systemd saw tockd-spawner still running when tockd had exited" >> $R
fi
check "KillMode=process: the @reboot sleep survived the stop" running sleep
systemctl start tockd; rc=$?
check "systemctl start returns 0" eq "$rc" 0
check "and tockd is active (running) at once" eq "$(prop tockd ActiveState)/$(prop tockd SubState)" active/running
check "@reboot did not run again after the restart" eq "$(wc -l < /tmp/reboot-runs)" 1
check "the log says @reboot already ran" journal_has "already ran in this boot"

# -- reload
pid=$(prop tockd MainPID)
systemctl reload tockd; rc=$?
check "systemctl reload returns 0" eq "$rc" 0
check "reload keeps the main pid" eq "$(prop tockd MainPID)" "$pid"
check "the log says reloading on SIGHUP" journal_has "reloading on SIGHUP"
check "still active (running) after reload" eq "$(prop tockd ActiveState)/$(prop tockd SubState)" active/running

# -- the watchdog: WatchdogSec=4s, pings every 2 s
check "WatchdogUSec is 4 s" eq "$(prop tockd WatchdogUSec)" 4s
w1=$(prop tockd WatchdogTimestampMonotonic)
sleep 5
w2=$(prop tockd WatchdogTimestampMonotonic)
echo "# WatchdogTimestampMonotonic: $w1 -> $w2" >> $R
check "WATCHDOG=1 pings arrive" test "$w2" -gt "$w1"
check "no restart so far (NRestarts=0, same pid)" eq "$(prop tockd NRestarts)/$(prop tockd MainPID)" "0/$pid"

# -- a user's table written by crontab(1), seen through inotify
crontab -u alice /tock-smoke/alice.cron
check "alice's job ran (within a minute)" wait_for 70 test -s /tmp/alice-job
check "as alice" eq "$(head -n 1 /tmp/alice-job)" alice
check "without no_new_privs" grep -q "NoNewPrivs:.*0" /tmp/alice-job
# PAM: Debian's cron service is there, so the job went through it (pam_env, pam_loginuid)
check "the log says jobs go through the PAM service cron" journal_has "jobs go through the PAM service 'cron' (/etc/pam.d/cron)"
check "pam_env's /etc/environment reached alice's job" grep -qx "pam_env: set-by-pam-env" /tmp/alice-job
check "pam_loginuid set the job's login uid to alice's" grep -qx "loginuid: $(id -u alice)" /tmp/alice-job
wait_for 10 sh -c 'journalctl -q -u tockd TOCK_USER=alice TOCK_EXIT_STATUS=0 -o verbose | grep -q TOCK_DURATION_MS='
journalctl -q -u tockd TOCK_USER=alice TOCK_EXIT_STATUS=0 -o verbose --no-pager > /tock-smoke/alice-entry
# line 4: cron's crontab(1) puts three lines of comments on top; tock's (the package's) does not
line=4
[ -e /tock-smoke/deb-mode ] && line=1
for f in TOCK_TABLE=/var/spool/cron/crontabs/alice TOCK_LINE=$line TOCK_USER=alice TOCK_PID= TOCK_EXIT_STATUS=0 \
	TOCK_DURATION_MS= TOCK_COMMAND= SYSLOG_IDENTIFIER=tockd; do
	check "journal field $f" grep -q "^ *$f" /tock-smoke/alice-entry
done
check "a failing job has TOCK_EXIT_STATUS=3 at priority warning" \
	sh -c 'journalctl -q -u tockd TOCK_TABLE=/etc/cron.d/tock-smoke TOCK_EXIT_STATUS=3 -p warning -o cat | grep -q "exit status 3"'

if [ ! -e /tock-smoke/deb-mode ]; then
# -- one cron at a time
# the conflicting unit's stop job runs beside the start job that systemctl waits for
states_are() { eq "$(prop tockd ActiveState)/$(prop cron ActiveState)" "$1"; }
systemctl start cron
check "starting cron stops tockd" wait_for 10 states_are inactive/active
systemctl start tockd
check "starting tockd stops cron" wait_for 10 states_are active/inactive
else
# -- the switch: tables written by cron's crontab before tock came run under tockd
S=/var/spool/cron/crontabs
check "carol's table, from cron's crontab, runs under tockd" wait_for 70 test -s /tmp/carol-job
check "as carol" eq "$(cat /tmp/carol-job)" carol
check "root's tockctl status lists carol's job" sh -c "tockctl status --json | grep -q '\"table\": \"$S/carol\"'"
check "root's tockctl status lists bob's table, refused, with its first error" \
	sh -c "tockctl status | grep -q '^  $S/bob:4:6: reversed range 22-2: .*; no version of it is in force$'"
check "bob's crontab -l says his table on disk was refused, and why" \
	sh -c "setpriv --reuid=bob --regid=bob --init-groups crontab -l 2>&1 >/dev/null | grep -q '^your table on disk was refused: $S/bob:4:6: reversed range 22-2'"
echo '[name:dave-job] * * * * * true' > /tock-smoke/dave.cron
check "tock's crontab installs a table with tock's options" crontab -u dave /tock-smoke/dave.cron
# -- going back: apt swaps tock for cron
DEBIAN_FRONTEND=noninteractive apt-get install -y --reinstall --no-install-recommends cron > /tock-smoke/apt-cron.raw 2>&1
check "apt-get install --reinstall cron succeeds" eq "$?" 0
tr -d '\r' < /tock-smoke/apt-cron.raw > /tock-smoke/apt-cron.log # apt runs dpkg on a pty
check "and removes tock" eq "$(dpkg-query -W -f='${db:Status-Status}' tock)" config-files
check "tock's removal lists dave's table, with tock's options" grep -q "^  $S/dave$" /tock-smoke/apt-cron.log
check "with the reason" grep -q "dave:1:1: error: tock's per-job options" /tock-smoke/apt-cron.log
check "and not carol's" sh -c "! grep -q $S/carol /tock-smoke/apt-cron.log"
cron_active() { eq "$(prop cron ActiveState)" active; }
check "cron.service is active" wait_for 10 cron_active
check "tockd.service is gone" sh -c '[ "$(systemctl show -p LoadState --value tockd)" = not-found ]'
check "the users' tables stay" test -f $S/carol -a -f $S/bob -a -f $S/dave
check "crontab is cron's again" sh -c '[ ! -L /usr/bin/crontab ] && dpkg -S /usr/bin/crontab | grep -q "^cron:"'
check "/etc/pam.d/cron is cron's again" sh -c 'dpkg -S /etc/pam.d/cron | grep -q "^cron:"'
check "Debian's cron ignores dave's table, as the removal said" \
	wait_for 10 sh -c 'journalctl -q -u cron -o cat | grep "Syntax error, this crontab file will be ignored" | grep -q dave'
rm -f /tmp/carol-job
check "cron runs carol's table" wait_for 70 test -s /tmp/carol-job
# -- and back to tock
dpkg -i /tock-smoke/tock.deb > /tock-smoke/dpkg-back.log 2>&1
check "dpkg -i tock again succeeds" eq "$?" 0
check "and removes cron" eq "$(dpkg-query -W -f='${db:Status-Status}' cron)" config-files
check "the postinst reports bob's table again" grep -q "^  $S/bob$" /tock-smoke/dpkg-back.log
tockd_running() { eq "$(prop tockd ActiveState)/$(prop tockd SubState)" active/running; }
check "tockd is active (running) again" wait_for 10 tockd_running
check "and cron is stopped" eq "$(prop cron ActiveState)" inactive
check "tockd has carol's and dave's jobs" sh -c "tockctl status --json > /tock-smoke/status.json && grep -q '$S/carol' /tock-smoke/status.json && grep -q '\"name\": \"dave-job\"' /tock-smoke/status.json"
fi

# -- the package's removal
if dpkg -s tock >/dev/null 2>&1; then
	dpkg -r tock > /tock-smoke/dpkg-r.log 2>&1
	if [ -e /tock-smoke/deb-mode ]; then
		check "dpkg -r tock with no cron left says so" grep -q "tock: no other cron daemon is installed" /tock-smoke/dpkg-r.log
	else
		check "dpkg -r tock starts the enabled cron again" eq "$(prop cron ActiveState)" active
	fi
	check "tockd is stopped" eq "$(prop tockd ActiveState)" inactive
	dpkg --purge tock >> /tock-smoke/dpkg-r.log 2>&1
	check "dpkg --purge removes /var/lib/tock" test ! -e /var/lib/tock
	check "dpkg --purge removes /run/tock" test ! -e /run/tock
	check "the users' tables survive the purge" test -f /var/spool/cron/crontabs/alice
fi

journalctl -u tockd --no-pager -o short-monotonic > /tock-smoke/journal.txt
echo done >> $R
systemctl poweroff
EOF
chmod 755 "$root/usr/local/sbin/tock-smoke"
cat >"$root/etc/systemd/system/tock-smoke.service" <<'EOF'
[Unit]
Description=tock smoke test
After=multi-user.target tockd.service
[Service]
Type=oneshot
ExecStart=/usr/local/sbin/tock-smoke
[Install]
WantedBy=multi-user.target
EOF
ln -sf /etc/systemd/system/tock-smoke.service "$root/etc/systemd/system/multi-user.target.wants/tock-smoke.service"

# ---- boot it ----
echo "booting the container (console in $work/console.log)"
systemd-nspawn -b --register=no --keep-unit -D "$root" </dev/null >"$work/console.log" 2>&1 &
nspawn_pid=$!
deadline=$((SECONDS + 480))
while kill -0 "$nspawn_pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 1; done
if kill -0 "$nspawn_pid" 2>/dev/null; then
	echo "test-systemd.sh: the container did not power off within 480 s" >&2
	kill "$nspawn_pid"
fi
wait "$nspawn_pid" 2>/dev/null
nspawn_pid=

if [ ! -s "$root/tock-smoke/results" ]; then
	echo "test-systemd.sh: no results; the console said:" >&2
	tail -40 "$work/console.log" >&2
	exit 1
fi
cat "$HR" "$root/tock-smoke/results" > "$work/all-results"
cat "$work/all-results"
echo "--- journalctl -u tockd (head)"
head -40 "$root/tock-smoke/journal.txt"
passed=$(grep -c '^ok ' "$work/all-results")
failed=$(grep -c '^not ok ' "$work/all-results")
grep -qx done "$root/tock-smoke/results" || { echo "the checks did not finish"; failed=$((failed + 1)); }
echo
echo "test-systemd.sh took $((SECONDS - started)) s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
