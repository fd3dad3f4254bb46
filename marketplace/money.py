"""Money is integer fen (分) everywhere; yuan appear only at the edges (forms and display)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

MAX_FEN = 10**15  # ¥10 trillion: far above any real amount, far below BIGINT


class MoneyFormatError(ValueError):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # format | negative | precision | too_large


def parse_yuan(text: str) -> int:
    """'1,234.5' or '¥1234.50' or '1234元' → 123450 fen. Refuses more than two decimals."""
    cleaned = (text or "").strip().replace(",", "").replace("，", "").replace("¥", "")
    cleaned = cleaned.replace("￥", "").removesuffix("元").strip()
    if not cleaned:
        raise MoneyFormatError("format")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise MoneyFormatError("format") from None
    if not amount.is_finite():
        raise MoneyFormatError("format")
    if amount < 0:
        raise MoneyFormatError("negative")
    if amount and amount.adjusted() < -2:  # '1e-999999999' would underflow to 0 fen
        raise MoneyFormatError("precision")
    if amount.adjusted() > 15:  # '1e999999999': amount * 100 would raise decimal.Overflow
        raise MoneyFormatError("too_large")
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise MoneyFormatError("precision")
    if fen > MAX_FEN:
        raise MoneyFormatError("too_large")
    return int(fen)


def format_fen(fen: int | None, *, symbol: bool = True) -> str:
    """123450 → '¥1,234.50'; whole yuan drop the decimals: 120000 → '¥1,200'."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(int(fen)), 100)
    text = f"{yuan:,}" if cents == 0 else f"{yuan:,}.{cents:02d}"
    return f"{sign}{'¥' if symbol else ''}{text}"


def fen_to_input(fen: int | None) -> str:
    """The value to put back into a form field (no symbol, no thousands separator)."""
    if fen is None:
        return ""
    yuan, cents = divmod(int(fen), 100)
    return str(yuan) if cents == 0 else f"{yuan}.{cents:02d}"
