"""Shared by the benchmarks that drive a station against the PN532 emulator
(bench/libnfc.sh, bench/speed.sh): the emulator's control socket, tapmeetd
with its sim LED line, CPU time and percentiles.

Every time here is CLOCK_MONOTONIC: time.monotonic() on the control side,
mono_ms from the stations."""
import os
import queue
import re
import shutil
import socket
import subprocess
import sys
import threading
import time

TIMEOUT = 10.0
# The sim LED driver's line; tapmeetd prints it only when the lights change.
LED = re.compile(r"leds mono_ms=(\d+) .*green=(\d) amber=(\d) red=(\d) buzzer=(\d)")

children = []


def spawn(cmd, **kw):
    """Popen, remembered so that cleanup() stops it."""
    p = subprocess.Popen(cmd, **kw)
    children.append(p)
    return p


def cleanup(tmp):
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


def get_until(q, pred, timeout=TIMEOUT):
    """The first item of queue q that satisfies pred within timeout, or None."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        try:
            item = q.get(timeout=left)
        except queue.Empty:
            return None
        if pred(item):
            return item


class Emulator:
    def __init__(self, exe, d, args=()):
        self.link = os.path.join(d, "pn532")
        self.ctl = os.path.join(d, "ctl")
        self.proc = spawn([exe, "--link", self.link, "--control", self.ctl] + list(args),
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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


class Daemon:
    """tapmeetd with the sim LED driver: its LED lines, parsed, in self.leds;
    its log in err_path. Returns once the reader is connected."""

    def __init__(self, exe, conf, err_path):
        self.err_path = err_path
        err = open(err_path, "w")
        env = dict(os.environ, LIBNFC_AUTO_SCAN="false")
        self.proc = spawn([exe, "--config", conf], stdout=subprocess.PIPE, stderr=err,
                          env=env, text=True, bufsize=1)
        err.close()
        self.leds = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        if not wait_until(lambda: "state=ok" in self.log()):
            sys.exit("tapmeetd did not connect to the emulated reader")

    def _read(self):
        for line in self.proc.stdout:
            m = LED.search(line)
            if m:
                self.leds.put(tuple(int(x) for x in m.groups()))

    def log(self):
        with open(self.err_path) as f:
            return f.read()

    def wait_led(self, pred, timeout=TIMEOUT):
        """The next (mono_ms, green, amber, red, buzzer) satisfying pred, or None."""
        return get_until(self.leds, pred, timeout)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)


def idle_cpu(pids, seconds):
    """% of one core each pid used over the same `seconds` of wall time."""
    c0, w0 = [cpu_ticks(p) for p in pids], time.monotonic()
    time.sleep(seconds)
    c1, w1 = [cpu_ticks(p) for p in pids], time.monotonic()
    hz = os.sysconf("SC_CLK_TCK")
    return [(b - a) / hz / (w1 - w0) * 100.0 for a, b in zip(c0, c1)]


def percentile(values, p):
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(round(p / 100.0 * len(v) + 0.5)) - 1))
    return v[k]
