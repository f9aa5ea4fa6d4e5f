#!/bin/bash
# The database deleted or replaced under a running station (an admin cleaning
# up the state directory, a card remounted): every meeting the station called
# saved must be in the file at the path, even after kill -9.
set -u
. "$(dirname "$0")/lib.sh"

meetings_logged() { grep -c 'meeting id=' "$TMP/daemon.err"; }

# kill_and_count EXPECTED LABEL: kill -9, then the file at the path must hold
# every meeting the station logged, intact, and answer queries.
kill_and_count() {
	local expected=$1 label=$2
	stop_daemon KILL
	check "$label: the meetings logged before kill -9 are in the file ($expected)" \
		sql_is "$expected" "SELECT count(*) FROM meetings"
	check "$label: integrity_check ok" sql_is ok "PRAGMA integrity_check"
	check "$label: tapmeet can query it" bash -c "'$TAPMEET' --db '$DB' stats >/dev/null"
}

# --- the database, its -wal and -shm deleted ------------------------------------
write_config
start_daemon || { not_ok "daemon starts"; finish; exit 1; }
send pair 04500001 04500002
check "meeting 04500001 logged as saved" wait_for 10 log_has "badges=04500001,04500002"
rm -f "$DB" "$DB-wal" "$DB-shm"
send pair 04500003 04500004
check "a deleted database is noticed and written again" wait_for 5 log_has "event=file-restored.*the database was deleted"
check "the meeting after the deletion is saved" wait_for 5 log_has "badges=04500003,04500004"
check "the file is back at its path" test -s "$DB"
send pair 04500005 04500006
check "meeting 04500005 logged as saved" wait_for 10 log_has "badges=04500005,04500006"
kill_and_count "$(meetings_logged)" "database deleted"
check "every meeting was logged as saved (3)" test "$(meetings_logged)" -eq 3

# --- only the -wal deleted ----------------------------------------------------------
: >"$TMP/daemon.err"
rm -f "$DB" "$DB-wal" "$DB-shm"
start_daemon || { not_ok "daemon starts"; finish; exit 1; }
send pair 04600001 04600002
check "meeting 04600001 logged as saved" wait_for 10 log_has "badges=04600001,04600002"
rm -f "$DB-wal"
send pair 04600003 04600004
check "a deleted -wal is noticed and its frames kept" wait_for 5 log_has "event=file-restored.*its -wal was deleted"
check "meeting 04600003 logged as saved" wait_for 10 log_has "badges=04600003,04600004"
cp "$TMP/daemon.err" /tmp/dd.log
kill_and_count "$(meetings_logged)" "-wal deleted"
check "both meetings were logged as saved" test "$(meetings_logged)" -eq 2

# --- the whole directory gone, then back (a card unmounted and mounted) -----------
: >"$TMP/daemon.err"
write_config
sed -i "s|^path = .*|path = $TMP/state/t.db|" "$CONF"
DB="$TMP/state/t.db"
mkdir -p "$TMP/state"
start_daemon || { not_ok "daemon starts"; finish; exit 1; }
send pair 04800001 04800002
check "meeting 04800001 logged as saved" wait_for 10 log_has "badges=04800001,04800002"
rm -rf "$TMP/state"
send pair 04800003 04800004
check "a vanished directory is a storage fault" wait_for 5 log_has "event=storage-fault.*deleted while open"
check "nothing is called saved while the directory is gone" bash -c "! grep -q 'badges=04800003' '$TMP/daemon.err'"
mkdir -p "$TMP/state"
check "once the directory is back, the file is written again" wait_for 10 log_has "event=file-restored"
check "and the meeting made meanwhile is saved" wait_for 10 log_has "badges=04800003,04800004"
kill_and_count 2 "directory back"
write_config

# --- another file put in its place --------------------------------------------------
: >"$TMP/daemon.err"
rm -f "$DB" "$DB-wal" "$DB-shm"
start_daemon || { not_ok "daemon starts"; finish; exit 1; }
send pair 04700001 04700002
check "meeting 04700001 logged as saved" wait_for 10 log_has "badges=04700001,04700002"
sqlite3 "$TMP/other.db" "CREATE TABLE unrelated (x); INSERT INTO unrelated VALUES (1);"
mv "$TMP/other.db" "$DB"
send pair 04700003 04700004
check "a replaced database is a storage fault that names the cause" \
	wait_for 5 log_has "event=storage-fault.*replaced by another file while open"
check "the replaced file shows steady red" wait_for 5 bash -c "tail -1 '$TMP/leds.out' | grep -q 'green=0 amber=0 red=1'"
sleep 0.5
check "nothing is called saved while no file can take it" bash -c "! grep -q 'badges=04700003' '$TMP/daemon.err'"
check "the daemon keeps running" kill -0 "$DAEMON_PID"
saved=$(sed -n 's/.*event=file-saved-aside path=\([^ ]*\).*/\1/p' "$TMP/daemon.err" | head -1)
check "what the replaced file held is saved aside" test -n "$saved" -a -s "$saved"
stop_daemon TERM
check "the meeting held in memory is reported at the stop, not lost silently" \
	log_has "unsaved-at-exit.*04700003"
# Its -wal was the old file's: left with frames, SQLite would lay them over
# the new file at the next open.
check "the file put there is left alone, not overlaid with the old -wal" \
	sql_is 1 "SELECT count(*) FROM unrelated"
check "the copy set aside holds the meeting saved before" \
	test "$(sqlite3 "$saved" "SELECT group_concat(uid) FROM meeting_badges")" = "04700001,04700002"

finish
