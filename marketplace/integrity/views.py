"""Views of marketplace.integrity (step 7): the officers' review queue, a signal, a case and its
actions (under /office/integrity), and the organisation's response to a credit note (under
/integrity, registered on the app from here)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.auth.current import acting_user
from marketplace.errors import DomainError
from marketplace.extensions import db, utcnow
from marketplace.forms import refuse_on_form, select_choices
from marketplace.integrity import attempts, detectors
from marketplace.integrity import forms as f
from marketplace.integrity import operations as ops
from marketplace.integrity.freeze import is_frozen
from marketplace.integrity.models import OPEN, Case, Clawback, CreditNote, Signal, VoucherFreeze
from marketplace.office.views import officer_required
from marketplace.organizations.models import Organization

bp = Blueprint("integrity", __name__, url_prefix="/office/integrity")


@bp.record_once
def _setup(state) -> None:
    app = state.app
    app.teardown_request(attempts.teardown)
    app.add_url_rule("/integrity/credit-notes/<int:note_id>/respond", "integrity.respond",
                     respond, methods=["POST"])


@bp.app_context_processor
def _helpers():
    return {"integrity_open_count": _open_count, "integrity_notes_for": _notes_for,
            "integrity_response_form": f.ResponseForm, "integrity_is_frozen": is_frozen}


def _open_count() -> int:
    if not (current_user.is_authenticated and current_user.is_officer):
        return 0
    return db.session.scalar(sa.select(sa.func.count()).select_from(Signal)
                             .where(Signal.status == OPEN)) or 0


def _notes_for(organization) -> list[CreditNote]:
    """The credit notes the current user may know of: officers and the organisation's members."""
    if not current_user.is_authenticated:
        return []
    if not (current_user.is_officer or organization.is_member(current_user)):
        return []
    return ops.notes_for(organization)


# ---------------------------------------------------------------------------------------------
RECORD_LINKS = {
    "organization": lambda i: url_for("organizations.show", organization_id=i),
    "booking": lambda i: url_for("bookings.show", booking_id=i),
    "programme": lambda i: url_for("vouchers.show", programme_id=i),
    "instrument": lambda i: url_for("catalogue.show", listing_id=i),
}


def record_links(signal: Signal) -> list[dict]:
    names = {}
    org_ids = [i for t, i in signal.records if t == "organization"]
    if org_ids:
        names = dict(db.session.execute(sa.select(Organization.id, Organization.name_zh)
                                        .where(Organization.id.in_(org_ids))).all())
    labels = {"organization": _("Organisation"), "booking": _("Booking"),
              "programme": _("Voucher programme"), "instrument": _("Instrument"),
              "reimbursement_item": _("Reimbursement item"), "quota": _("Voucher quota")}
    links = []
    for record_type, record_id in signal.records:
        href = None
        if record_type in RECORD_LINKS:
            href = RECORD_LINKS[record_type](record_id)
        elif record_type == "reimbursement_item":
            from marketplace.settlement.models import ReimbursementItem

            item = db.session.get(ReimbursementItem, record_id)
            href = item and url_for("settlement.show", batch_id=item.batch_id)
        links.append({"label": labels.get(record_type, record_type), "id": record_id,
                      "name": names.get(record_id) if record_type == "organization" else None,
                      "href": href})
    return links


def _signal(signal_id: int) -> Signal:
    return db.get_or_404(Signal, signal_id)


def _case(case_id: int) -> Case:
    return db.get_or_404(Case, case_id)


@bp.route("/")
@officer_required
def queue():
    """The review queue, filtered by status, kind and organisation."""
    form = f.FilterForm(request.args)
    if request.args and not form.validate():
        return render_template("integrity/queue.html", form=form, signals=[], cases=[]), 400
    status = form.status.data if "status" in request.args else OPEN
    signals = ops.list_signals(status=status or None, kind=form.kind.data or None,
                               organization_id=form.organization_id.data)
    cases = list(db.session.scalars(sa.select(Case).order_by(Case.status.desc(), Case.id.desc())
                                    .limit(50)))
    return render_template("integrity/queue.html", form=form, signals=signals, cases=cases,
                           explain=detectors.explain, scan_form=f.ScanForm())


@bp.route("/scan", methods=["POST"])
@officer_required
def scan():
    form = f.ScanForm()
    if not form.validate_on_submit():
        abort(400)
    counts = detectors.scan(db.session, utcnow())
    db.session.commit()
    flash(_("Scan done: %(n)d new signal(s).",
            n=sum(v for k, v in counts.items() if k != "updated")), "success")
    return redirect(url_for("integrity.queue"))


def _render_signal(signal, status=200, clear_form=None, case_form=None):
    case_form = case_form or f.OpenCaseForm(formdata=None)
    _organization_choices(case_form, signal)
    return render_template("integrity/signal.html", signal=signal,
                           explanation=detectors.explain(signal), links=record_links(signal),
                           clear_form=clear_form or f.ClearForm(formdata=None),
                           case_form=case_form), status


def _organization_choices(form, signal) -> None:
    ids = list(dict.fromkeys([i for i in [signal.organization_id, *(signal.organization_ids or [])]
                              if i]))
    orgs = {o.id: o for o in db.session.scalars(
        sa.select(Organization).where(Organization.id.in_(ids)))} if ids else {}
    form.organization_id.choices = select_choices((i, orgs[i].name_zh) for i in ids if i in orgs)


