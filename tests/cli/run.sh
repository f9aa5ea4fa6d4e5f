#!/usr/bin/env bash
# Integration tests of the tapmeet CLI: tests/cli/run.sh BUILD_DIR
# Builds a database with known contents (the schema from store/schema.c, then
# tests/cli/fixture.sql, then `tapmeet attendees import`), runs every
# subcommand in every format and compares with tests/cli/expected/ exactly;
# parses exports back. REGEN=1 rewrites the expected files (review the diff!).
set -euo pipefail

BUILD=${1:?usage: tests/cli/run.sh BUILD_DIR}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
TAPMEET=$(cd "$BUILD" && pwd)/tapmeet
EXP=$HERE/expected
TMP=$(mktemp -d)
BG_PID=
cleanup() {
	if [ -n "$BG_PID" ]; then kill "$BG_PID" 2>/dev/null || true; fi
	rm -rf "$TMP"
}
trap cleanup EXIT

# Local time in tables is tested in a zone an hour ahead of UTC in November;
# "now" is pinned so relative times and heartbeat ages are exact.
export TZ=Europe/Paris
export TAPMEET_NOW_MS=1795780800000 # 2026-11-27T12:00:00Z
export LC_ALL=C.UTF-8

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok - $1"; }
not_ok() {
	failed=$((failed + 1))
	echo "not ok - $1"
	if [ -n "${2:-}" ]; then sed 's/^/#   /' <<<"$2"; fi
}

DB=$TMP/tapmeet.db
CONF=$TMP/empty.conf
: >"$CONF"
tm() { "$TAPMEET" --db "$DB" --config "$CONF" "$@"; }

new_db() { # new_db PATH: the schema, in WAL mode like the daemon's
	{ python3 "$HERE/schema.py" "$ROOT/store/schema.c"; echo "PRAGMA journal_mode = WAL;"; } |
		sqlite3 "$1" >/dev/null
}

# expect NAME EXIT_CODE COMMAND...: stdout must equal expected/NAME.out,
# stderr expected/NAME.err when that file exists, and the exit code match.
expect() {
	local name=$1 code=$2 rc=0
	shift 2
	"$@" >"$TMP/out" 2>"$TMP/err.raw" || rc=$?
	# Messages name the temporary directory: make them comparable.
	sed "s|$TMP|TMPDIR|g" "$TMP/err.raw" >"$TMP/err"
	if [ "${REGEN:-}" = 1 ]; then
		mkdir -p "$EXP"
		cp "$TMP/out" "$EXP/$name.out"
		if [ -s "$TMP/err" ]; then cp "$TMP/err" "$EXP/$name.err"; fi
	fi
	if [ "$rc" != "$code" ]; then
		not_ok "$name: exit $rc, expected $code" "$(cat "$TMP/err")"
	elif ! diff -u "$EXP/$name.out" "$TMP/out" >"$TMP/diff" 2>&1; then
		not_ok "$name: output differs" "$(cat "$TMP/diff")"
	elif [ -f "$EXP/$name.err" ] && ! diff -u "$EXP/$name.err" "$TMP/err" >"$TMP/diff" 2>&1; then
		not_ok "$name: messages differ" "$(cat "$TMP/diff")"
	else
		ok "$name"
	fi
}

# check NAME COMMAND...: passes when the command succeeds.
check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then ok "$name"; else not_ok "$name" "$out"; fi
}

sql() { sqlite3 "$DB" "$@"; }

# ---------------------------------------------------------------- fixture
new_db "$DB"
sqlite3 "$DB" <"$HERE/fixture.sql"
cp "$HERE/data/attendees.csv" "$TMP/attendees.csv"
cp "$HERE/data/bad.csv" "$TMP/bad.csv"
cd "$TMP"

