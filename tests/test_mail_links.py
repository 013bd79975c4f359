"""`make mail-links` (scripts/mail_links.py) prints whole survey links from the SMTP sink's .eml
files, whose text parts notify-svc sends base64-encoded (a grep of the file finds no link)."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

from notify_svc.deliveries.mail import build_message

ROOT = Path(__file__).resolve().parents[1]


def test_mail_links_decodes_the_messages_the_sink_keeps(tmp_path):
    token = "Zq3-x_9" * 6
    link = f"http://127.0.0.1:8002/s/{token}"
    mail = tmp_path / "var" / "mail"
    mail.mkdir(parents=True)
    for n, (address, name) in enumerate((("li.lei@example.com", "李雷"), ("han.meimei@example.com", "韩梅梅"))):
        message = build_message(
            mail_from="CSQ <surveys@csq.local>", to_email=address, to_name=name, subject="您对本次服务满意吗？",
            text=f"您好 {name}，请点击：{link}?answer={n + 1}\n或打开 {link}\n", html=f'<a href="{link}?answer={n + 1}&amp;x=1">打开</a>',
            message_id=f"<delivery-{n}@csq.local>", delivery_id=str(n), date=datetime.now(timezone.utc),
        )  # fmt: skip
        (mail / f"20261206T00000{n}.000000Z_delivery-{n}.eml").write_bytes(message.as_bytes())
    raw = b"".join(path.read_bytes() for path in mail.iterdir())
    assert f"{link}?answer=1".encode() not in raw  # what a user's grep meets: base64 or quoted-printable

    by_env = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "mail_links.py")], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    by_make = subprocess.run(
        ["make", "-s", "-C", str(ROOT), "mail-links", f"CSQ_VAR_DIR={tmp_path / 'var'}"], capture_output=True, text=True, check=True
    )
    assert by_env.stdout == by_make.stdout
    lines = by_env.stdout.splitlines()
    assert lines[0].startswith("# 20261206T000000.000000Z_delivery-0.eml to=") and "li.lei@example.com" in lines[0]
    assert lines[1:4] == [f"{link}?answer=1", link, f"{link}?answer=1&x=1"]
    assert lines[4].startswith("# 20261206T000001") and lines[5] == f"{link}?answer=2"


def test_mail_links_names_a_missing_directory(tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "mail_links.py"), str(tmp_path / "nowhere")], capture_output=True, text=True)
    assert result.returncode == 1 and "no mail directory" in result.stderr
