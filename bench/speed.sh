#!/usr/bin/env bash
# tapmeetd against a naive station (bench/naive/naive_station.c), side by
# side in one run, each on its own PN532 emulator. Figures, never pass/fail.
#
#   bench/speed.sh BUILD_DIR
#
# tapmeetd runs etc/tapmeetd.conf as shipped with only the paths, the
# libnfc reader on the emulator, the sim LEDs (whose green+buzzer line is
# printed right after the meeting's COMMIT) and min_dwell = 0 set: a badge
# counts the moment it is seen, the naive station's rule, so the figures
# compare the machinery. A second column gives the latency under the shipped
# rules, whose waits are deliberate (docs/pairing.md). The naive station
# lists the reader every 20 ms and prints "meeting A B mono_ms=N" after its
# COMMIT. Both ends of every latency are CLOCK_MONOTONIC. The physical floor
# is computed: UART bytes and chip time of the one command that finds the
# badge, plus one fdatasync measured here.
#
#   - tap -> meeting committed, TAPS trials per case (default 100;
#     TAPS_DEFAULTS, default 30, under the shipped rules), a fresh
#     pair of UIDs each: (a) B added ~1 s after A, A still lying there;
#     (b) A held ~0.5 s and lifted, B added to the empty reader 0.3-0.6 s
#     later. From B's add acknowledged to the commit; p50/p99/max.
#   - the shortest hold still seen: a badge on for HOLDS ms (default
#     "10 20 30 50 75 100 150 250"), HOLD_TRIALS times each (default 50),
#     0.3-0.6 s apart; a hold counts when the station logged a tap for the
#     badge (tapmeetd: its `tap ... uid=` line, passers-by included; naive:
#     `seen UID`). The shortest hold from which every longer one is seen
#     in >= 99 %.
#   - idle CPU, both stations over the same IDLE_S seconds (default 60), the
#     readers empty: utime+stime from /proc/PID/stat, % of one core.
#   - VmRSS after the run, and pmap -x grouped by what it maps.
# PN532EMU=PATH uses another emulator binary. The emulator's own default
# timing is used; the output says whether it models timing.
set -euo pipefail

BUILD=${1:-${BUILD:-build}}
HERE=$(cd "$(dirname "$0")" && pwd)
export TM_DAEMON=$BUILD/tapmeetd
export TM_NAIVE=$BUILD/bench/naive_station
export TM_EMU=${PN532EMU:-$BUILD/tests/pn532emu}
export TM_CONF=$HERE/../etc/tapmeetd.conf
export TM_TAPS=${TAPS:-100}
export TM_TAPS_DEFAULTS=${TAPS_DEFAULTS:-30}
export TM_HOLDS=${HOLDS:-10 20 30 50 75 100 150 250}
export TM_HOLD_TRIALS=${HOLD_TRIALS:-50}
export TM_IDLE_S=${IDLE_S:-60}
PYTHONPATH=$HERE${PYTHONPATH:+:$PYTHONPATH}
export PYTHONPATH

for f in "$TM_DAEMON" "$TM_NAIVE" "$TM_EMU"; do
	if [ ! -x "$f" ]; then
		echo "bench/speed.sh: $f is not built (make bench)" >&2
		exit 1
	fi
done

exec python3 - <<'EOF'
import os, queue, random, re, statistics, subprocess, sys, tempfile, threading, time

from emubench import Daemon, Emulator, cleanup, get_until, idle_cpu, percentile, spawn, wait_until

DAEMON, NAIVE, EMU = os.environ["TM_DAEMON"], os.environ["TM_NAIVE"], os.environ["TM_EMU"]
TAPS = int(os.environ["TM_TAPS"])
TAPS_DEFAULTS = int(os.environ["TM_TAPS_DEFAULTS"])
HOLDS = [int(h) for h in os.environ["TM_HOLDS"].split()]
HOLD_TRIALS = int(os.environ["TM_HOLD_TRIALS"])
IDLE_S = float(os.environ["TM_IDLE_S"])
# tapmeetd confirms "saved" for `confirm` (2 s) after the commit; a new pair
# waits that out. Fresh UIDs keep rearm, after_meeting and the repeat guard
# out of the way.
TAPMEET_SETTLE_S = 2.1

tmp = tempfile.mkdtemp(prefix="tapmeet-speed.")


def shipped_conf(path, values):
    """The shipped config file with the keys in values ({(section, key): value}) set."""
    out, section, done = [], None, set()
    for line in open(path):
        m = re.match(r"\[(\w+)\]", line)
        if m:
            section = m.group(1)
        m = re.match(r"#?(\w+) =(\s|$)", line)
        if m and (section, m.group(1)) in values and (section, m.group(1)) not in done:
            line = "%s = %s\n" % (m.group(1), values[(section, m.group(1))])
            done.add((section, m.group(1)))
        out.append(line)
    if done != set(values):
        sys.exit("keys not in %s: %s" % (path, sorted(set(values) - done)))
    return "".join(out)


