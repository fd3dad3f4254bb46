"""Voucher programme operations: set up programmes, grant and expire quota, admit providers, and
work out what vouchers pay for a bill.

Invariants:
* a layer's issued and not yet returned vouchers never exceed its budget (first come, first
  served: grants lock the layer's budget account, so two grants cannot both take the last yuan);
* a grant respects the programme's per-application cap and the enterprise's annual cap (grants of
  one programme are serialised by locking the programme row);
* granted quota is split over the layers in proportion to their shares and lives in one voucher
  account per quota and layer; once it expires, what is left (and any hold released later) goes
  back to the layer's budget, exactly once (idempotency keys derived from the quota);
* vouchers pay only admitted providers, for eligible categories, never a related party, and never
  the enterprise's own instruments.
Every decision leaves an audit entry in the same transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

from marketplace.audit import record_audit
from marketplace.errors import ConflictError, DomainError, InvalidStateError, NotAllowedError
from marketplace.extensions import db
from marketplace.integrity import attempts as integrity_attempts
from marketplace.integrity import freeze as integrity_freeze
from marketplace.ledger import operations as ledger
from marketplace.ledger import queries as ledger_queries
from marketplace.ledger.models import Asset, LedgerAccount
from marketplace.mail import send_mail
from marketplace.organizations.models import (
    Organization,
    OrganizationKind,
    OrganizationRelation,
    normalize_controller,
)
from marketplace.transactions import begin_write, lock, lock_accounts
from marketplace.vouchers.models import (
    BP,
    AdmissionStatus,
    ApplicationStatus,
    FundingLayer,
    ProgrammeStatus,
    ProviderAdmission,
    Quota,
    QuotaApplication,
    VoucherProgramme,
    accounts,
)

log = logging.getLogger(__name__)
SHANGHAI = ZoneInfo("Asia/Shanghai")


class VoucherError(DomainError):
    code = "voucher_refused"


class BudgetExhaustedError(ConflictError):
    code = "budget_exhausted"


class CapExceededError(DomainError):
    code = "cap_exceeded"


# ---------------------------------------------------------------------------------------------
# pure arithmetic
def split_by_shares(amount: int, shares: Sequence[int]) -> list[int]:
    """``amount`` divided in proportion to ``shares`` (largest remainder), summing exactly."""
    total = sum(shares)
    if amount <= 0 or total <= 0:
        return [0 for _ in shares]
    parts = [amount * share // total for share in shares]
    order = sorted(range(len(shares)), key=lambda i: (-(amount * shares[i] % total), i))
    for i in order[: amount - sum(parts)]:
        parts[i] += 1
    return parts


def voucher_entitlement(programme: VoucherProgramme, bill_fen: int) -> list[int]:
    """What each layer pays of a bill, before balances: a bill below the programme's threshold
    is paid entirely; otherwise each layer pays its share (rounded down to the fen)."""
    shares = [layer.share_bp for layer in programme.layers]
    threshold = programme.full_payment_threshold_fen
    covered = bill_fen if threshold and bill_fen < threshold else bill_fen * sum(shares) // BP
    return split_by_shares(min(covered, bill_fen), shares)


# ---------------------------------------------------------------------------------------------
# programmes
@dataclass
class LayerSpec:
    name_zh: str
    share_bp: int
    budget_fen: int
    name_en: str | None = None


def create_programme(officer, *, name_zh: str, layers: Sequence[LayerSpec], name_en=None,
                     description: str = "", per_application_cap_fen: int | None = None,
                     annual_cap_per_enterprise_fen: int | None = None, validity_days: int = 365,
                     full_payment_threshold_fen: int | None = None,
                     eligible_categories: Sequence[str] = (), starts_on: date | None = None,
                     ends_on: date | None = None) -> VoucherProgramme:
    """A new programme (draft) with its funding layers and their budget accounts."""
    _require_officer(officer)
    _check_layers(layers)
    if starts_on and ends_on and ends_on < starts_on:
        raise DomainError(_("The programme cannot end before it starts."), "ends_on")
    programme = VoucherProgramme(
        name_zh=name_zh, name_en=name_en, description=description,
        per_application_cap_fen=per_application_cap_fen,
        annual_cap_per_enterprise_fen=annual_cap_per_enterprise_fen, validity_days=validity_days,
        full_payment_threshold_fen=full_payment_threshold_fen,
        eligible_categories=list(eligible_categories), starts_on=starts_on, ends_on=ends_on,
        created_by_id=officer.id, status=ProgrammeStatus.DRAFT)
    for position, spec in enumerate(layers):
        programme.layers.append(FundingLayer(name_zh=spec.name_zh, name_en=spec.name_en,
                                             share_bp=spec.share_bp, budget_fen=spec.budget_fen,
                                             position=position))
    db.session.add(programme)
    db.session.flush()
    for layer in programme.layers:
        ledger.open_account(db.session, accounts.budget(layer.id, programme.id), Asset.VOUCHER,
                            "budget", allow_negative=True)
    record_audit(officer, "programme.create", programme, after=programme.snapshot())
    return programme


def update_programme(programme: VoucherProgramme, officer, *, layer_budgets: dict[int, int] | None = None,
                     **fields) -> VoucherProgramme:
    """Change a programme's rules; a layer's budget may not drop below what it has issued."""
    _require_officer(officer)
    programme = lock(db.session, VoucherProgramme, programme.id)
    before = programme.snapshot()
    allowed = {"name_zh", "name_en", "description", "per_application_cap_fen",
               "annual_cap_per_enterprise_fen", "validity_days", "full_payment_threshold_fen",
               "eligible_categories", "starts_on", "ends_on"}
    for name, value in fields.items():
        if name not in allowed:
            raise TypeError(f"not a programme setting: {name}")
        setattr(programme, name, value)
    for layer in programme.layers:
        if layer_budgets and layer.id in layer_budgets:
            new_budget = layer_budgets[layer.id]
            issued = issued_fen(layer)
            if new_budget < issued:
                raise DomainError(_("%(layer)s has already issued %(issued)s; its budget cannot be "
                                    "lower.", layer=layer.name_zh, issued=_yuan(issued)),
                                  f"budget_{layer.id}")
            layer.budget_fen = new_budget
    if programme.starts_on and programme.ends_on and programme.ends_on < programme.starts_on:
        raise DomainError(_("The programme cannot end before it starts."), "ends_on")
    record_audit(officer, "programme.update", programme, before=before, after=programme.snapshot())
    return programme


def open_programme(programme: VoucherProgramme, officer) -> None:
    """Start taking applications and voucher payments."""
    _require_officer(officer)
    programme = lock(db.session, VoucherProgramme, programme.id)
    if programme.status == ProgrammeStatus.OPEN:
        return
    if not programme.layers:
        raise InvalidStateError(_("A programme needs at least one funding layer."))
    before = programme.snapshot()
    programme.status = ProgrammeStatus.OPEN
    record_audit(officer, "programme.open", programme, before=before, after=programme.snapshot())


def close_programme(programme: VoucherProgramme, officer) -> None:
    """Stop new applications and grants; granted vouchers stay spendable until they expire."""
    _require_officer(officer)
    programme = lock(db.session, VoucherProgramme, programme.id)
    if programme.status == ProgrammeStatus.CLOSED:
        return
    before = programme.snapshot()
    programme.status = ProgrammeStatus.CLOSED
    record_audit(officer, "programme.close", programme, before=before, after=programme.snapshot())


def issued_fen(layer: FundingLayer) -> int:
    """Vouchers a layer has issued and not had back (the negative of its budget account)."""
    code = accounts.budget(layer.id, layer.programme_id)
    return -ledger_queries.balance(db.session, code)


def remaining_budget_fen(layer: FundingLayer) -> int:
    return layer.budget_fen - issued_fen(layer)


# ---------------------------------------------------------------------------------------------
# quota
def apply_for_quota(programme: VoucherProgramme, organization: Organization, user,
                    requested_fen: int, purpose: str, now: datetime) -> QuotaApplication:
    """An enterprise asks for voucher quota."""
    if not organization.is_member(user):
        raise NotAllowedError(_("Only members of %(org)s can apply for it.", org=organization.name_zh))
    if organization.kind != OrganizationKind.ENTERPRISE:
        raise VoucherError(_("Only enterprises can apply for innovation vouchers."))
    if not organization.is_verified:
        raise VoucherError(_("%(org)s must be verified by the programme office before it can use "
                             "vouchers.", org=organization.name_zh))
    if not programme.is_open:
        raise VoucherError(_("This programme is not taking applications."))
    if requested_fen <= 0:
        raise DomainError(_("Ask for an amount above zero."), "requested_fen")
    cap = programme.per_application_cap_fen
    if cap is not None and requested_fen > cap:
        raise CapExceededError(_("One application may ask for at most %(cap)s.", cap=_yuan(cap)),
                               "requested_fen")
    begin_write(db.session)
    if _open_application(programme, organization) is not None:
        raise ConflictError(_("%(org)s already has an application awaiting a decision in this "
                              "programme.", org=organization.name_zh))
    application = QuotaApplication(programme_id=programme.id, organization_id=organization.id,
                                   applicant_id=user.id, requested_fen=requested_fen,
                                   purpose=purpose, status=ApplicationStatus.SUBMITTED,
                                   created_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(application)
            db.session.flush()
    except sa.exc.IntegrityError:
        if _open_application(programme, organization) is None:
            raise
        raise ConflictError(_("%(org)s already has an application awaiting a decision in this "
                              "programme.", org=organization.name_zh)) from None
    record_audit(user, "quota_application.submit", application, after=application.snapshot())
    return application


def grant_quota(application: QuotaApplication, officer, amount_fen: int, note: str | None,
                now: datetime) -> Quota:
    """Grant all or part of an application: budget → the enterprise's voucher accounts."""
    _require_officer(officer)
    programme = lock(db.session, VoucherProgramme, application.programme_id)
    application = lock(db.session, QuotaApplication, application.id)
    if not application.is_open:
        raise InvalidStateError(_("This application has already been decided."))
    if not programme.is_open:
        raise VoucherError(_("This programme is not open, so it cannot grant vouchers."))
    if amount_fen <= 0:
        raise DomainError(_("Grant an amount above zero (or refuse the application)."), "amount_fen")
    if amount_fen > application.requested_fen:
        raise DomainError(_("You cannot grant more than the %(amount)s asked for.",
                            amount=_yuan(application.requested_fen)), "amount_fen")
    cap = programme.per_application_cap_fen
    if cap is not None and amount_fen > cap:
        raise CapExceededError(_("One application may be granted at most %(cap)s.", cap=_yuan(cap)),
                               "amount_fen")
    year = now.astimezone(SHANGHAI).year
    annual = programme.annual_cap_per_enterprise_fen
    if annual is not None:
        granted = db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(Quota.amount_fen), 0))
            .where(Quota.programme_id == programme.id,
                   Quota.organization_id == application.organization_id,
                   Quota.grant_year == year))
        if granted + amount_fen > annual:
            raise CapExceededError(_(
                "This would exceed the annual cap of %(cap)s per enterprise: %(org)s has been "
                "granted %(granted)s in %(year)d, so at most %(left)s more.",
                cap=_yuan(annual), org=application.organization.name_zh, granted=_yuan(granted),
                year=year, left=_yuan(max(annual - granted, 0))), "amount_fen")

    parts = split_by_shares(amount_fen, [layer.share_bp for layer in programme.layers])
    budgets = _lock_budget_accounts(programme)
    for layer, part in zip(programme.layers, parts, strict=True):
        remaining = layer.budget_fen + budgets[layer.id].posted_balance
        if part > remaining:
            raise BudgetExhaustedError(_(
                "The budget of %(layer)s has %(left)s left; this grant needs %(part)s from it.",
                layer=layer.name_zh, left=_yuan(max(remaining, 0)), part=_yuan(part)), "amount_fen")

    quota = Quota(programme_id=programme.id, organization_id=application.organization_id,
                  application_id=application.id, amount_fen=amount_fen, granted_at=now,
                  grant_year=year, expires_at=now + timedelta(days=programme.validity_days),
                  returned_fen=0, granted_by_id=officer.id)
    db.session.add(quota)
    db.session.flush()
    for layer, part in zip(programme.layers, parts, strict=True):
        if part == 0:
            continue
        voucher = ledger.open_account(
            db.session, accounts.voucher(quota.organization_id, quota.id, layer.id),
            Asset.VOUCHER, "voucher")
        ledger.transfer(db.session, f"quota:{quota.id}:grant:layer:{layer.id}",
                        [(budgets[layer.id], -part), (voucher, part)],
                        memo=f"grant of quota #{quota.id}", reference=("quota", quota.id))
    before = application.snapshot()
    application.status = ApplicationStatus.GRANTED
    application.granted_fen = amount_fen
    application.decision_note = note or None
    application.decided_by_id, application.decided_at = officer.id, now
    record_audit(officer, "quota_application.grant", application, before=before,
                 after=application.snapshot(), note=note)
    _notify_applicant(application, lambda: _("Innovation vouchers granted"), lambda: _(
        "%(org)s has been granted %(amount)s of innovation vouchers in %(programme)s, valid until "
        "%(expiry)s.", org=application.organization.name_zh, amount=_yuan(amount_fen),
        programme=programme.name_zh, expiry=quota.expires_at.astimezone(SHANGHAI).date().isoformat()))
    return quota


