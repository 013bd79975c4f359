"""survey-svc refuses development secrets and insecure links outside development."""

import pytest
from pydantic import ValidationError

from csq_common.sealing import generate_keypair
from survey_svc.settings import Settings

PRODUCTION = {
    "CSQ_ENV": "production",
    "CSQ_API_KEYS": "k:read",
    "CSQ_WEBHOOK_SECRET": "s3cret",
    "SURVEY_CUSTOMER_KEY_SECRET": "another-secret",
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
