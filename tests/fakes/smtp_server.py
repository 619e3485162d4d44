#!/usr/bin/python3
"""A real SMTP server for the SMTP plugin's integration tests (Debian's python3-aiosmtpd).

    smtp_server.py --spool DIR --cert CERT.pem --key KEY.pem
                   [--mode starttls|implicit|plain] [--user NAME --password SECRET]
                   [--login-only]

Listens on 127.0.0.1 on a free port and prints exactly one line, "READY <port>", once it
accepts connections. Modes:
    starttls  plain connection offering STARTTLS; AUTH only after STARTTLS (the default)
    implicit  TLS from the first byte (SMTPS); AUTH offered at once
    plain     no TLS at all; AUTH offered in clear (for testing refusals only)
With --user/--password, AUTH (PLAIN and LOGIN, or LOGIN alone with --login-only) is required
before MAIL FROM and only that pair is accepted.

Every message received is written to DIR as <n>.json, n counting from 1:
    {"mail_from", "rcpt_tos": [...], "content_b64": raw DATA bytes, base64,
     "auth_login": the authenticated user or null, "tls": true|false, "mode"}
Recipients whose local part starts with "reject" are refused with 550 5.1.1; those starting
with "busy" with 450 4.2.1 (a temporary failure).
"""

import argparse
import asyncio
import base64
import itertools
import json
import os
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult


class Handler:
    def __init__(self, spool, mode):
        self.spool = spool
        self.mode = mode
        self.counter = itertools.count(1)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local.startswith("reject"):
            return "550 5.1.1 <%s>: Recipient address rejected: User unknown" % address
        if local.startswith("busy"):
            return "450 4.2.1 <%s>: Mailbox busy, try again later" % address
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        n = next(self.counter)
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "content_b64": base64.b64encode(envelope.original_content or envelope.content).decode(),
            "auth_login": session.auth_data.login.decode() if session.authenticated and session.auth_data else None,
            "tls": session.ssl is not None or self.mode == "implicit",
            "mode": self.mode,
        }
        tmp = os.path.join(self.spool, f".{n}.json.tmp")
        with open(tmp, "w") as f:
            json.dump(record, f)
        os.rename(tmp, os.path.join(self.spool, f"{n}.json"))
        return "250 2.0.0 OK queued as FAKE%04d" % n


def authenticator_for(user, password):
    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (auth_data.login.decode() == user and auth_data.password.decode() == password)
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)
    return authenticate


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--spool", required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--mode", choices=["starttls", "implicit", "plain"], default="starttls")
    p.add_argument("--user")
    p.add_argument("--password")
    p.add_argument("--login-only", action="store_true")
    args = p.parse_args()

    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(args.cert, args.key)
    handler = Handler(args.spool, args.mode)
    kwargs = {
        "hostname": "fake-smtp.test",
        "ident": "fake-smtp",
        "auth_required": bool(args.user),
        # Implicit TLS is TLS too, but aiosmtpd only counts STARTTLS.
        "auth_require_tls": args.mode == "starttls",
        "auth_exclude_mechanism": ["PLAIN"] if args.login_only else None,
        "authenticator": authenticator_for(args.user, args.password) if args.user else None,
    }
    if args.mode == "starttls":
        kwargs["tls_context"] = tls

    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(handler, loop=loop, **kwargs), "127.0.0.1", 0,
                                      ssl=tls if args.mode == "implicit" else None)
    port = server.sockets[0].getsockname()[1]
    print(f"READY {port}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