def refuse_quota(application: QuotaApplication, officer, reason: str, now: datetime) -> None:
    """Refuse an application, with the reason the enterprise will read."""
    _require_officer(officer)
    application = lock(db.session, QuotaApplication, application.id)
    if not application.is_open:
        raise InvalidStateError(_("This application has already been decided."))
    if not (reason or "").strip():
        raise DomainError(_("Say why the application is refused."), "reason")
    before = application.snapshot()
    application.status = ApplicationStatus.REFUSED
    application.decision_note = reason.strip()
    application.decided_by_id, application.decided_at = officer.id, now
    record_audit(officer, "quota_application.refuse", application, before=before,
                 after=application.snapshot(), note=reason)
    _notify_applicant(application, lambda: _("Voucher application refused"), lambda: _(
        "The application of %(org)s for innovation vouchers was refused: %(reason)s",
        org=application.organization.name_zh, reason=reason.strip()))


def withdraw_application(application: QuotaApplication, user, now: datetime) -> None:
    """The enterprise takes back an application that is still open."""
    if not application.organization.is_member(user):
        raise NotAllowedError(_("Only members of the applicant can withdraw it."))
    application = lock(db.session, QuotaApplication, application.id)
    if not application.is_open:
        raise InvalidStateError(_("This application has already been decided."))
    before = application.snapshot()
    application.status = ApplicationStatus.WITHDRAWN
    application.decided_at = now
    record_audit(user, "quota_application.withdraw", application, before=before,
                 after=application.snapshot())