# ---------------------------------------------------------------- attendees
expect attendees-import 0 tm attendees import attendees.csv
expect attendees-import-again 0 tm attendees import attendees.csv
sed 's/Eve Adams/Eve Adams-Smith/' attendees.csv >changed.csv
expect attendees-import-update 0 tm attendees import changed.csv
expect attendees-import-back 0 tm attendees import attendees.csv
expect attendees-import-bad 2 tm attendees import bad.csv
check "bad import wrote nothing" test "$(sql 'SELECT count(*) FROM attendees')" = 7
expect attendees-import-missing 2 tm attendees import no-such.csv
printf 'name,org\nX,Y\n' >nouid.csv
expect attendees-import-nouid 2 tm attendees import nouid.csv
expect attendees-list 0 tm attendees list
expect attendees-list-csv 0 tm attendees list --format csv
expect attendees-list-json 0 tm --format json attendees list

# ---------------------------------------------------------------- attendee files as organizers have them
# A registry of its own, so the fixture above stays as it is.
RDB=$TMP/registry.db
new_db "$RDB"
tmr() { "$TAPMEET" --db "$RDB" --config "$CONF" "$@"; }
registry() { sqlite3 "$RDB" "$@"; }
cp "$HERE/data/organizers.csv" organizers.csv
# ';'-separated, headers as a registration system names them, first and
# last name, UIDs with spaces and dashes, spaces around values, consent as
# Ja/nein/empty/TRUE, a phone's random UID (imported, with a warning).
expect registry-organizers 0 tmr attendees import organizers.csv
expect registry-organizers-list 0 tmr attendees list --format csv
check "registry: the random UID is imported" test "$(registry "SELECT name FROM attendees WHERE uid = '08123456'")" = "Phone Badge"
# A file without the org, e-mail, handle and consent columns leaves them alone.
printf 'uid,name\n04:fc:ac:e9,Ada King\n' >names-only.csv
expect registry-names-only 0 tmr attendees import names-only.csv
check "registry: a missing column leaves the stored values alone" \
	test "$(registry "SELECT name, org, handle, email, consent FROM attendees WHERE uid = '04FCACE9'")" = "Ada King|Analytical Engines|@ada|ada@example.org|1"
printf 'uid\tname\temail\r\n04FCACEC\tAlan Turing\talan@example.org\r\n' >tabs.txt
expect registry-tabs 0 tmr attendees import tabs.txt
printf 'uid,name\r04FCACED,Edsger Dijkstra\r04FCACEE,"Barbara\rLiskov"\r' >old-mac.csv
expect registry-cr-only 0 tmr attendees import old-mac.csv
check "registry: CR-only line ends" test "$(registry "SELECT count(*) FROM attendees WHERE uid IN ('04FCACED', '04FCACEE')")" = 2
# Excel's "Unicode text": UTF-16 with a byte order mark; and one without.
{ printf '\xff\xfe'; printf 'uid\tname\r\n04FCACEF\tKaren Spärck Jones\r\n' | iconv -f UTF-8 -t UTF-16LE; } >unicode-text.txt
expect registry-utf16le 2 tmr attendees import unicode-text.txt
printf 'uid,name\r\n04FCACEF,Karen Spärck Jones\r\n' | iconv -f UTF-8 -t UTF-16BE >utf16be.csv
expect registry-utf16be 2 tmr attendees import utf16be.csv
printf 'uid|name\n04FCACF0|Mary Jackson\n' >pipes.csv
expect registry-no-delimiter 2 tmr attendees import pipes.csv
printf 'uid,name,opt-in\n04FCACF0,Mary Jackson,maybe\n04FCACF1,Dorothy Vaughan,oui\n' >maybe.csv
expect registry-bad-consent 2 tmr attendees import maybe.csv
printf 'uid,name,email,E-Mail\n04FCACF0,Mary Jackson,a@example.org,b@example.org\n' >two-emails.csv
expect registry-two-email-columns 2 tmr attendees import two-emails.csv
printf 'name,E-Mail,Company\nMary Jackson,mary@example.org,NASA\n' >no-uid.csv
expect registry-no-uid 2 tmr attendees import no-uid.csv
printf 'uid;Name;Soci\xe9t\xe9\r\n04FCACF0;M\xfcller;Caf\xe9\r\n' >windows-1252.csv
expect registry-not-utf8 2 tmr attendees import windows-1252.csv
# A duplicate far from the first: found, with both lines named.
python3 -c 'print("uid,name")
for i in range(20000): print("04%012X,Attendee %d" % (i, i))
print("04%012X,Late Duplicate" % 17)' >far.csv
expect registry-duplicate-far 2 tmr attendees import far.csv
check "registry: nothing imported from the bad files" test "$(registry 'SELECT count(*) FROM attendees')" = 7

