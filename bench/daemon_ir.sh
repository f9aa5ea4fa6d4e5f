#!/bin/bash
# Instructions per tap of the whole daemon (callgrind): tapmeetd with the sim
# reader and sim LEDs on a real SQLite file (synchronous=FULL: the fsync is a
# system call, not counted), fed meetings through the sim FIFO. Two runs, of
# 100 and 500 pairs; the difference divided by the 800 extra taps is the
# per-tap cost with start-up and shutdown cancelled out: engine, writer
# thread hand-off, store, log lines and LED steps.
#   bench/daemon_ir.sh BUILD_DIR
set -euo pipefail
BUILD=$(cd "${1:-build}" && pwd)
TMP=$(mktemp -d)
trap 'jobs -p | xargs -r kill 2>/dev/null; rm -rf "$TMP"' EXIT

run() { # run PAIRS: total Ir of one daemon run
	local n=$1 dir="$TMP/run$1" pid
	mkdir -p "$dir"
	cat >"$dir/t.conf" <<CONF
[station]
id = bench
[reader]
driver = sim
sim_path = $dir/sim.fifo
[store]
path = $dir/t.db
[pairing]
repeat_guard = 0s
# The sim's "pair" is both badges on and off at once: counted at once.
min_dwell = 0
[leds]
driver = sim
color = false
CONF
	valgrind --tool=callgrind --callgrind-out-file="$dir/cg" \
		"$BUILD/tapmeetd" --config "$dir/t.conf" >/dev/null 2>"$dir/err" &
	pid=$!
	for _ in $(seq 1 600); do grep -q "state=ok" "$dir/err" 2>/dev/null && break; sleep 0.1; done
	for i in $(seq 1 "$n"); do printf 'pair 04%06X 05%06X\n' "$i" "$i"; done >"$dir/sim.fifo"
	for _ in $(seq 1 1200); do
		[ "$(grep -c 'meeting id=' "$dir/err")" -ge "$n" ] && break
		sleep 0.1
	done
	kill -TERM "$pid"
	wait "$pid" || true
	sed -n 's/^summary: \([0-9]*\).*/\1/p' "$dir/cg"* | paste -sd+ | bc
}
small=$(run 100)
large=$(run 500)
printf '  %-44s %14s\n' "tapmeetd, 100 pairs (200 taps)" "$small Ir" \
	"tapmeetd, 500 pairs (1000 taps)" "$large Ir" \
	"per tap = difference / 800 taps" "$(((large - small) / 800)) Ir"
