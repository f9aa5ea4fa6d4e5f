#!/usr/bin/env bash
# Benchmark of `tapmeet attendees import`: bench/import.sh BUILD_DIR [TAPMEET]
# Prints figures, never pass/fail: the wall time of importing a generated
# attendee file into a new database, for 50,000 rows, 100,000 rows, and
# 100,000 rows whose last row is bad (the whole file must still be read and
# checked before it is refused). Median of RUNS runs (default 3). TAPMEET
# names another binary to compare with (an older build, say).
set -euo pipefail

BUILD=$(cd "${1:?usage: bench/import.sh BUILD_DIR [TAPMEET]}" && pwd)
TAPMEET=${2:-$BUILD/tapmeet}
RUNS=${RUNS:-3}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
: >"$TMP/empty.conf" # the defaults: no [privacy] key to hash UIDs with

# rows N FILE [bad]: N attendees with distinct 7-byte UIDs and every column
# an organizer's file has; with "bad", the last row's UID is not hex.
rows() {
	python3 - "$@" <<'PY'
import sys
n, path, bad = int(sys.argv[1]), sys.argv[2], len(sys.argv) > 3
with open(path, "w", encoding="utf-8", newline="") as f:
    f.write("uid,name,org,handle,email,consent\n")
    for i in range(n):
        uid = "ZZ%012X" % i if bad and i == n - 1 else "04%012X" % (i * 7919 % (1 << 48))
        f.write("%s,Attendee %d,Org %d,@user%d,user%d@example.org,%s\r\n"
                % (uid, i, i % 300, i, i, "yes" if i % 10 < 7 else "no"))
PY
}

median_of() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {printf "%.2f", a[int((NR+1)/2)]/1000}'; }

# run LABEL FILE: the median wall time of importing FILE into a new database.
run() {
	local label=$1 file=$2 t=() t0 rc i
	for ((i = 0; i < RUNS; i++)); do
		rm -f "$TMP"/import.db*
		t0=$(date +%s%N)
		rc=0
		"$TAPMEET" --config "$TMP/empty.conf" --db "$TMP/import.db" attendees import "$file" \
			>"$TMP/out" 2>&1 || rc=$?
		t+=($((($(date +%s%N) - t0) / 1000000)))
	done
	printf '  %-34s %8s s   exit %s: %s\n' "$label" "$(median_of "${t[@]}")" "$rc" \
		"$(tail -1 "$TMP/out" | cut -c1-60)"
}

rows 50000 "$TMP/50k.csv"
rows 100000 "$TMP/100k.csv"
rows 100000 "$TMP/100k-bad.csv" bad
echo "== attendees import: median wall time of $RUNS runs, into a new database ($TAPMEET) =="
run "50,000 rows" "$TMP/50k.csv"
run "100,000 rows" "$TMP/100k.csv"
run "100,000 rows, the last one bad" "$TMP/100k-bad.csv"
