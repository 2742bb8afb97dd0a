"""Sending email, one message at a time: over SMTP to the configured mail server (MAIL_SERVER), or
printed to the terminal in development (MAIL_CONSOLE). Production never prints (config.py refuses it).

Messages are built with the standard library's EmailMessage, whose headers refuse line breaks, and
names are folded onto one line first: nothing a person typed can add a header or a recipient.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app

# The usual port for each MAIL_SECURITY when MAIL_PORT is not set.
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}
CONSOLE_RULE = "-" * 72


class MailNotSent(Exception):
    """The mail server could not be reached, or did not take the message; the reason is logged."""


@dataclass(frozen=True)
class Mail:
    """One email to one person: plain text, and the same words as simple HTML if given."""

    to_name: str
    to_address: str
    subject: str
    text: str
    html: str | None = None
    sender_name: str = "PIP Companion"


def mail_is_on() -> bool:
    """Whether email can be sent here: a mail server is set, or (development) the console."""
    return bool(current_app.config["MAIL_SERVER"]) or bool(current_app.config["MAIL_CONSOLE"])


def send_mail(mail: Mail) -> None:
    """Send one email through the mail server (or print it in development). Raises MailNotSent when
    it could not be sent, so the caller can undo what the email was for."""
    try:
        message = build_message(mail)
    except ValueError as error:  # an address the email package cannot write as a header
        current_app.logger.warning("Mail not sent: its header would not be valid (%s).", error)
        raise MailNotSent from error
    if current_app.config["MAIL_SERVER"]:
        _send_smtp(message)
    elif current_app.config["MAIL_CONSOLE"]:
        _print(message)
    else:
        raise MailNotSent("no mail server is configured")


def _one_line(name: str) -> str:
    """A display name with its whitespace (line breaks included) folded to single spaces."""
    return " ".join(name.split())


def build_message(mail: Mail) -> EmailMessage:
    """The email as it is sent: From the service at MAIL_FROM, To the person, text and HTML."""
    sender = current_app.config["MAIL_FROM"]
    message = EmailMessage()
    message["Subject"] = _one_line(mail.subject)
    message["From"] = Address(display_name=_one_line(mail.sender_name), addr_spec=sender)
    message["To"] = Address(display_name=_one_line(mail.to_name), addr_spec=mail.to_address)
    message["Date"] = formatdate(usegmt=True)
    # The sender's own domain, given: without it make_msgid asks the network for this host's name.
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2])
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies to it
    message.set_content(mail.text)
    if mail.html is not None:
        message.add_alternative(mail.html, subtype="html")
    return message


def _send_smtp(message: EmailMessage) -> None:
    """Hand the message to the mail server: TLS from the start, or STARTTLS (never falling back to
    plain text when the server does not offer it), or plain only as configured."""
    config = current_app.config
    security = config["MAIL_SECURITY"]
    port = config["MAIL_PORT"] or DEFAULT_PORTS[security]
    context = ssl.create_default_context()
    try:
        connection = (smtplib.SMTP_SSL(config["MAIL_SERVER"], port, timeout=config["MAIL_TIMEOUT"], context=context)
                      if security == "tls" else smtplib.SMTP(config["MAIL_SERVER"], port, timeout=config["MAIL_TIMEOUT"]))
        with connection:
            if security == "starttls":
                connection.starttls(context=context)
            if config["MAIL_USERNAME"]:
                connection.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            connection.send_message(message)
    except OSError as error:  # refused, timed out, TLS failed, or an SMTP error (all OSErrors)
        # The reason, never the message: it holds a working link.
        code = getattr(error, "smtp_code", None)
        current_app.logger.warning("Mail not sent through %s:%s: %s%s", config["MAIL_SERVER"], port,
                                   type(error).__name__, f" {code}" if code else "")
        raise MailNotSent from error


def _print(message: EmailMessage) -> None:
    """Development: the email's headers and its text, readable in the terminal (`make run`)."""
    body = message.get_body(("plain",))
    text = body.get_content() if isinstance(body, EmailMessage) else ""
    print("\n".join([
        "", CONSOLE_RULE, "Email (development: printed here, not sent)",
        f"From: {message['From']}", f"To: {message['To']}", f"Subject: {message['Subject']}", "",
        text.rstrip(), CONSOLE_RULE, "",
    ]), flush=True)
