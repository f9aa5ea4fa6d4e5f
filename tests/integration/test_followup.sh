#!/bin/bash
# tapmeet followup through a real mail path: msmtp as the sendmail
# interface, a real SMTP server (aiosmtpd) on 127.0.0.1 that stores every
# message it accepts. Messages parse as MIME, their vCards list exactly the
# people met, hostile names come out intact and inject nothing, nobody's
# details reach anyone without consent; a run whose mail server dies
# halfway, resumed, gives every attendee exactly one message, and a rerun
# after that sends nothing. The dry run's files parse too.
set -u
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

# python3-aiosmtpd is Debian's: the python3 first in PATH may be another one.
PY=
for py in python3 /usr/bin/python3; do
	if "$py" -c 'import aiosmtpd' 2>/dev/null; then
		PY=$py
		break
	fi
done
for need in msmtp sqlite3; do
	command -v "$need" >/dev/null || { not_ok "$need is installed (make deps)"; finish; exit 1; }
done
[ -n "$PY" ] || { not_ok "python3-aiosmtpd is installed (make deps)"; finish; exit 1; }

DB=$TMP/t.db
CONF=$TMP/empty.conf
: >"$CONF"
tm() { "$TAPMEET" --db "$DB" --config "$CONF" "$@"; }
checker() { "$PY" "$HERE/followup_check.py" "$@"; }

# --- the log: a registry with hostile names, meetings as the station stores them

{ "$PY" "$ROOT/tests/cli/schema.py" "$ROOT/store/schema.c"; echo "PRAGMA journal_mode = WAL;"; } |
	sqlite3 "$DB" >/dev/null
checker data "$TMP/attendees.csv" "$TMP/newline.csv" "$TMP/meetings.sql"
sqlite3 "$DB" <"$TMP/meetings.sql"
check "attendees import the registry (consent column)" tm attendees import "$TMP/attendees.csv" >/dev/null
if tm attendees import "$TMP/newline.csv" >/dev/null 2>&1; then
	ok "a name holding a newline is imported (and must not inject a header)"
else
	echo "# the importer refuses a newline in a name: that case is not sent"
fi
# Until the importer reads a consent column, set it from the file.
if [ "$(sql "SELECT count(*) FROM attendees WHERE consent = 1")" = 0 ]; then
	echo "# consent not imported: set from the file with sqlite3"
	sql "UPDATE attendees SET consent = 1 WHERE uid IN ($(awk -F, 'NR > 1 && $NF ~ /yes/ { gsub(/"/, "", $1); printf "%s\x27%s\x27", sep, $1; sep = "," }' "$TMP/attendees.csv"))"
fi
check "consent is stored for those who said yes" sql_is 14 "SELECT count(*) FROM attendees WHERE consent = 1"

# --- the template ---------------------------------------------------------------------

check "the built-in template is etc/followup.txt" cmp <(tm followup --show-template) "$ROOT/etc/followup.txt"
printf 'Subject: Hello {name}\nFrom: Org <org@example.org>\n\nHi {name}, {peple}\nand {nmae}\n' >"$TMP/bad.txt"
tm followup --template "$TMP/bad.txt" --out "$TMP/never" >"$TMP/out" 2>"$TMP/err"
rc=$?
check "an unknown placeholder is an error (exit 2)" test "$rc" = 2
check "... reported as FILE:LINE for each" grep -qx "$TMP/bad.txt:4: unknown placeholder {peple}.*" "$TMP/err"
check "... on its own line" grep -q "^$TMP/bad.txt:5: unknown placeholder {nmae}" "$TMP/err"
check "... before anything is written" test ! -e "$TMP/never"
printf 'Subject: {people}\nFrom: nobody\n\nbody\n' >"$TMP/bad2.txt"
tm followup --template "$TMP/bad2.txt" --out "$TMP/never" 2>"$TMP/err"
check "the listing in the Subject and a From without an address are errors" \
	grep -c "^$TMP/bad2.txt:[12]: " "$TMP/err" | grep -qx 2
printf 'Subject: {name}, your people at {event} {{literally}}\nReply-To: "Org, Team" <team@example.org>\n\n{name}: {count} people, {meetings} meetings at {event}\n{people}\n' >"$TMP/tpl.txt"

# --- the dry run ----------------------------------------------------------------------

