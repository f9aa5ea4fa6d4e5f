#!/usr/bin/env bash
# Benchmark of the libnfc reader driver against the PN532 emulator. Figures,
# never pass/fail.
#
#   bench/libnfc.sh BUILD_DIR
#
# For each poll interval (INTERVALS, default "100ms 25ms"):
#   - meeting latency: from the moment the second badge is on the reader (the
#     emulator acknowledged the control command) until the meeting row is
#     committed and the success lights are set (the sim LED line with
#     green=1 buzzer=1, which the daemon prints only after the commit);
#     TAPS meetings (default 200) in each of two cases: B joins A still lying
#     on the reader, and B comes to an idle reader after A was taken away;
#     median / 99th percentile / max;
#   - idle CPU: the daemon polling an empty reader for IDLE_S seconds
#     (default 60), utime+stime from /proc/PID/stat, % of one core.
# Then libnfc's nfc-poll against the same emulator (NFCPOLL_RUNS runs,
# default 30): time from the badge put down to nfc-poll printing its UID.
#
# Both ends of every latency are CLOCK_MONOTONIC: python3's time.monotonic()
# on the control side, mono_ms from the daemon's sim LED driver.
# PN532EMU=PATH uses another emulator binary.
set -euo pipefail

BUILD=${1:-${BUILD:-build}}
export TM_DAEMON=$BUILD/tapmeetd
export TM_EMU=${PN532EMU:-$BUILD/tests/pn532emu}
export TM_TAPS=${TAPS:-200}
export TM_IDLE_S=${IDLE_S:-60}
export TM_INTERVALS=${INTERVALS:-100ms 25ms}
export TM_NFCPOLL_RUNS=${NFCPOLL_RUNS:-30}

for f in "$TM_DAEMON" "$TM_EMU"; do
	if [ ! -x "$f" ]; then
		echo "bench/libnfc.sh: $f is not built" >&2
		exit 1
	fi
done

exec python3 - <<'EOF'
import os, queue, random, re, shutil, signal, socket, statistics, subprocess, sys, tempfile, threading, time

DAEMON = os.environ["TM_DAEMON"]
EMU = os.environ["TM_EMU"]
TAPS = int(os.environ["TM_TAPS"])
IDLE_S = float(os.environ["TM_IDLE_S"])
INTERVALS = os.environ["TM_INTERVALS"].split()
NFCPOLL_RUNS = int(os.environ["TM_NFCPOLL_RUNS"])
TIMEOUT = 10.0

tmp = tempfile.mkdtemp(prefix="tapmeet-bench.")
children = []


def cleanup():
    for p in children:
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
    shutil.rmtree(tmp, ignore_errors=True)


def wait_until(pred, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.02)
    return False


class Emulator:
    def __init__(self, d):
        self.link = os.path.join(d, "pn532")
        self.ctl = os.path.join(d, "ctl")
        self.proc = subprocess.Popen([EMU, "--link", self.link, "--control", self.ctl],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        children.append(self.proc)
        if not wait_until(lambda: os.path.exists(self.ctl) and os.path.exists(self.link)):
            sys.exit("emulator did not start")

    def send(self, *lines):
        """Sends lines in one write; returns time.monotonic() once all are acknowledged."""
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(5)
        s.connect(self.ctl)
        s.sendall(("\n".join(lines) + "\n").encode())
        reply = b""
        while reply.count(b"\n") < len(lines):
            chunk = s.recv(4096)
            if not chunk:
                break
            reply += chunk
        t = time.monotonic()
        s.close()
        if reply.decode().split("\n").count("ok") < len(lines):
            sys.exit("emulator refused %r: %r" % (lines, reply))
        return t

    def stop(self):
        self.proc.terminate()
        self.proc.wait(5)


LED = re.compile(r"leds mono_ms=(\d+) .*green=(\d) amber=(\d) red=(\d) buzzer=(\d)")


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)


def percentile(values, p):
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(round(p / 100.0 * len(v) + 0.5)) - 1))
    return v[k]


