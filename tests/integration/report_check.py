#!/usr/bin/env python3
"""Reads a report page as Chromium rendered it (--dump-dom) and checks it
against `tapmeet stats --format json` and the database.

    report_check.py DOM STATS_JSON DB [--empty] [--hostile UIDS_FILE] [--offline]

Prints "ok - ..." / "not ok - ..." lines; exits 1 when a check failed.
UIDS_FILE: "uid<TAB>expected label" per line, for people whose names the
test made hostile (or took consent from): each must appear in the
connectors chart with exactly that text, and no element the names carry
may exist in the page."""
import json
import sqlite3
import sys
from html.parser import HTMLParser

failed = 0


def check(what, cond, detail=""):
    global failed
    if cond:
        print(f"ok - {what}")
    else:
        failed += 1
        print(f"not ok - {what}")
        if detail:
            print(f"# {detail}")


class Element:
    def __init__(self, tag, attrs, parent):
        self.tag = tag
        self.attrs = dict(attrs)
        self.parent = parent
        self.children = []
        self.text = []

    def all_text(self):
        parts = list(self.text)
        for c in self.children:
            parts.append(c.all_text())
        return "".join(parts)

    def walk(self):
        yield self
        for c in self.children:
            yield from c.walk()

    def inside(self, element_id):
        e = self
        while e is not None:
            if e.attrs.get("id") == element_id:
                return True
            e = e.parent
        return False


VOID = {"meta", "link", "br", "img", "input", "hr", "area", "base", "col", "embed", "source",
        "track", "wbr", "param"}


