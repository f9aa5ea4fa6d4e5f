#!/usr/bin/env bash
# Benchmark of `tapmeet followup` (dry run): bench/followup.sh BUILD_DIR
# Prints figures, never pass/fail. The databases are bench/cli/run.sh's
# (generated through the store by bench/cli/gen.c, cached in BUILD_DIR/bench/)
# with every attendee given an e-mail address, a handle and, for every
# other one, consent, so that every attendee with a meeting gets a message:
#   sfhh: the SFHH 2009 conference contacts (../shared/data/sociopatterns-sfhh),
#         or a generated 30,000-meeting stand-in when it is absent
#   1M:   1,000,000 meetings, 20,000 attendees, 50 stations, 3 days
# For each: wall time (median of RUNS, default 3), user and system CPU and
# peak RSS of the last run, messages and bytes written; the time of the
# store's walks alone (the same SQL in the sqlite3 shell) beside it.
# SETS picks data sets: SETS=sfhh bench/followup.sh build.
set -euo pipefail

BUILD=$(cd "${1:?usage: bench/followup.sh BUILD_DIR}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
TAPMEET=$BUILD/tapmeet
RUNS=${RUNS:-3}
SETS=${SETS:-sfhh 1M}
CACHE=$BUILD/bench
mkdir -p "$CACHE"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

ROOT=$(cd "$HERE/.." && pwd)
. "$ROOT/bench/cli/gen.sh"
db_prepare() { # every attendee an address and a handle, every other one consent
	sqlite3 "$1" "UPDATE attendees SET
		email = 'a' || lower(uid) || '@example.org', handle = '@' || lower(uid),
		consent = rowid % 2; PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
}
db_for() { cached_db followup "$@"; } # db_for NAME GEN_ARGS...

# The store's walks (store/followup.c at schema 6), for reference: the
# registry, then every meeting's badges in time order.
SQL_WALK="SELECT a.uid, a.name, a.org, a.consent = 1, CASE WHEN a.consent = 1 THEN a.handle ELSE '' END, CASE WHEN a.consent = 1 THEN a.email ELSE '' END, a.email, f.message_id FROM attendees a LEFT JOIN followups f ON f.uid = a.uid ORDER BY a.uid; SELECT m.rowid, m.time_utc, coalesce(nullif(s.name, ''), m.station), coalesce(m.suspect, ''), b.uid FROM meetings m CROSS JOIN meeting_badges b ON b.meeting_id = m.id LEFT JOIN stations s ON s.id = m.station WHERE 0 OR coalesce(m.suspect, '') = '' ORDER BY m.utc_ms, m.station, m.seq;"

median_of() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]}'; }

bench_db() { # bench_db LABEL DB
	local label=$1 db=$2 runs=() sql=() t0 t1 i out
	: >"$TMP/empty.conf"
	echo
	echo "== $label: $(sqlite3 "$db" "SELECT (SELECT count(*) FROM meetings) || ' meetings, ' || (SELECT count(*) FROM attendees) || ' attendees'")"
	for ((i = 0; i < RUNS; i++)); do
		rm -rf "$TMP/out"
		t0=$(date +%s%N)
		/usr/bin/time -f '%U %S %M' -o "$TMP/time" "$TAPMEET" --config "$TMP/empty.conf" \
			--db "$db" followup --out "$TMP/out" >"$TMP/summary"
		t1=$(date +%s%N)
		runs+=($(((t1 - t0) / 1000000)))
		t0=$(date +%s%N)
		sqlite3 "$db" "$SQL_WALK" >/dev/null
		t1=$(date +%s%N)
		sql+=($(((t1 - t0) / 1000000)))
	done
	read -r user sys rss <"$TMP/time"
	out=$(du -sm "$TMP/out" | cut -f1)
	printf '   followup (dry run)   %10s ms   user %s s  sys %s s  peak RSS %s KB\n' \
		"$(median_of "${runs[@]}")" "$user" "$sys" "$rss"
	printf '   its SQL in sqlite3   %10s ms\n' "$(median_of "${sql[@]}")"
	echo "   $(cat "$TMP/summary" | sed "s|$TMP/out|DIR|g"); $out MB written"
	rm -rf "$TMP/out"
}

on() { case " $SETS " in *" $1 "*) return 0 ;; esac; return 1; }

echo "tapmeet followup benchmark: median of $RUNS dry runs, each writing every message"
SFHH=$HERE/../../shared/data/sociopatterns-sfhh/tij_SFHH.dat
if ! on sfhh; then
	:
elif [ -r "$SFHH" ]; then
	bench_db "SFHH 2009 (real contacts)" "$(db_for sfhh sfhh "$SFHH")"
else
	echo
	echo "== SFHH data not found at $SFHH: using a generated 30,000-meeting database instead"
	bench_db "SFHH stand-in (generated)" "$(db_for sfhh-standin synthetic 30000 400 10 2)"
fi
if on 1M; then bench_db "synthetic 1M meetings" "$(db_for big synthetic 1000000 20000 50 3)"; fi