def expire_quotas(now: datetime, actor=None) -> dict[str, int]:
    """Return what is left of every quota past its expiry to the layers' budgets (idempotent:
    an expired quota is done once; holds released later return through ``return_released``)."""
    begin_write(db.session)
    due = list(db.session.scalars(
        sa.select(Quota.id).where(Quota.expires_at <= now, Quota.expired_at.is_(None))
        .order_by(Quota.id)))
    returned_total = 0
    for quota_id in due:
        quota = lock(db.session, Quota, quota_id)
        if quota.expired_at is not None:
            continue
        returned = 0
        layers = quota.programme.layers
        locked = lock_accounts(db.session, [
            *(accounts.voucher(quota.organization_id, quota.id, layer.id) for layer in layers),
            *(accounts.budget(layer.id, quota.programme_id) for layer in layers)])
        for layer in layers:
            account = locked.get(accounts.voucher(quota.organization_id, quota.id, layer.id))
            if account is None:
                continue
            left = account.available
            if left > 0:
                ledger.transfer(db.session, f"quota:{quota.id}:expire:layer:{layer.id}",
                                [(account, -left), (accounts.budget(layer.id, quota.programme_id), left)],
                                memo=f"expiry of quota #{quota.id}", reference=("quota", quota.id))
                returned += left
        quota.expired_at = now
        quota.returned_fen += returned
        returned_total += returned
        record_audit(actor, "quota.expire", quota, after={"returned_fen": returned})
    return {"quotas": len(due), "returned_fen": returned_total}


