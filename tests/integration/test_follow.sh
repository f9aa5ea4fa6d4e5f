#!/bin/bash
# tapmeet tail -f against the real tapmeetd: each meeting is printed as soon
# as the daemon has stored it, the last one too (not at the next write), and
# a database removed under it stops it with a clear message.
set -u
. "$(dirname "$0")/lib.sh"

TOLERANCE=${TOLERANCE:-1.0} # seconds between the daemon's log line and tail's

now() { date +%s.%N; }
# Prefixes each line read with the time it arrived.
stamp() { while IFS= read -r line; do printf '%s %s\n' "$(now)" "$line"; done; }
# secs_between A B: B - A.
secs_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
within() { awk -v d="$1" -v t="$TOLERANCE" 'BEGIN { exit !(d <= t) }'; }
tail_has() { grep -q -- "$1" "$TMP/tail.out"; }
# The time tail printed the line with meeting id $1, or nothing.
# True once tail has exited (a zombie until waited for counts).
tail_exited() {
	local state
	state=$(awk '{ print $3 }' "/proc/$TAIL_PID/stat" 2>/dev/null)
	[ -z "$state" ] || [ "$state" = Z ]
}
tail_running() { ! tail_exited; }
tail_time() { awk -v id="$1" '{ for (i = 2; i <= NF; i++) if ($i == id) { print $1; exit } }' "$TMP/tail.out"; }

write_config
start_daemon || { not_ok "daemon starts"; finish; exit 1; }

"$TAPMEET" --db "$DB" tail -f -n 0 > >(stamp >"$TMP/tail.out") 2>"$TMP/tail.err" &
TAIL_PID=$!
PIDS+=("$TAIL_PID")
# The header comes after the watch is set up: from then on nothing is missed.
check "tail -f starts" wait_for 5 test -s "$TMP/tail.out"

# Five pairs, one every 2 s; when the daemon logs each meeting, note the time.
declare -A logged
for i in 1 2 3 4 5; do
	send pair "0400010$i" "0400020$i"
	if wait_for 10 log_has "meeting id=it-1:m$i "; then
		logged[$i]=$(now)
	else
		not_ok "the daemon stores meeting $i"
	fi
	sleep 2
done

for i in 1 2 3 4 5; do
	[ -n "${logged[$i]:-}" ] || continue
	id="it-1:m$i"
	printed=$(tail_time "$id")
	if [ -z "$printed" ]; then
		not_ok "tail -f prints $id (not printed $(secs_between "${logged[$i]}" "$(now)") s after the daemon logged it)"
		continue
	fi
	delay=$(secs_between "${logged[$i]}" "$printed")
	what="tail -f prints $id within ${TOLERANCE} s of the daemon's log line"
	[ "$i" = 5 ] && what="$what (the last one: no later write wakes it)"
	echo "# $id: printed $delay s after the daemon's log line was seen"
	if within "$delay"; then ok "$what"; else not_ok "$what: $delay s"; fi
done
check "tail -f printed each meeting once, in order" bash -c \
	"[ \"\$(awk '{ print \$2 }' '$TMP/tail.out' | grep '^it-1:m' | tr '\n' ' ')\" = 'it-1:m1 it-1:m2 it-1:m3 it-1:m4 it-1:m5 ' ]"

# A commit by another program (a sqlite3 shell) is not announced; tail sees
# it through its re-checks.
t0=$(now)
sql "BEGIN; INSERT INTO meetings (id, station, seq, time_utc, utc_ms, clock_synced, boot_id,
	mono_ms, n_badges) VALUES ('ext:m1', 'ext', 1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
	CAST(1000 * (julianday('now') - 2440587.5) * 86400 AS INTEGER), 1, 'b', 1, 2);
	INSERT INTO meeting_badges VALUES ('ext:m1', '04EE0001'), ('ext:m1', '04EE0002'); COMMIT;"
if wait_for 5 tail_has "ext:m1"; then
	delay=$(secs_between "$t0" "$(tail_time ext:m1)")
	if within "$delay"; then ok "tail -f prints a meeting written by sqlite3 within ${TOLERANCE} s"
	else not_ok "tail -f prints a meeting written by sqlite3 within ${TOLERANCE} s: $delay s"; fi
else
	not_ok "tail -f prints a meeting written by sqlite3"
fi
check "tail -f is still running" tail_running

# The database removed under it: tail stops, says why, exits 2.
rm -f "$DB"
if wait_for 5 tail_exited; then
	wait "$TAIL_PID"
	rc=$?
	check "tail -f exits 2 when the database is removed" test "$rc" = 2
	check "and says so" grep -q "tapmeet: the database $DB was removed or replaced; stopping" "$TMP/tail.err"
else
	not_ok "tail -f stops when the database is removed"
	cat "$TMP/tail.err"
fi

finish
