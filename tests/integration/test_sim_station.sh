#!/bin/bash
# The real tapmeetd with the sim reader and sim LEDs on a real SQLite file.
set -u
. "$(dirname "$0")/lib.sh"

write_config
start_daemon || { not_ok "daemon starts"; finish; exit 1; }
ok "daemon starts with sim reader and sim LEDs"

# A pair tapped one after the other.
send tap 04A1B2C3
sleep 0.5
send tap 04D5E6F7A1B2C3
check "pair tapped in turn makes one meeting" wait_for 10 log_has "meeting id=it-1:m1 station=it-1 badges=04A1B2C3,04D5E6F7A1B2C3"
check "meeting row with both badges" sql_is "04A1B2C3,04D5E6F7A1B2C3" \
	"SELECT group_concat(uid) FROM (SELECT uid FROM meeting_badges WHERE meeting_id = 'it-1:m1' ORDER BY uid)"
check "both taps paired" sql_is "2" "SELECT count(*) FROM taps WHERE outcome = 'paired' AND meeting_id = 'it-1:m1'"
check "green shown after the commit" bash -c "grep -q 'green=1 amber=0 red=0 buzzer=1' '$TMP/leds.out'"

# Two at once.
send pair 04000001 04000002
check "two badges at once meet immediately" wait_for 10 log_has "badges=04000001,04000002"

# Same pair again within the guard.
sleep 0.6
send tap 04000002
sleep 0.4
send tap 04000001
check "same pair within the guard is a duplicate" wait_for 10 sql_is 2 "SELECT count(*) FROM taps WHERE outcome = 'duplicate'"
check "no second meeting stored" sql_is 1 "SELECT count(*) FROM meetings m JOIN meeting_badges b ON b.meeting_id = m.id WHERE b.uid = '04000001'"

# Cancel: the same badge twice.
send tap 04CAFE01
sleep 0.6
send tap 04CAFE01
check "same badge twice cancels" wait_for 10 sql_is 2 "SELECT count(*) FROM taps WHERE uid = '04CAFE01' AND outcome = 'cancelled'"

# Unpaired: nobody comes.
send tap 04A10E00
check "tap without partner is logged unpaired when the window ends" wait_for 10 sql_is unpaired "SELECT outcome FROM taps WHERE uid = '04A10E00'"

# Random UID.
send tap 08123456
check "random UID rejected" wait_for 10 sql_is rejected "SELECT outcome FROM taps WHERE uid = '08123456'"
send reject 04BADBAD "unsupported tag type"
check "reader-rejected badge recorded with its reason" wait_for 10 sql_is "rejected|unsupported tag type" "SELECT outcome, reason FROM taps WHERE uid = '04BADBAD'"

# Bad commands are logged, not fatal.
send present 12345
send dance 04A1B2C3
check "malformed sim commands are logged clearly" wait_for 5 log_has "is not a UID of 4, 7 or 10 bytes"
check "unknown sim command is named" wait_for 5 log_has "unknown command 'dance'"

# The CLI reads while the daemon writes.
if [ -x "$TAPMEET" ]; then
	json=$("$TAPMEET" --db "$DB" meetings --format json 2>&1)
	check "tapmeet meetings --format json lists the meetings" \
		bash -c "echo '$json' | grep -q '\"id\":\"it-1:m1\"' && echo '$json' | grep -q '\"badges\":\[\"04A1B2C3\",\"04D5E6F7A1B2C3\"\]'"
fi

# SIGHUP: a pending tap survives a reload that changes the window.
send tap 04AB0001
sleep 0.3
sed -i 's/^window = .*/window = 20s/' "$CONF"
kill -HUP "$DAEMON_PID"
check "SIGHUP reloads" wait_for 5 log_has "event=reloaded .*window_ms=20000"
sleep 3.5 # longer than the old 3 s window
send tap 04AB0002
check "pending tap survives the reload and pairs under the new window" wait_for 10 log_has "badges=04AB0001,04AB0002"

# A bad config on reload is refused and the station runs on.
echo "[pairing]" >>"$CONF"
echo "windw = 3s" >>"$CONF"
kill -HUP "$DAEMON_PID"
check "bad config on reload is refused with file:line" wait_for 5 log_has "reload-failed error=\"$CONF:[0-9]*: unknown key 'windw'"
check "station still alive after a bad reload" kill -0 "$DAEMON_PID"

# SIGTERM: a pending tap is logged, the LEDs go off, exit 0.
send tap 04EEEE01
wait_for 5 sql_is pending "SELECT outcome FROM taps WHERE uid = '04EEEE01'"
stop_daemon TERM
rc=$?
check "SIGTERM exits 0" test "$rc" -eq 0
check "pending tap logged as unpaired at stop" sql_is unpaired "SELECT outcome FROM taps WHERE uid = '04EEEE01'"
check "LEDs off at stop" bash -c "tail -1 '$TMP/leds.out' | grep -q 'green=0 amber=0 red=0 buzzer=0'"
check "database integrity" sql_is ok "PRAGMA integrity_check"

# The shipped [pairing] defaults (docs/pairing.md): badges held on the reader
# together meet; a badge seen for less than min_dwell (the sim's instant
# `tap`: on and off within a millisecond or two, as the loop reads them) was
# passing by; badges held one after the other meet as suspect.
rm -f "$TMP"/t.db*
write_config
sed -i '/^\[pairing\]/,/^min_dwell/d' "$CONF"
: >"$TMP/daemon.err"
start_daemon || { not_ok "daemon starts with the pairing defaults"; finish; exit 1; }
send present 04D00001 04D00002
check "two badges held together make a meeting (defaults)" \
	wait_for 10 log_has "badges=04D00001,04D00002"
send remove all
sleep 1.2
send tap 04D00003
check "a badge seen only in passing is cancelled, not a tap that waits" \
	wait_for 10 sql_is "cancelled|1" \
	"SELECT outcome, reason GLOB 'on the reader only [0-9]* ms: passing by, not a tap' FROM taps WHERE uid = '04D00003'"
send present 04D00004
sleep 0.6
send remove all
sleep 0.6
send present 04D00005
sleep 0.6
send remove all
check "badges held one after the other make a suspect meeting (defaults)" \
	wait_for 10 sql_is "tapped one after the other, not together" \
	"SELECT m.suspect FROM meetings m JOIN taps t ON t.meeting_id = m.id WHERE t.uid = '04D00005'"
check "two meetings stored with the defaults, one of them suspect" \
	sql_is "2|1" "SELECT count(*), count(suspect) FROM meetings"
stop_daemon TERM
check "SIGTERM exits 0 (defaults)" test $? -eq 0

finish