class Tapmeet:
    name = "tapmeetd"
    # The naive station's decision rule: a badge counts the moment it is
    # seen. What is left is the machinery: reader loop, engine, commit.
    keys = {("pairing", "min_dwell"): "0"}

    def __init__(self, d):
        self.emu = Emulator(EMU, d)
        conf = os.path.join(d, "t.conf")
        with open(conf, "w") as f:
            f.write(shipped_conf(os.environ["TM_CONF"], {**{
                ("station", "id"): "speed",
                ("reader", "driver"): "libnfc",
                ("reader", "device"): "pn532_uart:" + self.emu.link,
                ("store", "path"): os.path.join(d, "t.db"),
                ("leds", "driver"): "sim",
                ("leds", "color"): "false",
            }, **self.keys}))
        self.daemon = Daemon(DAEMON, conf, os.path.join(d, "d.err"))
        self.proc = self.daemon.proc

    def wait_commit(self, t0_ms, a, b):
        ev = self.daemon.wait_led(lambda ev: ev[1] == 1 and ev[4] == 1 and ev[0] >= int(t0_ms) - 1)
        return None if ev is None else ev[0]

    def settle(self):
        time.sleep(TAPMEET_SETTLE_S)

    def seen(self):
        return set(re.findall(r"^(?:<\d>)?tap id=\S+ uid=([0-9A-F]+)", self.daemon.log(), re.M))

    def meetings(self):
        return len(re.findall(r"^(?:<\d>)?meeting id=", self.daemon.log(), re.M))


class TapmeetDefaults(Tapmeet):
    """The shipped rules: min_dwell's 250 ms and the 500 ms a badge put on an
    empty reader waits for a partner put down with it are deliberate
    (docs/pairing.md); this column shows what they cost."""
    name = "defaults"
    keys = {}


class Naive:
    name = "naive"

    def __init__(self, d):
        self.emu = Emulator(EMU, d)
        self.err = os.path.join(d, "n.err")
        with open(self.err, "w") as err:
            self.proc = spawn([NAIVE, "--device", "pn532_uart:" + self.emu.link,
                               "--db", os.path.join(d, "n.db")],
                              stdout=subprocess.PIPE, stderr=err, text=True, bufsize=1,
                              env=dict(os.environ, LIBNFC_AUTO_SCAN="false"))
        self.met = queue.Queue()
        self.seen_uids = set()
        self.n_meetings = 0
        threading.Thread(target=self._read, daemon=True).start()
        if not wait_until(lambda: "polling" in open(self.err).read()):
            sys.exit("naive_station did not open the emulated reader")

    def _read(self):
        for line in self.proc.stdout:
            w = line.split()
            if len(w) == 2 and w[0] == "seen":
                self.seen_uids.add(w[1])
            elif len(w) == 4 and w[0] == "meeting":
                self.n_meetings += 1
                self.met.put((w[1], w[2], int(w[3].split("=")[1])))

    def wait_commit(self, t0_ms, a, b):
        m = get_until(self.met, lambda m: {m[0], m[1]} == {a, b})
        return None if m is None else m[2]

    def settle(self):
        time.sleep(random.uniform(0.3, 0.6))

    def seen(self):
        return set(self.seen_uids)

    def meetings(self):
        return self.n_meetings


def latency(st, taps):
    """{case: [ms]}, misses: taps meetings per case, the cases alternating."""
    lat, missed = {"joins": [], "empty": []}, {"joins": 0, "empty": 0}
    emu = st.emu
    for i in range(2 * taps):
        case = "joins" if i % 2 == 0 else "empty"
        a, b = "%dA%06X" % (1 + i % 2, i), "%dB%06X" % (1 + i % 2, i)
        emu.send("add a classic " + a)
        if case == "joins":
            time.sleep(1.0)
        else:
            time.sleep(0.5)
            emu.send("remove a")
            time.sleep(random.uniform(0.3, 0.6))
        t0 = emu.send("add b classic " + b)
        t1 = st.wait_commit(t0 * 1000.0, a, b)
        emu.send("remove all")
        if t1 is None:
            missed[case] += 1
            time.sleep(6)  # past every window
        else:
            lat[case].append(max(0.0, t1 - t0 * 1000.0))
            st.settle()
    return lat, missed


