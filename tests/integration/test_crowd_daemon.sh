#!/bin/bash
# The crowd replay path (bench/crowd_replay.py) on the real station: a
# hand-written timeline played in real time on the PN532 emulator, read by
# tapmeetd through libnfc with every [pairing] key at its default, and the
# meetings it stored compared with the ones docs/pairing.md gives: badges put
# down together make clean meetings, taps one after the other suspect ones. Then a slice of
# the simulated crowd (bench/crowd.c, rush pace, 12 meetings) played the same
# way: the station must store the meetings the engine stored in virtual time,
# and none between two people who never met that is not marked suspect.
# About 2.5 min.
#
# Scenarios start more than 10 s after the previous one's last badge went
# down, so that no window or confirmation of one reaches the next, and each
# has one reading under any reasonable choice of timings: the expected
# meetings stay the same if the defaults are tuned. About 80 s.
set -u
. "$(dirname "$0")/lib.sh"
REPLAY="$(dirname "$0")/../../bench/crowd_replay.py"

if ! ldd "$TAPMEETD" | grep -q libnfc; then
	# As in test_libnfc.sh: without libnfc-dev there is no driver to test;
	# with it, a daemon without libnfc is a build fault.
	if pkg-config --exists libnfc 2>/dev/null; then
		not_ok "tapmeetd is linked with libnfc (libnfc-dev is installed)"
	else
		echo "# SKIP: libnfc-dev is not installed, tapmeetd has no libnfc driver"
	fi
	finish
	exit
fi
if [ ! -x "${PN532EMU:-$BUILD/tests/pn532emu}" ]; then
	not_ok "the PN532 emulator is built (make build-tests)"
	finish
	exit
fi

# A..M: badges of 13 people. E taps twice.
A=04C30000000A01 B=04C30000000B02 C=04C30000000C03 D=04C30000000D04
E=04C30000000E05 F=04C30000000F06 G=04C30000001007 H=04C30000001108
I=04C30000001209 J=04C3000000130A K=04C3000000140B L=04C3000000150C
M=04C3000000160D
cat >"$TMP/timeline" <<EOF
# 1. two sequential taps: A lies 400 ms, B comes 1.5 s after A
1000 add $A
1400 remove $A
2500 add $B
2900 remove $B
# 2. two badges put down together
13000 add $C
13000 add $D
13600 remove $C
13600 remove $D
# 3. a meeting, then E taps again 3 s after it (alone: no partner follows)
23500 add $E
23900 remove $E
25000 add $F
25400 remove $F
28000 add $E
28400 remove $E
# 4. G's partner never comes; 10.5 s later a normal pair
38500 add $G
38900 remove $G
49000 add $H
49400 remove $H
50500 add $I
50900 remove $I
# 5. K comes while J still lies on the reader
61000 add $J
62000 add $K
62500 remove $J
62500 remove $K
# 6. two sequential taps again, at the end
72500 add $L
72900 remove $L
74000 add $M
74400 remove $M
75500 end
EOF
expected_meetings=$(printf '%s\n' "$A $B" "$C $D" "$E $F" "$H $I" "$J $K" "$L $M" | sort)
expected_suspect=$(printf '%s\n' "$A $B" "$E $F" "$H $I" "$L $M" | sort)

timeline_valid() { python3 "$REPLAY" --check "$TMP/timeline" >/dev/null; }
check "the timeline is valid" timeline_valid
check "emulator serves a pty" start_emulator
write_libnfc_config
start_daemon || { not_ok "daemon starts on the emulated reader (state=ok)"; finish; exit 1; }
ok "daemon starts on the emulated reader (state=ok)"

check "replay: every command answered ok" \
	python3 "$REPLAY" --control "$EMU_CTL" --report "$TMP/replay.txt" "$TMP/timeline" 2>"$TMP/replay.err"
sed 's/^/# /' "$TMP/replay.err"
late_max=$(sed -n 's/^late_max_ms=//p' "$TMP/replay.txt" 2>/dev/null)
late_mean=$(sed -n 's/^late_mean_ms=//p' "$TMP/replay.txt" 2>/dev/null)
# Above this the station did not see the timeline as written, and the
# checks below would judge another timeline than the one they expect.
if [ -n "$late_max" ] && awk -v l="$late_max" 'BEGIN { exit !(l < 100) }'; then
	ok "replay on time: lateness max $late_max ms, mean $late_mean ms (< 100 ms)"
else
	not_ok "replay on time: lateness max ${late_max:-?} ms, mean ${late_mean:-?} ms (limit 100 ms): the result is not meaningful"
fi

# Every window ran out long before the end; what is left is the last commit.
check "no tap waits for a partner at the end" \
	wait_for 10 sql_is 0 "SELECT count(*) FROM taps WHERE outcome = 'pending';"
