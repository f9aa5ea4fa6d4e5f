#!/bin/bash
# The systemd unit, sysusers.d and tmpfiles.d files, and `make install` /
# `make uninstall` into a DESTDIR. Without systemd as PID 1: systemd-analyze
# verify and security --offline=true (systemd >= 252), sysusers/tmpfiles
# with --root. The unit under a real systemd: tests/vm-systemd/run.sh.
#
#   tests/integration/test_systemd_files.sh BUILD_DIR
#
# Prints "ok - ..." / "not ok - ..." and ends with "N passed, M failed".
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-${BUILD:-build}}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
UNIT=$TOP/systemd/tapmeetd.service
MAX_EXPOSURE=2.0

n_passed=0
n_failed=0
ok() { echo "ok - $*"; n_passed=$((n_passed + 1)); }
not_ok() { echo "not ok - $*"; n_failed=$((n_failed + 1)); }
diag() { sed 's/^/#   /'; }
finish() {
	echo "$n_passed passed, $n_failed failed"
	[ "$n_failed" -eq 0 ]
}
TMP=$(mktemp -d /tmp/tapmeet-sd.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

if ! command -v systemd-analyze >/dev/null; then
	not_ok "systemd-analyze is installed (apt-get install systemd)"
	finish
	exit
fi
for b in tapmeetd tapmeet; do
	if [ ! -x "$BUILD/$b" ]; then
		not_ok "$BUILD/$b is built"
		finish
		exit
	fi
done

# ---- the unit ----------------------------------------------------------------
# verify checks that ExecStart= binaries exist: point them at the build.
sed "s|/usr/sbin/tapmeetd|$BUILD/tapmeetd|g" "$UNIT" >"$TMP/tapmeetd.service"
if out=$(cd "$TMP" && systemd-analyze verify --man=no "$TMP/tapmeetd.service" 2>&1) && [ -z "$out" ]; then
	ok "systemd-analyze verify: the unit is clean"
else
	not_ok "systemd-analyze verify: the unit is clean"
	echo "$out" | diag
fi

sec=$(systemd-analyze security --offline=true --no-pager "$UNIT" 2>&1)
exposure=$(echo "$sec" | sed -n 's/.*Overall exposure level for tapmeetd.service: \([0-9.]*\).*/\1/p')
if [ -n "$exposure" ] && awk -v e="$exposure" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(e <= m) }'; then
	ok "systemd-analyze security --offline=true: exposure $exposure <= $MAX_EXPOSURE"
else
	not_ok "systemd-analyze security --offline=true: exposure ${exposure:-?} <= $MAX_EXPOSURE"
	echo "$sec" | grep -E '✗|Overall' | diag
fi

