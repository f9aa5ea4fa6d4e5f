#!/bin/bash
# A locked database must not stall the station. While another process holds
# the write lock for 7 s (longer than [store] busy_timeout = 5s) and a pair
# taps: the waiting pattern keeps its rhythm, the watchdog keeps being fed,
# the meeting is stored once the lock goes and only then does green show,
# and the log tells the storage fault and its recovery.
#
# Timing tolerances are 1 s (LED steps) and 2.5 s (watchdog, fed every 1 s)
# so that a loaded machine does not fail the test; a loop that waits in
# SQLite's busy handler misses them by seconds.
set -u
. "$(dirname "$0")/lib.sh"
LIB=$(cd "$(dirname "$0")/../lib" && pwd)
PY=$(python3 -c 'import sys; print(sys.executable)')
LOCK_S=7
LED_TOLERANCE_MS=1000
WATCHDOG_MAX_GAP_S=2.5

mono() { "$PY" -c 'import time; print("%.6f" % time.clock_gettime(time.CLOCK_MONOTONIC))'; }
# locked: another connection cannot take the write lock now.
locked() { ! sqlite3 "$DB" 'BEGIN IMMEDIATE; ROLLBACK;' >/dev/null 2>&1; }

WINDOW=8s write_config
sed -i -e 's/^busy_timeout = .*/busy_timeout = 5s/' -e 's/^retry_interval = .*/retry_interval = 1s/' "$CONF"
"$TAPMEETD" --print-patterns >"$TMP/patterns" ||
	{ not_ok "tapmeetd --print-patterns"; finish; exit 1; }

# systemd's side: a notification socket and a 2 s watchdog (fed every 1 s).
"$PY" "$LIB/notify_listen.py" "$TMP/notify.sock" "$TMP/notify.out" 2>>"$TMP/notify.err" &
PIDS+=($!)
wait_for 5 test -S "$TMP/notify.sock" || { not_ok "notification socket listens"; finish; exit 1; }
# LED lines and log lines in one file, in the order the daemon wrote them.
env -u WATCHDOG_PID NOTIFY_SOCKET="$TMP/notify.sock" WATCHDOG_USEC=2000000 \
	"$TAPMEETD" --config "$CONF" >>"$TMP/daemon.err" 2>&1 &
DAEMON_PID=$!
PIDS+=("$DAEMON_PID")
wait_for 20 log_has "state=ok" || { not_ok "daemon starts"; finish; exit 1; }
watchdog_fed() { [ "$(grep -c ' WATCHDOG=1$' "$TMP/notify.out" 2>/dev/null)" -ge "$1" ]; }
check "the daemon feeds the watchdog through NOTIFY_SOCKET" wait_for 5 watchdog_fed 3

# The lock: an exclusive transaction held by the sqlite3 shell. Just before
# it commits, the time and the length of the daemon's log are noted.
(
	printf 'BEGIN EXCLUSIVE;\nSELECT 1;\n'
	sleep "$LOCK_S"
	mono >"$TMP/unlock_at"
	wc -l <"$TMP/daemon.err" >"$TMP/log_lines_at_unlock"
	printf 'COMMIT;\n'
) | sqlite3 -cmd '.timeout 5000' "$DB" >/dev/null 2>"$TMP/locker.err" &
locker=$!
PIDS+=("$locker")
wait_for 5 locked || { not_ok "the sqlite3 shell holds the write lock"; finish; exit 1; }
lock_at=$(mono)
sleep 0.5
tap_at=$(mono)
send tap 04AAAA01
sleep 1
partner_at=$(mono)
send tap 04AAAA02
wait "$locker"
check "the sqlite3 shell held the lock and committed without error" test ! -s "$TMP/locker.err"
unlock_at=$(cat "$TMP/unlock_at")
echo "# lock from ${lock_at}s to ${unlock_at}s; first tap at ${tap_at}s, partner at ${partner_at}s"

wait_for 15 log_has "meeting id=[^ ]* station=it-1 badges=04AAAA01,04AAAA02"
wait_for 5 grep -q 'green=1 amber=0 red=0 buzzer=1' "$TMP/daemon.err"
sleep 2.5 # the watchdog after the lock, and the recovery
stop_daemon TERM

cat >"$TMP/analyse.py" <<'PY'
import re, sys

what, tmp = sys.argv[1], sys.argv[2]
lock_at, unlock_at, tap_at, partner_at, tolerance, max_gap = map(float, sys.argv[3:9])
ms = lambda s: s * 1000.0

log = open(tmp + "/daemon.err").read().splitlines()
leds = []  # (line index, mono ms, set of lights)
for i, line in enumerate(log):
    m = re.match(r"leds mono_ms=(\d+) .*green=(\d) amber=(\d) red=(\d) buzzer=(\d)", line)
    if m:
        lights = {n for n, v in zip(("green", "amber", "red", "buzzer"), m.groups()[1:]) if v == "1"}
        leds.append((i, int(m.group(1)), lights))

def fail(msg):
    print("# " + msg)
    sys.exit(1)

