"""One-time invitation tokens: 256 random bits in the link, only their SHA-256 stored."""

from __future__ import annotations

import hashlib
import secrets


def mint_token() -> str:
    """A fresh token for a survey link (URL-safe, 43 characters, 256 bits of randomness)."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What is stored and looked up: a hex SHA-256 (a fast hash suffices for 256-bit secrets)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def survey_link(public_base_url: str, token: str) -> str:
    return f"{public_base_url}/s/{token}"
