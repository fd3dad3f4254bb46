"""Voucher pages: programmes (officers), quota applications and their decisions, provider
admission, related parties, and an enterprise's own vouchers ("My vouchers")."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from listings.models import INSTRUMENT_CATEGORY_LABELS, Instrument, InstrumentCategory
from marketplace.auth.current import acting_user
from marketplace.errors import DomainError
from marketplace.extensions import db, utcnow
from marketplace.forms import refuse_on_form
from marketplace.money import format_fen
from marketplace.office.views import officer_required
from marketplace.organizations.models import Organization, OrganizationKind
from marketplace.settlement.models import ReimbursementBatch
from marketplace.vouchers import operations as vouchers
from marketplace.vouchers.forms import (
    ActionForm,
    ApplyForAdmissionForm,
    ApplyForQuotaForm,
    CreateProgrammeForm,
    DecideAdmissionForm,
    DeclareRelationForm,
    GrantForm,
    RefuseForm,
    edit_programme_form,
)
from marketplace.vouchers.models import (
    BP,
    TECHNOLOGY_TRANSFER,
    TECHNOLOGY_TRANSFER_LABEL,
    ApplicationStatus,
    ProgrammeStatus,
    ProviderAdmission,
    Quota,
    QuotaApplication,
    VoucherProgramme,
)

bp = Blueprint("vouchers", __name__, url_prefix="/vouchers")

PROVIDER_KINDS = (OrganizationKind.UNIVERSITY, OrganizationKind.ENTERPRISE, OrganizationKind.PARK)


@bp.app_template_filter("percent")
def percent(share_bp: int | None) -> str:
    """Basis points as a percentage: 5000 → '50%', 1250 → '12.5%'."""
    if share_bp is None:
        return ""
    whole, rest = divmod(int(share_bp), BP // 100)
    return f"{whole}%" if rest == 0 else f"{whole}.{rest:02d}".rstrip("0") + "%"


@bp.app_template_filter("category_label")
def category_label(value: str) -> str:
    """An instrument category value (or technology transfer) in the user's language."""
    if value == TECHNOLOGY_TRANSFER:
        return str(TECHNOLOGY_TRANSFER_LABEL)
    try:
        return str(INSTRUMENT_CATEGORY_LABELS[InstrumentCategory(value)])
    except ValueError:
        return value


# ---------------------------------------------------------------------------------------------
# loading and failing
def _programme(programme_id: int) -> VoucherProgramme:
    """A programme the user may see: drafts only for officers (others get 404)."""
    programme = db.get_or_404(VoucherProgramme, programme_id)
    if programme.status == ProgrammeStatus.DRAFT and not current_user.is_officer:
        abort(404)
    return programme


def _application(application_id: int) -> QuotaApplication:
    """An application, for the applicant's members and officers; others get 404."""
    application = db.get_or_404(QuotaApplication, application_id)
    if not (current_user.is_officer or application.organization.is_member(current_user)):
        abort(404)
    return application


def _my_enterprises() -> list[Organization]:
    """The user's verified enterprises (those that may apply for quota)."""
    return sorted((m.organization for m in current_user.memberships
                   if m.organization.kind == OrganizationKind.ENTERPRISE
                   and m.organization.is_verified), key=lambda o: o.name_zh)


def _my_providers() -> list[Organization]:
    """The user's verified organisations that own instruments (those that may be admitted)."""
    candidates = [m.organization for m in current_user.memberships
                  if m.organization.kind in PROVIDER_KINDS and m.organization.is_verified]
    if not candidates:
        return []
    owning = set(db.session.scalars(sa.select(Instrument.organization_id).where(
        Instrument.organization_id.in_([o.id for o in candidates])).distinct()))
    return sorted((o for o in candidates if o.id in owning), key=lambda o: o.name_zh)


# ---------------------------------------------------------------------------------------------
# enterprises and providers
@bp.route("/")
@login_required
def index():
    """My vouchers: per enterprise and programme, quotas and applications; providers' admissions."""
    now = utcnow()
    enterprises = sorted((m.organization for m in current_user.memberships
                          if m.organization.kind == OrganizationKind.ENTERPRISE),
                         key=lambda o: o.name_zh)
    sections = []
    for organization in enterprises:
        applications = _applications_of(organization)
        programmes = {a.programme for a in applications} | set(_programmes_with_quota(organization))
        sections.append((organization, [
            (programme, vouchers.voucher_balance(organization, programme, now),
             [a for a in applications if a.programme_id == programme.id])
            for programme in sorted(programmes, key=lambda p: -p.id)]))
    providers = sorted((m.organization for m in current_user.memberships
                        if m.organization.kind in PROVIDER_KINDS), key=lambda o: o.name_zh)
    admissions = [(o, vouchers.list_admissions(o)) for o in providers]
    return render_template("vouchers/index.html", sections=sections, now=now,
                           admissions=[(o, a) for o, a in admissions if a],
                           open_programmes=_open_programmes())