check "daemon still running after the replay" kill -0 "$DAEMON_PID"
stop_daemon TERM
check "daemon exits 0 on SIGTERM" test $? -eq 0

dump_meetings "$DB" >"$TMP/meetings"
got_meetings=$(cut -d' ' -f2- "$TMP/meetings" | sort)
if [ "$got_meetings" = "$expected_meetings" ]; then
	ok "the meetings are exactly the 6 expected"
else
	not_ok "the meetings are exactly the 6 expected"
	diff <(echo "$expected_meetings") <(echo "$got_meetings") | sed -n 's/^\([<>]\)/# \1/p'
	echo "# (< expected only, > stored only)"
fi

got_suspect=$(sed -n 's/^suspect //p' "$TMP/meetings" | sort)
check "the four made of taps one after the other are suspect, the two held together are not" \
	test "$got_suspect" = "$expected_suspect"
presented=$(awk '$2 == "add" { print $3 }' "$TMP/timeline" | LC_ALL=C sort | uniq -c | awk '{ print $2 "|" $1 }')
check "every presentation is one tap row (E twice, the others once)" \
	sql_is "$presented" "SELECT uid, count(*) FROM taps GROUP BY uid ORDER BY uid;"
check "E's second tap, alone 3 s after its meeting, is a re-tap; G waited alone" \
	sql_is "$E|duplicate|tapped alone just after its meeting
$G|unpaired|no partner within the window" \
	"SELECT uid, outcome, reason FROM taps WHERE meeting_id IS NULL ORDER BY uid, seq;"
check "E's first tap is the one in the meeting" \
	sql_is 1 "SELECT count(*) FROM taps WHERE uid = '$E' AND meeting_id IS NOT NULL
	          AND seq < (SELECT seq FROM taps WHERE uid = '$E' AND meeting_id IS NULL);"

# --- a slice of the crowd on the real station ------------------------------
# The simulator decides its people's moves on the engine's answers in
# virtual time; the station is given the same badges at the same times and
# must come to the same meetings. Which of them are marked suspect can differ
# where a badge lands within a few ms of a 500 ms or 10 s boundary (the
# emulator's timing is not the simulated reader's), so the marks are shown,
# not compared.
CROWD=${CROWD:-$BUILD/bench/crowd}
SLICE="$TMP/slice"
mkdir -p "$SLICE"
if "$CROWD" --rules default --pace rush --meetings 12 --seed 4 --timeline "$SLICE/timeline" \
	--truth "$SLICE/truth" --record "$SLICE/engine" >"$SLICE/sim.txt" 2>&1; then
	ok "the simulator writes a 12-meeting rush slice"
	CROWD_OUT="$SLICE/out" CROWD="$CROWD" BUILD="$BUILD" bash "$(dirname "$0")/../../bench/crowd_daemon.sh" \
		"$SLICE/timeline" "$SLICE/truth" >"$SLICE/daemon.txt" 2>&1
	check "the slice ran on tapmeetd through libnfc (bench/crowd_daemon.sh)" test $? -eq 0
	sed -n 's/^  replay: /# replay: /p' "$SLICE/daemon.txt"
	pairs_of() { # FILE: the meetings' badge sets, marks dropped, sorted
		python3 -c '
import sys
for line in open(sys.argv[1]):
    f = line.split()
    if f and f[0] in ("meeting", "suspect"):
        print(" ".join(sorted(f[1:])))' "$1" | sort
	}
	if [ -s "$SLICE/out/meetings.txt" ] &&
		[ "$(pairs_of "$SLICE/engine")" = "$(pairs_of "$SLICE/out/meetings.txt")" ]; then
		ok "the station stored the meetings the engine stored in virtual time ($(wc -l <"$SLICE/engine"))"
	else
		not_ok "the station stored the meetings the engine stored in virtual time"
		diff <(pairs_of "$SLICE/engine") <(pairs_of "$SLICE/out/meetings.txt") | sed -n 's/^\([<>]\)/# \1/p'
		echo "# (< engine only, > station only)"
	fi
	# A meeting between strangers may be stored (the simulator's crowd
	# makes some), but only marked suspect: none may reach a contact export.
	check "no meeting between two people who never met, unless marked suspect" \
		grep -qx 'clean_false_pairs=0' "$SLICE/daemon.txt"
	sed -n 's/^\(false_pairs\|recall\|clean_precision\)=/# &/p' "$SLICE/daemon.txt"
	echo "# suspect marks: engine $(grep -c '^suspect' "$SLICE/engine"), station $(grep -c '^suspect' "$SLICE/out/meetings.txt" 2>/dev/null)"
else
	not_ok "the simulator writes a 12-meeting rush slice"
	sed 's/^/# /' "$SLICE/sim.txt"
fi

finish