def holds(st):
    """[(hold, uids, actual hold ms)] for each hold, HOLD_TRIALS badges each."""
    runs = []
    for hi, hold in enumerate(HOLDS):
        uids, actual = [], []
        for k in range(HOLD_TRIALS):
            uid = "5%X%06X" % (hi, k)
            t_add = st.emu.send("add h classic " + uid)
            rest = hold / 1000.0 - (time.monotonic() - t_add)
            if rest > 0:
                time.sleep(rest)
            t_rm = st.emu.send("remove h")
            uids.append(uid)
            actual.append((t_rm - t_add) * 1000.0)
            time.sleep(random.uniform(0.3, 0.6))
        runs.append((hold, uids, actual))
    return runs


def physical_floor_ms():
    """(uart, chip, fsync) in ms: the least a PN532 station can take from a
    badge in the field to its meeting on disk. One InListPassiveTarget that
    finds it: 11 command + 6 ACK + 19 answer bytes at 115200 baud (10 bits
    each); the chip's time for it in the emulator's model (ACK 0.2 ms, command
    0.3 ms, RF set-up 1.0 ms, activation of a 4-byte UID 2.5 ms:
    tests/pn532emu/README.md); one fdatasync of a 4 KiB page in the directory
    the databases are in, the median of 50 (SQLite's WAL commit, FULL)."""
    uart = 36 * 10 / 115200.0 * 1000
    chip = 0.2 + 0.3 + 1.0 + 2.5
    path = os.path.join(tmp, "fsync.probe")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    times = []
    for i in range(50):
        os.pwrite(fd, os.urandom(4096), 4096 * i)
        t = time.monotonic()
        os.fdatasync(fd)
        times.append((time.monotonic() - t) * 1000)
    os.close(fd)
    os.unlink(path)
    return uart, chip, statistics.median(times)


GROUPS = ["libcrypto", "libsqlite3", "libnfc", "libc", "heap", "thread stacks/anonymous", "other"]


def memory(pid):
    """VmRSS, VmHWM (kB), the RSS of each group and of the largest 'other' mappings."""
    status = open("/proc/%d/status" % pid).read()
    rss = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
    hwm = int(re.search(r"VmHWM:\s+(\d+)", status).group(1))
    groups, other = dict.fromkeys(GROUPS, 0), {}
    # pmap -x calls the heap "[ anon ]": /proc/PID/maps names it.
    heap = {int(line.split("-", 1)[0], 16) for line in open("/proc/%d/maps" % pid)
            if line.rstrip().endswith("[heap]")}
    out = subprocess.run(["pmap", "-x", str(pid)], capture_output=True, text=True).stdout
    for line in out.splitlines():
        w = line.split(None, 5)
        if len(w) < 6 or not re.fullmatch(r"[0-9a-f]{8,}", w[0]) or not w[2].isdigit():
            continue
        kb, mapping = int(w[2]), w[5].strip()
        g = next((g for g in GROUPS[:3] if mapping.startswith(g)), None)
        if g is None:
            if re.match(r"libc[.-]", mapping):
                g = "libc"
            elif int(w[0], 16) in heap:
                g = "heap"
            elif mapping in ("[ anon ]", "[ stack ]"):
                g = "thread stacks/anonymous"
            else:
                g = "other"
                other[mapping] = other.get(mapping, 0) + kb
        groups[g] += kb
    top = sorted(other.items(), key=lambda kv: -kv[1])[:4]
    return rss, hwm, groups, top


help_text = subprocess.run([EMU, "--help"], capture_output=True, text=True)
timing = "--no-timing" in help_text.stdout + help_text.stderr

try:
    floor = physical_floor_ms()
    defaults = TapmeetDefaults(tempfile.mkdtemp(dir=tmp))
    started = time.monotonic()
    # The shipped rules only for latency, and stopped before the rest: the
    # reader, CPU and memory are the same binary's as the first column's.
    D = {}
    D["lat"], D["missed"] = latency(defaults, TAPS_DEFAULTS)
    defaults.proc.terminate()
    defaults.proc.wait(10)
    defaults.emu.stop()
    stations = [Tapmeet(tempfile.mkdtemp(dir=tmp)), Naive(tempfile.mkdtemp(dir=tmp))]
    res = {st.name: {} for st in stations}
    for st in stations:
        res[st.name]["lat"], res[st.name]["missed"] = latency(st, TAPS)
    for st in stations:
        time.sleep(6)  # past every window before the holds
        res[st.name]["holds"] = holds(st)
    time.sleep(6)  # tapmeetd's last waiting tap times out: both stations idle
    for st, cpu in zip(stations, idle_cpu([st.proc.pid for st in stations], IDLE_S)):
        res[st.name]["cpu"] = cpu
    for st in stations:
        res[st.name]["mem"] = memory(st.proc.pid)
    for st in stations:
        st.proc.terminate()
        res[st.name]["exit"] = st.proc.wait(10)
        st.emu.stop()
        res[st.name]["seen"] = st.seen()  # after the stop: tapmeetd logs its last taps then
        res[st.name]["meetings"] = st.meetings()
    elapsed = time.monotonic() - started
