"""Secrets at rest: QBO tokens, Finale API keys and Slack tokens are encrypted with Fernet before storage.

The key comes from `PREFLIGHT_SECRET_KEY`. Each comma-separated entry is either

- a Fernet key (44 url-safe base64 characters, as printed by `preflight secret-key`), used as is, or
- any other passphrase, from which a Fernet key is derived deterministically with PBKDF2-HMAC-SHA256
  (600,000 iterations, a fixed application salt). The salt must be fixed so that every replica and every
  restart derives the same key; a passphrase therefore needs to be long and random to be as strong as a
  generated key.

Several entries rotate keys (MultiFernet): the first one encrypts, all of them decrypt. To rotate, put
the new key first and keep the old ones after it until `preflight secret-key rotate` has re-encrypted every
stored secret; then drop the old ones.

Storage never reads the settings itself: the process configures the box (`set_secret_box`) at start.
"""

from __future__ import annotations

import base64
import binascii
import threading
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from sqlalchemy import Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

KEY_ENV_VAR = "PREFLIGHT_SECRET_KEY"
_KDF_SALT = b"preflight.secret-key.v1"
_KDF_ITERATIONS = 600_000


class SecretKeyError(RuntimeError):
    """The secret key is missing, malformed or not the one the stored secrets were encrypted with."""


class MissingSecretKeyError(SecretKeyError):
    def __init__(self) -> None:
        super().__init__(
            f"{KEY_ENV_VAR} is not set. Preflight encrypts the QuickBooks, Finale and Slack tokens it stores "
            f"with this key. Generate one with `preflight secret-key` and set {KEY_ENV_VAR}=<the key> in the "
            "environment or in .env (keep it: without it the stored tokens cannot be read)."
        )


class SecretDecryptionError(SecretKeyError):
    def __init__(self) -> None:
        # Never include the ciphertext or the key: exceptions end up in logs.
        super().__init__(
            f"A stored secret could not be decrypted with {KEY_ENV_VAR}: the key is not the one it was "
            f"encrypted with. If the key was changed, list the new key first and the old one after it "
            f"({KEY_ENV_VAR}=new-key,old-key), or reconnect QuickBooks, Finale and Slack to store new tokens."
        )


def generate_key() -> str:
    """A new random Fernet key, suitable for `PREFLIGHT_SECRET_KEY`."""
    return Fernet.generate_key().decode("ascii")


def _is_fernet_key(candidate: str) -> bool:
    if len(candidate) != 44:
        return False
    try:
        return len(base64.urlsafe_b64decode(candidate.encode("ascii"))) == 32
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return False


@lru_cache(maxsize=16)
def derive_key(passphrase: str) -> str:
    """The Fernet key derived from a passphrase (deterministic: same passphrase, same key)."""
    kdf = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=_KDF_SALT, iterations=_KDF_ITERATIONS)
    return base64.urlsafe_b64encode(kdf.derive(passphrase.encode("utf-8"))).decode("ascii")


def _to_fernet_key(entry: str) -> str:
    return entry if _is_fernet_key(entry) else derive_key(entry)


class SecretBox:
    """Encrypts and decrypts text with one or more keys; the first key encrypts."""

    __slots__ = ("_fernet", "_keys")

    def __init__(self, keys: str | Sequence[str]) -> None:
        entries = keys.split(",") if isinstance(keys, str) else list(keys)
        cleaned = [entry.strip() for entry in entries if entry.strip()]
        if not cleaned:
            raise MissingSecretKeyError()
        self._keys = tuple(cleaned)
        self._fernet = MultiFernet([Fernet(_to_fernet_key(entry)) for entry in cleaned])

    def __reduce__(self) -> tuple[type[SecretBox], tuple[tuple[str, ...]]]:
        # Pickled only to hand the box to Preflight's own worker processes, over a pipe, never to storage.
        return (SecretBox, (self._keys,))

    def __repr__(self) -> str:
        return "SecretBox(<keys hidden>)"

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError):
            # `from None`: the original traceback would carry the ciphertext.
            raise SecretDecryptionError() from None

    def rotate(self, token: str) -> str:
        """Re-encrypt a stored value with the first key."""
        try:
            return self._fernet.rotate(token.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeError):
            raise SecretDecryptionError() from None


_lock = threading.Lock()
_box: SecretBox | None = None


def set_secret_box(box: SecretBox | None) -> None:
    """Encrypt and decrypt with this box from now on (None: no key configured)."""
    global _box
    with _lock:
        _box = box


def get_secret_box() -> SecretBox:
    """The box this process was configured with (`set_secret_box`; bot/app.py's `configure_secrets` sets it
    from `PREFLIGHT_SECRET_KEY`)."""
    box = _box
    if box is None:
        raise MissingSecretKeyError()
    return box


class EncryptedString(TypeDecorator[str]):
    """A text column that holds Fernet ciphertext in the database and plaintext in Python.

    Encryption is randomised, so these columns cannot be searched or compared in SQL.
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise TypeError(f"EncryptedString stores text, not {type(value).__name__}")
        return get_secret_box().encrypt(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return get_secret_box().decrypt(str(value))

    def compare_values(self, x: Any, y: Any) -> bool:
        return bool(x == y)