def return_released(quota: Quota, layer_id: int, amount: int, key: str) -> None:
    """A hold on an already expired quota was released: send the amount back to the budget."""
    if amount <= 0 or quota.expired_at is None:
        return
    code = accounts.voucher(quota.organization_id, quota.id, layer_id)
    result = ledger.transfer(db.session, key, [(code, -amount),
                                               (accounts.budget(layer_id, quota.programme_id), amount)],
                             memo=f"expired quota #{quota.id}: released hold returned",
                             reference=("quota", quota.id))
    if not result.replayed:
        quota.returned_fen += amount


# ---------------------------------------------------------------------------------------------
# providers and related parties
def apply_for_admission(programme: VoucherProgramme, organization: Organization, user,
                        note: str | None = None) -> ProviderAdmission:
    """A provider asks to be admitted, so that its instruments can take vouchers."""
    if not organization.is_member(user):
        raise NotAllowedError(_("Only members of %(org)s can apply for it.", org=organization.name_zh))
    if not organization.is_verified:
        raise VoucherError(_("%(org)s must be verified by the programme office first.",
                             org=organization.name_zh))
    if programme.status == ProgrammeStatus.CLOSED:
        raise VoucherError(_("This programme is closed."))
    begin_write(db.session)
    existing = _admission(programme, organization)
    if existing is not None:
        if existing.status in (AdmissionStatus.APPLIED, AdmissionStatus.ADMITTED):
            return existing
        before = existing.snapshot()
        existing.status, existing.note, existing.applied_by_id = AdmissionStatus.APPLIED, note, user.id
        record_audit(user, "admission.reapply", existing, before=before, after=existing.snapshot())
        return existing
    admission = ProviderAdmission(programme_id=programme.id, organization_id=organization.id,
                                  status=AdmissionStatus.APPLIED, note=note, applied_by_id=user.id)
    db.session.add(admission)
    db.session.flush()
    record_audit(user, "admission.apply", admission, after=admission.snapshot())
    return admission


