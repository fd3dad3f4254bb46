"""S8 bad-input cases for the licence_fees forms (step 5); appended in ``test_limits``.

The world is the S1 rows' (``rows_licence_fees.fee_world``): org A owns the technology and its
express licence; org B (other_org) takes it, and pays its negotiated agreement's fee.
"""

from __future__ import annotations

import tests.security.test_authz_matrix  # noqa: F401  (first: it imports rows_licence_fees itself)
from tests.security.rows_licence_fees import fee_world, pay_form, take_form
from tests.security.test_limits import FormCases


def _url(name, suffix):
    return lambda w: f"/licensing/fees/technologies/{w.extra[name]}/express{suffix}"


def _terms(**changes):
    return lambda w: {"price": "30000", "term_years": "3", "territory": "山西省",
                      "field_of_use": "焦化", "is_active": "y", **changes}


def _take(**changes):
    return lambda w: {**take_form(w), **changes}


def _pay(**changes):
    return lambda w: {**pay_form(w), **changes}


F = {"extra": fee_world}

# fmt: off
LICENCE_FEE_FORMS: list = [
    FormCases("set the express licence", "licence_fees.edit_express", "owner_a",
              _url("technology", ""), {
                  "empty": lambda w: {},
                  "no price": _terms(price=""),
                  "zero price": _terms(price="0"),
                  "negative price": _terms(price="-100"),
                  "price not a number": _terms(price="两万"),
                  "price with three decimals": _terms(price="1.005"),
                  "huge price": _terms(price="9" * 30),
                  "price above ¥1 billion": _terms(price="1000000001"),
                  "zero years": _terms(term_years="0"),
                  "51 years": _terms(term_years="51"),
                  "years not a number": _terms(term_years="five"),
                  "no territory": _terms(territory="  "),
                  "territory too long": _terms(territory="国" * 201),
                  "no field of use": _terms(field_of_use=""),
                  "field of use too long": _terms(field_of_use="用" * 301),
              }, **F),
    FormCases("take the express licence", "licence_fees.take_express", "other_org",
              _url("technology", "/take"), {
                  "empty": lambda w: {},
                  "someone else's organisation": lambda w: {**take_form(w),
                                                            "organization_id": str(w.org_a_id)},
                  "unknown organisation": _take(organization_id="999999"),
                  "organisation not a number": _take(organization_id="B"),
                  "unknown programme": _take(programme_id="999999"),
                  "programme not a number": _take(programme_id="all"),
                  "unknown method": _take(method="cash"),
                  "no method": _take(method=""),
                  "key too long": _take(request_key="k" * 65),
              }, **F),
    FormCases("pay a licence fee", "licence_fees.pay", "other_org",
              lambda w: f"/licensing/fees/agreements/{w.extra['agreement']}/pay", {
                  "empty": lambda w: {},
                  "unknown programme": _pay(programme_id="999999"),
                  "programme not a number": _pay(programme_id="x"),
                  "unknown method": _pay(method="alipay-direct"),
                  "no method": _pay(method=""),
                  "key too long": _pay(request_key="k" * 65),
              }, **F),
]
# fmt: on
LICENCE_FEE_BUTTONS: set[str] = set()  # POST endpoints that take no fields
