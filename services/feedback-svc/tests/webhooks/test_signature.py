import hashlib
import hmac

import pytest

from feedback_svc.webhooks.errors import SignatureMismatch
from feedback_svc.webhooks.signature import sign, verify

NOW = 1_800_000_000
BODY = b'{"event_id":"crm-1"}'


def check(signature, *, timestamp=str(NOW), secrets=("s3cret",), body=BODY, now=NOW):
    verify(secrets=secrets, timestamp=timestamp, signature=signature, body=body, now=now)


def test_sign_is_hmac_sha256_over_timestamp_dot_body():
    expected = hmac.new(b"s3cret", f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert sign("s3cret", NOW, BODY) == f"v1={expected}"
    check(f"v1={expected}")
    check(f"v1={expected.upper()}")  # hex is case-insensitive


def test_any_configured_secret_and_any_presented_signature_may_match():
    old, new = sign("old", NOW, BODY), sign("new", NOW, BODY)
    check(old, secrets=("new", "old"))
    check(f"{sign('unknown', NOW, BODY)}, {new}", secrets=("new",))
    check(f"v2=abc,{new}", secrets=("new",))  # unknown schemes are ignored


@pytest.mark.parametrize(
    "signature, body, timestamp",
    [
        (sign("wrong", NOW, BODY), BODY, str(NOW)),  # wrong secret
        (sign("s3cret", NOW, BODY), BODY + b" ", str(NOW)),  # body changed after signing
        (sign("s3cret", NOW - 1, BODY), BODY, str(NOW)),  # timestamp changed after signing
    ],
)
def test_a_mismatch_is_refused_without_revealing_the_expected_signature(signature, body, timestamp):
    with pytest.raises(SignatureMismatch) as caught:
        check(signature, body=body, timestamp=timestamp)
    assert caught.value.status_code == 401
    expected = sign("s3cret", timestamp, body).removeprefix("v1=")
    assert expected not in caught.value.detail
    assert "does not match" in caught.value.detail


@pytest.mark.parametrize("skew", [301, -301, 10_000, -10_000])
def test_a_timestamp_more_than_300_seconds_away_is_refused_either_way(skew):
    sent = NOW + skew
    with pytest.raises(SignatureMismatch, match="300 s"):
        check(sign("s3cret", sent, BODY), timestamp=str(sent))


@pytest.mark.parametrize("skew", [300, -300, 0])
def test_a_timestamp_within_300_seconds_is_accepted(skew):
    sent = NOW + skew
    check(sign("s3cret", sent, BODY), timestamp=str(sent))


@pytest.mark.parametrize(
    "timestamp, signature, message",
    [
        (None, "v1=" + "0" * 64, "missing X-CSQ-Timestamp"),
        ("", "v1=" + "0" * 64, "missing X-CSQ-Timestamp"),
        ("12.5", "v1=" + "0" * 64, "unix seconds"),
        ("-5", "v1=" + "0" * 64, "unix seconds"),
        ("2026-11-20T10:00:00Z", "v1=" + "0" * 64, "unix seconds"),
        (str(NOW), None, "missing X-CSQ-Signature"),
        (str(NOW), "deadbeef", "must look like"),
        (str(NOW), "v1=nothex" + "0" * 57, "64 hex digits"),
        (str(NOW), "v1=" + "0" * 63, "64 hex digits"),
        (str(NOW), "v0=" + "0" * 64, "no v1 signature"),
    ],
)
def test_missing_or_garbled_headers_are_refused(timestamp, signature, message):
    with pytest.raises(SignatureMismatch, match=message):
        check(signature, timestamp=timestamp)
