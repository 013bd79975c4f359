import pickle

import pytest
from pydantic import ValidationError

from csq_common.settings import (
    DEVELOPMENT_API_KEYS,
    BaseServiceSettings,
    SettingsError,
    key_digest,
    load_settings,
    parse_api_keys,
)

STRONG_KEY = "k" * 32
STRONG_SECRET = "s" * 40


@pytest.fixture
def development(monkeypatch):
    monkeypatch.setenv("CSQ_ENV", "development")


@pytest.fixture
def production(monkeypatch):
    """CSQ_ENV unset (production, the default) with strong keys and secrets."""
    monkeypatch.delenv("CSQ_ENV", raising=False)
    monkeypatch.setenv("CSQ_API_KEYS", f"{STRONG_KEY}:admin")
    monkeypatch.setenv("CSQ_WEBHOOK_SECRET", STRONG_SECRET)


def test_api_keys_parse_with_scope_implication():
    k1, k2, k3 = parse_api_keys("k1:read, k2:write ,k3:admin")
    assert (k1.digest, k1.scopes) == (key_digest("k1"), {"read"})
    assert (k2.digest, k2.scopes) == (key_digest("k2"), {"read", "write"})
    assert (k3.digest, k3.scopes) == (key_digest("k3"), {"read", "write", "admin"})


def test_an_agents_key_names_its_agent_and_is_never_admin():
    supervisor, agent = parse_api_keys("k1:read, k2:write:agent=freshdesk:A-7")
    assert supervisor.agent_id is None
    assert (agent.digest, agent.scopes, agent.agent_id) == (key_digest("k2"), {"read", "write"}, "freshdesk:A-7")


@pytest.mark.parametrize("raw", ["k1", "k1:owner", ":read", "k1:read,k1:admin", "k1:admin:agent=A-7", "k1:read:agent=", "k1:agent=A-7"])
def test_bad_api_keys_are_refused(raw):
    with pytest.raises(ValueError):
        parse_api_keys(raw)


def test_bad_setting_names_the_variable(monkeypatch, development):
    monkeypatch.setenv("CSQ_API_KEYS", "k1:owner")
    monkeypatch.setenv("LOG_LEVEL", "LOUD")
    with pytest.raises(SettingsError) as raised:
        load_settings(BaseServiceSettings)
    assert "CSQ_API_KEYS" in str(raised.value) and "LOG_LEVEL" in str(raised.value)


def test_production_is_the_default_and_refuses_the_development_keys_and_secret(monkeypatch):
    monkeypatch.delenv("CSQ_ENV", raising=False)
    monkeypatch.delenv("CSQ_API_KEYS", raising=False)
    monkeypatch.setenv("CSQ_WEBHOOK_SECRET", STRONG_SECRET)
    with pytest.raises(SettingsError, match="CSQ_API_KEYS: .*must be set outside development"):
        load_settings(BaseServiceSettings)
    monkeypatch.setenv("CSQ_API_KEYS", f"{STRONG_KEY}:admin")
    monkeypatch.delenv("CSQ_WEBHOOK_SECRET")
    with pytest.raises(SettingsError, match="CSQ_WEBHOOK_SECRET must be set outside development"):
        load_settings(BaseServiceSettings)
    monkeypatch.setenv("CSQ_API_KEYS", DEVELOPMENT_API_KEYS)
    monkeypatch.setenv("CSQ_ENV", "development")
    assert load_settings(BaseServiceSettings).environment == "development"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("CSQ_API_KEYS", f"{STRONG_KEY}:admin,short-key:read", "the key of entry 2 must be at least 32 characters"),
        ("CSQ_API_KEYS", f"dev-{STRONG_KEY}:read", "the key of entry 1 must not start with 'dev-'"),
        ("CSQ_WEBHOOK_SECRET", "too-short-a-secret", "CSQ_WEBHOOK_SECRET must be at least 32 characters"),
        ("CSQ_WEBHOOK_SECRET", f"dev-{STRONG_SECRET}", "CSQ_WEBHOOK_SECRET must not start with 'dev-'"),
    ],
)
def test_weak_keys_and_secrets_are_refused_outside_development_naming_the_variable(monkeypatch, production, variable, value, message):
    assert load_settings(BaseServiceSettings).environment == "production"
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as raised:
        load_settings(BaseServiceSettings)
    assert variable in str(raised.value) and message in str(raised.value)
    with pytest.raises(ValidationError) as raised_directly:
        BaseServiceSettings()
    for secret in (value.split(":")[0], "short-key"):
        assert secret not in str(raised.value) and secret not in str(raised_directly.value)
    monkeypatch.setenv("CSQ_ENV", "development")
    assert load_settings(BaseServiceSettings).environment == "development"  # development takes any


def test_no_key_or_secret_in_a_repr_or_in_memory(production):
    settings = load_settings(BaseServiceSettings)
    for shown in (repr(settings), str(settings), repr(settings.api_keys), repr(parse_api_keys(f"{STRONG_KEY}:read"))):
        assert STRONG_KEY not in shown and STRONG_SECRET not in shown
    assert [key.name for key in settings.api_keys] == ["key-1"]
    # Only the digest of the key is kept (the webhook secret is needed in clear to sign).
    assert STRONG_KEY.encode() not in pickle.dumps(settings)


def test_topic_names_use_the_prefix():
    assert BaseServiceSettings(environment="development", topic_prefix="acme.").topic("tickets") == "acme.tickets"


def test_the_outbox_relay_linger_is_a_shared_setting(monkeypatch, development):
    assert BaseServiceSettings().outbox_linger_seconds == 0.025
    monkeypatch.setenv("CSQ_OUTBOX_LINGER_SECONDS", "0")
    assert BaseServiceSettings().outbox_linger_seconds == 0
    monkeypatch.setenv("CSQ_OUTBOX_LINGER_SECONDS", "-1")
    with pytest.raises(SettingsError, match="CSQ_OUTBOX_LINGER_SECONDS"):
        load_settings(BaseServiceSettings)


def test_consumer_group_ids_take_the_configured_prefix_and_none_by_default():
    assert BaseServiceSettings(environment="development").kafka_group_id("kpi-svc") == "kpi-svc"
    prefixed = BaseServiceSettings(environment="development", kafka_group_prefix="staging.")
    assert prefixed.kafka_group_id("kpi-svc") == "staging.kpi-svc"