def decide_admission(admission: ProviderAdmission, officer, status: AdmissionStatus | str,
                     note: str | None, now: datetime) -> None:
    """Admit, refuse or suspend a provider (a reason is needed for the last two)."""
    _require_officer(officer)
    status = AdmissionStatus(status)
    if status == AdmissionStatus.APPLIED:
        raise ValueError("decide to admit, refuse or suspend")
    if status != AdmissionStatus.ADMITTED and not (note or "").strip():
        raise DomainError(_("Give the provider a reason."), "note")
    admission = lock(db.session, ProviderAdmission, admission.id)
    before = admission.snapshot()
    admission.status, admission.note = status, (note or "").strip() or None
    admission.decided_by_id, admission.decided_at = officer.id, now
    record_audit(officer, f"admission.{status.value}", admission, before=before,
                 after=admission.snapshot(), note=note)


def admit_provider(programme: VoucherProgramme, organization: Organization, officer,
                   now: datetime, note: str | None = None) -> ProviderAdmission:
    """Admit a provider directly (an officer acting on a paper application)."""
    _require_officer(officer)
    begin_write(db.session)
    admission = _admission(programme, organization)
    if admission is None:
        admission = ProviderAdmission(programme_id=programme.id, organization_id=organization.id,
                                      status=AdmissionStatus.APPLIED, applied_by_id=officer.id)
        db.session.add(admission)
        db.session.flush()
    decide_admission(admission, officer, AdmissionStatus.ADMITTED, note, now)
    return admission


def is_admitted(programme: VoucherProgramme, organization: Organization) -> bool:
    admission = _admission(programme, organization)
    return admission is not None and admission.is_admitted