# ---------------------------------------------------------------- meetings
expect meetings 0 tm meetings
expect meetings-csv 0 tm meetings --format csv
expect meetings-json 0 tm meetings --format json
expect meetings-ndjson 0 tm meetings --format ndjson
expect meetings-since-until 0 tm meetings --since 2026-11-26T10:20 --until 2026-11-26
expect meetings-since-utc 0 tm meetings --since 2026-11-26T10:00:00Z --format csv
expect meetings-relative 0 tm meetings --since 1d --format csv
expect meetings-today 0 tm meetings --since today --format csv
expect meetings-yesterday 0 tm meetings --since yesterday --until yesterday --format csv
expect meetings-badge 0 tm meetings --badge 0a:0b:0c:0d --format csv
expect meetings-person 0 tm meetings --person 'chloé dubois' --format csv
expect meetings-station-limit 0 tm meetings --station hall --limit 2 --format csv
expect meetings-empty-json 0 tm meetings --station nowhere --format json
expect meetings-suspect 0 tm meetings --suspect
expect meetings-suspect-csv 0 tm meetings --suspect --format csv
expect meetings-suspect-limit 0 tm meetings --suspect --limit 1 --format csv
expect meetings-suspect-person 0 tm meetings --suspect --person bob --format json
expect meetings-bad-since 1 tm meetings --since tomorrowish
expect meetings-bad-badge 1 tm meetings --badge 123
check "meetings json contract" python3 - "$EXP/meetings-json.out" <<'PY'
import json, re, sys
rows = json.load(open(sys.argv[1]))
assert len(rows) == 5
for r in rows:
    assert isinstance(r["id"], str) and isinstance(r["station"], str)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", r["time"]), r["time"]
    b = r["badges"]
    assert b == sorted(b) and len(b) >= 2
    assert all(re.fullmatch(r"[0-9A-F]{8}|[0-9A-F]{14}|[0-9A-F]{20}", u) for u in b)
    assert isinstance(r["suspect"], str)
assert {r["id"]: r["suspect"] for r in rows if r["suspect"]} == {
    "hall:m2": "partner came 5.1 s after the first tap",
    "hall:m3": "second badge 7.9 s later, as the window closed"}
PY
check "meetings --suspect lists exactly the suspect ones" python3 - "$EXP/meetings-suspect-csv.out" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
assert [r["id"] for r in rows] == ["hall:m2", "hall:m3"], rows
assert rows[1]["suspect"] == "second badge 7.9 s later, as the window closed"
PY

# ---------------------------------------------------------------- people, person
expect people 0 tm people
expect people-json 0 tm people --format json
expect person 0 tm person alice
expect person-uid-ndjson 0 tm person 0A0B0C0D --format ndjson
expect person-ambiguous 2 tm person lee
expect person-unknown 2 tm person nobody
expect person-exact-wins 0 tm person 'ann lee' --format csv
expect person-suspect-json 0 tm person bob --format json

# ---------------------------------------------------------------- stats
expect stats 0 tm stats
expect stats-json 0 tm stats --format json
expect stats-csv 0 tm stats --format csv
check "stats json figures" python3 - "$EXP/stats-json.out" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
assert s["taps"] == 15 and s["meetings"] == 5 and s["stations"] == 3
assert s["suspect_meetings"] == 2, s
assert s["taps_by_outcome"] == {"paired": 11, "unpaired": 1, "cancelled": 1,
                                "duplicate": 1, "rejected": 1, "pending": 0}