finally:
    cleanup(tmp)

T, N = res["tapmeetd"], res["naive"]


def row(label, t, n, unit="", fmt="%.1f", ratio=True):
    def cell(v):
        return "-" if v is None else (fmt % v) + unit
    r = "-"
    if ratio and t is not None and n:
        r = "%.2f" % (t / n)
    print("  %-46s %12s %12s %14s" % (label, cell(t), cell(n), r))


def shortest(runs):
    """The shortest hold from which every longer one was seen >= 99 %."""
    best = None
    for hold, frac, _ in reversed(runs):
        if frac < 0.99:
            break
        best = hold
    return best


def seen_fracs(r):
    return [(hold, sum(u in r["seen"] for u in uids) / float(len(uids)), statistics.median(act))
            for hold, uids, act in r["holds"]]


print()
print("tapmeetd and a naive station side by side, each on its own emulated PN532 (%.0f s)" % elapsed)
print("emulator: %s; timing model: %s" % (EMU, "on (the emulator's default)" if timing else
      "absent (this pn532emu has no --no-timing: every answer comes at once)"))
print("tapmeetd: etc/tapmeetd.conf as shipped with min_dwell = 0 (a badge counts when seen, as in the naive")
print("          station), paths, reader = libnfc on the emulator, sim LEDs (commit = green+buzzer line)")
print("defaults: the same with min_dwell as shipped (250ms): latency only, %d trials per case" % TAPS_DEFAULTS)
print("naive:    %s: listing every 20 ms, no dwell, no guard, 5 s window" % NAIVE)
print()
print("physical floor: UART %.2f ms + chip %.2f ms + one fsync %.2f ms (median of 50 here) = %.2f ms"
      % (floor + (sum(floor),)))
print()
print("  %-46s %12s %12s %14s" % ("", "tapmeetd", "naive", "tapmeet/naive"))
for case, title in (("joins", "B joins A lying there"), ("empty", "B on the empty reader, A lifted before")):
    print("tap -> meeting committed, %s (%d trials)" % (title, TAPS))
    for name, f in (("p50", statistics.median), ("p99", lambda v: percentile(v, 99)), ("max", max)):
        row(name, f(T["lat"][case]) if T["lat"][case] else None,
            f(N["lat"][case]) if N["lat"][case] else None, " ms")
    row("missed (no commit within 10 s)", T["missed"][case], N["missed"][case], fmt="%d", ratio=False)
    p50 = statistics.median(T["lat"][case]) if T["lat"][case] else None
    if p50 is not None:
        print("  %-46s %12.2f %12s %14s" % ("tapmeetd p50 / physical floor (goal <= 2)", p50 / sum(floor), "", ""))
    if D["lat"][case]:
        print("  %-46s %12s" % ("shipped rules: p50 / p99",
                                "%.0f / %.0f ms" % (statistics.median(D["lat"][case]),
                                                    percentile(D["lat"][case], 99))))
tf, nf = seen_fracs(T), seen_fracs(N)
print("shortest hold still seen (>= 99 %% of %d, and every longer hold too)" % HOLD_TRIALS)
st_, sn_ = shortest(tf), shortest(nf)
print("  %-46s %12s %12s %14s" % ("hold", "%d ms" % st_ if st_ else "> %d ms" % HOLDS[-1],
                                   "%d ms" % sn_ if sn_ else "> %d ms" % HOLDS[-1],
                                   "%.2f" % (st_ / sn_) if st_ and sn_ else "-"))
for (hold, ft, at), (_, fn, an) in zip(tf, nf):
    row("seen at %d ms (held %.1f / %.1f ms, median)" % (hold, at, an), ft * 100, fn * 100, " %",
        fmt="%.0f", ratio=False)
print("idle CPU, readers empty, the same %g s (%% of one core)" % IDLE_S)
row("utime+stime", T["cpu"], N["cpu"], " %", fmt="%.2f")
print("memory after the run (kB)")
row("VmRSS", T["mem"][0], N["mem"][0], fmt="%d")
row("VmHWM (peak)", T["mem"][1], N["mem"][1], fmt="%d")
for g in GROUPS:
    row("  " + g, T["mem"][2][g], N["mem"][2][g], fmt="%d")
for st, r in (("tapmeetd", T), ("naive", N)):
    print("  %s's largest 'other': %s" % (st, ", ".join("%s %d" % kv for kv in r["mem"][3])))
print()
print("meetings committed in the run: tapmeetd %d, naive %d (latency trials and holds);"
      " SIGTERM exit status: tapmeetd %d, naive %d"
      % (T["meetings"], N["meetings"], T["exit"], N["exit"]))
print("latency: B's add acknowledged by the emulator -> the station's commit (CLOCK_MONOTONIC, ms)")
EOF
