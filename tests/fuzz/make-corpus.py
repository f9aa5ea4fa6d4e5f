#!/usr/bin/env python3
"""Writes the seed corpora in tests/fuzz/corpus/<target>/: small valid and
nearly valid inputs that put each harness on the paths a real input takes.
Run it again after changing a seed here; the files are kept in git, so a
run of the fuzzer never depends on this script."""
import os
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
seeds = {}


def add(target, name, data):
    if isinstance(data, str):
        data = data.encode()
    seeds.setdefault(target, {})[name] = data


def from_file(target, name, path):
    with open(os.path.join(ROOT, path), "rb") as f:
        add(target, name, f.read())


# --- config ------------------------------------------------------------------
from_file("config", "example", "etc/tapmeetd.conf")
add("config", "sim", """[station]
id = it-1
name = Main hall
[reader]
driver = sim
sim_path = /tmp/sim.fifo
[store]
path = /tmp/t.db
busy_timeout = 200ms
retry_interval = 1.5s
[pairing]
window = 3s
repeat_guard = 60s
rearm = 300ms
confirm = 500ms
hurry = 1s
sequential = true
after_meeting = 0
min_dwell = 250ms
suspect_sequential = yes
suspect_delay = 2m
[leds]
driver = sim
color = false
[log]
level = debug
""")
add("config", "gpiod", """[leds]
driver = gpiod
required = true
chip = gpiochip0
wiring = rgb
green = GPIO17
blue = 27
red = GPIO22
buzzer = none
green_active_low = true
[privacy]
uid_key = 0123456789abcdef0123
""")
add("config", "crlf-bom", "\ufeff[station]\r\nid = a\r\n; comment\r\n[reader]\r\ndriver = libnfc\r\ndevice = pn532_uart:/dev/ttyS0\r\npoll_interval = 100ms\r\n")
add("config", "bad", "[nowhere]\nkey\n[pairing]\nwindow = -1s\nrearm = 1e9h\n=\n[leds\n")

# --- csv (first byte: 0 sniff, 1 comma, 2 semicolon, 3 tab) -------------------
for name in ("attendees", "bad", "organizers"):
    path = "tests/cli/data/%s.csv" % name
    if os.path.exists(os.path.join(ROOT, path)):
        with open(os.path.join(ROOT, path), "rb") as f:
            add("csv", name, b"\0" + f.read())
add("csv", "quoted", b"\1uid,name,E-Mail,consent\r\n04A1B2C3,\"Doe, \"\"J\"\"\nline\",j@x.org,ja\r\n\"04 a1 b2 c4\",'=1+1,,\r\n")
add("csv", "semicolon-bom", b"\2\xef\xbb\xbfBadge;First name;Last name;Organisation;Zustimmung\n04:A1:B2:C3;Ana;Lopez;ACME;oui\r04A1B2C4;\"x;y\";;;non\r")
add("csv", "tabs", b"\3uid\tname\thandle\n04A1B2C3\tAna\t@ana\n\n\"unterminated\tx\n")
add("csv", "utf16", b"\0\xff\xfeu\0i\0d\0\n\0")

# --- csvfield (two cells split at the first NUL) --------------------------------
for i, (a, b) in enumerate([("Ada", "Lovelace"), ("=1+1", "-2"), ("Doe, \"J\"", "x\r\ny"),
                            ("\tTab", "\rCR"), ("\x1b[31m\x7f", "\ufeffBOM \ufffe"),
                            (" padded ", "@h"), ("", "'=kept")]):
    add("csvfield", "c%d" % i, a.encode() + b"\0" + b.encode())

# --- vcard (one value) ----------------------------------------------------------
for i, v in enumerate(["Ada Lovelace", "Doe\\, J; \\n", "a\r\nb\rc\nd\te", "\x1b[31m\x07\x7f",
                       "\u00e9" * 60, "\U0001F469\u200D\U0001F4BB" * 12, "x" * 74 + "\u4e2d" * 3]):
    add("vcard", "v%d" % i, v)

# --- timearg (4 bytes of "now" in seconds, then the text) ---------------------
now = struct.pack("<I", 1764000000)
for i, t in enumerate(["now", "today", "yesterday", "90s", "30m", "2h", "3d", "1w",
                       "2026-11-26", "2026-11-26T10:00", "2026-11-26 10:00:05.250",
                       "2026-11-26T10:00Z", "2026-11-26T10:00:05+01:00", "2026-02-30",
                       "2028-02-29T23:59:59.999-12:30", "24:00", "1970-01-01T00:00Z"]):
    add("timearg", "t%02d" % i, now + t.encode())
add("timearg", "dst", struct.pack("<I", 1774746000) + b"2026-03-29T02:30")

# --- uid ---------------------------------------------------------------------
for i, u in enumerate(["04A1B2C3", "04 a1 b2 c3", "04:A1:B2:C3:D4:E5:F6", "04-a1-b2-c3-d4-e5-f6-07-08-09",
                       "  08112233\t", "04A1B2C", "04A1B2C3D4", "zz", ""]):
    add("uid", "u%d" % i, u)

