#!/bin/sh
# Runs inside the check-hw VM (busybox sh, as root). Prints one line per
# check, "ok - ..." or "not ok - ...", and "# ..." for details; run.sh counts
# them off the serial console.
#
# A gpio-sim chip stands in for a Pi's header: 28 lines named GPIO0..GPIO27,
# so a line's name and offset agree as they do on a Pi. Output values are
# read back from gpio-sim's sysfs files, which show the wire (physical) level.

PASS=0
FAIL=0
ok() { echo "ok - $*"; PASS=$((PASS + 1)); }
notok() { echo "not ok - $*"; FAIL=$((FAIL + 1)); }
note() { echo "# $*"; }
# check DESCRIPTION COMMAND...: the command's output is shown when it fails.
check() {
	_d=$1
	shift
	if _o=$("$@" 2>&1); then ok "$_d"; else notok "$_d"; printf '%s\n' "$_o" | sed 's/^/#   /'; fi
}

have_daemon=
[ -x /usr/bin/tapmeetd ] && have_daemon=1
have_hwcheck=
[ -x /usr/bin/hwcheck ] && have_hwcheck=1

# ---- gpio-sim ----
insmod /lib/modules/configfs.ko 2>/dev/null
if ! insmod /lib/modules/gpio-sim.ko; then
	notok "load gpio-sim.ko"
	exit 1
fi
ok "load gpio-sim.ko"
mount -t configfs configfs /sys/kernel/config
CFS=/sys/kernel/config/gpio-sim/tm
mkdir -p "$CFS/bank0"
echo 28 >"$CFS/bank0/num_lines"
i=0
while [ $i -lt 28 ]; do
	mkdir "$CFS/bank0/line$i"
	echo "GPIO$i" >"$CFS/bank0/line$i/name"
	i=$((i + 1))
done
echo 1 >"$CFS/live"
DEV=$(cat "$CFS/dev_name")
CHIP=$(cat "$CFS/bank0/chip_name")
LABEL=$DEV-node0
SIM=/sys/devices/platform/$DEV/$CHIP
if [ -c "/dev/$CHIP" ] && gpiodetect | grep -q "$LABEL"; then
	ok "gpio-sim chip $CHIP [$LABEL] is live"
else
	notok "gpio-sim chip is live"
	gpiodetect | sed 's/^/#   /'
	exit 1
fi

