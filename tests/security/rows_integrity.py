"""S1 authorization-matrix rows for marketplace.integrity (step 7); appended in test_authz_matrix.

The world (``integrity_world``): a ``no_usage`` signal on org A (open), a case on org A opened by
the officer with a note on org A's credit record. The queue, signals and cases are for officers
(and admins, who are officers too): 403 to everyone else. The response to a credit note is for the
organisation's members only (officers read the note but do not answer for the organisation).
"""

from __future__ import annotations

from tests.security.test_authz_matrix import ALL, MISSING, SIGNED_IN, Row


def integrity_world(w) -> None:
    from marketplace.auth.models import User
    from marketplace.extensions import db, utcnow
    from marketplace.integrity import operations as ops
    from marketplace.integrity.models import NO_USAGE, Signal
    from marketplace.organizations.models import Organization

    officer = db.session.get(User, w.uid("officer"))
    org_a = db.session.get(Organization, w.org_a_id)
    signal = Signal(kind=NO_USAGE, fingerprint=f"{NO_USAGE}:matrix", organization_id=org_a.id,
                    organization_ids=[org_a.id], records=[["organization", org_a.id]],
                    data={"voucher_paid_fen": 100}, detected_at=utcnow(), updated_at=utcnow())
    db.session.add(signal)
    case = ops.open_case(officer, org_a, "矩阵测试案件", utcnow())
    note = ops.add_credit_note(case, officer, "矩阵测试信用记录", utcnow())
    db.session.commit()
    w.extra.update(signal=signal.id, case=case.id, note=note.id)


def clawback_world(w) -> None:
    """The step-3 world plus a case on org B (the enterprise whose vouchers paid the lab) and
    the first of its transfers that can be clawed back (a posted voucher payment)."""
    from marketplace.auth.models import User
    from marketplace.extensions import db, utcnow
    from marketplace.integrity import operations as ops
    from marketplace.organizations.models import Organization

    officer = db.session.get(User, w.uid("officer"))
    case = ops.open_case(officer, db.session.get(Organization, w.org_b_id), "矩阵追回", utcnow())
    db.session.flush()
    candidates = ops.clawback_candidates(case)
    assert candidates, "the step-3 world has no posted voucher payment of org B"
    db.session.commit()
    w.extra.update(case=case.id, transfer=candidates[0].id)


def _signal(suffix: str = "", missing: bool = False):
    return lambda w: (f"/office/integrity/signals/"
                      f"{MISSING if missing else w.extra['signal']}{suffix}")


def _case(suffix: str = "", missing: bool = False):
    return lambda w: f"/office/integrity/cases/{MISSING if missing else w.extra['case']}{suffix}"


def _respond(missing: bool = False):
    return lambda w: f"/integrity/credit-notes/{MISSING if missing else w.extra['note']}/respond"


def data(**values):
    return lambda w: dict(values)


def org_a_choice(**values):
    return lambda w: {"organization_id": str(w.org_a_id), **values}


I = {"extra": integrity_world}
OFFICERS = "L    403  403  403  403  200  200"
OFFICERS_ACT = "L    403  403  403  403  302! 302!"
OFFICERS_SAY = lambda code: f"L    403  403  403  403  {code}  {code}"  # noqa: E731

# fmt: off
#                                                   anon  plain memA ownA  other offcr admin
INTEGRITY_ROWS: list = [
    Row("integrity.queue", "GET", "", OFFICERS, lambda w: "/office/integrity/", **I),
    Row("integrity.queue", "GET", "bad-filter", OFFICERS_SAY("400"),
        lambda w: "/office/integrity/?kind=nope", **I),
    Row("integrity.scan", "GET", "", ALL("405"), lambda w: "/office/integrity/scan"),
    # nothing to find in this world: answered, nothing written
    Row("integrity.scan", "POST", "", OFFICERS_SAY("302"), lambda w: "/office/integrity/scan"),
    Row("integrity.signal", "GET", "", OFFICERS, _signal(), **I),
    Row("integrity.signal", "GET", "missing", OFFICERS_SAY("404"), _signal(missing=True), **I),
    Row("integrity.clear", "GET", "", ALL("405"), _signal("/clear"), **I),
    Row("integrity.clear", "POST", "", OFFICERS_ACT, _signal("/clear"), data(note="已核实"), **I),
    Row("integrity.clear", "POST", "no-note", OFFICERS_SAY("400"), _signal("/clear"),
        data(note=""), **I),
    Row("integrity.clear", "POST", "missing", OFFICERS_SAY("404"), _signal("/clear", True),
        data(note="x"), **I),
    Row("integrity.open_case", "GET", "", ALL("405"), _signal("/case"), **I),
    Row("integrity.open_case", "POST", "", OFFICERS_ACT, _signal("/case"),
        org_a_choice(summary="核查"), **I),
    Row("integrity.open_case", "POST", "other-org", OFFICERS_SAY("400"), _signal("/case"),
        lambda w: {"organization_id": str(w.org_b_id), "summary": "核查"}, **I),
    Row("integrity.case", "GET", "", OFFICERS, _case(), **I),
    Row("integrity.case", "GET", "missing", OFFICERS_SAY("404"), _case(missing=True), **I),
    Row("integrity.freeze", "GET", "", ALL("405"), _case("/freeze"), **I),
    Row("integrity.freeze", "POST", "", OFFICERS_ACT, _case("/freeze"), data(reason="调查"), **I),
    Row("integrity.freeze", "POST", "no-reason", OFFICERS_SAY("400"), _case("/freeze"),
        data(reason=""), **I),
    Row("integrity.unfreeze", "GET", "", ALL("405"), _case("/unfreeze"), **I),
    # not frozen: answered, nothing written
    Row("integrity.unfreeze", "POST", "not-frozen", OFFICERS_SAY("302"), _case("/unfreeze"), **I),
    Row("integrity.clawback", "GET", "", ALL("405"), _case("/clawback"), **I),
    Row("integrity.clawback", "POST", "missing-transfer", OFFICERS_SAY("404"), _case("/clawback"),
        data(transfer_id=str(MISSING), reason="x"), **I),
    Row("integrity.clawback", "POST", "posted-payment", OFFICERS_ACT, _case("/clawback"),
        lambda w: {"transfer_id": str(w.extra["transfer"]), "reason": "使用未发生"},
        extra=clawback_world, step3=True),
    Row("integrity.note", "GET", "", ALL("405"), _case("/note"), **I),
    Row("integrity.note", "POST", "", OFFICERS_ACT, _case("/note"), data(text="信用提示"), **I),
    Row("integrity.close", "GET", "", ALL("405"), _case("/close"), **I),
    Row("integrity.close", "POST", "", OFFICERS_ACT, _case("/close"), data(note="结案"), **I),
    Row("integrity.close", "POST", "missing", OFFICERS_SAY("404"), _case("/close", True),
        data(note="结案"), **I),
    Row("integrity.respond", "GET", "", ALL("405"), _respond(), **I),
    Row("integrity.respond", "POST", "", "L    403  302! 302! 403  403  403", _respond(),
        data(text="已整改"), **I),
    Row("integrity.respond", "POST", "empty", "L    403  400  400  403  403  403", _respond(),
        data(text=""), **I),
    Row("integrity.respond", "POST", "missing", SIGNED_IN("L", "404"), _respond(missing=True),
        data(text="x"), **I),
]
# fmt: on
