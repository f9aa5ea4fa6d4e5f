#!/bin/bash
# The crowd simulator (bench/crowd.c, docs/crowd.md): its scorer on
# hand-written files with known answers, the same output for the same seed,
# the project's accuracy goal for the shipped defaults at rush pace, the
# fallback without the SFHH data, and the files it writes for the replay on
# the real station (bench/crowd_daemon.sh). A few seconds.
set -u
. "$(dirname "$0")/lib.sh"
CROWD=${CROWD:-$BUILD/bench/crowd}
# 1: a miss of the project's goal (99.9 % / 99 % at rush) counts as a failure.
GOAL_REQUIRED=${CROWD_GOAL_REQUIRED:-0}

if [ ! -x "$CROWD" ]; then
	not_ok "the crowd simulator is built ($CROWD; make build-tests)"
	finish
	exit
fi

# has_lines FILE LINE...: every LINE is a line of FILE
has_lines() {
	local f=$1 l
	shift
	for l in "$@"; do
		grep -qxF -- "$l" "$f" || { echo "# missing '$l' in:"; sed 's/^/#   /' "$f"; return 1; }
	done
}

check "--help mentions --score (bench/crowd_daemon.sh looks for it)" \
	bash -c "'$CROWD' --help | grep -q -- --score"

# --- 1. the scorer on known answers ----------------------------------------
A=04A0000000000A B=04B0000000000B C=04C0000000000C D=04D0000000000D
E=04E0000000000E F=04F0000000000F G=0410000000001A H=0420000000002A
I=0430000000003A J=0440000000004A K=0450000000005A
cat >"$TMP/truth" <<EOF
# four pairs presented both badges; one walked away
pair $A $B
pair $C $D
pair $E $F
pair $G $H
abandoned $I $J
EOF
# A-B right; C-D right but suspect; E-F right; E-G false; G-H lost.
cat >"$TMP/meetings" <<EOF
meeting $A $B
suspect $C $D
meeting $E $F
meeting $E $G
EOF
"$CROWD" --score "$TMP/truth" "$TMP/meetings" >"$TMP/score" 2>&1
check "--score exits 0" test $? -eq 0
check "--score: 4 pairs, 1 abandoned, 4 recorded of which 1 false, 1 lost" has_lines "$TMP/score" \
	pairs=4 abandoned=1 meetings=4 suspect_meetings=1 recorded_pairs=4 true_pairs=3 \
	false_pairs=1 clean_false_pairs=1 lost=1
# recall 3/4; precision 3/4; clean precision 2/3 (C-D is left out);
# suspect 1 of 3 true; per 1,000 of the 5 intended meetings.
check "--score: recall 75.00, precision 75.00, clean precision 66.67, suspect 33.33" \
	has_lines "$TMP/score" recall=75.00 precision=75.00 clean_precision=66.67 suspect=33.33
check "--score: false and lost per 1,000 intended = 200.00" \
	has_lines "$TMP/score" false_per_1000=200.00 lost_per_1000=200.00

# A group of three is three pairs: one true (recorded twice), two false.
printf 'pair %s %s\npair %s %s\n' "$A" "$B" "$C" "$D" >"$TMP/truth2"
printf 'meeting %s %s %s\nmeeting %s %s\n' "$B" "$A" "$K" "$A" "$B" >"$TMP/meetings2"
"$CROWD" --score "$TMP/truth2" "$TMP/meetings2" >"$TMP/score2" 2>&1
check "--score: a meeting of 3 badges is 3 pairs; a pair recorded twice is recalled once" \
	has_lines "$TMP/score2" recorded_pairs=4 true_pairs=2 false_pairs=2 recall=50.00 \
	precision=50.00 lost=1 false_per_1000=1000.00
printf 'meeting %s nothex\n' "$A" >"$TMP/bad"
"$CROWD" --score "$TMP/truth2" "$TMP/bad" >/dev/null 2>&1
check "--score: a line that is not UIDs is an error (exit 2)" test $? -eq 2

# --- 2. deterministic ----------------------------------------------------
run_twice() {
	"$CROWD" --rules all --pace all --meetings 500 --seed 7 --stations "$1" --why >"$TMP/r1" 2>/dev/null &&
		"$CROWD" --rules all --pace all --meetings 500 --seed 7 --stations "$1" --why >"$TMP/r2" 2>/dev/null &&
		cmp -s "$TMP/r1" "$TMP/r2"
}
check "the same seed gives the same output (one station)" run_twice 1
check "the same seed gives the same output (two stations)" run_twice 2
"$CROWD" --rules all --pace all --meetings 500 --seed 8 --why >"$TMP/r3" 2>/dev/null
check "another seed gives other figures" bash -c "! cmp -s '$TMP/r1' '$TMP/r3'"

