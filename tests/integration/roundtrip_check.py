"""Names through every writer and back, for test_roundtrip.sh.

    roundtrip_check.py data SEED N ATTENDEES.csv MEETINGS.sql NAMES.json
        writes N attendees whose names are drawn (seeded, so a failure
        repeats) from what breaks writers: quotes, commas, semicolons,
        line ends, tabs, markup, backslashes, right-to-left text and
        overrides, combining marks, emoji, 4-byte UTF-8, control
        characters, U+FFFE/U+FFFF, formula starts (= + - @), long names;
        the file with Python's csv module, and meetings between the first
        attendee and each other one (one of three too) as SQL; NAMES.json
        keeps the names as written
    roundtrip_check.py check FORMAT FILE DB
        parses FILE, the output of one writer, with a real parser and
        compares every name in it with the name stored in DB, through
        exactly the transformation the format documents and no other

Prints each difference and exits 1, or prints what it compared.
"""
import csv
import io
import json
import random
import re
import os
import sqlite3
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import vcard_strict  # noqa: E402


PIECES = [
    '"', '""', ",", ";", "\n", "\r\n", "\r", "\t", "<", ">", "&", "'", "\\", "\\\\",
    "\\n", "&amp;", "<b>", "]]>", "{", "}", "%s", "$(x)", "`", "#", "|", "/",
    "\u05e9\u05dc\u05d5\u05dd", "\u0645\u0631\u062d\u0628\u0627", "\u202e", "\u202c",
    "\u200f", "\u200d", "e\u0301", "a\u0308\u0323", "\U0001F600", "\U0001F469\u200D\U0001F4BB",
    "\U0001D11E", "\U00020000", "\U0010FFFD", "\u00e9", "\u00df", "\u4e2d\u6587",
    "\x1b[31m", "\x07", "\x0b", "\x0c", "\x1f", "\x7f", "\x01", "\u0085", "\u2028", "\u2029",
    "\ufeff", "\ufffe", "\uffff", "\ufffd", " ", "  ", "Ada", "Lovelace", "O'Brien",
    "van der", "X", "0", "=1+1", "@SUM(A1)", "-2", "+3",
]
STARTS = ["=", "+", "-", "@", "'=", "'", "\r", " ", "\t", ""]


def random_name(rng):
    parts = []
    if rng.random() < 0.3:
        parts.append(rng.choice(STARTS))
    for _ in range(rng.choice([1, 2, 3, 5, 8])):
        parts.append(rng.choice(PIECES))
    if rng.random() < 0.1:
        parts.append("".join(rng.choice(PIECES) for _ in range(120)))
    name = "".join(parts)
    # The import takes a name trimmed: one that trims to nothing is no name.
    if not name.strip(" \t").lstrip("'").strip(" \t"):
        name += "Z"
    return name


def vcard_parse(data):
    """Cards as lists of (NAME, value), strictly vCard 4.0, with no control
    character left in any line."""
    return vcard_strict.vcard_parse(data, forbid_controls=True)


def stored_form(name):
    """The import's documented change: an apostrophe before a formula start
    (written by the CSV writer) comes off, then spaces and tabs at either
    end (cli/cmd_attendees.c, trimmed)."""
    if len(name) > 1 and name[0] == "'" and name[1] in "=+-@\t\r":
        name = name[1:]
    return name.strip(" \t")


def data(seed, n, attendees_csv, meetings_sql, names_json):
    rng = random.Random(seed)
    uids, names = [], []
    while len(uids) < n:
        uid = "%08X" % rng.getrandbits(32)
        # 0x08 first: a random UID, which the import warns about and
        # meetings never hold.
        if uid.startswith("08") or uid in uids:
            continue
        uids.append(uid)
        names.append(random_name(rng))
    with open(attendees_csv, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["uid", "name"])
        for uid, name in zip(uids, names):
            w.writerow([uid, name])
    with open(meetings_sql, "w", encoding="utf-8") as f:
        f.write("INSERT INTO stations (id, name, tap_seq, meeting_seq, started_utc, heartbeat_utc,"
                " reader_state, status_detail, storage_fault, clock_synced, version) VALUES"
                " ('hall', 'Main hall', 0, %d, '2026-11-26T07:00:00.000Z',"
                " '2026-11-27T11:59:30.000Z', 'ok', '', 0, 1, '0.1.0');\n" % n)
        groups = [[uids[0], u] for u in uids[1:]] + [uids[1:4]]
        for i, g in enumerate(groups, 1):
            f.write("INSERT INTO meetings (id, station, seq, time_utc, utc_ms, clock_synced, boot_id,"
                    " mono_ms, n_badges, suspect) VALUES ('hall:m%d', 'hall', %d,"
                    " '2026-11-26T09:%02d:%02d.000Z', 0, 1, 'b1', %d, %d, NULL);\n"
                    % (i, i, i // 60 % 60, i % 60, i * 1000, len(g)))
            for u in g:
                f.write("INSERT INTO meeting_badges (meeting_id, uid) VALUES ('hall:m%d', '%s');\n"
                        % (i, u))
    with open(names_json, "w", encoding="utf-8") as f:
        json.dump(dict(zip(uids, names)), f)


# --- what each format documents -------------------------------------------------

def csv_form(s):
    """cli/output.c out_csv_field: a formula start (= + - @ tab CR) gets an
    apostrophe; control characters but tab, LF and CR, and DEL, become
    U+FFFD."""
    out = "".join("\ufffd" if (ord(c) < 0x20 and c not in "\t\n\r") or c == "\x7f" else c
                  for c in s)
    return "'" + out if s[:1] and s[0] in "=+-@\t\r" else out


def markup_form(s):
    """cli/output.c out_markup_text: control characters but tab, LF and CR,
    DEL, U+FFFE and U+FFFF become U+FFFD."""
    return "".join("\ufffd" if (ord(c) < 0x20 and c not in "\t\n\r") or c in "\x7f\ufffe\uffff"
                   else c for c in s)


def dot_form(s):
    """cli/cmd_export.c dot_string: CR is left out (DOT has no escape for
    it; a CR LF is one line end)."""
    return s.replace("\r", "")


def vcard_form(s):
    """cli/vcard.c: a line end (CR LF, CR or LF) is one newline; control
    characters but tab, and DEL, become U+FFFD."""
    s = s.replace("\r\n", "\n").replace("\r", "\n")
    return "".join("\ufffd" if (ord(c) < 0x20 and c not in "\t\n") or c == "\x7f" else c
                   for c in s)


def dot_unescape(label):
    """A label as Graphviz keeps it (an escString: \\\\ and \\n) as text."""
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), label, flags=re.S)


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f, strict=True))


