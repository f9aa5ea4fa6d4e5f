#!/usr/bin/env bash
# Benchmark of the tapmeet CLI: bench/cli/run.sh BUILD_DIR
# Prints figures, never pass/fail. Databases are cached in BUILD_DIR/bench/,
# keyed by the generator's version and the store's sources (the generator
# writes through the store, BUILD_DIR/libtapmeet.a):
#   synthetic: 1,000,000 meetings, 20,000 attendees, 50 stations, 3 days
#   sfhh:      the SFHH 2009 conference contacts (../shared/data/sociopatterns-sfhh)
#   small:     10,000 meetings (for comparing peak memory of the exports)
# For each: median wall time of RUNS runs of the CLI and of the same SQL typed
# into the sqlite3 shell (the reference), and peak RSS of every export.
set -euo pipefail

BUILD=$(cd "${1:?usage: bench/cli/run.sh BUILD_DIR}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
TAPMEET=$BUILD/tapmeet
RUNS=${RUNS:-7}
CACHE=$BUILD/bench
mkdir -p "$CACHE"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# The generator links the store as the programs do (Makefile: LIBS), plus the
# hardware libraries when the archive holds their drivers.
GEN=$CACHE/cli-gen
LIB=$BUILD/libtapmeet.a
[ -f "$LIB" ] || { echo "bench/cli/run.sh: $LIB is missing: run make first" >&2; exit 1; }
PKGS="sqlite3 inih libsystemd libcrypto"
ar t "$LIB" | grep -qx reader_libnfc.o && PKGS="$PKGS libnfc"
ar t "$LIB" | grep -qx leds_gpiod.o && PKGS="$PKGS libgpiod"
cc -std=gnu11 -O2 -Wall -Wextra -D_GNU_SOURCE -I"$ROOT/include" -o "$GEN" "$HERE/gen.c" "$LIB" \
	$(pkg-config --libs $PKGS) -lunistring -lpthread -lm
VER=$("$GEN" --version)-$(cat "$ROOT"/store/*.c "$ROOT"/store/*.h "$ROOT/include/tapmeet/store.h" |
	sha1sum | cut -c1-8)

db_for() { # db_for NAME ARGS...: the cached database, generated when missing
	local name=$1 db="$CACHE/cli-$1-v$VER.db"
	shift
	if [ ! -f "$db" ]; then
		# Databases of other versions are stale: a store edit would pile them up.
		rm -f "$CACHE/cli-$name-v"*.db "$CACHE/cli-$name-v"*.db-wal "$CACHE/cli-$name-v"*.db-shm
		echo "generating $name database ..." >&2
		local t0=$(date +%s%N)
		"$GEN" "$1" "$db.tmp" "${@:2}" >&2
		mv "$db.tmp" "$db"
		rm -f "$db.tmp-wal" "$db.tmp-shm" # emptied by the generator
		echo "  done in $(((($(date +%s%N) - t0)) / 1000000)) ms" >&2
	fi
	echo "$db"
}

# median_ms CMD...: median wall time in ms over RUNS runs, output discarded
median_ms() {
	local times=() t0
	for _ in $(seq "$RUNS"); do
		t0=$(date +%s%N)
		"$@" >/dev/null 2>&1 || true
		times+=($((($(date +%s%N) - t0) / 1000)))
	done
	printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]/1000}'
}

peak_kb() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }

SQL_PERSON="SELECT m.id, m.time_utc, m.station, o.uid, a.name, a.org FROM meeting_badges me JOIN meetings m ON m.id = me.meeting_id JOIN meeting_badges o ON o.meeting_id = me.meeting_id AND o.uid <> me.uid LEFT JOIN attendees a ON a.uid = o.uid WHERE me.uid = '%s' ORDER BY m.utc_ms, m.id, o.uid;"
SQL_STATS="SELECT count(*) FROM taps; SELECT count(*) FROM meetings; SELECT outcome, count(*) FROM taps GROUP BY outcome; SELECT count(*) FROM (SELECT uid FROM attendees UNION SELECT uid FROM taps WHERE outcome <> 'rejected' UNION SELECT uid FROM meeting_badges); SELECT count(DISTINCT uid) FROM meeting_badges; SELECT utc_ms / 3600000 AS h, count(*) FROM meetings GROUP BY h; SELECT uid, count(*) AS n FROM meeting_badges GROUP BY uid ORDER BY n DESC LIMIT 10; SELECT station, count(*) AS n FROM meetings GROUP BY station ORDER BY n DESC LIMIT 10;"
SQL_SINCE="SELECT m.id, m.time_utc, m.station, (SELECT group_concat(uid, ' ') FROM meeting_badges WHERE meeting_id = m.id) FROM meetings m WHERE m.utc_ms >= %s ORDER BY m.utc_ms, m.id;"
SQL_EDGES="SELECT a.uid, b.uid, count(*) FROM meeting_badges a JOIN meeting_badges b ON b.meeting_id = a.meeting_id AND b.uid > a.uid GROUP BY a.uid, b.uid ORDER BY a.uid, b.uid;"
SQL_TIJ="SELECT m.utc_ms / 1000, a.uid, b.uid FROM meetings m JOIN meeting_badges a ON a.meeting_id = m.id JOIN meeting_badges b ON b.meeting_id = m.id AND b.uid > a.uid ORDER BY m.utc_ms, m.id, a.uid, b.uid;"

bench_db() { # bench_db LABEL DB
	local label=$1 db=$2 tm=("$TAPMEET" --config /dev/null --db "$2")
	local uid last since
	uid=$(sqlite3 "$db" "SELECT uid FROM meeting_badges GROUP BY uid ORDER BY count(*) DESC LIMIT 1 OFFSET 100")
	last=$(sqlite3 "$db" "SELECT max(utc_ms) FROM meetings")
	since=$((last - 3600 * 1000))
	echo
	echo "== $label: $(sqlite3 "$db" "SELECT (SELECT count(*) FROM meetings) || ' meetings, ' || (SELECT count(*) FROM taps) || ' taps, ' || (SELECT count(*) FROM attendees) || ' attendees'"), $(du -h "$db" | cut -f1)"
	echo "   person $uid: $(sqlite3 "$db" "SELECT count(*) FROM meeting_badges WHERE uid = '$uid'") meetings"
	printf '   %-28s %10s %12s %10s\n' "command" "tapmeet ms" "sqlite3 ms" "peak RSS"
	row() { printf '   %-28s %10s %12s %10s\n' "$1" "$2" "$3" "${4:-}"; }
	row "person UID" "$(median_ms "${tm[@]}" person "$uid")" \
		"$(median_ms sqlite3 "$db" "$(printf "$SQL_PERSON" "$uid")")"
	row "stats" "$(median_ms "${tm[@]}" stats)" "$(median_ms sqlite3 "$db" "$SQL_STATS")"
	row "meetings --since (last 1h)" \
		"$(TAPMEET_NOW_MS=$last median_ms "${tm[@]}" meetings --since 1h --format csv)" \
		"$(median_ms sqlite3 "$db" "$(printf "$SQL_SINCE" "$since")")"
	for fmt in gexf graphml dot csv; do
		row "export $fmt" "$(median_ms "${tm[@]}" export $fmt)" "$(median_ms sqlite3 "$db" "$SQL_EDGES")" \
			"$(peak_kb "${tm[@]}" export $fmt) KB"
	done
	row "export tij" "$(median_ms "${tm[@]}" export tij)" "$(median_ms sqlite3 "$db" "$SQL_TIJ")" \
		"$(peak_kb "${tm[@]}" export tij) KB"
}

echo "tapmeet CLI benchmark: median of $RUNS runs; reference = the same SQL in the sqlite3 shell"
echo "(the shell reference for the network exports is the edge query alone)"
bench_db "small synthetic" "$(db_for small synthetic 10000 2000 50 3)"
SFHH=$ROOT/../shared/data/sociopatterns-sfhh/tij_SFHH.dat
if [ -r "$SFHH" ]; then
	bench_db "SFHH 2009 (real contacts)" "$(db_for sfhh sfhh "$SFHH")"
else
	echo
	echo "== SFHH data not found at $SFHH: using a generated 30,000-meeting database instead"
	bench_db "SFHH stand-in (generated)" "$(db_for sfhh-standin synthetic 30000 400 10 2)"
fi
bench_db "synthetic 1M meetings" "$(db_for big synthetic 1000000 20000 50 3)"

# Schema migration 2 (store/schema.c) adds indexes for the CLI; a database the
# daemon has not migrated yet must still work, only slower: the same database
# at schema version 1.
BIG=$(db_for big synthetic 1000000 20000 50 3)
V1=$CACHE/cli-big-schema1-v$VER.db
if [ ! -f "$V1" ]; then
	rm -f "$CACHE/cli-big-schema1-v"*.db
	cp "$BIG" "$V1.tmp"
	sqlite3 "$V1.tmp" "DROP INDEX taps_unpaired; DROP INDEX attendees_uid_name;
		PRAGMA user_version = 1; ANALYZE;"
	mv "$V1.tmp" "$V1"
fi
echo
echo "== synthetic 1M meetings at schema version 1 (before migration 2)"
printf '   %-28s %10s %12s\n' "stats" "$(median_ms "$TAPMEET" --config /dev/null --db "$V1" stats)" \
	"$(median_ms sqlite3 "$V1" "$SQL_STATS")"
last=$(sqlite3 "$V1" "SELECT max(utc_ms) FROM meetings")
printf '   %-28s %10s %12s\n' "meetings --since (last 1h)" \
	"$(TAPMEET_NOW_MS=$last median_ms "$TAPMEET" --config /dev/null --db "$V1" meetings --since 1h --format csv)" \
	"$(median_ms sqlite3 "$V1" "$(printf "$SQL_SINCE" $((last - 3600 * 1000)))")"
