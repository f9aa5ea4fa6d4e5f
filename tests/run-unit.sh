#!/bin/bash
# Runs cmocka unit test binaries; prints each suite's summary and a closing
# "N passed, N failed" line. Exit status is non-zero when any test failed.
set -u
passed=0
failed=0
for bin in "$@"; do
	out=$("$bin" 2>&1)
	rc=$?
	p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\./\1/p' | tail -1)
	f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s), listed below:/\1/p' | tail -1)
	p=${p:-0}
	f=${f:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1 # crashed before cmocka could count
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$f" -ne 0 ]; then
		printf '%s\n' "$out" | grep -v '^\[ RUN\|^\[       OK' | sed "s|^|$(basename "$bin"): |"
	fi
	printf 'unit %-28s %3d passed, %d failed\n' "$(basename "$bin")" "$p" "$f"
done
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
