#!/usr/bin/env python3
"""The conference-length soak: days of SFHH contacts on one station, with the
reader unplugged and plugged in again and the database queried all the while.

    bench/soak.py [--build DIR] [--days N] [--share N] [--pair-gap-min M]
                  [--speedup X] [--flap-min M] [--flap-down S] [--sample S]
                  [--idle S] [--from-hour H] [--meetings N] [--out DIR]

--from-hour and --meetings cut a slice (tests/integration/test_soak.sh: 30
meetings from 8 simulated hours in).

The station is the real tapmeetd, every [pairing] key at its default, reading
the PN532 emulator (tests/pn532emu) through the real libnfc, on a SQLite file
in a directory of the disk.

Workload. The SFHH contact log (../shared/data/sociopatterns-sfhh, beside the
repository; generated contacts among 400 people when it is absent, and the
output says so) is merged as bench/cli/gen.c merges it: consecutive 20 s
windows of a pair are one contact. This station takes the contacts gen.c
puts at station 0 of --share (pair (a, b) where (a * 31 + b) % share == 0):
one station of ten at SFHH, by default. A pair taps again only
--pair-gap-min simulated minutes (60) after its last tap: SFHH records a
contact every time two people who spend the day together talk again, and
they do not tap each time. Event day k replays SFHH day
((k - 1) % 2) + 1 (the log has two), so three days are day 1, day 2, day 1
again, with the same people. Participant p carries badge 045F%010X (NTAG213).

Each contact is one meeting made as the station teaches it: both badges put
on the reader in one write to the emulator, held until the station logs the
meeting's commit, then lifted; the next pair comes 0.5 s later. The replay is
closed-loop: no badge goes down before the reader is free, so a slow moment
of the machine delays the schedule instead of changing its outcome. Contacts
keep their SFHH order, no earlier than their SFHH time divided by --speedup
(0: as fast as the station goes, every idle gap compressed away). A contact
whose pair met within repeat_guard (60 s, + 2 s) or one of whose badges met
within after_meeting (10 s, + 1 s) of wall time waits, and the next contact
that may go goes first: compressed time would otherwise turn a real second
meeting into "already met" or a suspect one. So every contact presented is
expected to be stored exactly once, as a clean meeting; the database must
hold exactly the contacts presented, row by row.

Reader flaps. Every --flap-min minutes of simulated (SFHH) time, between two
meetings, the emulator's `vanish` unplugs the reader for --flap-down seconds
and `return` plugs it in again; the replay goes on once the station logs
state=ok again. No badge is ever put down while the reader is away, so a
flap costs no meeting; the station must log the fault and recover each time.

Queries. One process at a time, in a loop the whole run: `tapmeet
meetings --since 10m`, `stats`, `people`, `status` (with the station's
config, so it reads the live status file too). The first three must exit 0;
status exits 0, or 3 while the reader is away (unhealthy).

Samples every --sample seconds (and at the warm-up and at the end): VmRSS,
open fds (/proc/PID/fd), threads (/proc/PID/status), the -wal's size and its
checkpoint sequence (WAL header bytes 12..15, +1 each time a checkpoint lets
SQLite start the file again), log lines and bytes, /proc/PID/io write_bytes
(bytes the daemon sent toward the disk: the database, its -wal and its log,
which is a file here) and syscw, and fsync + fdatasync calls, counted by
`strace -f --seccomp-bpf -e trace=fsync,fdatasync` around the daemon (only
those two calls stop it; not in an ASan build, whose leak check cannot run
under ptrace). The warm-up sample is taken after 5 % of the meetings (at
least 5) and the first flap; flat means fds and threads no higher at the end,
RSS within max(2 MiB, 20 %) of it (not checked under ASan). At the end the
daemon stays idle for --idle seconds, to measure what a station writes with
no meeting (the heartbeat).

Writes OUT/samples.tsv, OUT/report.txt (key=value lines), OUT/daemon.err and
the database; prints a summary. Exit status: 0 when the run completed, 1 when
any check failed (the summary says which), 2 on a usage or set-up error.
"""

import argparse
import collections
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SFHH = os.path.join(ROOT, "..", "shared", "data", "sociopatterns-sfhh", "tij_SFHH.dat")

