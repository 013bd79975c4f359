import pytest
from pydantic import ValidationError

from feedback_svc.settings import Settings


def test_vendor_credentials_are_comma_separated_lists_and_empty_means_not_configured():
    settings = Settings(
        environment="development", zendesk_signing_secret="new-secret, old-secret",
        freshdesk_basic_auth="csq:新密码,csq:old", chatwoot_secret="",
    )
    assert settings.zendesk_signing_secrets == ("new-secret", "old-secret")
    assert settings.freshdesk_credentials == ("csq:新密码", "csq:old")
    assert settings.chatwoot_secrets == ()
    assert settings.retention_webhook_rejection_days == 7


@pytest.mark.parametrize("value", ["no-colon", ":password", "user:", "user:pass,broken"])
def test_a_freshdesk_credential_must_be_user_and_password(value):
    with pytest.raises(ValidationError, match="user:password"):
        Settings(environment="development", freshdesk_basic_auth=value)


def test_vendor_settings_come_from_their_documented_variables(monkeypatch):
    monkeypatch.setenv("FEEDBACK_ZENDESK_SIGNING_SECRET", "zd")
    monkeypatch.setenv("FEEDBACK_FRESHDESK_BASIC_AUTH", "u:p")
    monkeypatch.setenv("FEEDBACK_CHATWOOT_SECRET", "cw")
    monkeypatch.setenv("FEEDBACK_RETENTION_WEBHOOK_REJECTION_DAYS", "3")
    settings = Settings(environment="development")
    assert (settings.zendesk_signing_secrets, settings.freshdesk_credentials, settings.chatwoot_secrets) == (("zd",), ("u:p",), ("cw",))
    assert settings.retention_webhook_rejection_days == 3
