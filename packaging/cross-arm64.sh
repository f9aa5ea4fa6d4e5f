#!/bin/sh
# Cross-builds tapmeetd, tapmeet and the unit tests for arm64 (Raspberry Pi
# OS 64-bit / Debian arm64) with Debian's cross toolchain, and runs the unit
# tests under qemu-user.
#
#   packaging/cross-arm64.sh [BUILD_DIR]      (default: build/arm64)
#
# Installs what it needs with apt-get (once): arm64 as a foreign dpkg
# architecture, gcc-aarch64-linux-gnu, qemu-user and the :arm64 -dev
# packages. The :arm64 and the installed amd64 -dev packages are Multi-Arch:
# same and must be of the same version: if apt refuses, upgrade the amd64
# ones first (apt-get upgrade) or run this in a clean container.
#
# The unit tests are run through `qemu-aarch64 -L /usr/aarch64-linux-gnu`
# (no binfmt_misc needed, so it works in containers); `make check-unit`
# itself would execute the arm64 binaries directly.
set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-build/arm64}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
TRIPLET=aarch64-linux-gnu
DEV_PKGS="libsqlite3-dev libinih-dev libsystemd-dev libssl-dev libnfc-dev libgpiod-dev libcmocka-dev libunistring-dev libgmime-3.0-dev"
HOST_PKGS="gcc-$TRIPLET libc6-dev-arm64-cross qemu-user make pkgconf"

log() { echo "cross-arm64: $*" >&2; }
die() { echo "cross-arm64: error: $*" >&2; exit 1; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
installed() { dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null | grep -q 'install ok installed'; }

# Some -dev packages (libnfc-dev) are not Multi-Arch: same, so installing the
# :arm64 one removes the native one. Whatever native -dev package this
# displaces is put back on the way out, so the host still builds natively.
native=$(dpkg --print-architecture)
displaced=
for p in $DEV_PKGS; do installed "$p:$native" && displaced="$displaced $p:$native"; done
restore_native() {
	back=
	for p in $displaced; do installed "$p" || back="$back $p"; done
	if [ -n "$back" ]; then
		log "restoring the native$back"
		# shellcheck disable=SC2086
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
			-o DPkg::Lock::Timeout=600 $back >&2 || log "could not restore$back"
	fi
}
trap restore_native EXIT

want=
for p in $HOST_PKGS; do installed "$p" || want="$want $p"; done
for p in $DEV_PKGS; do installed "$p:arm64" || want="$want $p:arm64"; done
if [ -n "$want" ]; then
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		log "adding arm64 as a foreign architecture"
		as_root dpkg --add-architecture arm64
		as_root apt-get update -q >&2
	fi
	log "installing$want"
	# shellcheck disable=SC2086
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		-o DPkg::Lock::Timeout=600 $want >&2 || die "apt-get install failed"
fi

# pkg-config for the arm64 .pc files (what pkgconf:arm64's
# aarch64-linux-gnu-pkg-config does, without installing it).
mkdir -p "$BUILD"
PC=$BUILD/$TRIPLET-pkg-config
cat >"$PC" <<EOF
#!/bin/sh
PKG_CONFIG_LIBDIR=/usr/lib/$TRIPLET/pkgconfig:/usr/share/pkgconfig
PKG_CONFIG_SYSTEM_LIBRARY_PATH=/usr/lib/$TRIPLET:/lib/$TRIPLET
export PKG_CONFIG_LIBDIR PKG_CONFIG_SYSTEM_LIBRARY_PATH
exec pkg-config "\$@"
EOF
chmod +x "$PC"
command -v "$TRIPLET-pkg-config" >/dev/null && PC=$TRIPLET-pkg-config

cd "$TOP"
# The unit test binaries by name: `make check-unit` would also run them.
UNIT_BINS=$(for t in tests/unit/test_*.c; do n=${t##*/}; echo "$BUILD/tests/${n%.c}"; done)
log "building with $TRIPLET-gcc into $BUILD"
# shellcheck disable=SC2086
make -j"$(nproc)" CC="$TRIPLET-gcc" PKG_CONFIG="$PC" BUILD="$BUILD" all $UNIT_BINS >&2 ||
	die "the cross build failed"

for b in "$BUILD/tapmeetd" "$BUILD/tapmeet"; do
	file "$b" 2>/dev/null | grep -q 'ARM aarch64' || [ "$(od -An -tx1 -j18 -N2 "$b" | tr -d ' ')" = b700 ] ||
		die "$b is not an arm64 binary"
done
echo "cross-arm64: built $(od -An -tx1 -j18 -N2 "$BUILD/tapmeetd" | tr -d ' ' | sed 's/b700/aarch64/') $BUILD/tapmeetd $BUILD/tapmeet" >&2

# qemu-aarch64 wrappers, so tests/run-unit.sh runs them like native binaries.
# -L: the dynamic loader and libc of the cross toolchain; the :arm64 libraries
# (sqlite, ssl, nfc, ...) are found in /usr/lib/aarch64-linux-gnu via multiarch.
QEMU=$(command -v qemu-aarch64 || command -v qemu-aarch64-static) || die "no qemu-aarch64"
W=$BUILD/qemu-wrap
rm -rf "$W"
mkdir -p "$W"
wrappers=
for b in $UNIT_BINS; do
	w=$W/${b##*/}
	printf '#!/bin/sh\nexec %s -L /usr/%s %s "$@"\n' "$QEMU" "$TRIPLET" "$b" >"$w"
	chmod +x "$w"
	wrappers="$wrappers $w"
done
# Also a quick check that the daemon and the CLI start on arm64.
"$QEMU" -L "/usr/$TRIPLET" "$BUILD/tapmeetd" --version >&2 || die "tapmeetd does not run under qemu"
"$QEMU" -L "/usr/$TRIPLET" "$BUILD/tapmeetd" --check-config --config etc/tapmeetd.conf >&2 ||
	die "tapmeetd --check-config fails under qemu"

log "unit tests under $QEMU"
# Bookworm's qemu-user (7.2) hangs in pthread_create and in fork of a
# dynamically linked aarch64 program (five-line programs reproduce both;
# statically linked they work, but libsystemd has no static library). The
# tests that start a thread or fork a child (test_writer, the writer-thread
# case of test_follow, the fail-closed case of test_identity) say they are
# skipped here; they run natively on every build.
export TAPMEET_TEST_QEMU_USER="qemu-user 7.2 hangs in pthread_create and fork"
# shellcheck disable=SC2086
tests/run-unit.sh $wrappers
