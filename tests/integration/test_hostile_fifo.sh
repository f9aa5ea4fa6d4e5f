#!/bin/bash
# The simulated reader's FIFO is written by anyone allowed to: NUL bytes,
# lines longer than its buffer, and a flood that never lets up must not stall
# the station, smuggle in a command, or keep the loop from signals and the
# watchdog.
set -u
. "$(dirname "$0")/lib.sh"
LIB=$(cd "$(dirname "$0")/../lib" && pwd)
PY=$(python3 -c 'import sys; print(sys.executable)')

write_config
start_daemon || { not_ok "daemon starts"; finish; exit 1; }

# A comment longer than the buffer, whose tail reads as a command.
{
	printf '#%s' "$(head -c 1022 /dev/zero | tr '\0' x)"
	printf 'tap 04AAAAAA\n'
	printf 'pair 04B00001 04B00002\n'
} >"$TMP/long.in"
timeout 10 cat "$TMP/long.in" >"$FIFO"
check "the next line after an over-long one still works" wait_for 5 log_has "badges=04B00001,04B00002"
check "an over-long line is refused with a reason" log_has 'error="command line longer than 1022 bytes; discarded up to its end"'
sleep 3.5 # a lone tap is decided when its window (3 s) ends
check "its tail was not run as a command" bash -c "! grep -q 'uid=04AAAAAA' '$TMP/daemon.err'"

# A NUL byte, then 43 valid commands: every one of them is carried out.
{
	printf 'pair 04A00001 04A00002\n'
	printf 'tap 04A0\0000003\n'
	for i in $(seq 10 52); do printf 'pair 04A1%04d 04A2%04d\n' "$i" "$i"; done
} >"$TMP/nul.in"
timeout 10 cat "$TMP/nul.in" >"$FIFO"
check "a line with a NUL byte is refused with a reason" wait_for 5 log_has 'error="command line holds a NUL byte; ignored"'
check "the 44 valid pairs around it are all stored" wait_for 15 sql_is 44 "SELECT count(DISTINCT meeting_id) FROM meeting_badges WHERE uid LIKE '04A%'"
check "nothing of the NUL line was tapped" sql_is 0 "SELECT count(*) FROM taps WHERE uid LIKE '04A0%' AND uid NOT IN ('04A00001','04A00002')"
stop_daemon TERM

# A flood that never stops: the watchdog is still fed and SIGTERM still
# stops the station. The bounds (3 s gap for a 1 s feed, 10 s to stop) are
# far from the seconds a starved loop takes, not a measure of speed.
: >"$TMP/daemon.err"
"$PY" "$LIB/notify_listen.py" "$TMP/notify.sock" "$TMP/notify.out" 2>>"$TMP/notify.err" &
PIDS+=($!)
wait_for 5 test -S "$TMP/notify.sock" || { not_ok "notification socket listens"; finish; exit 1; }
env -u WATCHDOG_PID NOTIFY_SOCKET="$TMP/notify.sock" WATCHDOG_USEC=2000000 \
	"$TAPMEETD" --config "$CONF" >>"$TMP/leds.out" 2>>"$TMP/daemon.err" &
DAEMON_PID=$!
PIDS+=("$DAEMON_PID")
wait_for 20 log_has "state=ok" || { not_ok "daemon starts"; finish; exit 1; }
(yes 'ok flood' >"$FIFO") 2>/dev/null &
FLOOD=$!
PIDS+=("$FLOOD")
sleep 6
"$PY" - "$TMP/notify.out" >"$TMP/gaps" <<'PY'
import sys
times = [float(l.split()[0]) for l in open(sys.argv[1]) if l.rstrip().endswith("WATCHDOG=1")]
print(len(times), max((b - a for a, b in zip(times, times[1:])), default=99))
PY
read -r fed worst <"$TMP/gaps"
echo "# during the flood: $fed watchdog feeds, longest gap ${worst}s"
check "the watchdog is fed during the flood (longest gap under 3 s)" \
	"$PY" -c "import sys; sys.exit(not ($fed >= 4 and $worst < 3))"
kill -TERM "$DAEMON_PID"
stopped=no
for _ in $(seq 100); do
	kill -0 "$DAEMON_PID" 2>/dev/null || { stopped=yes; break; }
	sleep 0.1
done
check "SIGTERM stops the station during the flood" test "$stopped" = yes
wait "$DAEMON_PID" 2>/dev/null
check "it stopped cleanly" log_has "event=stopped"
kill "$FLOOD" 2>/dev/null

finish
