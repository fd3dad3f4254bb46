"""Demo moderation (step 7), through the real operations: the programme officer has taken down
襄垣县晋东南光电材料有限公司's archived technology (its figures could not be verified) and the
organisation (sme@, member) has appealed; the appeal waits for a decision.

The listing chosen is already archived, so the demo catalogue's counts of published, draft and
archived listings stay as they are. Idempotent: made once per listing.
"""

from __future__ import annotations

import sqlalchemy as sa

from listings.models import Listing
from marketplace.extensions import db
from marketplace.moderation import operations
from marketplace.moderation.models import Takedown, TakedownObject

OPTO = "91140423MA0L2B8C5"  # 襄垣县晋东南光电材料有限公司 (sme@ member)
TITLE = "LED封装用高折射率有机硅胶"
REASON = "产品折射率与耐温指标缺少第三方检测报告，涉嫌夸大宣传，请补充检测报告后申诉。"
APPEAL = "我公司已委托长治市检验检测中心出具检测报告（编号CZJC-2026-1187），请复核后恢复。"


def load(users, organizations) -> dict[str, int]:
    org = organizations.get(OPTO)
    officer = users.get("officer@demo.czinno.cn")
    member = users.get("sme@demo.czinno.cn")
    if org is None or officer is None or member is None:
        return {"takedowns_created": 0}
    listing = db.session.scalars(sa.select(Listing).where(
        Listing.organization_id == org.id, Listing.title_zh == TITLE)).first()
    if listing is None:
        return {"takedowns_created": 0}
    exists = db.session.scalar(sa.select(sa.func.count()).select_from(Takedown).where(
        Takedown.object_type == TakedownObject.LISTING, Takedown.object_id == listing.id))
    if exists:
        return {"takedowns_created": 0}
    takedown = operations.take_down_listing(db.session, listing, officer, REASON)
    operations.appeal_takedown(db.session, takedown, member, APPEAL)
    return {"takedowns_created": 1}
