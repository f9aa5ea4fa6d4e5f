#!/bin/sh
# The Debian package under a real systemd: boots a small bookworm VM
# (qemu-system-x86_64, TCG) with systemd as PID 1, installs the .deb and runs
# guest-test.sh (service readiness, reload, restart after SIGKILL, watchdog,
# LEDs off on stop, database access by group, remove/purge).
#
#   tests/vm-systemd/run.sh [PATH/TO/tapmeet_*.deb]
#
# Without an argument the .deb is built first (packaging/build-deb.sh, with
# DEB_BUILD_OPTIONS=nocheck) into build/vm-systemd/.
#
# The guest is Debian's own kernel (bzImage, no modules needed) with the whole
# root filesystem as its initramfs: a bookworm minbase with systemd and the
# package's run-time libraries, built by mmdebstrap from this host's apt
# sources. Kernel and root are cached in ${TAPMEET_VM_CACHE:-/var/cache/tapmeet-vm}
# (rebuilt when this script's recipe changes; TAPMEET_VM_REBUILD=1 forces it).
#
# Environment: TAPMEET_VM_TIMEOUT (seconds for the VM, default 300),
# TAPMEET_VM_KEEP=1 keeps the work directory (console.log, initrd).
# Output: "ok - ..." / "not ok - ..." lines, then "N passed, M failed".
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
. "$TOP/tests/lib/vm.sh"
CACHE=${TAPMEET_VM_CACHE:-/var/cache/tapmeet-vm}
TIMEOUT=${TAPMEET_VM_TIMEOUT:-300}
SUITE=bookworm
HOST_PKGS="qemu-system-x86 mmdebstrap cpio"
# Run-time dependencies of the package (so dpkg -i needs no network in the
# guest), plus what the test uses.
GUEST_PKGS="systemd,systemd-sysv,libc6,libgpiod2,libinih1,libnfc6,libsqlite3-0,libssl3,libsystemd0,libgmime-3.0-0,sqlite3,procps"
RECIPE="v1 $SUITE $GUEST_PKGS"

log() { echo "# vm-systemd: $*"; }
die() { echo "not ok - vm-systemd: $*"; echo "0 passed, 1 failed"; exit 1; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
installed() { dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null | grep -q 'install ok installed'; }

t0=$(date +%s)
missing=
for p in $HOST_PKGS; do installed "$p" || missing="$missing $p"; done
if [ -n "$missing" ]; then
	log "installing$missing"
	# shellcheck disable=SC2086
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		-o DPkg::Lock::Timeout=600 $missing >&2 || die "cannot install$missing"
fi

# ---- the package -------------------------------------------------------------
DEB=${1:-}
if [ -z "$DEB" ]; then
	log "building the .deb (packaging/build-deb.sh, nocheck)"
	DEB_BUILD_OPTIONS=nocheck "$TOP/packaging/build-deb.sh" "$TOP/build/vm-systemd" >/dev/null 2>"$TOP/build/vm-systemd.build.log" ||
		{ tail -n 30 "$TOP/build/vm-systemd.build.log" | sed 's/^/#   /'; die "building the .deb failed"; }
	DEB=$(ls -t "$TOP"/build/vm-systemd/tapmeet_*_amd64.deb | head -n1)
fi
[ -f "$DEB" ] || die "no such .deb: $DEB"
t_deb=$(($(date +%s) - t0))

# ---- cached kernel and root ----------------------------------------------------
as_root mkdir -p "$CACHE"
if [ "${TAPMEET_VM_REBUILD:-}" = 1 ] || [ ! -f "$CACHE/ok" ] || [ "$(cat "$CACHE/ok")" != "$RECIPE" ]; then
	t1=$(date +%s)
	log "building kernel and root in $CACHE"
	as_root rm -rf "$CACHE/dl" "$CACHE/root" "$CACHE/ok"
	as_root mkdir -p "$CACHE/dl"
	# apt-get download runs as _apt, which must be able to write here.
	as_root chmod 0777 "$CACHE/dl"
	kpkg=$(apt-cache depends linux-image-amd64 | sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -n1)
	[ -n "$kpkg" ] || die "cannot resolve linux-image-amd64 (apt-get update?)"
	(cd "$CACHE/dl" && apt-get download -q "$kpkg" >&2) || die "apt-get download $kpkg failed"
	as_root dpkg-deb --fsys-tarfile "$CACHE"/dl/linux-image-*.deb |
		as_root tar -x -O --wildcards './boot/vmlinuz-*' >"$CACHE/vmlinuz.new" ||
		die "no vmlinuz in $kpkg"
	as_root mv "$CACHE/vmlinuz.new" "$CACHE/vmlinuz"
	echo "$kpkg" | as_root tee "$CACHE/kernel" >/dev/null
	as_root rm -rf "$CACHE/dl"

	# The host's apt sources (deb822 or one-line), so the guest comes from
	# wherever this host's apt gets Debian.
	srcs=
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] && srcs="$srcs $f"
	done
	[ -n "$srcs" ] || die "no apt sources on this host"
	# shellcheck disable=SC2086
	as_root mmdebstrap --variant=minbase --format=directory --include="$GUEST_PKGS" \
		--customize-hook='chroot "$1" systemctl mask serial-getty@ttyS0.service getty@tty1.service \
			systemd-timesyncd.service apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer \
			fstrim.timer >/dev/null 2>&1 || true' \
		--customize-hook='echo tapmeet-vm >"$1/etc/hostname"' \
		--customize-hook='rm -f "$1"/var/cache/apt/archives/*.deb "$1"/var/lib/apt/lists/*_Packages' \
		"$SUITE" "$CACHE/root" $srcs >"$CACHE.mmdebstrap.log" 2>&1 ||
		{ tail -n 20 "$CACHE.mmdebstrap.log" | sed 's/^/#   /'; die "mmdebstrap failed"; }
	# The root as a newc archive, once; each run appends its own small one.
	(cd "$CACHE/root" && as_root find . -xdev | LC_ALL=C sort | as_root cpio -o -H newc --quiet) \
		>"$CACHE/root.cpio.new" || die "cpio of the root failed"
	as_root mv "$CACHE/root.cpio.new" "$CACHE/root.cpio"
	as_root rm -rf "$CACHE/root"
	echo "$RECIPE" | as_root tee "$CACHE/ok" >/dev/null
	log "cache built in $(($(date +%s) - t1))s"
