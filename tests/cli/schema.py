#!/usr/bin/env python3
"""Prints the SQL of every migration in store/schema.c, then the PRAGMA
user_version it leads to: tests build databases exactly as the daemon would."""
import re
import sys

src = open(sys.argv[1], encoding="utf-8").read()
blocks = re.findall(r"static const char migration_(\d+)\[\]\s*=\s*(.*?);\n", src, re.S)
for num, body in sorted(blocks, key=lambda b: int(b[0])):
    text = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', body))
    print(text.encode().decode("unicode_escape"))
print("PRAGMA user_version = %d;" % max(int(n) for n, _ in blocks))
