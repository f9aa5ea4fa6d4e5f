#!/usr/bin/env bash
# Benchmark of the tapmeet CLI: bench/cli/run.sh BUILD_DIR
# Prints figures, never pass/fail. Databases are cached in BUILD_DIR/bench/,
# keyed by the generator's version and the store's sources (the generator
# writes through the store, BUILD_DIR/libtapmeet.a):
#   small:     10,000 meetings (for comparing peak memory of the exports)
#   sfhh:      the SFHH 2009 conference contacts (../shared/data/sociopatterns-sfhh)
#   mid:       153,000 meetings, 20,000 attendees, 50 stations, 3 days
#   synthetic: 1,000,000 meetings, 20,000 attendees, 50 stations, 3 days
# For each command: median wall time of RUNS runs of the CLI and of the same
# SQL typed into the sqlite3 shell (the reference), their ratio, and peak RSS
# of the listings. The two are timed in turns, run by run, so that a busy
# machine weighs on both alike. A command whose first turn takes over 10 s
# gets 3 runs. The goals (every command within 1.2x of its reference;
# people under 0.3 s at 153k meetings) are marked met or not met: figures,
# not a verdict on the build. SETS picks data sets: SETS=153k bench/cli/run.sh build.
set -euo pipefail

BUILD=$(cd "${1:?usage: bench/cli/run.sh BUILD_DIR}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
TAPMEET=$BUILD/tapmeet
RUNS=${RUNS:-7}
SETS=${SETS:-small sfhh 153k 1M schema1} # which of the data sets below
CACHE=$BUILD/bench
mkdir -p "$CACHE"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

. "$HERE/gen.sh"
db_for() { cached_db cli "$@"; } # db_for NAME GEN_ARGS...

# pair_ms CLI_CMD... -- REF_CMD...: "CLI_MS REF_MS", each the median wall
# time over the runs, output discarded; the two run in turns.
pair_ms() {
	local cli=() ref=() a=() b=() t0 t1 t2 runs=$RUNS i
	while [ "$1" != -- ]; do cli+=("$1"); shift; done
	shift
	ref=("$@")
	for ((i = 0; i < runs; i++)); do
		t0=$(date +%s%N)
		"${cli[@]}" >/dev/null 2>&1 || true
		t1=$(date +%s%N)
		"${ref[@]}" >/dev/null 2>&1 || true
		t2=$(date +%s%N)
		a+=($(((t1 - t0) / 1000)))
		b+=($(((t2 - t1) / 1000)))
		if [ "$i" = 0 ] && [ $((t2 - t0)) -gt 10000000000 ] && [ "$runs" -gt 3 ]; then runs=3; fi
	done
	echo "$(median_of "${a[@]}") $(median_of "${b[@]}")"
}
median_of() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]/1000}'; }

