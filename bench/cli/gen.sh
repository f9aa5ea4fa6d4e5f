# Sourced by the benchmarks that read generated databases (bench/cli/run.sh,
# bench/report.sh, bench/followup.sh); needs BUILD (absolute), CACHE and ROOT.
# Builds bench/cli/gen.c against $BUILD/libtapmeet.a as the programs link the
# store (Makefile: LIBS, plus the hardware libraries when the archive holds
# their drivers) into $CACHE/cli-gen, and sets GEN and VER, the cache key:
# the generator's version and the store's sources, so that a store edit
# generates the databases again.
GEN=$CACHE/cli-gen
LIB=$BUILD/libtapmeet.a
[ -f "$LIB" ] || { echo "${0##*/}: $LIB is missing: run make first" >&2; exit 1; }
PKGS="sqlite3 inih libsystemd libcrypto"
ar t "$LIB" | grep -qx reader_libnfc.o && PKGS="$PKGS libnfc"
ar t "$LIB" | grep -qx leds_gpiod.o && PKGS="$PKGS libgpiod"
# shellcheck disable=SC2046,SC2086
cc -std=gnu11 -O2 -Wall -Wextra -D_GNU_SOURCE -I"$ROOT/include" -o "$GEN" "$ROOT/bench/cli/gen.c" \
	"$LIB" $(pkg-config --libs $PKGS) -lunistring -lpthread -lm
VER=$("$GEN" --version)-$(cat "$ROOT"/store/*.c "$ROOT"/store/*.h "$ROOT/include/tapmeet/store.h" |
	sha1sum | cut -c1-8)

# cached_db PREFIX NAME GEN_ARGS...: $CACHE/PREFIX-NAME-vVER.db, generated
# when missing; other versions of it go (a store edit would pile them up).
# When the caller defines db_prepare, it runs on a new database before the
# database is kept.
cached_db() {
	local prefix=$1 name=$2 db="$CACHE/$1-$2-v$VER.db" t0
	shift 2
	if [ ! -f "$db" ]; then
		rm -f "$CACHE/$prefix-$name-v"*.db "$CACHE/$prefix-$name-v"*.db-wal \
			"$CACHE/$prefix-$name-v"*.db-shm
		echo "generating $name database ..." >&2
		t0=$(date +%s%N)
		"$GEN" "$1" "$db.tmp" "${@:2}" >&2
		if declare -F db_prepare >/dev/null; then db_prepare "$db.tmp"; fi
		mv "$db.tmp" "$db"
		rm -f "$db.tmp-wal" "$db.tmp-shm" # emptied by the generator
		echo "  done in $((($(date +%s%N) - t0) / 1000000)) ms" >&2
	fi
	echo "$db"
}