def declare_relation(organization: Organization, related: Organization, user,
                     description: str) -> OrganizationRelation:
    """Record that two organisations are related parties (declared by a member of the first)."""
    if not organization.is_member(user) and not user.is_officer:
        raise NotAllowedError(_("Only members of %(org)s can declare its relations.",
                                org=organization.name_zh))
    if organization.id == related.id:
        raise DomainError(_("An organisation cannot be related to itself."), "related")
    if not (description or "").strip():
        raise DomainError(_("Describe the relationship."), "description")
    existing = db.session.scalars(sa.select(OrganizationRelation).where(
        OrganizationRelation.organization_id == organization.id,
        OrganizationRelation.related_organization_id == related.id)).one_or_none()
    if existing is not None:
        return existing
    relation = OrganizationRelation(organization_id=organization.id,
                                    related_organization_id=related.id,
                                    description=description.strip(), declared_by_id=user.id)
    db.session.add(relation)
    db.session.flush()
    record_audit(user, "organization.declare_relation", organization,
                 after={"related_organization_id": related.id, "description": relation.description})
    return relation


def list_relations(organization: Organization) -> list[OrganizationRelation]:
    """Relations declared by the organisation or naming it (either side counts for the rule)."""
    return list(db.session.scalars(sa.select(OrganizationRelation).where(sa.or_(
        OrganizationRelation.organization_id == organization.id,
        OrganizationRelation.related_organization_id == organization.id))
        .order_by(OrganizationRelation.created_at, OrganizationRelation.id)))


def list_admissions(organization: Organization) -> list[ProviderAdmission]:
    """A provider's admissions to programmes, oldest first."""
    return list(db.session.scalars(sa.select(ProviderAdmission).where(
        ProviderAdmission.organization_id == organization.id).order_by(ProviderAdmission.id)))


def are_related(a: Organization, b: Organization) -> bool:
    """Same organisation, same actual controller, a person who belongs to both, or a relation
    declared by either side."""
    if a.id == b.id:
        return True
    controller = normalize_controller(a.actual_controller)
    if controller and controller == normalize_controller(b.actual_controller):
        return True
    if {m.user_id for m in a.memberships} & {m.user_id for m in b.memberships}:
        return True
    return db.session.scalar(sa.select(sa.func.count()).select_from(OrganizationRelation).where(
        sa.or_(sa.and_(OrganizationRelation.organization_id == a.id,
                       OrganizationRelation.related_organization_id == b.id),
               sa.and_(OrganizationRelation.organization_id == b.id,
                       OrganizationRelation.related_organization_id == a.id)))) > 0


# ---------------------------------------------------------------------------------------------
# paying a bill
@dataclass
class Draw:
    """Part of a bill one quota pays through one layer."""

    quota: Quota
    layer: FundingLayer
    amount: int


@dataclass
class VoucherQuote:
    """What vouchers of one programme pay of a bill, or why they cannot."""

    programme: VoucherProgramme
    bill_fen: int
    refusal: str | None = None
    draws: list[Draw] = field(default_factory=list)
    entitled_by_layer: dict[int, int] = field(default_factory=dict)
    available_fen: int = 0  # unexpired voucher balance before this bill
    earliest_expiry: datetime | None = None

    @property
    def voucher_fen(self) -> int:
        return sum(d.amount for d in self.draws)

    @property
    def self_paid_fen(self) -> int:
        return self.bill_fen - self.voucher_fen

    @property
    def remaining_after_fen(self) -> int:
        return self.available_fen - self.voucher_fen

    def by_layer(self) -> list[tuple[FundingLayer, int]]:
        return [(layer, sum(d.amount for d in self.draws if d.layer.id == layer.id))
                for layer in self.programme.layers]


def eligibility_problem(programme: VoucherProgramme, enterprise: Organization, instrument,
                        now: datetime) -> str | None:
    """Why this programme's vouchers cannot pay this instrument for this enterprise (or None)."""
    provider = instrument.organization
    if not instrument.accepts_vouchers:
        return _("This instrument does not accept innovation vouchers.")
    if not programme.is_open and programme.status != ProgrammeStatus.CLOSED:
        return _("The programme %(name)s is not open.", name=programme.name_zh)
    if enterprise.kind != OrganizationKind.ENTERPRISE or not enterprise.is_verified:
        return _("Only verified enterprises can pay with innovation vouchers.")
    if enterprise.id == provider.id:
        return _("Vouchers cannot pay for your own organisation's instruments.")
    if not programme.covers_category(instrument.category):
        return _("%(programme)s does not pay for %(category)s.", programme=programme.name_zh,
                 category=instrument.instrument_category.label)
    if not is_admitted(programme, provider):
        return _("%(provider)s is not an admitted provider of %(programme)s.",
                 provider=provider.name_zh, programme=programme.name_zh)
    if frozen := integrity_freeze.frozen_problem(enterprise, provider):
        return frozen
    if are_related(enterprise, provider):
        integrity_attempts.note_related_party(enterprise, provider, instrument, programme, now)
        return _("%(provider)s is a related party of %(org)s (same actual controller, a person "
                 "in both organisations, or a declared relationship), so vouchers cannot pay it.",
                 provider=provider.name_zh, org=enterprise.name_zh)
    return None


