"""A real SMTP server for test_followup.sh (aiosmtpd, python3-aiosmtpd).

    followup_smtpd.py DIR PORTFILE [--accept N]

Listens on 127.0.0.1, on a port the kernel picks, written to PORTFILE once
it listens. Every message accepted is stored in DIR as NAME.eml (the bytes
received) beside NAME.json (envelope sender and recipients), each written
to a temporary name first and renamed, so a reader never sees half a file.
--accept N: after N messages the server dies at the next one's DATA, the
way a mail server that goes away halfway through a run looks to a client.
"""
import argparse
import asyncio
import json
import os

from aiosmtpd.smtp import SMTP


class Store:
    def __init__(self, directory, accept):
        self.directory = directory
        self.accept = accept
        self.count = 0

    def _write(self, name, data):
        tmp = os.path.join(self.directory, "." + name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.rename(tmp, os.path.join(self.directory, name))

    async def handle_DATA(self, server, session, envelope):
        if self.accept is not None and self.count >= self.accept:
            os._exit(3)
        self.count += 1
        name = "%d-%05d" % (os.getpid(), self.count)
        meta = {"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos}
        self._write(name + ".json", json.dumps(meta).encode())
        self._write(name + ".eml", envelope.original_content)
        return "250 OK"


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("directory")
    ap.add_argument("portfile")
    ap.add_argument("--accept", type=int)
    args = ap.parse_args()
    store = Store(args.directory, args.accept)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(store, enable_SMTPUTF8=True),
                                      "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    tmp = args.portfile + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.rename(tmp, args.portfile)
    async with server:
        await server.serve_forever()


asyncio.run(main())
