"""The freeze guard the voucher rules ask (kept free of other integrity imports)."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from marketplace.extensions import db


def frozen_ids(organization_ids) -> set[int]:
    from marketplace.integrity.models import VoucherFreeze

    ids = [i for i in organization_ids if i is not None]
    if not ids:
        return set()
    return set(db.session.scalars(sa.select(VoucherFreeze.organization_id).where(
        VoucherFreeze.organization_id.in_(ids), VoucherFreeze.lifted_at.is_(None))))


def is_frozen(organization) -> bool:
    return bool(frozen_ids([organization.id]))


def frozen_problem(enterprise, provider) -> str | None:
    """Why vouchers cannot move between these two because of a freeze (or None)."""
    frozen = frozen_ids([enterprise.id, provider.id])
    if enterprise.id in frozen:
        return _("The programme office has frozen the voucher use of %(org)s while a case is "
                 "reviewed; vouchers cannot be used until it is lifted.", org=enterprise.name_zh)
    if provider.id in frozen:
        return _("The programme office has frozen voucher payments to %(provider)s while a case "
                 "is reviewed; vouchers cannot pay it until the freeze is lifted.",
                 provider=provider.name_zh)
    return None
