#!/usr/bin/env python3
"""A stand-in for systemd's notification socket, for tests and benchmarks.

    notify_listen.py SOCKET OUT

Binds an AF_UNIX datagram socket at SOCKET (give it to a daemon as
NOTIFY_SOCKET) and appends one line per datagram to OUT:

    <CLOCK_MONOTONIC seconds> <message>

The time is when the datagram was read, on the clock the daemon's own
mono_ms figures use, so the two can be compared. A message of several
assignments ("RELOADING=1\\nMONOTONIC_USEC=...") is written on one line,
its assignments separated by spaces. Runs until SIGTERM or SIGINT.
"""
import os
import signal
import socket
import sys
import time


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: notify_listen.py SOCKET OUT\n")
        return 2
    path, out_path = sys.argv[1], sys.argv[2]
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
    with open(out_path, "a", buffering=1) as out:
        while True:
            data = sock.recv(65536)
            now = time.clock_gettime(time.CLOCK_MONOTONIC)
            message = " ".join(data.decode("utf-8", "replace").strip("\n").split("\n"))
            out.write("%.6f %s\n" % (now, message))


if __name__ == "__main__":
    sys.exit(main())
