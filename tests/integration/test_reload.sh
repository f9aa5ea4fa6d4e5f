#!/bin/bash
# Reloads (SIGHUP) that change several things at once, and settings that
# must apply without a restart: [reader] and [leds] together, [store]
# busy_timeout, [station] id while the database is locked. And a [store]
# path that names a directory.
set -u
. "$(dirname "$0")/lib.sh"

# --- [reader] and [leds] changed in one reload -----------------------------------
write_config
start_daemon || { not_ok "daemon starts"; finish; exit 1; }
send pair 04000001 04000002
wait_for 10 log_has "badges=04000001,04000002"
FIFO2="$TMP/sim2.fifo"
sed -i "s|^sim_path = .*|sim_path = $FIFO2|; s|^driver = sim\$|driver = sim|" "$CONF"
# LEDs: from the sim driver to none (the sim driver prints every change).
awk '/^\[leds\]/{print; getline; print "driver = none"; next} {print}' "$CONF" >"$CONF.new" && mv "$CONF.new" "$CONF"
kill -HUP "$DAEMON_PID"
check "one reload changes both [reader] and [leds]" wait_for 5 log_has "event=reloaded .*reader=reopened leds=reopened"
check "the reader reads the new FIFO" wait_for 5 test -p "$FIFO2"
lines_before=$(wc -l <"$TMP/leds.out")
printf 'pair 04000003 04000004\n' >"$FIFO2"
check "taps arrive through the new reader" wait_for 10 log_has "badges=04000003,04000004"
check "the new LED driver is in use (the sim LEDs print nothing more)" test "$(wc -l <"$TMP/leds.out")" -eq "$lines_before"
stop_daemon TERM

# --- [store] busy_timeout applies on reload ----------------------------------------
write_config
start_daemon || not_ok "daemon starts (busy timeout)"
sed -i 's/^busy_timeout = .*/busy_timeout = 4s/' "$CONF"
kill -HUP "$DAEMON_PID"
check "the reload names the new busy timeout" wait_for 5 log_has "event=reloaded .*busy_timeout_ms=4000"
# A lock held for 1 s: within 4 s the write waits and commits, with no
# storage fault; under the old 200 ms it would have failed and retried.
( printf 'BEGIN EXCLUSIVE;\nSELECT 1;\n'; sleep 1; printf 'COMMIT;\n' ) | sqlite3 "$DB" >/dev/null &
locker=$!
sleep 0.3
send pair 04000011 04000012
wait "$locker"
check "the meeting is stored" wait_for 10 log_has "badges=04000011,04000012"
check "no storage fault: the write waited the new 4 s" bash -c "! grep -q 'event=storage-fault' '$TMP/daemon.err'"
stop_daemon TERM

# --- [station] id changed while the database is locked -------------------------------
write_config
start_daemon || not_ok "daemon starts (station id)"
( printf 'BEGIN EXCLUSIVE;\nSELECT 1;\n'; sleep 2; printf 'COMMIT;\n' ) | sqlite3 "$DB" >/dev/null &
locker=$!
sleep 0.3
sed -i 's/^id = it-1$/id = it-2/' "$CONF"
kill -HUP "$DAEMON_PID"
check "the reload is accepted while the database is locked" wait_for 5 log_has "event=reloaded .*station=it-2"
check "and not refused" bash -c "! grep -q 'reload-failed' '$TMP/daemon.err'"
send pair 04000021 04000022
wait "$locker"
check "the next meeting is stored under the new id" wait_for 10 log_has "meeting id=it-2:m1 station=it-2 badges=04000021,04000022"
check "the new station has its row" sql_is 1 "SELECT count(*) FROM stations WHERE id = 'it-2'"
check "every meeting's station has a row" sql_is 0 "SELECT count(*) FROM meetings m WHERE NOT EXISTS (SELECT 1 FROM stations s WHERE s.id = m.station)"
stop_daemon TERM

# --- [store] path naming a directory ------------------------------------------------
write_config
sed -i "s|^path = .*|path = $TMP|" "$CONF"
: >"$TMP/daemon.err"
timeout 10 "$TAPMEETD" --config "$CONF" >/dev/null 2>>"$TMP/daemon.err"
rc=$?
check "a directory as [store] path stops the start (exit 2)" test "$rc" -eq 2
check "and says it is a directory" log_has "it is a directory"

finish
