#!/usr/bin/python3
"""A real SMTP server for the tests (aiosmtpd): it keeps every message it accepts.

    smtp_sink.py --port 2525 --dir /tmp/mail [--tls starttls|smtps] [--user U --password P]
                 [--reject-rcpt-containing TEXT]

Prints `READY <port>` once it listens (and `CERT <path>` first when it serves TLS: a fresh
self-signed certificate for 127.0.0.1 and localhost, to pass as the client's CA file). For
every accepted message it writes `<dir>/<n>.json` — envelope, authenticated user, whether the
session was encrypted, and the raw message — atomically, then prints `MESSAGE <path>`.
It exits when its standard input closes, so it never outlives the test that started it.
"""

import argparse
import asyncio
import datetime
import ipaddress
import json
import logging
import os
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def say(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def make_certificate(directory):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path = os.path.join(directory, "cert.pem")
    key_path = os.path.join(directory, "key.pem")
    with open(cert_path, "wb") as f:
        f.write(certificate.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as f:
        f.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    return cert_path, context


class Keeper:
    def __init__(self, directory, reject):
        self.directory = directory
        self.reject = reject
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.reject and self.reject in address:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "authenticated_user": session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None,
            "encrypted": session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None,
            "data": envelope.original_content.decode("utf-8", errors="replace"),
        }
        path = os.path.join(self.directory, "%04d.json" % self.count)
        with open(path + ".tmp", "w") as f:
            json.dump(record, f)
        os.rename(path + ".tmp", path)
        say("MESSAGE " + path)
        return "250 2.0.0 accepted"


def authenticator_for(user, password):
    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == user
            and auth_data.password.decode() == password
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    return authenticate


async def main():
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--tls", choices=["none", "starttls", "smtps"], default="none")
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--reject-rcpt-containing")
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)

    context = None
    if args.tls != "none":
        cert_path, context = make_certificate(args.dir)
        say("CERT " + cert_path)

    keeper = Keeper(args.dir, args.reject_rcpt_containing)
    options = {"hostname": "sink.test", "enable_SMTPUTF8": True}
    if args.user is not None:
        options.update(
            authenticator=authenticator_for(args.user, args.password or ""),
            auth_required=True,
            # STARTTLS: AUTH only after the upgrade. SMTPS is encrypted from the first byte,
            # which aiosmtpd's check does not see, and plain is plain on purpose.
            auth_require_tls=args.tls == "starttls",
        )
    if args.tls == "starttls":
        options.update(tls_context=context, require_starttls=True)

    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(keeper, **options),
        host="127.0.0.1",
        port=args.port,
        ssl=context if args.tls == "smtps" else None,
    )
    say("READY %d" % args.port)

    # Exit when the parent closes our standard input (or dies).
    stdin_closed = loop.create_future()

    def on_stdin():
        if not sys.stdin.buffer.read1(4096):
            loop.remove_reader(sys.stdin.fileno())
            if not stdin_closed.done():
                stdin_closed.set_result(None)

    loop.add_reader(sys.stdin.fileno(), on_stdin)
    await stdin_closed
    server.close()
    await server.wait_closed()


if __name__ == "__main__":
    asyncio.run(main())