val() { cat "$SIM/sim_gpio$1/value"; }
# vals 17 27 22 -> "101": wire levels of those offsets
vals() {
	_s=
	for _o in "$@"; do _s=$_s$(val "$_o"); done
	echo "$_s"
}
expect_vals() { # expect_vals WANT OFFSET...
	_w=$1
	shift
	_g=$(vals "$@")
	[ "$_g" = "$_w" ] || { echo "lines $* are $_g, want $_w"; return 1; }
}
# libgpiod's tools changed their command line in 2.x; these hide it.
if gpiodetect --version 2>&1 | grep -q ' v1\.'; then GV=1; else GV=2; fi
# g_hold OFFSET=VALUE &: holds the line until killed ($! is gpioset itself)
g_hold() {
	if [ $GV = 1 ]; then exec gpioset --mode=signal "$CHIP" "$@"; else exec gpioset -c "$CHIP" "$@"; fi
}
g_get() { if [ $GV = 1 ]; then gpioget "$CHIP" "$1"; else gpioget --numeric -c "$CHIP" "$1"; fi; }
g_info() { if [ $GV = 1 ]; then gpioinfo "$CHIP"; else gpioinfo -c "$CHIP"; fi; }
# held_by OFFSET WORD...: gpioinfo's line for OFFSET has every WORD
held_by() {
	_l=$(g_info | grep "line *$1:")
	shift
	for _w in "$@"; do
		echo "$_l" | grep -q "$_w" || { echo "gpioinfo: $_l"; return 1; }
	done
}
# count_held CONSUMER N: exactly N lines are held by CONSUMER
count_held() {
	_c=$(g_info | grep -c "\"$1\"")
	[ "$_c" = "$2" ] || { echo "$_c lines held by $1, want $2"; g_info; return 1; }
}
get_is() { _v=$(g_get "$1"); [ "$_v" = "$2" ] || { echo "gpioget $1: $_v, want $2"; return 1; }; }
wait_for() { # wait_for TENTHS COMMAND...: poll until the command succeeds
	_n=$1
	shift
	while [ "$_n" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		_n=$((_n - 1))
	done
	"$@"
}

# ---- plumbing: libgpiod's own tools against gpio-sim ----
g_hold 17=1 &
gs=$!
check "gpioset drives GPIO17 high (sysfs reads 1)" wait_for 30 expect_vals 1 17
check "gpioinfo shows GPIO17 held by gpioset as output" held_by 17 '"GPIO17"' gpioset output
kill $gs
wait $gs 2>/dev/null
check "released GPIO17 falls back to its pull (0)" wait_for 30 expect_vals 0 17
echo pull-up >"$SIM/sim_gpio4/pull"
check "gpioget reads a pulled-up input as 1" get_is 4 1
echo pull-down >"$SIM/sim_gpio4/pull"
check "gpioget reads a pulled-down input as 0" get_is 4 0

# ---- the driver, through ledctl (drivers/leds_gpiod.c and a tiny main) ----
G=17 A=27 R=22 B=23
SEP="-c $LABEL -l 0=GPIO17 -l 1=GPIO27 -l 2=GPIO22 -l 3=GPIO23"

# ledctl_run ARGS: starts ledctl reading masks from a FIFO; ledset MASK sends one
ledctl_start() {
	rm -f /tmp/ledctl.in /tmp/ledctl.out
	mkfifo /tmp/ledctl.in
	# shellcheck disable=SC2086
	ledctl "$@" run </tmp/ledctl.in >/tmp/ledctl.out 2>&1 &
	lc=$!
	exec 3>/tmp/ledctl.in
	wait_for 50 grep -q '^open' /tmp/ledctl.out
}
ledset() {
	_n=$(grep -c '^set' /tmp/ledctl.out)
	echo "$1" >&3
	wait_for 50 sh -c "[ \$(grep -c '^set' /tmp/ledctl.out) -gt $_n ]"
	tail -n1 /tmp/ledctl.out | grep -q 'ret=0$'
}
ledctl_stop() {
	exec 3>&-
	wait $lc
}

# shellcheck disable=SC2086
ledctl_start $SEP
if grep -q '^open ok' /tmp/ledctl.out; then ok "driver opens chip by label, separate wiring"; else
	notok "driver opens chip by label, separate wiring"; sed 's/^/#   /' /tmp/ledctl.out; fi
check "all lines off after open" expect_vals 0000 $G $A $R $B
check "consumer is tapmeetd" count_held tapmeetd 4
ledset 1 && check "green (mask 1) lights GPIO17 only" expect_vals 1000 $G $A $R $B
ledset 2 && check "amber (mask 2) lights GPIO27 only" expect_vals 0100 $G $A $R $B
ledset 4 && check "red (mask 4) lights GPIO22 only" expect_vals 0010 $G $A $R $B
ledset 8 && check "buzzer (mask 8) drives GPIO23 only" expect_vals 0001 $G $A $R $B
ledset 15 && check "all lights on" expect_vals 1111 $G $A $R $B
ledset 15 && check "setting the same mask again changes nothing" expect_vals 1111 $G $A $R $B
ledctl_stop
check "close leaves all lines low" expect_vals 0000 $G $A $R $B
check "close releases the lines" count_held tapmeetd 0

# Active-low: pull-ups on those lines so that released lines read as off too
# (on a board a pulled-up or floating line keeps an LED wired to 3V3 dark).
for o in 5 6 13 19; do echo pull-up >"$SIM/sim_gpio$o/pull"; done
ledctl_start -c "$CHIP" -l 0=5:low -l 1=6:low -l 2=13 -l 3=19:low
grep -q '^open ok' /tmp/ledctl.out || sed 's/^/#   /' /tmp/ledctl.out
check "active-low lines idle high (off) after open, by chip name and offsets" expect_vals 1101 5 6 13 19
ledset 1 && check "active-low green on drives its line low" expect_vals 0101 5 6 13 19
ledset 5 && check "active-low green + active-high red" expect_vals 0111 5 6 13 19
ledset 8 && check "active-low buzzer on drives its line low" expect_vals 1100 5 6 13 19
ledctl_stop
check "close leaves active-low lines high (off)" expect_vals 1111 5 6 13 19
for o in 5 6 13 19; do echo pull-down >"$SIM/sim_gpio$o/pull"; done

ledctl_start -c "/dev/$CHIP" -w rgb -l 0=GPIO9 -l 1=GPIO10 -l 2=GPIO11
grep -q '^open ok' /tmp/ledctl.out || sed 's/^/#   /' /tmp/ledctl.out
ledset 2 && check "rgb wiring, chip by path: amber = red + green" expect_vals 110 9 10 11
ledset 1 && check "rgb wiring: green alone" expect_vals 010 9 10 11
ledset 4 && check "rgb wiring: red alone" expect_vals 100 9 10 11
ledctl_stop

# Errors: the message must say what was wanted and what is there.
o=$(ledctl -c nosuchchip -l 0=GPIO17 open)
check "missing chip: -ENODEV naming the chip and listing chips" sh -c \
	"echo '$o' | grep -q 'error=-19' && echo '$o' | grep -q nosuchchip && echo '$o' | grep -q '$LABEL'"
note "$o"
o=$(ledctl -c "$LABEL" -l 0=GPIO17 -l 2=GPIO99 open)
check "missing line: -ENOENT naming the line" sh -c \
	"echo '$o' | grep -q 'error=-2 ' && echo '$o' | grep -q GPIO99"
note "$o"
o=$(ledctl -c "$LABEL" -l 0=40 open)
check "offset out of range: -ENOENT" sh -c "echo '$o' | grep -q 'error=-2 '"
note "$o"
g_hold 22=0 &
gs=$!
wait_for 30 held_by 22 gpioset
o=$(ledctl $SEP open)
check "busy line: -EBUSY naming the line and its holder" sh -c \
	"echo '$o' | grep -q 'error=-16' && echo '$o' | grep -q GPIO22 && echo '$o' | grep -q gpioset"
note "$o"
check "failed open leaves the other lines free" count_held tapmeetd 0
kill $gs
wait $gs 2>/dev/null
# /dev/gpiochipN is root's alone (0600), as on a board without a gpio group rule.
o=$(su -s /bin/sh nobody -c "ledctl -c $LABEL -l 0=GPIO17 open" 2>&1)
check "no permission, chip by label: -EACCES saying so" sh -c \
	"echo \"\$1\" | grep -q 'error=-13' && echo \"\$1\" | grep -q 'permission denied'" _ "$o"
note "$o"
o=$(su -s /bin/sh nobody -c "ledctl -c $CHIP -l 0=GPIO17 open" 2>&1)
check "no permission, chip by name: -EACCES naming the device" sh -c \
	"echo \"\$1\" | grep -q 'error=-13' && echo \"\$1\" | grep -q '/dev/$CHIP'" _ "$o"
note "$o"

# ---- the real daemon: tapmeetd with [leds] driver = gpiod, [reader] driver = sim ----
if [ -z "$have_daemon" ]; then
	note "tapmeetd not in the image (TAPMEET_HW_NO_DAEMON): daemon checks skipped"
elif [ -z "$have_hwcheck" ]; then
	notok "hwcheck missing from the image (core/pattern.c or tests/hw/hwcheck.c absent)"
else
	FIFO=/tmp/tapmeet-sim.fifo
	# conf FILE CHIP REQUIRED LINES...: LINES are "key = value" lines for [leds]
	conf() {
		_f=$1 _chip=$2 _req=$3
		shift 3
		{
			printf '[station]\nid = hw-test\n[reader]\ndriver = sim\nsim_path = %s\n' "$FIFO"
			printf '[store]\npath = /tmp/tapmeet.db\n'
			# The sim's taps: one after the other, counted at once.
			printf '[pairing]\nwindow = 8s\nrepeat_guard = 60s\nsequential = true\n'
			printf 'after_meeting = 0\nmin_dwell = 0\n'
			printf '[leds]\ndriver = gpiod\nrequired = %s\nchip = %s\nwiring = separate\n' \
				"$_req" "$_chip"
			for _l in "$@"; do echo "$_l"; done
		} >"$_f"
	}
	conf /tmp/d.conf "$LABEL" true "green = GPIO17" "amber = GPIO27" "red = GPIO22" \
		"buzzer = GPIO23"
	FILES="$SIM/sim_gpio17/value $SIM/sim_gpio27/value $SIM/sim_gpio22/value $SIM/sim_gpio23/value"
	# hwcheck_ok DESCRIPTION HWCHECK-ARGS...
	hwcheck_ok() {
		_d=$1
		shift
		# shellcheck disable=SC2086
		if hwcheck "$@" >/tmp/hc.out 2>&1; then ok "$_d"; else notok "$_d"; fi
		cat /tmp/hc.out
	}
	tap() { echo "$*" >"$FIFO"; }
	B1=04A1B2C3D4E5F6 B2=04A1B2C3D4E5F7 B3=04A1B2C3D4E5F8 B4=04A1B2C3D4E5F9

	# Start-up: the sampler first, the daemon 500 ms into it.
	rm -f /tmp/tapmeet.db "$FIFO"
	# shellcheck disable=SC2086
	hwcheck -a 500 -l 4000 -t 7000 -e selftest,ready $FILES >/tmp/hc.out 2>&1 &
	hc=$!
	sleep 0.5
	tapmeetd --config /tmp/d.conf 2>/tmp/d.log &
	dpid=$!
	if wait $hc; then ok "daemon start-up: selftest, then ready (GPIO17 blip every 3 s)"; else
		notok "daemon start-up: selftest, then ready"; fi
	cat /tmp/hc.out
	check "daemon logged event=started with leds=gpiod" grep -q 'event=started.*leds=gpiod' /tmp/d.log
	check "daemon holds GPIO17 as an output" held_by 17 tapmeetd output
	check "daemon holds GPIO27, GPIO22, GPIO23 too" count_held tapmeetd 4
	wait_for 50 test -p "$FIFO"

	hwcheck_ok "one tap: waiting (GPIO27 blinks 500/500 ms)" \
		-a 100 -l 1500 -t 3000 -r "echo tap $B1 >$FIFO" -e waiting $FILES
	hwcheck_ok "partner's tap: saved (GPIO17 steady, buzzer 150 ms), then ready" \
		-a 100 -l 1500 -t 3600 -r "echo tap $B2 >$FIFO" -e saved,ready $FILES
	check "the meeting was logged" wait_for 30 grep -q 'meeting id=' /tmp/d.log
	check "the meeting is in the database" sh -c \
		"[ \"\$(sqlite3 /tmp/tapmeet.db 'select count(*) from meetings')\" = 1 ]"
	hwcheck_ok "same pair again within repeat_guard: already-met, then ready" \
		-a 100 -l 1500 -t 3600 -r "echo pair $B1 $B2 >$FIFO" -e already-met,ready $FILES
	hwcheck_ok "lone tap: waiting 6 s, hurry 2 s, timed-out, then ready" \
		-a 100 -l 1500 -t 10500 -r "echo tap $B3 >$FIFO" \
		-e waiting@6000,waiting-hurry@2000,timed-out,ready $FILES

	# SIGTERM while a light is on: everything off and released afterwards.
	tap pair $B3 $B4
	wait_for 30 expect_vals 1 17
	check "green is lit while saved plays" expect_vals 1 17
	kill -TERM $dpid
	wait $dpid
	rc=$?
	check "SIGTERM: daemon exits 0" test $rc = 0
	check "SIGTERM: all lines low" expect_vals 0000 17 27 22 23
	check "SIGTERM: all lines released" count_held tapmeetd 0
	check "SIGTERM: daemon logged event=stopped" grep -q 'event=stopped' /tmp/d.log

	# Active-low LEDs (wired to 3V3): lit = low on the wire. Pull-ups stand in
	# for the resistor to 3V3 that keeps a released line's LED dark.
	for o in 5 6 19; do echo pull-up >"$SIM/sim_gpio$o/pull"; done
	conf /tmp/al.conf "$CHIP" true "green = GPIO5" "amber = GPIO6" "red = 13" \
		"buzzer = GPIO19" "green_active_low = true" "amber_active_low = true" \
		"buzzer_active_low = true"
	rm -f /tmp/tapmeet.db "$FIFO"
	ALFILES="$SIM/sim_gpio5/value $SIM/sim_gpio6/value $SIM/sim_gpio13/value $SIM/sim_gpio19/value"
	# shellcheck disable=SC2086
	hwcheck -i 0xb -a 500 -l 4000 -t 5000 -e selftest,ready $ALFILES >/tmp/hc.out 2>&1 &
	hc=$!
	sleep 0.5
	tapmeetd --config /tmp/al.conf 2>/tmp/al.log &
	dpid=$!
	if wait $hc; then ok "active-low: selftest then ready, inverted on the wire"; else
		notok "active-low: selftest then ready, inverted on the wire"; fi
	cat /tmp/hc.out
	wait_for 50 test -p "$FIFO"
	hwcheck_ok "active-low: one tap shows waiting (GPIO6 pulses low)" \
		-i 0xb -a 100 -l 1500 -t 2500 -r "echo tap $B1 >$FIFO" -e waiting $ALFILES
	check "active-low: idle amber line is high between pulses" sh -c \
		"i=0; while [ \$i -lt 40 ]; do [ \$(cat $SIM/sim_gpio6/value) = 1 ] && exit 0; sleep 0.05; i=\$((i+1)); done; exit 1"
	kill -TERM $dpid
	wait $dpid
	check "active-low: after SIGTERM the lines are released" count_held tapmeetd 0
	check "active-low: after SIGTERM all four lines are off" expect_vals 1101 5 6 13 19
	for o in 5 6 19; do echo pull-down >"$SIM/sim_gpio$o/pull"; done

	# A missing chip: a warning when LEDs are optional, a start-up error when required.
	conf /tmp/opt.conf nosuchchip false "green = GPIO17" "amber = GPIO27" "red = GPIO22"
	rm -f "$FIFO"
	tapmeetd --config /tmp/opt.conf 2>/tmp/opt.log &
	dpid=$!
	wait_for 50 test -p "$FIFO"
	sleep 1
	check "required = false, missing chip: daemon runs on" kill -0 $dpid
	check "required = false, missing chip: warning names the chip" \
		grep -q "warning=.*GPIO chip 'nosuchchip' not found.*running without LEDs" /tmp/opt.log
	grep 'nosuchchip' /tmp/opt.log | head -n 2 | sed 's/^/#   /'
	tap tap $B1
	tap tap $B2
	check "required = false: a pair is still stored" wait_for 30 grep -q 'meeting id=' /tmp/opt.log
	kill -TERM $dpid
	wait $dpid

	conf /tmp/req.conf nosuchchip true "green = GPIO17" "amber = GPIO27" "red = GPIO22"
	timeout 30 tapmeetd --config /tmp/req.conf 2>/tmp/req.log
	rc=$?
	check "required = true, missing chip: exits non-zero (rc=$rc)" sh -c "[ $rc -ne 0 ] && [ $rc -ne 124 ] && [ $rc -ne 143 ]"
	check "required = true, missing chip: clear error naming the chip" \
		grep -q "GPIO chip 'nosuchchip' not found" /tmp/req.log
	grep 'nosuchchip' /tmp/req.log | head -n 2 | sed 's/^/#   /'

	# A line held by someone else.
	g_hold 22=0 &
	gs=$!
	wait_for 30 held_by 22 gpioset
	timeout 30 tapmeetd --config /tmp/d.conf 2>/tmp/busy.log
	rc=$?
	check "line busy: exits non-zero (rc=$rc)" sh -c "[ $rc -ne 0 ] && [ $rc -ne 124 ] && [ $rc -ne 143 ]"
	check "line busy: error names GPIO22 and its holder gpioset" \
		grep -q 'GPIO22.*busy.*gpioset' /tmp/busy.log
	grep 'busy' /tmp/busy.log | head -n 2 | sed 's/^/#   /'
	check "line busy: the daemon left no line requested" count_held tapmeetd 0
	kill $gs
	wait $gs 2>/dev/null
fi

echo "# guest: $PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
