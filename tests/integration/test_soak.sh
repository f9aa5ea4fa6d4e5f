#!/bin/bash
# The soak's short version (bench/soak.py, docs/soak.md): 30 SFHH meetings on
# the real tapmeetd through libnfc and the PN532 emulator, with every
# [pairing] key at its default, the reader unplugged and plugged in again
# every 15 simulated minutes (3 times; every 2 on the generated stand-in when
# ../shared has no SFHH), and tapmeet meetings, stats, people
# and status run against the live database the whole time. Counts are
# exact: the database must hold the meetings presented, row by row. The
# samples (every 5 s) must be flat: open fds and threads never above their
# value after the warm-up, RSS within max(2 MiB, 20 %) of it (not under
# ASan, whose quarantine keeps freed memory), the -wal within SQLite's
# 1000-page checkpoint, the log within 3 lines per meeting. About 40 s.
# `make soak` is the long run.
set -u
. "$(dirname "$0")/lib.sh"
SOAK="$(dirname "$0")/../../bench/soak.py"

if ! ldd "$TAPMEETD" | grep -q libnfc; then
	# As in test_libnfc.sh: without libnfc-dev there is no driver to test;
	# with it, a daemon without libnfc is a build fault.
	if pkg-config --exists libnfc 2>/dev/null; then
		not_ok "tapmeetd is linked with libnfc (libnfc-dev is installed)"
	else
		echo "# SKIP: libnfc-dev is not installed, tapmeetd has no libnfc driver"
	fi
	finish
	exit
fi
if [ ! -x "${PN532EMU:-$BUILD/tests/pn532emu}" ]; then
	not_ok "the PN532 emulator is built (make build-tests)"
	finish
	exit
fi

# From 8 simulated hours into day 1 the station's next 30 contacts follow
# one another without a badge waiting out after_meeting: the run stays short.
# They span an hour of SFHH; the generated stand-in is denser, 6 minutes.
OUT="$TMP/soak"
flap_min=15
[ -r "${SOAK_DATA:-$(dirname "$0")/../../../shared/data/sociopatterns-sfhh/tij_SFHH.dat}" ] || flap_min=2
python3 "$SOAK" --build "$BUILD" --from-hour 8 --meetings 30 --flap-min "$flap_min" --flap-down 1 \
	--sample 5 --out "$OUT" >"$TMP/soak.out" 2>&1
status=$?
sed 's/^/# /' "$TMP/soak.out"
check "bench/soak.py ran the short soak and all its checks passed" test "$status" -eq 0
if [ ! -s "$OUT/report.txt" ] || [ ! -s "$OUT/samples.tsv" ]; then
	not_ok "the soak wrote its report and its samples"
	finish
	exit
fi
cp "$OUT/daemon.err" "$TMP/daemon.err" 2>/dev/null # shown by lib.sh on a failure

fig() { sed -n "s/^$1=//p" "$OUT/report.txt"; }
n=$(fig meetings_presented)
check "30 meetings presented, each committed while its badges lay on the reader" \
	test "$n" = 30 -a "$(fig commit_unconfirmed)" = 0
check "the database holds exactly the meetings presented: $(fig meetings_stored) stored, $(fig meetings_missing) missing, $(fig meetings_extra) extra" \
	test "$(fig meetings_stored)" = "$n" -a "$(fig meetings_missing)" = 0 -a "$(fig meetings_extra)" = 0
check "no meeting suspect, every tap paired and no other tap ($(fig taps))" \
	test "$(fig meetings_suspect)" = 0 -a "$(fig taps)" = "paired:$((2 * n))"
check "integrity_check ok" test "$(fig integrity)" = ok
check "the reader was unplugged $(fig flaps) times, the station logged the fault and recovered each time" \
	test "$(fig flaps)" -ge 2 -a "$(fig recovered)" = "$(fig flaps)"
check "tapmeet meetings, stats, people, status ran all along, none failed ($(fig queries))" \
	test "$(fig query_failures)" = 0 -a "$(fig queries | tr ',' '\n' | grep -c ':[1-9]')" = 4

# After the warm-up sample, over every sample: the largest value.
max_after_warmup() { # COLUMN
	awk -F'\t' -v c="$1" 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
		$col["label"] == "warm-up" { on = 1 }
		on && $col[c] > m { m = $col[c] }
		END { print m + 0 }' "$OUT/samples.tsv"
}
warm_fds=$(fig fds_warm)
warm_threads=$(fig threads_warm)
warm_rss=$(fig rss_kib_warm)
max_fds=$(max_after_warmup fds)
max_threads=$(max_after_warmup threads)
max_rss=$(max_after_warmup rss_kib)
check "open fds flat: $warm_fds after the warm-up, at most $max_fds after" test "$max_fds" -le "$warm_fds"
check "threads flat: $warm_threads after the warm-up, at most $max_threads after" \
	test "$max_threads" -le "$warm_threads"
if ldd "$TAPMEETD" | grep -q libasan; then
	echo "# RSS $warm_rss KiB after the warm-up, at most $max_rss KiB after (not checked under ASan)"
else
	bound=$((warm_rss + (warm_rss / 5 > 2048 ? warm_rss / 5 : 2048)))
	check "RSS flat: $warm_rss KiB after the warm-up, at most $max_rss KiB after (bound $bound)" \
		test "$max_rss" -le "$bound"
fi
wal_max=$(fig wal_bytes_max)
check "the -wal bounded by the 1000-page checkpoint: at most $wal_max bytes" \
	test "$wal_max" -le $(((1000 + 100) * 4096 + 32))
# Two tap lines and the meeting line each, and a few lines per flap.
check "log bounded: $(fig log_lines) lines for $n meetings and $(fig flaps) flaps" \
	test "$(fig log_lines)" -le $((3 * n + 10 * $(fig flaps) + 10))
if [ -n "$(fig fsyncs)" ]; then
	# One for each commit's -wal, the heartbeats' and a checkpoint's:
	# more than three a meeting would be a change of durability policy.
	check "fsync + fdatasync per meeting: $(fig fsyncs_per_meeting) (at most 3)" \
		awk -v f="$(fig fsyncs_per_meeting)" 'BEGIN { exit !(f > 0 && f <= 3) }'
else
	echo "# fsyncs not counted (an ASan build, or strace --seccomp-bpf is not usable here)"
fi
echo "# per meeting: $(fig write_bytes_per_meeting) bytes written, $(fig syscw_per_meeting) write calls"

finish
