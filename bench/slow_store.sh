#!/bin/bash
# The event loop's worst delay while the database is slow: figures, never
# pass/fail. The loop drives the LED pattern steps and feeds the watchdog, so
# its delay shows as LED steps that change later than the pattern table says
# and as gaps between WATCHDOG=1 messages (due every 1 s with
# WATCHDOG_USEC=2000000). Two conditions, each a sim station with a
# notification socket of our own:
#
#   lock  the database held by the sqlite3 shell (BEGIN EXCLUSIVE) for 7 s,
#         [store] busy_timeout = 5s; a badge tapped 0.5 s into the lock and
#         its partner 1 s later. SLOWSTORE_LOCK_ROUNDS rounds (default 3).
#   fsync every fsync/fdatasync delayed 50 ms by strace (a slow SD card);
#         4 s idle, then SLOWSTORE_PAIRS pairs (default 60), 2 per second on
#         average (gaps of 0.3 to 0.7 s, so that they fall at every phase
#         of the LED and watchdog timers). A commit blocks only what falls
#         due during it, so the fewer pairs, the noisier the figure.
#
# LED step lateness: for every step whose length the table gives (ready,
# waiting, saved) and that ends in the measured time, how long it stayed on
# past that length before the next change. A step cut short by an event
# counts 0; a step the loop skipped shows as lateness of the one before it.
# SLOWSTORE_DEBUG=1 lists the steps; SLOWSTORE_KEEP=1 keeps the files.
#
#   bench/slow_store.sh [BUILD]     BUILD: the build directory (default build)
#
# Any build directory will do, e.g. a worktree of an older commit for a
# "before" figure:  git worktree add /tmp/before HEAD && make -C /tmp/before
# && bench/slow_store.sh /tmp/before/build
set -uo pipefail
BUILD=$(cd "${1:-${BUILD:-build}}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
LISTEN="$HERE/../tests/lib/notify_listen.py"
PY=$(python3 -c 'import sys; print(sys.executable)')
TMP=$(mktemp -d /tmp/tapmeet-slowstore.XXXXXX)
ROUNDS=${SLOWSTORE_LOCK_ROUNDS:-3}
PAIRS=${SLOWSTORE_PAIRS:-60}
PIDS=()
cleanup() {
	for pid in "${PIDS[@]}"; do
		kill -9 "$pid" 2>/dev/null
	done
	wait 2>/dev/null
	if [ -n "${SLOWSTORE_KEEP:-}" ]; then echo "  kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

mono() { "$PY" -c 'import time; print("%.6f" % time.clock_gettime(time.CLOCK_MONOTONIC))'; }
wait_until() { # wait_until SECONDS COMMAND...
	local deadline=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.05
	done
}

"$BUILD/tapmeetd" --print-patterns >"$TMP/patterns" || { echo "  $BUILD/tapmeetd --print-patterns failed"; exit 1; }

# start_station NAME [WRAPPER...]: a sim station in $TMP/NAME, its LED lines
# and log in one file (out), the notification socket's messages in notify.
start_station() {
	local name=$1
	shift
	D="$TMP/$name"
	mkdir -p "$D"
	cat >"$D/t.conf" <<CONF
[station]
id = bench
[reader]
driver = sim
sim_path = $D/sim.fifo
[store]
path = $D/t.db
busy_timeout = 5s
retry_interval = 1s
[pairing]
window = 8s
# The commit path is measured, not the pairing rules: taps one after the
# other, each counted the moment the sim reader reports it.
sequential = true
after_meeting = 0
min_dwell = 0
[leds]
driver = sim
color = false
CONF
	"$PY" "$LISTEN" "$D/notify.sock" "$D/notify" 2>/dev/null &
	LISTENER_PID=$!
	PIDS+=("$LISTENER_PID")
	wait_until 5 test -S "$D/notify.sock" || { echo "  no notification socket"; return 1; }
	env -u WATCHDOG_PID NOTIFY_SOCKET="$D/notify.sock" WATCHDOG_USEC=2000000 \
		"$@" "$BUILD/tapmeetd" --config "$D/t.conf" >>"$D/out" 2>&1 &
	WRAPPER_PID=$!
	PIDS+=("$WRAPPER_PID")
	wait_until 30 grep -q 'state=ok' "$D/out" || { echo "  the daemon did not start:"; tail -5 "$D/out"; return 1; }
	DAEMON_PID=$WRAPPER_PID
	if [ $# -gt 0 ]; then # the daemon is the wrapper's child
		DAEMON_PID=$(awk '{print $1}' "/proc/$WRAPPER_PID/task/$WRAPPER_PID/children")
	fi
	sleep 2 # past the selftest pattern, a few watchdog messages
	mono >"$D/start"
}

stop_station() {
	mono >"$D/end"
	kill -TERM "$DAEMON_PID" 2>/dev/null
	wait "$WRAPPER_PID" 2>/dev/null
	kill -TERM "$LISTENER_PID" 2>/dev/null
	wait "$LISTENER_PID" 2>/dev/null
}

cat >"$TMP/figures.py" <<'PY'
"""figures.py DIR KIND: lateness of LED steps and watchdog messages in DIR."""
import math, os, re, sys

d, kind = sys.argv[1], sys.argv[2]
DEBUG = os.environ.get("SLOWSTORE_DEBUG")
t_start = float(open(d + "/start").read()) * 1000
t_end = float(open(d + "/end").read()) * 1000

def lights_of(spec):
    return frozenset() if spec == "off" else frozenset(spec.split("+"))

table = {}
for row in open(d + "/../patterns"):
    f = row.rstrip("\n").split("\t")
    table[f[0]] = (f[1] == "loop", [(lights_of(s.split(":")[0]), int(s.split(":")[1])) for s in f[2].split()])
TIMED = ("ready", "waiting", "saved")  # the patterns these scenarios play

def allowed_ms(prev, cur):
    """How long a step showing `cur` after `prev` may last, or None."""
    cont, start = [], []
    for name in TIMED:
        loops, steps = table[name]
        n = len(steps)
        for k, (lights, ms) in enumerate(steps):
            if lights != cur:
                continue
            pk = k - 1 if k > 0 else (n - 1 if loops else None)
            # The last step of a once-pattern may run on into the same
            # lights of the ready pattern underneath (a green blip).
            extra = max([m for l, m in table["ready"][1] if l == cur] or [0]) if not loops and k == n - 1 else 0
            if pk is not None and steps[pk][0] == prev:
                cont.append(ms + extra)
            elif k == 0:
                start.append(ms + extra)
    c = cont or start
    if not c:  # a looping pattern resumed mid-way (after feedback, a fault):
        # it cannot rightly show these lights longer than its longest such step
        c = [ms for name in TIMED if table[name][0] for lights, ms in table[name][1] if lights == cur]
    return max(c) if c else None

out = open(d + "/out").read().splitlines()
leds = []
for line in out:
    m = re.match(r"leds mono_ms=(\d+) .*green=(\d) amber=(\d) red=(\d) buzzer=(\d)", line)
    if m:
        leds.append((int(m.group(1)), frozenset(n for n, v in zip(("green", "amber", "red", "buzzer"), m.groups()[1:]) if v == "1")))

late = []
for i in range(1, len(leds)):
    t, cur = leds[i]
    t_next = leds[i + 1][0] if i + 1 < len(leds) and leds[i + 1][0] <= t_end else None
    if t > t_end or (t_next is not None and t_next < t_start):
        continue  # steps that end in the window, or still show at its end
    allowed = allowed_ms(leds[i - 1][1], cur)
    if allowed is None:
        continue
    if t_next is None:  # still showing at the end: late only if already overdue
        if t_end - t > allowed:
            late.append(t_end - t - allowed)
        continue
    late.append(max(0, t_next - t - allowed))
    if DEBUG:
        print("    # step %-22s from %d: %5d ms, allowed %5d, late %5d" % ("+".join(sorted(cur)) or "off", t - t_start, t_next - t, allowed, late[-1]))

def pct(v, q):
    v = sorted(v)
    return v[max(0, math.ceil(q * len(v)) - 1)] if v else float("nan")

wd = [float(r.split(" ")[0]) * 1000 for r in open(d + "/notify") if "WATCHDOG=1" in r.rstrip("\n").split(" ")[1:]]
gaps = [b - a for a, b in zip(wd, wd[1:]) if b >= t_start and a <= t_end]

row = lambda what, value: print("    %-46s %s" % (what, value))
row("LED step lateness, ms (%d steps)" % len(late),
    "p50 %5.0f   p99 %5.0f   max %5.0f" % (pct(late, .5), pct(late, .99), max(late) if late else float("nan")))
row("watchdog: longest gap between WATCHDOG=1",
    "%.2f s (due every 1.00 s; p99 gap %.2f s)" % (max(gaps) / 1000, pct(gaps, .99) / 1000) if gaps else "no WATCHDOG=1 seen")

events = [r.split() for r in open(d + "/events")]
if kind == "lock":
    shown, missing, first = [], 0, []
    for _, t, unlock in events:
        t, unlock = float(t) * 1000, float(unlock) * 1000
        amber = next((u for u, l in leds if u >= t and "amber" in l), None)
        if amber is not None and amber <= unlock:
            shown.append(amber - t)
        else:
            missing += 1
            nxt = next(((u, l) for u, l in leds if u >= t), None)
            if nxt:
                first.append("%s at +%.1f s" % ("+".join(sorted(nxt[1])) or "off", (nxt[0] - t) / 1000))
    value = ("max %.0f ms" % max(shown)) if shown else ""
    if missing:
        value += ("; " if value else "") + "not shown during the lock in %d of %d rounds (first change: %s)" % (
            missing, len(events), ", ".join(first))
    row("first tap -> amber (waiting, due at once)", value)
elif kind == "fsync":
    lat = []
    for _, t in events:
        t = float(t) * 1000
        saved = next((u for u, l in leds if u >= t and l == frozenset({"green", "buzzer"})), None)
        if saved is not None:
            lat.append(saved - t)
    row("pair -> saved shown, ms (the commit, %d pairs)" % len(lat),
        "p50 %5.0f   p99 %5.0f   max %5.0f" % (pct(lat, .5), pct(lat, .99), max(lat) if lat else float("nan")))
stored = sum(1 for line in out if re.search(r"\bmeeting id=", line))
row("meetings logged as stored", "%d of %d" % (stored, len(events)))
PY

# --- (i) a held lock -------------------------------------------------------------
echo "  lock: database locked 7 s by the sqlite3 shell, busy_timeout 5s, a pair tapped in the lock ($ROUNDS rounds)"
if start_station lock; then
	: >"$D/events"
	for round in $(seq 1 "$ROUNDS"); do
		(
			printf 'BEGIN EXCLUSIVE;\nSELECT 1;\n'
			sleep 7
			mono >"$D/unlock"
			printf 'COMMIT;\n'
		) | sqlite3 -cmd '.timeout 5000' "$D/t.db" >/dev/null 2>>"$D/locker.err" &
		locker=$!
		PIDS+=("$locker")
		wait_until 5 bash -c "! sqlite3 '$D/t.db' 'BEGIN IMMEDIATE; ROLLBACK;'" || echo "  round $round: the lock was not taken"
		sleep 0.5
		tap_at=$(mono)
		printf 'tap 04AB%02X01\n' "$round" >"$D/sim.fifo"
		sleep 1
		printf 'tap 04AB%02X02\n' "$round" >"$D/sim.fifo"
		wait "$locker"
		echo "tap $tap_at $(cat "$D/unlock")" >>"$D/events"
		sleep 4 # the commit, the saved pattern, the recovery
	done
	stop_station
	[ -s "$D/locker.err" ] && sed 's/^/  sqlite3: /' "$D/locker.err"
	"$PY" "$TMP/figures.py" "$D" lock
fi

# --- (ii) slow fsync ------------------------------------------------------------
echo "  fsync: every fsync/fdatasync delayed 50 ms (strace), 4 s idle then $PAIRS pairs at ~2/s"
if ! command -v strace >/dev/null; then
	echo "    skipped: no strace"
# strace injects only into syscalls it traces (with -e trace=none nothing is
# delayed): fsync and fdatasync are traced, to /dev/null, and --seccomp-bpf
# leaves every other syscall alone.
elif start_station fsync strace -f --seccomp-bpf -qq -o /dev/null -e trace=fsync,fdatasync \
	-e signal=none -e inject=fsync,fdatasync:delay_enter=50000; then
	sleep 4
	"$PY" - "$D/sim.fifo" "$D/events" "$PAIRS" <<'PY'
import random, sys, time
fifo, events, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
mono = lambda: time.clock_gettime(time.CLOCK_MONOTONIC)
t0 = mono()
with open(events, "w") as out:
    random.seed(1)
    due = t0
    for i in range(n):
        time.sleep(max(0.0, due - mono()))
        due += random.uniform(0.3, 0.7)
        now = mono()
        with open(fifo, "w") as f:
            f.write("pair 04B0%04X 05B0%04X\n" % (i, i))
        out.write("pair %.6f\n" % now)
PY
	sleep 3
	stop_station
	"$PY" "$TMP/figures.py" "$D" fsync
fi