@bp.route("/signals/<int:signal_id>")
@officer_required
def signal(signal_id: int):
    return _render_signal(_signal(signal_id))


@bp.route("/signals/<int:signal_id>/clear", methods=["POST"])
@officer_required
def clear(signal_id: int):
    item = _signal(signal_id)
    form = f.ClearForm()
    if form.validate_on_submit():
        try:
            ops.clear_signal(item, acting_user(), form.note.data, utcnow())
        except DomainError as error:
            return _render_signal(item, refuse_on_form(form, error), clear_form=form)
        db.session.commit()
        flash(_("Signal cleared."), "success")
        return redirect(url_for("integrity.queue"))
    return _render_signal(item, 400, clear_form=form)


@bp.route("/signals/<int:signal_id>/case", methods=["POST"])
@officer_required
def open_case(signal_id: int):
    item = _signal(signal_id)
    form = f.OpenCaseForm()
    _organization_choices(form, item)
    if form.validate_on_submit():
        organization = db.session.get(Organization, int(form.organization_id.data))
        try:
            case = ops.open_case(acting_user(), organization, form.summary.data, utcnow(),
                                 signal=item)
        except DomainError as error:
            return _render_signal(item, refuse_on_form(form, error), case_form=form)
        db.session.commit()
        flash(_("Case opened."), "success")
        return redirect(url_for("integrity.case", case_id=case.id))
    return _render_signal(item, 400, case_form=form)


# ---------------------------------------------------------------------------------------------
def _render_case(case, status=200, **forms):
    defaults = {"freeze_form": f.ReasonForm(formdata=None),
                "unfreeze_form": f.ButtonForm(formdata=None),
                "clawback_form": f.ClawbackForm(formdata=None),
                "note_form": f.NoteForm(formdata=None), "close_form": f.CloseForm(formdata=None)}
    defaults.update(forms)
    freezes = list(db.session.scalars(sa.select(VoucherFreeze).where(
        VoucherFreeze.organization_id == case.organization_id).order_by(VoucherFreeze.id)))
    clawbacks = list(db.session.scalars(sa.select(Clawback).where(Clawback.case_id == case.id)
                                        .order_by(Clawback.id)))
    return render_template(
        "integrity/case.html", case=case, frozen=is_frozen(case.organization), freezes=freezes,
        clawbacks=clawbacks, candidates=ops.clawback_candidates(case) if case.is_open else [],
        notes=ops.notes_for(case.organization), explain=detectors.explain, **defaults), status


@bp.route("/cases/<int:case_id>")
@officer_required
def case(case_id: int):
    return _render_case(_case(case_id))


def _case_action(case_id: int, form_name: str, form, action, message: str):
    item = _case(case_id)
    if form.validate_on_submit():
        try:
            action(item, form)
        except DomainError as error:
            return _render_case(item, refuse_on_form(form, error), **{form_name: form})
        db.session.commit()
        flash(message, "success")
        return redirect(url_for("integrity.case", case_id=item.id))
    return _render_case(item, 400, **{form_name: form})


@bp.route("/cases/<int:case_id>/freeze", methods=["POST"])
@officer_required
def freeze(case_id: int):
    return _case_action(case_id, "freeze_form", f.ReasonForm(), lambda c, form: ops.freeze(
        c, acting_user(), form.reason.data, utcnow()), _("Voucher use frozen."))


@bp.route("/cases/<int:case_id>/unfreeze", methods=["POST"])
@officer_required
def unfreeze(case_id: int):
    return _case_action(case_id, "unfreeze_form", f.ButtonForm(), lambda c, form: ops.unfreeze(
        c, acting_user(), utcnow()), _("Freeze lifted."))


@bp.route("/cases/<int:case_id>/clawback", methods=["POST"])
@officer_required
def clawback(case_id: int):
    return _case_action(case_id, "clawback_form", f.ClawbackForm(), lambda c, form: ops.claw_back(
        c, acting_user(), form.transfer_id.data, form.reason.data, utcnow()),
        _("Transfer clawed back."))


@bp.route("/cases/<int:case_id>/note", methods=["POST"])
@officer_required
def note(case_id: int):
    return _case_action(case_id, "note_form", f.NoteForm(), lambda c, form: ops.add_credit_note(
        c, acting_user(), form.text.data, utcnow()), _("Note added to the credit record."))


@bp.route("/cases/<int:case_id>/close", methods=["POST"])
@officer_required
def close(case_id: int):
    return _case_action(case_id, "close_form", f.CloseForm(), lambda c, form: ops.close_case(
        c, acting_user(), form.note.data, utcnow()), _("Case closed."))


# ---------------------------------------------------------------------------------------------
@login_required
def respond(note_id: int):
    """A member of the organisation answers a note on its credit record (once)."""
    credit_note = db.get_or_404(CreditNote, note_id)
    organization = credit_note.organization
    if not organization.is_member(current_user):
        abort(403)
    form = f.ResponseForm()
    if not form.validate_on_submit():
        return render_template("integrity/respond.html", note=credit_note, form=form), 400
    try:
        ops.respond_to_note(credit_note, acting_user(), form.text.data, utcnow())
    except DomainError as error:
        status = refuse_on_form(form, error)
        return render_template("integrity/respond.html", note=credit_note, form=form), status
    db.session.commit()
    flash(_("Your response has been recorded."), "success")
    return redirect(url_for("organizations.show", organization_id=organization.id))
