"""Encryption at rest of refresh tokens: Fernet (cryptography), with key rotation through MultiFernet.

SPAPI_NOTIFY_ENCRYPTION_KEY holds one or more Fernet keys, comma-separated, newest first. New tokens are
encrypted with the first; any listed key decrypts. To rotate: put a new key in front, run
``spapi-notify sellers rotate-key`` (re-encrypts every token with it), then drop the old key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import SecretStr

if TYPE_CHECKING:
    from cryptography.fernet import MultiFernet

KEY_SETTING = "SPAPI_NOTIFY_ENCRYPTION_KEY"


class EncryptionKeyError(ValueError):
    """The encryption key setting is missing or not a valid Fernet key (the key itself is never shown)."""


class UndecryptableToken(ValueError):
    """A stored token decrypts with none of the configured keys."""


class TokenCipher:
    """Encrypts refresh tokens with the first key and decrypts with any; EncryptionKeyError for bad keys."""

    def __init__(self, keys: SecretStr | None) -> None:
        parts = [k.strip() for k in (keys.get_secret_value() if keys else "").split(",") if k.strip()]
        if not parts:
            raise EncryptionKeyError(
                f"{KEY_SETTING} is not set: refresh tokens are stored encrypted. "
                "Generate a key with `spapi-notify sellers generate-key`."
            )
        # cryptography is imported when a key is used: a daemon whose sellers table holds no tokens never
        # loads it (a few MB of its memory).
        from cryptography.fernet import Fernet, MultiFernet  # noqa: PLC0415

        fernets = []
        for position, key in enumerate(parts, start=1):
            try:
                fernets.append(Fernet(key.encode()))
            except ValueError:
                raise EncryptionKeyError(
                    f"{KEY_SETTING}: key {position} of {len(parts)} is not a Fernet key "
                    "(32 url-safe base64-encoded bytes)"
                ) from None
        self._fernet: MultiFernet = MultiFernet(fernets)

    def __repr__(self) -> str:
        return "TokenCipher(keys=**********)"

    @staticmethod
    def generate_key() -> str:
        from cryptography.fernet import Fernet  # noqa: PLC0415

        return Fernet.generate_key().decode()

    def encrypt(self, secret: SecretStr) -> str:
        return self._fernet.encrypt(secret.get_secret_value().encode()).decode()

    def decrypt(self, token: str, *, owner: str) -> SecretStr:
        from cryptography.fernet import InvalidToken  # noqa: PLC0415

        try:
            return SecretStr(self._fernet.decrypt(token.encode()).decode())
        except InvalidToken:
            raise UndecryptableToken(
                f"the stored refresh token of {owner} decrypts with none of the keys in {KEY_SETTING} "
                "(was a key dropped before `spapi-notify sellers rotate-key` ran?)"
            ) from None

    def rotate(self, token: str, *, owner: str) -> str:
        """The token re-encrypted with the newest key."""
        from cryptography.fernet import InvalidToken  # noqa: PLC0415

        try:
            return self._fernet.rotate(token.encode()).decode()
        except InvalidToken:
            raise UndecryptableToken(
                f"the stored refresh token of {owner} decrypts with none of the keys in {KEY_SETTING}"
            ) from None
