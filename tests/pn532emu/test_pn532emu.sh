#!/usr/bin/env bash
# Proves the PN532 emulator against libnfc's own tools (nfc-list, nfc-poll)
# driving the real pn532_uart driver, plus raw frame-level checks.
#
# usage: test_pn532emu.sh PATH/TO/pn532emu
# needs: libnfc-bin (nfc-list), libnfc-examples (nfc-poll), socat, coreutils.
set -euo pipefail

EMU=${1:?usage: $0 PATH/TO/pn532emu}
[[ -x $EMU ]] || { echo "not executable: $EMU" >&2; exit 2; }
for tool in nfc-list nfc-poll socat stty od; do
	command -v "$tool" >/dev/null || { echo "missing tool: $tool" >&2; exit 2; }
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/pn532emu-test.XXXXXX")
LINK=$WORK/pn532
CTL=$WORK/control.sock
export LIBNFC_DEVICE="pn532_uart:$LINK"
export LIBNFC_AUTO_SCAN=false
EMU_PID=
POLL_PID=
PASSED=0
FAILED=0

cleanup() {
	exec 3>&- 2>/dev/null || true
	[[ -n $POLL_PID ]] && kill "$POLL_PID" 2>/dev/null || true
	[[ -n $EMU_PID ]] && kill "$EMU_PID" 2>/dev/null || true
	[[ -n $EMU_PID ]] && wait "$EMU_PID" 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT

pass() { PASSED=$((PASSED + 1)); echo "ok - $1"; }
fail() { FAILED=$((FAILED + 1)); echo "not ok - $1"; [[ -n ${2:-} ]] && sed 's/^/#   /' <<<"$2"; return 0; }

# check DESCRIPTION EXPECTED ACTUAL
check() {
	if [[ $2 == "$3" ]]; then pass "$1"; else fail "$1" "expected: $2"$'\n'"actual:   $3"; fi
}

# check_contains DESCRIPTION NEEDLE HAYSTACK
check_contains() {
	if [[ $3 == *"$2"* ]]; then pass "$1"; else fail "$1" "expected to contain: $2"$'\n'"actual: $3"; fi
}

ctl() { printf '%s\n' "$*" | socat -t 2 - UNIX-CONNECT:"$CTL"; }
ctl_ok() {
	local out
	out=$(ctl "$@")
	[[ $out == ok ]] || { echo "# control '$*' answered '$out'" >&2; return 1; }
}

# Runs nfc-list; prints its stdout+stderr.
nfc_list() { timeout 30 nfc-list "$@" 2>&1 || echo "nfc-list exit status $?"; }

# Reduces nfc-list/nfc-poll output to "ATQA UID SAK" lines, hex without spaces.
targets_of() {
	awk '
		function hex(line) { sub(/^[^:]*: */, "", line); gsub(/[ \t]/, "", line); return line }
		/ATQA \(SENS_RES\)/ { atqa = hex($0) }
		/UID \(NFCID1\)/   { uid = hex($0) }
		/SAK \(SEL_RES\)/  { print atqa, uid, hex($0) }' <<<"$1"
}

wait_for_file_text() { # FILE TEXT SECONDS
	local deadline=$((SECONDS + $3))
	while ((SECONDS < deadline)); do
		grep -qF -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

start_emulator() {
	"$EMU" --link "$LINK" --control "$CTL" >"$WORK/emu.out" 2>"$WORK/emu.err" &
	EMU_PID=$!
	wait_for_file_text "$WORK/emu.out" READY 5
}

# ---------------------------------------------------------------- startup
if start_emulator; then
	pass "emulator prints READY"
else
	fail "emulator prints READY" "$(cat "$WORK/emu.err" 2>/dev/null)"
	echo "$PASSED passed, $FAILED failed"
	exit 1
fi
READY_PTS=$(awk '/^READY/ { print $2; exit }' "$WORK/emu.out")
check "symlink points at the announced pty" "$READY_PTS" "$(readlink "$LINK")"
check_contains "pty slave is in raw mode" "-icanon" "$(stty -F "$LINK" -a)"

# ---------------------------------------------------------------- control language
check "control: list with no badge" "ok" "$(ctl list)"
check_contains "control: unknown kind is an error" "error: unknown kind" "$(ctl add x nosuchkind)"
check_contains "control: 5-byte UID is an error" "error:" "$(ctl add x classic 0102030405)"
check_contains "control: unknown command is an error" "error: unknown command" "$(ctl frobnicate)"
check_contains "control: removing an absent badge is an error" "error:" "$(ctl remove ghost)"

# ---------------------------------------------------------------- raw frames
exec 3<>"$LINK"
stty -F "$LINK" min 1 time 0 # make our reads block until the chip answers
send() { printf "$1" >&3; }
recv() { timeout "${2:-1}" head -c "$1" <&3 | od -An -tx1 | tr -d ' \n' || true; }

ACK=0000ff00ff00
FW_RESPONSE=0000ff06fad50332010607e800
send '\x55\x55\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00'
send '\x00\x00\xff\x02\xfe\xd4\x02\x2a\x00'
check "frame: GetFirmwareVersion is ACKed and answered PN532 v1.6" "$ACK$FW_RESPONSE" "$(recv 19)"
send '\x00\x00\xff\xff\x00\x00'
check "frame: NACK makes the chip resend its last answer" "$FW_RESPONSE" "$(recv 13)"
send '\x00\x00\xff\xff\xff\x00\x02\xfe\xd4\x02\x2a\x00'
check "frame: extended frame is understood" "$ACK$FW_RESPONSE" "$(recv 19)"
send '\x00\x00\xff\x02\xfe\xd4\x02\x2b\x00'
check "frame: bad data checksum gets no answer" "" "$(recv 1 0.5)"
send '\x00\x00\xff\x02\xfd\xd4\x02\x2a\x00'
check "frame: bad length checksum gets no answer" "" "$(recv 1 0.5)"
send '\x00\x00\xff\x02\xfe\xd4\x70\xbc\x00'
check "frame: unknown command gets ACK then the error frame" "${ACK}0000ff01ff7f8100" "$(recv 14)"
send '\x00\x00\xff\x09\xf7\xd4\x00\x00\x6c\x69\x62\x6e\x66\x63\xbe\x00'
check "frame: Diagnose communication test echoes" "${ACK}0000ff09f7d501006c69626e6663bc00" "$(recv 22)"

# ---------------------------------------------------------------- timing model (on by default)
# Lower bounds only: a loaded machine may answer later, never earlier.
BYTE_NS=86806     # one UART byte at 115200 baud: 10 bits
ATTEMPT_NS=1016224 # one empty activation attempt (README "Timing model")
now_ns() { date +%s%N; }
# at_least DESCRIPTION MIN_NS ACTUAL_NS
at_least() {
	if (($3 >= $2)); then pass "$1"; else fail "$1" "expected at least $(($2 / 1000)) us, took $(($3 / 1000)) us"; fi
}

t0=$(now_ns)
send '\x00\x00\xff\x02\xfe\xd4\x02\x2a\x00'
out=$(recv 19)
t1=$(now_ns)
check "timing: GetFirmwareVersion still answered" "$ACK$FW_RESPONSE" "$out"
at_least "timing: GetFirmwareVersion takes at least its 28 UART bytes" $(((9 + 6 + 13) * BYTE_NS)) $((t1 - t0))

# RFConfiguration item 5: MxRtyPassiveActivation 0xC8, then InListPassiveTarget with no badge.
send '\x00\x00\xff\x06\xfa\xd4\x32\x05\xff\x01\xc8\x2d\x00'
check "timing: MxRtyPassiveActivation set to 200" "${ACK}0000ff02fed533f800" "$(recv 15)"
t0=$(now_ns)
send '\x00\x00\xff\x04\xfc\xd4\x4a\x01\x00\xe1\x00'
out=$(recv 16 3)
t1=$(now_ns)
check "timing: finite retries with no badge answer 0 targets" "${ACK}0000ff03fdd54b00e000" "$out"
at_least "timing: 200 retries take at least 201 empty attempts" $((201 * ATTEMPT_NS)) $((t1 - t0))

# A badge put down while the chip retries is found at its next attempt.
send '\x00\x00\xff\x06\xfa\xd4\x32\x05\xff\x01\xfe\xf7\x00'
check "timing: MxRtyPassiveActivation set to 254" "${ACK}0000ff02fed533f800" "$(recv 15)"
coproc CTLP { socat -t 5 - UNIX-CONNECT:"$CTL"; }
ctlp_pid=$CTLP_PID # bash unsets CTLP_PID once the relay has exited
send '\x00\x00\xff\x04\xfc\xd4\x4a\x01\x00\xe1\x00'
sleep 0.05
echo "add late classic 01020304" >&"${CTLP[1]}"
out=$(recv 25 3)
check "timing: a badge added during the retries is found" "${ACK}0000ff0cf4d54b01010004080401020304c400" "$out"
exec {CTLP[1]}>&-
wait "$ctlp_pid" 2>/dev/null || true
# Taken away for certain before the next listing: sent through the relay
# above, the remove could still be on its way when the listing came.
ctl_ok remove late
# A badge on and off again between two attempts was never seen (a tap too
# quick for the chip): the wait runs out with 0 targets. Both lines go in one
# send, so the emulator reads them together, not an attempt apart.
send '\x00\x00\xff\x04\xfc\xd4\x4a\x01\x00\xe1\x00'
sleep 0.05
python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"add quick classic 0a0b0c0d\nremove quick\n")
s.shutdown(socket.SHUT_WR)
while s.recv(256):
    pass' "$CTL"
out=$(recv 16 3)
check "timing: a badge gone before the chip's next attempt is not found" "${ACK}0000ff03fdd54b00e000" "$out"
stty -F "$LINK" min 0 time 0
exec 3>&-

stty -F "$LINK" sane
sleep 1.2
check_contains "emulator puts a cooked pty back into raw mode" "-icanon" "$(stty -F "$LINK" -a)"

# ---------------------------------------------------------------- nfc-list
out=$(nfc_list)
check_contains "nfc-list opens the emulated PN532" "opened" "$out"
check "nfc-list finds nothing on an empty reader" "" "$(targets_of "$out")"

ctl_ok add badge1 classic 01020304
out=$(nfc_list)
check_contains "nfc-list reports one target" "1 ISO14443A passive target(s) found" "$out"
check "nfc-list: classic 4-byte UID, ATQA 0004, SAK 08" "0004 01020304 08" "$(targets_of "$out")"

ctl_ok add badge2 ultralight 04A1B2C3D4E5F6
out=$(nfc_list)
check_contains "nfc-list reports two targets at once" "2 ISO14443A passive target(s) found" "$out"
check "nfc-list: both badges with their UIDs" $'0004 01020304 08\n0044 04a1b2c3d4e5f6 00' "$(targets_of "$out")"
ctl_ok remove all

ctl_ok add b7 classic7 04112233445566
check "nfc-list: 7-byte classic, ATQA 0044, SAK 08" "0044 04112233445566 08" "$(targets_of "$(nfc_list)")"
ctl_ok remove all

ctl_ok add b10 uid10 0102030405060708090A
check "nfc-list: 10-byte UID, ATQA 0084, SAK 08" "0084 0102030405060708090a 08" "$(targets_of "$(nfc_list)")"
ctl_ok remove all

ctl_ok add b10i uid10-iso4 A1A2A3A4A5A6A7A8A9AA
check "nfc-list: 10-byte ISO14443-4 UID, ATQA 0384, SAK 20" "0384 a1a2a3a4a5a6a7a8a9aa 20" "$(targets_of "$(nfc_list)")"
ctl_ok remove all

ctl_ok add ul ultralight 04010203040506
check "nfc-list: ultralight, ATQA 0044, SAK 00" "0044 04010203040506 00" "$(targets_of "$(nfc_list)")"
ctl_ok remove all

ctl_ok add card iso4 04DEADBEEF0102
out=$(nfc_list)
check "nfc-list: iso4, ATQA 0344, SAK 20" "0344 04deadbeef0102 20" "$(targets_of "$out")"
check_contains "nfc-list: iso4 badge shows its ATS" "ATS: 75  77  81  02  80" "$out"
ctl_ok remove all

ctl_ok add rnd classic
RANDOM_UID=$(ctl list | awk '$1 == "rnd" { sub(/uid=/, "", $3); print $3 }')
check "nfc-list: random UID matches the control listing" "0004 $RANDOM_UID 08" "$(targets_of "$(nfc_list)")"
ctl_ok remove all

# ---------------------------------------------------------------- nfc-poll
# nfc-poll finds the badge (InAutoPoll) then loops on nfc_initiator_target_is_present
# until the badge leaves: the chip must report the loss so libnfc says "Target Released".
poll_detects_removal() { # KIND UID EXPECTED_TARGET [add-late]
	local kind=$1 uid=$2 expected=$3 late=${4:-} log=$WORK/poll-$1.out out
	[[ -z $late ]] && ctl_ok add pollme "$kind" "$uid"
	timeout 40 nfc-poll >"$log" 2>&1 &
	POLL_PID=$!
	if [[ -n $late ]]; then
		sleep 1
		ctl_ok add pollme "$kind" "$uid"
	fi
	if wait_for_file_text "$log" "Waiting for card removing" 15; then
		pass "nfc-poll detects a $kind badge${late:+ placed while polling}"
	else
		fail "nfc-poll detects a $kind badge${late:+ placed while polling}" "$(cat "$log")"
	fi
	check "nfc-poll reports the $kind badge's UID/ATQA/SAK" "$expected" "$(targets_of "$(cat "$log")")"
	sleep 0.5
	ctl_ok remove pollme
	wait "$POLL_PID" || true
	POLL_PID=
	out=$(cat "$log")
	check_contains "nfc-poll notices the $kind badge's removal" "nfc_initiator_target_is_present: Target Released" "$out"
	check_contains "nfc-poll finishes after the $kind removal" "done." "$out"
}
poll_detects_removal classic 0A0B0C0D "0004 0a0b0c0d 08"
poll_detects_removal ultralight 04998877665544 "0044 04998877665544 00"
poll_detects_removal iso4 04123456789ABC "0344 04123456789abc 20"
poll_detects_removal uid10 11223344556677889900 "0084 11223344556677889900 08"
poll_detects_removal classic7 04CAFE00BEEF01 "0044 04cafe00beef01 08" late

# ---------------------------------------------------------------- faults
ctl_ok add badge classic 01020304
ctl_ok silent on
SECONDS_BEFORE=$SECONDS
out=$(nfc_list)
check_contains "silent chip: nfc-list fails to open the device" "Unable to open NFC device" "$out"
check "silent chip: no target reported" "" "$(targets_of "$out")"
if ((SECONDS - SECONDS_BEFORE < 10)); then pass "silent chip: nfc-list gives up promptly"; else fail "silent chip: nfc-list gives up promptly"; fi
ctl_ok silent off
check "after silent off: nfc-list works again" "0004 01020304 08" "$(targets_of "$(nfc_list)")"

ctl_ok garbage 1
out=$(nfc_list)
check_contains "garbage answer: nfc-list fails cleanly" "Unable to open NFC device" "$out"
check "after garbage: nfc-list works again" "0004 01020304 08" "$(targets_of "$(nfc_list)")"

ctl_ok badcsum 1
out=$(nfc_list)
check_contains "bad checksum answer: libnfc detects it" "Data checksum mismatch" "$out"
check "after bad checksum: nfc-list works again" "0004 01020304 08" "$(targets_of "$(nfc_list)")"

ctl_ok vanish
if [[ ! -e $LINK && ! -L $LINK ]]; then pass "vanish removes the device symlink"; else fail "vanish removes the device symlink"; fi
out=$(nfc_list)
check_contains "vanished device: nfc-list cannot open it" "Unable to open NFC device" "$out"
ctl_ok return
if [[ -c $(readlink -f "$LINK") ]]; then pass "return re-creates the device symlink"; else fail "return re-creates the device symlink"; fi
check "after return: nfc-list works again" "0004 01020304 08" "$(targets_of "$(nfc_list)")"

# ---------------------------------------------------------------- --no-timing (functional only)
NT_LINK=$WORK/pn532-nt
NT_CTL=$WORK/control-nt.sock
"$EMU" --no-timing --link "$NT_LINK" --control "$NT_CTL" >"$WORK/emu-nt.out" 2>"$WORK/emu-nt.err" &
NT_PID=$!
if wait_for_file_text "$WORK/emu-nt.out" READY 5; then
	printf 'add nt classic 0A0B0C0D\n' | socat -t 2 - UNIX-CONNECT:"$NT_CTL" >/dev/null
	out=$(LIBNFC_DEVICE="pn532_uart:$NT_LINK" nfc_list)
	check "--no-timing: nfc-list finds the badge" "0004 0a0b0c0d 08" "$(targets_of "$out")"
	printf 'remove all\n' | socat -t 2 - UNIX-CONNECT:"$NT_CTL" >/dev/null
	check "--no-timing: nfc-list finds nothing on an empty reader" "" "$(targets_of "$(LIBNFC_DEVICE="pn532_uart:$NT_LINK" nfc_list)")"
	printf 'quit\n' | socat -t 2 - UNIX-CONNECT:"$NT_CTL" >/dev/null
else
	fail "--no-timing: emulator prints READY" "$(cat "$WORK/emu-nt.err")"
fi
wait "$NT_PID" 2>/dev/null || true
check_contains "usage names --no-timing and --baud" "[--no-timing] [--baud N]" "$("$EMU" --help)"
if "$EMU" --baud fast --link "$WORK/x" --control "$WORK/y" 2>/dev/null; then
	fail "--baud rejects a speed that is not a number"
else
	pass "--baud rejects a speed that is not a number"
fi

if kill -0 "$EMU_PID" 2>/dev/null; then pass "emulator still running"; else fail "emulator still running"; fi
check "control: quit" "ok" "$(ctl quit)"
if wait "$EMU_PID"; then pass "emulator exits cleanly on quit"; else fail "emulator exits cleanly on quit"; fi
EMU_PID=
if [[ ! -e $LINK && ! -e $CTL ]]; then pass "quit removes symlink and control socket"; else fail "quit removes symlink and control socket"; fi

echo "$PASSED passed, $FAILED failed"
((FAILED == 0))
