#!/usr/bin/env bash
# The libnfc reader driver end to end: the real tapmeetd, the real libnfc,
# and the PN532 emulator (tests/pn532emu) standing in for the chip.
#
#   tests/integration/test_libnfc.sh BUILD_DIR
#
# PN532EMU=PATH uses another emulator binary. Prints "ok - ..." or
# "not ok - ..." per check and ends with "N passed, M failed".
set -euo pipefail

BUILD=${1:-${BUILD:-build}}
DAEMON=$BUILD/tapmeetd
EMU=${PN532EMU:-$BUILD/tests/pn532emu}
WAIT_S=10

PASSED=0
FAILED=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/tapmeet-nfctest.XXXXXX")
EMU_PID=
D1_PID=
D2_PID=

cleanup() {
	local pid
	for pid in $D2_PID $D1_PID $EMU_PID; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in $D2_PID $D1_PID $EMU_PID; do
		wait "$pid" 2>/dev/null || true
	done
	if [ "$FAILED" -gt 0 ] || [ -n "${KEEP_TMP:-}" ]; then
		echo "# logs kept in $TMP" >&2
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT

ok() {
	echo "ok - $1"
	PASSED=$((PASSED + 1))
}

not_ok() {
	echo "not ok - $1"
	FAILED=$((FAILED + 1))
}

check() { # DESCRIPTION COMMAND...
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}

finish() {
	echo "$PASSED passed, $FAILED failed"
	exit $((FAILED > 0))
}

# Retries COMMAND every 50 ms for up to WAIT_S seconds.
wait_for() {
	local deadline=$((SECONDS + WAIT_S))
	while ! "$@" 2>/dev/null; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}

# Sends control lines to the emulator (all in one write, so "add A ...; add B
# ..." put both badges down at the same instant); fails unless each says ok.
ctl() {
	python3 - "$TMP/ctl" "$@" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect(sys.argv[1])
s.sendall(("\n".join(sys.argv[2:]) + "\n").encode())
s.shutdown(socket.SHUT_WR)
reply = b""
while True:
    chunk = s.recv(4096)
    if not chunk:
        break
    reply += chunk
lines = reply.decode().split("\n")
bad = [l for l in lines if l.startswith("error")]
if bad or sum(1 for l in lines if l == "ok") < len(sys.argv) - 2:
    sys.stderr.write("control: %r -> %r\n" % (sys.argv[2:], reply.decode()))
    sys.exit(1)
EOF
}

sql() {
	sqlite3 -cmd ".timeout 2000" "$TMP/t.db" "$1"
}

sql_is() { # EXPECTED SQL
	[ "$(sql "$2")" = "$1" ]
}

alive() {
	kill -0 "$1" 2>/dev/null
}

count_lines() { # PATTERN FILE
	grep -c -- "$1" "$2" 2>/dev/null || true
}

log_has_more() { # PATTERN FILE THAN
	[ "$(count_lines "$1" "$2")" -gt "$3" ]
}

start_emu() {
	rm -f "$TMP/ctl"
	"$EMU" --link "$TMP/pn532" --control "$TMP/ctl" --log >>"$TMP/emu.out" 2>>"$TMP/emu.err" &
	EMU_PID=$!
	wait_for test -S "$TMP/ctl" && wait_for test -e "$TMP/pn532"
}

write_config() { # FILE DB
	cat >"$1" <<EOF
[station]
id = itest
[reader]
driver = libnfc
device = pn532_uart:$TMP/pn532
poll_interval = 100ms
[store]
path = $2
[pairing]
window = 8s
repeat_guard = 60s
rearm = 1s
sequential = true
after_meeting = 0
min_dwell = 0
[leds]
driver = sim
[log]
level = info
EOF
}

start_daemon() { # NAME CONFIG -> pid in $!
	LIBNFC_AUTO_SCAN=false "$DAEMON" --config "$2" >"$TMP/$1.out" 2>"$TMP/$1.err" &
}

# A meeting holding exactly these UIDs exists.
met() {
	local want=$# in_list
	in_list=$(printf "'%s'," "$@")
	in_list=${in_list%,}
	sql_is 1 "SELECT count(*) FROM (SELECT meeting_id FROM meeting_badges GROUP BY meeting_id
		HAVING count(*) = $want AND sum(uid IN ($in_list)) = $want);"
}

