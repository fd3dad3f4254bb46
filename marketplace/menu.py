"""What the menu on every page needs to know about the signed-in user, in one statement.

The menu shows "Needs" to members of an organisation, "Lab bookings" to members of an
organisation that offers an instrument, and the unread-messages badge. Asked one at a time
these were three round trips to the database on every signed-in page; here they are three
subqueries of one SELECT, read at most once per request (kept on ``g``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import sqlalchemy as sa
from flask import Flask, g
from flask_login import current_user

from marketplace.extensions import db


@dataclass(frozen=True)
class MenuFacts:
    is_member: bool = False  # of at least one organisation
    offers_instruments: bool = False  # one of the user's organisations offers an instrument
    unread_messages: int = 0


@cache
def _statement() -> sa.Select:
    """Built once per process (its parts are many expressions); the user is a bind parameter."""
    from marketplace.bookings.operations import offers_instruments_query
    from marketplace.conversations.operations import unread_total_query
    from marketplace.organizations.models import Membership

    user_id = sa.bindparam("menu_user_id", type_=sa.Integer)
    return sa.select(Membership.organization_ids_of(user_id).exists(),
                     offers_instruments_query(user_id),
                     unread_total_query(user_id).scalar_subquery())


def menu_facts() -> MenuFacts:
    """The signed-in user's menu facts (a visitor: all false and zero)."""
    if not current_user.is_authenticated:
        return MenuFacts()
    if "menu_facts" not in g:
        row = db.session.execute(_statement(), {"menu_user_id": current_user.id}).one()
        g.menu_facts = MenuFacts(bool(row[0]), bool(row[1]), int(row[2] or 0))
    return g.menu_facts


def init_app(app: Flask) -> None:
    app.add_template_global(menu_facts, "menu_facts")