# Shipped [pairing] defaults that the schedule works around (docs/pairing.md).
REPEAT_GUARD_S = 60.0 + 2.0
AFTER_MEETING_S = 10.0 + 1.0
GAP_S = 0.5  # between lifting a pair and putting the next one down
COMMIT_TIMEOUT_S = 15.0
RECOVER_TIMEOUT_S = 60.0
MEETING_RE = re.compile(r"meeting id=(\S+) station=\S* badges=(\S+)")


def die(msg):
    sys.stderr.write("soak: %s\n" % msg)
    sys.exit(2)


def env(name, default):
    return os.environ.get(name) or default


def parse_args():
    ap = argparse.ArgumentParser(description="tapmeet conference-length soak")
    ap.add_argument("--build", default=env("BUILD", os.path.join(ROOT, "build")))
    ap.add_argument("--days", type=int, default=int(env("SOAK_DAYS", "3")))
    ap.add_argument("--share", type=int, default=int(env("SOAK_SHARE", "10")),
                    help="this station takes 1 contact pair in N (default 10)")
    ap.add_argument("--pair-gap-min", type=float, default=float(env("SOAK_PAIR_GAP_MIN", "60")),
                    help="simulated minutes before the same pair taps again (default 60)")
    ap.add_argument("--speedup", type=float, default=float(env("SOAK_SPEEDUP", "0")),
                    help="simulated seconds per wall second at most (0: as fast as the station goes)")
    ap.add_argument("--flap-min", type=float, default=float(env("SOAK_FLAP_MIN", "30")),
                    help="simulated minutes between two reader unplugs (0: none)")
    ap.add_argument("--flap-down", type=float, default=float(env("SOAK_FLAP_DOWN_S", "3")),
                    help="seconds the reader stays unplugged")
    ap.add_argument("--sample", type=float, default=float(env("SOAK_SAMPLE_S", "60")),
                    help="seconds between samples")
    ap.add_argument("--meetings", type=int, default=int(env("SOAK_MEETINGS", "0")),
                    help="stop after this many meetings (0: all the days)")
    ap.add_argument("--from-hour", type=float, default=float(env("SOAK_FROM_H", "0")),
                    help="start this many simulated hours into the first day")
    ap.add_argument("--warmup", type=int, default=int(env("SOAK_WARMUP", "0")),
                    help="meetings before the warm-up sample (default: 5 %% of the run, >= 5)")
    ap.add_argument("--idle", type=float, default=float(env("SOAK_IDLE_S", "0")),
                    help="seconds of idle station measured at the end")
    ap.add_argument("--out", default=env("SOAK_OUT", ""),
                    help="keep the results here (default: a temporary directory, removed)")
    ap.add_argument("--data", default=env("SOAK_DATA", SFHH))
    a = ap.parse_args()
    if a.days < 1 or a.share < 1 or a.speedup < 0 or a.flap_min < 0 or a.sample <= 0:
        ap.error("--days and --share must be >= 1, --sample > 0, the others >= 0")
    return a


# --- the workload -------------------------------------------------------------