taps_of() { # UID -> number of tap rows
	sql "SELECT count(*) FROM taps WHERE uid = '$1';"
}

# Puts A down, takes it away, puts B down, takes it away; true once they met.
tap_pair() { # NAME_A KIND_A UID_A NAME_B KIND_B UID_B
	ctl "add $1 $2 $3" || return 1
	wait_for sql_is 1 "SELECT count(*) FROM taps WHERE uid = '${3^^}';" || return 1
	ctl "remove $1" "add $4 $5 $6" || return 1
	wait_for met "${3^^}" "${6^^}" || return 1
	ctl "remove $4"
}

# --- preconditions ---------------------------------------------------------------

if [ ! -x "$DAEMON" ]; then
	not_ok "tapmeetd built at $DAEMON"
	finish
fi
if ! ldd "$DAEMON" | grep libnfc >/dev/null; then
	# Without libnfc-dev the driver is left out of the build; with it, a
	# daemon without libnfc is a build fault, not a reason to skip.
	if pkg-config --exists libnfc 2>/dev/null; then
		not_ok "tapmeetd is linked with libnfc (libnfc-dev is installed)"
	else
		echo "# SKIP: libnfc-dev is not installed, tapmeetd has no libnfc driver"
	fi
	finish
fi
if [ ! -x "$EMU" ]; then
	not_ok "PN532 emulator built at $EMU (make $EMU)"
	finish
fi
for tool in python3 sqlite3; do
	if ! command -v "$tool" >/dev/null; then
		not_ok "$tool is installed"
		finish
	fi
done

# --- start ----------------------------------------------------------------------

check "emulator serves $TMP/pn532" start_emu
write_config "$TMP/t.conf" "$TMP/t.db"
start_daemon d1 "$TMP/t.conf"
D1_PID=$!
check "daemon connects to the reader (state=ok)" wait_for grep -q 'reader=libnfc state=ok' "$TMP/d1.err"

# --- badges -----------------------------------------------------------------------

check "tap pair: classic 11223344 then classic 55667788 make one meeting" \
	tap_pair a classic 11223344 b classic 55667788
check "tap pair: both taps are paired, one row each" \
	sql_is "paired|1
paired|1" "SELECT outcome, count(*) FROM taps WHERE uid IN ('11223344','55667788') GROUP BY uid;"

held_badge() {
	ctl "add h ntag 04A0A1A2A3A4A5" || return 1
	wait_for sql_is 1 "SELECT count(*) FROM taps WHERE uid = '04A0A1A2A3A4A5';" || return 1
	sleep 3 # the badge lies there: dozens of polling cycles
	[ "$(taps_of 04A0A1A2A3A4A5)" = 1 ] || return 1
	ctl "remove h" "add p classic A0B0C0D0" || return 1
	wait_for met 04A0A1A2A3A4A5 A0B0C0D0 && ctl "remove p"
}
check "badge held for 3 s counts as one tap (then pairs)" held_badge
check "held badge: exactly one tap row" sql_is 1 "SELECT count(*) FROM taps WHERE uid = '04A0A1A2A3A4A5';"

two_at_once() {
	ctl "add x classic C1C2C3C4" "add y ultralight 04B1B2B3B4B5B6" || return 1
	wait_for met C1C2C3C4 04B1B2B3B4B5B6 || return 1
	ctl "remove all"
}
check "two badges put down together make an instant meeting" two_at_once
check "instant meeting: no tap waited for a partner" \
	sql_is "" "SELECT uid FROM taps WHERE uid IN ('C1C2C3C4','04B1B2B3B4B5B6') AND outcome <> 'paired';"

