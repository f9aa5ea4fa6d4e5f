#!/usr/bin/env python3
"""Replays a crowd timeline on the PN532 emulator, in real time.

    bench/crowd_replay.py --control SOCKET [--kind ntag] [--report FILE] TIMELINE
    bench/crowd_replay.py --check TIMELINE

TIMELINE is what `build/bench/crowd ... --timeline FILE` writes:

    # comment
    <ms> add <UID>
    <ms> remove <UID>
    <ms> end

<ms> counts from the start and never decreases; `end` is the last line. Each
`add` puts a badge with that UID on the reader (named after its UID) and
leaves it there until its `remove`.

The schedule is absolute: every command is due at start + <ms> on the
monotonic clock, so a late command does not push the later ones back.
Commands due at the same millisecond go to the emulator in one write, which
it handles before it answers the reader again: two badges put down together
are found by the same poll, as on a real reader. One connection serves the whole replay; every
command must be answered `ok`, anything else stops the replay (exit 1).

Lateness is measured from the moment a command was due to the moment the
emulator acknowledged it (the badge is then on the reader, or off it). A
replay that ran late did not present the timeline it was given, so the
figures are printed on stderr at the end, as one line of key=value pairs
starting with "replay:", and to --report FILE one key=value a line.
--check only reads and validates the timeline.
"""

import argparse
import os
import re
import socket
import sys
import time

UID_RE = re.compile(r"^(?:[0-9A-F]{8}|[0-9A-F]{14}|[0-9A-F]{20})$")
# Above this, a replay is reported as not faithful (warning only: the
# caller decides what a late replay means for its result).
WARN_LATE_MS = 100.0
REPLY_TIMEOUT_S = 5.0


class TimelineError(Exception):
    pass


def parse_timeline(path):
    """Returns ([(ms, [command, ...]), ...], end_ms, counts): the commands
    grouped by the millisecond they are due at."""
    groups = []
    end_ms = None
    on = set()
    adds = removes = 0
    last_ms = 0
    with open(path, encoding="ascii") as f:
        for n, raw in enumerate(f, 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            where = "%s:%d" % (path, n)
            if end_ms is not None:
                raise TimelineError("%s: a line after 'end'" % where)
            fields = line.split()
            try:
                ms = int(fields[0])
            except ValueError:
                raise TimelineError("%s: time %r is not an integer" % (where, fields[0]))
            if ms < last_ms:
                raise TimelineError("%s: time %d goes back (previous line %d)" % (where, ms, last_ms))
            last_ms = ms
            if fields[1:] == ["end"]:
                end_ms = ms
                continue
            if len(fields) != 3 or fields[1] not in ("add", "remove"):
                raise TimelineError("%s: expected '<ms> add|remove <UID>' or '<ms> end'" % where)
            uid = fields[2]
            if not UID_RE.match(uid):
                raise TimelineError("%s: %r is not a UID in canonical form "
                                    "(uppercase hex, 4, 7 or 10 bytes)" % (where, uid))
            # The emulator would refuse these too, but only in the middle
            # of the replay.
            if fields[1] == "add":
                if uid in on:
                    raise TimelineError("%s: %s is already on the reader" % (where, uid))
                on.add(uid)
                adds += 1
            else:
                if uid not in on:
                    raise TimelineError("%s: %s is not on the reader" % (where, uid))
                on.discard(uid)
                removes += 1
            if not groups or groups[-1][0] != ms:
                groups.append((ms, []))
            groups[-1][1].append((fields[1], uid, where))
    if end_ms is None:
        raise TimelineError("%s: no 'end' line (a truncated file?)" % path)
    return groups, end_ms, {"adds": adds, "removes": removes, "left_on": len(on)}


class Emulator:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(REPLY_TIMEOUT_S)
        self.sock.connect(path)
        self.buf = b""

    def reply(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("the emulator closed the control connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode("utf-8", "replace")

    def run(self, lines):
        """Sends the lines in one write; returns the replies, one per line."""
        self.sock.sendall("".join(l + "\n" for l in lines).encode())
        return [self.reply() for _ in lines]


def command_text(op, uid, kind):
    return "add %s %s %s" % (uid, kind, uid) if op == "add" else "remove %s" % uid


def replay(groups, end_ms, emu, kind):
    late = []
    # The first command is due now, not after the connection's set-up.
    start = time.monotonic()
    for ms, cmds in groups:
        due = start + ms / 1000.0
        wait = due - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        lines = [command_text(op, uid, kind) for op, uid, _ in cmds]
        replies = emu.run(lines)
        done = time.monotonic()
        for (op, uid, where), line, reply in zip(cmds, lines, replies):
            if reply != "ok":
                raise RuntimeError("%s: %r answered %r" % (where, line, reply))
        late.extend([(done - due) * 1000.0] * len(cmds))
    wait = start + end_ms / 1000.0 - time.monotonic()
    if wait > 0:
        time.sleep(wait)
    return late, time.monotonic() - start


def main():
    ap = argparse.ArgumentParser(description="Replays a crowd timeline on the PN532 emulator.")
    ap.add_argument("timeline")
    ap.add_argument("--control", help="the emulator's control socket")
    ap.add_argument("--kind", default="ntag", choices=("ntag", "classic7"),
                    help="the emulated badge kind (default ntag, an NTAG213)")
    ap.add_argument("--report", help="also write the figures to this file")
    ap.add_argument("--check", action="store_true", help="only validate the timeline")
    args = ap.parse_args()

    try:
        groups, end_ms, counts = parse_timeline(args.timeline)
    except (OSError, UnicodeDecodeError, TimelineError) as e:
        sys.exit("crowd_replay: %s" % e)
    if args.check:
        print("timeline: adds=%d removes=%d end_ms=%d" % (counts["adds"], counts["removes"], end_ms))
        return
    if not args.control:
        sys.exit("crowd_replay: --control SOCKET is required to replay")

    try:
        emu = Emulator(args.control)
    except OSError as e:
        sys.exit("crowd_replay: cannot connect to the emulator at %s: %s" % (args.control, e.strerror or e))
    try:
        late, took = replay(groups, end_ms, emu, args.kind)
    except socket.timeout:
        sys.exit("crowd_replay: the emulator did not answer within %.0f s" % REPLY_TIMEOUT_S)
    except (OSError, RuntimeError) as e:
        sys.exit("crowd_replay: %s" % e)

    n = len(late)
    figures = "commands=%d adds=%d removes=%d end_ms=%d took_ms=%.0f late_max_ms=%.1f late_mean_ms=%.1f" % (
        n, counts["adds"], counts["removes"], end_ms, took * 1000.0,
        max(late) if late else 0.0, sum(late) / n if n else 0.0)
    sys.stderr.write("replay: %s\n" % figures)
    if late and max(late) > WARN_LATE_MS:
        sys.stderr.write("replay: WARNING: a command ran %.0f ms late (over %.0f ms): "
                         "not a faithful replay of the timeline\n" % (max(late), WARN_LATE_MS))
    if args.report:
        tmp = args.report + ".tmp"
        with open(tmp, "w") as f:
            f.write(figures.replace(" ", "\n") + "\n")
        os.replace(tmp, args.report)


if __name__ == "__main__":
    main()