# Goals, gathered as the rows are printed and summed up at the end.
GOALS=()
ratio_of() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
# The references. Where the CLI runs one statement it is that statement,
# copied from store/query.c (a database before schema 4 has no suspect
# column, before schema 2 no attendees_uid_name). `people` counts in memory
# what no single statement gives fast (store/people.c): its reference is
# the plain query it replaced, tm_fold (not in the shell) spelled lower().
# stats is several aggregate queries; an export's are its own (nodes, then
# edges; the contacts in time without the suspect meetings).
sql_person() { # sql_person SCHEMA UID
	local suspect=NULL
	[ "$1" -ge 4 ] && suspect=m.suspect
	echo "SELECT m.id AS meeting, m.time_utc AS \"time|time\", m.station AS station, o.uid AS uid, a.name AS name, a.org AS org, coalesce($suspect, '') AS suspect FROM meeting_badges me JOIN meetings m ON m.id = me.meeting_id JOIN meeting_badges o ON o.meeting_id = me.meeting_id AND o.uid <> me.uid LEFT JOIN attendees a ON a.uid = o.uid WHERE me.uid = '$2' ORDER BY m.utc_ms, m.station, m.seq, o.uid;"
}
sql_meetings() { # sql_meetings SCHEMA [SINCE_MS]
	local suspect=NULL hint= where=
	[ "$1" -ge 4 ] && suspect=m.suspect
	[ "$1" -ge 2 ] && hint="INDEXED BY attendees_uid_name"
	[ -n "${2:-}" ] && where=" AND m.utc_ms >= $2"
	echo "SELECT m.id AS id, m.time_utc AS \"time|time\", m.station AS station, (SELECT group_concat(uid, char(31)) FROM (SELECT uid FROM meeting_badges WHERE meeting_id = m.id ORDER BY uid)) AS \"badges|list\", (SELECT group_concat(replace(coalesce(a.name, ''), char(31), char(65533)), char(31)) FROM (SELECT mb.uid FROM meeting_badges mb WHERE mb.meeting_id = m.id ORDER BY mb.uid) b LEFT JOIN attendees a $hint ON a.uid = b.uid) AS \"names|list\", coalesce($suspect, '') AS suspect, m.rowid AS _cursor FROM meetings m WHERE 1$where ORDER BY m.utc_ms, m.station, m.seq;"
}
SQL_PEOPLE="WITH ids(uid) AS (SELECT uid FROM attendees UNION SELECT uid FROM taps WHERE outcome <> 'rejected' UNION SELECT uid FROM meeting_badges) SELECT ids.uid AS uid, a.name AS name, a.org AS org, (SELECT count(*) FROM meeting_badges mb WHERE mb.uid = ids.uid) AS meetings, (SELECT count(DISTINCT o.uid) FROM meeting_badges mb JOIN meeting_badges o ON o.meeting_id = mb.meeting_id AND o.uid <> mb.uid WHERE mb.uid = ids.uid) AS people, (SELECT min(t.time_utc) FROM taps t WHERE t.uid = ids.uid) AS first_seen, (SELECT max(t.time_utc) FROM taps t WHERE t.uid = ids.uid) AS last_seen FROM ids LEFT JOIN attendees a ON a.uid = ids.uid ORDER BY a.name IS NULL, lower(a.name), a.name, ids.uid;"
SQL_STATS="SELECT count(*) FROM taps; SELECT count(*) FROM meetings; SELECT outcome, count(*) FROM taps GROUP BY outcome; SELECT count(*) FROM (SELECT uid FROM attendees UNION SELECT uid FROM taps WHERE outcome <> 'rejected' UNION SELECT uid FROM meeting_badges); SELECT count(DISTINCT uid) FROM meeting_badges; SELECT utc_ms / 3600000 AS h, count(*) FROM meetings GROUP BY h; SELECT uid, count(*) AS n FROM meeting_badges GROUP BY uid ORDER BY n DESC LIMIT 10; SELECT station, count(*) AS n FROM meetings GROUP BY station ORDER BY n DESC LIMIT 10;"
sql_nodes_edges() { # sql_nodes_edges SCHEMA: export gexf, graphml and dot
	local suspect=0
	[ "$1" -ge 4 ] && suspect="a.meeting_id IN (SELECT id FROM meetings WHERE suspect <> '')"
	echo "SELECT u.uid AS uid, coalesce(a.name, '') AS name, coalesce(a.org, '') AS org, (SELECT count(*) FROM meeting_badges mb WHERE mb.uid = u.uid) AS meetings FROM (SELECT uid FROM attendees UNION SELECT uid FROM meeting_badges) u LEFT JOIN attendees a ON a.uid = u.uid ORDER BY u.uid; SELECT a.uid AS source, b.uid AS target, count(*) AS weight, sum($suspect) AS suspect FROM meeting_badges a JOIN meeting_badges b ON b.meeting_id = a.meeting_id AND b.uid > a.uid GROUP BY a.uid, b.uid ORDER BY a.uid, b.uid;"
}
sql_named_edges() { # sql_named_edges SCHEMA: export csv
	local suspect=0
	[ "$1" -ge 4 ] && suspect="a.meeting_id IN (SELECT id FROM meetings WHERE suspect <> '')"
	echo "SELECT e.a AS source, e.b AS target, e.n AS weight, e.suspect AS suspect, coalesce(x.name, '') AS source_name, coalesce(y.name, '') AS target_name FROM (SELECT a.uid AS a, b.uid AS b, count(*) AS n, sum($suspect) AS suspect FROM meeting_badges a JOIN meeting_badges b ON b.meeting_id = a.meeting_id AND b.uid > a.uid GROUP BY a.uid, b.uid) e LEFT JOIN attendees x ON x.uid = e.a LEFT JOIN attendees y ON y.uid = e.b ORDER BY e.a, e.b;"
}
sql_tij() { # sql_tij SCHEMA: export tij, suspect meetings left out
	local suspect=NULL
	[ "$1" -ge 4 ] && suspect=m.suspect
	echo "SELECT m.utc_ms / 1000 AS t, a.uid AS i, b.uid AS j FROM meetings m JOIN meeting_badges a ON a.meeting_id = m.id JOIN meeting_badges b ON b.meeting_id = m.id AND b.uid > a.uid WHERE 0 OR coalesce($suspect, '') = '' ORDER BY m.utc_ms, m.station, m.seq, a.uid, b.uid;"
}

