#!/bin/bash
# The fuzz harnesses (tests/fuzz/, docs/fuzzing.md), short: each built with
# clang's libFuzzer into $BUILD/fuzz, run a few seconds from its seed corpus
# (new entries go to a temporary directory, never into the repository), and
# every input that once crashed it (tests/fuzz/regressions/<target>/)
# replayed. FUZZ_CHECK_SECONDS changes the few seconds.
set -u
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
FUZZ_DIR="$BUILD/fuzz"
seconds=${FUZZ_CHECK_SECONDS:-2}

# Skipped only where clang cannot link a libFuzzer program at all; `make
# deps` installs clang and libclang-rt-14-dev, so CI never skips.
printf '#include <stdint.h>\n#include <stddef.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' >"$TMP/probe.c"
if ! command -v clang >/dev/null ||
	! clang -fsanitize=fuzzer,address,undefined -o "$TMP/probe" "$TMP/probe.c" >/dev/null 2>&1; then
	ok "skipped: clang/libFuzzer not installed (make deps installs clang and libclang-rt-14-dev)"
	finish
	exit
fi

# SANITIZE as the build's own: the Makefile keeps $BUILD's flags in a stamp.
if ! make -C "$ROOT" --no-print-directory -j2 BUILD="$BUILD" SANITIZE="${SANITIZE:-}" \
	FUZZ_DIR="$FUZZ_DIR" fuzz-build \
	>"$TMP/build.log" 2>&1; then
	not_ok "the harnesses build with clang"
	sed 's/^/#   /' "$TMP/build.log" | tail -20
	finish
	exit 1
fi
ok "the harnesses build with clang"

for src in "$ROOT"/tests/fuzz/fuzz_*.c; do
	t=$(basename "$src" .c)
	t=${t#fuzz_}
	bin="$FUZZ_DIR/fuzz_$t"
	mkdir -p "$TMP/$t/corpus" "$TMP/$t/artifacts"
	if [ "$(find "$ROOT/tests/fuzz/corpus/$t" -type f 2>/dev/null | wc -l)" -eq 0 ]; then
		not_ok "$t: a seed corpus in tests/fuzz/corpus/$t/"
		continue
	fi
	# -timeout: a hang is a failure too.
	"$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$TMP/$t/artifacts/" "$TMP/$t/corpus" "$ROOT/tests/fuzz/corpus/$t" \
		>"$TMP/$t/log" 2>&1
	rc=$?
	execs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$TMP/$t/log")
	if [ "$rc" -eq 0 ]; then
		ok "$t: ${seconds}s of fuzzing from its seed corpus (${execs:-?} inputs), nothing found"
	else
		not_ok "$t: fuzzing found $(ls "$TMP/$t/artifacts" | head -3 | tr '\n' ' ')(exit $rc)"
		grep -E 'ERROR|SUMMARY|property failed|^    #[0-9] ' "$TMP/$t/log" | head -15 | sed 's/^/#   /'
		for a in "$TMP/$t/artifacts"/*; do
			[ -f "$a" ] && echo "#   input (base64): $(head -c 600 "$a" | base64 -w0)"
		done
	fi
	regs=("$ROOT/tests/fuzz/regressions/$t"/*)
	[ -e "${regs[0]}" ] || continue
	if "$bin" -runs=1 "${regs[@]}" >"$TMP/$t/replay.log" 2>&1; then
		ok "$t: the ${#regs[@]} input(s) in tests/fuzz/regressions/$t/ replay cleanly"
	else
		not_ok "$t: an input in tests/fuzz/regressions/$t/ fails again"
		grep -E 'Running:|ERROR|SUMMARY|property failed' "$TMP/$t/replay.log" | head -10 | sed 's/^/#   /'
	fi
done
finish
