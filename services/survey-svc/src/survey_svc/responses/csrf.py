"""Cross-site request forgery protection of the answer page's form (double-submit, signed).

Rendering the form sets a random nonce in a cookie (HttpOnly, SameSite=Strict, path /s/, Secure
when the public URL is https) and puts ``HMAC(key, token_hash "." nonce)`` in a hidden field. A
POST counts only when the field matches the cookie's nonce for this very token. Another site can
neither read the cookie nor compute the field (the key is secret), a SameSite=Strict cookie is
not even sent with a cross-site POST, and a field taken from one survey is useless for another.

The key is derived from ``SURVEY_CUSTOMER_KEY_SECRET`` with its own label, so it never equals
the throttling-ledger key derived from the same secret.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

COOKIE = "csq_survey_csrf"
FIELD = "csrf"
COOKIE_PATH = "/s/"
_LABEL = b"csq/survey-svc/answer-page/csrf/v1"
_NONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def page_key(customer_key_secret: str) -> bytes:
    return hmac.new(customer_key_secret.encode("utf-8"), _LABEL, hashlib.sha256).digest()


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


def usable_nonce(value: str | None) -> str | None:
    return value if value and _NONCE.fullmatch(value) else None


def form_value(key: bytes, token_hash: str, nonce: str) -> str:
    return hmac.new(key, f"{token_hash}.{nonce}".encode("ascii"), hashlib.sha256).hexdigest()


def verify(key: bytes, token_hash: str, nonce: str | None, presented: str | None) -> bool:
    nonce = usable_nonce(nonce)
    if nonce is None or not presented or len(presented) > 128:
        return False
    return hmac.compare_digest(form_value(key, token_hash, nonce).encode(), presented.encode("utf-8", "replace"))
