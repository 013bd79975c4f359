"""Sealed messages: encrypted for one service's public key, opened only with its private key.

feedback-svc seals a customer's contact into ``ticket.closed`` and survey-svc an invitation's
one-time link (and an explicit recipient), both for notify-svc, so neither the event log nor any
table outside feedback-svc and notify-svc holds them readable (one-time tokens are kept only as
hashes). An ECIES-style construction from the `cryptography`
package: an ephemeral X25519 key agreement, HKDF-SHA256 and ChaCha20-Poly1305. The sealed form is
URL-safe base64 of ``version(1) | ephemeral public key(32) | nonce(12) | ciphertext+tag``.
"""

from __future__ import annotations

import base64
import os

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

VERSION = b"\x01"
_INFO = b"csq sealed message v1"
_RAW = serialization.Encoding.Raw


# Development only (refused outside CSQ_ENV=development, like the other dev secrets): the pair
# feedback-svc, survey-svc and notify-svc use out of the box so `make run` works without set-up.
DEVELOPMENT_PRIVATE_KEY = "SAW5pUOiqoRSdz9coDqy0qxqBax2mhFMt6jr5BHy5FM"
DEVELOPMENT_PUBLIC_KEY = "BLEB1qwUaIWV5tUL-_MsPD5DyPUmJKCsbqhrti2ePwQ"


class SealError(ValueError):
    """A sealed message that cannot be opened: wrong key, truncated or tampered with."""


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def generate_keypair() -> tuple[str, str]:
    """(private, public) as URL-safe base64 strings, for settings and `make run`."""
    private = X25519PrivateKey.generate()
    private_raw = private.private_bytes(_RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    return _b64(private_raw), _b64(private.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw))


def public_key_of(private_key: str) -> str:
    private = X25519PrivateKey.from_private_bytes(_unb64(private_key))
    return _b64(private.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw))


def check_key(value: str, *, name: str) -> str:
    """A setting holding a key: 32 bytes of URL-safe base64, else a message naming ``name``."""
    try:
        if len(_unb64(value)) == 32:
            return value
    except ValueError:
        pass
    raise ValueError(f"{name} must be 32 bytes in URL-safe base64 (see csq_common.sealing.generate_keypair)")


def _key(shared: bytes, ephemeral_public: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=ephemeral_public, info=_INFO).derive(shared)


class Sealer:
    """Seals messages for one public key, sharing one ephemeral key agreement among them: for a
    batch (the key agreement costs far more than the encryption, and a webhook batch seals one
    contact per closure). Every message still gets its own random nonce, and :func:`open_sealed`
    opens each alike. Use one per batch, not for long: messages of one Sealer carry the same
    ephemeral public key, so they can be told to come from one batch."""

    def __init__(self, public_key: str) -> None:
        recipient = X25519PublicKey.from_public_bytes(_unb64(public_key))
        ephemeral = X25519PrivateKey.generate()
        self._ephemeral_public = ephemeral.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw)
        self._cipher = ChaCha20Poly1305(_key(ephemeral.exchange(recipient), self._ephemeral_public))

    def seal(self, payload: dict) -> str:
        nonce = os.urandom(12)
        ciphertext = self._cipher.encrypt(nonce, orjson.dumps(payload), VERSION)
        return _b64(VERSION + self._ephemeral_public + nonce + ciphertext)


def seal(payload: dict, public_key: str) -> str:
    """One message sealed for ``public_key`` with its own ephemeral key."""
    return Sealer(public_key).seal(payload)


def open_sealed(sealed: str, private_key: str) -> dict:
    try:
        raw = _unb64(sealed)
    except ValueError as exc:
        raise SealError("not URL-safe base64") from exc
    if len(raw) < 1 + 32 + 12 + 16 or raw[:1] != VERSION:
        raise SealError("not a sealed message of version 1")
    ephemeral_public, nonce, ciphertext = raw[1:33], raw[33:45], raw[45:]
    private = X25519PrivateKey.from_private_bytes(_unb64(private_key))
    shared = private.exchange(X25519PublicKey.from_public_bytes(ephemeral_public))
    try:
        plain = ChaCha20Poly1305(_key(shared, ephemeral_public)).decrypt(nonce, ciphertext, VERSION)
    except InvalidTag as exc:
        raise SealError("cannot be opened with this key (wrong key or tampered with)") from exc
    return orjson.loads(plain)
