#!/bin/bash
# A member of group tapmeet may read the database, and so may hold a lock byte
# of its -shm file: here the one SQLite's writers take (WAL_WRITE_LOCK, byte
# 120), with a read-only descriptor. Every write of the station then waits.
# The station must keep its writes, show the storage fault on its LEDs, and
# `tapmeet status` must say so although the status row cannot be written;
# once the lock goes, everything is stored and the status is healthy again.
set -u
. "$(dirname "$0")/lib.sh"

write_config
sed -i "s|^id = it-1$|id = it-1\nstatus_file = $TMP/status|" "$CONF"
status() { "$TAPMEET" --config "$CONF" status "$@"; }
start_daemon || { not_ok "daemon starts"; finish; exit 1; }
check "the live status file is written at start" wait_for 5 test -s "$TMP/status"
check "tapmeet status: healthy (exit 0)" status

python3 - "$DB-shm" "$TMP/locked" "$TMP/release" <<'PY' &
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY)          # read access is all it takes
fcntl.lockf(fd, fcntl.LOCK_SH, 1, 120, os.SEEK_SET)
open(sys.argv[2], "w").close()
while not os.path.exists(sys.argv[3]):
    time.sleep(0.05)
PY
holder=$!
PIDS+=("$holder")
wait_for 5 test -e "$TMP/locked" || { not_ok "a reader holds the lock byte"; finish; exit 1; }
send pair 04900001 04900002
check "the blocked write is a storage fault" wait_for 10 log_has "event=writes-slow\|event=storage-fault"
check "the LEDs show it: steady red" wait_for 5 bash -c "tail -1 '$TMP/leds.out' | grep -q 'green=0 amber=0 red=1'"
out=$(status --format csv 2>&1)
rc=$?
check "tapmeet status: unhealthy (exit 3), though the status row could not be written (exit $rc)" test "$rc" -eq 3
check "... and says why: storage fault" bash -c "grep -q 'storage fault' <<<'$out'"
check "nothing is called saved meanwhile" bash -c "! grep -q 'badges=04900001' '$TMP/daemon.err'"
# The file speaks for this database only: a copy queried with --db is judged
# by its own rows, which say nothing of the fault.
cp "$DB" "$TMP/copy.db"
cp "$DB-wal" "$TMP/copy.db-wal"
out=$("$TAPMEET" --config "$CONF" --db "$TMP/copy.db" status --format csv 2>&1)
check "a copy is not judged by the station's live file" \
	bash -c "grep -q '^it-1,' <<<'$out' && ! grep -q 'storage fault' <<<'$out'"

: >"$TMP/release"
wait "$holder"
check "the meeting is saved once the lock goes" wait_for 15 log_has "badges=04900001,04900002"
check "... and is in the database" sql_is 1 "SELECT count(*) FROM meetings"
check "tapmeet status: healthy again (exit 0)" wait_for 10 status
check "the status row caught up" sql_is 0 "SELECT storage_fault FROM stations WHERE id = 'it-1'"

stop_daemon TERM
check "a stopped station leaves no live status behind" test ! -e "$TMP/status"

finish
