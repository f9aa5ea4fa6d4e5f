#!/bin/bash
# The crowd simulator's timeline played on the real station, in real time:
# the PN532 emulator on a pty, the real libnfc polling it, tapmeetd's event
# loop, writer thread and SQLite. The simulator's own runs are in virtual
# time and skip all of that; this shows whether its accuracy figures hold on
# the real path.
#
#   bench/crowd_daemon.sh TIMELINE TRUTH [PAIRING_CONF]
#
# TIMELINE and TRUTH are written by `build/bench/crowd ... --timeline FILE
# --truth FILE`. PAIRING_CONF is an INI snippet appended to the station's
# configuration, normally a [pairing] section; without it every timing is
# at its default (docs/pairing.md).
#
# Steps: the emulator and the daemon start; bench/crowd_replay.py plays the
# timeline; the station is left alone for CROWD_SETTLE_S seconds (default
# 10: a window and a confirmation run out) and then until no tap waits for a
# partner; the daemon is stopped with SIGTERM; its meetings are written one
# per line ("meeting UID UID..." or "suspect UID UID...") and scored with
# `crowd --score TRUTH MEETINGS` when the simulator can score.
#
# Prints the replay's lateness (a replay that ran late did not present the
# timeline: its score means little), the taps and meetings stored, and the
# score. Exit status: 0 when the replay ran and the daemon stopped cleanly
# (and the scorer, if run, succeeded).
#
# BUILD: the build directory (default: build next to this script).
# CROWD: the simulator binary (default $BUILD/bench/crowd).
# CROWD_OUT=DIR: keep the meetings file, the database and the logs there.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
	echo "usage: bench/crowd_daemon.sh TIMELINE TRUTH [PAIRING_CONF]" >&2
	exit 2
fi
for f in "$1" ${3:+"$3"}; do
	[ -r "$f" ] || { echo "crowd_daemon: cannot read $f" >&2; exit 2; }
done
TIMELINE=$(realpath -- "$1")
TRUTH=$(realpath -m -- "$2")
PAIRING_CONF=${3:+$(realpath -- "$3")}
SETTLE_S=${CROWD_SETTLE_S:-10}
BUILD=${BUILD:-$HERE/../build}
REPLAY="$HERE/crowd_replay.py"

. "$HERE/../tests/integration/lib.sh" || exit 1
CROWD=${CROWD:-$BUILD/bench/crowd}
# lib.sh's EXIT trap stops what was started and removes $TMP; an interrupt
# must go through it too.
trap 'exit 130' INT TERM

die() {
	echo "crowd_daemon: $*" >&2
	n_failed=1 # lib.sh's cleanup then shows the daemon's last log lines
	exit 1
}

for f in "$TAPMEETD" "${PN532EMU:-$BUILD/tests/pn532emu}"; do
	[ -x "$f" ] || die "$f is not built (make all build-tests)"
done
ldd "$TAPMEETD" | grep -q libnfc || die "$TAPMEETD has no libnfc reader driver (libnfc-dev was missing at build time)"
python3 "$REPLAY" --check "$TIMELINE" || exit 1

start_emulator || die "the PN532 emulator did not start"
write_libnfc_config "$([ -n "$PAIRING_CONF" ] && cat "$PAIRING_CONF")"
"$TAPMEETD" --check-config --config "$CONF" >"$TMP/check-config.out" 2>&1 ||
	die "the configuration is refused: $(cat "$TMP/check-config.out")"
start_daemon || die "tapmeetd did not start"
echo "station: tapmeetd on the PN532 emulator, config $([ -n "$PAIRING_CONF" ] && echo "defaults + $3" || echo defaults)"

python3 "$REPLAY" --control "$EMU_CTL" --report "$TMP/replay.txt" "$TIMELINE" 2>&1 |
	tee "$TMP/replay.err" | sed 's/^/  /'
[ "${PIPESTATUS[0]}" -eq 0 ] || die "the replay failed"
kill -0 "$DAEMON_PID" 2>/dev/null || die "tapmeetd died during the replay"

sleep "$SETTLE_S"
wait_for 120 sql_is 0 "SELECT count(*) FROM taps WHERE outcome = 'pending';" ||
	echo "crowd_daemon: taps still pending after $SETTLE_S s + 120 s; stopping anyway" >&2
stop_daemon TERM
status=$?
[ "$status" -eq 0 ] || die "tapmeetd exited with status $status"

MEETINGS="$TMP/meetings.txt"
dump_meetings "$DB" >"$MEETINGS" || die "cannot read the meetings from $DB"

figure() { sed -n "s/^$1=//p" "$TMP/replay.txt"; }
late_max=$(figure late_max_ms)
echo "replay: $(figure commands) commands over $(figure took_ms) ms," \
	"lateness max $late_max ms, mean $(figure late_mean_ms) ms"
if awk -v l="$late_max" 'BEGIN { exit !(l > 100) }'; then
	echo "replay: WARNING: over 100 ms late: the station did not see the timeline as written"
fi
echo "taps stored: $(sql "SELECT count(*) FROM taps;")" \
	"($(sql "SELECT group_concat(outcome || ' ' || n, ', ') FROM
	         (SELECT outcome, count(*) AS n FROM taps GROUP BY outcome ORDER BY outcome);"))"
echo "meetings stored: $(grep -c . "$MEETINGS") ($(grep -c '^suspect ' "$MEETINGS") suspect)"
grep -h 'event=stopped' "$TMP/daemon.err" | sed 's/^<[0-9]>/daemon: /'

if [ -n "${CROWD_OUT:-}" ]; then
	mkdir -p "$CROWD_OUT" &&
		cp "$MEETINGS" "$DB" "$CONF" "$TMP/daemon.err" "$TMP/replay.err" "$CROWD_OUT/" &&
		echo "files kept in $CROWD_OUT"
fi

if [ -x "$CROWD" ] && "$CROWD" --help 2>&1 | grep -q -- '--score'; then
	[ -r "$TRUTH" ] || die "cannot read the truth file $2"
	echo "score ($CROWD --score):"
	"$CROWD" --score "$TRUTH" "$MEETINGS" || die "$CROWD --score failed"
else
	echo "score: skipped, $CROWD is not built or has no --score yet"
fi
