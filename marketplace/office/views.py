"""Officer and admin pages."""

from __future__ import annotations

from functools import wraps

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.audit import AuditEntry
from marketplace.auth import operations as account_operations
from marketplace.auth.current import acting_user
from marketplace.auth.forms import ConfirmForm, DeactivateForm, SiteRoleForm
from marketplace.auth.models import SiteRole, User
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.forms import apply_domain_error
from marketplace.organizations import operations
from marketplace.organizations.forms import RejectForm, VerifyForm
from marketplace.organizations.models import Organization, VerificationStatus

bp = Blueprint("office", __name__, url_prefix="/office")


def officer_required(view):
    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not current_user.is_officer:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def admin_required(view):
    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


@bp.route("/")
@officer_required
def index():
    """The officer's home: the verification queue."""
    pending = operations.list_pending_organizations()
    counts = dict(db.session.execute(
        sa.select(Organization.status, sa.func.count()).group_by(Organization.status)).all())
    return render_template("office/index.html", pending=pending, counts=counts,
                           statuses=list(VerificationStatus))


@bp.route("/organizations/<int:organization_id>", methods=["GET"])
@officer_required
def review(organization_id: int):
    """Review one organisation's registration."""
    organization = db.get_or_404(Organization, organization_id)
    return render_template("office/review.html", organization=organization,
                           verify_form=VerifyForm(), reject_form=RejectForm())


@bp.route("/organizations/<int:organization_id>/verify", methods=["POST"])
@officer_required
def verify(organization_id: int):
    """Approve a pending organisation."""
    organization = db.get_or_404(Organization, organization_id)
    if VerifyForm().validate_on_submit():
        operations.verify_organization(organization, acting_user())
        db.session.commit()
        flash(_("%(name)s is now verified.", name=organization.name_zh), "success")
    return redirect(url_for("office.index"))


@bp.route("/organizations/<int:organization_id>/reject", methods=["POST"])
@officer_required
def reject(organization_id: int):
    """Refuse a pending organisation, with a reason the owner will see."""
    organization = db.get_or_404(Organization, organization_id)
    form = RejectForm()
    if form.validate_on_submit():
        try:
            operations.reject_organization(organization, acting_user(), form.reason.data)
        except DomainError as error:
            if error.field is None:
                raise
            apply_domain_error(form, error)
        else:
            db.session.commit()
            flash(_("Verification of %(name)s refused.", name=organization.name_zh), "info")
            return redirect(url_for("office.index"))
    return render_template("office/review.html", organization=organization,
                           verify_form=VerifyForm(), reject_form=form), 400


@bp.route("/audit")
@officer_required
def audit():
    """The audit trail, newest first; search by actor, record, action and Beijing dates."""
    from datetime import datetime, time, timedelta
    from zoneinfo import ZoneInfo

    from marketplace.moderation.forms import AuditSearchForm

    form = AuditSearchForm(request.args)
    query = sa.select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    legacy_type = request.args.get("type", "")[:40]
    if legacy_type and not form.object_type.data:
        form.object_type.data = legacy_type
    status = 200
    if not form.validate():
        status = 400
        query = query.where(sa.false())
    else:
        shanghai = ZoneInfo("Asia/Shanghai")
        if form.actor.data and form.actor.data.strip():
            needle = form.actor.data.strip()
            query = query.where(AuditEntry.actor_id.in_(sa.select(User.id).where(sa.or_(
                User.email.contains(needle.lower(), autoescape=True),
                User.display_name.contains(needle, autoescape=True)))))
        if form.object_type.data and form.object_type.data.strip():
            query = query.where(AuditEntry.object_type == form.object_type.data.strip())
        if form.object_id.data:
            query = query.where(AuditEntry.object_id == str(form.object_id.data))
        if form.action.data and form.action.data.strip():
            query = query.where(AuditEntry.action.contains(form.action.data.strip(),
                                                           autoescape=True))
        if form.start.data:
            query = query.where(AuditEntry.created_at >= datetime.combine(
                form.start.data, time(0), shanghai))
        if form.end.data:
            query = query.where(AuditEntry.created_at < datetime.combine(
                form.end.data + timedelta(days=1), time(0), shanghai))
    page = db.paginate(query, per_page=50, max_per_page=100, error_out=False)
    types = db.session.scalars(sa.select(AuditEntry.object_type).distinct()
                               .order_by(AuditEntry.object_type)).all()
    filters = {name: request.args.get(name, "")[:100] for name in
               ("actor", "object_type", "object_id", "action", "start", "end") if
               request.args.get(name)}
    return render_template("office/audit.html", page=page, form=form, types=types,
                           filters=filters), status


@bp.route("/users")
@admin_required
def users():
    """All accounts, for the site administrator."""
    query = sa.select(User).order_by(User.id)
    needle = request.args.get("q", "").strip()[:100]
    if needle:
        query = query.where(sa.or_(User.email.contains(needle.lower()),
                                   User.display_name.contains(needle)))
    page = db.paginate(query, per_page=50, max_per_page=100)
    return render_template("office/users.html", page=page, q=needle, role_form=SiteRoleForm(),
                           deactivate_form=DeactivateForm(), confirm_form=ConfirmForm())


@bp.route("/users/<int:user_id>/role", methods=["POST"])
@admin_required
def set_role(user_id: int):
    """Grant or remove the officer or admin role."""
    user = db.get_or_404(User, user_id)
    form = SiteRoleForm()
    if form.validate_on_submit():
        account_operations.set_site_role(acting_user(), user, SiteRole(form.role.data))
        db.session.commit()
        flash(_("Role saved."), "success")
    else:
        flash(_("Choose a valid role."), "danger")
    return redirect(url_for("office.users"))


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
@admin_required
def deactivate(user_id: int):
    """Deactivate an account; its sessions end immediately."""
    user = db.get_or_404(User, user_id)
    form = DeactivateForm()
    if form.validate_on_submit():
        account_operations.set_user_active(acting_user(), user, False, form.reason.data or "")
        db.session.commit()
        flash(_("Account deactivated."), "info")
    return redirect(url_for("office.users"))


@bp.route("/users/<int:user_id>/reactivate", methods=["POST"])
@admin_required
def reactivate(user_id: int):
    """Reactivate a deactivated account."""
    user = db.get_or_404(User, user_id)
    if ConfirmForm().validate_on_submit():
        account_operations.set_user_active(acting_user(), user, True)
        db.session.commit()
        flash(_("Account reactivated."), "success")
    return redirect(url_for("office.users"))
