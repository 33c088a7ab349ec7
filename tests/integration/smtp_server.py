#!/usr/bin/python3
"""A real SMTP server on loopback for the e-mail delivery tests (Debian's python3-aiosmtpd).

smtp_server.py --maildir DIR [--cert FILE --key FILE] [--user U --password P]

With a certificate it offers STARTTLS and requires it (require_starttls=True: every
command but EHLO/HELO/NOOP/QUIT/STARTTLS is refused before TLS); without one it offers no
STARTTLS at all (the collector must refuse it). With --user it offers AUTH PLAIN and LOGIN
after TLS. Each accepted message becomes DIR/N.json: the envelope, whether it came over
TLS, the login, the decoded Subject, To, Date, Message-ID and the decoded text body.
Prints "PORT n" once it listens on 127.0.0.1:n.
"""
import argparse
import asyncio
import email
import email.policy
import json
import logging
import os
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--maildir", required=True)
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--user")
    p.add_argument("--password")
    a = p.parse_args()
    os.makedirs(a.maildir, exist_ok=True)
    counter = {"n": 0}

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
            counter["n"] += 1
            record = {
                "mail_from": envelope.mail_from,
                "rcpt_tos": envelope.rcpt_tos,
                "tls": session.ssl is not None,
                "login": (session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword)
                          else None),
                "subject": str(msg["subject"]),
                "to": str(msg["to"]),
                "date": str(msg["date"]),
                "message_id": str(msg["message-id"]),
                "body": msg.get_content(),
            }
            path = os.path.join(a.maildir, "%d.json" % counter["n"])
            with open(path + ".tmp", "w", encoding="utf-8") as f:
                json.dump(record, f, ensure_ascii=False)
            os.rename(path + ".tmp", path)
            return "250 OK"

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and a.user is not None
              and auth_data.login.decode() == a.user and auth_data.password.decode() == a.password)
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    tls = None
    if a.cert:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(a.cert, a.key)

    def factory():
        kwargs = dict(hostname="mail.test", tls_context=tls, require_starttls=tls is not None,
                      auth_require_tls=True)
        if a.user:
            kwargs["authenticator"] = authenticator
        else:
            kwargs["auth_exclude_mechanism"] = ["PLAIN", "LOGIN"]
        return SMTP(Handler(), **kwargs)

    # The refusals the tests provoke (an unknown CA, no STARTTLS) are expected: no tracebacks.
    logging.disable(logging.CRITICAL)
    loop = asyncio.new_event_loop()
    loop.set_exception_handler(lambda loop, context: None)
    server = loop.run_until_complete(loop.create_server(factory, "127.0.0.1", 0))
    print("PORT %d" % server.sockets[0].getsockname()[1], flush=True)
    try:
        loop.run_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
