#!/bin/sh
# Runs inside the VM (tests/vm-systemd/run.sh), as root, with systemd as
# PID 1, from tapmeet-vmtest.service. Prints "ok - ..." / "not ok - ..." /
# "# ..." lines on the serial console.
set -u
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export SYSTEMD_PAGER='' SYSTEMD_COLORS=0
echo "TAPMEET-VM-BEGIN"

ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; }
diag() { sed 's/^/#   /'; }
check() { # check DESCRIPTION COMMAND...
	what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}
# wait_for SECONDS COMMAND...: polls every 0.2 s.
wait_for() {
	_w=$(($1 * 5))
	shift
	while [ "$_w" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
		_w=$((_w - 1))
	done
	"$@"
}
prop() { systemctl show -P "$2" "$1"; }
mainpid() { prop tapmeetd MainPID; }
# The journal of tapmeetd since a cursor (set by mark).
mark() { CURSOR=$(journalctl -q -n 0 --show-cursor 2>/dev/null | sed -n 's/^-- cursor: //p'); }
journal_since() { journalctl -q -o cat -u tapmeetd --after-cursor="$CURSOR" 2>/dev/null; }
in_journal() { journal_since | grep -Eq "$1"; }
is_active() { [ "$(systemctl is-active tapmeetd)" = active ]; }

CONF=/etc/tapmeet/tapmeetd.conf
DB=/var/lib/tapmeet/tapmeet.db
write_conf() { # write_conf WINDOW
	cat >"$CONF" <<EOF
[station]
id = vm1
name = VM test station
[reader]
driver = sim
sim_path = /run/tapmeet/sim.fifo
[pairing]
window = $1
[leds]
driver = sim
color = false
EOF
}

echo "# kernel $(uname -r), $(systemctl --version | head -n1)"
# (not --wait: this test is itself a job of the boot transaction)
echo "# system: $(systemctl is-system-running), $(cut -d' ' -f1 /proc/uptime)s after boot"

# ---- install: user, statoverride, enabled and started by the package -----------------
mark
t=$(date +%s)
if out=$(DEBIAN_FRONTEND=noninteractive dpkg -i /root/tapmeet.deb 2>&1); then
	ok "dpkg -i tapmeet.deb ($(($(date +%s) - t))s)"
else
	not_ok "dpkg -i tapmeet.deb"
	echo "$out" | tail -n 20 | diag
fi
check "the package created the user tapmeet" id tapmeet
check "systemctl is-enabled tapmeetd: enabled" [ "$(systemctl is-enabled tapmeetd 2>&1)" = enabled ]
# Type=notify: active only once READY=1 arrived; the default config (no
# reader, no GPIO chip here) still comes up and keeps retrying the reader.
if wait_for 20 is_active && in_journal 'event=started'; then
	ok "the package started tapmeetd; active after READY=1 (default config)"
else
	not_ok "the package started tapmeetd; active after READY=1 (default config)"
	systemctl status --no-pager tapmeetd 2>&1 | diag
fi
check "the config is root:tapmeet 0640 (dpkg-statoverride)" \
	[ "$(stat -c '%U:%G %a' "$CONF")" = "root:tapmeet 640" ]
check "/var/lib/tapmeet is tapmeet:tapmeet 0750" \
	[ "$(stat -c '%U:%G %a' /var/lib/tapmeet)" = "tapmeet:tapmeet 750" ]
echo "# $(systemd-analyze security tapmeetd 2>/dev/null | grep 'Overall exposure')"
check "StatusText is set by the daemon" [ -n "$(prop tapmeetd StatusText)" ]

# ---- the sim reader and LEDs; a tap pair becomes a meeting -------------------------------
write_conf 8s
mark
systemctl restart tapmeetd
if wait_for 20 is_active && in_journal 'event=started .*reader=sim leds=sim .*window_ms=8000'; then
	ok "restarted with the sim reader and sim LEDs"
else
	not_ok "restarted with the sim reader and sim LEDs"
	journal_since | tail -n 20 | diag
fi
wait_for 10 test -p /run/tapmeet/sim.fifo
# Both badges held on the reader (the shipped rules count a badge after
# 250 ms on it), then lifted.
echo "present 04A1B2C3 04D5E6F7" >/run/tapmeet/sim.fifo
sleep 1
echo "remove all" >/run/tapmeet/sim.fifo
has_meeting() { tapmeet meetings 2>/dev/null | grep -q '04A1B2C3, 04D5E6F7'; }
if wait_for 15 has_meeting; then
	ok "a pair written to the FIFO is a meeting in tapmeet meetings (as root)"
else
	not_ok "a pair written to the FIFO is a meeting in tapmeet meetings (as root)"
	{ tapmeet meetings 2>&1; journal_since | tail -n 10; } | diag
fi
check "the database and its -wal/-shm are 0640 tapmeet:tapmeet" \
	[ "$(stat -c '%U:%G %a' "$DB" "$DB-wal" "$DB-shm" | sort -u)" = "tapmeet:tapmeet 640" ]

# ---- reload ---------------------------------------------------------------------------
write_conf 5s
mark
pid=$(mainpid)
t=$(date +%s)
if systemctl reload tapmeetd && in_journal 'event=reloaded .*window_ms=5000' && [ "$(mainpid)" = "$pid" ]; then
	ok "systemctl reload applies [pairing] window = 5s (event=reloaded window_ms=5000, same PID, $(($(date +%s) - t))s)"
else
	not_ok "systemctl reload applies [pairing] window = 5s"
	journal_since | tail -n 10 | diag
fi

# ---- group access ----------------------------------------------------------------------
# alice is staff, mallory is not. As docs/install.md says: usermod -aG tapmeet NAME.
for u in alice mallory; do
	out=$(useradd -M -d / -s /bin/sh "$u" 2>&1) || { echo "# useradd $u failed:"; echo "$out" | diag; }
done
if out=$(usermod -aG tapmeet alice 2>&1); then
	ok "usermod -aG tapmeet alice"
else
	not_ok "usermod -aG tapmeet alice"
	echo "$out" | diag
fi
if out=$(runuser -u alice -- tapmeet meetings 2>&1) && echo "$out" | grep -q '04A1B2C3'; then
	ok "a user in group tapmeet can run tapmeet meetings"
else
	not_ok "a user in group tapmeet can run tapmeet meetings"
	echo "$out" | diag
fi
# Exit 0 working, even with the VM's clock not NTP-synchronised (a warning,
# which only --strict turns into 4); 3 unhealthy; 2 a database error.
out=$(runuser -u alice -- tapmeet status --station vm1 2>&1)
rc=$?
if [ "$rc" = 0 ] && echo "$out" | grep -q '^vm1'; then
	ok "a user in group tapmeet can run tapmeet status (exit $rc)"
else
	not_ok "a user in group tapmeet can run tapmeet status (exit $rc)"
	echo "$out" | diag
fi
if out=$(runuser -u mallory -- tapmeet meetings 2>&1); then
	not_ok "a user outside group tapmeet cannot read the database"
	echo "$out" | diag
else
	ok "a user outside group tapmeet cannot read the database ($(echo "$out" | head -n1))"
fi
check "a user outside group tapmeet cannot read the config (uid_key)" \
	sh -c "! runuser -u mallory -- cat $CONF >/dev/null 2>&1"

# ---- Restart=on-failure after SIGKILL ------------------------------------------------------
pid=$(mainpid)
n=$(prop tapmeetd NRestarts)
mark
systemctl kill -s KILL tapmeetd
restarted() { is_active && [ "$(mainpid)" != "$pid" ] && [ "$(mainpid)" != 0 ]; }
if wait_for 20 restarted && [ "$(prop tapmeetd NRestarts)" -gt "$n" ]; then
	ok "SIGKILL: restarted by Restart=on-failure (PID $pid -> $(mainpid))"
else
	not_ok "SIGKILL: restarted by Restart=on-failure (PID $pid -> $(mainpid), NRestarts $n -> $(prop tapmeetd NRestarts))"
	systemctl status --no-pager tapmeetd 2>&1 | diag
fi

# ---- the watchdog: a wedged loop (SIGSTOP) is killed and restarted ---------------------------
mkdir -p /run/systemd/system/tapmeetd.service.d
printf '[Service]\nWatchdogSec=3s\nTimeoutAbortSec=5s\n' >/run/systemd/system/tapmeetd.service.d/watchdog.conf
systemctl daemon-reload
systemctl restart tapmeetd
wait_for 20 is_active
pid=$(mainpid)
mark
sleep 4 # fed through a few periods: still the same process
if [ "$(mainpid)" = "$pid" ] && is_active; then
	ok "WatchdogSec=3s: a running loop keeps feeding the watchdog"
else
	not_ok "WatchdogSec=3s: a running loop keeps feeding the watchdog"
	journal_since | tail -n 10 | diag
fi
mark
t=$(date +%s)
kill -STOP "$pid"
if wait_for 30 restarted && journalctl -q -u tapmeetd --after-cursor="$CURSOR" | grep -q 'Watchdog timeout'; then
	ok "SIGSTOP: the watchdog killed the wedged daemon and it was restarted ($(($(date +%s) - t))s)"
else
	not_ok "SIGSTOP: the watchdog killed the wedged daemon and it was restarted"
	journalctl -q -u tapmeetd --after-cursor="$CURSOR" | tail -n 10 | diag
fi
rm -rf /run/systemd/system/tapmeetd.service.d
systemctl daemon-reload

# ---- stop: LEDs off, exit 0 ----------------------------------------------------------------
systemctl restart tapmeetd
wait_for 20 is_active
mark
systemctl stop tapmeetd
last_leds=$(journal_since | grep '^leds ' | tail -n 1)
if journal_since | grep -q 'event=stopped' &&
	echo "$last_leds" | grep -q 'green=0 amber=0 red=0 buzzer=0' &&
	[ "$(prop tapmeetd Result)" = success ] && [ "$(prop tapmeetd ExecMainStatus)" = 0 ]; then
	ok "systemctl stop: LEDs off (${last_leds#leds }), exit 0"
else
	not_ok "systemctl stop: LEDs off, exit 0 (Result=$(prop tapmeetd Result) status=$(prop tapmeetd ExecMainStatus))"
	journal_since | tail -n 10 | diag
fi
# With the daemon stopped the -shm is gone: alice gets a clear message, root still reads.
out=$(runuser -u alice -- tapmeet meetings 2>&1)
echo "# alice while stopped: $(echo "$out" | head -n1)"

# ---- a bad config: ExecStartPre=tapmeetd --check-config keeps the daemon from starting ---------
cp "$CONF" /root/good.conf
printf '[reader]\nno_such_key = 1\n' >>"$CONF"
mark
if ! systemctl start tapmeetd 2>/dev/null && journal_since | grep -q 'no_such_key'; then
	ok "a bad config fails in ExecStartPre (tapmeetd --check-config)"
else
	not_ok "a bad config fails in ExecStartPre (tapmeetd --check-config)"
	journal_since | tail -n 10 | diag
fi
cp /root/good.conf "$CONF"
systemctl reset-failed tapmeetd 2>/dev/null
systemctl restart tapmeetd
check "with the config fixed it starts again" wait_for 20 is_active

# ---- remove keeps config and database; purge removes them ---------------------------------------
if out=$(dpkg -r tapmeet 2>&1) && ! is_active && [ -f "$DB" ] && [ -f "$CONF" ] &&
	[ ! -e /usr/sbin/tapmeetd ]; then
	ok "dpkg -r: service stopped, binaries gone, config and database kept"
else
	not_ok "dpkg -r: service stopped, binaries gone, config and database kept"
	{ echo "$out"; ls -la /var/lib/tapmeet /etc/tapmeet 2>&1; } | diag
fi
if out=$(dpkg -P tapmeet 2>&1) && [ ! -e /etc/tapmeet ] && [ ! -e /var/lib/tapmeet ] &&
	! dpkg-statoverride --list /etc/tapmeet/tapmeetd.conf >/dev/null &&
	[ ! -e /etc/systemd/system/multi-user.target.wants/tapmeetd.service ]; then
	ok "dpkg -P: config, statoverride, database and enablement gone"
else
	not_ok "dpkg -P: config, statoverride, database and enablement gone"
	{ echo "$out"; ls -la /var/lib/tapmeet /etc/tapmeet 2>&1; } | diag
fi
exit 0
