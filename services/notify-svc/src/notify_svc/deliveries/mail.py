"""Building the MIME message (pure) and sending it over SMTP with aiosmtplib."""

from __future__ import annotations

import re
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from datetime import datetime

import aiosmtplib

from notify_svc.settings import Settings


def message_id_for(delivery_id: str, mail_from: str) -> str:
    """The Message-ID of a delivery: the same on every attempt, so a duplicate is recognisable."""
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "csq.local"
    return f"<delivery-{delivery_id}@{domain}>"


def build_message(
    *, mail_from: str, to_email: str, to_name: str | None, subject: str, text: str, html: str,
    message_id: str, delivery_id: str, date: datetime,
) -> EmailMessage:  # fmt: skip
    """multipart/alternative: plain text first, HTML last (the preferred part)."""
    message = EmailMessage()
    message["From"] = mail_from
    local, _, domain = to_email.rpartition("@")
    message["To"] = Address(display_name=to_name or "", username=local, domain=domain)
    message["Subject"] = subject
    message["Date"] = format_datetime(date)
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    message["X-CSQ-Delivery-Id"] = delivery_id
    message.set_content(text, charset="utf-8")
    message.add_alternative(html, subtype="html", charset="utf-8")
    return message


class SendFailure(Exception):
    """``permanent``: do not retry (a 5xx reply). Otherwise a transient failure."""

    def __init__(self, error: str, *, permanent: bool) -> None:
        super().__init__(error)
        self.error = error
        self.permanent = permanent


def redact(text: str, recipient: str | None) -> str:
    """``text`` without the recipient's address: errors are logged and published in
    ``notification.failed``, and a survey recipient must not appear there in plain text."""
    if not recipient:
        return text
    return re.sub(re.escape(recipient), "<recipient>", text, flags=re.IGNORECASE)


def classify(exc: BaseException, *, recipient: str | None = None) -> SendFailure:
    """5xx replies are permanent; 4xx replies, refused connections and timeouts are transient.
    Each message has one recipient, so the error never needs to (and never does) name it."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused) and exc.recipients:
        first = exc.recipients[0]
        return SendFailure(redact(f"{first.code} {first.message}", recipient), permanent=500 <= first.code < 600)
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return SendFailure(redact(f"{exc.code} {exc.message}", recipient), permanent=500 <= exc.code < 600)
    return SendFailure(redact(f"{type(exc).__name__}: {exc}", recipient), permanent=False)


async def send(settings: Settings, message: EmailMessage, *, sender: str, recipient: str) -> None:
    """One SMTP transaction; raises SendFailure."""
    try:
        await aiosmtplib.send(
            message,
            sender=sender,
            recipients=[recipient],
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password,
            start_tls=settings.smtp_starttls,
            timeout=settings.smtp_timeout_seconds,
        )
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        raise classify(exc, recipient=recipient) from exc