class Tree(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Element("#root", [], None)
        self.cur = self.root

    def handle_starttag(self, tag, attrs):
        e = Element(tag, attrs, self.cur)
        self.cur.children.append(e)
        if tag not in VOID:
            self.cur = e

    def handle_startendtag(self, tag, attrs):
        self.cur.children.append(Element(tag, attrs, self.cur))

    def handle_endtag(self, tag):
        e = self.cur
        while e is not None and e.tag != tag:
            e = e.parent
        if e is not None and e.parent is not None:
            self.cur = e.parent

    def handle_data(self, data):
        self.cur.text.append(data)


def by_id(root, element_id):
    for e in root.walk():
        if e.attrs.get("id") == element_id:
            return e
    return None


class Nothing(Element):
    """A missing element: walks as empty, so one check fails, not all."""
    def __init__(self):
        super().__init__("#missing", [], None)


def find(root, element_id):
    return by_id(root, element_id) or Nothing()


def bars(root, chart_id):
    chart = by_id(root, chart_id)
    if chart is None:
        return None
    return [e for e in chart.walk() if e.tag == "rect" and "bar" in e.attrs.get("class", "")]


def main():
    args = sys.argv[1:]
    dom_path, stats_path, db_path = args[:3]
    empty = "--empty" in args
    offline = "--offline" in args
    hostile = args[args.index("--hostile") + 1] if "--hostile" in args else None

    tree = Tree()
    with open(dom_path, encoding="utf-8") as f:
        tree.feed(f.read())
    root = tree.root
    with open(stats_path, encoding="utf-8") as f:
        stats = json.load(f)

    charts = ["totals", "hours-chart", "stations-chart", "people-met-chart", "connectors-chart",
              "org-matrix", "stations-table"]
    missing = [c for c in charts if by_id(root, c) is None]
    check("every chart is in the page" + (" (no network)" if offline else ""), not missing,
          f"missing: {missing}")
    if offline:
        graph = by_id(root, "graph")
        check("the network picture is in the page (no network)",
              graph is not None and any(e.tag == "svg" for e in graph.walk()))
        return

    # Totals: the same figures as stats.
    totals = {e.attrs["data-stat"]: int(e.attrs["data-value"])
              for e in root.walk() if "data-stat" in e.attrs}
    keys = ["meetings", "suspect_meetings", "met_someone", "attendees_seen",
            "attendees_registered", "taps", "stations"]
    check("totals equal stats'", all(totals.get(k) == stats[k] for k in keys),
          f"page {totals}, stats { {k: stats[k] for k in keys} }")

    # Meetings per hour: one bar per hour of stats, same hour, same count.
    hours = [(e.attrs.get("data-hour"), int(e.attrs.get("data-meetings", -1)))
             for e in bars(root, "hours-chart") or []]
    want = [(h["hour"], h["meetings"]) for h in stats["meetings_per_hour"]]
    check(f"meetings per hour: {len(hours)} bars, each equal to stats'", hours == want,
          f"page {hours[:5]}..., stats {want[:5]}...")

    # Per station: one bar per station, adding up to the meetings; the
    # busiest as stats lists them.
    station_bars = [int(e.attrs["data-meetings"]) for e in bars(root, "stations-chart") or []]
    busiest = [s["meetings"] for s in stats["busiest_stations"]]
    check(f"meetings per station: {len(station_bars)} bars = stats' {stats['stations']} stations",
          len(station_bars) == stats["stations"])
    check("station bars add up to the meetings", sum(station_bars) == stats["meetings"],
          f"{sum(station_bars)} != {stats['meetings']}")
    check("the busiest stations as stats has them",
          sorted(station_bars, reverse=True)[:len(busiest)] == busiest)

    # People met: every badge seen is in one bar; those met are the rest.
    hist = [(int(e.attrs["data-from"]), int(e.attrs["data-to"]), int(e.attrs["data-people"]))
            for e in bars(root, "people-met-chart") or []]
    check("people-met histogram counts every badge seen",
          sum(n for _, _, n in hist) == stats["attendees_seen"],
          f"{hist} vs seen {stats['attendees_seen']}")
    check("people-met histogram: those who met someone",
          sum(n for lo, _, n in hist if lo >= 1) == stats["met_someone"])

    # Connectors: the top ten of stats, in order.
    conn = [(int(e.attrs["data-meetings"]), int(e.attrs["data-people"]))
            for e in bars(root, "connectors-chart") or []]
    want = [(c["meetings"], c["people"]) for c in stats["top_connectors"]]
    check(f"connectors: {len(conn)} bars, as stats' top connectors", conn == want,
          f"page {conn}, stats {want}")

    # The organisation matrix holds every pair once (its upper triangle
    # with the diagonal), as the log counts them.
    cells = {}
    for e in find(root, "org-matrix").walk():
        if e.tag == "td" and "data-pairs" in e.attrs:
            cells[(int(e.attrs["data-row"]), int(e.attrs["data-col"]))] = int(e.attrs["data-pairs"])
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    pairs = db.execute("SELECT count(*) FROM meeting_badges a JOIN meeting_badges b "
                       "ON b.meeting_id = a.meeting_id AND b.uid > a.uid").fetchone()[0]
    upper = sum(v for (i, j), v in cells.items() if i <= j)
    symmetric = all(cells.get((j, i)) == v for (i, j), v in cells.items())
    check("organisation matrix: symmetric, every pair met counted once",
          symmetric and upper == pairs, f"upper {upper}, pairs in the log {pairs}")

    # Stations' health: a row per station, its counts from the log.
    rows = [e for e in find(root, "stations-table").walk() if "data-station" in e.attrs]
    ok = len(rows) == stats["stations"]
    for row in rows:
        sid = row.attrs["data-station"]
        m, um = db.execute("SELECT count(*), coalesce(sum(clock_synced = 0), 0) FROM meetings "
                           "WHERE station = ?", (sid,)).fetchone()
        t, ut = db.execute("SELECT count(*), coalesce(sum(clock_synced = 0), 0) FROM taps "
                           "WHERE station = ?", (sid,)).fetchone()
        got = tuple(int(row.attrs[k]) for k in ("data-meetings", "data-unsynced-meetings",
                                                "data-taps", "data-unsynced-taps"))
        if got != (m, um, t, ut):
            ok = False
            print(f"# station {sid}: page {got}, log {(m, um, t, ut)}")
    check("stations' rows and unsynchronised-clock rows equal the log's", ok)
    unsynced = bars(root, "unsynced-chart")
    total_unsynced = db.execute("SELECT (SELECT count(*) FROM meetings WHERE clock_synced = 0) + "
                                "(SELECT count(*) FROM taps WHERE clock_synced = 0)").fetchone()[0]
    if total_unsynced:
        check("unsynchronised rows per hour add up",
              unsynced is not None and
              sum(int(e.attrs["data-unsynced"]) for e in unsynced) == total_unsynced)
    else:
        check("no unsynchronised rows: said so", by_id(root, "unsynced-none") is not None)
    check("the page says what the log does not record", by_id(root, "not-recorded") is not None)

    text = root.all_text()
    if empty:
        check("an empty log: the page says there is nothing yet",
              by_id(root, "nothing-yet") is not None and "Nothing yet" in text)
    else:
        check("a log with meetings: no 'nothing yet'", by_id(root, "nothing-yet") is None)

    check("no script in the page", not any(e.tag == "script" for e in root.walk()))

    if hostile:
        labels = [e.all_text() for e in find(root, "connectors-chart").walk()
                  if e.tag == "text" and "label" in e.attrs.get("class", "")]
        top_uids = [c["uid"] for c in stats["top_connectors"]]
        with open(hostile, encoding="utf-8") as f:
            expected = [line.rstrip("\n").split("\t", 1) for line in f if line.strip()]
        for uid, label in expected:
            rank = top_uids.index(uid) if uid in top_uids else -1
            got = labels[rank] if 0 <= rank < len(labels) else None
            check(f"connector {rank + 1} shows {label[:40]!r}{'...' if len(label) > 40 else ''} intact",
                  got == label, f"got {got!r}")
        injected = [e.tag for e in root.walk() if e.tag in ("script", "img", "b", "iframe")]
        check("no element injected by a name or organisation", not injected, f"{injected}")
        names = [r[0] for r in db.execute("SELECT name FROM attendees WHERE consent = 0")]
        whole = open(dom_path, encoding="utf-8").read()
        leaked = [n for n in names if len(n) > 3 and n in whole]
        check("no name without consent appears anywhere in the page", not leaked, f"{leaked[:3]}")
        orgs = [r[0] for r in db.execute("SELECT DISTINCT org FROM attendees WHERE org <> ''")]
        headers = {e.all_text() for e in find(root, "org-matrix").walk() if e.tag == "bdi"}
        check("organisation names intact in the matrix", all(o in headers for o in orgs),
              f"{orgs} vs {headers}")
        stations = [r[0] for r in db.execute("SELECT name FROM stations WHERE name <> ''")]
        shown = {e.all_text() for e in find(root, "stations-table").walk() if e.tag == "bdi"}
        check("station names intact in the table", all(n in shown for n in stations),
              f"{stations} vs {shown}")
    if not empty:
        graph = by_id(root, "graph")
        nodes = [e for e in graph.walk() if e.attrs.get("class") == "node"] if graph else []
        check(f"the network picture is inline SVG with {len(nodes)} people", len(nodes) > 0)


main()
sys.exit(1 if failed else 0)
