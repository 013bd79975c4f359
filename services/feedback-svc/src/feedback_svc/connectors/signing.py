"""Checks every vendor's authenticity scheme shares: required headers, the age of a timestamp,
a constant-time comparison against every configured secret (rotation), and the JSON body."""

from __future__ import annotations

import hmac
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from feedback_svc.connectors.mapping import unmappable
from feedback_svc.webhooks.errors import SignatureMismatch

#: A timestamp more than this far from the server's clock is refused (DESIGN.md).
TOLERANCE_SECONDS = 300


def required_header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if value is None or not value.strip():
        raise SignatureMismatch(f"missing {name} header")
    return value.strip()


def check_age(sent_at: float, *, now: float, header: str, tolerance: int = TOLERANCE_SECONDS) -> None:
    if abs(now - sent_at) > tolerance:
        raise SignatureMismatch(f"{header} is more than {tolerance} s away from the server's clock")


def matches_any(presented: bytes, expected: Sequence[bytes]) -> None:
    """Raise unless ``presented`` equals one of ``expected``; every candidate is compared, in
    constant time, so the time taken says nothing about which secret came close."""
    matched = False
    for candidate in expected:
        matched |= hmac.compare_digest(presented, candidate)
    if not matched:
        raise SignatureMismatch("the credentials do not match any configured secret for this vendor")


def json_object(body: bytes) -> dict[str, Any]:
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise unmappable("body", "must be a JSON object (the body is not valid JSON)") from None
    if not isinstance(payload, dict):
        raise unmappable("body", "must be a JSON object")
    return payload
