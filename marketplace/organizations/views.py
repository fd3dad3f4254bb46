"""Organisation pages: directory, register, profile, edit, members."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.audit import AuditEntry
from marketplace.auth.current import acting_user
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.forms import apply_domain_error
from marketplace.organizations import operations
from marketplace.organizations.forms import AddMemberForm, OrganizationForm, RemoveMemberForm
from marketplace.organizations.models import (
    MemberRole,
    Membership,
    Organization,
    OrganizationKind,
    VerificationStatus,
)
from marketplace.reference import area_choices, get_area
from marketplace.vouchers import operations as vouchers

bp = Blueprint("organizations", __name__, url_prefix="/organizations")

PAGE_SIZE = 20


def _load(organization_id: int) -> Organization:
    """Load an organisation the current user may see; others get 404 (no existence leak)."""
    organization = db.get_or_404(Organization, organization_id)
    if not organization.can_view(current_user):
        abort(404)
    return organization


@bp.route("/")
def index():
    """Directory of verified organisations, filterable by kind and district."""
    query = sa.select(Organization).where(Organization.status == VerificationStatus.VERIFIED)
    kind = request.args.get("kind", "")
    if kind in {k.value for k in OrganizationKind}:
        query = query.where(Organization.kind == OrganizationKind(kind))
    district = request.args.get("district", "")
    if get_area(district):
        query = query.where(Organization.district_code.startswith(district))
    page = db.paginate(query.order_by(Organization.name_zh), per_page=PAGE_SIZE, max_per_page=50)
    return render_template("organizations/index.html", page=page, kind=kind, district=district,
                           kind_choices=[(k.value, k.label) for k in OrganizationKind],
                           district_choices=area_choices())


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    """Register an organisation; it then waits for an officer's verification."""
    form = OrganizationForm(include_office=current_user.is_admin)
    if form.validate_on_submit():
        try:
            organization = operations.create_organization(acting_user(), **form.values())
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            db.session.commit()
            flash(_("Your organisation has been registered and is awaiting verification by the "
                    "programme office."), "success")
            return redirect(url_for("organizations.show", organization_id=organization.id))
    return render_template("organizations/create.html", form=form)


@bp.route("/<int:organization_id>")
def show(organization_id: int):
    """The organisation's profile; members and history only for members and officers."""
    organization = _load(organization_id)
    history, relations, admissions = [], [], []
    if organization.can_view_private(current_user):
        history = db.session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.object_type == Organization.__tablename__,
                   AuditEntry.object_id == str(organization.id))
            .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()).limit(20)
        ).all()
        relations = vouchers.list_relations(organization)
        admissions = vouchers.list_admissions(organization)
    return render_template("organizations/show.html", organization=organization, history=history,
                           relations=relations, admissions=admissions)


@bp.route("/<int:organization_id>/edit", methods=["GET", "POST"])
@login_required
def edit(organization_id: int):
    """Edit the profile (owners); identity changes send it back for verification."""
    organization = _load(organization_id)
    if not organization.can_edit(current_user):
        abort(403)
    # The record fills the form on GET only: an empty POST must fail validation, not save.
    form = OrganizationForm(obj=organization if request.method == "GET" else None,
                            include_office=current_user.is_admin
                            or organization.kind == OrganizationKind.PROGRAMME_OFFICE)
    if form.validate_on_submit():
        try:
            back_to_review = operations.update_organization(organization, acting_user(),
                                                            **form.values())
        except DomainError as error:
            db.session.rollback()
            apply_domain_error(form, error)
        else:
            db.session.commit()
            if back_to_review:
                flash(_("Saved. The changes will be reviewed by the programme office."), "warning")
            else:
                flash(_("Saved."), "success")
            return redirect(url_for("organizations.show", organization_id=organization.id))
    return render_template("organizations/edit.html", form=form, organization=organization)


@bp.route("/<int:organization_id>/members", methods=["GET", "POST"])
@login_required
def members(organization_id: int):
    """List members; owners add members by e-mail."""
    organization = _load(organization_id)
    if not organization.can_view_private(current_user):
        abort(404)
    form = AddMemberForm()
    if request.method == "POST":
        if not organization.can_manage_members(current_user):
            abort(403)
        if form.validate_on_submit():
            try:
                operations.add_member(organization, acting_user(), form.email.data,
                                      MemberRole(form.role.data))
            except DomainError as error:
                db.session.rollback()
                apply_domain_error(form, error)
            else:
                db.session.commit()
                flash(_("Member added."), "success")
                return redirect(url_for("organizations.members", organization_id=organization.id))
    return render_template("organizations/members.html", organization=organization, form=form,
                           remove_form=RemoveMemberForm())


@bp.route("/<int:organization_id>/members/<int:membership_id>/remove", methods=["POST"])
@login_required
def remove_member(organization_id: int, membership_id: int):
    """Remove a member (owners), or leave the organisation (anyone but the last owner)."""
    organization = _load(organization_id)
    membership = db.get_or_404(Membership, membership_id)
    if membership.organization_id != organization.id or not organization.is_member(current_user):
        abort(404)
    if not (organization.can_manage_members(current_user) or membership.user_id == current_user.id):
        abort(403)
    if RemoveMemberForm().validate_on_submit():
        operations.remove_member(organization, acting_user(), membership)
        db.session.commit()
        flash(_("Member removed."), "success")
    if organization.is_member(current_user):
        return redirect(url_for("organizations.members", organization_id=organization.id))
    return redirect(url_for("main.dashboard"))