tm followup --out "$TMP/dry" --template "$TMP/tpl.txt" --event "Conf ü 2026" >"$TMP/out" 2>"$TMP/err"
rc=$?
check "the dry run succeeds" test "$rc" = 0 || cat "$TMP/err"
check "... quietly when piped: no progress line" test ! -s "$TMP/err"
check "... with a summary line" grep -q "^followup: 22 messages written to $TMP/dry, 1 without an e-mail address, 0 failed" "$TMP/out"
check "... one .eml per recipient with an address" test "$(ls "$TMP/dry" | grep -c '\.eml$')" = 22
csv_rows() { "$PY" -c 'import csv, sys; print(len(list(csv.reader(open(sys.argv[1], newline="")))) - 1)' "$1"; }
check "... the manifest lists everyone who met someone (RFC 4180 rows)" test "$(csv_rows "$TMP/dry/manifest.csv")" = 23
check "... the one without an address as 'no e-mail'" grep -q '^F0000008,No Mail,,[0-9]*,,no e-mail$' "$TMP/dry/manifest.csv"
check "... header uid,name,email,meetings,file,status" test "$(head -1 "$TMP/dry/manifest.csv")" = "uid,name,email,meetings,file,status"
check "dry-run messages parse and say the right things to the right people" \
	checker check "$DB" "$TMP/dry" --name-in-subject
check "the database was opened read-only: no followups recorded" sql_is 0 "SELECT count(*) FROM followups"
"$PY" - "$TMP/dry" "$DB" <<'PY' >"$TMP/tplcheck" 2>&1
import email, email.policy, glob, sqlite3, sys
d, db = sys.argv[1:3]
m = email.message_from_bytes(open(d + "/F0000000.eml", "rb").read(), policy=email.policy.default)
assert m["Subject"] == "Ada Lovelace, your people at Conf ü 2026 {literally}", m["Subject"]
assert m["Reply-To"].addresses[0].display_name == "Org, Team", m["Reply-To"]
body = m.get_body(preferencelist=("plain",)).get_content()
first = body.splitlines()[0]
con = sqlite3.connect(db)
people, = con.execute("SELECT count(DISTINCT o.uid) FROM meeting_badges me JOIN meetings mt ON mt.id = me.meeting_id JOIN meeting_badges o ON o.meeting_id = me.meeting_id AND o.uid <> me.uid WHERE me.uid = 'F0000000' AND mt.suspect IS NULL").fetchone()
meetings, = con.execute("SELECT count(*) FROM meeting_badges me JOIN meetings mt ON mt.id = me.meeting_id WHERE me.uid = 'F0000000' AND mt.suspect IS NULL").fetchone()
want = "Ada Lovelace: %d people, %d meetings at Conf ü 2026" % (people, meetings)
assert first == want, (first, want)
PY
check "Subject, Reply-To and {count} {meetings} as the template says" test ! -s "$TMP/tplcheck" || cat "$TMP/tplcheck"
if command -v script >/dev/null; then
	script -qec "$(printf '%q ' "$TAPMEET" --db "$DB" --config "$CONF" followup --out "$TMP/dry-tty")" /dev/null >"$TMP/tty" 2>&1
	check "on a terminal, one progress line kept current" grep -q $'\rwritten 22/22\r' "$TMP/tty"
fi
tm followup --out "$TMP/dry-s" --include-suspect >/dev/null 2>&1
check "--include-suspect: the attendee met only in suspect meetings gets one too" test -f "$TMP/dry-s/F0000017.eml"
check "... and every message matches the meetings, suspect ones included" checker check "$DB" "$TMP/dry-s" --include-suspect
cp "$DB" "$TMP/bad-address.db"
sqlite3 "$TMP/bad-address.db" "UPDATE attendees SET email = '-oQ/tmp/x@example.org' WHERE uid = 'F0000010'"
"$TAPMEET" --db "$TMP/bad-address.db" --config "$CONF" followup --out "$TMP/dry-bad" >/dev/null 2>&1
rc=$?
check "an address sendmail could take for an option is refused (exit 2, the others written)" \
	test "$rc" = 2 -a "$(ls "$TMP/dry-bad" | grep -c '\.eml$')" = 21
check "... and says so in the manifest" grep -q '^F0000010,.*,failed: not a valid e-mail address$' "$TMP/dry-bad/manifest.csv"

# --- sending: a real SMTP server, msmtp as sendmail -----------------------------------

MAIL=$TMP/received
mkdir -p "$MAIL"
SMTPD_PID=
start_smtpd() { # start_smtpd [--accept N]
	rm -f "$TMP/port"
	"$PY" "$HERE/followup_smtpd.py" "$MAIL" "$TMP/port" "$@" 2>>"$TMP/smtpd.err" &
	SMTPD_PID=$!
	PIDS+=("$SMTPD_PID")
	wait_for 20 test -s "$TMP/port" || return 1
	cat >"$TMP/msmtprc" <<RC
account default
host 127.0.0.1
port $(cat "$TMP/port")
auth off
tls off
from organisers@example.org
RC
	chmod 600 "$TMP/msmtprc"
}
# The sendmail interface: msmtp, and before it the number of recorded
# follow-ups, to show each record is committed before the next hand-off,
# and a heartbeat as a station still running writes it, so that the log
# moves on while tapmeet walks it.
cat >"$TMP/sendmail" <<SH
#!/bin/bash
sqlite3 -cmd '.timeout 5000' "$DB" "SELECT count(*) FROM followups" >>"$TMP/recorded-before"
sqlite3 -cmd '.timeout 5000' "$DB" "UPDATE stations SET heartbeat_utc = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = 'hall'"
exec msmtp -C "$TMP/msmtprc" "\$@"
SH
chmod +x "$TMP/sendmail"
send_run() { tm followup --send --sendmail "$TMP/sendmail" --from "Org Team <organisers@example.org>" --out "$TMP/sent" "$@"; }
received() { ls "$MAIL" | grep -c '\.eml$'; }

