"""Read-only JSON endpoints (more arrive with later steps)."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify
from flask_login import current_user, login_required

from marketplace.extensions import db
from marketplace.organizations.models import Organization
from marketplace.reference import areas, industry_name

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.route("/districts")
def districts():
    """Changzhi's districts, counties and development zones with their codes."""
    return jsonify(districts=[
        {"code": a.code, "name_zh": a.name_zh, "name_en": a.name_en, "is_zone": a.is_zone,
         "parent_code": a.parent_code} for a in areas()
    ])


@bp.route("/organizations/<int:organization_id>")
def organization(organization_id: int):
    """The public profile of a verified organisation."""
    org = db.session.get(Organization, organization_id)
    if org is None or not org.can_view(current_user):
        abort(404)
    data = {
        "id": org.id, "name_zh": org.name_zh, "name_en": org.name_en, "kind": org.kind.value,
        "industry": org.industry, "industry_name": industry_name(org.industry),
        "district_code": org.district_code, "size": org.size.value, "status": org.status.value,
        "description": org.description, "credit_code": org.credit_code,
    }
    if org.can_view_private(current_user):
        data["needs"] = org.needs
        data["members"] = [{"user_id": m.user_id, "role": m.role.value} for m in org.memberships]
    return jsonify(organization=data)


@bp.route("/me")
@login_required
def me():
    """The signed-in account and its organisations."""
    return jsonify(user={
        "id": current_user.id, "email": current_user.email,
        "display_name": current_user.display_name, "site_role": current_user.site_role.value,
        "organizations": [{"id": m.organization_id, "role": m.role.value,
                           "name_zh": m.organization.name_zh} for m in current_user.memberships],
    })
