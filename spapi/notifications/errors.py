"""The one error Amazon's notification formats raise: a notification that does not match its schema."""

from __future__ import annotations


class InvalidNotification(ValueError):
    """The object is not a valid SP-API notification; the message names fields and reasons, never values."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
