"""The Changzhi demo: organisations of every kind, one account per role.

``load_demo()`` is idempotent: accounts are matched by e-mail and organisations by credit code,
so running it again refreshes the demo instead of duplicating it. The names are invented; the
districts and development zones are real.
"""

from __future__ import annotations

import sqlalchemy as sa

from marketplace.auth.models import SiteRole, User
from marketplace.extensions import db, utcnow
from marketplace.organizations.credit_code import complete
from marketplace.organizations.models import (
    Membership,
    MemberRole,
    Organization,
    OrganizationKind,
    OrganizationSize,
    VerificationStatus,
)

DEMO_PASSWORD = "Changzhi-Demo-2026"

# (e-mail, display name, site role)
DEMO_USERS = [
    ("admin@demo.czinno.cn", "系统管理员 Admin", SiteRole.ADMIN),
    ("officer@demo.czinno.cn", "赵敏（科技局）", SiteRole.OFFICER),
    ("sme@demo.czinno.cn", "张伟", SiteRole.USER),
    ("lab@demo.czinno.cn", "李娜", SiteRole.USER),
    ("park@demo.czinno.cn", "王芳", SiteRole.USER),
    ("maker@demo.czinno.cn", "刘洋", SiteRole.USER),
    ("newcomer@demo.czinno.cn", "陈杰", SiteRole.USER),
]

# credit code without its check character, then the profile; members as (e-mail, role)
DEMO_ORGANIZATIONS = [
    {
        "code17": "11140400MB0123450", "name_zh": "长治市科技创新券管理办公室",
        "name_en": "Changzhi Innovation Voucher Programme Office",
        "kind": OrganizationKind.PROGRAMME_OFFICE, "industry": "S", "district_code": "140403",
        "size": OrganizationSize.SMALL, "status": VerificationStatus.VERIFIED,
        "description": "负责长治市科技创新券的发放、兑付与绩效评价，推动大型科研仪器开放共享。",
        "address": "长治市潞州区太行东街", "members": [("officer@demo.czinno.cn", MemberRole.OWNER)],
    },
    {
        "code17": "12140400MB1734562", "name_zh": "长治学院分析测试中心",
        "name_en": "Changzhi University Analysis and Testing Centre",
        "kind": OrganizationKind.UNIVERSITY, "industry": "P", "district_code": "140403",
        "size": OrganizationSize.MEDIUM, "status": VerificationStatus.VERIFIED,
        "description": "拥有扫描电镜、X射线衍射仪、液相色谱-质谱联用仪等大型仪器，面向社会开放共享。",
        "address": "长治市潞州区城北东街73号", "actual_controller": "长治学院",
        "members": [("lab@demo.czinno.cn", MemberRole.OWNER)],
    },
    {
        "code17": "12140400MB1826378", "name_zh": "上党新材料研究院",
        "name_en": "Shangdang Institute of New Materials",
        "kind": OrganizationKind.UNIVERSITY, "industry": "M", "district_code": "140404401",
        "size": OrganizationSize.SMALL, "status": VerificationStatus.VERIFIED,
        "description": "聚焦煤基新材料、碳纤维复合材料与光伏材料的中试与检测，提供专利技术转让。",
        "address": "上党经济技术开发区创新大道", "actual_controller": "长治市人民政府国有资产监督管理委员会",
        "members": [("lab@demo.czinno.cn", MemberRole.MEMBER)],
    },
    {
        "code17": "91140400MA0K7U2X3", "name_zh": "长治市太行精密机械有限公司",
        "name_en": "Changzhi Taihang Precision Machinery Co., Ltd.",
        "kind": OrganizationKind.ENTERPRISE, "industry": "C", "district_code": "140403403",
        "size": OrganizationSize.SMALL, "status": VerificationStatus.VERIFIED,
        "description": "专业生产煤矿机械液压零部件，正在开发轻量化铝合金结构件。",
        "needs": "需要扫描电镜做断口分析；寻找铝合金热处理工艺专利许可；需要约800平方米标准厂房。",
        "address": "长治经济技术开发区漳泽大道", "actual_controller": "张伟",
        "contact_phone": "0355-2021234", "members": [("sme@demo.czinno.cn", MemberRole.OWNER)],
    },
    {
        "code17": "91140423MA0L2B8C5", "name_zh": "襄垣县晋东南光电材料有限公司",
        "name_en": "Xiangyuan Jindongnan Optoelectronic Materials Co., Ltd.",
        "kind": OrganizationKind.ENTERPRISE, "industry": "C", "district_code": "140423402",
        "size": OrganizationSize.MICRO, "status": VerificationStatus.VERIFIED,
        "description": "研发LED用氮化镓外延材料。",
        "needs": "需要X射线衍射与光致发光测试；希望与高校联合开发外延工艺。",
        "address": "襄垣经济技术开发区", "actual_controller": "郭建华",
        "members": [("sme@demo.czinno.cn", MemberRole.MEMBER)],
    },
    {
        "code17": "91140404MA0M5D6E7", "name_zh": "长治上党产业园运营管理有限公司",
        "name_en": "Changzhi Shangdang Industrial Park Operations Co., Ltd.",
        "kind": OrganizationKind.PARK, "industry": "L", "district_code": "140404401",
        "size": OrganizationSize.MEDIUM, "status": VerificationStatus.VERIFIED,
        "description": "运营标准厂房、仓库与孵化器工位，提供政策咨询与招商服务。",
        "address": "上党经济技术开发区园区路1号", "actual_controller": "长治市上党区国有资本投资运营有限公司",
        "members": [("park@demo.czinno.cn", MemberRole.OWNER)],
    },
    {
        "code17": "92140406MA0N8F9G2", "name_zh": "潞城太行创客空间",
        "name_en": "Lucheng Taihang Makerspace",
        "kind": OrganizationKind.MAKER, "industry": "M", "district_code": "140406",
        "size": OrganizationSize.MICRO, "status": VerificationStatus.VERIFIED,
        "description": "由返乡青年组成的创客团队，做农产品智能分拣设备与3D打印原型。",
        "address": "长治市潞城区", "actual_controller": "刘洋",
        "members": [("maker@demo.czinno.cn", MemberRole.OWNER)],
    },
    {
        "code17": "91140429MA0P3H4J6", "name_zh": "武乡县红星食品科技有限公司",
        "name_en": "Wuxiang Hongxing Food Technology Co., Ltd.",
        "kind": OrganizationKind.ENTERPRISE, "industry": "C", "district_code": "140429400",
        "size": OrganizationSize.SMALL, "status": VerificationStatus.PENDING,
        "description": "小米深加工与功能食品研发。",
        "needs": "需要液相色谱检测营养成分；寻找食品保鲜技术。",
        "address": "武乡经济技术开发区", "actual_controller": "陈杰",
        "members": [("newcomer@demo.czinno.cn", MemberRole.OWNER)],
    },
]


