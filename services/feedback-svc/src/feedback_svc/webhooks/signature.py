"""``X-CSQ-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>`` checks.

Several secrets (rotation) and several ``v1=`` signatures (a sender mid-rotation signs with both)
are accepted; any pair that matches authenticates. Digests are compared in constant time and no
error message ever contains an expected signature.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence

from feedback_svc.webhooks.errors import SignatureMismatch

TIMESTAMP_HEADER = "X-CSQ-Timestamp"
SIGNATURE_HEADER = "X-CSQ-Signature"
TOLERANCE_SECONDS = 300
SCHEME = "v1"

_TIMESTAMP = re.compile(r"^[0-9]{1,12}$")
_HEX_DIGEST = re.compile(r"^[0-9a-fA-F]{64}$")


def digest(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The header value a sender puts in ``X-CSQ-Signature``."""
    return f"{SCHEME}={digest(secret, str(timestamp), body)}"


def check_timestamp(header: str | None, *, now: float, tolerance: int = TOLERANCE_SECONDS) -> str:
    """The timestamp header as sent, if it is well formed and within ``tolerance`` of ``now``."""
    if header is None or not header.strip():
        raise SignatureMismatch(f"missing {TIMESTAMP_HEADER} header")
    value = header.strip()
    if not _TIMESTAMP.match(value):
        raise SignatureMismatch(f"{TIMESTAMP_HEADER} must be unix seconds")
    if abs(now - int(value)) > tolerance:
        raise SignatureMismatch(f"{TIMESTAMP_HEADER} is more than {tolerance} s away from the server's clock")
    return value


def parse_signatures(header: str | None) -> list[str]:
    """The ``v1`` hex digests in the header; other schemes are ignored, garbage is refused."""
    if header is None or not header.strip():
        raise SignatureMismatch(f"missing {SIGNATURE_HEADER} header")
    found: list[str] = []
    for part in header.split(","):
        scheme, sep, value = part.strip().partition("=")
        if not sep:
            raise SignatureMismatch(f"{SIGNATURE_HEADER} must look like {SCHEME}=<hex>[,{SCHEME}=<hex>…]")
        if scheme.strip() != SCHEME:
            continue
        value = value.strip()
        if not _HEX_DIGEST.match(value):
            raise SignatureMismatch(f"{SIGNATURE_HEADER}: a {SCHEME} signature must be 64 hex digits")
        found.append(value.lower())
    if not found:
        raise SignatureMismatch(f"{SIGNATURE_HEADER} holds no {SCHEME} signature")
    return found


def verify(
    *, secrets: Sequence[str], timestamp: str | None, signature: str | None, body: bytes, now: float,
    tolerance: int = TOLERANCE_SECONDS,
) -> None:
    """Raise :class:`SignatureMismatch` unless one signature matches one secret over this body."""
    sent_at = check_timestamp(timestamp, now=now, tolerance=tolerance)
    presented = parse_signatures(signature)
    matched = False
    for secret in secrets:
        expected = digest(secret, sent_at, body).encode()
        for candidate in presented:
            matched |= hmac.compare_digest(expected, candidate.encode())
    if not matched:
        raise SignatureMismatch("the signature does not match the body and timestamp for any configured secret")


def check_headers_present(*, timestamp: str | None, signature: str | None, now: float) -> None:
    """The cheap checks that need no body: refuse an unauthenticated request before reading it."""
    check_timestamp(timestamp, now=now)
    parse_signatures(signature)
