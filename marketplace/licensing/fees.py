"""Licence fee operations: the express licence, and paying an agreement's upfront fee, part by
innovation voucher where the licensee's programme admits technology transfer services.

Account flows:
* voucher part (``VOUCHER``): held at the start ``enterprise:<id>:quota:<q>:layer:<l>:voucher →
  provider:<licensor>:programme:<p>:layer:<l>:receivable`` (key ``licence_fee:<fee>:hold:…``),
  posted when the fee is paid, voided (and returned to the budget if the quota expired meanwhile)
  when the fee is cancelled — the same accounts, rules and settlement as instrument time: the
  licensor is the provider and must be admitted to the programme; never a related party;
* self-paid part (``CNY``): one payment of purpose ``licence_fee`` into ``org:<licensor>:payable``.

Invariants:
* a fee's status changes in the transaction that moves its money: paid ⇔ holds posted, payment
  received and the agreement in force (``agreement.mark_paid``); cancelled ⇔ holds voided and the
  payment cancelled; so ``flask ledger verify`` (``fee_checks``) finds them agreeing;
* at most one fee per agreement is pending or paid (partial unique index); the same request key
  again returns the first fee — and for an express licence the one agreement it concluded;
* a fee the vouchers pay entirely is paid at once (no payment).
Lock order: technology (express) → agreement → fee → quotas → ledger accounts; the payment
callbacks come holding the payment: payment → agreement → fee → quotas → accounts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from listings.models import LicensingMode, Technology
from marketplace.audit import record_audit
from marketplace.errors import ConflictError, DomainError, InvalidStateError, NotAllowedError
from marketplace.extensions import utcnow
from marketplace.ledger import operations as ledger
from marketplace.mail import send_mail
from marketplace.licensing.fee_models import (
    MAX_EXPRESS_TERM_YEARS,
    MAX_FIELD_OF_USE,
    MAX_TERRITORY,
    ExpressLicence,
    FeeStatus,
    LicenceFee,
    LicenceFeeHold,
)
from marketplace.licensing.models import LicenceAgreement, LicenceStatus
from marketplace.organizations.models import Organization
from marketplace.payments import accounts as payment_accounts
from marketplace.payments import operations as payments
from marketplace.payments.models import Payment, PaymentMethod, PaymentStatus
from marketplace.transactions import begin_write, lock, lock_accounts
from marketplace.urls import external_url
from marketplace.vouchers import operations as vouchers
from marketplace.vouchers.models import (
    TECHNOLOGY_TRANSFER,
    TECHNOLOGY_TRANSFER_LABEL,
    Quota,
    VoucherProgramme,
    accounts,
)

log = logging.getLogger(__name__)

PURPOSE = "licence_fee"
MAX_PRICE_FEN = 100_000_000_000  # ¥1 billion, as an agreement's upfront fee


class ExpressNotOfferedError(ConflictError):
    code = "express_not_offered"


# ---------------------------------------------------------------------------------------------
# the voucher part: the programme's rules, with the licensor as the provider
@dataclass(frozen=True)
class _Label:
    label: object


@dataclass(frozen=True)
class LicenceService:
    """What ``vouchers.quote_vouchers`` needs to know of a bill's provider and service, for a
    licence fee: the licensor provides technology transfer services (a category a programme
    must list to admit it)."""

    organization: Organization
    accepts_vouchers: bool = True
    category: str = TECHNOLOGY_TRANSFER
    instrument_category: _Label = _Label(TECHNOLOGY_TRANSFER_LABEL)

    @property
    def organization_id(self) -> int:
        return self.organization.id


@dataclass
class FeeQuote:
    amount_fen: int
    voucher: vouchers.VoucherQuote | None = None

    @property
    def refusal(self) -> str | None:
        return self.voucher.refusal if self.voucher is not None else None

    @property
    def voucher_fen(self) -> int:
        return self.voucher.voucher_fen if self.voucher is not None and not self.refusal else 0

    @property
    def self_paid_fen(self) -> int:
        return self.amount_fen - self.voucher_fen


def quote_fee(licensee: Organization, licensor: Organization, amount_fen: int,
              programme: VoucherProgramme | None, now: datetime, *,
              for_update: bool = False) -> FeeQuote:
    """Split a licence fee between the programme's vouchers (if any) and the licensee."""
    quote = FeeQuote(amount_fen=amount_fen)
    if programme is not None:
        quote.voucher = vouchers.quote_vouchers(programme, licensee, LicenceService(licensor),
                                                amount_fen, now, for_update=for_update)
    return quote