def _upsert_user(email: str, name: str, role: SiteRole) -> tuple[User, bool]:
    user = db.session.scalar(sa.select(User).where(User.email == email))
    created = user is None
    if created:
        user = User(email=email, display_name=name, locale="zh_CN")
        user.set_password(DEMO_PASSWORD)
        db.session.add(user)
    user.display_name = name
    user.site_role = role
    user.is_active = True
    return user, created


def load_demo() -> dict[str, int]:
    """Create or refresh the demo; returns counts of what was created."""
    users: dict[str, User] = {}
    created_users = 0
    for email, name, role in DEMO_USERS:
        users[email], created = _upsert_user(email, name, role)
        created_users += created
    db.session.flush()
    officer = users["officer@demo.czinno.cn"]

    created_orgs = 0
    for spec in DEMO_ORGANIZATIONS:
        spec = dict(spec)
        members = spec.pop("members")
        code = complete(spec.pop("code17"))
        status = spec.pop("status")
        org = db.session.scalar(sa.select(Organization).where(Organization.credit_code == code))
        if org is None:
            org = Organization(credit_code=code, status=status, **spec)
            db.session.add(org)
            created_orgs += 1
            if status == VerificationStatus.VERIFIED:
                org.verify(officer, utcnow())
        else:
            for key, value in spec.items():
                setattr(org, key, value)
        for email, role in members:
            user = users[email]
            if not any(m.user_id == user.id for m in org.memberships):
                org.memberships.append(Membership(user=user, role=role))
    db.session.flush()
    return {"users_created": created_users, "organizations_created": created_orgs,
            "users": len(DEMO_USERS), "organizations": len(DEMO_ORGANIZATIONS)}
