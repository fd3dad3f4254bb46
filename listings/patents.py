"""Chinese patent application numbers (专利申请号).

Since 2003 an application number is 12 digits — year (4), type (1: 1 invention, 2 utility model,
3 design, 8 PCT invention, 9 PCT utility model), serial (7) — followed by a check character after
a dot (201910123456.7). Before 2003 it was 8 digits and a check character (98123456.X). Granted
patents are often written with a "ZL" prefix. We check the structure, not the check character:
published examples and registries are inconsistent about it, and a wrong digit is better caught by
the officer than by refusing a real patent.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

# re.ASCII: \d would also match other scripts' digits ("٣"), giving a non-ASCII "canonical"
# number (found by the atheris target tests/fuzz/targets.py:patent_number)
_NEW = re.compile(r"^(?P<year>\d{4})(?P<type>[12389])(?P<serial>\d{7})\.?(?P<check>[\dX])$",
                  re.ASCII)
_OLD = re.compile(r"^(?P<year>\d{2})(?P<type>[12389])(?P<serial>\d{5})\.?(?P<check>[\dX])$",
                  re.ASCII)

TYPE_BY_DIGIT = {"1": "invention", "2": "utility_model", "3": "design", "8": "invention",
                 "9": "utility_model"}


class PatentNumberError(ValueError):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason  # format | year


def normalize_patent_number(value: str, today: date | None = None) -> str:
    """Return the canonical form ``201910123456.7`` (or ``98123456.X``); raise if malformed."""
    value = unicodedata.normalize("NFKC", value) if value else value  # fullwidth ２０１９ → 2019
    text = "".join(value.split()).upper().replace("ZL", "", 1) if value else ""
    text = text.replace("CN", "", 1) if text.startswith("CN") else text
    match = _NEW.match(text) or _OLD.match(text)
    if not match:
        raise PatentNumberError("format")
    year = int(match["year"])
    if len(match["year"]) == 4:
        this_year = (today or date.today()).year
        if not 2003 <= year <= this_year:
            raise PatentNumberError("year")
    elif not 85 <= year <= 99 and not 0 <= year <= 3:
        raise PatentNumberError("year")
    return f"{match['year']}{match['type']}{match['serial']}.{match['check']}"


def patent_type_of(number: str) -> str | None:
    digits = number.split(".")[0]
    return TYPE_BY_DIGIT.get(digits[4] if len(digits) == 12 else digits[2])