def quote_vouchers(programme: VoucherProgramme, enterprise: Organization, instrument,
                   bill_fen: int, now: datetime, *, for_update: bool = False) -> VoucherQuote:
    """Split a bill between vouchers (per layer, from the quotas that expire first) and the
    enterprise. ``for_update`` locks the voucher accounts so the quote holds until commit."""
    quote = VoucherQuote(programme=programme, bill_fen=bill_fen)
    quote.refusal = eligibility_problem(programme, enterprise, instrument, now)
    if quote.refusal:
        return quote
    quotas = list(db.session.scalars(
        sa.select(Quota).where(Quota.programme_id == programme.id,
                               Quota.organization_id == enterprise.id, Quota.expires_at > now,
                               Quota.expired_at.is_(None))
        .order_by(Quota.expires_at, Quota.id)))
    codes = {(q.id, layer.id): accounts.voucher(enterprise.id, q.id, layer.id)
             for q in quotas for layer in programme.layers}
    if for_update:  # every account the holds will touch, locked together in one order
        receivables = [ledger.open_account(
            db.session, accounts.receivable(instrument.organization_id, programme.id, layer.id),
            Asset.VOUCHER, "receivable").code for layer in programme.layers]
        locked = lock_accounts(db.session, [*codes.values(), *receivables])
        # only the enterprise's voucher accounts are its balance (not the provider's receivables)
        balances = {code: locked[code].available for code in codes.values() if code in locked}
    else:
        balances = {a.code: a.available for a in db.session.scalars(
            sa.select(LedgerAccount).where(LedgerAccount.code.in_(list(codes.values()))))}
    quote.available_fen = sum(balances.values())
    quote.earliest_expiry = next((q.expires_at for q in quotas
                                  if any(balances.get(codes[(q.id, layer.id)], 0) > 0
                                         for layer in programme.layers)), None)
    if quote.available_fen <= 0:
        quote.refusal = (_("%(org)s has no voucher quota left in %(programme)s.",
                           org=enterprise.name_zh, programme=programme.name_zh) if quotas else
                         _("%(org)s has no granted, unexpired voucher quota in %(programme)s.",
                           org=enterprise.name_zh, programme=programme.name_zh))
        return quote
    entitled = voucher_entitlement(programme, bill_fen)
    for layer, wanted in zip(programme.layers, entitled, strict=True):
        quote.entitled_by_layer[layer.id] = wanted
        for q in quotas:
            if wanted <= 0:
                break
            take = min(wanted, balances.get(codes[(q.id, layer.id)], 0))
            if take > 0:
                quote.draws.append(Draw(quota=q, layer=layer, amount=take))
                wanted -= take
    return quote


def list_usable_programmes(enterprise: Organization, now: datetime) -> list[VoucherProgramme]:
    """Programmes in which the enterprise holds unexpired quota."""
    # IN (subquery), not JOIN + DISTINCT: PostgreSQL cannot compare the programme's JSON column
    held = sa.select(Quota.programme_id).where(Quota.organization_id == enterprise.id,
                                               Quota.expires_at > now, Quota.expired_at.is_(None))
    return list(db.session.scalars(sa.select(VoucherProgramme)
                                   .where(VoucherProgramme.id.in_(held))
                                   .order_by(VoucherProgramme.id)))


