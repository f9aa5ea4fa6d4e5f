# Shared helpers for integration tests: counting, waiting, a daemon per test.
# Sourced by tests/integration/test_*.sh; BUILD names the build directory.

BUILD=${BUILD:-build}
BUILD=$(cd "$BUILD" && pwd)
TAPMEETD="$BUILD/tapmeetd"
TAPMEET="$BUILD/tapmeet"
n_passed=0
n_failed=0
TMP=$(mktemp -d /tmp/tapmeet-it.XXXXXX)
PIDS=()

cleanup() {
	if [ "$n_failed" -gt 0 ] && [ -s "$TMP/daemon.err" ]; then
		echo "# the daemon's last log lines:"
		tail -40 "$TMP/daemon.err" | sed 's/^/#   /'
	fi
	for pid in "${PIDS[@]}"; do
		kill -9 "$pid" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

ok() { echo "ok - $*"; n_passed=$((n_passed + 1)); }
not_ok() { echo "not ok - $*"; n_failed=$((n_failed + 1)); }
check() { # check DESCRIPTION COMMAND...: the status is the command's
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; return 1; fi
}
finish() {
	echo "$n_passed passed, $n_failed failed"
	[ "$n_failed" -eq 0 ]
}

# wait_for SECONDS COMMAND...: polls every 50 ms, quietly; the last try
# speaks, so a failure shows what was seen.
wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			"$@"
			return
		fi
		sleep 0.05
	done
}

sql() { sqlite3 -cmd '.timeout 5000' "$DB" "$@"; }
sql_is() { # sql_is EXPECTED QUERY
	local got
	got=$(sql "$2")
	[ "$got" = "$1" ] || { echo "# expected '$1', got '$got' for: $2"; return 1; }
}
log_has() { grep -q -- "$1" "$TMP/daemon.err"; }

# write_config [extra INI text]: a sim station in $TMP. Its [pairing] runs
# the sequential rules (a badge, then its partner's: the sim's `tap`), which
# reach every state of the engine through the daemon; the shipped defaults
# (badges held together) are driven end to end by test_crowd_daemon.sh and
# test_sim_station.sh's last part.
write_config() {
	DB="$TMP/t.db"
	FIFO="$TMP/sim.fifo"
	CONF="$TMP/t.conf"
	cat >"$CONF" <<CONF
[station]
id = it-1
[reader]
driver = sim
sim_path = $FIFO
[store]
path = $DB
busy_timeout = 200ms
retry_interval = 200ms
[pairing]
window = ${WINDOW:-3s}
repeat_guard = 60s
rearm = 300ms
confirm = 500ms
sequential = true
after_meeting = 0
min_dwell = 0
[leds]
driver = sim
color = false
$*
CONF
}

# start_daemon [wrapper...]: runs tapmeetd (optionally under a wrapper such as valgrind).
# Waits for this start's "state=ok", not one an earlier daemon logged.
start_daemon() {
	local from
	touch "$TMP/daemon.err"
	from=$(($(wc -l <"$TMP/daemon.err") + 1))
	"$@" "$TAPMEETD" --config "$CONF" >>"$TMP/leds.out" 2>>"$TMP/daemon.err" &
	DAEMON_PID=$!
	PIDS+=("$DAEMON_PID")
	wait_for 20 bash -c "tail -n +$from '$TMP/daemon.err' | grep -q state=ok" ||
		{ echo "# daemon did not start:"; tail -5 "$TMP/daemon.err"; return 1; }
}

stop_daemon() { # stop_daemon [SIGNAL]: returns the daemon's exit status
	kill "-${1:-TERM}" "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID"
}

# A FIFO nobody reads would block the writer forever: give up after 10 s.
send() { timeout 10 bash -c 'printf "%s\n" "$1" >"$2"' _ "$*" "$FIFO" || echo "# nobody read: $*"; }

# start_emulator: a PN532 emulator (tests/pn532emu) in $TMP, for a station
# with [reader] driver = libnfc. EMU_LINK is the symlink to its pty, EMU_CTL
# its control socket. PN532EMU=PATH runs another emulator binary.
start_emulator() {
	EMU_LINK="$TMP/pn532"
	EMU_CTL="$TMP/emu.ctl"
	"${PN532EMU:-$BUILD/tests/pn532emu}" --link "$EMU_LINK" --control "$EMU_CTL" \
		>>"$TMP/emu.out" 2>>"$TMP/emu.err" &
	EMU_PID=$!
	PIDS+=("$EMU_PID")
	# The daemon names its device; libnfc must not go probing serial ports.
	export LIBNFC_AUTO_SCAN=false
	wait_for 10 test -S "$EMU_CTL" && wait_for 10 test -e "$EMU_LINK"
}

# write_libnfc_config [extra INI text]: a station in $TMP reading the
# emulator through libnfc, with every [store] and [pairing] key at its
# default, so that the extra text may add either section whole.
write_libnfc_config() {
	DB="$TMP/t.db"
	CONF="$TMP/t.conf"
	cat >"$CONF" <<CONF
[station]
id = it-1
[reader]
driver = libnfc
device = pn532_uart:$EMU_LINK
[store]
path = $DB
[leds]
driver = sim
color = false
$*
CONF
}

# dump_meetings DB: one line per meeting in the order stored, its badges
# sorted: "meeting UID UID..." or, for one the station marked suspect,
# "suspect UID UID...". A database from before the suspect column has only
# "meeting" lines.
dump_meetings() {
	local suspect="''"
	if [ "$(sqlite3 -cmd '.timeout 5000' "$1" \
		"SELECT count(*) FROM pragma_table_info('meetings') WHERE name = 'suspect';")" = 1 ]; then
		suspect="coalesce(m.suspect, '')"
	fi
	sqlite3 -cmd '.timeout 5000' -separator ' ' "$1" "
		SELECT m.id, CASE WHEN $suspect <> '' THEN 'suspect' ELSE 'meeting' END, b.uid
		FROM meetings m JOIN meeting_badges b ON b.meeting_id = m.id
		ORDER BY m.utc_ms, m.station, m.seq, b.uid;" |
		awk '$1 != id { if (line != "") print line; id = $1; line = $2 }
		     { line = line " " $3 }
		     END { if (line != "") print line }'
}
