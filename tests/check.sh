#!/bin/bash
# `make check`: every unit and integration test, once on the normal build and
# once under AddressSanitizer + UndefinedBehaviorSanitizer. The last line is
# the total, "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
MAKE=${MAKE:-make}
total_passed=0
total_failed=0
summaries=()

run_suite() { # run_suite LABEL COMMAND...
	local label=$1 log summary p f
	shift
	log=$(mktemp)
	"$@" 2>&1 | tee "$log"
	summary=$(grep -E '^[a-z]+: [0-9]+ passed, [0-9]+ failed$' "$log" | tail -1)
	p=$(echo "$summary" | sed -n 's/.*: \([0-9]*\) passed.*/\1/p')
	f=$(echo "$summary" | sed -n 's/.* \([0-9]*\) failed$/\1/p')
	if [ -z "$summary" ]; then
		p=0
		f=1
		echo "not ok - $label produced no summary"
	fi
	total_passed=$((total_passed + p))
	total_failed=$((total_failed + f))
	summaries+=("$(printf '%-22s %4d passed, %d failed' "$label" "$p" "$f")")
	rm -f "$log"
}

for variant in normal asan; do
	if [ "$variant" = asan ]; then
		vars=(BUILD=build/asan SANITIZE=1)
	else
		vars=(BUILD=build)
	fi
	if ! $MAKE --no-print-directory "${vars[@]}" all build-tests >/dev/null; then
		echo "not ok - $variant build failed"
		$MAKE --no-print-directory "${vars[@]}" all build-tests 2>&1 | tail -30
		total_failed=$((total_failed + 1))
		continue
	fi
	run_suite "unit ($variant)" $MAKE --no-print-directory "${vars[@]}" check-unit
	run_suite "integration ($variant)" $MAKE --no-print-directory "${vars[@]}" check-integration
done

echo
printf '%s\n' "${summaries[@]}"
echo "$total_passed passed, $total_failed failed"
[ "$total_failed" -eq 0 ]
