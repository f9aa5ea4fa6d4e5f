#!/bin/bash
# `make fuzz`: each target named (all by default) for FUZZ_SECONDS, FUZZ_JOBS
# at a time, from its seed corpus in tests/fuzz/corpus/<target>/ and the
# entries earlier runs kept in FUZZ_WORK/<target>/corpus (never in the
# repository). A crash, leak or timeout is copied into
# tests/fuzz/regressions/<target>/ and named on the last lines; the run's
# figures per target (CPU seconds, executions, corpus, coverage) go to
# FUZZ_WORK/summary.txt for docs/fuzzing.md.
set -u
cd "$(dirname "$0")/../.."
FUZZ_DIR=${FUZZ_DIR:-build/fuzz}
FUZZ_WORK=${FUZZ_WORK:-$FUZZ_DIR/work}
FUZZ_SECONDS=${FUZZ_SECONDS:-3600}
FUZZ_JOBS=${FUZZ_JOBS:-1}
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	for f in tests/fuzz/fuzz_*.c; do
		t=${f#tests/fuzz/fuzz_}
		targets+=("${t%.c}")
	done
fi
mkdir -p "$FUZZ_WORK"
summary="$FUZZ_WORK/summary.txt"

run_one() { # run_one TARGET: one libFuzzer process, its figures on one line
	local t=$1 work="$FUZZ_WORK/$1" bin="$FUZZ_DIR/fuzz_$1" log start end cpu
	mkdir -p "$work/corpus" "$work/artifacts"
	rm -f "$work/artifacts"/* # copied into the repository by the last run
	log="$work/fuzz.log"
	start=$(date -u +%FT%TZ)
	# -timeout: no input of a few KiB may take a second; -rss_limit_mb: a
	# leak or a runaway allocation stops the run as a crash.
	{
		TIMEFORMAT='%U %S'
		time "$bin" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
			-print_final_stats=1 -artifact_prefix="$work/artifacts/" \
			"$work/corpus" "tests/fuzz/corpus/$t" >"$log" 2>&1
	} 2>"$work/time"
	end=$(date -u +%FT%TZ)
	cpu=$(awk '{ printf "%.0f", $1 + $2 }' "$work/time")
	printf '%-9s %s..%s cpu=%ss execs=%s corpus=%s cov=%s ft=%s crashes=%s\n' "$t" "$start" "$end" \
		"$cpu" "$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")" \
		"$(find "$work/corpus" -type f | wc -l)" \
		"$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)" \
		"$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)" \
		"$(find "$work/artifacts" -type f | wc -l)"
}

running=0
for t in "${targets[@]}"; do
	if [ ! -x "$FUZZ_DIR/fuzz_$t" ]; then
		echo "fuzz: no harness $FUZZ_DIR/fuzz_$t (make fuzz-build)" >&2
		exit 1
	fi
	run_one "$t" >>"$summary" &
	running=$((running + 1))
	if [ "$running" -ge "$FUZZ_JOBS" ]; then
		wait -n
		running=$((running - 1))
	fi
done
wait
found=0
for t in "${targets[@]}"; do
	for a in "$FUZZ_WORK/$t"/artifacts/*; do
		[ -f "$a" ] || continue
		mkdir -p "tests/fuzz/regressions/$t"
		cp "$a" "tests/fuzz/regressions/$t/"
		echo "fuzz: $t found $(basename "$a"): copied to tests/fuzz/regressions/$t/; its report is in $FUZZ_WORK/$t/fuzz.log"
		found=$((found + 1))
	done
done
tail -n "${#targets[@]}" "$summary"
[ "$found" -eq 0 ]
