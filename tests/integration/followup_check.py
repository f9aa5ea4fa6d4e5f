"""Data and checks for test_followup.sh.

    followup_check.py data ATTENDEES.csv NEWLINE.csv MEETINGS.sql
        writes a registry with hostile names and a consent column, one more
        attendee whose name holds a newline, and meetings between them
        (some suspect, some with a badge nobody registered)
    followup_check.py check DB DIR [--sent] [--include-suspect] [--name-in-subject]
        reads every DIR/*.eml with Python's email library (policy=default)
        and checks it against the database: one message per recipient, the
        people listed in the body and in the vCard attachment are exactly
        the people met, each name decoded equals the stored one, no header
        was injected, and nobody's e-mail or handle reaches anyone unless
        they consented. --sent: DIR is what the SMTP server received (the
        envelope is checked too, and each Message-ID against followups);
        --name-in-subject: the template put {name} in the Subject.
    followup_check.py vcard FILE
        parses FILE strictly as vCard 4.0; prints each FN

Prints what is wrong and exits 1, or prints a summary.
"""
import base64
import email
import email.utils
import email.policy
import glob
import json
import os
import quopri
import random
import re
import sqlite3
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from vcard_strict import vcard_parse  # noqa: E402

HOSTILE = [
    # uid, name, org, handle, email, consent
    ("F0000000", "Ada Lovelace", "Analytical Engines", "@ada", "ada@example.org", "yes"),
    ("F0000001", 'Dan "The Man" O\'Neil', "Big <Co> & Sons", "@dan", "dan@example.org", "no"),
    ("F0000002", "<script>alert(1)</script>", "</td><b>x", "@xss", "script@example.org", "yes"),
    ("F0000003", "\u05e9\u05e8\u05d4 \u05db\u05d4\u05df", "\u05d0\u05d5\u05e0\u05d9\u05d1\u05e8\u05e1\u05d9\u05d8\u05d4",
     "@sara", "sara@example.org", "no"),
    ("F0000004", "\u0645\u062d\u0645\u062f \u0639\u0644\u064a \u202eevil", "\u0634\u0631\u0643\u0629", "@mo",
     "mo@example.org", "yes"),
    ("F0000005", "Zo\u00eb \U0001F680 \u00c5ngstr\u00f6m", "Caf\u00e9 \u2615", "@zoe", "zoe@example.org", "yes"),
    ("F0000006", "L" + "o" * 480 + "ng Name \u00e9\u00e9\u00e9\u00e9 end", "Org", "@long", "long@example.org", "no"),
    ("F0000007", "Smith, John; Jr. \\ III", "A;B,C", "@smith", "smith@example.org", "yes"),
    ("F0000008", "No Mail", "Nowhere", "@nomail", "", "yes"),
    ("F0000009", "=?utf-8?q?Encoded_Word?= Looks", "Org", "@ew", "ew@example.org", "no"),
]
NEWLINE = ("F000000A", "Injected\nBcc: victim@example.org", "Org", "@inj", "inject@example.org", "no")
PEOPLE = 24  # F0000000 .. F0000017 meet; F0000017 only in suspect meetings
LONELY = ("F00000FF", "Lonely Soul", "Org", "@lonely", "lonely@example.org", "yes")


def registry():
    rows = list(HOSTILE)
    for i in range(len(HOSTILE) + 1, PEOPLE):
        rows.append(("F%07X" % i, "Person %02d" % i, "Org %02d" % (i % 5), "@p%02d" % i,
                     "person%02d@example.org" % i, "yes" if i % 2 else "no"))
    return rows


def csv_field(s):
    return '"' + s.replace('"', '""') + '"'


