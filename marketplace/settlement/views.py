"""Settlement pages for officers: reimbursement batches (voucher-paid bookings and the voucher
part of licence fees), their evidence, approval, payment, and the CSV and printable versions for
the finance bureau."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from marketplace.auth.current import acting_user
from marketplace.errors import DomainError
from marketplace.extensions import db, utcnow
from marketplace.forms import refuse_on_form
from marketplace.office.views import officer_required
from marketplace.settlement import operations as settlement
from marketplace.settlement.forms import (
    ActionForm,
    CreateBatchForm,
    InvoiceForm,
    PayForm,
    previous_month,
)
from marketplace.settlement.models import BatchStatus, ReimbursementBatch, ReimbursementItem
from marketplace.vouchers.models import ProgrammeStatus, VoucherProgramme
from marketplace.vouchers.operations import SHANGHAI

bp = Blueprint("settlement", __name__, url_prefix="/office/settlement")


def _item(batch_id: int, item_id: int) -> ReimbursementItem:
    item = db.get_or_404(ReimbursementItem, item_id)
    if item.batch_id != batch_id:
        abort(404)
    return item


@bp.route("/")
@officer_required
def index():
    """Reimbursement batches, newest first."""
    page = db.paginate(sa.select(ReimbursementBatch).order_by(ReimbursementBatch.id.desc()),
                       per_page=50, max_per_page=100)
    return render_template("settlement/index.html", page=page)


@bp.route("/new", methods=["GET", "POST"])
@officer_required
def create():
    """Collect a period's voucher-paid bookings and licence fees into a draft batch."""
    programmes = list(db.session.scalars(
        sa.select(VoucherProgramme).where(VoucherProgramme.status != ProgrammeStatus.DRAFT)
        .order_by(VoucherProgramme.id.desc())))
    form = CreateBatchForm(programmes=programmes)
    status = 400 if request.method == "POST" else 200
    if request.method == "GET":
        form.period_start.data, form.period_end.data = previous_month(
            utcnow().astimezone(SHANGHAI).date())
        if request.args.get("programme", "").isdigit():
            form.programme_id.data = request.args["programme"]
    elif form.validate_on_submit():
        programme = next(p for p in programmes if str(p.id) == form.programme_id.data)
        try:
            batch = settlement.create_batch(programme, acting_user(), form.period_start.data,
                                            form.period_end.data, utcnow())
        except DomainError as error:
            status = refuse_on_form(form, error)
        else:
            db.session.commit()
            flash(ngettext("Batch created with %(num)d item.", "Batch created with %(num)d items.",
                           len(batch.items)), "success")
            return redirect(url_for("settlement.show", batch_id=batch.id))
    return render_template("settlement/create.html", form=form), status


@bp.route("/<int:batch_id>")
@officer_required
def show(batch_id: int):
    """A batch per provider, with each item's evidence and the next step."""
    return _render_show(db.get_or_404(ReimbursementBatch, batch_id))


def _render_show(batch, *, invoice_form=None, failed_item_id=None, approve_form=None,
                 pay_form=None, status: int = 200):
    return render_template(
        "settlement/show.html", batch=batch, layers=batch.programme.layers,
        groups=_groups(batch), layer_totals=_layer_totals(batch),
        invoice_form=invoice_form or InvoiceForm(formdata=None),
        failed_item_id=failed_item_id, approve_form=approve_form or ActionForm(formdata=None),
        pay_form=pay_form or PayForm(formdata=None), action_form=ActionForm(formdata=None),
        is_draft=batch.status == BatchStatus.DRAFT), status


@bp.route("/<int:batch_id>/items/<int:item_id>/invoice", methods=["POST"])
@officer_required
def set_invoice(batch_id: int, item_id: int):
    """Record an item's invoice number (draft batches)."""
    item = _item(batch_id, item_id)
    form = InvoiceForm()
    status = 400
    if form.validate_on_submit():
        try:
            settlement.set_invoice_number(item, acting_user(), form.invoice_number.data)
        except DomainError as error:
            status = refuse_on_form(form, error)
        else:
            db.session.commit()
            flash(_("Invoice number saved."), "success")
            return redirect(url_for("settlement.show", batch_id=batch_id) + f"#item-{item_id}")
    return _render_show(item.batch, invoice_form=form, failed_item_id=item_id, status=status)


