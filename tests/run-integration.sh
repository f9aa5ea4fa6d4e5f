#!/bin/bash
# Runs every integration script against the binaries in $BUILD. Each script
# prints "ok - ..." / "not ok - ..." lines and ends with "N passed, N failed".
set -u
BUILD=${BUILD:-build}
here=$(cd "$(dirname "$0")" && pwd)
passed=0
failed=0
scripts=("$here"/integration/test_*.sh)
[ -x "$here/cli/run.sh" ] && scripts+=("$here/cli/run.sh")
[ -f "$here/pn532emu/test_pn532emu.sh" ] && [ -x "$BUILD/tests/pn532emu" ] && scripts+=("$here/pn532emu/test_pn532emu.sh")
for script in "${scripts[@]}"; do
	name=${script#"$here"/}
	log=$(mktemp)
	case "$name" in
	pn532emu/*) arg="$BUILD/tests/pn532emu" ;;
	*) arg="$BUILD" ;;
	esac
	# Each script in its own process group (job control on, same session:
	# a new session would adopt the emulator's pty as its terminal), which
	# is emptied afterwards: nothing a test left behind outlives the run.
	set -m
	BUILD="$BUILD" bash "$script" "$arg" >"$log" 2>&1 </dev/null &
	pid=$!
	set +m
	wait "$pid"
	rc=$?
	kill -9 -- "-$pid" 2>/dev/null
	summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
	p=$(echo "$summary" | sed -n 's/^\([0-9]*\) passed.*/\1/p')
	f=$(echo "$summary" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
	p=${p:-0}
	f=${f:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1 # the script died before counting
		echo "not ok - $name exited $rc without a summary" >>"$log"
	fi
	if [ "$f" -ne 0 ]; then
		sed "s|^|$name: |" "$log" | tail -60
	fi
	printf 'integration %-36s %3d passed, %d failed\n' "$name" "$p" "$f"
	passed=$((passed + p))
	failed=$((failed + f))
	rm -f "$log"
done
echo "integration: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