if what == "amber":
    # The waiting pattern from the table, anchored at the first tap: where
    # each amber on/off falls. Those due before the partner's tap (less a
    # margin: the partner ends the pattern) must be seen, in order, within
    # the tolerance; any other amber change during the lock must fall
    # within the tolerance of the pattern's next change too.
    for row in open(tmp + "/patterns"):
        f = row.rstrip("\n").split("\t")
        if f[0] == "waiting":
            steps = [("amber" in s.split(":")[0].split("+"), int(s.split(":")[1])) for s in f[2].split()]
    due, t, amber = [], ms(tap_at), False
    while t < ms(unlock_at) + 2 * tolerance:
        for on, length in steps:
            if on != amber:
                due.append((t, on))
                amber = on
            t += length
    required = [d for d in due if d[0] < ms(partner_at) - 250]
    amber, seen = False, []
    for _, t, lights in leds:
        if t < ms(tap_at):
            amber = "amber" in lights
        elif t <= ms(unlock_at) and ("amber" in lights) != amber:
            amber = not amber
            seen.append((t, amber))
    later = [t for _, t, l in leds if t > ms(unlock_at) and "amber" in l]
    bad = 0
    for k, (t_due, on) in enumerate(due[:max(len(required), len(seen))]):
        name = "on " if on else "off"
        if k >= len(seen):
            where = ("first amber after the lock at +%.0f ms" % (later[0] - ms(tap_at))) if later else "no amber at all"
            print("# amber %s due at +%5.0f ms after the tap: not seen while locked (lock ended at +%.0f ms; %s)"
                  % (name, t_due - ms(tap_at), ms(unlock_at - tap_at), where))
            bad += 1
            continue
        t_seen, seen_on = seen[k]
        ok = seen_on == on and abs(t_seen - t_due) <= tolerance
        print("# amber %s due at +%5.0f ms after the tap, seen %s at +%5.0f ms (%+.0f ms)%s"
              % (name, t_due - ms(tap_at), "on " if seen_on else "off", t_seen - ms(tap_at),
                 t_seen - t_due, "" if ok else "  <- off schedule"))
        bad += not ok
    sys.exit(1 if bad else 0)

if what == "watchdog":
    times = []
    for row in open(tmp + "/notify.out"):
        t, _, message = row.rstrip("\n").partition(" ")
        if "WATCHDOG=1" in message.split(" "):
            times.append(float(t))
    after = [t for t in times if t > unlock_at]
    if not after:
        fail("no WATCHDOG=1 after the lock was released")
    worst = (0.0, None)
    for a, b in zip(times, times[1:]):
        if b >= lock_at and a <= unlock_at and b - a > worst[0]:
            worst = (b - a, a)
    gap, start = worst
    print("# longest gap between WATCHDOG=1 around the lock: %.2f s (from %+.2f s after the lock was taken)"
          % (gap, start - lock_at if start is not None else 0))
    sys.exit(0 if gap <= max_gap else 1)

# The meeting is committed after the lock's release and before the daemon
# logs it: an LED line earlier than either is from before the commit.
meeting = next((i for i, l in enumerate(log) if re.search(r"meeting id=\S+ station=it-1 badges=04AAAA01,04AAAA02", l)), None)
unsaved = lambda i, t: meeting is None or i < meeting or t < ms(unlock_at)

if what == "no-early-green":
    # Green means saved: from the partner's tap until the commit, no green
    # light at all, not even the ready pattern's blip.
    early = [(i, t) for i, t, l in leds if t >= ms(partner_at) and "green" in l and unsaved(i, t)]
    for i, t in early[:3]:
        print("# green %.0f ms after the partner's tap, %.0f ms before the lock was released: %s"
              % (t - ms(partner_at), ms(unlock_at) - t, log[i]))
    sys.exit(1 if early else 0)

if what == "saved":
    # Once committed, the pair is told so: the saved pattern (green with
    # the beep), after the commit.
    if meeting is None:
        fail("the daemon never logged the meeting")
    saved = next(((i, t) for i, t, l in leds if t >= ms(partner_at) and l == {"green", "buzzer"}), None)
    if saved is None:
        fail("the saved pattern (green with the beep) was never shown")
    print("# saved shown %.0f ms after the lock was released, %s the meeting's log line"
          % (saved[1] - ms(unlock_at), "BEFORE" if unsaved(*saved) else "after"))
    sys.exit(1 if unsaved(*saved) else 0)
sys.exit(2)
PY
analyse() { "$PY" "$TMP/analyse.py" "$1" "$TMP" "$lock_at" "$unlock_at" "$tap_at" "$partner_at" \
	"$LED_TOLERANCE_MS" "$WATCHDOG_MAX_GAP_S"; }

# (a) The LED steps keep their timing while the store waits.
check "the waiting pattern keeps its rhythm while the database is locked (±${LED_TOLERANCE_MS} ms)" analyse amber
# (b) The watchdog keeps being fed.
check "WATCHDOG=1 keeps coming while the database is locked (gaps <= ${WATCHDOG_MAX_GAP_S} s)" analyse watchdog
# (c) Stored after the lock, and only then green.
check "the meeting is stored once the lock is released" sql_is "04AAAA01,04AAAA02" \
	"SELECT group_concat(uid) FROM (SELECT uid FROM meeting_badges ORDER BY uid)"
check "no green light from the partner's tap until the meeting is committed" analyse no-early-green
check "the saved pattern shows once the meeting is committed" analyse saved
# (d) The log tells the fault while locked and the recovery after.
fault_line=$(grep -n -m1 'event=storage-fault' "$TMP/daemon.err" | cut -d: -f1)
recovered_line=$(grep -n -m1 'event=storage-recovered' "$TMP/daemon.err" | cut -d: -f1)
check "the storage fault is logged while the database is locked" \
	test "${fault_line:-999999}" -le "$(cat "$TMP/log_lines_at_unlock")"
check "the recovery is logged after the lock is released" \
	test "${recovered_line:-0}" -gt "$(cat "$TMP/log_lines_at_unlock")" -a "${recovered_line:-0}" -gt "${fault_line:-999999}"

finish
