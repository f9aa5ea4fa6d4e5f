#!/bin/bash
# [privacy] uid_key on the real daemon: no raw UID in the database, its WAL
# or the log after taps, rejections and reader-rejected tags; the repeat
# guard holds across a restart; a station whose libcrypto cannot compute the
# keyed hash refuses to record anything (fail closed).
set -u
. "$(dirname "$0")/lib.sh"

KEY="correct horse battery staple"
write_config "[privacy]
uid_key = $KEY"
# Both files and the log, as bytes, in either case.
raw_anywhere() { # raw_anywhere UID...: prints where a raw UID was found
	local uid f
	for uid in "$@"; do
		for f in "$DB" "$DB-wal" "$TMP/daemon.err"; do
			[ -f "$f" ] && grep -a -i -q -- "$uid" "$f" && echo "$uid in $f"
		done
	done
	return 0
}
hashed() {
	python3 -c 'import hmac, hashlib, sys; print(hmac.new(sys.argv[1].encode(), sys.argv[2].encode(), hashlib.sha256).hexdigest()[:20].upper())' "$KEY" "$1"
}

start_daemon || { not_ok "daemon starts with a key"; finish; exit 1; }
send tap 04A1B2C3
sleep 0.4
send tap 04D5E6F7
check "a pair meets under the key" wait_for 10 log_has "meeting id=it-1:m1 "
send tap 08123456
send reject 04BADBAD "unsupported tag type"
check "the reader-rejected tag is recorded" wait_for 10 sql_is 2 "SELECT count(*) FROM taps WHERE outcome = 'rejected'"
send tap 04C0FFEE
check "an unpaired tap is recorded" wait_for 10 sql_is unpaired "SELECT outcome FROM taps WHERE uid = '$(hashed 04C0FFEE)'"
check "the meeting holds the keyed hashes" sql_is "$(printf '%s\n' "$(hashed 04A1B2C3)" "$(hashed 04D5E6F7)" | sort | paste -sd,)" \
	"SELECT group_concat(uid) FROM (SELECT uid FROM meeting_badges ORDER BY uid)"
found=$(raw_anywhere 04A1B2C3 04D5E6F7 08123456 04BADBAD 04C0FFEE)
check "no raw UID in the database, the WAL or the log" test -z "$found" || echo "# $found"

# The guard across a restart: the same pair again within the guard is
# "already met", not a second meeting.
stop_daemon TERM
start_daemon || not_ok "daemon restarts with the key"
send tap 04D5E6F7
sleep 0.4
send tap 04A1B2C3
check "the same pair after a restart is a duplicate" wait_for 10 sql_is 2 "SELECT count(*) FROM taps WHERE outcome = 'duplicate'"
check "still one meeting" sql_is 1 "SELECT count(*) FROM meetings"
stop_daemon TERM
found=$(raw_anywhere 04A1B2C3 04D5E6F7)
check "no raw UID after the restart either" test -z "$found" || echo "# $found"

# Fail closed: OpenSSL allowed only FIPS algorithms without a FIPS provider
# cannot compute HMAC-SHA-256. The daemon says so once and records nothing.
cat >"$TMP/fips.cnf" <<'CNF'
openssl_conf = init
[init]
alg_section = algs
[algs]
default_properties = fips=yes
CNF
before=$(sql "SELECT count(*) FROM taps")
: >"$TMP/daemon.err"
# A daemon that started anyway would run on: the timeout ends it (exit 124).
OPENSSL_CONF="$TMP/fips.cnf" timeout 10 "$TAPMEETD" --config "$CONF" >>"$TMP/leds.out" 2>>"$TMP/daemon.err"
rc=$?
check "without a working HMAC the daemon does not start (exit 2)" test "$rc" -eq 2
check "and says why, once" test "$(grep -c 'event=identity-failed' "$TMP/daemon.err")" -eq 1
check "nothing was recorded" sql_is "$before" "SELECT count(*) FROM taps"
out=$(OPENSSL_CONF="$TMP/fips.cnf" "$TAPMEET" --config "$CONF" person 04A1B2C3 2>&1)
rc=$?
check "tapmeet refuses to look up raw UIDs too (exit 2)" test "$rc" -eq 2
check "with a clear message" grep -q "cannot be hashed" <<<"$out"

# Without a key the UIDs are stored as they are (the other side of the switch).
write_config
start_daemon || not_ok "daemon starts without a key"
send pair 04000001 04000002
check "without a key the raw UID is the stored form" wait_for 10 sql_is 1 "SELECT count(*) FROM meeting_badges WHERE uid = '04000001'"
stop_daemon TERM

finish