def sfhh_days(path):
    """[(day, [(t, a, b), ...]), ...]: merged contacts per SFHH day, or None."""
    try:
        f = open(path)
    except OSError:
        return None
    last = {}
    days = collections.defaultdict(list)
    with f:
        for line in f:
            t, i, j = (int(x) for x in line.split())
            a, b = min(i, j), max(i, j)
            if (a, b) in last and t - last[(a, b)] <= 20:
                last[(a, b)] = t
                continue
            last[(a, b)] = t
            days[t // 86400].append((t, a, b))
    return [days[d] for d in sorted(days)]


def generated_days():
    """Two days of contacts among 400 people, a few meeting many: a stand-in
    with SFHH's size (26,000 contacts), not its structure."""
    rnd = random.Random(1)
    weights = [1.0 / (k + 1) ** 0.8 for k in range(400)]
    out = []
    for day, n in ((0, 16200), (1, 9800)):
        times = sorted(rnd.uniform(9 * 3600, 18 * 3600) for _ in range(n))
        contacts = []
        for t in times:
            a, b = rnd.choices(range(400), weights, k=2)
            if a != b:
                contacts.append((day * 86400 + int(t), min(a, b), max(a, b)))
        out.append(contacts)
    return out


def uid(p):
    return "045F%010X" % p


def schedule(days, n_days, share, pair_gap_s):
    """[(sim_s, a, b), ...]: the station's taps, event day after event day;
    sim_s counts simulated event seconds from the first contact, the nights
    left out. A pair's contact less than pair_gap_s after its last tap is
    no tap: colleagues who spend the day together talk all day and tap once."""
    out = []
    base = 0.0
    last = {}
    for k in range(n_days):
        day = [c for c in days[k % len(days)] if (c[1] * 31 + c[2]) % share == 0]
        if not day:
            continue
        t0 = day[0][0]
        for t, a, b in day:
            sim = base + t - t0
            if (a, b) in last and sim - last[(a, b)] < pair_gap_s:
                continue
            last[(a, b)] = sim
            out.append((sim, a, b))
        base += day[-1][0] - t0 + 1
    return out


# --- the processes ------------------------------------------------------------

class Log:
    """The daemon's log file, read as it grows."""

    def __init__(self, path):
        self.path = path
        self.f = None
        self.buf = ""
        self.lines = 0

    def new_lines(self):
        if self.f is None:
            try:
                self.f = open(self.path, errors="replace")
            except OSError:
                return []
        self.buf += self.f.read()
        if "\n" not in self.buf:
            return []
        done, self.buf = self.buf.rsplit("\n", 1)
        lines = done.split("\n")
        self.lines += len(lines)
        return lines


class Emulator:
    def __init__(self, path):
        self.path = path
        self.sock = None

    def run(self, *lines):
        """Sends the lines in one write; fails unless each is answered ok."""
        if self.sock is None:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(10)
            self.sock.connect(self.path)
            self.buf = b""
        self.sock.sendall("".join(l + "\n" for l in lines).encode())
        for l in lines:
            while b"\n" not in self.buf:
                chunk = self.sock.recv(4096)
                if not chunk:
                    raise RuntimeError("the emulator closed its control socket")
                self.buf += chunk
            reply, self.buf = self.buf.split(b"\n", 1)
            if reply != b"ok":
                raise RuntimeError("emulator: %r answered %r" % (l, reply.decode(errors="replace")))


def wait_until(pred, timeout, step=0.02):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(step)


def daemon_child(strace_pid, exe):
    """The pid of exe once strace runs it (strace forks a helper first)."""
    try:
        with open("/proc/%d/task/%d/children" % (strace_pid, strace_pid)) as f:
            kids = [int(k) for k in f.read().split()]
        for k in kids:
            if os.path.realpath("/proc/%d/exe" % k) == os.path.realpath(exe):
                return k
    except OSError:
        pass
    return None


def strace_works():
    if not shutil.which("strace"):
        return False
    r = subprocess.run(["strace", "-f", "--seccomp-bpf", "-qq", "-e", "trace=fsync,fdatasync",
                        "-o", "/dev/null", "true"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    return r.returncode == 0


class Queries(threading.Thread):
    """tapmeet against the live database, one command after the other."""

    COMMANDS = (["meetings", "--since", "10m"], ["stats"], ["people"], ["status"])

    def __init__(self, tapmeet, conf, errlog):
        super().__init__(daemon=True)
        self.tapmeet, self.conf, self.errlog = tapmeet, conf, errlog
        self.stop = threading.Event()
        self.runs = collections.Counter()
        self.failures = collections.Counter()
        self.status_unhealthy = 0
        self.slowest = collections.defaultdict(float)

    def run(self):
        while not self.stop.is_set():
            for cmd in self.COMMANDS:
                t = time.monotonic()
                r = subprocess.run([self.tapmeet, "--config", self.conf] + cmd,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                took = time.monotonic() - t
                name = cmd[0]
                self.runs[name] += 1
                self.slowest[name] = max(self.slowest[name], took)
                if name == "status" and r.returncode == 3:
                    self.status_unhealthy += 1
                elif r.returncode != 0:
                    self.failures[name] += 1
                    with open(self.errlog, "a") as f:
                        f.write("%s exited %d: %s\n" % (" ".join(cmd), r.returncode,
                                                        r.stderr.decode(errors="replace").strip()))
            self.stop.wait(0.2)


def read_kv(path, keys):
    out = {}
    try:
        with open(path) as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in keys:
                    out[k] = v.split()[0]
    except OSError:
        pass
    return out


def wal_state(path):
    """(size, checkpoint sequence) of the -wal, (0, None) when there is none."""
    try:
        with open(path, "rb") as f:
            head = f.read(16)
        size = os.path.getsize(path)
    except OSError:
        return 0, None
    if len(head) < 16:
        return size, None
    return size, struct.unpack(">I", head[12:16])[0]


def count_fsyncs(path):
    if path is None:
        return None
    n = 0
    try:
        with open(path, errors="replace") as f:
            for line in f:
                if "fsync(" in line or "fdatasync(" in line:
                    n += 1
    except OSError:
        return None
    return n


SAMPLE_FIELDS = ("t_s", "label", "meetings", "rss_kib", "fds", "threads", "wal_bytes", "wal_ckpt_seq",
                 "log_lines", "log_bytes", "write_bytes", "syscw", "fsyncs", "queries")


class Soak:
    def __init__(self, a):
        self.a = a
        self.failures = []
        self.samples = []
        self.t0 = time.monotonic()

    def fail(self, what):
        self.failures.append(what)
        print("FAIL: " + what, flush=True)

    def sample(self, label):
        pid = self.pid
        st = read_kv("/proc/%d/status" % pid, ("VmRSS", "Threads"))
        io = read_kv("/proc/%d/io" % pid, ("write_bytes", "syscw"))
        try:
            fds = len(os.listdir("/proc/%d/fd" % pid))
        except OSError:
            fds = None
        wal, seq = wal_state(self.db + "-wal")
        try:
            log_bytes = os.path.getsize(self.errpath)
        except OSError:
            log_bytes = 0
        with open(self.errpath, "rb") as f:
            log_lines = f.read().count(b"\n")
        s = {
            "t_s": round(time.monotonic() - self.t0),
            "label": label,
            "meetings": self.presented_ok,
            "rss_kib": int(st.get("VmRSS", 0)),
            "fds": fds,
            "threads": int(st.get("Threads", 0)),
            "wal_bytes": wal,
            "wal_ckpt_seq": seq,
            "log_lines": log_lines,
            "log_bytes": log_bytes,
            "write_bytes": int(io.get("write_bytes", 0)),
            "syscw": int(io.get("syscw", 0)),
            "fsyncs": count_fsyncs(self.fsync_log),
            "queries": sum(self.queries.runs.values()) if self.queries else 0,
        }
        self.samples.append(s)
        with open(os.path.join(self.out, "samples.tsv"), "a") as f:
            if len(self.samples) == 1:
                f.write("\t".join(SAMPLE_FIELDS) + "\n")
            f.write("\t".join("" if s[k] is None else str(s[k]) for k in SAMPLE_FIELDS) + "\n")
        return s

    def maybe_sample(self):
        if time.monotonic() >= self.next_sample:
            self.sample("run")
            self.next_sample += self.a.sample

    def pump_log(self):
        for line in self.log.new_lines():
            m = MEETING_RE.search(line)
            if m:
                self.committed.append(frozenset(m.group(2).split(",")))
            if "state=fault" in line:
                self.faults += 1
            elif "state=ok" in line:
                self.oks += 1

    def wait_log(self, pred, timeout):
        def step():
            self.pump_log()
            self.maybe_sample()
            return pred()
        return wait_until(step, timeout)

    def start(self):
        a = self.a
        build = os.path.abspath(a.build)
        self.tapmeetd = os.path.join(build, "tapmeetd")
        self.tapmeet = os.path.join(build, "tapmeet")
        emu = os.environ.get("PN532EMU") or os.path.join(build, "tests", "pn532emu")
        for f in (self.tapmeetd, self.tapmeet, emu):
            if not os.access(f, os.X_OK):
                die("%s is not built (make BUILD=%s all build-tests)" % (f, a.build))
        if b"libnfc" not in subprocess.run(["ldd", self.tapmeetd], capture_output=True).stdout:
            die("%s has no libnfc reader driver (libnfc-dev was missing at build time)"
                     % self.tapmeetd)
        self.work = tempfile.mkdtemp(prefix="tapmeet-soak.", dir=os.environ.get("TMPDIR", "/tmp"))
        self.out = os.path.abspath(a.out) if a.out else self.work
        os.makedirs(self.out, exist_ok=True)
        for f in ("samples.tsv", "report.txt", "queries.err"):
            if os.path.exists(os.path.join(self.out, f)):
                os.remove(os.path.join(self.out, f))
        self.db = os.path.join(self.work, "soak.db")
        self.errpath = os.path.join(self.work, "daemon.err")
        self.conf = os.path.join(self.work, "soak.conf")
        link, ctl = os.path.join(self.work, "pn532"), os.path.join(self.work, "emu.ctl")
        with open(self.conf, "w") as f:
            f.write("[station]\nid = soak\nstatus_file = %s\n"
                    "[reader]\ndriver = libnfc\ndevice = pn532_uart:%s\n"
                    "[store]\npath = %s\n[leds]\ndriver = none\n"
                    % (os.path.join(self.work, "status"), link, self.db))
        self.emu = subprocess.Popen([emu, "--link", link, "--control", ctl],
                                    stdout=subprocess.DEVNULL,
                                    stderr=open(os.path.join(self.work, "emu.err"), "w"))
        if not wait_until(lambda: os.path.exists(ctl) and os.path.lexists(link), 10):
            die("the PN532 emulator did not start")
        self.ctl = Emulator(ctl)
        denv = dict(os.environ, LIBNFC_AUTO_SCAN="false")
        cmd = [self.tapmeetd, "--config", self.conf]
        self.fsync_log = None
        self.asan = b"libasan" in subprocess.run(["ldd", self.tapmeetd], capture_output=True).stdout
        if self.asan:
            # LeakSanitizer cannot run under ptrace: the leak check at the
            # stop matters more here than the count.
            print("soak: an ASan build: fsyncs not counted (LeakSanitizer does not run under strace)")
        elif strace_works():
            self.fsync_log = os.path.join(self.work, "fsync.strace")
            cmd = ["strace", "-f", "--seccomp-bpf", "-qq", "-e", "trace=fsync,fdatasync",
                   "-e", "signal=none", "-o", self.fsync_log] + cmd
        else:
            print("soak: strace (with --seccomp-bpf) is not usable here: no fsync count")
        err = open(self.errpath, "w")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=denv)
        err.close()
        if self.fsync_log:
            self.pid = wait_until(lambda: daemon_child(self.proc.pid, self.tapmeetd), 10)
            if not self.pid:
                die("strace did not start tapmeetd")
        else:
            self.pid = self.proc.pid
        self.log = Log(self.errpath)
        self.committed = []
        self.faults = self.oks = 0
        self.queries = None
        self.presented_ok = 0
        self.next_sample = time.monotonic() + a.sample
        if not self.wait_log(lambda: self.oks > 0, 30):
            die("tapmeetd did not connect to the emulated reader:\n" +
                     open(self.errpath).read()[-2000:])

    def flap(self):
        faults, oks = self.faults, self.oks
        self.ctl.run("vanish")
        if not self.wait_log(lambda: self.faults > faults, RECOVER_TIMEOUT_S):
            self.fail("flap %d: no state=fault logged after vanish" % (self.flaps + 1))
        time.sleep(self.a.flap_down)
        t = time.monotonic()
        self.ctl.run("return")
        if self.wait_log(lambda: self.oks > oks, RECOVER_TIMEOUT_S):
            self.recoveries += 1
            self.recover_max = max(self.recover_max, time.monotonic() - t)
        else:
            self.fail("flap %d: no state=ok within %d s of return" % (self.flaps + 1, RECOVER_TIMEOUT_S))
        self.flaps += 1

    def meet(self, a, b):
        ua, ub = uid(a), uid(b)
        want = frozenset((ua, ub))
        n = len(self.committed)
        self.ctl.run("add %s ntag %s" % (ua, ua), "add %s ntag %s" % (ub, ub))
        t = time.monotonic()
        seen = self.wait_log(lambda: any(c == want for c in self.committed[n:]), COMMIT_TIMEOUT_S)
        self.ctl.run("remove %s" % ua, "remove %s" % ub)
        self.presented[want] += 1
        if seen:
            self.presented_ok += 1
            self.commit_max = max(self.commit_max, time.monotonic() - t)
        else:
            self.unconfirmed += 1
            print("soak: no commit logged for %s %s within %.0f s" % (ua, ub, COMMIT_TIMEOUT_S),
                  flush=True)
        time.sleep(GAP_S)

    def replay(self, plan):
        a = self.a
        self.presented = collections.Counter()
        self.unconfirmed = 0
        self.flaps = self.recoveries = 0
        self.recover_max = self.commit_max = 0.0
        self.deferred = 0
        warm_at = a.warmup or max(5, len(plan) // 20)
        flap_s = a.flap_min * 60.0
        next_flap = (plan[0][0] // flap_s + 1) * flap_s if flap_s else None
        pair_at, badge_at = {}, {}
        pending = collections.deque(plan)
        start = time.monotonic()
        warm = None
        while pending:
            now = time.monotonic()
            pick = None
            wake = None
            # The first contact in SFHH order that may go now; the search
            # stops at the first one not yet due (later ones are later still).
            for i, (sim, x, y) in enumerate(pending):
                due = start + (sim - plan[0][0]) / a.speedup if a.speedup else now
                if due > now:
                    wake = due if wake is None else min(wake, due)
                    break
                ready = max(pair_at.get((x, y), -1e9) + REPEAT_GUARD_S,
                            badge_at.get(x, -1e9) + AFTER_MEETING_S,
                            badge_at.get(y, -1e9) + AFTER_MEETING_S)
                if ready <= now:
                    pick = i
                    break
                wake = ready if wake is None else min(wake, ready)
                if i > 400:
                    break
            if pick is None:
                self.deferred += 1
                self.wait_log(lambda: False, max(0.0, min(wake or now, now + 1.0) - now))
                continue
            sim, x, y = pending[pick]
            del pending[pick]
            if next_flap is not None and sim >= next_flap:
                self.flap()
                next_flap = (sim // flap_s + 1) * flap_s
            self.meet(x, y)
            done = time.monotonic()
            pair_at[(x, y)] = done
            badge_at[x] = badge_at[y] = done
            if warm is None and sum(self.presented.values()) >= warm_at and self.flaps >= min(1, self.flaps_planned):
                warm = self.sample("warm-up")
            self.pump_log()
            self.maybe_sample()
        self.replay_s = time.monotonic() - start
        return warm

    def run(self):
        a = self.a
        days = sfhh_days(a.data)
        if days is None:
            print("soak: %s is absent: generated contacts among 400 people instead" % a.data)
            days, source = generated_days(), "generated"
        else:
            source = "SFHH"
        plan = schedule(days, a.days, a.share, a.pair_gap_min * 60.0)
        if a.from_hour:
            plan = [c for c in plan if c[0] >= a.from_hour * 3600.0]
        if a.meetings:
            plan = plan[:a.meetings]
        if not plan:
            die("no contact for this station")
        sim_total = plan[-1][0] - plan[0][0]
        self.flaps_planned = 0
        if a.flap_min:
            # As the replay decides, in plan order (a contact that waits for
            # its pair's guard may go after a mark it preceded: the replay
            # may then do one more or one less).
            flap_s = a.flap_min * 60.0
            mark = (plan[0][0] // flap_s + 1) * flap_s
            for sim, _, _ in plan:
                if sim >= mark:
                    self.flaps_planned += 1
                    mark = (sim // flap_s + 1) * flap_s
        print("soak: %d meetings from %s (%s), %d event day(s), 1 pair in %d, a pair again after %g "
              "simulated min, %.1f simulated hours, reader unplugged every %g simulated min "
              "(%d times) for %g s"
              % (len(plan), source, os.path.normpath(a.data), a.days, a.share, a.pair_gap_min, sim_total / 3600.0,
                 a.flap_min, self.flaps_planned, a.flap_down), flush=True)
        self.start()
        self.queries = Queries(self.tapmeet, self.conf, os.path.join(self.out, "queries.err"))
        first = self.sample("start")
        self.queries.start()
        warm = self.replay(plan)
        self.queries.stop.set()
        self.queries.join()
        self.wait_log(lambda: False, 1.0)
        end = self.sample("end")
        idle = None
        if a.idle:
            self.wait_log(lambda: False, a.idle)
            idle = self.sample("idle")
        os.kill(self.pid, signal.SIGTERM)
        try:
            rc = self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = "killed after 60 s"
        self.emu.terminate()
        self.emu.wait(10)
        self.pump_log()
        self.finish(plan, first, warm or end, end, idle, rc, source, sim_total)

    def finish(self, plan, first, warm, end, idle, rc, source, sim_total):
        a = self.a
        if rc != 0:
            self.fail("tapmeetd exited %s on SIGTERM" % rc)
        # The database, row by row: every meeting, its badges, its mark.
        con = sqlite3.connect("file:%s?mode=ro" % self.db, uri=True)
        stored = collections.Counter()
        suspect = 0
        for mid, sus, uids in con.execute(
                "SELECT m.id, coalesce(m.suspect, ''), group_concat(b.uid) FROM meetings m "
                "JOIN meeting_badges b ON b.meeting_id = m.id GROUP BY m.id"):
            stored[frozenset(uids.split(","))] += 1
            suspect += sus != ""
        taps = dict(con.execute("SELECT outcome, count(*) FROM taps GROUP BY outcome").fetchall())
        integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
        con.close()
        missing = self.presented - stored
        extra = stored - self.presented
        n = sum(self.presented.values())
        n_stored = sum(stored.values())
        if missing or extra:
            self.fail("stored meetings differ from those presented: %d missing, %d extra"
                      % (sum(missing.values()), sum(extra.values())))
            for what, c in (("missing", missing), ("extra", extra)):
                for k, v in list(c.items())[:10]:
                    print("  %s: %s x%d" % (what, " ".join(sorted(k)), v))
        if suspect:
            self.fail("%d meetings marked suspect (every pair was held together, alone)" % suspect)
        if taps != {"paired": 2 * n}:
            self.fail("taps: expected %d paired and nothing else, got %r" % (2 * n, taps))
        if integrity != "ok":
            self.fail("integrity_check: %s" % integrity)
        if (self.flaps_planned and not self.flaps) or self.recoveries != self.flaps:
            self.fail("reader flaps: %d planned, %d done, %d recovered"
                      % (self.flaps_planned, self.flaps, self.recoveries))
        for name in ("meetings", "stats", "people", "status"):
            if self.queries.failures[name]:
                self.fail("tapmeet %s failed %d times of %d (queries.err)"
                          % (name, self.queries.failures[name], self.queries.runs[name]))
            if not self.queries.runs[name]:
                self.fail("tapmeet %s never ran" % name)

        # Flat and bounded. Generous bounds: these are leaks and floods,
        # not noise. Under ASan the allocator's quarantine holds freed
        # memory for a while, so RSS is only reported there.
        asan = self.asan
        rss_bound = warm["rss_kib"] + max(2048, warm["rss_kib"] // 5)
        flat = [("fds", end["fds"] <= warm["fds"]),
                ("threads", end["threads"] <= warm["threads"])]
        if not asan:
            flat.append(("RSS (KiB, bound warm-up + max(2 MiB, 20 %%) = %d)" % rss_bound,
                         end["rss_kib"] <= rss_bound))
        for what, good in flat:
            if not good:
                self.fail("%s grew: warm-up %s, end %s" % (what.split(" ")[0], warm, end))
        page = 4096
        wal_max = max(s["wal_bytes"] for s in self.samples)
        # SQLite checkpoints at 1000 pages; a commit may carry the file past
        # that before the checkpoint that follows it.
        wal_bound = (1000 + 100) * page + 32
        if wal_max > wal_bound:
            self.fail("the -wal reached %d bytes (bound %d): checkpoints do not keep up" % (wal_max, wal_bound))
        seqs = [s["wal_ckpt_seq"] for s in self.samples if s["wal_ckpt_seq"] is not None]
        ckpt_restarts = (seqs[-1] - seqs[0]) if seqs else 0
        log_lines = end["log_lines"] - first["log_lines"]
        # Per meeting: two tap lines and the meeting line; per flap: the
        # fault and the recovery, with libnfc's own words.
        log_bound = 3 * n + 10 * self.flaps + 10
        if log_lines > log_bound:
            self.fail("the log grew by %d lines for %d meetings and %d flaps (bound %d)"
                      % (log_lines, n, self.flaps, log_bound))

        wb = end["write_bytes"] - first["write_bytes"]
        cw = end["syscw"] - first["syscw"]
        fs = (end["fsyncs"] - first["fsyncs"]) if end["fsyncs"] is not None else None
        lb = end["log_bytes"] - first["log_bytes"]
        report = collections.OrderedDict([
            ("source", source),
            ("days", a.days), ("share", a.share), ("pair_gap_min", a.pair_gap_min),
            ("speedup", a.speedup),
            ("simulated_hours", "%.2f" % (sim_total / 3600.0)),
            ("replay_s", "%.0f" % self.replay_s),
            ("acceleration", "%.1f" % (sim_total / self.replay_s if self.replay_s else 0)),
            ("meetings_presented", n), ("meetings_stored", n_stored),
            ("meetings_missing", sum(missing.values())), ("meetings_extra", sum(extra.values())),
            ("meetings_suspect", suspect), ("commit_unconfirmed", self.unconfirmed),
            ("taps", " ".join("%s:%d" % kv for kv in sorted(taps.items())).replace(" ", ",")),
            ("integrity", integrity),
            ("flaps", self.flaps), ("recovered", self.recoveries),
            ("recover_max_s", "%.2f" % self.recover_max),
            ("commit_max_s", "%.2f" % self.commit_max),
            ("queries", ",".join("%s:%d" % (k, self.queries.runs[k]) for k in sorted(self.queries.runs))),
            ("query_failures", sum(self.queries.failures.values())),
            ("status_unhealthy", self.queries.status_unhealthy),
            ("query_slowest_s", ",".join("%s:%.2f" % (k, v) for k, v in sorted(self.queries.slowest.items()))),
            ("rss_kib_warm", warm["rss_kib"]), ("rss_kib_end", end["rss_kib"]),
            ("fds_warm", warm["fds"]), ("fds_end", end["fds"]),
            ("threads_warm", warm["threads"]), ("threads_end", end["threads"]),
            ("wal_bytes_max", wal_max), ("wal_restarts", ckpt_restarts),
            ("log_lines", log_lines), ("log_bytes", lb),
            ("log_lines_per_meeting", "%.2f" % (log_lines / n)),
            ("write_bytes", wb), ("write_bytes_per_meeting", "%.0f" % (wb / n)),
            ("syscw_per_meeting", "%.1f" % (cw / n)),
            ("fsyncs", "" if fs is None else fs),
            ("fsyncs_per_meeting", "" if fs is None else "%.2f" % (fs / n)),
        ])
        if idle:
            hours = (idle["t_s"] - end["t_s"]) / 3600.0
            report["idle_s"] = idle["t_s"] - end["t_s"]
            report["idle_write_bytes_per_hour"] = "%.0f" % ((idle["write_bytes"] - end["write_bytes"]) / hours)
            if idle["fsyncs"] is not None:
                report["idle_fsyncs_per_hour"] = "%.0f" % ((idle["fsyncs"] - end["fsyncs"]) / hours)
        report["failed_checks"] = len(self.failures)
        with open(os.path.join(self.out, "report.txt"), "w") as f:
            for k, v in report.items():
                f.write("%s=%s\n" % (k, v))
        if a.out:
            for f in ("daemon.err", "soak.conf", "soak.db"):
                shutil.copy(os.path.join(self.work, f), self.out)
        print("soak: %d meetings presented, %d stored (%d missing, %d extra, %d suspect); "
              "%d reader flaps, %d recovered (slowest %.1f s); %d queries, %d failed"
              % (n, n_stored, sum(missing.values()), sum(extra.values()), suspect, self.flaps,
                 self.recoveries, self.recover_max, sum(self.queries.runs.values()),
                 sum(self.queries.failures.values())))
        print("soak: RSS %d -> %d KiB, fds %s -> %s, threads %s -> %s (warm-up -> end); "
              "-wal at most %d bytes, started again %d times"
              % (warm["rss_kib"], end["rss_kib"], warm["fds"], end["fds"], warm["threads"],
                 end["threads"], wal_max, ckpt_restarts))
        print("soak: per meeting: %.0f bytes written, %s fsync+fdatasync, %.2f log lines"
              % (wb / n, "?" if fs is None else "%.2f" % (fs / n), log_lines / n))
        print("soak: %s" % ("all checks passed" if not self.failures else
                            "%d checks FAILED" % len(self.failures)))
        print("soak: files in %s" % self.out if a.out else "soak: report.txt and samples.tsv not kept (--out DIR keeps them)")
        self.report = report

    def cleanup(self):
        for p in (getattr(self, "proc", None), getattr(self, "emu", None)):
            if p and p.poll() is None:
                p.kill()
                p.wait()
        if getattr(self, "work", None):
            shutil.rmtree(self.work, ignore_errors=True)


def main():
    a = parse_args()
    soak = Soak(a)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))
    try:
        soak.run()
    except KeyboardInterrupt:
        sys.exit(130)
    finally:
        soak.cleanup()
    sys.exit(1 if soak.failures else 0)


if __name__ == "__main__":
    main()