def list_usable_programmes_of(organization_ids: list[int],
                              now: datetime) -> dict[int, list[VoucherProgramme]]:
    """``list_usable_programmes`` for several organisations in two statements (a booking form of
    a member of many organisations made two per organisation)."""
    if not organization_ids:
        return {}
    pairs = db.session.execute(
        sa.select(Quota.organization_id, Quota.programme_id).distinct()
        .where(Quota.organization_id.in_(organization_ids), Quota.expires_at > now,
               Quota.expired_at.is_(None))).all()
    programmes = {p.id: p for p in db.session.scalars(
        sa.select(VoucherProgramme).where(VoucherProgramme.id.in_({pid for _o, pid in pairs})))}
    found: dict[int, list[VoucherProgramme]] = {oid: [] for oid in organization_ids}
    for organization_id, programme_id in sorted(pairs, key=lambda pair: pair[1]):
        found[organization_id].append(programmes[programme_id])
    return found


def voucher_balance(enterprise: Organization, programme: VoucherProgramme, now: datetime) -> dict:
    """For the enterprise's pages: available, held and spent, and the quotas with expiry."""
    rows = []
    for quota in db.session.scalars(sa.select(Quota).where(
            Quota.organization_id == enterprise.id, Quota.programme_id == programme.id)
            .order_by(Quota.expires_at)):
        codes = [accounts.voucher(enterprise.id, quota.id, layer.id) for layer in programme.layers]
        found = {a.code: a for a in db.session.scalars(
            sa.select(LedgerAccount).where(LedgerAccount.code.in_(codes)))}
        available = sum(a.available for a in found.values())
        held = sum(a.pending_debits for a in found.values())
        rows.append({"quota": quota, "available_fen": 0 if quota.expired_at else available,
                     "held_fen": held, "expired": quota.expired_at is not None or quota.is_expired(now),
                     "spent_fen": quota.amount_fen - quota.returned_fen - available - held
                     if not quota.expired_at else quota.amount_fen - quota.returned_fen - held})
    return {"quotas": rows,
            "available_fen": sum(r["available_fen"] for r in rows if not r["expired"]),
            "held_fen": sum(r["held_fen"] for r in rows)}


# ---------------------------------------------------------------------------------------------
def _require_officer(user) -> None:
    if not (user and user.is_officer):
        raise NotAllowedError(_("Only programme officers can do this."))


def _check_layers(layers: Sequence[LayerSpec]) -> None:
    if not layers:
        raise DomainError(_("A programme needs at least one funding layer."), "layers")
    for spec in layers:
        if not (spec.name_zh or "").strip():
            raise DomainError(_("Every funding layer needs a name."), "layers")
        if not 0 < spec.share_bp <= BP:
            raise DomainError(_("A layer's share must be above zero and at most the whole bill."), "layers")
        if spec.budget_fen < 0:
            raise DomainError(_("A budget cannot be negative."), "layers")
    if sum(spec.share_bp for spec in layers) > BP:
        raise DomainError(_("The layers' shares add up to more than the whole bill."), "layers")


def _open_application(programme, organization) -> QuotaApplication | None:
    return db.session.scalars(sa.select(QuotaApplication).where(
        QuotaApplication.programme_id == programme.id,
        QuotaApplication.organization_id == organization.id,
        QuotaApplication.status == ApplicationStatus.SUBMITTED)).first()


def _admission(programme, organization) -> ProviderAdmission | None:
    return db.session.scalars(sa.select(ProviderAdmission).where(
        ProviderAdmission.programme_id == programme.id,
        ProviderAdmission.organization_id == organization.id)).one_or_none()


def _lock_budget_accounts(programme: VoucherProgramme) -> dict[int, LedgerAccount]:
    codes = {layer.id: accounts.budget(layer.id, programme.id) for layer in programme.layers}
    found = lock_accounts(db.session, list(codes.values()))
    return {layer_id: found[code] for layer_id, code in codes.items()}


def _notify_applicant(application: QuotaApplication, subject_fn, body_fn) -> None:
    user = application.applicant
    if user is not None and user.is_active:
        with force_locale(user.locale or "zh_CN"):
            send_mail(user.email, subject_fn(), body_fn())


def _yuan(fen: int) -> str:
    from marketplace.money import format_fen

    return format_fen(fen)
