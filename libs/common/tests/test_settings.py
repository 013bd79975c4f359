import pytest

from csq_common.settings import BaseServiceSettings, SettingsError, load_settings, parse_api_keys


def test_api_keys_parse_with_scope_implication():
    keys = parse_api_keys("k1:read, k2:write ,k3:admin")
    assert keys["k1"].scopes == {"read"}
    assert keys["k2"].scopes == {"read", "write"}
    assert keys["k3"].scopes == {"read", "write", "admin"}


@pytest.mark.parametrize("raw", ["k1", "k1:owner", ":read"])
def test_bad_api_keys_are_refused(raw):
    with pytest.raises(ValueError):
        parse_api_keys(raw)


def test_bad_setting_names_the_variable(monkeypatch):
    monkeypatch.setenv("CSQ_API_KEYS", "k1:owner")
    monkeypatch.setenv("LOG_LEVEL", "LOUD")
    with pytest.raises(SettingsError) as raised:
        load_settings(BaseServiceSettings)
    assert "CSQ_API_KEYS" in str(raised.value) and "LOG_LEVEL" in str(raised.value)


def test_default_secrets_refused_outside_development(monkeypatch):
    monkeypatch.setenv("CSQ_ENV", "production")
    with pytest.raises(SettingsError) as raised:
        load_settings(BaseServiceSettings)
    assert "CSQ_WEBHOOK_SECRET" in str(raised.value)


def test_topic_names_use_the_prefix():
    assert BaseServiceSettings(topic_prefix="acme.").topic("tickets") == "acme.tickets"


def test_the_outbox_relay_linger_is_a_shared_setting(monkeypatch):
    assert BaseServiceSettings().outbox_linger_seconds == 0.025
    monkeypatch.setenv("CSQ_OUTBOX_LINGER_SECONDS", "0")
    assert BaseServiceSettings().outbox_linger_seconds == 0
    monkeypatch.setenv("CSQ_OUTBOX_LINGER_SECONDS", "-1")
    with pytest.raises(SettingsError, match="CSQ_OUTBOX_LINGER_SECONDS"):
        load_settings(BaseServiceSettings)