assert s["attendees_seen"] == 8 + 0 and s["met_someone"] == 6, s
assert sum(h["meetings"] for h in s["meetings_per_hour"]) == 5
assert s["busiest_stations"][0] == {"station": "hall", "meetings": 3}
PY

# ---------------------------------------------------------------- status
expect status 3 tm status
expect status-hall 0 tm status --station hall --format json
expect status-bar 0 tm status --station bar --format csv
expect status-bar 4 tm status --station bar --format csv --strict
expect status-none 3 tm status --station nowhere

# ---------------------------------------------------------------- tail
expect tail 0 tm tail -n 2
expect tail-ndjson 0 tm tail -n 1 --format ndjson
# exec, so that $! is tapmeet itself and the kill below reaches it.
(exec "$TAPMEET" --db "$DB" --config "$CONF" tail -f -n 0 --format json) >tail.out 2>tail.err &
BG_PID=$!
sleep 0.5
# One transaction, as the daemon writes a meeting.
sql "BEGIN; INSERT INTO meetings VALUES ('bar:m1', 'bar', 1, '2026-11-27T11:30:00.000Z', 1795779000000, 1, 'b3', 10, 2, NULL);
     INSERT INTO meeting_badges VALUES ('bar:m1', '55667788'), ('bar:m1', '99AABBCC'); COMMIT;"
for _ in $(seq 50); do [ -s tail.out ] && break; sleep 0.1; done
kill "$BG_PID" 2>/dev/null || true
wait "$BG_PID" 2>/dev/null || true
BG_PID=
want='{"id":"bar:m1","time":"2026-11-27T11:30:00.000Z","station":"bar","badges":["55667788","99AABBCC"],"names":["Eve Adams","Ann Lee"],"suspect":""}'
if [ "$(cat tail.out)" = "$want" ]; then ok "tail -f shows a new meeting"; else
	not_ok "tail -f shows a new meeting" "$(cat tail.out tail.err)"; fi
sql "DELETE FROM meeting_badges WHERE meeting_id = 'bar:m1'; DELETE FROM meetings WHERE id = 'bar:m1';"

# ---------------------------------------------------------------- exports
expect export-csv 0 tm export csv
expect export-tij 0 tm export tij
expect export-dot 0 tm export dot
expect export-tij-include-suspect 0 tm export tij --include-suspect
expect export-contacts 0 tm export contacts alice
expect export-contacts-include-suspect 0 tm export contacts alice --include-suspect
expect export-contacts-json 0 tm export contacts alice --format json
expect export-contacts-vcard 0 tm export contacts alice --format vcard
expect export-contacts-vcard-all 0 tm export contacts alice --include-suspect --format vcard
expect export-unknown 1 tm export pajek
expect export-gexf-include-suspect 1 tm export gexf --include-suspect
check "export contacts: met only in suspect meetings is no contact" python3 - "$EXP" <<'PY'
import csv, json, os, sys
exp = sys.argv[1]
rows = list(csv.DictReader(open(os.path.join(exp, "export-contacts.out"), newline="")))
assert [(r["uid"], r["meetings"], r["suspect_meetings"]) for r in rows] == [("0A0B0C0D", "1", "0")], rows
assert rows[0]["last_met"] == "2026-11-26T09:00:00.000Z", rows
assert [r["uid"] for r in json.load(open(os.path.join(exp, "export-contacts-json.out")))] == ["0A0B0C0D"]
rows = list(csv.DictReader(open(os.path.join(exp, "export-contacts-include-suspect.out"), newline="")))
assert {r["uid"]: (r["meetings"], r["suspect_meetings"]) for r in rows} == {
    "0A0B0C0D": ("2", "1"), "11223344": ("1", "1"), "DEADBEEF": ("1", "1")}, rows