@bp.route("/programmes/<int:programme_id>")
@login_required
def show(programme_id: int):
    """A programme's rules in plain words, with the forms to apply for quota or admission."""
    programme = _programme(programme_id)
    return _render_show(programme)


def _render_show(programme, apply_form=None, admission_form=None, status: int = 200):
    enterprises, providers = _my_enterprises(), _my_providers()
    admissions = {a.organization_id: a for o in providers for a in vouchers.list_admissions(o)
                  if a.programme_id == programme.id}
    return render_template(
        "vouchers/show.html", programme=programme, enterprises=enterprises, providers=providers,
        admissions=admissions,
        apply_form=apply_form or ApplyForQuotaForm(organizations=enterprises, formdata=None),
        admission_form=admission_form or ApplyForAdmissionForm(organizations=providers,
                                                               formdata=None),
        remaining_fen=sum(vouchers.remaining_budget_fen(layer) for layer in programme.layers)
        ), status


@bp.route("/programmes/<int:programme_id>/apply", methods=["POST"])
@login_required
def apply(programme_id: int):
    """An enterprise member asks the programme for voucher quota."""
    programme = _programme(programme_id)
    enterprises = _my_enterprises()
    if not enterprises:
        abort(403)
    form = ApplyForQuotaForm(organizations=enterprises)
    status = 400
    if form.validate_on_submit():
        organization = next(o for o in enterprises if str(o.id) == form.organization_id.data)
        try:
            application = vouchers.apply_for_quota(programme, organization, acting_user(),
                                                   form.requested_fen.data,
                                                   form.purpose.data.strip(), utcnow())
        except DomainError as error:
            status = refuse_on_form(form, error)
        else:
            db.session.commit()
            flash(_("Your application has been sent to the programme office."), "success")
            return redirect(url_for("vouchers.application", application_id=application.id))
    return _render_show(programme, apply_form=form, status=status)


@bp.route("/programmes/<int:programme_id>/admission", methods=["POST"])
@login_required
def apply_admission(programme_id: int):
    """A provider member asks for admission, so that its instruments can take vouchers."""
    programme = _programme(programme_id)
    providers = _my_providers()
    if not providers:
        abort(403)
    form = ApplyForAdmissionForm(organizations=providers)
    status = 400
    if form.validate_on_submit():
        organization = next(o for o in providers if str(o.id) == form.organization_id.data)
        try:
            vouchers.apply_for_admission(programme, organization, acting_user(),
                                         (form.note.data or "").strip() or None)
        except DomainError as error:
            status = refuse_on_form(form, error)
        else:
            db.session.commit()
            flash(_("%(org)s has applied for admission to %(programme)s.",
                    org=organization.name_zh, programme=programme.name_zh), "success")
            return redirect(url_for("vouchers.index"))
    return _render_show(programme, admission_form=form, status=status)


@bp.route("/applications/<int:application_id>")
@login_required
def application(application_id: int):
    """One application: its decision for the enterprise; the deciding forms for officers."""
    application = _application(application_id)
    form = GrantForm(formdata=None, amount_fen=application.requested_fen)
    return _render_application(application, grant_form=form)


def _render_application(application, grant_form=None, refuse_form=None, status: int = 200):
    context = {}
    if current_user.is_officer:
        year = utcnow().astimezone(vouchers.SHANGHAI).year
        grants = _grants_in_year(application, year)
        annual = application.programme.annual_cap_per_enterprise_fen
        granted = sum(q.amount_fen for q in grants)
        context = {"year": year, "grants": grants, "granted_fen": granted,
                   "annual_left_fen": None if annual is None else max(annual - granted, 0),
                   "layers": _layer_figures(application.programme),
                   "history": _applications_of(application.organization, application.programme)}
    return render_template(
        "vouchers/application.html", application=application, action_form=ActionForm(),
        grant_form=grant_form or GrantForm(formdata=None),
        refuse_form=refuse_form or RefuseForm(formdata=None), **context), status


@bp.route("/applications/<int:application_id>/withdraw", methods=["POST"])
@login_required
def withdraw(application_id: int):
    """The enterprise takes back its open application."""
    application = _application(application_id)
    if not application.organization.is_member(current_user):
        abort(403)
    if ActionForm().validate_on_submit():
        vouchers.withdraw_application(application, acting_user(), utcnow())
        db.session.commit()
        flash(_("Application withdrawn."), "info")
    return redirect(url_for("vouchers.application", application_id=application.id))


