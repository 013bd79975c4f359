"""notify-svc's sealing key: checked at start, the development key refused in production."""

import pytest
from pydantic import ValidationError

from csq_common.sealing import generate_keypair
from notify_svc.settings import Settings


def test_the_recipient_private_key_is_checked_and_must_be_set_in_production(monkeypatch):
    monkeypatch.setenv("CSQ_ENV", "production")
    monkeypatch.setenv("CSQ_API_KEYS", "k" * 32 + ":read")
    monkeypatch.setenv("CSQ_WEBHOOK_SECRET", "w" * 32)
    with pytest.raises(ValidationError, match="NOTIFY_RECIPIENT_PRIVATE_KEY must be set outside development"):
        Settings()
    monkeypatch.setenv("NOTIFY_RECIPIENT_PRIVATE_KEY", "short")
    with pytest.raises(ValidationError, match="NOTIFY_RECIPIENT_PRIVATE_KEY must be 32 bytes"):
        Settings()
    private, _ = generate_keypair()
    monkeypatch.setenv("NOTIFY_RECIPIENT_PRIVATE_KEY", private)
    settings = Settings()
    assert settings.recipient_private_key == private
    assert private not in repr(settings)  # nor any other secret


def test_with_csq_env_unset_the_development_key_is_refused(monkeypatch):
    monkeypatch.delenv("CSQ_ENV", raising=False)
    monkeypatch.setenv("CSQ_API_KEYS", "k" * 32 + ":read")
    monkeypatch.setenv("CSQ_WEBHOOK_SECRET", "w" * 32)
    monkeypatch.delenv("NOTIFY_RECIPIENT_PRIVATE_KEY", raising=False)
    with pytest.raises(ValidationError, match="NOTIFY_RECIPIENT_PRIVATE_KEY must be set outside development"):
        Settings()