vcf = open(os.path.join(exp, "export-contacts-vcard.out"), "rb").read()
assert vcf.count(b"BEGIN:VCARD") == 1 and b"Chlo" not in vcf and b"suspect" not in vcf
PY
check "export contacts: e-mail and handle only of those who consented" python3 - "$EXP" <<'PY'
import csv, json, os, sys
exp = sys.argv[1]
rows = {r["uid"]: r for r in csv.DictReader(
    open(os.path.join(exp, "export-contacts-include-suspect.out"), newline=""))}
# Bob said yes; Chloé said no; DEADBEEF is not registered. A handle starts
# with @, which CSV writes as '@ so that a spreadsheet takes it for text.
assert (rows["0A0B0C0D"]["email"], rows["0A0B0C0D"]["handle"]) == ("bob@example.org", "'@bob"), rows
assert rows["11223344"]["name"] == "Chloé Dubois" and rows["11223344"]["org"] == "Université de Nice"
assert (rows["11223344"]["email"], rows["11223344"]["handle"]) == ("", ""), rows
assert json.load(open(os.path.join(exp, "export-contacts-json.out")))[0]["email"] == "bob@example.org"
vcf = open(os.path.join(exp, "export-contacts-vcard-all.out"), "rb").read()
assert b"bob@example.org" in vcf and b"chloe@example.fr" not in vcf, vcf
PY
check "export tij: suspect meetings only with --include-suspect" python3 - "$EXP" <<'PY'
import os, sys
exp = sys.argv[1]
def pairs(name):
    return [tuple(l.split()) for l in open(os.path.join(exp, name))]
plain, every = pairs("export-tij.out"), pairs("export-tij-include-suspect.out")
assert len(plain) == 3 and len(every) == 7, (plain, every)
assert not any("DEADBEEF" in p for p in plain)
assert set(plain) < set(every)
PY
tm export gexf >net.gexf
tm export graphml >net.graphml
check "gexf valid against tests/cli/schemas (subset XSD, see README)" \
	xmllint --noout --schema "$HERE/schemas/gexf-1.2draft-subset.xsd" net.gexf
check "graphml valid against tests/cli/schemas (subset XSD, see README)" \
	xmllint --noout --schema "$HERE/schemas/graphml-1.0-subset.xsd" net.graphml
check "gexf and graphml parse back (xml.etree): 8 nodes, 6 edges, weights" python3 - <<'PY'
import xml.etree.ElementTree as ET
want = {("04A1B2C3D4E5F6", "0A0B0C0D"): 2, ("04A1B2C3D4E5F6", "11223344"): 1,
        ("04A1B2C3D4E5F6", "DEADBEEF"): 1, ("11223344", "DEADBEEF"): 1,
        ("0102030405060708090A", "0A0B0C0D"): 1, ("11223344", "55667788"): 1}
g = ET.parse("net.gexf").getroot()
ns = {"g": "http://www.gexf.net/1.2draft"}
nodes = {n.get("id"): n.get("label") for n in g.iterfind(".//g:node", ns)}
assert len(nodes) == 8, nodes
assert nodes["0102030405060708090A"] == "Dan \"The Man\" O'Neil"
assert nodes["DEADBEEF"] == "DEADBEEF"
edges = {(e.get("source"), e.get("target")): int(e.get("weight")) for e in g.iterfind(".//g:edge", ns)}
assert edges == want, edges
# Suspect meetings stay in the network, counted on their edges.
suspect = {("04A1B2C3D4E5F6", "0A0B0C0D"): 1, ("04A1B2C3D4E5F6", "11223344"): 1,
           ("04A1B2C3D4E5F6", "DEADBEEF"): 1, ("11223344", "DEADBEEF"): 1,
           ("0102030405060708090A", "0A0B0C0D"): 0, ("11223344", "55667788"): 0}