@bp.route("/<int:batch_id>/items/<int:item_id>/remove", methods=["POST"])
@officer_required
def remove_item(batch_id: int, item_id: int):
    """Take a booking or licence fee out of a draft batch; it waits for a later one."""
    item = _item(batch_id, item_id)
    if ActionForm().validate_on_submit():
        settlement.remove_item(item, acting_user())
        db.session.commit()
        flash(_("Item taken out of the batch."), "info")
    return redirect(url_for("settlement.show", batch_id=batch_id))


@bp.route("/<int:batch_id>/discard", methods=["POST"])
@officer_required
def discard(batch_id: int):
    """Delete a draft batch; its bookings and licence fees wait for the next one."""
    batch = db.get_or_404(ReimbursementBatch, batch_id)
    if not ActionForm().validate_on_submit():
        return redirect(url_for("settlement.show", batch_id=batch.id))
    settlement.discard_batch(batch, acting_user())
    db.session.commit()
    flash(_("Batch discarded."), "info")
    return redirect(url_for("settlement.index"))


@bp.route("/<int:batch_id>/approve", methods=["POST"])
@officer_required
def approve(batch_id: int):
    """Approve a draft batch for payment."""
    batch = db.get_or_404(ReimbursementBatch, batch_id)
    form = ActionForm()
    status = 400
    if form.validate_on_submit():
        try:
            settlement.approve_batch(batch, acting_user(), utcnow())
        except DomainError as error:
            status = refuse_on_form(form, error)
        else:
            db.session.commit()
            flash(_("Batch approved for payment."), "success")
            return redirect(url_for("settlement.show", batch_id=batch.id))
    return _render_show(batch, approve_form=form, status=status)


@bp.route("/<int:batch_id>/pay", methods=["POST"])
@officer_required
def pay(batch_id: int):
    """Record the finance bureau's payment: providers are reimbursed, bookings settled."""
    batch = db.get_or_404(ReimbursementBatch, batch_id)
    form = PayForm()
    status = 400
    if form.validate_on_submit():
        try:
            settlement.pay_batch(batch, acting_user(), form.reference.data, utcnow())
        except DomainError as error:
            status = refuse_on_form(form, error)
        else:
            db.session.commit()
            flash(_("Batch marked as paid."), "success")
            return redirect(url_for("settlement.show", batch_id=batch.id))
    return _render_show(batch, pay_form=form, status=status)


@bp.route("/<int:batch_id>/export.csv")
@officer_required
def export(batch_id: int):
    """The batch as CSV for the finance bureau."""
    batch = db.get_or_404(ReimbursementBatch, batch_id)
    return Response(settlement.batch_csv(batch), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename=batch-{batch.id}.csv"})


@bp.route("/<int:batch_id>/print", endpoint="print")
@officer_required
def print_batch(batch_id: int):
    """A printable A4 version of the batch, with signature lines."""
    batch = db.get_or_404(ReimbursementBatch, batch_id)
    return render_template("settlement/print.html", batch=batch, layers=batch.programme.layers,
                           groups=_groups(batch), layer_totals=_layer_totals(batch))


def _layer_totals(batch) -> list[tuple]:
    """[(layer, total fen of the batch's items paid through it)]."""
    return [(layer, sum(item.layer_amounts.get(str(layer.id), 0) for item in batch.items))
            for layer in batch.programme.layers]


def _groups(batch) -> list[tuple]:
    """[(provider, items, subtotal fen, [subtotal fen per layer])] in provider order."""
    layers = batch.programme.layers
    return [(provider, items, subtotal,
             [sum(item.layer_amounts.get(str(layer.id), 0) for item in items) for layer in layers])
            for provider, items, subtotal in batch.by_provider()]
