"""survey-svc refuses development and weak secrets and insecure links outside development, which
is the default."""

import pytest
from pydantic import ValidationError

from csq_common.sealing import generate_keypair
from survey_svc.settings import Settings

PRODUCTION = {
    "CSQ_ENV": "production",
    "CSQ_API_KEYS": "k" * 32 + ":read",
    "CSQ_WEBHOOK_SECRET": "w" * 32,
    "SURVEY_CUSTOMER_KEY_SECRET": "c" * 32,
    "SURVEY_PUBLIC_BASE_URL": "https://survey.example.com/",
}


def settings_with(monkeypatch, **env) -> Settings:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Settings()


def test_production_needs_its_own_sealing_key_secret_and_https_links(monkeypatch):
    _, public = generate_keypair()
    ok = settings_with(monkeypatch, **PRODUCTION, SURVEY_NOTIFY_PUBLIC_KEY=public)
    assert ok.public_base_url == "https://survey.example.com"

    for name, value, message in (
        ("SURVEY_NOTIFY_PUBLIC_KEY", None, "SURVEY_NOTIFY_PUBLIC_KEY must be set"),
        ("SURVEY_NOTIFY_PUBLIC_KEY", "not-a-key", "SURVEY_NOTIFY_PUBLIC_KEY must be 32 bytes"),
        ("SURVEY_CUSTOMER_KEY_SECRET", None, "SURVEY_CUSTOMER_KEY_SECRET must be set"),
        ("SURVEY_CUSTOMER_KEY_SECRET", "c" * 31, "SURVEY_CUSTOMER_KEY_SECRET must be at least 32 characters"),
        ("SURVEY_CUSTOMER_KEY_SECRET", "dev-" + "c" * 32, "SURVEY_CUSTOMER_KEY_SECRET must not start with 'dev-'"),
        ("SURVEY_PUBLIC_BASE_URL", "http://survey.example.com", "SURVEY_PUBLIC_BASE_URL must be an https"),
    ):
        env = {**PRODUCTION, "SURVEY_NOTIFY_PUBLIC_KEY": public}
        env.pop(name)
        monkeypatch.delenv(name, raising=False)
        if value is not None:
            env[name] = value
        with pytest.raises(ValidationError, match=message):
            settings_with(monkeypatch, **env)
        monkeypatch.delenv(name, raising=False)


def test_development_defaults_work_out_of_the_box(monkeypatch):
    monkeypatch.setenv("CSQ_ENV", "development")
    settings = Settings()
    assert settings.public_base_url == "http://127.0.0.1:8002"


def test_with_csq_env_unset_the_development_keys_and_secrets_are_refused(monkeypatch):
    for name in ("CSQ_ENV", "CSQ_API_KEYS", "CSQ_WEBHOOK_SECRET", "SURVEY_CUSTOMER_KEY_SECRET"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ValidationError, match="api_keys"):
        Settings()
    _, public = generate_keypair()
    env = {**PRODUCTION, "SURVEY_NOTIFY_PUBLIC_KEY": public}
    env.pop("CSQ_ENV")
    env.pop("SURVEY_CUSTOMER_KEY_SECRET")
    with pytest.raises(ValidationError, match="SURVEY_CUSTOMER_KEY_SECRET must be set outside development"):
        settings_with(monkeypatch, **env)


def test_no_secret_in_the_repr(monkeypatch):
    _, public = generate_keypair()
    settings = settings_with(monkeypatch, **PRODUCTION, SURVEY_NOTIFY_PUBLIC_KEY=public)
    for secret in ("k" * 32, "w" * 32, "c" * 32):
        assert secret not in repr(settings) and secret not in str(settings)