# row LABEL COMMAND [--rss] [--env VAR=VALUE] CLI_ARGS... -- SQL: one line of
# figures for a command, its goal marked, run in this shell (GOALS grows).
row() {
	local label=$1 name=$2 rss= env=() args=() c r ratio mark
	shift 2
	if [ "$1" = --rss ]; then rss=1; shift; fi
	if [ "$1" = --env ]; then env=("$2"); shift 2; fi
	while [ "$1" != -- ]; do args+=("$1"); shift; done
	read -r c r < <(
		if [ "${#env[@]}" -gt 0 ]; then export "${env[@]}"; fi
		pair_ms "$TAPMEET" --config /dev/null --db "$DB" "${args[@]}" -- sqlite3 "$DB" "$2"
	)
	ratio=$(ratio_of "$c" "$r")
	if awk -v r="$ratio" 'BEGIN { exit !(r != "-" && r <= 1.2) }'; then
		mark="met"
	else
		mark="NOT met"
		GOALS+=("$label: $name at ${ratio}x its SQL (goal <= 1.2x): not met")
	fi
	printf '   %-28s %10s %10s %6sx  %-8s %10s\n' "$name" "$c" "$r" "$ratio" "$mark" \
		"${rss:+$(env "${env[@]}" /usr/bin/time -f %M "$TAPMEET" --config /dev/null --db "$DB" "${args[@]}" 2>&1 >/dev/null | tail -1) KB}"
	LAST_CLI_MS=$c
}

bench_db() { # bench_db LABEL DB [people under 0.3 s: the goal's label]
	local label=$1 schema uid last since
	DB=$2
	schema=$(sqlite3 "$DB" "PRAGMA user_version")
	uid=$(sqlite3 "$DB" "SELECT uid FROM meeting_badges GROUP BY uid ORDER BY count(*) DESC LIMIT 1 OFFSET 100")
	last=$(sqlite3 "$DB" "SELECT max(utc_ms) FROM meetings")
	since=$((last - 3600 * 1000))
	echo
	echo "== $label: $(sqlite3 "$DB" "SELECT (SELECT count(*) FROM meetings) || ' meetings, ' || (SELECT count(*) FROM taps) || ' taps, ' || (SELECT count(*) FROM attendees) || ' attendees'"), $(du -h "$DB" | cut -f1), schema $schema"
	echo "   person $uid: $(sqlite3 "$DB" "SELECT count(*) FROM meeting_badges WHERE uid = '$uid'") meetings"
	printf '   %-28s %10s %10s %7s  %-8s %10s\n' "command" "tapmeet ms" "sqlite3 ms" "ratio" "<=1.2x" "peak RSS"
	row "$label" "people" --rss people -- "$SQL_PEOPLE"
	if [ -n "${3:-}" ]; then
		if awk -v t="$LAST_CLI_MS" 'BEGIN { exit !(t < 300) }'; then
			echo "   people in ${LAST_CLI_MS} ms: goal under 300 ms at $3 met"
		else
			echo "   people in ${LAST_CLI_MS} ms: goal under 300 ms at $3 NOT met"
			GOALS+=("$label: people in ${LAST_CLI_MS} ms (goal under 300 ms): not met")
		fi
	fi
	row "$label" "person UID" person "$uid" -- "$(sql_person "$schema" "$uid")"
	row "$label" "stats" stats -- "$SQL_STATS"
	row "$label" "meetings" --rss meetings -- "$(sql_meetings "$schema")"
	row "$label" "meetings --since (last 1h)" --env "TAPMEET_NOW_MS=$last" \
		meetings --since 1h --format csv -- "$(sql_meetings "$schema" "$since")"
	for fmt in gexf graphml dot; do
		row "$label" "export $fmt" --rss export $fmt -- "$(sql_nodes_edges "$schema")"
	done
	row "$label" "export csv" --rss export csv -- "$(sql_named_edges "$schema")"
	row "$label" "export tij" --rss export tij -- "$(sql_tij "$schema")"
}