def data(attendees, newline, meetings):
    with open(attendees, "w", encoding="utf-8", newline="") as f:
        f.write("uid,name,org,handle,email,consent\r\n")
        for row in registry() + [LONELY]:
            f.write(",".join(csv_field(x) for x in row) + "\r\n")
    with open(newline, "w", encoding="utf-8", newline="") as f:
        f.write("uid,name,org,handle,email,consent\r\n")
        f.write(",".join(csv_field(x) for x in NEWLINE) + "\r\n")
    rnd = random.Random(7)
    uids = ["F%07X" % i for i in range(PEOPLE)]
    met = []
    # A ring, so everyone but the last meets someone for certain.
    for i in range(PEOPLE - 2):
        met.append(([uids[i], uids[i + 1]], None))
    met.append(([uids[PEOPLE - 1], uids[0]], "partner came 5.1 s after the first tap"))
    met.append(([uids[PEOPLE - 1], uids[3]], "another badge on the reader"))
    for n in range(40):
        k = 3 if n % 6 == 0 else 2
        group = rnd.sample(uids[:PEOPLE - 1] + ["DEADBEEF"], k)
        met.append((group, "second badge 7.9 s later" if n % 7 == 3 else None))
    with open(meetings, "w") as f:
        f.write("INSERT INTO stations (id, name) VALUES ('hall', 'Main <hall>'), ('foyer', '');\n")
        for n, (badges, suspect) in enumerate(met, 1):
            station = "hall" if n % 2 else "foyer"
            ms = 1795683600000 + n * 61000
            f.write("INSERT INTO meetings (id, station, seq, time_utc, utc_ms, clock_synced, boot_id,"
                    " mono_ms, n_badges, suspect) VALUES ('%s:m%d', '%s', %d, strftime('%%Y-%%m-%%dT%%H:%%M:%%fZ', %d / 1000.0, 'unixepoch'),"
                    " %d, 1, 'b', %d, %d, %s);\n"
                    % (station, n, station, n, ms, ms, n, len(badges),
                       "'%s'" % suspect if suspect else "NULL"))
            for b in sorted(badges):
                f.write("INSERT INTO meeting_badges (meeting_id, uid) VALUES ('%s:m%d', '%s');\n"
                        % (station, n, b))


# --- the expectation, from the database --------------------------------------------

def expected(db, include_suspect):
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    people = {}
    for uid, name, org, handle, mail, consent in con.execute(
            "SELECT uid, name, org, handle, email, consent FROM attendees"):
        people[uid] = dict(uid=uid, name=name, org=org, handle=handle, email=mail,
                           consent=consent == 1)
    met = {}
    for me, other in con.execute(
            "SELECT me.uid, o.uid FROM meeting_badges me JOIN meetings m ON m.id = me.meeting_id "
            "JOIN meeting_badges o ON o.meeting_id = me.meeting_id AND o.uid <> me.uid "
            "WHERE ? OR coalesce(m.suspect, '') = ''", (1 if include_suspect else 0,)):
        if me in people:
            met.setdefault(me, set()).add(other)
    ids = dict(con.execute("SELECT uid, message_id FROM followups"))
    return people, met, ids


ENCODED_WORD = re.compile(r"=\?([^?*]+)(?:\*[^?]*)?\?([bBqQ])\?([^?]*)\?=")


def rfc2047(s):
    """Decodes the encoded words of s; space between two of them goes."""
    out, pos, after_word = [], 0, False
    for m in ENCODED_WORD.finditer(s):
        between = s[pos:m.start()]
        if not (after_word and between.strip() == ""):
            out.append(between)
        charset, kind, data = m.groups()
        if kind in "bB":
            octets = base64.b64decode(data)
        else:
            octets = quopri.decodestring(data.replace("_", " ").encode(), header=True)
        out.append(octets.decode(charset))
        pos, after_word = m.end(), True
    out.append(s[pos:])
    return "".join(out)


def one_line(s):
    return "".join(" " if ord(c) < 0x20 or c == "\x7f" else c for c in s)


# --- the checks ---------------------------------------------------------------------

