"""feedback-svc's webhook secrets: outside development (the default) every secret of a rotation
list must be strong, and none shows in a repr."""

import pytest
from pydantic import ValidationError

from csq_common.sealing import generate_keypair
from csq_common.settings import DEVELOPMENT_WEBHOOK_SECRET
from feedback_svc.settings import Settings

NEW, OLD = "n" * 32, "o" * 32


@pytest.fixture(autouse=True)
def production(monkeypatch):
    monkeypatch.delenv("CSQ_ENV", raising=False)
    monkeypatch.setenv("CSQ_API_KEYS", "k" * 32 + ":admin")
    monkeypatch.setenv("FEEDBACK_NOTIFY_PUBLIC_KEY", generate_keypair()[1])


@pytest.mark.parametrize(
    ("secrets", "message"),
    [
        (f"{NEW},{DEVELOPMENT_WEBHOOK_SECRET}", "CSQ_WEBHOOK_SECRET must be set outside development"),
        (f"{NEW},short-old-secret", "CSQ_WEBHOOK_SECRET must be at least 32 characters"),
        (f"dev-{NEW},{OLD}", "CSQ_WEBHOOK_SECRET must not start with 'dev-'"),
    ],
)
def test_every_secret_of_a_rotation_must_be_strong(monkeypatch, secrets, message):
    monkeypatch.setenv("CSQ_WEBHOOK_SECRET", secrets)
    with pytest.raises(ValidationError, match=message) as raised:
        Settings()
    assert "short-old-secret" not in str(raised.value) and NEW not in str(raised.value)


def test_a_strong_rotation_is_taken_and_never_shown(monkeypatch):
    monkeypatch.setenv("CSQ_WEBHOOK_SECRET", f"{NEW}, {OLD}")
    settings = Settings()
    assert settings.webhook_secrets == (NEW, OLD)
    assert NEW not in repr(settings) and OLD not in repr(settings) and "k" * 32 not in repr(settings)


def test_with_csq_env_unset_the_development_keys_are_refused(monkeypatch):
    monkeypatch.delenv("CSQ_API_KEYS")
    with pytest.raises(ValidationError, match="must be set outside development"):
        Settings()
