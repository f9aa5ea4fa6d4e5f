#!/bin/bash
# valgrind's memcheck over the daemon: taps, a reload and a clean stop, with
# the sim reader and (when the emulator is built) the libnfc reader. No leaks,
# no invalid accesses. Skipped under the sanitizers, which replace valgrind.
set -u
. "$(dirname "$0")/lib.sh"

if [ -n "${SANITIZE:-}" ]; then
	echo "# skipped: this build uses ASan/UBSan"
	finish
	exit
fi
VALGRIND=(valgrind --quiet --error-exitcode=99 --leak-check=full
	--show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect
	--log-file="$TMP/valgrind.%p")

memcheck_clean() {
	local rc=$1
	if [ "$rc" -ne 0 ]; then
		echo "# exit status $rc"
		cat "$TMP"/valgrind.* 2>/dev/null | head -40
		return 1
	fi
}

# --- sim reader -----------------------------------------------------------
write_config
start_daemon "${VALGRIND[@]}" || { not_ok "daemon starts under valgrind"; finish; exit 1; }
send tap 04A1B2C3
sleep 0.5
send tap 04D5E6F7
wait_for 20 log_has "badges=04A1B2C3,04D5E6F7"
send pair 04000001 04000002
send tap 08123456
send tap 04A10E00
wait_for 20 log_has "badges=04000001,04000002"
kill -HUP "$DAEMON_PID"
wait_for 20 log_has "event=reloaded"
stop_daemon TERM
check "sim station under valgrind: no leaks, no errors, exit 0" memcheck_clean $?
check "the taps were really processed" sql_is 2 "SELECT count(*) FROM meetings"

# --- libnfc reader against the emulator -----------------------------------
EMU="$BUILD/tests/pn532emu"
if [ -x "$EMU" ] && grep -q 'libnfc' <("$TAPMEETD" --help 2>&1; strings "$TAPMEETD"); then
	rm -f "$TMP"/valgrind.* "$TMP/daemon.err" "$TMP"/t.db*
	"$EMU" --link "$TMP/pn532" --control "$TMP/ctl" >"$TMP/emu.out" 2>&1 &
	PIDS+=($!)
	wait_for 10 test -S "$TMP/ctl"
	write_config
	sed -i "0,/^driver = sim$/s||driver = libnfc\ndevice = pn532_uart:$TMP/pn532|" "$CONF"
	export LIBNFC_AUTO_SCAN=false
	start_daemon "${VALGRIND[@]}" || { not_ok "libnfc daemon starts under valgrind"; finish; exit 1; }
	ctl() { printf '%s\n' "$*" | socat - "UNIX-CONNECT:$TMP/ctl" >/dev/null; }
	ctl add a classic 04A1B2C3
	wait_for 20 sql_is 1 "SELECT count(*) FROM taps WHERE uid = '04A1B2C3'"
	ctl remove a
	ctl add b ultralight 04D5E6F7A1B2C3
	wait_for 20 log_has "badges=04A1B2C3,04D5E6F7A1B2C3"
	ctl remove b
	ctl silent on
	wait_for 20 log_has "state=fault"
	ctl silent off
	wait_for 30 log_has "reader=libnfc state=ok"
	stop_daemon TERM
	check "libnfc station under valgrind: no leaks, no errors, exit 0" memcheck_clean $?
	check "the libnfc taps were really processed" sql_is 04A1B2C3,04D5E6F7A1B2C3 "SELECT group_concat(uid) FROM (SELECT uid FROM meeting_badges ORDER BY uid)"
fi

finish
