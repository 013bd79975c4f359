"""Print the links in the mail the local SMTP sink kept (development only).

The sink (scripts/smtp_sink.py) stores each message as it was sent, so its text parts are
usually base64 or quoted-printable and a plain ``grep`` of the ``.eml`` finds no whole link.
This decodes every text part with the standard library's ``email`` package and prints, for each
message, oldest first, one line naming the file, recipient and subject, then its links::

    python3 scripts/mail_links.py [var/mail]      # or: make mail-links
"""

from __future__ import annotations

import argparse
import email
import email.policy
import html
import os
import re
import sys
from pathlib import Path

LINK = re.compile(r"https?://[^\s\"'<>]+")


def message_links(raw: bytes) -> tuple[email.message.EmailMessage, list[str]]:
    """The parsed message and its distinct links, in order of appearance (plain text first)."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    links: list[str] = []
    for part in message.walk():
        if part.get_content_maintype() != "text" or part.is_attachment():
            continue
        for found in LINK.findall(part.get_content()):
            link = html.unescape(found).rstrip(".,;)")
            if link not in links:
                links.append(link)
    return message, links


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Print the links of the messages the local SMTP sink kept.")
    default = Path(os.environ.get("CSQ_VAR_DIR", "var")) / "mail"
    parser.add_argument("directory", nargs="?", default=str(default), help=f"where the .eml files are (default {default})")
    args = parser.parse_args(argv)
    directory = Path(args.directory)
    if not directory.is_dir():
        print(f"no mail directory {directory} (is `make run` going, and has anything been sent?)", file=sys.stderr)
        return 1
    for path in sorted(directory.glob("*.eml")):  # file names start with the UTC time received
        message, links = message_links(path.read_bytes())
        print(f"# {path.name} to={message.get('To', '')} subject={message.get('Subject', '')}")
        for link in links:
            print(link)
    return 0


if __name__ == "__main__":
    sys.exit(main())