check "--send without a From is refused" bash -c "! $(printf %q "$TAPMEET") --db $(printf %q "$DB") --config $(printf %q "$CONF") followup --send --sendmail /bin/false --out $(printf %q "$TMP/x") 2>/dev/null"
check "SMTP server on 127.0.0.1 (dies at its 6th message)" start_smtpd --accept 5
send_run >"$TMP/out" 2>"$TMP/err"
rc=$?
check "a run whose mail server dies halfway fails (exit 2)" test "$rc" = 2
check "... after the 5 messages the server took" test "$(received)" = 5
check "... says which attendee and how many were sent" grep -q "^tapmeet: sending to .* failed: .*; 5 sent in this run; stopping here" "$TMP/err"
check "... and records exactly those 5" sql_is 5 "SELECT count(*) FROM followups"
check "... the manifest: 5 sent, 1 failed" test "$(grep -c ',sent$' "$TMP/sent/manifest.csv"),$(grep -c ',failed: ' "$TMP/sent/manifest.csv")" = 5,1
# It died at the next message; had it not, it must not take more.
kill "$SMTPD_PID" 2>/dev/null
wait "$SMTPD_PID" 2>/dev/null
check "SMTP server again" start_smtpd
send_run >"$TMP/out" 2>"$TMP/err"
rc=$?
check "the rerun finishes (exit 0)" test "$rc" = 0 || cat "$TMP/err"
check "... and skips the 5 already sent" grep -q "^followup: 17 sent, 5 already sent, 1 without an e-mail address, 0 failed" "$TMP/out"
check "every attendee received exactly one message over both server runs" test "$(received)" = 22
check "... each parses, lists exactly the people met, leaks nothing, Message-ID recorded" \
	checker check "$DB" "$MAIL" --sent
check "Message-IDs are unique" test "$(cat "$MAIL"/*.eml | grep -ic '^message-id:' )" = "$(cat "$MAIL"/*.eml | grep -i '^message-id:' | sort -u | wc -l)"
check "each record was committed before the next message was handed over" \
	test "$(tr '\n' ' ' <"$TMP/recorded-before")" = "$(seq -s ' ' 0 5) $(seq -s ' ' 5 21) "
check "the dry run's Message-IDs are those sent (stable per database and recipient)" \
	bash -c "diff <(grep -h -i '^message-id:' $(printf %q "$TMP/dry")/*.eml | sed 's/@.*//' | sort) <(grep -h -i '^message-id:' $(printf %q "$MAIL")/*.eml | sed 's/@.*//' | sort)"
send_run >"$TMP/out" 2>"$TMP/err"
rc=$?
check "a rerun after completion sends nothing (exit 0)" test "$rc" = 0 -a "$(received)" = 22
check "... every recipient 'already sent'" grep -q "^followup: 0 sent, 22 already sent" "$TMP/out"
id=$(sql "SELECT message_id FROM followups WHERE uid = 'F0000000'")
send_run --resend --only F0000000 >"$TMP/out" 2>"$TMP/err"
check "--resend --only: one more message, with the recorded Message-ID" \
	test "$(received)" = 23 -a "$(grep -l -i "^message-id: <$id>" "$MAIL"/*.eml | wc -l)" = 2
check "... still recorded once" sql_is "1 $id" "SELECT count(*) || ' ' || max(message_id) FROM followups WHERE uid = 'F0000000'"

# Two sending runs at once would both find the same people not yet sent to:
# the second is refused while the first (held up by a slow mail system) runs.
cat >"$TMP/slow-sendmail" <<SH
#!/bin/sh
touch "$TMP/first-is-sending"
sleep 3
exec "$TMP/sendmail" "\$@"
SH
chmod +x "$TMP/slow-sendmail"
rm -f "$TMP/first-is-sending"
tm followup --send --resend --only F0000001 --sendmail "$TMP/slow-sendmail" \
	--from "Org Team <organisers@example.org>" --out "$TMP/slow" >/dev/null 2>&1 &
first=$!
wait_for 10 test -e "$TMP/first-is-sending"
send_run --resend --only F0000002 >"$TMP/out" 2>"$TMP/err"
rc=$?
check "a second --send while one runs is refused (exit 2)" test "$rc" = 2
check "... saying why" grep -q "another 'tapmeet followup --send' is sending from $DB" "$TMP/err"
wait "$first"
check "... and the first one finishes (exit 0)" test "$?" = 0
send_run --resend --only F0000002 >"$TMP/out" 2>"$TMP/err"
check "once it is done, the next one runs" test "$?" = 0

finish