check "ultralight (7-byte UID) then iso4 (7-byte UID) make a meeting" \
	tap_pair u ultralight 04C1C2C3C4C5C6 i iso4 04D1D2D3D4D5D6
check "10-byte UIDs (classic and iso4) put down together make a meeting" \
	eval 'ctl "add t uid10 04E1E2E3E4E5E6E7E8E9" "add s uid10-iso4 04F1F2F3F4F5F6F7F8F9" &&
	      wait_for met 04E1E2E3E4E5E6E7E8E9 04F1F2F3F4F5F6F7F8F9 && ctl "remove all"'
check "kinds recorded from SAK: classic, ultralight, iso14443-4" \
	sql_is "04C1C2C3C4C5C6|ultralight
04D1D2D3D4D5D6|iso14443-4
04E1E2E3E4E5E6E7E8E9|mifare-classic
04F1F2F3F4F5F6F7F8F9|iso14443-4
11223344|mifare-classic" "SELECT uid, kind FROM taps WHERE uid IN ('11223344','04C1C2C3C4C5C6',
	'04D1D2D3D4D5D6','04E1E2E3E4E5E6E7E8E9','04F1F2F3F4F5F6F7F8F9') ORDER BY uid;"

random_uid() {
	ctl "add r classic 08A1B2C3" || return 1
	wait_for sql_is rejected "SELECT outcome FROM taps WHERE uid = '08A1B2C3';" || return 1
	sleep 1 # lying there: still one row
	ctl "remove r" && sql_is 1 "SELECT count(*) FROM taps WHERE uid = '08A1B2C3';"
}
check "random UID 08A1B2C3 gives one 'rejected' tap row" random_uid
check "daemon running after badge scenarios" alive "$D1_PID"

# --- faults ------------------------------------------------------------------------

