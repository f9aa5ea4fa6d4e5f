#!/bin/sh
# Builds the tapmeet .deb from this source tree into OUTDIR and runs lintian.
#
#   packaging/build-deb.sh [OUTDIR]       (default: build/deb)
#
# The tree (work tree as it is, without build/ and .git) is copied to a
# temporary directory first, so nothing here changes. Build dependencies
# (from debian/control), dpkg-dev and lintian are installed with apt-get
# when missing. DEB_BUILD_OPTIONS=nocheck skips the unit tests.
# Exit status: non-zero when the build fails or lintian reports an error.
set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$TOP/build/deb}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

log() { echo "build-deb: $*" >&2; }
die() { echo "build-deb: error: $*" >&2; exit 1; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_install() {
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		-o DPkg::Lock::Timeout=600 "$@"
}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tapmeet-deb.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
SRC=$WORK/tapmeet
mkdir -p "$SRC"
# Copy (not git archive): files not yet committed belong to the build too.
tar -C "$TOP" --exclude=./build --exclude=./.git --exclude='*.o' --exclude='*.d' \
	--exclude=./debian/build --exclude=./debian/tapmeet --exclude=./debian/.debhelper \
	-cf - . | tar -C "$SRC" -xf -

for tool in dpkg-buildpackage lintian; do
	command -v "$tool" >/dev/null || { log "installing dpkg-dev lintian"; apt_install dpkg-dev lintian; break; }
done
if ! (cd "$SRC" && dpkg-checkbuilddeps) 2>/dev/null; then
	log "installing build dependencies"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get build-dep -y -q \
		-o DPkg::Lock::Timeout=600 "$SRC"
fi

log "dpkg-buildpackage in $SRC"
(cd "$SRC" && dpkg-buildpackage -us -uc -b) >"$WORK/build.log" 2>&1 || {
	tail -n 60 "$WORK/build.log" >&2
	die "dpkg-buildpackage failed (log above)"
}
grep -E '^(unit|integration|[0-9]+ passed)' "$WORK/build.log" >&2 || true

cp "$WORK"/tapmeet_*.deb "$WORK"/tapmeet_*.buildinfo "$WORK"/tapmeet_*.changes "$OUT"/
# The -dbgsym package, when dh_strip made one.
cp "$WORK"/tapmeet-dbgsym_*.deb "$OUT"/ 2>/dev/null || true
changes=$(ls "$OUT"/tapmeet_*"$(dpkg --print-architecture)".changes 2>/dev/null | tail -n1)

log "lintian"
# Errors fail the build; warnings and the rest are shown.
set +e
lintian --display-info --fail-on error "$changes" >&2
rc=$?
set -e
[ "$rc" -eq 0 ] || die "lintian reported errors"
ls -1 "$OUT"/tapmeet_*.deb
