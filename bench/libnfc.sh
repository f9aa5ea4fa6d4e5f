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
# bench/emubench.py: the emulator, the daemon's LED line, CPU time.
PYTHONPATH=$(cd "$(dirname "$0")" && pwd)${PYTHONPATH:+:$PYTHONPATH}
export PYTHONPATH

for f in "$TM_DAEMON" "$TM_EMU"; do
	if [ ! -x "$f" ]; then
		echo "bench/libnfc.sh: $f is not built" >&2
		exit 1
	fi
done

exec python3 - <<'EOF'
import os, random, shutil, statistics, subprocess, sys, tempfile, time

from emubench import Daemon, Emulator, cleanup, idle_cpu, percentile, spawn

DAEMON = os.environ["TM_DAEMON"]
EMU = os.environ["TM_EMU"]
TAPS = int(os.environ["TM_TAPS"])
IDLE_S = float(os.environ["TM_IDLE_S"])
INTERVALS = os.environ["TM_INTERVALS"].split()
NFCPOLL_RUNS = int(os.environ["TM_NFCPOLL_RUNS"])

tmp = tempfile.mkdtemp(prefix="tapmeet-bench.")


def run_daemon(interval):
    d = tempfile.mkdtemp(dir=tmp)
    emu = Emulator(EMU, d)
    conf = os.path.join(d, "t.conf")
    with open(conf, "w") as f:
        f.write("[station]\nid = bench\n[reader]\ndriver = libnfc\ndevice = pn532_uart:%s\n"
                "poll_interval = %s\n[store]\npath = %s/t.db\n[pairing]\nwindow = 8s\n"
                "repeat_guard = 60s\nrearm = 1s\nsequential = true\nafter_meeting = 0\nmin_dwell = 0\n[leds]\ndriver = sim\n[log]\nlevel = notice\n"
                % (emu.link, interval, d))
    daemon = Daemon(DAEMON, conf, os.path.join(d, "d.err"))

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
        if daemon.wait_led(lambda ev: ev[2] == 1) is None:
            missed += 1
            emu.send("remove all")
            continue
        if mode == "idle":
            emu.send("remove a")
            time.sleep(random.uniform(0.3, 0.6))
        t0 = emu.send("add b classic " + b)
        t0_ms = t0 * 1000.0
        ev = daemon.wait_led(lambda ev: ev[1] == 1 and ev[4] == 1 and ev[0] >= int(t0_ms) - 1)
        emu.send("remove all")
        if ev is None:
            missed += 1
        else:
            lat[mode].append(max(0.0, ev[0] - t0_ms))
    rows = subprocess.run(["sqlite3", "-cmd", ".timeout 2000", os.path.join(d, "t.db"),
                           "SELECT count(*) FROM meetings;"], capture_output=True, text=True).stdout.strip()

    emu.send("remove all")
    time.sleep(2)
    cpu, = idle_cpu([daemon.proc.pid], IDLE_S)

    daemon.stop()
    emu.stop()
    return lat, missed, rows, cpu


def run_nfcpoll():
    nfcpoll = shutil.which("nfc-poll")
    if not nfcpoll:
        return None
    d = tempfile.mkdtemp(dir=tmp)
    emu = Emulator(EMU, d)
    env = dict(os.environ, LIBNFC_DEVICE="pn532_uart:" + emu.link, LIBNFC_AUTO_SCAN="false")
    cmd = ([shutil.which("stdbuf"), "-oL"] if shutil.which("stdbuf") else []) + [nfcpoll]
    lat = []
    for i in range(NFCPOLL_RUNS):
        p = spawn(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True,
                  bufsize=1)
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
    cleanup(tmp)

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
