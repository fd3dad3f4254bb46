"""Site-wide pages."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import refresh
from flask_login import current_user, login_required

from listings.models import PUBLIC_KINDS, Listing, ListingStatus
from marketplace.extensions import db
from marketplace.organizations.models import Organization, OrganizationKind, VerificationStatus
from marketplace.security import safe_next

bp = Blueprint("main", __name__)


@bp.route("/")
def index():
    """The home page: what the platform offers and live counts."""
    counts = dict(db.session.execute(
        sa.select(Organization.kind, sa.func.count())
        .where(Organization.status == VerificationStatus.VERIFIED)
        .group_by(Organization.kind)).all())
    listing_counts = dict(db.session.execute(
        sa.select(Listing.kind, sa.func.count())
        .where(Listing.status == ListingStatus.PUBLISHED).group_by(Listing.kind)).all())
    return render_template("main/index.html", counts=counts, kinds=OrganizationKind,
                           listing_counts=listing_counts, listing_kinds=list(PUBLIC_KINDS))


@bp.route("/dashboard")
@login_required
def dashboard():
    """The signed-in user's organisations and what to do next."""
    memberships = sorted(current_user.memberships, key=lambda m: m.organization.name_zh)
    return render_template("main/dashboard.html", memberships=memberships)


@bp.route("/language", methods=["POST"])
def set_language():
    """Switch the interface language (kept in the session and, when signed in, the account)."""
    code = request.form.get("lang", "")
    if code in current_app.config["LANGUAGES"]:
        session["locale"] = code
        refresh()
        if current_user.is_authenticated and current_user.locale != code:
            current_user.locale = code
            db.session.commit()
    return redirect(safe_next(request.form.get("next"), url_for("main.index")))


@bp.route("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico by themselves."""
    return current_app.send_static_file("favicon.svg")


@bp.route("/healthz")
def healthz():
    """Liveness: the process answers."""
    return jsonify(status="ok")