@bp.route("/applications/<int:application_id>/grant", methods=["POST"])
@officer_required
def grant(application_id: int):
    """Grant all or part of an application."""
    application = db.get_or_404(QuotaApplication, application_id)
    form = GrantForm()
    status = 400
    if form.validate_on_submit():
        try:
            vouchers.grant_quota(application, acting_user(), form.amount_fen.data,
                                 (form.note.data or "").strip() or None, utcnow())
        except DomainError as error:
            status = refuse_on_form(form, error)
        else:
            db.session.commit()
            flash(_("Granted %(amount)s to %(org)s.", amount=format_fen(form.amount_fen.data),
                    org=application.organization.name_zh), "success")
            return redirect(url_for("vouchers.manage", programme_id=application.programme_id))
    return _render_application(application, grant_form=form, status=status)


@bp.route("/applications/<int:application_id>/refuse", methods=["POST"])
@officer_required
def refuse(application_id: int):
    """Refuse an application with the reason the enterprise will read."""
    application = db.get_or_404(QuotaApplication, application_id)
    form = RefuseForm()
    status = 400
    if form.validate_on_submit():
        try:
            vouchers.refuse_quota(application, acting_user(), form.reason.data, utcnow())
        except DomainError as error:
            status = refuse_on_form(form, error)
        else:
            db.session.commit()
            flash(_("Application refused."), "info")
            return redirect(url_for("vouchers.manage", programme_id=application.programme_id))
    return _render_application(application, refuse_form=form, status=status)


@bp.route("/organizations/<int:organization_id>/relations", methods=["GET", "POST"])
@login_required
def relations(organization_id: int):
    """An organisation's declared related parties; its members declare more."""
    organization = db.get_or_404(Organization, organization_id)
    if not organization.can_view_private(current_user):
        abort(404)
    form = DeclareRelationForm()
    status = 400 if request.method == "POST" else 200
    if form.validate_on_submit():
        try:
            vouchers.declare_relation(organization, form.related_organization, acting_user(),
                                      form.description.data)
        except DomainError as error:
            status = refuse_on_form(form, error)
        else:
            db.session.commit()
            flash(_("Relationship with %(org)s declared.",
                    org=form.related_organization.name_zh), "success")
            return redirect(url_for("organizations.show", organization_id=organization.id))
    return render_template("vouchers/relations.html", organization=organization, form=form,
                           relations=vouchers.list_relations(organization)), status


# ---------------------------------------------------------------------------------------------
# officers
@bp.route("/programmes")
@officer_required
def programmes():
    """Every programme with its budget, issued and remaining vouchers per layer."""
    rows = [(programme, _layer_figures(programme)) for programme in db.session.scalars(
        sa.select(VoucherProgramme).order_by(VoucherProgramme.id.desc()))]
    return render_template("vouchers/programmes.html", rows=rows)


@bp.route("/programmes/new", methods=["GET", "POST"])
@officer_required
def create_programme():
    """Set up a programme (as a draft) with its funding layers."""
    form = CreateProgrammeForm()
    if form.validate_on_submit():
        try:
            programme = vouchers.create_programme(acting_user(), layers=form.layer_specs(),
                                                  **form.rules())
        except DomainError as error:
            status = refuse_on_form(form, error)
            return render_template("vouchers/edit.html", form=form, programme=None), status
        db.session.commit()
        flash(_("Programme saved as a draft. Open it when it is ready."), "success")
        return redirect(url_for("vouchers.manage", programme_id=programme.id))
    status = 400 if request.method == "POST" else 200
    return render_template("vouchers/edit.html", form=form, programme=None), status


@bp.route("/programmes/<int:programme_id>/edit", methods=["GET", "POST"])
@officer_required
def edit_programme(programme_id: int):
    """Change a programme's rules and its layers' budgets."""
    programme = db.get_or_404(VoucherProgramme, programme_id)
    formdata = None if request.method == "GET" else request.form
    form = edit_programme_form(programme, formdata=formdata)
    if request.method == "GET":
        form.fill_from(programme)
        for layer, field in form.layer_fields:
            field.data = layer.budget_fen
    elif form.validate_on_submit():
        budgets = {layer.id: field.data for layer, field in form.layer_fields}
        try:
            vouchers.update_programme(programme, acting_user(), layer_budgets=budgets,
                                      **form.rules())
        except DomainError as error:
            status = refuse_on_form(form, error)
            return render_template("vouchers/edit.html", form=form, programme=programme), status
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("vouchers.manage", programme_id=programme.id))
    status = 400 if request.method == "POST" else 200
    return render_template("vouchers/edit.html", form=form, programme=programme), status