def usable_programmes(organization: Organization, now: datetime) -> list[VoucherProgramme]:
    """Programmes in which the organisation holds quota and that admit technology transfer."""
    return [p for p in vouchers.list_usable_programmes(organization, now)
            if p.admits_technology_transfer]


# ---------------------------------------------------------------------------------------------
# express licence terms (the owner)
def get_express(session: Session, technology) -> ExpressLicence | None:
    return session.scalars(sa.select(ExpressLicence).where(
        ExpressLicence.technology_id == technology.id)).first()


def can_manage_express(technology, user) -> bool:
    return bool(user and user.is_authenticated and technology.organization is not None
                and technology.organization.is_member(user))


def set_express_licence(session: Session, technology, user, *, price_fen: int, term_years: int,
                        territory: str, field_of_use: str, is_active: bool,
                        now: datetime | None = None) -> ExpressLicence:
    """The owner sets (or changes, or withdraws) the technology's express licence terms.
    Agreements already concluded keep the terms they were concluded on."""
    now = now or utcnow()
    if not can_manage_express(technology, user):
        raise NotAllowedError(_("Only the technology's owner can set its express licence."))
    if isinstance(price_fen, bool) or not isinstance(price_fen, int) or price_fen <= 0:
        raise DomainError(_("Enter a price above ¥0."), "price")
    if price_fen > MAX_PRICE_FEN:
        raise DomainError(_("Enter a price of at most ¥1,000,000,000."), "price")
    if (isinstance(term_years, bool) or not isinstance(term_years, int)
            or not 1 <= term_years <= MAX_EXPRESS_TERM_YEARS):
        raise DomainError(_("The term must be between 1 and %(max)s years.",
                            max=MAX_EXPRESS_TERM_YEARS), "term_years")
    territory, field_of_use = (territory or "").strip(), (field_of_use or "").strip()
    if not territory:
        raise DomainError(_("Say where the licence applies."), "territory")
    if len(territory) > MAX_TERRITORY:
        raise DomainError(_("The territory is too long."), "territory")
    if not field_of_use:
        raise DomainError(_("Say for which field of use the licence is granted."), "field_of_use")
    if len(field_of_use) > MAX_FIELD_OF_USE:
        raise DomainError(_("The field of use is too long."), "field_of_use")
    if is_active and LicensingMode.NON_EXCLUSIVE not in technology.modes:
        raise DomainError(_("The listing does not offer non-exclusive licences; add that "
                            "licensing mode to the listing first."), "is_active")
    technology = lock(session, Technology, technology.id)
    express = get_express(session, technology)
    before = express.snapshot() if express is not None else None
    if express is None:
        express = ExpressLicence(technology_id=technology.id, created_at=now)
        session.add(express)
    express.price_fen, express.term_years = price_fen, term_years
    express.territory, express.field_of_use = territory, field_of_use
    express.is_active, express.updated_by_id, express.updated_at = bool(is_active), user.id, now
    session.flush()
    record_audit(user, "express_licence.set", express, before=before, after=express.snapshot())
    return express


# ---------------------------------------------------------------------------------------------
# taking an express licence (the licensee)
def licensee_choices(user, technology) -> list[Organization]:
    """The user's verified organisations that may take a licence of this technology."""
    if not (user and user.is_authenticated):
        return []
    return sorted((m.organization for m in user.memberships
                   if m.organization.is_verified
                   and m.organization.id != technology.organization_id),
                  key=lambda o: o.name_zh)


def is_offered(session: Session, technology) -> ExpressLicence | None:
    """The express licence, if it may be taken now (active, the listing published, not closed)."""
    from marketplace.licensing.operations import technology_is_closed

    express = get_express(session, technology)
    if express is None or not express.is_active or not technology.is_published:
        return None
    if technology_is_closed(session, technology):
        return None
    return express


def takeable_for(session: Session, technology, user) -> list[Organization]:
    """The user's organisations that may take the express licence and do not hold it yet."""
    return [org for org in licensee_choices(user, technology)
            if live_express_agreement(session, technology, org) is None]


def can_take_express(session: Session, technology, user) -> bool:
    return is_offered(session, technology) is not None and bool(
        takeable_for(session, technology, user))


