"""GB 32100-2015 unified social credit codes."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.organizations.credit_code import ALPHABET, CreditCodeError, complete, validate


@pytest.mark.parametrize("code", [
    "914403001922038216",   # a published code of a large Shenzhen company
    "91140400MA0K7U2X3F",
    " 9114 0400 MA0K 7U2X 3F ",  # spaces and lower case are tidied
    "91140400ma0k7u2x3f",
])
def test_valid_codes_are_accepted_and_normalised(code):
    assert validate(code) == "".join(code.split()).upper()


@pytest.mark.parametrize(("code", "reason"), [
    ("91140400MA0K7U2X3E", "check"),        # wrong check character
    ("914403001922038217", "check"),
    ("91140400MA0K7U2X3", "length"),        # 17 characters
    ("91140400MA0K7U2X3FF", "length"),      # 19 characters
    ("", "length"),
    ("91140400MA0K7U2XIF", "charset"),      # I is not in the alphabet
    ("91140400MA0K7U2XOF", "charset"),      # neither is O
    ("91140400MA0K7U2X-F", "charset"),
    ("9114A400MA0K7U2X3F", "division"),     # the division code must be digits
])
def test_invalid_codes_say_why(code, reason):
    with pytest.raises(CreditCodeError) as excinfo:
        validate(code)
    assert excinfo.value.reason == reason


@given(st.text(alphabet=ALPHABET, min_size=2, max_size=2),
       st.text(alphabet="0123456789", min_size=6, max_size=6),
       st.text(alphabet=ALPHABET, min_size=9, max_size=9))
def test_completed_codes_validate_and_any_single_change_of_the_check_is_caught(head, division, tail):
    code = complete(head + division + tail)
    assert validate(code) == code
    wrong = random.Random(code).choice([c for c in ALPHABET if c != code[-1]])
    with pytest.raises(CreditCodeError):
        validate(code[:-1] + wrong)