@bp.route("/programmes/<int:programme_id>/open", methods=["POST"])
@officer_required
def open_programme(programme_id: int):
    """Start taking applications and voucher payments."""
    programme = db.get_or_404(VoucherProgramme, programme_id)
    if ActionForm().validate_on_submit():
        vouchers.open_programme(programme, acting_user())
        db.session.commit()
        flash(_("%(name)s is open.", name=programme.name_zh), "success")
    return redirect(url_for("vouchers.manage", programme_id=programme.id))


@bp.route("/programmes/<int:programme_id>/close", methods=["POST"])
@officer_required
def close_programme(programme_id: int):
    """Stop new applications and grants; granted vouchers stay spendable."""
    programme = db.get_or_404(VoucherProgramme, programme_id)
    if ActionForm().validate_on_submit():
        vouchers.close_programme(programme, acting_user())
        db.session.commit()
        flash(_("%(name)s is closed.", name=programme.name_zh), "info")
    return redirect(url_for("vouchers.manage", programme_id=programme.id))


@bp.route("/programmes/<int:programme_id>/manage")
@officer_required
def manage(programme_id: int):
    """The officer's programme page: layers, open applications, grants, providers, batches."""
    programme = db.get_or_404(VoucherProgramme, programme_id)
    return render_template(
        "vouchers/manage.html", programme=programme, layers=_layer_figures(programme),
        pending=list(db.session.scalars(
            sa.select(QuotaApplication)
            .where(QuotaApplication.programme_id == programme.id,
                   QuotaApplication.status == ApplicationStatus.SUBMITTED)
            .order_by(QuotaApplication.created_at, QuotaApplication.id))),
        quotas=list(db.session.scalars(
            sa.select(Quota).where(Quota.programme_id == programme.id)
            .order_by(Quota.granted_at.desc(), Quota.id.desc()).limit(500))),
        admissions=list(db.session.scalars(
            sa.select(ProviderAdmission).where(ProviderAdmission.programme_id == programme.id)
            .order_by(ProviderAdmission.created_at, ProviderAdmission.id))),
        batches=list(db.session.scalars(
            sa.select(ReimbursementBatch).where(ReimbursementBatch.programme_id == programme.id)
            .order_by(ReimbursementBatch.id.desc()))),
        action_form=ActionForm(), now=utcnow())


@bp.route("/admissions/<int:admission_id>", methods=["GET", "POST"])
@officer_required
def admission(admission_id: int):
    """Admit, refuse or suspend a provider, with a note."""
    admission = db.get_or_404(ProviderAdmission, admission_id)
    form = DecideAdmissionForm()
    status = 400 if request.method == "POST" else 200
    if form.validate_on_submit():
        try:
            vouchers.decide_admission(admission, acting_user(), form.status.data,
                                      form.note.data, utcnow())
        except DomainError as error:
            status = refuse_on_form(form, error)
        else:
            db.session.commit()
            flash(_("Decision saved for %(org)s.", org=admission.organization.name_zh), "success")
            return redirect(url_for("vouchers.manage", programme_id=admission.programme_id))
    instruments = list(db.session.scalars(sa.select(Instrument).where(
        Instrument.organization_id == admission.organization_id).order_by(Instrument.id)))
    return render_template("vouchers/admission.html", admission=admission, form=form,
                           instruments=instruments), status


# ---------------------------------------------------------------------------------------------
# reading for the pages
def _layer_figures(programme: VoucherProgramme) -> list[tuple]:
    """[(layer, issued fen, remaining fen)]."""
    return [(layer, vouchers.issued_fen(layer), vouchers.remaining_budget_fen(layer))
            for layer in programme.layers]


def _applications_of(organization, programme=None) -> list[QuotaApplication]:
    query = sa.select(QuotaApplication).where(QuotaApplication.organization_id == organization.id)
    if programme is not None:
        query = query.where(QuotaApplication.programme_id == programme.id)
    return list(db.session.scalars(query.order_by(QuotaApplication.created_at.desc(),
                                                  QuotaApplication.id.desc())))


def _programmes_with_quota(organization) -> list[VoucherProgramme]:
    return list(db.session.scalars(
        sa.select(VoucherProgramme).where(VoucherProgramme.id.in_(
            sa.select(Quota.programme_id).where(Quota.organization_id == organization.id)))))


def _grants_in_year(application, year: int) -> list[Quota]:
    return list(db.session.scalars(sa.select(Quota).where(
        Quota.programme_id == application.programme_id,
        Quota.organization_id == application.organization_id, Quota.grant_year == year)
        .order_by(Quota.granted_at)))


def _open_programmes() -> list[VoucherProgramme]:
    return list(db.session.scalars(sa.select(VoucherProgramme).where(
        VoucherProgramme.status == ProgrammeStatus.OPEN).order_by(VoucherProgramme.id.desc())))

