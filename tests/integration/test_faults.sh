#!/bin/bash
# Faults: a locked database, a missing reader, bad configs, kill -9 at random moments.
set -u
. "$(dirname "$0")/lib.sh"

# --- config errors --------------------------------------------------------------
write_config
check "--check-config accepts a valid file" "$TAPMEETD" --check-config --config "$CONF"
printf '[station]\nid = x\n[pairing]\nwindow = forever\n' >"$TMP/bad.conf"
out=$("$TAPMEETD" --check-config --config "$TMP/bad.conf" 2>&1)
rc=$?
check "--check-config exits 2 on a bad value" test "$rc" -eq 2
expected="tapmeetd: $TMP/bad.conf:4: [pairing] window = 'forever' is not a duration (e.g. 8s, 500ms, 2m)"
check "the error names file and line" test "$out" = "$expected"
out=$("$TAPMEETD" --config "$TMP/missing.conf" 2>&1)
rc=$?
check "a missing config file is a clear start-up error" bash -c "[ $rc -eq 2 ] && [[ '$out' == *'missing.conf: No such file or directory'* ]]"

# --- database locked by another process ------------------------------------------
write_config
start_daemon || { not_ok "daemon starts"; finish; exit 1; }
# An exclusive transaction held by the sqlite3 shell for 3 s.
( printf 'BEGIN EXCLUSIVE;\nINSERT INTO attendees(uid, name) VALUES (%s, %s);\n' "'04FFFFFF'" "'lock'"; sleep 3; printf 'COMMIT;\n' ) | sqlite3 "$DB" &
locker=$!
sleep 0.5
send pair 04100001 04100002
check "a locked database is logged as a storage fault" wait_for 5 log_has "event=storage-fault"
check "storage fault shows steady red" wait_for 5 bash -c "tail -1 '$TMP/leds.out' | grep -q 'green=0 amber=0 red=1'"
check "no green while the meeting is not saved" bash -c "! grep -q 'badges=04100001' '$TMP/daemon.err'"
wait "$locker"
check "the meeting is written once the lock goes" wait_for 10 log_has "meeting id=it-1:m1 station=it-1 badges=04100001,04100002"
check "recovery is logged" wait_for 5 log_has "event=storage-recovered"
check "the meeting is in the database" sql_is 1 "SELECT count(*) FROM meetings"
stop_daemon TERM

# --- disk full ---------------------------------------------------------------------
# A small tmpfs (root only) filled up behind the daemon's back. Not too
# small: the WAL grows by megabytes between checkpoints once space is back.
FULL="$TMP/full"
mkdir -p "$FULL"
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=16m tmpfs "$FULL" 2>/dev/null; then
	write_config
	sed -i "s|^path = .*|path = $FULL/t.db|" "$CONF"
	DB="$FULL/t.db"
	: >"$TMP/daemon.err"
	start_daemon || not_ok "daemon starts on the small disk"
	send pair 04300001 04300002
	wait_for 5 log_has "badges=04300001,04300002"
	dd if=/dev/zero of="$FULL/filler" bs=4k 2>/dev/null || true
	for i in $(seq 1 40); do printf 'pair 04%06X 05%06X\n' "$i" "$i"; done >"$FIFO"
	check "a full disk is logged as a storage fault" wait_for 10 log_has "event=storage-fault.*full"
	check "daemon keeps running on a full disk" kill -0 "$DAEMON_PID"
	rm -f "$FULL/filler"
	check "writes resume once space is freed" wait_for 15 log_has "event=storage-recovered"
	if ! check "every meeting made during the fault is stored" wait_for 10 sql_is 41 "SELECT count(*) FROM meetings"; then
		grep -v ' tap id=' "$TMP/daemon.err" | sed 's/^/#   /' | tail -60
		echo "# meetings logged: $(grep -c 'meeting id=' "$TMP/daemon.err")"
	fi
	check "database intact after the full disk" sql_is ok "PRAGMA integrity_check"
	stop_daemon TERM
	umount "$FULL"
else
	echo "# disk-full check skipped: needs root to mount a small tmpfs"
fi

# --- a reader that is not there yet ------------------------------------------------
write_config
sed -i "s|^sim_path = .*|sim_path = $TMP/later/sim.fifo|" "$CONF"
FIFO="$TMP/later/sim.fifo"
"$TAPMEETD" --config "$CONF" >>"$TMP/leds.out" 2>>"$TMP/daemon.err" &
DAEMON_PID=$!
PIDS+=("$DAEMON_PID")
check "a missing reader is a fault, not an exit" wait_for 5 log_has "reader=sim state=fault"
check "reader fault blinks red" wait_for 5 bash -c "tail -3 '$TMP/leds.out' | grep -q 'red=1'"
sleep 1.5
check "daemon still running without its reader" kill -0 "$DAEMON_PID"
check "the fault is logged once, not every retry" test "$(grep -c 'reader=sim state=fault' "$TMP/daemon.err")" -le 2
mkdir -p "$TMP/later"
check "the reader is found once it appears" wait_for 10 log_has "simulated reader on $TMP/later/sim.fifo"
send pair 04200001 04200002
check "taps work after the reader recovered" wait_for 5 log_has "badges=04200001,04200002"
stop_daemon TERM

# --- kill -9 at random moments ---------------------------------------------------
# A stream of pairs; the daemon is killed at a random moment and restarted. Every
# meeting it logged as stored must be in the database, which must be intact.
write_config
rounds=${CRASH_ROUNDS:-25}
lost=0
bad=0
for round in $(seq 1 "$rounds"); do
	: >"$TMP/daemon.err"
	start_daemon || { bad=$((bad + 1)); continue; }
	(
		i=0
		while :; do
			printf 'pair 04%02X%04X 05%02X%04X\n' "$round" "$i" "$round" "$i"
			i=$((i + 1))
			sleep 0.01
		done >"$FIFO"
	) 2>/dev/null &
	writer=$!
	sleep "0.$((RANDOM % 9 + 1))"
	kill -9 "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null
	kill "$writer" 2>/dev/null
	wait "$writer" 2>/dev/null
	[ "$(sql 'PRAGMA integrity_check')" = ok ] || bad=$((bad + 1))
	for id in $(sed -n 's/.*meeting id=\([^ ]*\) .*/\1/p' "$TMP/daemon.err"); do
		[ "$(sql "SELECT count(*) FROM meetings WHERE id = '$id'")" = 1 ] || lost=$((lost + 1))
	done
	# Meetings are whole: no meeting without its badges and paired taps.
	[ "$(sql "SELECT count(*) FROM meetings m WHERE n_badges != (SELECT count(*) FROM meeting_badges b WHERE b.meeting_id = m.id) OR n_badges != (SELECT count(*) FROM taps t WHERE t.meeting_id = m.id)")" = 0 ] || bad=$((bad + 1))
done
logged=$(sql "SELECT count(*) FROM meetings")
echo "# $rounds kill -9 rounds, $logged meetings stored"
check "kill -9 x$rounds: every logged meeting is stored" test "$lost" -eq 0
check "kill -9 x$rounds: integrity_check ok and meetings whole every time" test "$bad" -eq 0
check "kill -9 x$rounds: meetings were really being written" test "$logged" -gt "$rounds"
start_daemon && ok "daemon restarts after the last kill" || not_ok "daemon restarts after the last kill"
check "sequences stay ahead of every stored id after crashes" sql_is 0 "SELECT count(*) FROM taps t JOIN stations s ON s.id = t.station WHERE t.seq > s.tap_seq"
stop_daemon TERM

finish
