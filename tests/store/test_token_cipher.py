"""Encryption at rest of refresh tokens, and key rotation."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from store.token_cipher import EncryptionKeyError, TokenCipher, UndecryptableToken

TOKEN = SecretStr("Atzr|refresh-token-of-a-seller")


def test_a_token_round_trips_and_is_not_stored_in_clear(key: str) -> None:
    cipher = TokenCipher(SecretStr(key))
    stored = cipher.encrypt(TOKEN)
    assert "refresh-token" not in stored
    assert cipher.decrypt(stored, owner="A1").get_secret_value() == TOKEN.get_secret_value()


def test_rotation_re_encrypts_with_the_newest_key_so_the_old_one_can_go(key: str) -> None:
    new = Fernet.generate_key().decode()
    stored = TokenCipher(SecretStr(key)).encrypt(TOKEN)
    both = TokenCipher(SecretStr(f"{new}, {key}"))
    assert both.decrypt(stored, owner="A1") == TOKEN
    rotated = both.rotate(stored, owner="A1")
    assert TokenCipher(SecretStr(new)).decrypt(rotated, owner="A1") == TOKEN
    with pytest.raises(UndecryptableToken, match="A1"):
        TokenCipher(SecretStr(new)).decrypt(stored, owner="A1")


@pytest.mark.parametrize("value", [None, "", " , "])
def test_a_missing_key_says_how_to_make_one(value: str | None) -> None:
    with pytest.raises(EncryptionKeyError, match="sellers generate-key"):
        TokenCipher(None if value is None else SecretStr(value))


def test_a_malformed_key_is_named_by_position_never_shown(key: str) -> None:
    with pytest.raises(EncryptionKeyError, match="key 2 of 2") as caught:
        TokenCipher(SecretStr(f"{key},not-a-fernet-key"))
    assert "not-a-fernet-key" not in str(caught.value)
    assert key not in repr(TokenCipher(SecretStr(key)))
