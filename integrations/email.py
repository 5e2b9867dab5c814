"""Sending e-mail: the ``Mailer`` protocol the worker talks to, and ``SmtpMailer``,
which speaks SMTP with the standard library.

The worker decides *what* to send and when (one digest per recipient, marked sent in
the transaction that claimed it); a mailer only delivers one message. Keeping that
seam narrow lets tests use a real SMTP server on loopback and lets an agency swap in
another transport without touching the worker.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Protocol

__all__ = ["Mailer", "SmtpMailer"]

log = logging.getLogger(__name__)
log.addHandler(logging.NullHandler())

# RFC 5322 recommends lines under 78 characters; a subject is one line, so keep it short.
MAX_SUBJECT = 200


class Mailer(Protocol):
    def send(self, to: str, subject: str, body: str) -> None:
        """Deliver one plain-text message to ``to``.

        Raises ``OSError`` (``smtplib.SMTPException`` is one) when it could not, so
        the caller keeps the message queued and tries again later.
        """
        ...


class SmtpMailer:
    """Plain-text mail over SMTP, one connection per message.

    ``starttls`` upgrades the connection with certificate verification before
    logging in, so a password never crosses the network in clear. One connection per
    message is deliberate: the worker sends one digest per recipient per round, and a
    fresh connection cannot be left half-broken by an earlier failure.
    """

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        starttls: bool = False,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.starttls = starttls
        self.username = username
        self.password = password
        self.timeout = timeout

    def send(self, to: str, subject: str, body: str) -> None:
        if not to or "@" not in to or any(c in to for c in "\r\n,;<>"):
            # refuse it like a server would, so the caller treats it as one bad recipient
            raise smtplib.SMTPRecipientsRefused({to: (553, b"not a valid mailbox")})
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = one_line(subject)
        # Date is the moment of sending: transport metadata, so the real clock is right.
        message["Date"] = formatdate(usegmt=True)
        message["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or None)
        message.set_content(body)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(message)
        log.debug("sent %r to %s via %s:%s", subject, to, self.host, self.port)


def one_line(text: str) -> str:
    """A header-safe subject: task titles are rendered from user input, and a line
    break in a header would let that input add headers of its own."""
    flat = " ".join(text.split())
    return flat if len(flat) <= MAX_SUBJECT else flat[: MAX_SUBJECT - 1] + "…"