# The hardening directives the unit relies on, as systemd parses them (a typo'd key is
# dropped by systemd, and so shows here).
directive() { # directive KEY VALUE-REGEX
	grep -Eq "^$1=($2)\$" "$UNIT"
}
for kv in 'Type notify' 'WatchdogSec [0-9]+s' 'Restart on-failure' 'User tapmeet' \
	'Group tapmeet' 'StateDirectory tapmeet' 'StateDirectoryMode 0750' \
	'ConfigurationDirectory tapmeet' 'RuntimeDirectory tapmeet' 'ProtectSystem strict' \
	'NoNewPrivileges yes' 'DevicePolicy closed' 'CapabilityBoundingSet ' \
	'PrivateNetwork yes' 'MemoryDenyWriteExecute yes' 'SystemCallFilter @system-service' \
	'RestrictAddressFamilies AF_UNIX AF_NETLINK' \
	'ExecReload /bin/kill -HUP \$MAINPID' \
	'ExecStartPre /usr/sbin/tapmeetd --check-config --config /etc/tapmeet/tapmeetd.conf'; do
	key=${kv%% *}
	val=${kv#* }
	if directive "$key" "$val"; then
		ok "unit: $key=$val"
	else
		not_ok "unit: $key=$val"
		grep -E "^$key=" "$UNIT" | diag
	fi
done
for dev in char-ttyAMA char-ttyS char-ttyUSB char-ttyACM char-i2c char-spi char-usb_device \
	char-gpiochip; do
	if grep -Eq "^DeviceAllow=$dev rw\$" "$UNIT"; then ok "unit: DeviceAllow=$dev rw"; else not_ok "unit: DeviceAllow=$dev rw"; fi
done
# Every SupplementaryGroups= group must exist on the target, or the unit fails
# with status=216/GROUP: sysusers creates the ones Debian lacks.
groups=$(sed -n 's/^SupplementaryGroups=//p' "$UNIT")
missing=
for g in $groups; do
	grep -Eq "^g $g( |\$)" "$TOP/systemd/tapmeet.sysusers" || missing="$missing $g"
done
if [ -n "$groups" ] && [ -z "$missing" ]; then
	ok "sysusers.d creates every SupplementaryGroups= group ($groups)"
else
	not_ok "sysusers.d creates every SupplementaryGroups= group (missing:$missing)"
fi

# ---- sysusers.d and tmpfiles.d, into an empty root ------------------------------
R=$TMP/root
mkdir -p "$R/etc"
if out=$(systemd-sysusers --root="$R" "$TOP/systemd/tapmeet.sysusers" 2>&1) &&
	grep -q '^tapmeet:x:[0-9]*:[0-9]*:.*:/var/lib/tapmeet:/usr/sbin/nologin$' "$R/etc/passwd" &&
	grep -q '^tapmeet:x:' "$R/etc/group" && grep -q '^gpio:x:' "$R/etc/group" &&
	grep -q '^i2c:x:' "$R/etc/group" && grep -q '^spi:x:' "$R/etc/group"; then
	ok "systemd-sysusers: user and group tapmeet, groups gpio, i2c, spi"
else
	not_ok "systemd-sysusers: user and group tapmeet, groups gpio, i2c, spi"
	{ echo "$out"; cat "$R/etc/passwd" "$R/etc/group" 2>&1; } | diag
fi
uid=$(awk -F: '$1=="tapmeet"{print $3}' "$R/etc/passwd" 2>/dev/null)
gid=$(awk -F: '$1=="tapmeet"{print $3}' "$R/etc/group" 2>/dev/null)
if out=$(systemd-tmpfiles --root="$R" --create "$TOP/systemd/tapmeet.tmpfiles" 2>&1) &&
	[ "$(stat -c '%a %u %g' "$R/var/lib/tapmeet" 2>/dev/null)" = "750 $uid $gid" ]; then
	ok "systemd-tmpfiles: /var/lib/tapmeet 0750 tapmeet:tapmeet"
else
	not_ok "systemd-tmpfiles: /var/lib/tapmeet 0750 tapmeet:tapmeet"
	{ echo "$out"; stat -c '%a %u %g %n' "$R/var/lib/tapmeet" 2>&1; } | diag
fi

# ---- make install / uninstall into a DESTDIR -------------------------------------
# BUILD and SANITIZE as the caller built them, so `install: all` rebuilds nothing.
mk() {
	make -C "$TOP" --no-print-directory BUILD="$BUILD" SANITIZE="${SANITIZE:-}" "$@"
}
D=$TMP/dest
if out=$(mk install PREFIX=/usr DESTDIR="$D" 2>&1); then
	ok "make install PREFIX=/usr DESTDIR=..."
else
	not_ok "make install PREFIX=/usr DESTDIR=..."
	echo "$out" | tail -20 | diag
fi
unitdir=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /lib/systemd/system)
expect_files="755 /usr/sbin/tapmeetd
755 /usr/bin/tapmeet
640 /etc/tapmeet/tapmeetd.conf
644 /etc/tapmeet/followup.txt
644 $unitdir/tapmeetd.service
644 /usr/lib/sysusers.d/tapmeet.conf
644 /usr/lib/tmpfiles.d/tapmeet.conf
644 /lib/udev/rules.d/94-tapmeet.rules
644 /lib/modprobe.d/tapmeet-blacklist-nfc.conf
644 /usr/share/bash-completion/completions/tapmeet"
for m in "$TOP"/docs/man/*.[1-8]; do
	[ -e "$m" ] || continue
	expect_files="$expect_files
644 /usr/share/man/man${m##*.}/${m##*/}"
done
while read -r mode path; do
	got=$(stat -c '%a' "$D$path" 2>/dev/null)
	if [ "$got" = "$mode" ]; then
		ok "installed $path (mode $mode)"
	else
		not_ok "installed $path (mode $mode, got ${got:-nothing})"
	fi
done <<<"$expect_files"
unexpected=$(cd "$D" && find . -type f | sed 's|^\.||' | grep -v '^/usr/share/doc/tapmeet/' |
	grep -vxF -f <(echo "$expect_files" | awk '{print $2}'))
if [ -z "$unexpected" ]; then
	ok "make install put no other files outside /usr/share/doc/tapmeet"
else
	not_ok "make install put no other files outside /usr/share/doc/tapmeet"
	echo "$unexpected" | diag
fi
if [ -f "$D/usr/share/doc/tapmeet/install.md" ] || [ ! -f "$TOP/docs/install.md" ]; then
	ok "docs/install.md installed to /usr/share/doc/tapmeet (the unit's Documentation=)"
