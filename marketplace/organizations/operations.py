"""Organisation operations: register, edit, verify or reject, manage members.

Invariants: the credit code is valid and unique; an organisation keeps at least one owner; only
officers decide verification, only from ``pending`` (a rejected organisation returns to pending
when its owner edits it), and every decision and identity change is in the audit trail.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

from marketplace.audit import record_audit
from marketplace.auth.models import User, normalize_email
from marketplace.errors import (
    ConflictError,
    DomainError,
    DuplicateCreditCodeError,
    InvalidStateError,
    NotAllowedError,
    NotFoundError,
)
from marketplace.extensions import db, utcnow
from marketplace.mail import send_mail
from marketplace.organizations import credit_code
from marketplace.organizations.models import (
    MemberRole,
    Membership,
    Organization,
    OrganizationKind,
    VerificationStatus,
)
from marketplace.reference import INDUSTRY_SECTIONS, get_area
from marketplace.urls import external_url

log = logging.getLogger(__name__)

EDITABLE_FIELDS = ("name_zh", "name_en", "credit_code", "kind", "industry", "district_code", "size",
                   "description", "needs", "actual_controller", "address", "contact_phone", "website",
                   "discoverable")

CREDIT_CODE_MESSAGES = {
    "length": lambda e: _("A unified social credit code has exactly 18 characters."),
    "charset": lambda e: _("Only digits and capital letters other than I, O, S, V and Z may appear "
                           "in a unified social credit code."),
    "division": lambda e: _("Characters 3 to 8 of the code are the administrative division code "
                            "and must be digits."),
    "check": lambda e: _("The check character (the 18th) is wrong: this is not a valid unified "
                         "social credit code. Please check it against the business licence."),
}


def clean_credit_code(value: str) -> str:
    try:
        return credit_code.validate(value)
    except credit_code.CreditCodeError as error:
        raise DomainError(CREDIT_CODE_MESSAGES[error.reason](error), "credit_code") from None


def _clean(fields: dict) -> dict:
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    cleaned = dict(fields)
    if "credit_code" in cleaned:
        cleaned["credit_code"] = clean_credit_code(cleaned["credit_code"] or "")
    if "kind" in cleaned:
        cleaned["kind"] = OrganizationKind(cleaned["kind"])
    if "district_code" in cleaned and get_area(cleaned["district_code"]) is None:
        raise DomainError(_("Choose a district, county or development zone of Changzhi."),
                          "district_code")
    if "industry" in cleaned and cleaned["industry"] not in INDUSTRY_SECTIONS:
        raise DomainError(_("Choose an industry section."), "industry")
    for key in ("name_zh", "name_en", "actual_controller", "address", "contact_phone", "website"):
        if key in cleaned and isinstance(cleaned[key], str):
            cleaned[key] = cleaned[key].strip() or None
    if "name_zh" in cleaned and not cleaned["name_zh"]:
        raise DomainError(_("The Chinese name is required."), "name_zh")
    return cleaned


def _ensure_credit_code_free(code: str, organization: Organization | None = None) -> None:
    query = sa.select(Organization.id).where(Organization.credit_code == code)
    if organization is not None and organization.id is not None:
        query = query.where(Organization.id != organization.id)
    if db.session.scalar(query) is not None:
        raise DuplicateCreditCodeError(
            _("An organisation with this unified social credit code is already registered. "
              "Ask its owner to add you as a member."), "credit_code")


def _flush_unique(organization: Organization) -> None:
    try:
        with db.session.begin_nested():
            db.session.flush()
    except sa.exc.IntegrityError:
        raise DuplicateCreditCodeError(
            _("An organisation with this unified social credit code is already registered. "
              "Ask its owner to add you as a member."), "credit_code") from None


def create_organization(creator: User, **fields) -> Organization:
    """Register an organisation; the creator becomes its owner; it awaits verification."""
    cleaned = _clean(fields)
    if cleaned.get("kind") == OrganizationKind.PROGRAMME_OFFICE and not creator.is_admin:
        raise DomainError(_("Programme offices are set up by a site administrator."), "kind")
    _ensure_credit_code_free(cleaned["credit_code"])
    organization = Organization(**cleaned, created_by_id=creator.id,
                                status=VerificationStatus.PENDING)
    organization.memberships.append(Membership(user=creator, role=MemberRole.OWNER))
    db.session.add(organization)
    _flush_unique(organization)
    record_audit(creator, "organization.registered", organization, after=organization.snapshot())
    log.info("organization registered id=%s by user=%s", organization.id, creator.id)
    return organization


def update_organization(organization: Organization, actor: User, **fields) -> bool:
    """Edit the profile. Returns True when the change sent it back for verification."""
    if not organization.can_edit(actor):
        raise NotAllowedError(_("Only an owner can edit this organisation."))
    cleaned = _clean(fields)
    if cleaned.get("kind") == OrganizationKind.PROGRAMME_OFFICE != organization.kind \
            and not actor.is_admin:
        raise DomainError(_("Programme offices are set up by a site administrator."), "kind")
    if "credit_code" in cleaned:
        _ensure_credit_code_free(cleaned["credit_code"], organization)
    changed = {key: value for key, value in cleaned.items() if getattr(organization, key) != value}
    if not changed:
        return False  # nothing to save: no audit entry, no new review
    before = organization.snapshot()
    identity_changed = any(key in changed for key in Organization.IDENTITY_FIELDS)
    for key, value in changed.items():
        setattr(organization, key, value)
    back_to_review = (
        organization.status == VerificationStatus.REJECTED
        or (organization.status == VerificationStatus.VERIFIED and identity_changed)
    )
    if back_to_review:
        organization.return_to_pending()
    _flush_unique(organization)
    record_audit(actor, "organization.updated", organization, before=before,
                 after=organization.snapshot())
    return back_to_review


def _notify_owners(organization: Organization, subject_fn, body_fn) -> None:
    link = external_url("organizations.show", organization_id=organization.id)
    for owner in organization.owners:
        with force_locale(owner.locale or "zh_CN"):
            send_mail(owner.email, subject_fn(), body_fn(link))


def verify_organization(organization: Organization, officer: User) -> None:
    """An officer confirms the organisation is who it says it is."""
    if not organization.can_verify(officer):
        raise NotAllowedError(_("Only programme officers can verify organisations."))
    if organization.status != VerificationStatus.PENDING:
        raise InvalidStateError(_("This organisation is not awaiting verification."))
    before = organization.snapshot()
    organization.verify(officer, utcnow())
    record_audit(officer, "organization.verified", organization, before=before,
                 after=organization.snapshot())
    name = organization.name_zh
    _notify_owners(
        organization,
        lambda: _("%(name)s has been verified", name=name),
        lambda link: _("Good news: %(name)s has been verified by the programme office. You can now "
                       "publish listings and apply for innovation vouchers.\n\n%(link)s",
                       name=name, link=link),
    )


def reject_organization(organization: Organization, officer: User, reason: str) -> None:
    """An officer refuses verification and says why; the owner may correct and resubmit."""
    if not organization.can_verify(officer):
        raise NotAllowedError(_("Only programme officers can verify organisations."))
    if organization.status != VerificationStatus.PENDING:
        raise InvalidStateError(_("This organisation is not awaiting verification."))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give a reason, so the organisation knows what to correct."), "reason")
    before = organization.snapshot()
    organization.reject(officer, reason, utcnow())
    record_audit(officer, "organization.rejected", organization, before=before,
                 after=organization.snapshot(), note=reason)
    name = organization.name_zh
    _notify_owners(
        organization,
        lambda: _("%(name)s could not be verified", name=name),
        lambda link: _("The programme office could not verify %(name)s.\n\nReason: %(reason)s\n\n"
                       "Please correct the profile; it will then be reviewed again.\n\n%(link)s",
                       name=name, reason=reason, link=link),
    )


def add_member(organization: Organization, actor: User, email: str, role: MemberRole) -> Membership:
    """An owner adds an existing account to the organisation."""
    if not organization.can_manage_members(actor):
        raise NotAllowedError(_("Only an owner can manage members."))
    user = db.session.scalar(sa.select(User).where(User.email == normalize_email(email)))
    if user is None or not user.is_active:
        raise NotFoundError(_("No active account uses this e-mail address. Ask them to register "
                              "first."), "email")
    if organization.is_member(user):
        raise ConflictError(_("This person is already a member."), "email")
    membership = Membership(user=user, organization=organization, role=MemberRole(role))
    db.session.add(membership)
    db.session.flush()
    record_audit(actor, "organization.member_added", organization,
                 after={"user_id": user.id, "role": str(role)})
    return membership


def remove_member(organization: Organization, actor: User, membership: Membership) -> None:
    """An owner removes a member (or a member leaves); the last owner cannot go."""
    if membership.organization_id != organization.id:
        raise NotFoundError(_("No such member."))
    is_self = membership.user_id == actor.id
    if not (organization.can_manage_members(actor) or is_self):
        raise NotAllowedError(_("Only an owner can manage members."))
    if membership.role == MemberRole.OWNER and len(organization.owners) <= 1:
        raise ConflictError(_("An organisation needs at least one owner. Make someone else an owner "
                              "first."))
    record_audit(actor, "organization.member_removed", organization,
                 before={"user_id": membership.user_id, "role": str(membership.role)})
    organization.memberships.remove(membership)
    db.session.flush()


def list_pending_organizations() -> list[Organization]:
    return list(db.session.scalars(
        sa.select(Organization).where(Organization.status == VerificationStatus.PENDING)
        .order_by(Organization.created_at)
    ))
