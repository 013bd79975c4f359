"""A local SMTP sink: accepts every message and keeps it as an ``.eml`` file.

``make run`` starts it (through scripts/devstack.py) so notify-svc's mail can be opened in any
mail client from ``var/mail/``; nothing is relayed anywhere. Run on its own::

    python scripts/smtp_sink.py --dir var/mail --port 8025

Files are named ``<UTC time>_<Message-ID>.eml`` (the Message-ID made safe for file names), written
to a temporary name and renamed, so a reader never sees half a message. SIGTERM / Ctrl-C stop it.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import os
import re
import signal
import sys
import threading
from datetime import datetime, timezone
from pathlib import Path

from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PORT = 8025
_UNSAFE = re.compile(r"[^A-Za-z0-9._@-]+")


def eml_name(message_id: str | None, now: datetime) -> str:
    stamp = now.strftime("%Y%m%dT%H%M%S.%fZ")
    safe = _UNSAFE.sub("_", (message_id or "").strip("<> \t")).strip("_")[:150] or "no-message-id"
    return f"{stamp}_{safe}.eml"


class EmlWriter:
    """aiosmtpd handler: one ``.eml`` per accepted message, the envelope in X-Sink-* headers."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server, session, envelope):
        content = envelope.original_content or envelope.content
        parsed = email.message_from_bytes(content, policy=email.policy.default)
        now = datetime.now(timezone.utc)
        path = self.directory / eml_name(parsed.get("Message-ID"), now)
        envelope_headers = (
            f"X-Sink-Envelope-From: {envelope.mail_from}\r\n"
            f"X-Sink-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\n"
            f"X-Sink-Received-At: {now.isoformat()}\r\n"
        ).encode()
        temporary = path.with_suffix(".eml.part")
        temporary.write_bytes(envelope_headers + content)
        os.replace(temporary, path)
        print(f"saved {path.name} to={','.join(envelope.rcpt_tos)} subject={parsed.get('Subject', '')!r}", flush=True)
        return "250 Message accepted for delivery"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Local SMTP sink: keep every message as an .eml file.")
    parser.add_argument("--host", default=os.environ.get("CSQ_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("NOTIFY_SMTP_PORT", DEFAULT_PORT)))
    parser.add_argument("--dir", default=str(ROOT / "var" / "mail"), help="where the .eml files go (default var/mail)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    directory = Path(args.dir).resolve()
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    controller = Controller(EmlWriter(directory), hostname=args.host, port=args.port, enable_SMTPUTF8=True)
    try:
        controller.start()
    except Exception as exc:
        print(f"cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr, flush=True)
        return 1
    print(f"smtp sink listening on {args.host}:{args.port}, writing to {directory}", flush=True)
    try:
        stop.wait()
    finally:
        controller.stop()
    print("smtp sink stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