# The simulator's own figures are the scorer's on the meetings it recorded.
"$CROWD" --rules v1 --pace busy --meetings 400 --seed 3 --truth "$TMP/t3" \
	--record "$TMP/m3" --timeline "$TMP/tl3" >"$TMP/out3" 2>/dev/null
"$CROWD" --score "$TMP/t3" "$TMP/m3" >"$TMP/score3"
row=$(grep '^v1 ' "$TMP/out3")
same_figures() {
	local recall precision
	recall=$(sed -n 's/^recall=//p' "$TMP/score3")
	precision=$(sed -n 's/^precision=//p' "$TMP/score3")
	[ "$(echo "$row" | awk '{ print $4, $5 }')" = "$recall $precision" ] ||
		{ echo "# table: $row"; sed 's/^/# /' "$TMP/score3"; return 1; }
}
check "--score on --record/--truth gives the table's recall and precision" same_figures
timeline_valid() { python3 "$(dirname "$0")/../../bench/crowd_replay.py" --check "$1" >/dev/null; }
check "--timeline is a valid replay timeline (bench/crowd_replay.py --check)" timeline_valid "$TMP/tl3"

# --print-config gives a [pairing] section tapmeetd accepts.
print_config_ok() {
	cat >"$TMP/crowd.conf" <<EOF
[station]
id = crowd
[reader]
driver = sim
sim_path = $TMP/sim.fifo
[store]
path = $TMP/crowd.db
[leds]
driver = none
EOF
	"$CROWD" --print-config "$1" >>"$TMP/crowd.conf" &&
		"$TAPMEETD" --check-config --config "$TMP/crowd.conf" >/dev/null 2>&1
}
for rules in v1 retap-dwell together together-seq hold-seq default; do
	check "--print-config $rules: tapmeetd --check-config accepts it" print_config_ok "$rules"
done

# --- 3. the shipped defaults at rush pace ----------------------------------
# A regression floor under the shipped defaults' figures (docs/pairing.md:
# clean precision 99.97 %, recall 93.66 % for this seed and size with the
# SFHH data; 100.00 % and 97.30 % with generated pairs; the reader modelled
# as a PN53x chip waiting for a badge. When the defaults were chosen, with an
# empty reader listed every 100 ms: 99.97 % and 93.67 %): a rule change that
# makes the record less true fails here.
"$CROWD" --goal --min-clean 99.8 --min-recall 93.0 --meetings 10000 --seed 1 >"$TMP/floor" 2>&1
floor_rc=$?
floor_line=$(grep '^goal (' "$TMP/floor")
if [ "$floor_rc" -eq 0 ]; then
	ok "shipped defaults at rush: ${floor_line#goal (default rules, rush): }"
else
	not_ok "shipped defaults at rush: ${floor_line#goal (default rules, rush): }"
	sed 's/^/# /' "$TMP/floor"
fi
# The project's goal (99.9 % / 99 %) is not met at rush pace under the
# simulated behaviour (recall); docs/pairing.md says by how much and why.
# Reported, and counted only with CROWD_GOAL_REQUIRED=1.
"$CROWD" --goal --meetings 10000 --seed 1 >"$TMP/goal" 2>&1
goal_rc=$?
goal_line=$(grep '^goal (' "$TMP/goal")
if [ "$goal_rc" -eq 0 ]; then
	ok "crowd --goal ${goal_line#goal }"
elif [ "$GOAL_REQUIRED" = 1 ]; then
	not_ok "crowd --goal ${goal_line#goal }"
	sed 's/^/# /' "$TMP/goal"
else
	echo "# the project's goal, not met (docs/pairing.md): crowd --goal ${goal_line#goal }"
fi

# --- 4. without the SFHH data ---------------------------------------------
"$CROWD" --data "$TMP/absent/tij_SFHH.dat" --rules v1 --pace calm --meetings 300 \
	>"$TMP/nodata" 2>&1
check "without the data: exit 0" test $? -eq 0
check "without the data: it says the file is absent and uses generated pairs" \
	grep -q "absent.*generated pairs" "$TMP/nodata"
check "without the data: the table has its row" grep -q '^v1  *calm  ' "$TMP/nodata"

finish