def check(db, directory, sent, include_suspect, name_in_subject):
    people, met, ids = expected(db, include_suspect)
    problems = []
    by_email = {p["email"]: u for u, p in people.items() if p["email"]}
    received = {}
    allowed = {"date", "subject", "to", "from", "reply-to", "message-id", "auto-submitted",
               "mime-version", "content-type", "content-transfer-encoding"}
    files = sorted(glob.glob(os.path.join(directory, "*.eml")))
    for path in files:
        name = os.path.basename(path)
        raw = open(path, "rb").read()
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        extra = set(k.lower() for k in msg.keys()) - allowed
        if extra:
            problems.append("%s: unexpected headers %s" % (name, sorted(extra)))
        if len(msg.get_all("To", [])) != 1 or len(msg["To"].addresses) != 1:
            problems.append("%s: not exactly one To address" % name)
            continue
        to = msg["To"].addresses[0]
        # The display name by RFC 2047's rule (adjacent encoded words join
        # without the space between them), which email.policy.default does
        # not apply inside an address.
        raw_to = email.message_from_bytes(raw, policy=email.policy.compat32)["To"]
        to_name = rfc2047(email.utils.getaddresses([" ".join(raw_to.split())])[0][0])
        uid = by_email.get(to.addr_spec)
        if uid is None:
            problems.append("%s: To %r is nobody's address" % (name, to.addr_spec))
            continue
        received.setdefault(uid, []).append(name)
        me = people[uid]
        if to_name != one_line(me["name"]):
            problems.append("%s: To name %r, stored %r" % (name, to_name, me["name"]))
        if name_in_subject and one_line(me["name"]) not in str(msg["Subject"]):
            problems.append("%s: Subject %r without %r" % (name, str(msg["Subject"]), me["name"]))
        if sent:
            meta = json.load(open(path[:-4] + ".json"))
            if meta["rcpt_tos"] != [me["email"]]:
                problems.append("%s: envelope recipients %r" % (name, meta["rcpt_tos"]))
            if ids.get(uid) != msg["Message-ID"].strip("<>"):
                problems.append("%s: Message-ID %s, recorded %s" % (name, msg["Message-ID"],
                                                                   ids.get(uid)))
        if not msg["Subject"] or "\n" in str(msg["Subject"]):
            problems.append("%s: bad Subject %r" % (name, msg["Subject"]))
        body = msg.get_body(preferencelist=("plain",))
        text = body.get_content() if body else ""
        cards_raw = b""
        for part in msg.iter_attachments():
            if part.get_filename() == "contacts.vcf":
                cards_raw = part.get_payload(decode=True)
        others = met.get(uid, set())
        registered = sorted(o for o in others if o in people)
        try:
            cards = vcard_parse(cards_raw) if cards_raw else []
        except ValueError as e:
            problems.append("%s: vCard: %s" % (name, e))
            cards = []
        fns = sorted(v for c in cards for n, v in c if n == "FN")
        if fns != sorted(people[o]["name"] for o in registered):
            problems.append("%s: vCard names %r, met %r" % (
                name, fns, sorted(people[o]["name"] for o in registered)))
        for card in cards:
            d = {}
            for n, v in card:
                d.setdefault(n, []).append(v)
            o = next((x for x in registered if people[x]["name"] == d["FN"][0]), None)
            if o is None:
                continue
            p = people[o]
            want_mail = [p["email"]] if p["consent"] and p["email"] else []
            want_nick = [p["handle"]] if p["consent"] and p["handle"] else []
            if d.get("EMAIL", []) != want_mail or d.get("NICKNAME", []) != want_nick:
                problems.append("%s: card of %s: EMAIL %r NICKNAME %r, expected %r %r" % (
                    name, o, d.get("EMAIL"), d.get("NICKNAME"), want_mail, want_nick))
            if p["org"] and d.get("ORG") != [p["org"]]:
                problems.append("%s: card of %s: ORG %r" % (name, o, d.get("ORG")))
        for o in registered:
            if one_line(people[o]["name"]) not in text:
                problems.append("%s: body does not list %s" % (name, o))
        if any(o not in people for o in others) and "not registered" not in text:
            problems.append("%s: body leaves out the unregistered badge" % name)
        # Nobody's details without their consent, anywhere in the message,
        # raw or decoded (the recipient's own address is in To, of course).
        decoded = text + cards_raw.decode("utf-8", "replace") + str(msg["To"]) + str(msg["Subject"])
        for o, p in people.items():
            if o == uid or p["consent"]:
                continue
            for secret in (p["email"], p["handle"]):
                if secret and (secret in decoded or secret.encode() in raw):
                    problems.append("%s: %s's %r is in it without consent" % (name, o, secret))
    want = sorted(u for u in met if people[u]["email"])
    for u in want:
        n = len(received.get(u, []))
        if n != 1:
            problems.append("%s received %d messages" % (u, n))
    for u in received:
        if u not in met:
            problems.append("%s received a message but met nobody" % u)
    for p in problems:
        print(p)
    if not problems:
        print("%d messages, one for each of %d recipients" % (len(files), len(want)))
    return 1 if problems else 0


def main():
    if sys.argv[1] == "data":
        data(*sys.argv[2:5])
        return 0
    if sys.argv[1] == "vcard":
        for card in vcard_parse(open(sys.argv[2], "rb").read()):
            print(dict(card)["FN"])
        return 0
    return check(sys.argv[2], sys.argv[3], "--sent" in sys.argv, "--include-suspect" in sys.argv,
                 "--name-in-subject" in sys.argv)


if __name__ == "__main__":
    sys.exit(main())
