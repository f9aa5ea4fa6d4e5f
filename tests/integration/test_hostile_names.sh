#!/bin/bash
# Names as a registration system or a hostile attendee may write them, put
# straight into the database (as an old import or a merged file could have
# them): escape sequences, BEL and VT, the list separator \x1f, the
# non-characters U+FFFE/U+FFFF, 400 bytes of two-byte characters. Every
# writer must carry or replace what its format cannot, and the terminal
# never receives a control character from data.
set -u
. "$(dirname "$0")/lib.sh"
export TZ=UTC

DB="$TMP/h.db"
printf 'uid,name\n01020304,x\n' >"$TMP/a.csv"
"$TAPMEET" --db "$DB" attendees import "$TMP/a.csv" >/dev/null 2>&1 ||
	{ not_ok "a database to start from"; finish; exit 1; }
sqlite3 "$DB" <"$(dirname "$0")/../cli/fixture.sql"
python3 - "$DB" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
names = {
    "04A1B2C3D4E5F6": "\x1b[31mRed\x1b[0m Alice\x07\x0b",
    "0A0B0C0D": "Bob\x1fSplit",
    "11223344": "Nonchar \ufffe\uffff end",
    "DEADBEEF": "\u00e9" * 200,
    "0102030405060708090A": "Zed",
}
for uid, name in names.items():
    db.execute("INSERT OR REPLACE INTO attendees (uid, name, org, handle, email, consent)"
               " VALUES (?, ?, 'Org\x1b[1m', '@h', 'e@example.org', 1)", (uid, name))
db.commit()
PY

for fmt in gexf graphml; do
	"$TAPMEET" --db "$DB" export "$fmt" >"$TMP/o.$fmt"
	check "$fmt: well-formed XML with U+FFFE/U+FFFF and control characters in names" \
		xmllint --noout "$TMP/o.$fmt"
	check "$fmt: networkx reads it, the non-characters replaced by U+FFFD" \
		python3 -c "import networkx as nx, sys
g = nx.read_$fmt(sys.argv[1])
assert g.nodes['11223344']['label'] == 'Nonchar \ufffd\ufffd end', g.nodes['11223344']
assert g.nodes['DEADBEEF']['label'] == '\u00e9' * 200" "$TMP/o.$fmt"
done

"$TAPMEET" --db "$DB" export contacts 04A1B2C3D4E5F6 --include-suspect --format vcard >"$TMP/o.vcf"
"$TAPMEET" --db "$DB" export contacts DEADBEEF --include-suspect --format vcard >"$TMP/d.vcf"
check "vCard: the 400-byte name is whole in the NOTE, folded between characters" python3 -c "import sys
text = open(sys.argv[1], 'rb').read().decode('utf-8').replace('\r\n ', '')
note = [l for l in text.split('\r\n') if l.startswith('NOTE:')][0]
assert note.startswith('NOTE:Met ' + '\u00e9' * 200 + ' 1 time'), note[:80]" "$TMP/d.vcf"
check "vCard: no control character but CR LF" python3 -c "import sys
d = open(sys.argv[1], 'rb').read()
bad = sorted(set(b for b in d if b < 32 and b not in (10, 13)))
assert not bad, bad
d.decode('utf-8')" "$TMP/o.vcf"

# What reaches a terminal: every listing in its table form.
for cmd in "meetings" "people" "stats" "person 0A0B0C0D" "person 04A1B2C3D4E5F6" \
	"person DEADBEEF" "attendees list" "export contacts 0A0B0C0D --format table"; do
	# shellcheck disable=SC2086
	"$TAPMEET" --db "$DB" $cmd >"$TMP/o.txt" 2>&1
	check "$cmd: no control character reaches the terminal, and it is UTF-8" \
		python3 -c "import sys
d = open(sys.argv[1], 'rb').read()
bad = sorted(set(b for b in d if b < 32 and b not in (9, 10)))
assert not bad, bad
d.decode('utf-8')" "$TMP/o.txt"
done

"$TAPMEET" --db "$DB" --format json meetings >"$TMP/o.json"
check "json: as many names as badges in every meeting (\\x1f inside a name)" python3 -c "import json, sys
for m in json.load(open(sys.argv[1])):
    assert len(m['badges']) == len(m['names']), m" "$TMP/o.json"

# Spreadsheet safety (OWASP CSV injection): a cell starting with =, +, -, @,
# tab or CR is written with a leading apostrophe, and an import of the list
# takes it off again, so the round trip changes nothing.
DB="$TMP/csv.db"
python3 - "$TMP/inj.csv" <<'PY'
import csv, sys
rows = [
    ("04000001", '=HYPERLINK("http://evil.example","click")', "+1 Org", "@ada", "a@example.org", "yes"),
    ("04000002", "-2+3", "=cmd|' /C calc'!A0", "@@x", "b@example.org", "no"),
    ("04000003", "\tTabbed", "Plain Org", "plain", "c@example.org", "yes"),
    ("04000004", "Ordinary Name", "", "", "", "yes"),
]
with open(sys.argv[1], "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["uid", "name", "org", "handle", "email", "consent"])
    w.writerows(rows)
PY
"$TAPMEET" --db "$DB" attendees import "$TMP/inj.csv" >/dev/null 2>&1
"$TAPMEET" --db "$DB" attendees list --format csv >"$TMP/list.csv"
check "csv: every formula-like cell is written with a leading apostrophe" python3 -c "import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline='')))
cells = [v for r in rows for k, v in r.items() if k != 'consent']
risky = [c for c in cells if c[:1] in ('=', '+', '-', '@', '\t', '\r')]
assert not risky, risky
marked = [c for c in cells if c.startswith(\"'\")]
assert len(marked) == 6, marked  # the tab before Tabbed was trimmed at import
assert 'Ordinary Name' in [r['name'] for r in rows]" "$TMP/list.csv"
before=$(sqlite3 "$DB" "SELECT group_concat(name || '|' || org || '|' || handle, ';') FROM attendees")
out=$("$TAPMEET" --db "$DB" attendees import "$TMP/list.csv" 2>&1)
after=$(sqlite3 "$DB" "SELECT group_concat(name || '|' || org || '|' || handle, ';') FROM attendees")
check "csv: the exported list imported again changes nothing" test "$before" = "$after"
check "csv: ... and the import says so" bash -c "[[ '$out' == *'4 unchanged'* ]]"

finish