# --- template ----------------------------------------------------------------
from_file("template", "default", "etc/followup.txt")
add("template", "full", "From: Ada <ada@example.org>\r\nReply-To: a@b.c, d@e.f\r\nSubject: {event}: {count} people\r\n\r\nHi {name},\r\n{{literal}} {people}\r\n{meetings}\r\n")
add("template", "bad", "Subject: {nope}\nFrom: not an address\nSubject: twice\n")

# --- sim ---------------------------------------------------------------------
add("sim", "commands", "present 04A1B2C3\nremove 04A1B2C3\ntap 04A1B2C3 04A1B2C4\npair 04A1B2C3 04A1B2C4\n"
    "reject 04A1B2C5 unsupported tag\nfault antenna\nok\nremove all\n# comment\n\n")
add("sim", "bad", "tap\npair 04A1B2C3\npresent 04A1B2C3 04A1B2C4 04A1B2C5 04A1B2C6 04A1B2C7 04A1B2C8 04A1B2C9 04A1B2CA 04A1B2CB\nbogus\nreject zz\n")
add("sim", "long", "tap " + "0" * 1500 + "\ntap 04A1B2C3 0811223344\n")
add("sim", "nul", b"tap 04A1\0B2C3\npresent 04:A1:B2:C3:D4:E5:F6\nremove 04:A1:B2:C3:D4:E5:F6")


# --- pn532: host frames as libnfc sends them -----------------------------------
def frame(cmd):
    body = bytes([0xD4]) + cmd
    n = len(body)
    if n <= 255:
        head = bytes([0, 0, 0xFF, n, (-n) & 0xFF])
    else:
        hi, lo = n >> 8, n & 0xFF
        head = bytes([0, 0, 0xFF, 0xFF, 0xFF, hi, lo, (-(hi + lo)) & 0xFF])
    return head + body + bytes([(-sum(body)) & 0xFF, 0])


wake = b"\x55\x55\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\x03\xfd\xd4\x14\x01\x17\x00"
session = [
    frame(b"\x02"),                      # GetFirmwareVersion
    frame(b"\x14\x01\x00\x01"),          # SAMConfiguration normal
    frame(b"\x32\x01\x01"),              # RFConfiguration: field on
    frame(b"\x32\x05\xff\x01\x02"),      # RFConfiguration: retries
    frame(b"\x4a\x02\x00"),              # InListPassiveTarget, 106 kbps A
    frame(b"\x40\x01\x30\x00"),          # InDataExchange: Ultralight/Classic READ 0
    frame(b"\x40\x02\x90\x60\x00\x00\x00"),  # DESFire GetVersion (native, wrapped)
    frame(b"\x60\xff\x01\x10"),          # InAutoPoll
    frame(b"\x44\x01"),                  # InDeselect
    frame(b"\x52\x00"),                  # InRelease
    frame(b"\x06\x63\x05"),              # ReadRegister
    frame(b"\x08\x63\x05\x80"),          # WriteRegister
    frame(b"\x16\x20"),                  # PowerDown
]
add("pn532", "session", wake + b"".join(session))
add("pn532", "ack-nack", frame(b"\x4a\x02\x00") + b"\x00\x00\xff\x00\xff\x00" + b"\x00\x00\xff\xff\x00\x00")
add("pn532", "extended", frame(b"\x40\x01" + bytes(range(256))))
add("pn532", "classic-auth", frame(b"\x4a\x01\x00") + frame(b"\x40\x01\x60\x04\xff\xff\xff\xff\xff\xff\x04\xa1\xb2\xc3") + frame(b"\x40\x01\x30\x04"))
add("pn532", "bad", b"\x00\x00\xff\x05\xfa\xd5\x01" + b"\x00\x00\xff\x00\x00" + b"\x00\x00\xff\x01\xff\xd4\x00\x00")

# --- engine: byte 0 rearm/10 ms, then flags, window, guard, confirm, then
# (op, arg) pairs; op % 9: 0-1 put down (bit 7: two), 2 take off, 3 all off,
# 4 +arg*10 ms, 5 +arg s, 6 reject, 7 tick at the deadline, 8 reconfigure ----
cfg_seq = bytes([30, 0x01, 30, 60, 25])
cfg_all = bytes([30, 0x1f, 30, 60, 25, 100, 40, 25])
cfg_together = bytes([30, 0x10, 30, 60, 25, 25])
add("engine", "pair", cfg_seq + bytes([0, 1, 2, 1, 4, 50, 0, 2, 2, 2, 7, 0, 7, 0]))
add("engine", "together", cfg_together + bytes([0x80, 3, 4, 60, 3, 0, 7, 0, 7, 0]))
add("engine", "phone", cfg_all + bytes([0, 12, 4, 60, 0, 1, 6, 5, 3, 0, 5, 2]))
add("engine", "window", cfg_seq + bytes([0, 4, 3, 0, 7, 0, 7, 0, 0, 5, 5, 1, 0, 4, 3, 0]))
add("engine", "crowd", cfg_all + bytes([0x81, 1, 0x91, 5, 4, 3, 3, 0, 4, 40, 0xa0, 7, 3, 0, 8, 0x0f, 20, 30, 0, 0, 0, 0, 0, 14, 0, 15, 7, 0]))


def main():
    for target, files in seeds.items():
        d = os.path.join(HERE, "corpus", target)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        for name, data in files.items():
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