marks = {(e.get("source"), e.get("target")):
         int(e.find("g:attvalues/g:attvalue[@for='suspect']", ns).get("value"))
         for e in g.iterfind(".//g:edge", ns)}
assert marks == suspect, marks
g = ET.parse("net.graphml").getroot()
ns = {"g": "http://graphml.graphdrawing.org/xmlns"}
assert len(g.findall(".//g:node", ns)) == 8
edges = {(e.get("source"), e.get("target")): int(e.find("g:data[@key='weight']", ns).text)
         for e in g.iterfind(".//g:edge", ns)}
assert edges == want, edges
marks = {(e.get("source"), e.get("target")): int(e.find("g:data[@key='suspect']", ns).text)
         for e in g.iterfind(".//g:edge", ns)}
assert marks == suspect, marks
PY
check "export csv and dot mark suspect edges" python3 - "$EXP" <<'PY'
import csv, os, sys
exp = sys.argv[1]
rows = list(csv.DictReader(open(os.path.join(exp, "export-csv.out"), newline="")))
assert {(r["source"], r["target"]): (r["weight"], r["suspect"]) for r in rows
        if r["suspect"] != "0"} == {("04A1B2C3D4E5F6", "0A0B0C0D"): ("2", "1"),
                                    ("04A1B2C3D4E5F6", "11223344"): ("1", "1"),
                                    ("04A1B2C3D4E5F6", "DEADBEEF"): ("1", "1"),
                                    ("11223344", "DEADBEEF"): ("1", "1")}, rows
dot = open(os.path.join(exp, "export-dot.out")).read()
assert '"04A1B2C3D4E5F6" -- "0A0B0C0D" [weight=2, suspect=1];' in dot, dot
assert '"11223344" -- "DEADBEEF" [weight=1, suspect=1, style=dashed];' in dot, dot
assert '"11223344" -- "55667788" [weight=1];' in dot, dot
PY
if python3 -c 'import networkx' 2>/dev/null; then
	check "networkx reads gexf and graphml" python3 - <<'PY'
import networkx as nx
for g in (nx.read_gexf("net.gexf"), nx.read_graphml("net.graphml")):
    assert g.number_of_nodes() == 8 and g.number_of_edges() == 6
    assert float(g["04A1B2C3D4E5F6"]["0A0B0C0D"]["weight"]) == 2.0
    assert int(g["04A1B2C3D4E5F6"]["0A0B0C0D"]["suspect"]) == 1
    assert int(g["11223344"]["55667788"]["suspect"]) == 0
    assert sum(float(d["weight"]) for _, _, d in g.edges(data=True)) == 7
PY
else
	echo "# networkx not installed (python3-networkx): skipping the networkx read-back"
fi
check "vcard line rules" python3 - "$EXP/export-contacts-vcard-all.out" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
assert data.endswith(b"\r\n") and b"\n" not in data.replace(b"\r\n", b"")
lines = data[:-2].split(b"\r\n")
assert all(len(l) <= 75 for l in lines), [l for l in lines if len(l) > 75]
unfolded = []
for l in lines:
    if l.startswith(b" "):
        unfolded[-1] += l[1:]
    else:
        unfolded.append(l)
cards, cur = [], None
for l in unfolded:
    l.decode("utf-8")
    if l == b"BEGIN:VCARD":
        assert cur is None; cur = []
    elif l == b"END:VCARD":
        cards.append(cur); cur = None
    else:
        cur.append(l)
assert cur is None and len(cards) == 3
for c in cards:
    assert c[0] == b"VERSION:4.0"
    assert any(l.startswith(b"FN:") for l in c)
assert any(l == b"ORG:Widgets\\, Inc." for l in cards[0])
assert any(len(l) > 75 for l in lines) or any(len(l) > 75 for l in unfolded)
# With --include-suspect the card itself says so.
assert any(l.startswith(b"NOTE:") and b"1 of them recorded as suspect" in l for l in cards[0]), cards[0]
PY

