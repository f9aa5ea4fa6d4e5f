#!/bin/sh
# make check-hw: the LED driver against real libgpiod and the kernel's
# gpio-sim, in a small qemu VM (the build machine's kernel has no GPIO).
#
#   tests/hw/prepare.sh   kernel + gpio-sim.ko, cached
#   this script           initramfs (busybox, module, tapmeetd, tapmeet, gpiod
#                         tools, test helpers, every library by ldd), boots it
#                         under TCG, reads "ok - ..." / "not ok - ..." off the
#                         serial console
#   guest-test.sh         the test itself, run by the VM's init
#
# Environment: BUILD (default build), TAPMEET_HW_TIMEOUT (seconds, default 240),
# SANITIZE (non-empty: the test helpers, ledctl with the driver, under ASan+UBSan),
# TAPMEET_HW_CACHE (see prepare.sh), TAPMEET_HW_NO_DAEMON=1 to run only the
# driver-level checks (while tapmeetd does not build), TAPMEET_HW_KEEP=1 to
# keep the work directory, CC.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
. "$TOP/tests/lib/vm.sh"
cd "$TOP"
# With TAPMEET_HW_ROOT (build-v2.sh) the binaries, helpers, tools and their
# libraries come from that Debian root, where the project sits at
# TAPMEET_HW_SRC; BUILD is then inside the root.
HWROOT=${TAPMEET_HW_ROOT:-}
if [ -n "$HWROOT" ]; then
	SRC=${TAPMEET_HW_SRC:-/src}
	inroot() { chroot "$HWROOT" "$@"; }
else
	SRC=$TOP
	inroot() { "$@"; }
fi
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$SRC/$BUILD ;; esac
TIMEOUT=${TAPMEET_HW_TIMEOUT:-240}
CC=${CC:-cc}
PKG_CONFIG=${PKG_CONFIG:-pkg-config}

die() { echo "check-hw: error: $*" >&2; exit 1; }

t0=$(date +%s)
KDIR=$("$HERE/prepare.sh" | tail -n1)
[ -f "$KDIR/ok" ] || die "prepare.sh did not produce a kernel"
t_prep=$(($(date +%s) - t0))

OUT=$BUILD/hw
mkdir -p "$HWROOT$OUT"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tapmeet-hw.XXXXXX")
cleanup() {
	if [ -n "${TAPMEET_HW_KEEP:-}" ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- test helpers, built here with the project's warnings ----
WARN="-std=gnu11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes"
WARN="$WARN -Wformat=2 -Wpointer-arith -Wundef -Wvla -Wimplicit-fallthrough"
WARN="$WARN -Wmissing-declarations -Wwrite-strings -Wcast-align"
GPIOD_MAJOR=$(inroot "$PKG_CONFIG" --modversion libgpiod | cut -d. -f1)
# SANITIZE as in the Makefile: the helpers (and so the driver in ledctl) under ASan+UBSan.
[ -n "${SANITIZE:-}" ] &&
	WARN="$WARN -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"
DEFS="-D_GNU_SOURCE -DTAPMEET_HAVE_GPIOD=1 -DTAPMEET_GPIOD_API=$GPIOD_MAJOR -Iinclude"
GPIOD_FLAGS=$(inroot "$PKG_CONFIG" --cflags --libs libgpiod)
inroot sh -c "cd '$SRC' && $CC $WARN -O2 -g $DEFS -o '$OUT/ledctl' \
	tests/hw/ledctl.c drivers/leds_gpiod.c core/pattern.c lib/log.c $GPIOD_FLAGS" || die "building ledctl failed"
if [ -f "$HWROOT$SRC/core/pattern.c" ] && [ -f "$HWROOT$SRC/tests/hw/hwcheck.c" ]; then
	inroot sh -c "cd '$SRC' && $CC $WARN -O2 -g $DEFS -o '$OUT/hwcheck' \
		tests/hw/hwcheck.c core/pattern.c" || die "building hwcheck failed"
fi

# ---- initramfs ----
R=$WORK/root
mkdir -p "$R/bin" "$R/usr/bin" "$R/lib/modules" "$R/dev" "$R/proc" "$R/sys" "$R/tmp" \
	"$R/etc" "$R/run"
cp /bin/busybox "$R/bin/busybox"
for a in $(/bin/busybox --list); do
	[ "$a" = busybox ] || ln -s busybox "$R/bin/$a"
done
cp "$KDIR"/modules/*.ko "$R/lib/modules/"
cp "$HERE/guest-test.sh" "$R/guest-test.sh"

BINS="$OUT/ledctl"
[ -x "$HWROOT$OUT/hwcheck" ] && BINS="$BINS $OUT/hwcheck"
if [ -z "${TAPMEET_HW_NO_DAEMON:-}" ]; then
	for b in tapmeetd tapmeet; do
		[ -x "$HWROOT$BUILD/$b" ] ||
			die "$HWROOT$BUILD/$b missing: run make first (or TAPMEET_HW_NO_DAEMON=1)"
		BINS="$BINS $BUILD/$b"
	done
fi
for t in gpiodetect gpioinfo gpioget gpioset sqlite3; do
	p=$(inroot sh -c "command -v $t") || die "$t not found (prepare.sh installs gpiod and sqlite3)"
	BINS="$BINS $p"
done
# copy_in PATH: a file of the (build) root into the initramfs at the same path,
# symlinks resolved inside that root, not on this host.
copy_in() {
	[ -e "$R$1" ] && return 0
	mkdir -p "$R$(dirname "$1")"
	cp "$HWROOT$(inroot readlink -f "$1")" "$R$1"
}
for b in $BINS; do
	cp "$HWROOT$b" "$R/usr/bin/"
	# Libraries and the loader at the paths the binaries ask for.
	for lib in $(inroot ldd "$b" | awk '/=> \//{print $3} /^\t\//{print $1}'); do
		copy_in "$lib"
	done
done
# /lib64 and /lib/x86_64-linux-gnu must also be reachable via /usr (merged /usr).
[ -e "$R/usr/lib" ] || ln -s ../lib "$R/usr/lib"

# For the permission check: an unprivileged user to run the driver as.
printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' >"$R/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$R/etc/group"

cat >"$R/init" <<'EOF'
#!/bin/sh
export PATH=/usr/bin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
echo "TAPMEET-HW-BEGIN"
sh /guest-test.sh
echo "TAPMEET-HW-END rc=$?"
# Power off rather than exit: PID 1 exiting panics, which also ends qemu
# (panic=-1, -no-reboot), but with a noisy trace.
poweroff -f
EOF
chmod +x "$R/init" "$R/guest-test.sh"
(cd "$R" && find . | cpio -o -H newc --quiet) >"$WORK/initrd.cpio"

# ---- boot ----
KERNEL=$KDIR/vmlinux
[ -f "$KERNEL" ] || KERNEL=$KDIR/bzImage
LOG=$HWROOT$OUT/console.log
echo "check-hw: booting $(basename "$KDIR") under TCG (timeout ${TIMEOUT}s; console in $LOG)"
t1=$(date +%s)
vm_boot "$TIMEOUT" 512 1 "$KERNEL" "$WORK/initrd.cpio" \
	"console=ttyS0 panic=-1 quiet loglevel=3 rdinit=/init tsc=reliable no_timer_check" "$LOG"
t_vm=$(($(date +%s) - t1))

vm_result "$LOG" TAPMEET-HW "$TIMEOUT" 30
passed=$vm_passed
failed=$vm_failed
echo "check-hw: prepare ${t_prep}s, VM ${t_vm}s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