on() { case " $SETS " in *" $1 "*) return 0 ;; esac; return 1; }

echo "tapmeet CLI benchmark: median of $RUNS runs (3 when one takes over 10 s);"
echo "reference = the same SQL in the sqlite3 shell (people: the plain query it replaced;"
echo "stats: its aggregate queries)"
if on small; then bench_db "small synthetic" "$(db_for small synthetic 10000 2000 50 3)"; fi
SFHH=$ROOT/../shared/data/sociopatterns-sfhh/tij_SFHH.dat
if ! on sfhh; then
	:
elif [ -r "$SFHH" ]; then
	bench_db "SFHH 2009 (real contacts)" "$(db_for sfhh sfhh "$SFHH")"
else
	echo
	echo "== SFHH data not found at $SFHH: using a generated 30,000-meeting database instead"
	bench_db "SFHH stand-in (generated)" "$(db_for sfhh-standin synthetic 30000 400 10 2)"
fi
if on 153k; then
	bench_db "synthetic 153k meetings" "$(db_for mid synthetic 153000 20000 50 3)" "153k meetings"
fi
if on 1M; then bench_db "synthetic 1M meetings" "$(db_for big synthetic 1000000 20000 50 3)"; fi

# Schema migration 2 (store/schema.c) adds indexes for the CLI, migration 5
# one for `people`; a database the daemon has not migrated yet must still
# work, only slower: the same database at schema version 1.
if on schema1; then
	BIG=$(db_for big synthetic 1000000 20000 50 3)
	V1=$CACHE/cli-big-schema1-v$VER.db
	if [ ! -f "$V1" ]; then
		rm -f "$CACHE/cli-big-schema1-v"*.db
		cp "$BIG" "$V1.tmp"
		sqlite3 "$V1.tmp" "DROP INDEX taps_unpaired; DROP INDEX attendees_uid_name;
			DROP INDEX IF EXISTS taps_uid_time; CREATE INDEX IF NOT EXISTS taps_uid ON taps(uid);
			PRAGMA user_version = 1; ANALYZE;"
		mv "$V1.tmp" "$V1"
	fi
	echo
	echo "== synthetic 1M meetings at schema version 1 (before migrations 2 to 5)"
	DB=$V1
	printf '   %-28s %10s %10s %7s  %-8s\n' "command" "tapmeet ms" "sqlite3 ms" "ratio" "<=1.2x"
	row "1M at schema 1" "stats" stats -- "$SQL_STATS"
	last=$(sqlite3 "$V1" "SELECT max(utc_ms) FROM meetings")
	row "1M at schema 1" "meetings --since (last 1h)" --env "TAPMEET_NOW_MS=$last" \
		meetings --since 1h --format csv -- "$(sql_meetings 1 $((last - 3600 * 1000)))"
fi

echo
if [ "${#GOALS[@]}" -eq 0 ]; then
	echo "goals: all met (every command within 1.2x of its SQL; people under 300 ms at 153k meetings)"
else
	echo "goals not met:"
	printf '   %s\n' "${GOALS[@]}"
fi