# ---------------------------------------------------------------- errors, help
expect err-no-db 2 "$TAPMEET" --config "$CONF" --db /nonexistent/tapmeet.db meetings
expect err-no-command 1 tm
expect err-unknown-command 1 tm frobnicate
expect err-bad-format 1 tm meetings --format xml
printf 'not sqlite' >junk.db
expect err-not-db 2 "$TAPMEET" --config "$CONF" --db junk.db meetings
for cmd in meetings people person stats tail status attendees export forget; do
	if tm "$cmd" --help | grep "^usage: tapmeet $cmd" >/dev/null; then ok "$cmd --help"; else
		not_ok "$cmd --help"; fi
done

# ---------------------------------------------------------------- names in every script
# Lookups fold case and normalise in any script (SQLite's NOCASE folds
# ASCII only); terminal tables align by display width and never carry a
# control character or a newline from the data.
UDB=$TMP/unicode.db
new_db "$UDB"
printf 'uid,name,org\n04000001,Zoë Ångström,Uppsala\n04000002,Jürgen Groß,Köln\n04000003,Дмитрий Шостакович,Москва\n04000004,山田太郎,東京\n04000005,"Eve\x1b[31m Red\nLine",Evil\n' >unicode.csv
tmu() { "$TAPMEET" --db "$UDB" --config "$CONF" "$@"; }
check "unicode: registry imported" tmu attendees import unicode.csv
sqlite3 "$UDB" "INSERT INTO meetings VALUES ('u:m1','u',1,'2026-11-26T10:00:00.000Z',1795687200000,1,'b',1,2,NULL);
INSERT INTO meeting_badges VALUES ('u:m1','04000001'),('u:m1','04000004');
INSERT INTO meetings VALUES ('u:m2','u',2,'2026-11-26T10:05:00.000Z',1795687500000,1,'b',2,2,NULL);
INSERT INTO meeting_badges VALUES ('u:m2','04000002'),('u:m2','04000005');
INSERT INTO meetings VALUES ('u:m3','u',3,'2026-11-26T10:06:00.000Z',1795687560000,1,'b',3,2,NULL);
INSERT INTO meeting_badges VALUES ('u:m3','04000003'),('u:m3','04000001');"
for q in 'zoë ångström:04000004' 'ZOË ÅNGSTRÖM:04000004' 'JÜRGEN GROSS:04000005' 'jürgen groß:04000005' \
	'дмитрий шостакович:04000001' 'ДМИТРИЙ:04000001' '山田:04000001'; do
	name=${q%:*}
	want=${q##*:}
	check "unicode: person '$name' is found" sh -c "'$TAPMEET' --db '$UDB' --config '$CONF' person '$name' --format csv | grep -q ',$want,'"
done
check "unicode: meetings --person in another script" sh -c "'$TAPMEET' --db '$UDB' --config '$CONF' meetings --person 'дмитрий шостакович' --format csv | grep -q '^u:m3,'"
check "unicode: forget finds the name (preview)" sh -c "'$TAPMEET' --db '$UDB' --config '$CONF' forget 'zoë ångström' 2>&1 | grep -q 'Zoë Ångström (04000001)'"
# A table on a terminal (script(1) gives tapmeet a pty): each row's columns
# start at the same display column, whatever the script, and nothing from
# the data reaches the terminal as a control character.
COLUMNS=200 script -qec "'$TAPMEET' --db '$UDB' --config '$CONF' people" /dev/null >people.tty 2>&1
check "unicode: table rows align by display width" python3 - people.tty <<'PY'
import sys, unicodedata
def width(s):
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
lines = [l.rstrip("\r\n") for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
col = width(lines[0][:lines[0].index("meetings")])
for l in lines[1:]:
    assert "\x1b" not in l and "\x07" not in l, repr(l)
    # the meetings figure starts at the header's display column
    at = [i for i in range(len(l)) if width(l[:i]) == col]
    assert at and l[at[0]].isdigit() and l[at[0] - 1] == " ", (col, l)
assert len(lines) == 6, lines
PY
check "unicode: no raw newline inside a cell when piped" sh -c "test \$('$TAPMEET' --db '$UDB' --config '$CONF' people | wc -l) -eq 6"
check "unicode: json keeps the name intact" sh -c "'$TAPMEET' --db '$UDB' --config '$CONF' attendees list --format json | python3 -c 'import json,sys; n=[a[\"name\"] for a in json.load(sys.stdin)]; assert \"Eve\\x1b[31m Red\\nLine\" in n, n'"
check "export contacts --format json before the command" sh -c "'$TAPMEET' --db '$UDB' --config '$CONF' --format json export contacts 04000001 | python3 -c 'import json,sys; r=json.load(sys.stdin); assert sorted(x[\"uid\"] for x in r)==[\"04000003\",\"04000004\"], r'"

# ---------------------------------------------------------------- privacy
printf '[privacy]\nuid_key = correct horse battery staple\n' >priv.conf
PDB=$TMP/priv.db
new_db "$PDB"
expect privacy-import 0 "$TAPMEET" --config priv.conf --db "$PDB" attendees import attendees.csv
want=$(python3 -c 'import hmac, hashlib; print(hmac.new(b"correct horse battery staple", b"04A1B2C3D4E5F6", hashlib.sha256).hexdigest()[:20].upper())')
check "privacy: stored UID is HMAC-SHA-256 truncated" \
	test "$(sqlite3 "$PDB" "SELECT uid FROM attendees WHERE name = 'Alice Martin'")" = "$want"
check "privacy: no plain UID in the registry" \
	test "$(sqlite3 "$PDB" "SELECT count(*) FROM attendees WHERE uid = '04A1B2C3D4E5F6'")" = 0
check "privacy: a real UID on the command line finds the pseudonym" \
	sh -c "'$TAPMEET' --config priv.conf --db '$PDB' forget 04A1B2C3D4E5F6 2>&1 | grep 'Alice Martin ($want)' >/dev/null"

# ---------------------------------------------------------------- forget (last: it destroys)
# A follow-up sent to her: her address is personal data too.
sql "INSERT INTO followups VALUES ('04A1B2C3D4E5F6', 'alice.private@example.net', '<1@tapmeet.example>', '2026-11-27T10:00:00.000Z', 3)"
expect forget-refuse 1 tm forget alice
check "forget without --yes removed nothing" test "$(sql 'SELECT count(*) FROM meetings')" = 5
expect forget 0 tm forget 'alice martin' --yes
check "forget: meetings left" test "$(sql 'SELECT group_concat(id) FROM (SELECT id FROM meetings ORDER BY id)')" = "foyer:m1,foyer:m2"
check "forget: other taps unlinked" test "$(sql "SELECT count(*) FROM taps WHERE meeting_id LIKE 'hall:%'")" = 0
check "forget: Bob's taps kept" test "$(sql "SELECT count(*) FROM taps WHERE uid = '0A0B0C0D'")" = 4
check "forget: no trace in the database file" test "$(grep -c -a 04A1B2C3D4E5F6 "$DB" || true)" = 0
check "forget: no trace in the -wal" test "$(cat "$DB-wal" 2>/dev/null | grep -c -a 04A1B2C3D4E5F6 || true)" = 0
check "forget: no trace of the name" test "$(cat "$DB" "$DB-wal" 2>/dev/null | grep -c -a 'Alice Martin' || true)" = 0
check "forget: the follow-up record is gone" test "$(sql 'SELECT count(*) FROM followups')" = 0
check "forget: no trace of the address" test "$(cat "$DB" "$DB-wal" 2>/dev/null | grep -c -a 'alice.private@example.net' || true)" = 0
expect forget-again 2 tm forget 04A1B2C3D4E5F6 --yes

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
