"""Booking pages: the instrument calendar, booking with a price preview, my bookings, the lab's
inbox, calendar feeds."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required

from marketplace.bookings.models import Booking
from marketplace.extensions import db

bp = Blueprint("bookings", __name__, url_prefix="/bookings")


@bp.route("/<int:booking_id>")
@login_required
def show(booking_id: int):
    """One booking, for the booker, the lab and officers."""
    booking = db.get_or_404(Booking, booking_id)
    if not booking.can_view(current_user):
        abort(404)
    return render_template("bookings/show.html", booking=booking)