def run_daemon(interval):
    d = tempfile.mkdtemp(dir=tmp)
    emu = Emulator(d)
    conf = os.path.join(d, "t.conf")
    with open(conf, "w") as f:
        f.write("[station]\nid = bench\n[reader]\ndriver = libnfc\ndevice = pn532_uart:%s\n"
                "poll_interval = %s\n[store]\npath = %s/t.db\n[pairing]\nwindow = 8s\n"
                "repeat_guard = 60s\nrearm = 1s\nsequential = true\nafter_meeting = 0\nmin_dwell = 0\n[leds]\ndriver = sim\n[log]\nlevel = notice\n"
                % (emu.link, interval, d))
    err = open(os.path.join(d, "d.err"), "w")
    env = dict(os.environ, LIBNFC_AUTO_SCAN="false")
    proc = subprocess.Popen([DAEMON, "--config", conf], stdout=subprocess.PIPE, stderr=err,
                            env=env, text=True, bufsize=1)
    children.append(proc)
    leds = queue.Queue()

    def reader():
        for line in proc.stdout:
            m = LED.search(line)
            if m:
                leds.put(tuple(int(x) for x in m.groups()))
    threading.Thread(target=reader, daemon=True).start()
    if not wait_until(lambda: "state=ok" in open(err.name).read()):
        sys.exit("daemon did not connect to the emulated reader")

    def wait_led(pred):
        deadline = time.monotonic() + TIMEOUT
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                ev = leds.get(timeout=left)
            except queue.Empty:
                return None
            if pred(ev):
                return ev

    lat = {"joins": [], "idle": []}
    missed = 0
    for i in range(2 * TAPS):
        # Alternate: B joins A still lying there (the reader is in its fast
        # re-listing mode), or B comes to an empty reader after a pause (the
        # reader is back to idle polling; random pause, random phase).
        mode = "joins" if i % 2 == 0 else "idle"
        a, b = "2A%06X" % i, "2B%06X" % i
        emu.send("add a classic " + a)
        # The first tap's "waiting" light: A is registered, the lights changed.
        if wait_led(lambda ev: ev[2] == 1) is None:
            missed += 1
            emu.send("remove all")
            continue
        if mode == "idle":
            emu.send("remove a")
            time.sleep(random.uniform(0.3, 0.6))
        t0 = emu.send("add b classic " + b)
        t0_ms = t0 * 1000.0
        ev = wait_led(lambda ev: ev[1] == 1 and ev[4] == 1 and ev[0] >= int(t0_ms) - 1)
        emu.send("remove all")
        if ev is None:
            missed += 1
        else:
            lat[mode].append(max(0.0, ev[0] - t0_ms))
    rows = subprocess.run(["sqlite3", "-cmd", ".timeout 2000", os.path.join(d, "t.db"),
                           "SELECT count(*) FROM meetings;"], capture_output=True, text=True).stdout.strip()

    emu.send("remove all")
    time.sleep(2)
    c0, w0 = cpu_ticks(proc.pid), time.monotonic()
    time.sleep(IDLE_S)
    c1, w1 = cpu_ticks(proc.pid), time.monotonic()
    cpu = (c1 - c0) / os.sysconf("SC_CLK_TCK") / (w1 - w0) * 100.0

    proc.terminate()
    proc.wait(10)
    emu.stop()
    return lat, missed, rows, cpu


def run_nfcpoll():
    nfcpoll = shutil.which("nfc-poll")
    if not nfcpoll:
        return None
    d = tempfile.mkdtemp(dir=tmp)
    emu = Emulator(d)
    env = dict(os.environ, LIBNFC_DEVICE="pn532_uart:" + emu.link, LIBNFC_AUTO_SCAN="false")
    cmd = ([shutil.which("stdbuf"), "-oL"] if shutil.which("stdbuf") else []) + [nfcpoll]
    lat = []
    for i in range(NFCPOLL_RUNS):
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                             text=True, bufsize=1)
        children.append(p)
        for line in p.stdout:
            if "will poll" in line:
                break
        time.sleep(0.2)  # inside InAutoPoll by now
        t0 = emu.send("add n classic 3C%06X" % i)
        t1 = None
        for line in p.stdout:
            if "UID (NFCID1)" in line:
                t1 = time.monotonic()
                break
        emu.send("remove n")
        try:
            p.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        if t1 is not None:
            lat.append((t1 - t0) * 1000.0)
    emu.stop()
    return lat


try:
    results = [(iv,) + run_daemon(iv) for iv in INTERVALS]
    ref = run_nfcpoll()
finally:
    cleanup()

def fmt(lat):
    if not lat:
        return "%9s %9s %9s" % ("-", "-", "-")
    return "%7.1fms %7.1fms %7.1fms" % (statistics.median(lat), percentile(lat, 99), max(lat))


print()
print("libnfc reader, emulated PN532 on a pty (%d meetings per mode, idle CPU over %g s)" % (TAPS, IDLE_S))
print()
print("%-14s %-30s  %-30s %7s %6s %9s" % ("poll_interval", "B joins A lying there: med/p99/max",
                                          "B on an idle reader: med/p99/max", "meetings", "missed", "idle CPU"))
for iv, lat, missed, rows, cpu in results:
    print("%-14s %s  %s %7s %6d %8.2f%%" % (iv, fmt(lat["joins"]), fmt(lat["idle"]), rows, missed, cpu))
print()
print("latency: second badge down (control ack) -> meeting row committed and success lights set")
if ref is None:
    print("reference: nfc-poll not installed (libnfc-bin)")
elif ref:
    print("reference: nfc-poll (InAutoPoll), badge down -> UID printed, %d runs: median %.1fms, p99 %.1fms, max %.1fms"
          % (len(ref), statistics.median(ref), percentile(ref, 99), max(ref)))
else:
    print("reference: nfc-poll found no badge in %d runs" % NFCPOLL_RUNS)
EOF
