"""Unified social credit code (GB 32100-2015): an 18-character code with a check character."""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}


class USCCError(ValueError):
    """Why a string is not a valid USCC; the message is a stable reason code."""


def check_char(first17: str) -> str:
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def normalise(raw: str) -> str:
    return raw.strip().upper()


def validate(raw: str) -> str:
    """Return the normalised code or raise USCCError with one of:
    `length`, `charset`, `check`."""
    code = normalise(raw)
    if len(code) != 18:
        raise USCCError("length")
    if any(ch not in _VALUE for ch in code):
        raise USCCError("charset")
    if check_char(code[:17]) != code[17]:
        raise USCCError("check")
    return code


def is_valid(raw: str) -> bool:
    try:
        validate(raw)
    except USCCError:
        return False
    return True


def complete(first17: str) -> str:
    """Append the check character (used by the data generator)."""
    return first17 + check_char(first17)
