#!/bin/bash
# Read-only and hostile surroundings: a state directory the station cannot
# write, a database that is a symbolic link or not a database at all, a
# config that everyone can read holding the privacy key. Each gives one clear
# error (or warning) and damages nothing.
set -u
. "$(dirname "$0")/lib.sh"

# starts_not WHAT EXPECTED: the daemon exits 2 at once and logs EXPECTED.
starts_not() {
	local what=$1 expected=$2 out rc
	out=$(timeout 10 "$TAPMEETD" --config "$CONF" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" -eq 2 ] && [[ "$out" == *"$expected"* ]]; then
		ok "$what: refused with a clear error"
	else
		not_ok "$what: refused with a clear error"
		echo "#   exit $rc, said: $out"
		echo "#   expected: $expected"
	fi
}

# --- the database is a symbolic link ---------------------------------------------
write_config
ln -s "$TMP/elsewhere.db" "$DB"
starts_not "a database path that is a symbolic link" \
	"database $DB is a symbolic link (to $TMP/elsewhere.db); refused"
check "nothing was created where the link points" test ! -e "$TMP/elsewhere.db"
rm -f "$DB"
printf 'uid,name\n04A1B2C3,Ada\n' >"$TMP/one.csv"
"$TAPMEET" --db "$TMP/real.db" attendees import "$TMP/one.csv" >/dev/null 2>&1
ln -s "$TMP/real.db" "$TMP/link.db"
check "the query tool still reads through a link (read-only)" \
	bash -c "'$TAPMEET' --db '$TMP/link.db' attendees list | grep -q Ada"

# --- the database is not a database ------------------------------------------------
printf 'name,uid\nAda,04A1B2C3\n' >"$DB"
cp "$DB" "$TMP/before"
starts_not "a file that is not SQLite at the database path" \
	"$DB is not an SQLite database (it begins \"name,uid.Ada,04A\"); it is left as it is"
check "the file is left exactly as it was" cmp -s "$DB" "$TMP/before"
check "no -wal or -shm was made beside it" test ! -e "$DB-wal" -a ! -e "$DB-shm"
out=$("$TAPMEET" --db "$DB" meetings 2>&1)
rc=$?
check "the query tool says the same kind of thing (exit $rc)" \
	bash -c "[ $rc -eq 2 ] && [[ '$out' == *'$DB'* ]]"
rm -f "$DB"

# --- a state directory the station cannot write -------------------------------------
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	mkdir -p "$TMP/ro"
	chmod 0755 "$TMP/ro" "$TMP"
	sed -i "s|^path = .*|path = $TMP/ro/t.db|" "$CONF"
	chmod 0644 "$CONF"
	out=$(timeout 10 runuser -u nobody -- "$TAPMEETD" --config "$CONF" 2>&1 >/dev/null)
	rc=$?
	check "a directory it cannot write: exit 2 naming it (exit $rc)" \
		bash -c "[ $rc -eq 2 ] && [[ '$out' == *'cannot create database $TMP/ro/t.db: directory $TMP/ro: Permission denied'* ]]"
	# The database exists, but its -wal and -shm cannot be made.
	sqlite3 "$TMP/ro/t.db" 'PRAGMA journal_mode=WAL; CREATE TABLE x(y);' >/dev/null
	rm -f "$TMP/ro/t.db-wal" "$TMP/ro/t.db-shm"
	chmod 0666 "$TMP/ro/t.db"
	out=$(timeout 10 runuser -u nobody -- "$TAPMEETD" --config "$CONF" 2>&1 >/dev/null)
	rc=$?
	check "a database whose -wal cannot be made: exit 2 saying why (exit $rc)" \
		bash -c "[ $rc -eq 2 ] && [[ '$out' == *'needs to create its -wal and -shm files beside it'* ]]"
	DB="$TMP/ro/t.db"
	check "and the database is untouched" sql_is x "SELECT name FROM sqlite_master"
	chmod 0700 "$TMP"
else
	echo "# state-directory check skipped: needs root and user nobody"
fi

# --- the privacy key in a file everyone can read ------------------------------------
write_config "[privacy]
uid_key = 0123456789abcdef0123"
chmod 0644 "$CONF"
out=$("$TAPMEETD" --check-config --config "$CONF" 2>&1)
rc=$?
check "a world-readable key: --check-config still passes (exit $rc)" test "$rc" -eq 0
check "and warns, saying what to do" \
	bash -c "[[ '$out' == *'warning: $CONF holds [privacy] uid_key and every user can read it; chmod o-r $CONF'* ]]"
start_daemon || not_ok "daemon starts with the warning"
check "the daemon warns at start" log_has "event=config-warning.*uid_key and every user can read it"
stop_daemon TERM
chmod 0640 "$CONF"
out=$("$TAPMEETD" --check-config --config "$CONF" 2>&1)
check "no warning once only the group may read it" bash -c "[[ '$out' != *warning* ]]"

finish