else
	not_ok "docs/install.md installed to /usr/share/doc/tapmeet (the unit's Documentation=)"
fi
if cmp -s "$UNIT" "$D$unitdir/tapmeetd.service"; then
	ok "PREFIX=/usr: the unit is installed unchanged"
else
	not_ok "PREFIX=/usr: the unit is installed unchanged"
	diff "$UNIT" "$D$unitdir/tapmeetd.service" | diag
fi
if out=$("$D/usr/sbin/tapmeetd" --check-config --config "$D/etc/tapmeet/tapmeetd.conf" 2>&1); then
	ok "the installed default config passes tapmeetd --check-config"
else
	not_ok "the installed default config passes tapmeetd --check-config"
	echo "$out" | diag
fi
# The installed unit, pointed at the DESTDIR binaries, verifies too.
sed "s|/usr/sbin/tapmeetd|$D/usr/sbin/tapmeetd|g" "$D$unitdir/tapmeetd.service" >"$TMP/installed.service" 2>/dev/null
cp "$TMP/installed.service" "$TMP/tapmeetd.service"
if out=$(cd "$TMP" && systemd-analyze verify --man=no "$TMP/tapmeetd.service" 2>&1) && [ -z "$out" ]; then
	ok "systemd-analyze verify: the installed unit is clean"
else
	not_ok "systemd-analyze verify: the installed unit is clean"
	echo "$out" | diag
fi

# Second install: a changed config survives, everything else is replaced.
echo "# local change $$" >>"$D/etc/tapmeet/tapmeetd.conf"
sum=$(md5sum <"$D/etc/tapmeet/tapmeetd.conf")
echo "stale" >"$D/usr/bin/tapmeet"
if out=$(mk install PREFIX=/usr DESTDIR="$D" 2>&1) &&
	[ "$(md5sum <"$D/etc/tapmeet/tapmeetd.conf")" = "$sum" ] &&
	grep -q 'keeping existing' <<<"$out"; then
	ok "a second make install keeps the existing tapmeetd.conf"
else
	not_ok "a second make install keeps the existing tapmeetd.conf"
	echo "$out" | tail -5 | diag
fi
if cmp -s "$BUILD/tapmeet" "$D/usr/bin/tapmeet"; then
	ok "a second make install replaces the binaries"
else
	not_ok "a second make install replaces the binaries"
fi

if out=$(mk uninstall PREFIX=/usr DESTDIR="$D" 2>&1); then
	left=$(cd "$D" && find . -type f | sed 's|^\.||')
	if [ "$(sort <<<"$left")" = "/etc/tapmeet/followup.txt
/etc/tapmeet/tapmeetd.conf" ]; then
		ok "make uninstall removes everything but the config and the follow-up template"
	else
		not_ok "make uninstall removes everything but the config and the follow-up template"
		echo "$left" | diag
	fi
else
	not_ok "make uninstall PREFIX=/usr DESTDIR=..."
	echo "$out" | tail -10 | diag
fi

# PREFIX=/usr/local, another SYSCONFDIR: the unit follows the paths.
# Its own build directory: SYSCONFDIR is compiled into the binaries, and the
# caller's build must keep the paths it was made with.
L=$TMP/local
if out=$(mk install BUILD="$TMP/build-local" PREFIX=/usr/local SYSCONFDIR=/opt/etc DESTDIR="$L" 2>&1) &&
	u=$L/usr/local/lib/systemd/system/tapmeetd.service && [ -f "$u" ] &&
	grep -qx 'ExecStart=/usr/local/sbin/tapmeetd --config /opt/etc/tapmeet/tapmeetd.conf' "$u" &&
	grep -qx 'ExecStartPre=/usr/local/sbin/tapmeetd --check-config --config /opt/etc/tapmeet/tapmeetd.conf' "$u" &&
	[ -f "$L/usr/local/lib/sysusers.d/tapmeet.conf" ] && [ -f "$L/opt/etc/tapmeet/tapmeetd.conf" ] &&
	[ -x "$L/usr/local/sbin/tapmeetd" ] && [ -x "$L/usr/local/bin/tapmeet" ] &&
	"$L/usr/local/sbin/tapmeetd" --help | grep '(default /opt/etc/tapmeet/tapmeetd.conf)' >/dev/null; then
	ok "make install PREFIX=/usr/local SYSCONFDIR=/opt/etc: unit paths rewritten, default compiled in"
else
	not_ok "make install PREFIX=/usr/local SYSCONFDIR=/opt/etc: unit paths rewritten, default compiled in"
	{ echo "$out" | tail -5; grep -E '^Exec' "$L/usr/local/lib/systemd/system/tapmeetd.service" 2>&1; } | diag
fi

finish
