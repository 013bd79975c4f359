"""notify-svc's sealing key: checked at start, the development key refused in production."""

import pytest
from pydantic import ValidationError

from csq_common.sealing import generate_keypair
from notify_svc.settings import Settings


def test_the_recipient_private_key_is_checked_and_must_be_set_in_production(monkeypatch):
    monkeypatch.setenv("CSQ_ENV", "production")
    monkeypatch.setenv("CSQ_API_KEYS", "k:read")
    monkeypatch.setenv("CSQ_WEBHOOK_SECRET", "s3cret")
    with pytest.raises(ValidationError, match="NOTIFY_RECIPIENT_PRIVATE_KEY must be set outside development"):
        Settings()
    monkeypatch.setenv("NOTIFY_RECIPIENT_PRIVATE_KEY", "short")
    with pytest.raises(ValidationError, match="NOTIFY_RECIPIENT_PRIVATE_KEY must be 32 bytes"):
        Settings()
    private, _ = generate_keypair()
    monkeypatch.setenv("NOTIFY_RECIPIENT_PRIVATE_KEY", private)
    assert Settings().recipient_private_key == private
