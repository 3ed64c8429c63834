"""Wiring: the secret key reaches storage from the settings, never the other way round."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from bot.app import configure_secrets
from bot.settings import Settings
from storage.crypto import MissingSecretKeyError, SecretBox, generate_key, get_secret_box, set_secret_box


@pytest.fixture(autouse=True)
def no_box() -> Iterator[None]:
    set_secret_box(None)
    yield
    set_secret_box(None)


def test_configure_secrets_hands_the_settings_key_to_storage() -> None:
    old, new = generate_key(), generate_key()
    configure_secrets(Settings.model_construct(secret_key=SecretStr(f"{new},{old}")))
    token = get_secret_box().encrypt("finale-api-secret")
    assert SecretBox(new).decrypt(token) == "finale-api-secret"  # the first key encrypts
    assert get_secret_box().decrypt(SecretBox(old).encrypt("qbo-token")) == "qbo-token"  # the others decrypt


def test_configure_secrets_without_a_key_is_refused() -> None:
    with pytest.raises(MissingSecretKeyError, match="preflight secret-key"):
        configure_secrets(Settings.model_construct(secret_key=None))
