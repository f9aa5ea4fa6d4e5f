#!/bin/bash
# make bench: figures, never pass/fail. Each section says what it measures
# and how. BENCH_ONLY=taps,rss,libnfc,speed,cli,slowstore,crowd,import,followup,report
# picks sections.
set -euo pipefail
BUILD=$(cd "${BUILD:-build}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
SHARED=$(cd "$HERE/../.." && pwd)/shared/data/sociopatterns-sfhh/tij_SFHH.dat
ONLY=${BENCH_ONLY:-taps,rss,libnfc,speed,cli,slowstore,crowd,import,followup,report}
TMP=$(mktemp -d)
trap 'jobs -p | xargs -r kill 2>/dev/null; rm -rf "$TMP"' EXIT
want() { [[ ",$ONLY," == *",$1,"* ]]; }

if want taps; then
	echo "== instructions per tap: engine + store, fsync excluded (callgrind) =="
	if [ -f "$SHARED" ]; then
		src=("$SHARED")
		echo "badge pairs from the SFHH conference contact log ($SHARED)"
	else
		src=()
		echo "../shared/data/sociopatterns-sfhh is absent: generated badge pairs instead"
	fi
	ir() { # ir PAIRS: total instructions of one tapbench run
		rm -f "$TMP"/tb.db*
		valgrind --tool=callgrind --callgrind-out-file="$TMP/cg.$1" \
			"$BUILD/bench/tapbench" "$TMP/tb.db" "$1" "${src[@]}" >/dev/null 2>"$TMP/cg.err"
		sed -n 's/^summary: \([0-9]*\).*/\1/p' "$TMP/cg.$1"
	}
	small=$(ir 500)
	large=$(ir 2500)
	per_tap=$(((large - small) / 4000))
	printf '  %-44s %12s\n' "run with 500 pairs (1000 taps)" "$small Ir"
	printf '  %-44s %12s\n' "run with 2500 pairs (5000 taps)" "$large Ir"
	printf '  %-44s %12s\n' "per tap = difference / 4000 taps" "$per_tap Ir"
	# The engine alone: what the pure core costs of that.
	engine=$(callgrind_annotate --inclusive=yes "$TMP/cg.2500" 2>/dev/null |
		awk '/tm_engine_(present|removed|tick) /{gsub(",","",$1); s+=$1} END{print s+0}')
	engine_small=$(callgrind_annotate --inclusive=yes "$TMP/cg.500" 2>/dev/null |
		awk '/tm_engine_(present|removed|tick) /{gsub(",","",$1); s+=$1} END{print s+0}')
	printf '  %-44s %12s\n' "of which the pairing engine, per tap" "$(((engine - engine_small) / 4000)) Ir"
	echo "  (synchronous=OFF for this run only; the daemon uses FULL.)"
	echo
fi

if want rss; then
	echo "== tapmeetd resident memory while idle =="
	mkdir -p "$TMP/rss"
	cat >"$TMP/rss/t.conf" <<CONF
[station]
id = bench
[reader]
driver = sim
sim_path = $TMP/rss/sim.fifo
[store]
path = $TMP/rss/t.db
[pairing]
min_dwell = 0
[leds]
driver = sim
color = false
CONF
	"$BUILD/tapmeetd" --config "$TMP/rss/t.conf" >/dev/null 2>&1 &
	pid=$!
	sleep 1
	for i in $(seq 1 20); do printf 'pair 04%06X 05%06X\n' "$i" "$i"; done >"$TMP/rss/sim.fifo"
	sleep 3
	rss=$(awk '/^VmRSS/{print $2}' /proc/$pid/status)
	hwm=$(awk '/^VmHWM/{print $2}' /proc/$pid/status)
	printf '  %-44s %8s kB (peak %s kB)\n' "sim reader + sim LEDs, after 20 meetings" "$rss" "$hwm"
	kill -TERM $pid
	wait $pid || true
	if [ -x "$BUILD/tests/pn532emu" ]; then
		"$BUILD/tests/pn532emu" --link "$TMP/rss/pn532" --control "$TMP/rss/ctl" >/dev/null 2>&1 &
		emu=$!
		sleep 0.5
		sed -i "0,/^driver = sim$/s||driver = libnfc\ndevice = pn532_uart:$TMP/rss/pn532|" "$TMP/rss/t.conf"
		LIBNFC_AUTO_SCAN=false "$BUILD/tapmeetd" --config "$TMP/rss/t.conf" >/dev/null 2>&1 &
		pid=$!
		sleep 5
		rss=$(awk '/^VmRSS/{print $2}' /proc/$pid/status)
		printf '  %-44s %8s kB\n' "libnfc reader polling the emulated PN532" "$rss"
		kill -TERM $pid $emu
		wait $pid $emu || true
	fi
	echo
fi

if want libnfc && [ -x "$BUILD/tests/pn532emu" ]; then
	echo "== libnfc reader against the emulated PN532 =="
	bash "$HERE/libnfc.sh" "$BUILD"
	echo
fi

if want speed && [ -x "$BUILD/tests/pn532emu" ] && [ -x "$BUILD/bench/naive_station" ]; then
	echo "== tapmeetd against a naive station, side by side: tap to commit, shortest hold seen, idle CPU, memory =="
	bash "$HERE/speed.sh" "$BUILD"
	echo
fi

if want slowstore; then
	echo "== the event loop's delay while the database is locked or slow (LED steps, watchdog) =="
	bash "$HERE/slow_store.sh" "$BUILD"
	echo
fi

if want crowd && [ -x "$BUILD/bench/crowd" ]; then
	echo "== pairing rules against a simulated crowd: how many intended meetings each rule set records, and how many false ones (bench/crowd, docs/crowd.md) =="
	data=()
	[ -f "$SHARED" ] && data=(--data "$SHARED")
	"$BUILD/bench/crowd" --rules all --pace all --meetings 10000 --seed 1 "${data[@]}"
	echo
	echo "two stations side by side (--stations 2), rush:"
	"$BUILD/bench/crowd" --rules all --pace rush --stations 2 --meetings 10000 --seed 1 "${data[@]}" |
		sed -n '/^rules /,$p'
	echo
fi

if want cli && [ -x "$BUILD/tapmeet" ]; then
	echo "== tapmeet queries =="
	bash "$HERE/cli/run.sh" "$BUILD"
fi

if want import && [ -x "$BUILD/tapmeet" ]; then
	echo "== tapmeet attendees import: 50,000 and 100,000 rows, and 100,000 with a bad last row (bench/import.sh) =="
	bash "$HERE/import.sh" "$BUILD"
	echo
fi

if want followup && [ -x "$BUILD/tapmeet" ]; then
	echo "== tapmeet followup, dry run: SFHH and 1,000,000 meetings / 20,000 attendees (bench/followup.sh) =="
	bash "$HERE/followup.sh" "$BUILD"
	echo
fi

if want report && [ -x "$BUILD/tapmeet" ]; then
	echo "== tapmeet report --html: SFHH and 1,000,000 meetings / 20,000 attendees (bench/report.sh) =="
	bash "$HERE/report.sh" "$BUILD"
fi