# The chip, not the host, waits for a badge on an empty reader: the retry
# count it is given for that is above the listing's 2, and an idle spell of
# 3 s holds fewer listings than polling every poll_interval (100 ms) would.
idle_retries_set() {
	local count
	for count in $(grep -Eo 'host->chip +RFConfiguration +32 05 00 01 [0-9a-f][0-9a-f]' "$TMP/emu.err" |
		awk '{ print $NF }'); do
		[ $((16#$count)) -gt 2 ] && return 0
	done
	return 1
}
check "empty reader: the chip is given a retry count above 2 to wait with" wait_for idle_retries_set
idle_listings() {
	local before after
	before=$(count_lines 'host->chip *InListPassiveTarget' "$TMP/emu.err")
	sleep 3
	after=$(count_lines 'host->chip *InListPassiveTarget' "$TMP/emu.err")
	echo "# $((after - before)) listings in 3 s of an empty reader"
	[ $((after - before)) -lt 22 ]
}
check "empty reader: fewer listings than host polling every 100 ms would send" idle_listings

# A dead chip is noticed within the bound docs/reader-setup.md gives (about
# a second: libnfc's 300 ms timeout, twice); 3 s leaves room for a slow host.
FAULTS=$(count_lines 'state=fault' "$TMP/d1.err")
OKS=$(count_lines 'state=ok' "$TMP/d1.err")
silent_detected() {
	local t0=$EPOCHREALTIME
	ctl "silent on" && wait_for log_has_more state=fault "$TMP/d1.err" "$FAULTS" || return 1
	awk -v t0="$t0" -v t1="$EPOCHREALTIME" 'BEGIN { printf "# silent chip reported after %.2f s\n", t1 - t0; exit !(t1 - t0 < 3) }'
}
check "emulator silent: daemon reports a fault within 3 s" silent_detected
sleep 3 # silent for a while: the daemon keeps retrying
ctl "silent off" || true
check "emulator answers again: daemon recovers (state=ok)" wait_for log_has_more state=ok "$TMP/d1.err" "$OKS"
check "silent reader: the fault was logged once" \
	test "$(count_lines 'state=fault' "$TMP/d1.err")" -eq $((FAULTS + 1))
check "taps work after the silent spell" tap_pair a classic 21222324 b classic 25262728
check "daemon running after silence" alive "$D1_PID"

FAULTS=$(count_lines 'state=fault' "$TMP/d1.err")
OKS=$(count_lines 'state=ok' "$TMP/d1.err")
check "device vanishes: fault" eval 'ctl vanish && wait_for log_has_more state=fault "$TMP/d1.err" "$FAULTS"'
sleep 2
check "device returns behind the same symlink: recovered" \
	eval 'ctl return && wait_for log_has_more state=ok "$TMP/d1.err" "$OKS"'
check "vanished device: the fault was logged once" \
	test "$(count_lines 'state=fault' "$TMP/d1.err")" -eq $((FAULTS + 1))
check "taps work after the device came back" tap_pair a classic 31323334 b classic 35363738

FAULTS=$(count_lines 'state=fault' "$TMP/d1.err")
OKS=$(count_lines 'state=ok' "$TMP/d1.err")
kill "$EMU_PID"
wait "$EMU_PID" 2>/dev/null || true
EMU_PID=
check "emulator process killed: fault" wait_for log_has_more state=fault "$TMP/d1.err" "$FAULTS"
sleep 2
check "new emulator process behind the same path: recovered" \
	eval 'start_emu && wait_for log_has_more state=ok "$TMP/d1.err" "$OKS"'
check "taps work with the new emulator" tap_pair a classic 41424344 b classic 45464748

FAULTS=$(count_lines 'state=fault' "$TMP/d1.err")
check "one corrupted frame (bad checksum) is retried, not a fault" \
	eval 'ctl "badcsum 1" && sleep 1 && tap_pair a classic 51525354 b classic 55565758 &&
	      test "$(count_lines state=fault "$TMP/d1.err")" -eq "$FAULTS"'

OKS=$(count_lines 'state=ok' "$TMP/d1.err")
check "garbage frames: fault, then recovery" \
	eval 'ctl "garbage 6" && wait_for log_has_more state=fault "$TMP/d1.err" "$FAULTS" &&
	      wait_for log_has_more state=ok "$TMP/d1.err" "$OKS"'
check "garbage: the fault was logged once" \
	test "$(count_lines 'state=fault' "$TMP/d1.err")" -eq $((FAULTS + 1))
check "taps work after the garbage" tap_pair a classic 61626364 b classic 65666768
check "daemon running after faults" alive "$D1_PID"

# --- a second daemon on the same reader ---------------------------------------------

write_config "$TMP/t2.conf" "$TMP/t2.db"
start_daemon d2 "$TMP/t2.conf"
D2_PID=$!
check "second daemon: clear 'in use' error naming the first one's pid" \
	wait_for grep -q "state=fault detail=\"reader .* is in use by another process (pid $D1_PID)\"" "$TMP/d2.err"
check "first daemon keeps working while the second waits" tap_pair a classic 71727374 b classic 75767778
check "second daemon saw no badge" test "$(sqlite3 "$TMP/t2.db" 'SELECT count(*) FROM taps;' 2>/dev/null || echo 0)" = 0
check "second daemon keeps running (retrying)" alive "$D2_PID"
kill "$D2_PID"
wait "$D2_PID" 2>/dev/null || true
D2_PID=

# --- stop ---------------------------------------------------------------------------

# libnfc's own lines look like "error<TAB>libnfc.driver.pn532_uart<TAB>...".
check "no libnfc messages in the daemon's log" test "$(count_lines $'\tlibnfc\\.' "$TMP/d1.err")" = 0
check "daemon still running at the end" alive "$D1_PID"
stop_promptly() {
	local deadline=$((SECONDS + 3))
	kill -TERM "$D1_PID"
	while alive "$D1_PID"; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.05
	done
	wait "$D1_PID"
}
check "daemon stops within 3 s of SIGTERM, exit status 0" stop_promptly
D1_PID=

finish