def live_express_agreement(session: Session, technology, organization) -> LicenceAgreement | None:
    """The organisation's express licence of this technology, in force or awaiting payment."""
    return session.scalars(sa.select(LicenceAgreement).where(
        LicenceAgreement.technology_id == technology.id,
        LicenceAgreement.licensee_org_id == organization.id,
        LicenceAgreement.express.is_(True)).order_by(LicenceAgreement.id.desc())).first()


def take_express_licence(session: Session, technology, user, *, organization: Organization,
                         programme: VoucherProgramme | None, method, request_key: str,
                         now: datetime | None = None) -> LicenceFee:
    """Conclude the express licence for ``organization`` and start paying its fee, in one
    step. The same ``request_key`` again returns the first fee (and its one agreement)."""
    from marketplace.licensing.operations import conclude_agreement

    now = now or utcnow()
    _check_key(request_key)
    # the technology first (conclude_agreement locks it too): a twin request waits here, then
    # finds the fee the first one committed
    technology = lock(session, Technology, technology.id)
    if (existing := _by_request_key(session, request_key)) is not None:
        return _replay(existing, user)
    if not technology.is_published:
        raise ExpressNotOfferedError(_("This technology is not published."))
    express = is_offered(session, technology)
    if express is None:
        raise ExpressNotOfferedError(_("This technology is not offered under an express licence "
                                       "(any more)."))
    if not organization.is_member(user):
        raise NotAllowedError(_("You can only take a licence for an organisation you belong to."))
    if not organization.is_verified:
        raise DomainError(_("%(org)s must be verified before it can take a licence.",
                            org=organization.name_zh), "organization_id")
    if organization.id == technology.organization_id:
        raise DomainError(_("An organisation cannot license its own technology."),
                          "organization_id")
    if (live := live_express_agreement(session, technology, organization)) is not None:
        if live.status == LicenceStatus.AWAITING_PAYMENT:
            raise ConflictError(_("%(org)s has already taken this express licence; its fee is "
                                  "awaiting payment (agreement %(number)s).",
                                  org=organization.name_zh, number=live.number))
        raise ConflictError(_("%(org)s already holds this express licence (agreement "
                              "%(number)s).", org=organization.name_zh, number=live.number))
    agreement = conclude_agreement(session, technology=technology, licensee_org=organization,
                                   terms=express.terms(), express=True, now=now)
    record_audit(user, "express_licence.take", agreement,
                 after={"express_licence_id": express.id, "price_fen": express.price_fen})
    _notify(agreement, technology.organization, lambda: _(
        "Express licence %(number)s taken", number=agreement.number), lambda: _(
        "%(org)s has taken the express licence of “%(title)s” (agreement %(number)s). It comes "
        "into force once the fee is paid.", org=organization.name_zh, title=technology.title_zh,
        number=agreement.number))
    return start_fee_payment(session, agreement, user, programme=programme, method=method,
                             request_key=request_key, now=now)


# ---------------------------------------------------------------------------------------------
# paying an agreement's upfront fee
def can_pay(agreement: LicenceAgreement, user) -> bool:
    """The licensee's members may pay an upfront fee that is awaiting payment."""
    return bool(user and user.is_authenticated
                and agreement.status == LicenceStatus.AWAITING_PAYMENT
                and agreement.upfront_fee_fen > 0 and agreement.licensee_org is not None
                and agreement.licensee_org.is_member(user))


def open_fee(session: Session, agreement: LicenceAgreement) -> LicenceFee | None:
    """The agreement's fee under way (pending), if any."""
    return session.scalars(sa.select(LicenceFee).where(
        LicenceFee.agreement_id == agreement.id,
        LicenceFee.status == FeeStatus.PENDING)).first()


def list_fees(session: Session, agreement: LicenceAgreement) -> list[LicenceFee]:
    return list(session.scalars(sa.select(LicenceFee).where(
        LicenceFee.agreement_id == agreement.id).order_by(LicenceFee.id)))


