#!/bin/sh
# Fetches and builds what the gpio-sim VM test needs, cached between runs:
#
#   $CACHE/<abi>/vmlinux       Debian's kernel, uncompressed (boots as PVH, ~5 s faster)
#   $CACHE/<abi>/bzImage       the same kernel as packaged (fallback boot)
#   $CACHE/<abi>/modules/      configfs.ko from the image, gpio-sim.ko built here
#   $CACHE/current             symlink to the last complete <abi>
#
# Debian's amd64 kernels lack CONFIG_GPIO_SIM (and CONFIG_IRQ_SIM), so the
# module is built out of tree from three files of the matching linux-source;
# image, headers and sources must be the very same package version, or the
# module will not load.
#
# Environment: TAPMEET_HW_CACHE (default /var/cache/tapmeet-hw),
#              TAPMEET_HW_KVER  (a Debian package version such as 6.1.192-2;
#                                default: newest for which all parts exist).
# Prints the cache directory of the kernel on its last line.
set -eu

CACHE=${TAPMEET_HW_CACHE:-/var/cache/tapmeet-hw}
SRC_PKG=linux-source-6.1
HOST_PKGS="qemu-system-x86 busybox-static cpio xz-utils gpiod sqlite3"

log() { echo "prepare: $*" >&2; }
die() { echo "prepare: error: $*" >&2; exit 1; }

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install() {
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		-o DPkg::Lock::Timeout=600 "$@" >&2
}

installed() {
	dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null | grep -q 'install ok installed'
}

missing=
for p in $HOST_PKGS; do installed "$p" || missing="$missing $p"; done
if [ -n "$missing" ]; then
	log "installing$missing"
	# shellcheck disable=SC2086
	apt_install $missing
fi

mkdir -p "$CACHE"

# A version is usable when the image and headers of exactly that version are
# in the archive next to the sources. The ABI name (6.1.0-NN) comes from the
# meta-package of the same version.
abi_of() {
	apt-cache show "linux-image-amd64=$1" 2>/dev/null |
		sed -n 's/^Depends:.*linux-image-\(6\.1\.[0-9]*-[0-9]*\)-amd64 (= .*/\1/p' | head -n1
}

pick_version() {
	for v in $(apt-cache madison "$SRC_PKG" 2>/dev/null | awk -F'|' '{gsub(/ /,"",$2); print $2}'); do
		abi=$(abi_of "$v")
		[ -n "$abi" ] || continue
		apt-cache madison "linux-headers-$abi-amd64" 2>/dev/null |
			awk -F'|' -v v="$v" '{gsub(/ /,"",$2)} $2==v {f=1} END {exit !f}' || continue
		echo "$v $abi"
		return 0
	done
	return 1
}

if [ -n "${TAPMEET_HW_KVER:-}" ]; then
	VER=$TAPMEET_HW_KVER
	ABI=$(abi_of "$VER")
	[ -n "$ABI" ] || die "no linux-image-amd64 of version $VER in the apt index"
elif picked=$(pick_version); then
	VER=${picked% *}
	ABI=${picked#* }
elif [ -e "$CACHE/current/ok" ]; then
	# No usable index (offline, no apt-get update): the last build still works.
	log "apt index has no matching kernel; using cached $(readlink "$CACHE/current")"
	echo "$CACHE/$(readlink "$CACHE/current")"
	exit 0
else
	die "no version of $SRC_PKG with matching linux-image-amd64 and headers (run apt-get update?)"
fi

KDIR=$CACHE/$ABI
if [ -e "$KDIR/ok" ] && [ "$(cat "$KDIR/ok")" = "$VER" ]; then
	ln -sfn "$ABI" "$CACHE/current"
	echo "$KDIR"
	exit 0
fi

log "building kernel parts for $ABI ($VER) in $KDIR"
rm -rf "$KDIR"
mkdir -p "$KDIR/dl" "$KDIR/modules" "$KDIR/build"
HDR=/usr/src/linux-headers-$ABI-amd64

# Headers are installed (they pull in linux-kbuild-6.1 of the same version);
# extracting them elsewhere would break their absolute include paths.
if ! installed "linux-headers-$ABI-amd64"; then
	log "installing linux-headers-$ABI-amd64"
	apt_install "linux-headers-$ABI-amd64=$VER" "linux-headers-$ABI-common=$VER" \
		"linux-kbuild-6.1=$VER"
fi
[ -f "$HDR/Module.symvers" ] || die "$HDR is incomplete"

# apt-get download drops privileges to _apt, which must be able to write here.
chmod 0777 "$KDIR/dl"
(cd "$KDIR/dl" && apt-get download -q "linux-image-$ABI-amd64=$VER" "$SRC_PKG=$VER") >&2 ||
	die "apt-get download failed"

dpkg-deb -x "$KDIR"/dl/linux-image-*.deb "$KDIR/image"
cp "$KDIR/image/boot/vmlinuz-$ABI-amd64" "$KDIR/bzImage"
cp "$KDIR/image/lib/modules/$ABI-amd64/kernel/fs/configfs/configfs.ko" "$KDIR/modules/"

# Only four files of the 130 MB source tarball are needed.
dpkg-deb --fsys-tarfile "$KDIR"/dl/linux-source-*.deb |
	tar -x -O "./usr/src/$SRC_PKG.tar.xz" |
	xz -dc |
	tar -x -C "$KDIR/build" --strip-components=1 \
		"$SRC_PKG/drivers/gpio/gpio-sim.c" "$SRC_PKG/drivers/gpio/gpiolib.h" \
		"$SRC_PKG/kernel/irq/irq_sim.c" "$SRC_PKG/scripts/extract-vmlinux"

B=$KDIR/build
mkdir -p "$B/mod"
# The module cannot be called gpio-sim.ko and also contain gpio-sim.o.
cp "$B/drivers/gpio/gpio-sim.c" "$B/mod/gpio-sim-main.c"
cp "$B/drivers/gpio/gpiolib.h" "$B/mod/"
# irq_to_desc() is not exported to modules; generic_handle_irq_safe() does
# the same job (look up the descriptor, run its flow handler) and is.
sed 's/handle_simple_irq(irq_to_desc(irqnum));/generic_handle_irq_safe(irqnum);/' \
	"$B/kernel/irq/irq_sim.c" >"$B/mod/irq_sim.c"
grep -q 'generic_handle_irq_safe(irqnum)' "$B/mod/irq_sim.c" ||
	die "irq_sim.c changed shape; the irq_to_desc patch did not apply"
cat >"$B/mod/Kbuild" <<'EOF'
obj-m := gpio-sim.o
gpio-sim-y := gpio-sim-main.o irq_sim.o
EOF
make -s -C "$HDR" M="$B/mod" -j"$(nproc)" modules >&2 || die "building gpio-sim.ko failed"
cp "$B/mod/gpio-sim.ko" "$KDIR/modules/"

sh "$B/scripts/extract-vmlinux" "$KDIR/bzImage" >"$KDIR/vmlinux" ||
	{ log "extract-vmlinux failed; will boot bzImage"; rm -f "$KDIR/vmlinux"; }

rm -rf "$KDIR/dl" "$KDIR/image" "$B"
echo "$VER" >"$KDIR/ok"
ln -sfn "$ABI" "$CACHE/current"
log "done: $KDIR"
echo "$KDIR"
