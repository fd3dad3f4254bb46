"""The Changzhi demo: organisations of every kind, one account per role.

``load_demo()`` is idempotent: accounts are matched by e-mail and organisations by credit code,
so running it again refreshes the demo instead of duplicating it. It also loads the catalogue of
listings (``marketplace.demo_catalogue``). The names are invented; the districts and development
zones are real.
"""

from __future__ import annotations

import sqlalchemy as sa

from marketplace.auth.models import SiteRole, User
from marketplace.demo_catalogue import load_demo_catalogue
from marketplace.demo_campaigns import load_demo_campaigns
from marketplace.demo_payments import load_demo_payments
from marketplace.demo_vouchers import load_demo_vouchers
from marketplace.demo_conversations import load_demo_conversations
from marketplace.demo_licence_fees import load_demo_licence_fees
from marketplace.demo_licensing import load_demo_licensing
from marketplace.demo_matching import load_demo_matching
from marketplace.demo_needs import load_demo_needs
from marketplace import demo_integrity, demo_moderation, demo_statistics
from marketplace.demo_spaces import load_demo_spaces
from marketplace.extensions import db, utcnow
from marketplace.organizations.credit_code import complete
from marketplace.organizations.models import (
    MemberRole,
    Membership,
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
    # --- more providers, so that the demo catalogue (marketplace/demo_catalogue.py) has
    # plausible owners: testing centres and institutes, parks in the development zones,
    # enterprises of Changzhi's industries and maker teams
    {
        "code17": "12140400MB1945817", "name_zh": "长治市产品质量检验检测研究院",
        "name_en": "Changzhi Institute of Product Quality Inspection and Testing",
        "kind": OrganizationKind.UNIVERSITY, "industry": "M", "district_code": "140403",
        "size": OrganizationSize.MEDIUM, "status": VerificationStatus.VERIFIED,
        "description": "CMA/CNAS 资质的综合性检验检测机构，承担金属材料力学性能、无损检测、"
                       "重金属与有害元素分析等检验业务，大型仪器对中小企业开放共享。",
        "address": "长治市潞州区英雄南路", "actual_controller": "长治市市场监督管理局",
        "members": [("lab@demo.czinno.cn", MemberRole.OWNER)],
    },
    {
        "code17": "12140400MB2063491", "name_zh": "太行医药生物技术研究院",
        "name_en": "Taihang Institute of Pharmaceutical Biotechnology",
        "kind": OrganizationKind.UNIVERSITY, "industry": "M", "district_code": "140403",
        "size": OrganizationSize.SMALL, "status": VerificationStatus.VERIFIED,
        "description": "面向中药材精深加工与生物医药企业，开展党参、连翘等道地药材的活性成分研究，"
                       "细胞与分子生物学平台对外开放。",
        "address": "长治市潞州区解放东街", "actual_controller": "长治市科学技术局",
        "members": [("lab@demo.czinno.cn", MemberRole.OWNER)],
    },
    {
        "code17": "12140400MB2157738", "name_zh": "长治机电职业技术学院智能制造实训中心",
        "name_en": "Changzhi Vocational College of Mechatronics – Intelligent Manufacturing Centre",
        "kind": OrganizationKind.UNIVERSITY, "industry": "P", "district_code": "140403403",
        "size": OrganizationSize.MEDIUM, "status": VerificationStatus.VERIFIED,
        "description": "省级高水平专业群实训基地，拥有金属3D打印、五轴加工、三维扫描等设备，"
                       "为本地装备制造企业提供样件试制与技能培训。",
        "address": "长治经济技术开发区职教园区", "actual_controller": "长治机电职业技术学院",
        "members": [("lab@demo.czinno.cn", MemberRole.OWNER)],
    },
    {
        "code17": "12140405MB0327654", "name_zh": "长治煤化工技术研究院",
        "name_en": "Changzhi Coal Chemical Technology Research Institute",
        "kind": OrganizationKind.UNIVERSITY, "industry": "M", "district_code": "140405403",
        "size": OrganizationSize.SMALL, "status": VerificationStatus.VERIFIED,
        "description": "围绕煤焦油深加工、煤基炭材料和焦化废水治理开展中试研究，"
                       "提供煤质分析、催化剂评价和炭材料表征服务。",
        "address": "屯留经济技术开发区康庄工业园", "actual_controller": "长治市屯留区人民政府",
        "members": [("lab@demo.czinno.cn", MemberRole.OWNER)],
    },
    {
        "code17": "12140400MB2248163", "name_zh": "长治市半导体照明产品质量检验中心",
        "name_en": "Changzhi Semiconductor Lighting Product Quality Testing Centre",
        "kind": OrganizationKind.UNIVERSITY, "industry": "M", "district_code": "140403403",
        "size": OrganizationSize.SMALL, "status": VerificationStatus.VERIFIED,
        "description": "服务长治LED与光电产业集群，开展LED光色电参数、可靠性、电磁兼容（EMC）"
                       "和光致发光测试。",
        "address": "长治经济技术开发区光电产业园", "actual_controller": "长治市市场监督管理局",
        "members": [("lab@demo.czinno.cn", MemberRole.OWNER)],
    },
    {
        "code17": "12140404MB0381529", "name_zh": "上党中药材与农产品检测研究所",
        "name_en": "Shangdang Institute for Testing Medicinal Herbs and Farm Produce",
        "kind": OrganizationKind.UNIVERSITY, "industry": "M", "district_code": "140404",
        "size": OrganizationSize.SMALL, "status": VerificationStatus.VERIFIED,
        "description": "开展潞党参、连翘、小米等特色农产品的品质、农残与重金属检测，"
                       "为合作社和食品企业提供检测与工艺研发服务。",
        "address": "长治市上党区韩店镇", "actual_controller": "长治市农业农村局",
        "members": [("lab@demo.czinno.cn", MemberRole.OWNER)],
    },
    {
        "code17": "91140404MA0Q6R7T1", "name_zh": "长治华耀光伏科技有限公司",
        "name_en": "Changzhi Huayao Photovoltaic Technology Co., Ltd.",
        "kind": OrganizationKind.ENTERPRISE, "industry": "C", "district_code": "140404401",
        "size": OrganizationSize.MEDIUM, "status": VerificationStatus.VERIFIED,
        "description": "高效晶硅太阳能电池与光伏组件制造，建有组件可靠性实验室。",
        "needs": "需要XPS和椭偏测试钝化膜；寻找钙钛矿叠层电池合作开发团队。",
        "address": "上党经济技术开发区光伏产业园", "actual_controller": "王建军",
        "members": [("sme@demo.czinno.cn", MemberRole.OWNER)],
    },
    {
        "code17": "91140400MA0R2W5K8", "name_zh": "山西晋潞新能源汽车零部件有限公司",
        "name_en": "Shanxi Jinlu New Energy Vehicle Parts Co., Ltd.",
        "kind": OrganizationKind.ENTERPRISE, "industry": "C", "district_code": "140403403",
        "size": OrganizationSize.MEDIUM, "status": VerificationStatus.VERIFIED,
        "description": "生产新能源汽车电池包铝合金箱体、电机壳体和液冷板。",
        "needs": "需要疲劳试验和三坐标检测；寻找搅拌摩擦焊工艺专家。",
        "address": "长治经济技术开发区汽车零部件产业园", "actual_controller": "李志强",
        "members": [("sme@demo.czinno.cn", MemberRole.OWNER)],
    },
    {
        "code17": "91140403MA0T4X6L9", "name_zh": "长治市上党检测技术服务有限公司",
        "name_en": "Changzhi Shangdang Testing Services Co., Ltd.",
        "kind": OrganizationKind.ENTERPRISE, "industry": "M", "district_code": "140403",
        "size": OrganizationSize.SMALL, "status": VerificationStatus.VERIFIED,
        "description": "第三方检测机构（CMA），提供失效分析、盐雾与环境可靠性试验、合金成分快速分析。",
        "needs": "希望与高校共建失效分析联合实验室。",
        "address": "长治市潞州区长兴中路", "actual_controller": "赵丽",
        "members": [("sme@demo.czinno.cn", MemberRole.OWNER)],
    },
    {
        "code17": "91140431MA0U8Y2M3", "name_zh": "沁源县绿源环保科技有限公司",
        "name_en": "Qinyuan Lüyuan Environmental Technology Co., Ltd.",
        "kind": OrganizationKind.ENTERPRISE, "industry": "N", "district_code": "140431400",
        "size": OrganizationSize.SMALL, "status": VerificationStatus.VERIFIED,
        "description": "焦化废水、矿井水处理与环境监测运维服务。",
        "needs": "需要GC-MS分析焦化废水有机物；寻找低温SCR脱硝催化剂技术。",
        "address": "沁源经济技术开发区", "actual_controller": "韩志刚",
        "members": [("sme@demo.czinno.cn", MemberRole.OWNER)],
    },
    {
        "code17": "91140428MA0W3A4N5", "name_zh": "长子县捷诺智能装备有限公司",
        "name_en": "Zhangzi Jienuo Intelligent Equipment Co., Ltd.",
        "kind": OrganizationKind.ENTERPRISE, "industry": "C", "district_code": "140428400",
        "size": OrganizationSize.SMALL, "status": VerificationStatus.VERIFIED,
        "description": "煤矿巡检机器人、AGV和非标自动化产线集成。",
        "needs": "需要EMC预测试和防爆认证咨询；需要激光切割外协。",
        "address": "长子经济技术开发区", "actual_controller": "牛晓东",
        "members": [("sme@demo.czinno.cn", MemberRole.OWNER)],
    },
    {
        "code17": "91140427MA0X5B6P7", "name_zh": "壶关县太行潞参中药饮片有限公司",
        "name_en": "Huguan Taihang Lushen Herbal Pieces Co., Ltd.",
        "kind": OrganizationKind.ENTERPRISE, "industry": "C", "district_code": "140427401",
        "size": OrganizationSize.SMALL, "status": VerificationStatus.VERIFIED,
        "description": "潞党参、连翘、黄芩等道地药材的产地加工与中药饮片生产。",
        "needs": "需要液相色谱测定党参炔苷；希望引进趁鲜切制与低温干燥技术。",
        "address": "壶关县经济技术开发区", "actual_controller": "秦国庆",
        "members": [("sme@demo.czinno.cn", MemberRole.OWNER)],
    },
    {
        "code17": "91140430MA0Y7C8Q2", "name_zh": "沁县谷丰小米食品有限公司",
        "name_en": "Qinxian Gufeng Millet Foods Co., Ltd.",
        "kind": OrganizationKind.ENTERPRISE, "industry": "C", "district_code": "140430",
        "size": OrganizationSize.SMALL, "status": VerificationStatus.VERIFIED,
        "description": "沁县小米种植、加工与即食小米产品开发。",
        "needs": "需要营养成分检测；寻找小米粉速溶和常温保鲜技术。",
        "address": "沁县定昌镇", "actual_controller": "郝文斌",
        "members": [("sme@demo.czinno.cn", MemberRole.OWNER)],
    },
    {
        "code17": "91140426MA0K9D2R4", "name_zh": "黎城县宏泰液压机械有限公司",
        "name_en": "Licheng Hongtai Hydraulic Machinery Co., Ltd.",
        "kind": OrganizationKind.ENTERPRISE, "industry": "C", "district_code": "140426400",
        "size": OrganizationSize.SMALL, "status": VerificationStatus.VERIFIED,
        "description": "煤矿液压支架立柱、千斤顶与电液控制阀的制造与再制造。",
        "needs": "需要液压阀性能试验台；寻找激光熔覆再制造技术。",
        "address": "黎城县经济技术开发区", "actual_controller": "申海平",
        "members": [("sme@demo.czinno.cn", MemberRole.OWNER)],
    },
    {
        "code17": "91140405MA0L4E5T6", "name_zh": "长治市屯留区华晟碳材料科技有限公司",
        "name_en": "Tunliu Huasheng Carbon Materials Technology Co., Ltd.",
        "kind": OrganizationKind.ENTERPRISE, "industry": "C", "district_code": "140405403",
        "size": OrganizationSize.SMALL, "status": VerificationStatus.VERIFIED,
        "description": "以煤焦油沥青和无烟煤为原料生产针状焦、煤基活性炭和超级电容炭。",
        "needs": "需要比表面积（BET）和拉曼表征；寻找储能炭材料下游合作伙伴。",
        "address": "屯留经济技术开发区", "actual_controller": "常海燕",
        "members": [("sme@demo.czinno.cn", MemberRole.OWNER)],
    },
    {
        "code17": "91140403MA0M6F7U8", "name_zh": "长治经开区科创城运营管理有限公司",
        "name_en": "Changzhi ETDZ Sci-Tech City Operations Co., Ltd.",
        "kind": OrganizationKind.PARK, "industry": "L", "district_code": "140403403",
        "size": OrganizationSize.SMALL, "status": VerificationStatus.VERIFIED,
        "description": "运营科创城孵化器、研发办公楼和公共中试实验室，为入驻团队提供工商注册、"
                       "科技政策和创新券申报服务。",
        "address": "长治经济技术开发区科创城", "actual_controller": "长治经济技术开发区管理委员会",
        "members": [("park@demo.czinno.cn", MemberRole.OWNER)],
    },
    {
        "code17": "91140406MA0N2G3W4", "name_zh": "潞城经开区产业园投资开发有限公司",
        "name_en": "Lucheng ETDZ Industrial Park Investment and Development Co., Ltd.",
        "kind": OrganizationKind.PARK, "industry": "L", "district_code": "140406400",
        "size": OrganizationSize.MEDIUM, "status": VerificationStatus.VERIFIED,
        "description": "潞城经开区标准化厂房、物流仓储和双创孵化基地的投资建设与运营。",
        "address": "潞城经济技术开发区", "actual_controller": "长治市潞城区人民政府",
        "members": [("park@demo.czinno.cn", MemberRole.OWNER)],
    },
    {
        "code17": "91140405MA0P4H5X6", "name_zh": "屯留经开区标准化厂房建设运营有限公司",
        "name_en": "Tunliu ETDZ Standard Factory Operations Co., Ltd.",
        "kind": OrganizationKind.PARK, "industry": "L", "district_code": "140405403",
        "size": OrganizationSize.SMALL, "status": VerificationStatus.VERIFIED,
        "description": "屯留经开区新能源与新材料产业标准化厂房招商运营。",
        "address": "屯留经济技术开发区", "actual_controller": "长治市屯留区人民政府",
        "members": [("park@demo.czinno.cn", MemberRole.OWNER)],
    },
    {
        "code17": "91140423MA0Q8J9Y2", "name_zh": "襄垣经开区智造产业园管理有限公司",
        "name_en": "Xiangyuan ETDZ Smart Manufacturing Park Management Co., Ltd.",
        "kind": OrganizationKind.PARK, "industry": "L", "district_code": "140423402",
        "size": OrganizationSize.SMALL, "status": VerificationStatus.VERIFIED,
        "description": "襄垣经开区光电与装备制造产业园的厂房、仓库出租和企业服务。",
        "address": "襄垣经济技术开发区", "actual_controller": "襄垣县人民政府",
        "members": [("park@demo.czinno.cn", MemberRole.OWNER)],
    },
    {
        "code17": "91140428MA0R3K4A5", "name_zh": "长子经开区产业发展有限公司",
        "name_en": "Zhangzi ETDZ Industrial Development Co., Ltd.",
        "kind": OrganizationKind.PARK, "industry": "L", "district_code": "140428400",
        "size": OrganizationSize.SMALL, "status": VerificationStatus.VERIFIED,
        "description": "长子经开区装备制造园和研发楼的建设运营。",
        "address": "长子经济技术开发区", "actual_controller": "长子县人民政府",
        "members": [("park@demo.czinno.cn", MemberRole.OWNER)],
    },
    {
        "code17": "91140429MA0T6L7B8", "name_zh": "武乡经开区农产品加工物流园管理有限公司",
        "name_en": "Wuxiang ETDZ Agri-Food Processing and Logistics Park Co., Ltd.",
        "kind": OrganizationKind.PARK, "industry": "L", "district_code": "140429400",
        "size": OrganizationSize.SMALL, "status": VerificationStatus.VERIFIED,
        "description": "运营农产品加工厂房、冷库和农村电商孵化中心。",
        "address": "武乡经济技术开发区", "actual_controller": "武乡县人民政府",
        "members": [("park@demo.czinno.cn", MemberRole.OWNER)],
    },
    {
        "code17": "91140404MA0W2N3D4", "name_zh": "长治经开区上党片区产业园运营有限公司",
        "name_en": "Changzhi ETDZ Shangdang Section Industrial Park Co., Ltd.",
        "kind": OrganizationKind.PARK, "industry": "L", "district_code": "140404406",
        "size": OrganizationSize.SMALL, "status": VerificationStatus.VERIFIED,
        "description": "长治经开区上党区部分的智能制造产业园和仓储物流园运营。",
        "address": "长治市经济技术开发区上党区部分", "actual_controller": "长治经济技术开发区管理委员会",
        "members": [("park@demo.czinno.cn", MemberRole.OWNER)],
    },
    {
        "code17": "91140426MA0X4P5E6", "name_zh": "黎城经开区产业园服务有限公司",
        "name_en": "Licheng ETDZ Industrial Park Services Co., Ltd.",
        "kind": OrganizationKind.PARK, "industry": "L", "district_code": "140426400",
        "size": OrganizationSize.MICRO, "status": VerificationStatus.VERIFIED,
        "description": "黎城经开区标准厂房和企业服务中心的运营。",
        "address": "黎城县经济技术开发区", "actual_controller": "黎城县人民政府",
        "members": [("park@demo.czinno.cn", MemberRole.OWNER)],
    },
    {
        "code17": "92140403MA0Y6Q7F8", "name_zh": "潞州区青创智造工作室",
        "name_en": "Luzhou Youth Smart Making Studio",
        "kind": OrganizationKind.MAKER, "industry": "I", "district_code": "140403",
        "size": OrganizationSize.MICRO, "status": VerificationStatus.VERIFIED,
        "description": "本地高校毕业生组成的硬件创客团队，做光伏清扫机器人和工业物联网传感器。",
        "address": "长治经济技术开发区科创城", "actual_controller": "邢宇航",
        "members": [("maker@demo.czinno.cn", MemberRole.OWNER)],
    },
    {
        "code17": "92140405MA0K2R3G4", "name_zh": "屯留区飞手无人机植保创客团队",
        "name_en": "Tunliu Feishou Drone Crop Protection Makers",
        "kind": OrganizationKind.MAKER, "industry": "A", "district_code": "140405",
        "size": OrganizationSize.MICRO, "status": VerificationStatus.VERIFIED,
        "description": "为谷子、玉米种植户提供无人机植保服务，研发变量喷洒控制器。",
        "address": "长治市屯留区麟绛镇", "actual_controller": "段小龙",
        "members": [("maker@demo.czinno.cn", MemberRole.OWNER)],
    },
    {
        "code17": "92140425MA0L5T6H7", "name_zh": "平顺县太行山货电商创客团队",
        "name_en": "Pingshun Taihang Mountain Produce E-commerce Makers",
        "kind": OrganizationKind.MAKER, "industry": "F", "district_code": "140425",
        "size": OrganizationSize.MICRO, "status": VerificationStatus.VERIFIED,
        "description": "返乡青年团队，做潞党参、花椒和旱地小杂粮的品牌与直播电商。",
        "address": "平顺县青羊镇", "actual_controller": "岳晓婷",
        "members": [("maker@demo.czinno.cn", MemberRole.OWNER)],
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
    organizations: dict[str, Organization] = {}
    for spec in DEMO_ORGANIZATIONS:
        spec = dict(spec)
        members = spec.pop("members")
        code17 = spec.pop("code17")
        code = complete(code17)
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
        organizations[code17] = org
    db.session.flush()
    # the catalogue of listings, entered by the programme office on behalf of the providers
    catalogue = load_demo_catalogue(organizations, creator=officer)
    db.session.flush()
    # the voucher programme, quotas, bookings in every state and a paid reimbursement batch
    vouchers = load_demo_vouchers(users, organizations)
    db.session.flush()
    payments = load_demo_payments(users, organizations)
    db.session.flush()
    campaigns = load_demo_campaigns(users, organizations)
    db.session.flush()
    # step 5: needs, licensing, leasing, conversations and reviews
    deals: dict[str, int] = {}
    for load in (load_demo_needs, load_demo_licensing, load_demo_licence_fees, load_demo_spaces,
                 load_demo_conversations):
        deals.update(load(users, organizations))
        db.session.flush()
    # step 6: views and feedback for the recommender, after everything they could be about
    deals.update(load_demo_matching(users, organizations))
    db.session.flush()
    # step 7: integrity signals and a case, a take-down with its appeal, recommendation clicks
    for module in (demo_integrity, demo_moderation, demo_statistics):
        deals.update(module.load(users, organizations))
        db.session.flush()
    return {"users_created": created_users, "organizations_created": created_orgs,
            "users": len(DEMO_USERS), "organizations": len(DEMO_ORGANIZATIONS), **catalogue,
            **vouchers, **payments, **campaigns, **deals}
