"""The one base class of the add-on's expected errors.

Every error that can reach the panel, the log or a Home Assistant notification carries
``user_message``: a plain sentence with the action to take, never a token or secret. Code
that reports an error reads that attribute from this type instead of guessing at attributes.
"""

from __future__ import annotations


class AddonError(Exception):
    """An expected failure with a sentence that is safe to show and to log."""

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


class InvalidInput(AddonError, ValueError):
    """A value the user entered is refused; ``user_message`` says how to fix it."""


def user_message(err: BaseException) -> str:
    """What to tell the user about ``err``: its sentence, or its text for unexpected errors."""
    if isinstance(err, AddonError):
        return err.user_message
    return str(err) or type(err).__name__
