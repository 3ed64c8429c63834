from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from storage.crypto import (
    MissingSecretKeyError,
    SecretBox,
    SecretDecryptionError,
    derive_key,
    generate_key,
    get_secret_box,
    set_secret_box,
)


def test_round_trip_with_a_generated_key() -> None:
    box = SecretBox(generate_key())
    token = box.encrypt("xoxb-123-secret ünïcødé 'quoted' \"double\"")
    assert "secret" not in token
    assert box.decrypt(token) == "xoxb-123-secret ünïcødé 'quoted' \"double\""


def test_encryption_is_randomised() -> None:
    box = SecretBox(generate_key())
    assert box.encrypt("same") != box.encrypt("same")


def test_a_fernet_key_is_used_as_is() -> None:
    key = generate_key()
    token = SecretBox(key).encrypt("refresh-token")
    assert Fernet(key.encode()).decrypt(token.encode()) == b"refresh-token"


def test_a_passphrase_derives_the_same_key_every_time() -> None:
    passphrase = "correct horse battery staple, but longer and random"
    assert derive_key(passphrase) == derive_key(passphrase)
    assert derive_key(passphrase) != derive_key(passphrase + "!")
    token = SecretBox(passphrase).encrypt("api-secret")
    # Another process with the same passphrase reads it.
    derive_key.cache_clear()
    assert SecretBox(passphrase).decrypt(token) == "api-secret"


def test_rotation_first_key_encrypts_all_keys_decrypt() -> None:
    old, new = generate_key(), generate_key()
    old_token = SecretBox(old).encrypt("access")
    rotated_box = SecretBox(f"{new}, {old}")
    assert rotated_box.decrypt(old_token) == "access"
    new_token = rotated_box.rotate(old_token)
    assert SecretBox(new).decrypt(new_token) == "access"
    with pytest.raises(SecretDecryptionError):
        SecretBox(old).decrypt(rotated_box.encrypt("fresh"))


def test_wrong_key_gives_a_clear_error_without_the_ciphertext() -> None:
    token = SecretBox(generate_key()).encrypt("qbo-refresh-token")
    with pytest.raises(SecretDecryptionError) as caught:
        SecretBox(generate_key()).decrypt(token)
    message = str(caught.value)
    assert "PREFLIGHT_SECRET_KEY" in message
    assert "new-key,old-key" in message
    assert token not in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_garbage_ciphertext_is_a_decryption_error() -> None:
    with pytest.raises(SecretDecryptionError):
        SecretBox(generate_key()).decrypt("not a fernet token")


def test_an_empty_key_is_refused() -> None:
    with pytest.raises(MissingSecretKeyError):
        SecretBox(" , ")


def test_missing_key_tells_what_to_set_and_how_to_generate_one(monkeypatch: pytest.MonkeyPatch) -> None:
    set_secret_box(None)
    monkeypatch.setenv("PREFLIGHT_SECRET_KEY", generate_key())  # storage never reads the setting itself
    with pytest.raises(MissingSecretKeyError) as caught:
        get_secret_box()
    assert "PREFLIGHT_SECRET_KEY" in str(caught.value)
    assert "preflight secret-key" in str(caught.value)


def test_repr_never_shows_keys() -> None:
    key = generate_key()
    assert key not in repr(SecretBox(key))
