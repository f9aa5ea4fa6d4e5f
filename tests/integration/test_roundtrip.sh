#!/bin/bash
# Names through every writer and back: attendees with names drawn from what
# breaks writers (tests/integration/roundtrip_check.py says which), imported
# from a file Python's csv module wrote, met in meetings put in with
# sqlite3, then exported in every format and read back with a real parser:
# Python's csv and json, ElementTree and networkx for GEXF and GraphML,
# Graphviz itself (dot -Tjson) for DOT, a strict vCard 4.0 reader. Every
# name must come back as stored, changed only as its format documents.
# ROUNDTRIP_SEED and ROUNDTRIP_NAMES draw other names.
set -u
. "$(dirname "$0")/lib.sh"
export TZ=UTC
HELPER="$(dirname "$0")/roundtrip_check.py"
seed=${ROUNDTRIP_SEED:-1}
n=${ROUNDTRIP_NAMES:-300}

DB="$TMP/r.db"
python3 "$HELPER" data "$seed" "$n" "$TMP/a.csv" "$TMP/m.sql" "$TMP/names.json"
if ! "$TAPMEET" --db "$DB" attendees import "$TMP/a.csv" >"$TMP/import.out" 2>&1; then
	not_ok "import of $n generated names (seed $seed)"
	sed 's/^/#   /' "$TMP/import.out" | head -20
	finish
	exit 1
fi
ok "import of $n generated names (seed $seed)"
check "the stored names are those written, the import's apostrophe and trimming aside" \
	python3 "$HELPER" import "$TMP/names.json" "$DB"
sqlite3 "$DB" <"$TMP/m.sql"
# The first attendee met every other one; the second met the first.
hub=$(sed -n 2p "$TMP/a.csv" | cut -d, -f1)
other=$(sed -n 3p "$TMP/a.csv" | cut -d, -f1)

# roundtrip FORMAT DESCRIPTION TAPMEET-ARGS...: one writer, parsed back.
roundtrip() {
	local fmt=$1 what=$2 out
	shift 2
	out="$TMP/out.$fmt"
	if ! "$TAPMEET" --db "$DB" "$@" >"$out" 2>"$TMP/err"; then
		not_ok "$what: tapmeet $* failed"
		sed 's/^/#   /' "$TMP/err" | head -5
		return
	fi
	if [ "$fmt" = dot-json ]; then
		mv "$out" "$TMP/out.dot"
		if ! dot -Tjson "$TMP/out.dot" >"$out" 2>"$TMP/err"; then
			not_ok "$what: Graphviz refuses the file"
			sed 's/^/#   /' "$TMP/err" | head -5
			return
		fi
	fi
	check "$what" python3 "$HELPER" check "$fmt" "$out" "$DB"
}

roundtrip attendees-csv "attendees list --format csv: Python's csv reads every name back" \
	--format csv attendees list
roundtrip attendees-json "attendees list --format json: every name exactly" --format json attendees list
roundtrip meetings-csv "meetings --format csv: each meeting's names cell" --format csv meetings
roundtrip meetings-json "meetings --format json: every name exactly" --format json meetings
roundtrip meetings-ndjson "meetings --format ndjson: every name exactly" --format ndjson meetings
roundtrip gexf "export gexf: well-formed, networkx reads every label" export gexf
roundtrip graphml "export graphml: well-formed, networkx reads every label" export graphml
roundtrip dot-json "export dot: Graphviz reads every label (dot -Tjson)" export dot
roundtrip export-csv "export csv: every source_name and target_name" export csv
roundtrip vcard "export contacts --format vcard: a strict vCard reader finds every FN" \
	export contacts "$hub" --format vcard
roundtrip vcard "export contacts --format vcard: the hub's own name in another's contacts" \
	export contacts "$other" --format vcard
roundtrip contacts-json "export contacts --format json: every name exactly" \
	export contacts "$hub" --format json

# The CSV list imported again changes nothing: the apostrophes come off.
"$TAPMEET" --db "$DB" --format csv attendees list >"$TMP/list.csv"
"$TAPMEET" --db "$TMP/again.db" attendees import "$TMP/list.csv" >/dev/null 2>&1
check "attendees list --format csv imported again: the same names (U+FFFD for control characters)" \
	python3 -c "import sqlite3, sys
sys.path.insert(0, sys.argv[3])
from roundtrip_check import markup_form
a = dict(sqlite3.connect(sys.argv[1]).execute('SELECT uid, name FROM attendees'))
b = dict(sqlite3.connect(sys.argv[2]).execute('SELECT uid, name FROM attendees'))
want = {u: ''.join('\ufffd' if (ord(c) < 32 and c not in '\t\n\r') or c == '\x7f' else c for c in n)
        for u, n in a.items()}
bad = [(u, b.get(u), want[u]) for u in a if b.get(u) != want[u]]
for x in bad[:5]: print('#', x)
sys.exit(1 if bad else 0)" "$DB" "$TMP/again.db" "$(dirname "$0")"
finish
