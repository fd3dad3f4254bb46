"""Unified social credit code (统一社会信用代码), GB 32100-2015.

18 characters from a 31-character alphabet (digits and capital letters without I, O, S, V, Z):
registration authority (1), organisation category (1), administrative division code (6 digits),
organisation code (9), and a check character computed over the first 17 with fixed weights.
"""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}


class CreditCodeError(ValueError):
    """Raised with a short reason code: length, charset, division, check."""

    def __init__(self, reason: str, expected: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.expected = expected


def normalize(code: str) -> str:
    return "".join(code.split()).upper()


def check_character(first17: str) -> str:
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def validate(code: str) -> str:
    """Return the normalised code, or raise CreditCodeError saying what is wrong."""
    code = normalize(code)
    if len(code) != 18:
        raise CreditCodeError("length")
    if any(ch not in _VALUE for ch in code):
        raise CreditCodeError("charset")
    if not code[2:8].isdigit():
        raise CreditCodeError("division")
    expected = check_character(code[:17])
    if code[17] != expected:
        raise CreditCodeError("check", expected)
    return code


def complete(first17: str) -> str:
    """Append the check character (used to build demo data and test fixtures)."""
    first17 = normalize(first17)
    return first17 + check_character(first17)