def start_fee_payment(session: Session, agreement: LicenceAgreement, user, *,
                      programme: VoucherProgramme | None, method, request_key: str,
                      now: datetime | None = None) -> LicenceFee:
    """Pay the agreement's upfront fee: hold the voucher share (if a programme is chosen and
    admits technology transfer services) and start a payment of the rest (or, if vouchers pay
    it all, settle it at once). The same ``request_key`` again returns the first fee."""
    now = now or utcnow()
    _check_key(request_key)
    begin_write(session)
    if (existing := _by_request_key(session, request_key)) is not None:
        return _replay(existing, user)
    agreement = lock(session, LicenceAgreement, agreement.id)
    licensee, licensor = agreement.licensee_org, agreement.licensor_org
    if not licensee.is_member(user):
        raise NotAllowedError(_("Only the licensee can pay the licence fee."))
    if agreement.status != LicenceStatus.AWAITING_PAYMENT or agreement.upfront_fee_fen <= 0:
        raise InvalidStateError(_("This agreement's fee has already been paid."))
    if open_fee(session, agreement) is not None:
        raise ConflictError(_("A payment of this licence fee is already under way. Cancel it "
                              "first to pay another way."))
    quote = quote_fee(licensee, licensor, agreement.upfront_fee_fen, programme, now,
                      for_update=True)
    if quote.refusal:
        raise vouchers.VoucherError(quote.refusal, "programme_id")
    method = _method(method) if quote.self_paid_fen > 0 else None
    fee = LicenceFee(agreement_id=agreement.id, organization_id=licensee.id,
                     amount_fen=quote.amount_fen,
                     programme_id=programme.id if quote.voucher_fen else None,
                     voucher_fen=quote.voucher_fen, self_paid_fen=quote.self_paid_fen,
                     status=FeeStatus.PENDING, request_key=request_key, created_by_id=user.id,
                     created_at=now)
    try:
        with session.begin_nested():
            session.add(fee)
            session.flush()
    except sa.exc.IntegrityError:
        if (existing := _by_request_key(session, request_key)) is not None:
            return _replay(existing, user)
        raise ConflictError(_("A payment of this licence fee is already under way.")) from None
    for draw in (quote.voucher.draws if quote.voucher_fen else ()):
        result = ledger.hold(
            session, f"licence_fee:{fee.id}:hold:quota:{draw.quota.id}:layer:{draw.layer.id}",
            accounts.voucher(licensee.id, draw.quota.id, draw.layer.id),
            accounts.receivable(licensor.id, programme.id, draw.layer.id), draw.amount,
            memo=f"licence fee #{fee.id} ({agreement.number})", reference=("licence_fee", fee.id))
        session.add(LicenceFeeHold(fee=fee, quota_id=draw.quota.id, layer_id=draw.layer.id,
                                   transfer_id=result.transfer.id, amount_fen=draw.amount))
    session.flush()
    if quote.self_paid_fen > 0:
        payment = payments.start_payment(
            session, key=f"licence_fee:{fee.id}", purpose=PURPOSE, reference_id=fee.id,
            amount_fen=quote.self_paid_fen,
            credit_account=payment_accounts.payable(licensor.id, session),
            description=_("Licence fee, agreement %(number)s", number=agreement.number)[:200],
            payer=user, method=method, payer_organization=licensee, payee_organization=licensor,
            now=now)
        fee.payment_id = payment.id
        session.flush()
    record_audit(user, "licence_fee.start", fee, after=fee.snapshot())
    if quote.self_paid_fen == 0:
        _settle(session, agreement, fee, now=now)
    log.info("licence fee #%s of agreement %s: %s fen voucher, %s fen self-paid", fee.id,
             agreement.number, fee.voucher_fen, fee.self_paid_fen)
    return fee


def _settle(session: Session, agreement: LicenceAgreement, fee: LicenceFee, *, now) -> None:
    """The fee is paid: the voucher holds are posted, the agreement comes into force."""
    _lock_hold_accounts(session, agreement, fee)
    for hold in fee.holds:  # posted in full: nothing goes back to a budget
        ledger.post(session, f"licence_fee:{fee.id}:hold:{hold.id}:post", hold.transfer_id,
                    memo=f"licence fee #{fee.id}: paid")
    fee.mark_paid(now)
    agreement.mark_paid(now)
    session.flush()
    record_audit(None, "licence_fee.paid", fee, after=fee.snapshot())
    for organization in (agreement.licensor_org, agreement.licensee_org):
        _notify(agreement, organization, lambda: _(
            "Licence %(number)s is in force", number=agreement.number), lambda: _(
            "The upfront fee of licence agreement %(number)s is paid; the licence is in force.",
            number=agreement.number))


