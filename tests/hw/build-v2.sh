#!/bin/sh
# Builds the whole project against libgpiod 2.x and runs its unit tests, in a
# Debian trixie root made with mmdebstrap (bookworm has only libgpiod 1.6).
#
#   tests/hw/build-v2.sh          make + make check-unit in the trixie root
#   tests/hw/build-v2.sh --vm     then also the gpio-sim VM test (run.sh)
#                                 with those binaries, trixie's libraries and
#                                 libgpiod 2.x tools
#
# The root is cached in ${TAPMEET_HW_CACHE:-/var/cache/tapmeet-hw}/trixie-root
# (about 500 MB; made once, in a minute or two). The source tree is copied
# into it at /src on every run (build/ and .git left out), so nothing is
# written to the working tree. Needs root (chroot); mounts live in a private
# mount namespace and vanish with it.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
CACHE=${TAPMEET_HW_CACHE:-/var/cache/tapmeet-hw}
ROOT=$CACHE/trixie-root
SUITE=${TAPMEET_V2_SUITE:-trixie}
MIRROR=${TAPMEET_V2_MIRROR:-http://deb.debian.org/debian}
# What `make deps` installs, minus the tools only the integration tests use;
# tzdata because the unit tests use named time zones (minbase roots lack it).
PKGS="build-essential pkg-config libsqlite3-dev sqlite3 libnfc-dev libgpiod-dev gpiod
      libcmocka-dev libsystemd-dev libinih-dev libssl-dev libunistring-dev libgmime-3.0-dev tzdata"
VM=
[ "${1:-}" = --vm ] && VM=1

log() { echo "build-v2: $*" >&2; }
die() { echo "build-v2: error: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (mmdebstrap, chroot)"
command -v mmdebstrap >/dev/null ||
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		-o DPkg::Lock::Timeout=600 mmdebstrap >&2

want=$(echo "$SUITE $PKGS" | tr -s ' \n' '  ')
if [ ! -e "$ROOT/.tapmeet-ok" ] || [ "$(cat "$ROOT/.tapmeet-ok")" != "$want" ]; then
	log "creating the $SUITE root in $ROOT"
	rm -rf "$ROOT"
	mkdir -p "$CACHE"
	# shellcheck disable=SC2086
	mmdebstrap --variant=apt --include="$(echo $PKGS | tr ' ' ,)" "$SUITE" "$ROOT" "$MIRROR" >&2 ||
		die "mmdebstrap failed"
	echo "$want" >"$ROOT/.tapmeet-ok"
fi
log "libgpiod in the root: $(chroot "$ROOT" pkg-config --modversion libgpiod)"

rm -rf "$ROOT/src"
mkdir -p "$ROOT/src"
tar -C "$TOP" --exclude=./build --exclude=./.git -cf - . | tar -C "$ROOT/src" -xf -

# /proc and /dev for the tests; a private mount namespace cleans up by itself.
unshare -m sh -ec '
	mount --rbind /dev "$1/dev"
	mount -t proc proc "$1/proc"
	mount -t tmpfs tmpfs "$1/tmp"
	chroot "$1" sh -ec "cd /src && make -j$(nproc) BUILD=build/v2 all check-unit"
' sh "$ROOT"
log "built and unit-tested against libgpiod $(chroot "$ROOT" pkg-config --modversion libgpiod)"

if [ -n "$VM" ]; then
	TAPMEET_HW_ROOT=$ROOT TAPMEET_HW_SRC=/src BUILD=build/v2 "$HERE/run.sh"
fi