def check(fmt, path, db):
    con = sqlite3.connect(db)
    stored = dict(con.execute("SELECT uid, name FROM attendees"))
    compared, errors = 0, []

    def same(what, got, want):
        nonlocal compared
        compared += 1
        if got != want:
            errors.append("%s: got %r, want %r" % (what, got, want))

    if fmt == "attendees-csv":
        for row in read_csv(path):
            same("uid " + row["uid"], row["name"], csv_form(stored[row["uid"]]))
    elif fmt == "attendees-json":
        for row in json.load(open(path, encoding="utf-8")):
            same("uid " + row["uid"], row["name"], stored[row["uid"]])
    elif fmt == "meetings-csv":
        # The names of a meeting are one cell, joined with ';' (the badges'
        # order), and written as one CSV cell.
        for row in read_csv(path):
            want = ";".join(stored.get(u, "") for u in row["badges"].split(";"))
            same("meeting " + row["id"], row["names"], csv_form(want))
    elif fmt in ("meetings-json", "meetings-ndjson"):
        # The store carries a meeting's names as one value separated by
        # \x1f, so a \x1f in a name is U+FFFD there (store/query.c).
        with open(path, encoding="utf-8") as f:
            rows = json.load(f) if fmt == "meetings-json" else [json.loads(l) for l in f if l.strip()]
        for row in rows:
            same("meeting " + row["id"], row["names"],
                 [stored.get(u, "").replace("\x1f", "\ufffd") for u in row["badges"]])
    elif fmt in ("gexf", "graphml"):
        import xml.etree.ElementTree as ET
        import networkx as nx
        ET.parse(path)  # well-formed XML first, whatever networkx tolerates
        g = nx.read_gexf(path) if fmt == "gexf" else nx.read_graphml(path)
        for uid, attrs in g.nodes(data=True):
            if uid in stored:
                same(fmt + " node " + uid, attrs.get("label"), markup_form(stored[uid]))
        if set(stored) - set(g.nodes):
            errors.append("%s: nodes missing: %s" % (fmt, sorted(set(stored) - set(g.nodes))))
    elif fmt == "dot-json":
        # dot -Tjson writes control characters raw inside its strings.
        with open(path, encoding="utf-8") as f:
            graph = json.loads(f.read(), strict=False)
        seen = set()
        for o in graph.get("objects", []):
            if o["name"] in stored:
                seen.add(o["name"])
                same("dot node " + o["name"], dot_unescape(o["label"]), dot_form(stored[o["name"]]))
        if set(stored) - seen:
            errors.append("dot: nodes missing: %s" % sorted(set(stored) - seen))
    elif fmt == "export-csv":
        for row in read_csv(path):
            for end in ("source", "target"):
                same("%s %s" % (end, row[end]), row[end + "_name"], csv_form(stored.get(row[end], "")))
    elif fmt == "vcard":
        with open(path, "rb") as f:
            cards = vcard_parse(f.read())
        for card in cards:
            fields = dict(card)
            m = re.search(r"badge ([0-9A-F]+)$", fields["NOTE"])
            if not m:
                errors.append("vCard NOTE without its badge: %r" % fields["NOTE"][-60:])
                continue
            same("vCard " + m.group(1), fields["FN"], vcard_form(stored[m.group(1)]))
    elif fmt == "contacts-json":
        for row in json.load(open(path, encoding="utf-8")):
            same("contact " + row["uid"], row["name"], stored[row["uid"]])
    else:
        sys.exit("unknown format " + fmt)
    for e in errors[:10]:
        print("# " + e)
    if errors:
        print("# %d of %d names differ" % (len(errors), compared))
        sys.exit(1)
    if compared == 0:
        print("# nothing compared")
        sys.exit(1)
    print("%d names" % compared)


def check_import(names_json, db):
    """The stored names are the names written, through the import's one
    documented change."""
    names = json.load(open(names_json, encoding="utf-8"))
    stored = dict(sqlite3.connect(db).execute("SELECT uid, name FROM attendees"))
    bad = [(u, stored.get(u), stored_form(n)) for u, n in names.items() if stored.get(u) != stored_form(n)]
    for u, got, want in bad[:10]:
        print("# %s: stored %r, want %r" % (u, got, want))
    if bad:
        sys.exit(1)
    print("%d names" % len(names))


if __name__ == "__main__":
    if sys.argv[1] == "data":
        data(int(sys.argv[2]), int(sys.argv[3]), *sys.argv[4:7])
    elif sys.argv[1] == "import":
        check_import(sys.argv[2], sys.argv[3])
    else:
        check(*sys.argv[2:5])
