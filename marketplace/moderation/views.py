"""Views of marketplace.moderation (step 7): officers' take-downs, decisions and suspensions
under /office/moderation; the owners' appeal under /moderation (a second blueprint)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from listings.models import Listing
from marketplace.auth.current import acting_user
from marketplace.auth.forms import ConfirmForm
from marketplace.auth.models import User
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.forms import refuse_on_form
from marketplace.moderation import operations
from marketplace.moderation.forms import AppealForm, DecideForm, SuspendForm, TakedownForm
from marketplace.moderation.models import Takedown, TakedownObject
from marketplace.office.views import officer_required

bp = Blueprint("moderation", __name__, url_prefix="/office/moderation")
owner_bp = Blueprint("moderation_owner", __name__, url_prefix="/moderation")


@bp.record_once
def _register(state) -> None:
    state.app.register_blueprint(owner_bp)
    state.app.jinja_env.globals["moderation_notices"] = notices


def notices(listing=None) -> list[Takedown]:
    """Take-downs the signed-in user may see: of one listing, or of all their organisations."""
    if not current_user.is_authenticated:
        return []
    if listing is not None:
        return [t for t in operations.list_takedowns_of(db.session, TakedownObject.LISTING,
                                                        listing.id)
                if t.can_see(current_user) and t.status.value != "restored"]
    return operations.list_organization_takedowns(
        db.session, [m.organization_id for m in current_user.memberships])


@bp.route("/")
@officer_required
def index():
    """Take-downs (appeals waiting first), reported reviews, account suspension."""
    from marketplace.reviews.operations import list_reported

    needle = request.args.get("q", "").strip()[:100]
    users = []
    if needle:
        users = db.session.scalars(sa.select(User).where(sa.or_(
            User.email.contains(needle.lower()), User.display_name.contains(needle)))
            .order_by(User.id).limit(50)).all()
    suspended = db.session.scalars(sa.select(User).where(User.suspended_at.is_not(None))
                                   .order_by(User.suspended_at.desc()).limit(100)).all()
    return render_template("moderation/index.html", takedowns=operations.list_takedowns(db.session),
                           reported=list_reported(db.session), users=users, q=needle,
                           suspended=suspended, confirm_form=ConfirmForm())


def _take_down(obj, kind: str, operation, back: str):
    form = TakedownForm()
    status = 200
    if form.validate_on_submit():
        try:
            operation(form)
        except DomainError as error:
            status = refuse_on_form(form, error)
        else:
            db.session.commit()
            flash(_("Taken down. The owner has been told."), "info")
            return redirect(url_for("moderation.index"))
    elif form.is_submitted():
        status = 400
    return render_template("moderation/take_down.html", form=form, obj=obj, kind=kind,
                           back=back), status


@bp.route("/listings/<int:listing_id>/take-down", methods=["GET", "POST"])
@officer_required
def take_down_listing(listing_id: int):
    """Take down a listing of any kind (a live campaign only by closing it as failed)."""
    listing = db.get_or_404(Listing, listing_id)
    return _take_down(listing, "listing", lambda form: operations.take_down_listing(
        db.session, listing, acting_user(), form.reason.data,
        close_campaign=form.close_campaign.data),
        url_for("catalogue.show", listing_id=listing.id))


@bp.route("/reviews/<int:review_id>/take-down", methods=["GET", "POST"])
@officer_required
def take_down_review(review_id: int):
    """Hide a review with a reason."""
    from marketplace.reviews.models import Review

    review = db.get_or_404(Review, review_id)
    return _take_down(review, "review", lambda form: operations.take_down_review(
        db.session, review, acting_user(), form.reason.data), url_for("moderation.index"))


@bp.route("/takedowns/<int:takedown_id>", methods=["GET", "POST"])
@officer_required
def show(takedown_id: int):
    """One take-down with its appeal; uphold or restore."""
    takedown = db.get_or_404(Takedown, takedown_id)
    form = DecideForm()
    status = 200
    if form.validate_on_submit():
        try:
            operations.decide_takedown(db.session, takedown, acting_user(),
                                       restore=form.decision.data == "restore",
                                       note=form.note.data or "")
        except DomainError as error:
            status = refuse_on_form(form, error)
        else:
            db.session.commit()
            flash(_("Decision saved. The owner has been told."), "success")
            return redirect(url_for("moderation.show", takedown_id=takedown.id))
    elif form.is_submitted():
        status = 400
    return render_template("moderation/show.html", takedown=takedown, form=form,
                           obj=operations.object_of(db.session, takedown)), status


@bp.route("/users/<int:user_id>/suspend", methods=["GET", "POST"])
@officer_required
def suspend(user_id: int):
    """Suspend an account with a reason; its sessions end at once."""
    user = db.get_or_404(User, user_id)
    form = SuspendForm()
    status = 200
    if form.validate_on_submit():
        try:
            operations.suspend_user(db.session, user, acting_user(), form.reason.data)
        except DomainError as error:
            status = refuse_on_form(form, error)
        else:
            db.session.commit()
            flash(_("Account suspended; its sessions have ended."), "info")
            return redirect(url_for("moderation.index"))
    elif form.is_submitted():
        status = 400
    return render_template("moderation/suspend.html", user=user, form=form), status


@bp.route("/users/<int:user_id>/unsuspend", methods=["POST"])
@officer_required
def unsuspend(user_id: int):
    """Lift a suspension."""
    user = db.get_or_404(User, user_id)
    if ConfirmForm().validate_on_submit():
        operations.unsuspend_user(db.session, user, acting_user())
        db.session.commit()
        flash(_("Suspension lifted."), "success")
    return redirect(url_for("moderation.index"))


@owner_bp.route("/takedowns/<int:takedown_id>/appeal", methods=["GET", "POST"])
@login_required
def appeal(takedown_id: int):
    """The owner's organisation reads the take-down and may appeal once."""
    takedown = db.get_or_404(Takedown, takedown_id)
    if not takedown.can_see(current_user):
        abort(404)
    form = AppealForm()
    status = 200
    if form.is_submitted():
        if not takedown.organization.is_member(current_user):
            abort(403)
        if form.validate():
            try:
                operations.appeal_takedown(db.session, takedown, acting_user(), form.text.data)
            except DomainError as error:
                status = refuse_on_form(form, error)
            else:
                db.session.commit()
                flash(_("Your appeal has been sent to the programme office."), "success")
                return redirect(url_for("moderation_owner.appeal", takedown_id=takedown.id))
        else:
            status = 400
    return render_template("moderation/appeal.html", takedown=takedown, form=form,
                           obj=operations.object_of(db.session, takedown)), status