fi
t_cache=$(($(date +%s) - t0 - t_deb))

# ---- this run's overlay: the .deb, the test and the unit that runs it --------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tapmeet-vm.XXXXXX")
cleanup() {
	if [ -n "${TAPMEET_VM_KEEP:-}" ]; then echo "# kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
O=$WORK/overlay
mkdir -p "$O/root" "$O/etc/systemd/system/multi-user.target.wants"
cp "$DEB" "$O/root/tapmeet.deb"
cp "$HERE/guest-test.sh" "$O/root/guest-test.sh"
chmod 0755 "$O/root/guest-test.sh"
cat >"$O/etc/systemd/system/tapmeet-vmtest.service" <<'EOF'
[Unit]
Description=tapmeet VM test
After=multi-user.target
[Service]
Type=oneshot
ExecStart=/bin/sh -c '/root/guest-test.sh >/dev/ttyS0 2>&1; echo "TAPMEET-VM-END rc=$?" >/dev/ttyS0; systemctl poweroff --force --force'
StandardOutput=null
EOF
ln -s ../tapmeet-vmtest.service "$O/etc/systemd/system/multi-user.target.wants/tapmeet-vmtest.service"
(cd "$O" && find . | cpio -o -H newc -R 0:0 --quiet) >"$WORK/overlay.cpio"
# Concatenated newc archives are one initramfs to the kernel.
cat "$CACHE/root.cpio" "$WORK/overlay.cpio" >"$WORK/initrd.cpio"

# ---- boot ------------------------------------------------------------------------
LOG=$WORK/console.log
log "booting $(cat "$CACHE/kernel") under TCG with systemd as PID 1 (timeout ${TIMEOUT}s)"
t2=$(date +%s)
vm_boot "$TIMEOUT" 2048 2 "$CACHE/vmlinuz" "$WORK/initrd.cpio" \
	"console=ttyS0 rdinit=/lib/systemd/systemd panic=-1 quiet loglevel=3 systemd.show_status=0 tsc=reliable no_timer_check" \
	"$LOG"
t_vm=$(($(date +%s) - t2))

vm_result "$LOG" TAPMEET-VM "$TIMEOUT" 40
passed=$vm_passed
failed=$vm_failed
[ -n "${TAPMEET_VM_KEEP:-}" ] && cp "$LOG" "$TOP/build/vm-systemd.console.log" 2>/dev/null
log "deb ${t_deb}s, cache ${t_cache}s, VM ${t_vm}s, total $(($(date +%s) - t0))s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
