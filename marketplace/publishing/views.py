"""Providers' pages: my listings, create, edit, publish, archive, delete, photos."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from listings.models import PUBLISHER_KINDS, Listing, ListingKind, ListingPhoto
from marketplace.auth.current import acting_user
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.forms import apply_domain_error
from marketplace.organizations.models import Organization
from marketplace.publishing import operations
from marketplace.publishing.forms import FORMS, WEEKDAYS, ActionForm, PhotoForm
from marketplace.publishing.operations import SHANGHAI

bp = Blueprint("publishing", __name__)


def _my_organizations(kind: ListingKind) -> list[Organization]:
    """The user's organisations that may hold this kind of listing."""
    return sorted((m.organization for m in current_user.memberships
                   if m.organization.kind.value in PUBLISHER_KINDS[kind]),
                  key=lambda o: o.name_zh)


def _load_editable(listing_id: int) -> Listing:
    listing = db.get_or_404(Listing, listing_id)
    if not listing.can_view(current_user):
        abort(404)
    if not listing.can_edit(current_user):
        abort(403)
    return listing


@bp.route("/my/listings")
@login_required
def index():
    """The listings of every organisation the user belongs to."""
    org_ids = [m.organization_id for m in current_user.memberships]
    listings = db.session.scalars(
        sa.select(Listing).where(Listing.organization_id.in_(org_ids))
        .order_by(Listing.updated_at.desc())).all() if org_ids else []
    return render_template("publishing/index.html", listings=listings, kinds=list(ListingKind),
                           action_form=ActionForm())


@bp.route("/listings/new/<kind>", methods=["GET", "POST"])
@login_required
def create(kind: str):
    """Create a draft listing of one kind."""
    if kind not in FORMS:
        abort(404)
    kind = ListingKind(kind)
    organizations = _my_organizations(kind)
    if not organizations:
        flash(_("None of your organisations can offer this kind of listing."), "warning")
        return redirect(url_for("publishing.index"))
    form = FORMS[kind.value](organizations=organizations)
    if form.validate_on_submit():
        organization = next(o for o in organizations if str(o.id) == form.organization_id.data)
        try:
            listing = operations.create_listing(organization, acting_user(), kind, form.values())
        except DomainError as error:
            db.session.rollback()
            apply_domain_error(form, error)
        else:
            db.session.commit()
            flash(_("Draft saved. Publish it when it is ready."), "success")
            return redirect(url_for("catalogue.show", listing_id=listing.id))
    return render_template("publishing/edit.html", form=form, kind=kind, listing=None,
                           weekdays=WEEKDAYS)


@bp.route("/listings/<int:listing_id>/edit", methods=["GET", "POST"])
@login_required
def edit(listing_id: int):
    """Edit a listing."""
    listing = _load_editable(listing_id)
    form_class = FORMS[listing.kind.value]
    # The record fills the form on GET only: an empty POST must fail validation, not save.
    form = form_class(obj=listing if request.method == "GET" else None,
                      organizations=[listing.organization])
    del form.organization_id  # the owner does not change
    if request.method == "GET":
        if hasattr(form, "fill_from"):
            form.fill_from(listing)
        if listing.kind == ListingKind.CAMPAIGN:
            _fill_campaign(form, listing)
    if form.validate_on_submit():
        try:
            operations.update_listing(listing, acting_user(), form.values())
        except DomainError as error:
            db.session.rollback()
            apply_domain_error(form, error)
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("catalogue.show", listing_id=listing.id))
    return render_template("publishing/edit.html", form=form, kind=listing.kind, listing=listing,
                           weekdays=WEEKDAYS)


def _fill_campaign(form, campaign) -> None:
    # The deadline is stored as the end of the chosen day in Beijing time (midnight after it).
    form.deadline.data = campaign.deadline.astimezone(SHANGHAI).date() - timedelta(days=1)
    for rows, items, names in (
        (form.expertise_needs, campaign.expertise_needs, ("skill", "hours")),
        (form.resource_needs, campaign.resource_needs, ("item", "quantity", "linked_listing_id")),
        (form.reward_tiers, campaign.reward_tiers, ("title", "min_pledge_fen", "description")),
    ):
        while len(rows) < len(items):
            rows.append_entry()
        for row, item in zip(rows, items, strict=False):
            for name in names:
                row.form[name].data = getattr(item, name)


def _action(listing_id: int, operation, message: str):
    listing = _load_editable(listing_id)
    if ActionForm().validate_on_submit():
        operation(listing, acting_user())
        db.session.commit()
        flash(message, "success")
    return listing


@bp.route("/listings/<int:listing_id>/publish", methods=["POST"])
@login_required
def publish(listing_id: int):
    """Publish: the listing becomes visible and searchable at once."""
    listing = _action(listing_id, operations.publish_listing, _("Published."))
    return redirect(url_for("catalogue.show", listing_id=listing.id))


@bp.route("/listings/<int:listing_id>/archive", methods=["POST"])
@login_required
def archive(listing_id: int):
    """Archive: the listing leaves the catalogue and search."""
    listing = _action(listing_id, operations.archive_listing, _("Archived."))
    return redirect(url_for("catalogue.show", listing_id=listing.id))


@bp.route("/listings/<int:listing_id>/delete", methods=["POST"])
@login_required
def delete(listing_id: int):
    """Delete a draft or archived listing."""
    _action(listing_id, operations.delete_listing, _("Deleted."))
    return redirect(url_for("publishing.index"))


@bp.route("/listings/<int:listing_id>/photos", methods=["GET", "POST"])
@login_required
def photos(listing_id: int):
    """Upload and remove photos."""
    listing = _load_editable(listing_id)
    form = PhotoForm()
    if form.validate_on_submit():
        try:
            operations.add_photo(listing, acting_user(), form.photo.data.stream, form.caption.data)
        except DomainError as error:
            db.session.rollback()
            apply_domain_error(form, error)
        else:
            db.session.commit()
            flash(_("Photo added."), "success")
            return redirect(url_for("publishing.photos", listing_id=listing.id))
    status = 400 if form.errors else 200
    return render_template("publishing/photos.html", listing=listing, form=form,
                           action_form=ActionForm()), status


@bp.route("/listings/<int:listing_id>/photos/<int:photo_id>/delete", methods=["POST"])
@login_required
def delete_photo(listing_id: int, photo_id: int):
    """Remove a photo."""
    listing = _load_editable(listing_id)
    photo = db.get_or_404(ListingPhoto, photo_id)
    if photo.listing_id != listing.id:
        abort(404)
    if ActionForm().validate_on_submit():
        operations.remove_photo(listing, acting_user(), photo)
        db.session.commit()
        flash(_("Photo removed."), "success")
    return redirect(url_for("publishing.photos", listing_id=listing.id))