def _release(session: Session, agreement: LicenceAgreement, fee: LicenceFee, *, now) -> None:
    """The fee will not be paid this way: its holds are released, it is cancelled."""
    quotas = _lock_hold_accounts(session, agreement, fee)
    for hold in fee.holds:
        ledger.void(session, f"licence_fee:{fee.id}:hold:{hold.id}:void", hold.transfer_id,
                    memo=f"licence fee #{fee.id}: cancelled")
        vouchers.return_released(quotas[hold.quota_id], hold.layer_id, hold.amount_fen,
                                 key=f"licence_fee:{fee.id}:hold:{hold.id}:return")
    fee.cancel(now)
    session.flush()
    record_audit(None, "licence_fee.cancel", fee, after=fee.snapshot())


def _lock_hold_accounts(session: Session, agreement, fee: LicenceFee) -> dict[int, Quota]:
    """Quotas (sorted), then every account the holds' resolution may touch, all at once."""
    quotas = {}
    for quota_id in sorted({hold.quota_id for hold in fee.holds}):
        quotas[quota_id] = lock(session, Quota, quota_id)
    codes = []
    for hold in fee.holds:
        quota = quotas[hold.quota_id]
        codes += [accounts.voucher(quota.organization_id, quota.id, hold.layer_id),
                  accounts.receivable(agreement.licensor_org_id, quota.programme_id,
                                      hold.layer_id),
                  accounts.budget(hold.layer_id, quota.programme_id)]
    if codes:
        lock_accounts(session, codes)
    return quotas


# ---------------------------------------------------------------------------------------------
# the payment's outcomes (called by the payments module in the payment's own transaction)
def _fee_of_payment(session: Session, payment: Payment):
    fee_id = session.scalar(sa.select(LicenceFee.id).where(LicenceFee.payment_id == payment.id))
    if fee_id is None:
        log.error("payment %s (purpose licence_fee, reference %s) has no fee", payment.id,
                  payment.reference_id)
        return None, None
    agreement_id = session.scalar(sa.select(LicenceFee.agreement_id).where(LicenceFee.id == fee_id))
    agreement = lock(session, LicenceAgreement, agreement_id)
    return agreement, lock(session, LicenceFee, fee_id)


def on_paid(session: Session, payment: Payment) -> None:
    """The self-paid part arrived: the holds are posted and the agreement is in force."""
    agreement, fee = _fee_of_payment(session, payment)
    if fee is None or fee.status == FeeStatus.PAID:
        return
    if fee.status != FeeStatus.PENDING:  # cannot happen: a cancelled fee's payment is cancelled
        log.error("licence fee #%s is %s but its payment #%s arrived", fee.id, fee.status,
                  payment.id)
        return
    _settle(session, agreement, fee, now=payment.paid_at)


def on_failed(session: Session, payment: Payment) -> None:
    """A cancelled (or expired) payment cancels its fee and releases the vouchers. A failed one
    does not: the payer may still retry it in the same checkout."""
    if payment.status != PaymentStatus.CANCELLED:
        return
    agreement, fee = _fee_of_payment(session, payment)
    if fee is None or fee.status != FeeStatus.PENDING:
        return
    _release(session, agreement, fee, now=payment.cancelled_at or utcnow())


payments.register_purpose(PURPOSE, on_paid=on_paid, on_failed=on_failed)


# ---------------------------------------------------------------------------------------------
def _notify(agreement: LicenceAgreement, organization: Organization, subject_fn, body_fn) -> None:
    """Mail the organisation's members, each in their language, with the agreement's link."""
    link = external_url("licensing.agreement", agreement_id=agreement.id)
    for membership in organization.memberships:
        user = membership.user
        if user is None or not user.is_active:
            continue
        with force_locale(user.locale or "zh_CN"):
            send_mail(user.email, subject_fn(), f"{body_fn()}\n\n{link}")


def _method(method) -> PaymentMethod:
    try:
        return PaymentMethod(method)
    except ValueError:
        raise DomainError(_("Choose how you will pay."), "method") from None


def _check_key(key) -> None:
    if not key or not isinstance(key, str) or len(key) > 64:
        raise DomainError(_("The form has expired. Please reload the page."))


def _by_request_key(session: Session, key: str) -> LicenceFee | None:
    return session.scalars(sa.select(LicenceFee).where(LicenceFee.request_key == key)).first()


def _replay(existing: LicenceFee, user) -> LicenceFee:
    if existing.created_by_id != user.id:
        raise ConflictError(_("This form was already used. Please reload the page."))
    return existing
