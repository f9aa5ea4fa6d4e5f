#!/usr/bin/env bash
# Time to make the report page: bench/report.sh BUILD_DIR
# Figures, never pass/fail: the median wall time of RUNS (default 3) runs of
# `tapmeet report --html`, without the network picture (--no-graph) and with
# it (sfdp, when installed), the peak RSS of tapmeet, and the page's size, on
# the SFHH conference (../shared/data/sociopatterns-sfhh, when present) and on
# 1,000,000 generated meetings among 20,000 attendees (50 stations, 3 days).
# The databases are bench/cli/run.sh's, cached under the same names in
# BUILD_DIR/bench/ (generating the large one takes minutes, once).
set -euo pipefail

BUILD=$(cd "${1:?usage: bench/report.sh BUILD_DIR}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
TAPMEET=$BUILD/tapmeet
RUNS=${RUNS:-3}
CACHE=$BUILD/bench
mkdir -p "$CACHE"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# The databases of bench/cli/run.sh, shared through the same cache.
. "$ROOT/bench/cli/gen.sh"
db_for() { cached_db cli "$@"; } # db_for NAME GEN_ARGS...

median_of() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# row LABEL DB [report options]: "label  median s  peak RSS  page size".
row() {
	local label=$1 db=$2 times=() rss=0 t0 t1 r
	shift 2
	for ((i = 0; i < RUNS; i++)); do
		t0=$(date +%s%N)
		/usr/bin/time -f %M -o "$TMP/rss" "$TAPMEET" --db "$db" report --html "$TMP/page.html" \
			"$@" 2>>"$TMP/err" || { echo "$label: failed:"; cat "$TMP/err"; return; }
		t1=$(date +%s%N)
		times+=($(((t1 - t0) / 1000000)))
		r=$(tail -1 "$TMP/rss")
		[ "$r" -gt "$rss" ] && rss=$r
	done
	printf '%-44s %8.2f s %8d kB %8d kB\n' "$label" \
		"$(awk -v ms="$(median_of "${times[@]}")" 'BEGIN { print ms / 1000 }')" "$rss" \
		$(($(stat -c %s "$TMP/page.html") / 1024))
}

command -v /usr/bin/time >/dev/null || { echo "bench/report.sh: needs /usr/bin/time" >&2; exit 1; }
HAVE_SFDP=$(command -v sfdp || true)
echo "== tapmeet report --html: median of $RUNS runs, peak RSS, page size =="
printf '%-44s %10s %11s %11s\n' "" "time" "peak RSS" "page"
SFHH=$ROOT/../shared/data/sociopatterns-sfhh/tij_SFHH.dat
if [ -f "$SFHH" ]; then
	db=$(db_for sfhh sfhh "$SFHH")
	row "SFHH 2009, --no-graph" "$db" --no-graph
	[ -n "$HAVE_SFDP" ] && row "SFHH 2009, with sfdp (2,000 strongest pairs)" "$db"
else
	echo "(../shared/data/sociopatterns-sfhh is absent: no SFHH row)"
fi
db=$(db_for big synthetic 1000000 20000 50 3)
row "1M meetings / 20k attendees, --no-graph" "$db" --no-graph
[ -n "$HAVE_SFDP" ] && row "1M meetings / 20k attendees, with sfdp" "$db"
[ -n "$HAVE_SFDP" ] || echo "(sfdp is not installed: no rows with the picture)"
