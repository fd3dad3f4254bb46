"""The demo catalogue: shared instruments, technologies, spaces and 三筹 campaigns of Changzhi.

``load_demo_catalogue()`` is deterministic and idempotent: a listing is matched by its
organisation and Chinese title, so loading again refreshes it instead of adding a copy. The owners
are organisations of ``marketplace.demo.DEMO_ORGANIZATIONS`` (looked up by the first 17 characters
of their credit code). Names of organisations and people are invented; districts, development
zones, instrument models, IPC classes and industries are real. Money is integer fen, areas whole
m², opening hours Asia/Shanghai local time (0 = Monday).

Closed dates are the 2027 public holidays as expected from the lunar calendar (Spring Festival
6 February 2027); the State Council publishes the official schedule late in the year before.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa

from listings.models import (
    Campaign,
    ExpertiseNeed,
    Instrument,
    InstrumentCategory,
    LegalStatus,
    LicensingMode,
    Listing,
    ListingStatus,
    PatentType,
    ResourceNeed,
    RewardTier,
    Space,
    SpaceType,
    Technology,
)
from listings.patents import normalize_patent_number
from marketplace.auth.models import User
from marketplace.extensions import db, utcnow
from marketplace.organizations.models import Organization

# ---------------------------------------------------------------------------------------------
# owners (credit codes without the check character, as in DEMO_ORGANIZATIONS)
CZU_LAB = "12140400MB1734562"  # 长治学院分析测试中心
SD_MATERIALS = "12140400MB1826378"  # 上党新材料研究院
QUALITY = "12140400MB1945817"  # 长治市产品质量检验检测研究院
PHARMA = "12140400MB2063491"  # 太行医药生物技术研究院
VOCATIONAL = "12140400MB2157738"  # 长治机电职业技术学院智能制造实训中心
COAL_INST = "12140405MB0327654"  # 长治煤化工技术研究院
LED_CENTRE = "12140400MB2248163"  # 长治市半导体照明产品质量检验中心
AGRI_LAB = "12140404MB0381529"  # 上党中药材与农产品检测研究所

TAIHANG_MACH = "91140400MA0K7U2X3"  # 长治市太行精密机械有限公司
OPTO = "91140423MA0L2B8C5"  # 襄垣县晋东南光电材料有限公司
HONGXING = "91140429MA0P3H4J6"  # 武乡县红星食品科技有限公司 (awaiting verification)
SOLAR = "91140404MA0Q6R7T1"  # 长治华耀光伏科技有限公司
AUTO_PARTS = "91140400MA0R2W5K8"  # 山西晋潞新能源汽车零部件有限公司
TESTING_CO = "91140403MA0T4X6L9"  # 长治市上党检测技术服务有限公司
ENVIRO = "91140431MA0U8Y2M3"  # 沁源县绿源环保科技有限公司
JIENUO = "91140428MA0W3A4N5"  # 长子县捷诺智能装备有限公司
LUSHEN = "91140427MA0X5B6P7"  # 壶关县太行潞参中药饮片有限公司
MILLET = "91140430MA0Y7C8Q2"  # 沁县谷丰小米食品有限公司
HYDRAULIC = "91140426MA0K9D2R4"  # 黎城县宏泰液压机械有限公司
CARBON = "91140405MA0L4E5T6"  # 长治市屯留区华晟碳材料科技有限公司

SHANGDANG_PARK = "91140404MA0M5D6E7"  # 长治上党产业园运营管理有限公司
SCITECH_CITY = "91140403MA0M6F7U8"  # 长治经开区科创城运营管理有限公司
LUCHENG_PARK = "91140406MA0N2G3W4"  # 潞城经开区产业园投资开发有限公司
TUNLIU_PARK = "91140405MA0P4H5X6"  # 屯留经开区标准化厂房建设运营有限公司
XIANGYUAN_PARK = "91140423MA0Q8J9Y2"  # 襄垣经开区智造产业园管理有限公司
ZHANGZI_PARK = "91140428MA0R3K4A5"  # 长子经开区产业发展有限公司
WUXIANG_PARK = "91140429MA0T6L7B8"  # 武乡经开区农产品加工物流园管理有限公司
ETDZ_SHANGDANG = "91140404MA0W2N3D4"  # 长治经开区上党片区产业园运营有限公司
LICHENG_PARK = "91140426MA0X4P5E6"  # 黎城经开区产业园服务有限公司

LUCHENG_MAKERS = "92140406MA0N8F9G2"  # 潞城太行创客空间
YOUTH_STUDIO = "92140403MA0Y6Q7F8"  # 潞州区青创智造工作室
DRONE_MAKERS = "92140405MA0K2R3G4"  # 屯留区飞手无人机植保创客团队
PINGSHUN_MAKERS = "92140425MA0L5T6H7"  # 平顺县太行山货电商创客团队

# Contact person, phone and e-mail shown on each organisation's listings.
CONTACTS = {
    CZU_LAB: ("李老师", "0355-2178301", "fxcs@demo.czinno.cn"),
    SD_MATERIALS: ("郭工", "0355-8863120", "sdxcl@demo.czinno.cn"),
    QUALITY: ("王工", "0355-2035618", "zjy@demo.czinno.cn"),
    PHARMA: ("苗老师", "0355-3021875", "tyyy@demo.czinno.cn"),
    VOCATIONAL: ("常老师", "0355-5087261", "znzz@demo.czinno.cn"),
    COAL_INST: ("史工", "0355-7736402", "mhg@demo.czinno.cn"),
    LED_CENTRE: ("冯工", "0355-5093317", "led@demo.czinno.cn"),
    AGRI_LAB: ("贾老师", "0355-8821406", "ncp@demo.czinno.cn"),
    TAIHANG_MACH: ("张伟", "0355-2021234", "taihang@demo.czinno.cn"),
    OPTO: ("郭建华", "0355-7211588", "gdcl@demo.czinno.cn"),
    HONGXING: ("陈杰", "0355-6312207", "hongxing@demo.czinno.cn"),
    SOLAR: ("王建军", "0355-8879925", "huayao@demo.czinno.cn"),
    AUTO_PARTS: ("李志强", "0355-5061733", "jinlu@demo.czinno.cn"),
    TESTING_CO: ("赵丽", "0355-2150896", "sdjc@demo.czinno.cn"),
    ENVIRO: ("韩志刚", "0355-4568312", "lvyuan@demo.czinno.cn"),
    JIENUO: ("牛晓东", "0355-6451029", "jienuo@demo.czinno.cn"),
    LUSHEN: ("秦国庆", "0355-3362517", "lushen@demo.czinno.cn"),
    MILLET: ("郝文斌", "0355-7028143", "gufeng@demo.czinno.cn"),
    HYDRAULIC: ("申海平", "0355-6627390", "hongtai@demo.czinno.cn"),
    CARBON: ("常海燕", "0355-7745218", "huasheng@demo.czinno.cn"),
    SHANGDANG_PARK: ("王芳", "0355-8860001", "sdpark@demo.czinno.cn"),
    SCITECH_CITY: ("程经理", "0355-5090566", "kcc@demo.czinno.cn"),
    LUCHENG_PARK: ("武经理", "0355-6038812", "lcpark@demo.czinno.cn"),
    TUNLIU_PARK: ("杨经理", "0355-7721635", "tlpark@demo.czinno.cn"),
    XIANGYUAN_PARK: ("连经理", "0355-7268450", "xypark@demo.czinno.cn"),
    ZHANGZI_PARK: ("暴经理", "0355-6408237", "zzpark@demo.czinno.cn"),
    WUXIANG_PARK: ("魏经理", "0355-6377029", "wxpark@demo.czinno.cn"),
    ETDZ_SHANGDANG: ("路经理", "0355-8890715", "sdpq@demo.czinno.cn"),
    LICHENG_PARK: ("申经理", "0355-6829140", "lcyq@demo.czinno.cn"),
    LUCHENG_MAKERS: ("刘洋", "0355-6031178", "ckkj@demo.czinno.cn"),
    YOUTH_STUDIO: ("邢宇航", "0355-5098264", "qczz@demo.czinno.cn"),
    DRONE_MAKERS: ("段小龙", "0355-7709351", "feishou@demo.czinno.cn"),
    PINGSHUN_MAKERS: ("岳晓婷", "0355-8572406", "shanhuo@demo.czinno.cn"),
}

# ---------------------------------------------------------------------------------------------
# opening hours (0 = Monday, Asia/Shanghai) and closed dates
def _week(spans: list[list[str]], days: str = "01234", saturday: list[list[str]] | None = None
          ) -> dict[str, list[list[str]]]:
    hours = {day: [list(span) for span in spans] for day in days}
    if saturday:
        hours["5"] = [list(span) for span in saturday]
    return hours


OFFICE_HOURS = _week([["08:30", "12:00"], ["14:30", "17:30"]])
OFFICE_HOURS_SAT = _week([["08:30", "12:00"], ["14:30", "17:30"]], saturday=[["09:00", "12:00"]])
LONG_HOURS = _week([["08:00", "12:00"], ["13:30", "21:30"]], saturday=[["08:30", "17:30"]])
WORKSHOP_HOURS = _week([["08:00", "12:00"], ["13:00", "17:00"]], days="012345")
BIO_HOURS = _week([["09:00", "17:00"]])
ROUND_THE_CLOCK = _week([["00:00", "23:59"]], days="0123456")  # chambers that run unattended

HOLIDAYS_2027 = [
    "2027-01-01",
    "2027-02-05", "2027-02-06", "2027-02-07", "2027-02-08", "2027-02-09", "2027-02-10",
    "2027-02-11",  # Spring Festival (春节)
    "2027-04-05",  # Qingming (清明节)
    "2027-05-01", "2027-05-02", "2027-05-03", "2027-05-04", "2027-05-05",  # Labour Day
    "2027-06-09",  # Dragon Boat Festival (端午节)
    "2027-09-15",  # Mid-Autumn Festival (中秋节)
    "2027-10-01", "2027-10-02", "2027-10-03", "2027-10-04", "2027-10-05", "2027-10-06",
    "2027-10-07",  # National Day (国庆节)
]


def _closed(*extra: str) -> list[str]:
    return sorted(set(HOLIDAYS_2027) | set(extra))


def _yuan(amount: float) -> int:
    return round(amount * 100)


def patent_number(first12: str) -> str:
    """The canonical application number with its check digit (CNIPA: weights 2–9, 2–5, mod 11)."""
    weights = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
    check = sum(int(d) * w for d, w in zip(first12, weights, strict=True)) % 11
    return normalize_patent_number(f"{first12}.{'X' if check == 10 else check}",
                                   today=date(2026, 11, 26))


# ---------------------------------------------------------------------------------------------
# shared instruments
INSTRUMENTS: list[dict] = [
    # --- electron and optical microscopy
    dict(
        org=CZU_LAB, category=InstrumentCategory.ELECTRON_MICROSCOPY,
        title_zh="场发射扫描电子显微镜 Hitachi SU8010",
        title_en="Field-emission scanning electron microscope (Hitachi SU8010)",
        summary_zh="冷场发射扫描电镜，分辨率1.0 nm（15 kV），配牛津X-Max能谱仪，"
                   "适合金属断口分析、粉体与涂层形貌观察及微区成分分析。",
        summary_en="Cold field-emission SEM with 1.0 nm resolution and Oxford EDS, for fracture "
                   "analysis, powder and coating morphology and micro-area composition.",
        manufacturer="日立 Hitachi", model_name="SU8010", year_made=2016,
        capabilities="二次电子像、背散射电子像；EDS点扫、线扫、面扫；断口分析、失效分析；"
                     "纳米材料形貌；镀层与涂层厚度测量。",
        sample_requirements="块体样品不大于Φ50 mm×20 mm；须干燥、无磁性或弱磁性；"
                            "不导电样品需喷金或喷碳（可代为处理，另收费）。",
        lab_location="长治学院分析测试中心 实验楼B座102室",
        rate_internal_fen=_yuan(200), rate_external_fen=_yuan(400),
        min_booking_minutes=60, max_booking_minutes=240, opening_hours=OFFICE_HOURS,
        closed_dates=_closed("2027-03-15", "2027-03-16"), requires_training=True,
        requires_approval=False, accepts_vouchers=True,
        tags="SEM,FE-SEM,扫描电镜,场发射,EDS,能谱,断口分析,形貌观察,创新券",
        description="本机由分析测试中心专职工程师操作，校外用户可送样测试或预约陪同上机。"
                    "独立上机须参加中心组织的操作培训并考核合格。测试结果可出具检测报告，"
                    "可使用长治市科技创新券抵扣测试费。",
    ),
    dict(
        org=SD_MATERIALS, category=InstrumentCategory.ELECTRON_MICROSCOPY,
        title_zh="热场发射扫描电镜（配EBSD）ZEISS Sigma 300",
        title_en="Field-emission SEM with EBSD (ZEISS Sigma 300)",
        summary_zh="蔡司Sigma 300热场发射扫描电镜，配EBSD与能谱，可做晶粒取向、织构和相鉴定，"
                   "服务铝合金、钢铁与碳纤维复合材料研究。",
        summary_en="ZEISS Sigma 300 FE-SEM with EBSD and EDS for grain orientation, texture and "
                   "phase identification of aluminium alloys, steels and composites.",
        manufacturer="蔡司 ZEISS", model_name="Sigma 300", year_made=2019,
        capabilities="高分辨形貌观察；EBSD晶粒取向、织构、晶界分析；EDS成分分析；"
                     "低真空模式可直接观察不导电样品。",
        sample_requirements="EBSD样品需电解抛光或离子抛光，表面无应力层；样品高度不超过15 mm。",
        lab_location="上党新材料研究院 检测楼2层电镜室",
        rate_internal_fen=_yuan(250), rate_external_fen=_yuan(480),
        min_booking_minutes=60, max_booking_minutes=300, opening_hours=OFFICE_HOURS,
        closed_dates=_closed(), requires_training=True, requires_approval=True,
        accepts_vouchers=True,
        tags="SEM,EBSD,扫描电镜,场发射,晶粒取向,织构,铝合金",
        description="EBSD测试需提前一周预约并提交样品制备说明；研究院可提供离子抛光制样服务。",
    ),
    dict(
        org=SD_MATERIALS, category=InstrumentCategory.ELECTRON_MICROSCOPY,
        title_zh="场发射透射电子显微镜 JEOL JEM-2100F",
        title_en="Field-emission transmission electron microscope (JEOL JEM-2100F)",
        summary_zh="200 kV场发射透射电镜，点分辨率0.23 nm，配STEM与能谱，"
                   "用于纳米颗粒、析出相和晶体缺陷的高分辨表征。",
        summary_en="200 kV field-emission TEM with STEM and EDS for nanoparticles, precipitates "
                   "and crystal defects.",
        manufacturer="日本电子 JEOL", model_name="JEM-2100F", year_made=2015,
        capabilities="高分辨透射像（HRTEM）、选区电子衍射、STEM-HAADF、EDS面分布。",
        sample_requirements="粉末样品需分散于铜网；块体样品需制成Φ3 mm薄片（可提供离子减薄）。",
        lab_location="上党新材料研究院 检测楼1层透射电镜室",
        rate_internal_fen=_yuan(600), rate_external_fen=_yuan(1200),
        min_booking_minutes=120, max_booking_minutes=480, opening_hours=OFFICE_HOURS,
        closed_dates=_closed("2027-07-19", "2027-07-20", "2027-07-21"),
        requires_training=True, requires_approval=True, accepts_vouchers=True,
        tags="TEM,透射电镜,HRTEM,STEM,电子衍射,纳米材料",
        description="仅限工程师操作，用户可陪同观察。每年7月下旬设备年检停机三天。",
    ),
    dict(
        org=TESTING_CO, category=InstrumentCategory.ELECTRON_MICROSCOPY,
        title_zh="钨灯丝扫描电镜 JSM-IT200（失效分析）",
        summary_zh="钨灯丝扫描电镜配能谱，主要承接零部件断口分析、焊接缺陷和腐蚀产物分析，"
                   "出具CMA失效分析报告。",
        manufacturer="日本电子 JEOL", model_name="JSM-IT200", year_made=2021,
        capabilities="断口形貌判读（疲劳、脆性、韧性断裂）；夹杂物与腐蚀产物能谱分析；"
                     "大样品室可放入Φ200 mm零件。",
        sample_requirements="零件需切割至样品台可容纳尺寸；油污需先超声清洗。",
        lab_location="上党检测 长兴中路实验室一层",
        rate_internal_fen=_yuan(150), rate_external_fen=_yuan(280),
        min_booking_minutes=60, max_booking_minutes=240, opening_hours=OFFICE_HOURS_SAT,
        closed_dates=_closed(), requires_training=False, requires_approval=False,
        accepts_vouchers=True,
        tags="SEM,扫描电镜,失效分析,断口分析,能谱,CMA",
        description="送样即可，工程师出具分析意见。加急24小时出报告加收50%。",
    ),
    dict(
        org=CZU_LAB, category=InstrumentCategory.ELECTRON_MICROSCOPY,
        title_zh="原子力显微镜 Bruker Dimension Icon",
        title_en="Atomic force microscope (Bruker Dimension Icon)",
        summary_zh="纳米级表面形貌与粗糙度测量，支持PeakForce轻敲、导电AFM和开尔文探针模式。",
        summary_en="Nanoscale surface topography and roughness; PeakForce tapping, conductive AFM "
                   "and Kelvin probe modes.",
        manufacturer="布鲁克 Bruker", model_name="Dimension Icon", year_made=2017,
        capabilities="表面粗糙度Ra/Rq、台阶高度、纳米力学性能、表面电势。",
        sample_requirements="样品表面平整，起伏小于10 μm，尺寸不超过150 mm。",
        lab_location="长治学院分析测试中心 实验楼B座105室",
        rate_internal_fen=_yuan(200), rate_external_fen=_yuan(350),
        min_booking_minutes=60, max_booking_minutes=240, opening_hours=OFFICE_HOURS,
        closed_dates=_closed(), requires_training=True, requires_approval=False,
        accepts_vouchers=True,
        tags="AFM,原子力显微镜,粗糙度,纳米形貌,薄膜",
        description="适合薄膜、外延片、抛光面等样品；测试前请说明关注的扫描范围。",
    ),
    dict(
        org=TESTING_CO, category=InstrumentCategory.ELECTRON_MICROSCOPY,
        title_zh="台式扫描电镜 Phenom XL",
        summary_zh="台式扫描电镜，抽真空不到1分钟，适合生产现场快速看颗粒、纤维和焊点形貌。",
        manufacturer="飞纳 Phenom", model_name="Phenom XL G2", year_made=2022,
        capabilities="背散射像、二次电子像；颗粒统计软件；大样品仓100 mm×100 mm。",
        sample_requirements="干燥样品；粉末需固定在导电胶上。",
        lab_location="上党检测 长兴中路实验室一层",
        rate_internal_fen=_yuan(120), rate_external_fen=_yuan(220),
        min_booking_minutes=30, max_booking_minutes=180, opening_hours=OFFICE_HOURS_SAT,
        closed_dates=_closed(), requires_training=False, requires_approval=False,
        accepts_vouchers=True,
        tags="SEM,台式电镜,颗粒形貌,焊点,快速检测",
        description="价格实惠，适合企业品控日常抽检；可按样品计费（每样品80元起）。",
    ),
    dict(
        org=QUALITY, category=InstrumentCategory.OPTICAL_MICROSCOPY,
        title_zh="倒置金相显微镜 Leica DMi8",
        title_en="Inverted metallographic microscope (Leica DMi8)",
        summary_zh="金相组织观察与评级，晶粒度、非金属夹杂物、脱碳层和渗碳层深度测定。",
        summary_en="Metallographic examination: grain size, inclusions, decarburisation and case "
                   "depth per GB/T standards.",
        manufacturer="徕卡 Leica", model_name="DMi8 M", year_made=2018,
        capabilities="GB/T 6394晶粒度、GB/T 10561夹杂物评级、GB/T 224脱碳层测定；图像分析软件。",
        sample_requirements="镶嵌、磨抛、腐蚀后的金相试样，也可委托制样。",
        lab_location="质检院 金属材料检测室",
        rate_internal_fen=_yuan(50), rate_external_fen=_yuan(100),
        min_booking_minutes=30, max_booking_minutes=240, opening_hours=OFFICE_HOURS,
        closed_dates=_closed(), requires_training=True, requires_approval=False,
        accepts_vouchers=True,
        tags="金相,金相显微镜,晶粒度,夹杂物,渗碳层,热处理",
        description="可配套提供切割、镶嵌、磨抛制样服务；热处理企业常用。",
    ),
    dict(
        org=SD_MATERIALS, category=InstrumentCategory.OPTICAL_MICROSCOPY,
        title_zh="激光共聚焦显微镜 Olympus OLS5000",
        title_en="Laser confocal microscope (Olympus OLS5000)",
        summary_zh="非接触三维形貌与表面粗糙度测量，适合机加工表面、涂层和刀具刃口检测。",
        summary_en="Non-contact 3D topography and roughness of machined surfaces, coatings and "
                   "tool edges.",
        manufacturer="奥林巴斯 Olympus", model_name="OLS5000", year_made=2020,
        capabilities="三维形貌、线粗糙度与面粗糙度（ISO 25178）、台阶高度、磨损体积。",
        sample_requirements="样品高度不超过100 mm，表面清洁。",
        lab_location="上党新材料研究院 检测楼2层",
        rate_internal_fen=_yuan(120), rate_external_fen=_yuan(250),
        min_booking_minutes=60, max_booking_minutes=240, opening_hours=OFFICE_HOURS,
        closed_dates=_closed(), requires_training=True, requires_approval=False,
        accepts_vouchers=True,
        tags="共聚焦,3D形貌,粗糙度,表面轮廓,刀具",
        description="经培训可独立上机，按实际使用时长计费。",
    ),
    dict(
        org=TESTING_CO, category=InstrumentCategory.OPTICAL_MICROSCOPY,
        title_zh="超景深三维数码显微镜 Keyence VHX-7000",
        summary_zh="20–2500倍超景深观察，适合PCB焊点、电子元器件外观和异物分析。",
        manufacturer="基恩士 Keyence", model_name="VHX-7000", year_made=2021,
        capabilities="景深合成、三维测量、大视野拼接；焊点、毛刺、划痕、异物检查。",
        sample_requirements="无特殊要求，样品尺寸不超过300 mm。",
        lab_location="上党检测 长兴中路实验室二层",
        rate_internal_fen=_yuan(80), rate_external_fen=_yuan(150),
        min_booking_minutes=30, max_booking_minutes=240, opening_hours=OFFICE_HOURS_SAT,
        closed_dates=_closed(), requires_training=False, requires_approval=False,
        accepts_vouchers=True,
        tags="超景深,三维显微镜,PCB,焊点,异物分析",
        description="可现场陪同观察，当场给出照片。",
    ),
    # --- X-ray
    dict(
        org=CZU_LAB, category=InstrumentCategory.X_RAY,
        title_zh="X射线衍射仪 Bruker D8 Advance",
        title_en="X-ray diffractometer (Bruker D8 Advance)",
        summary_zh="粉末X射线衍射物相定性与定量分析、晶粒尺寸和结晶度计算，"
                   "配LynxEye阵列探测器，常规样品每个约15分钟。",
        summary_en="Powder X-ray diffraction: phase identification and quantification, "
                   "crystallite size and crystallinity; LynxEye detector.",
        manufacturer="布鲁克 Bruker", model_name="D8 Advance", year_made=2014,
        capabilities="物相鉴定（PDF-4数据库）、Rietveld全谱拟合定量、残余奥氏体测定、"
                     "晶粒尺寸、结晶度；可选高温附件（至1200 ℃）。",
        sample_requirements="粉末约0.5 g，粒度小于45 μm（约320目）；块体样品表面平整。",
        lab_location="长治学院分析测试中心 实验楼B座110室",
        rate_internal_fen=_yuan(150), rate_external_fen=_yuan(300),
        min_booking_minutes=30, max_booking_minutes=480, opening_hours=OFFICE_HOURS,
        closed_dates=_closed(), requires_training=True, requires_approval=False,
        accepts_vouchers=True,
        tags="XRD,X射线衍射,物相分析,粉末衍射,结晶度,Rietveld",
        description="常规物相分析按样品收费（校外每样品200元），长时间扫描或高温测试按机时收费。",
    ),
    dict(
        org=SD_MATERIALS, category=InstrumentCategory.X_RAY,
        title_zh="高分辨X射线衍射仪 Rigaku SmartLab 9kW",
        title_en="High-resolution X-ray diffractometer (Rigaku SmartLab 9 kW)",
        summary_zh="旋转阳极高分辨XRD，可测外延片摇摆曲线、倒易空间图、薄膜掠入射和X射线反射率。",
        summary_en="Rotating-anode HRXRD: rocking curves and reciprocal space maps of epitaxial "
                   "wafers, grazing incidence and X-ray reflectivity.",
        manufacturer="理学 Rigaku", model_name="SmartLab 9kW", year_made=2020,
        capabilities="GaN/AlN外延层摇摆曲线（002/102）、RSM、GIXRD、XRR膜厚与密度、残余应力。",
        sample_requirements="2–6英寸晶圆或10 mm×10 mm以上薄膜样品。",
        lab_location="上党新材料研究院 检测楼1层X射线室",
        rate_internal_fen=_yuan(250), rate_external_fen=_yuan(500),
        min_booking_minutes=60, max_booking_minutes=480, opening_hours=OFFICE_HOURS,
        closed_dates=_closed(), requires_training=True, requires_approval=True,
        accepts_vouchers=True,
        tags="XRD,HRXRD,高分辨XRD,摇摆曲线,外延片,氮化镓,薄膜",
        description="LED外延企业常用；测试方案需与工程师确认后排期。",
    ),
    dict(
        org=COAL_INST, category=InstrumentCategory.X_RAY,
        title_zh="波长色散X射线荧光光谱仪 ARL PERFORM'X",
        title_en="Wavelength-dispersive XRF spectrometer (Thermo ARL PERFORM'X)",
        summary_zh="煤灰、粉煤灰、耐火材料和矿石的主次量元素分析，熔片或压片法制样。",
        summary_en="Major and minor elements in coal ash, fly ash, refractories and ores; fused "
                   "bead or pressed pellet.",
        manufacturer="赛默飞 Thermo Fisher", model_name="ARL PERFORM'X 4200", year_made=2018,
        capabilities="Na–U元素分析；煤灰成分（SiO2、Al2O3、Fe2O3、CaO等）；无标样半定量。",
        sample_requirements="粉末样品不少于5 g，粒度小于75 μm。",
        lab_location="长治煤化工技术研究院 分析楼3层",
        rate_internal_fen=_yuan(150), rate_external_fen=_yuan(300),
        min_booking_minutes=30, max_booking_minutes=480, opening_hours=OFFICE_HOURS,
        closed_dates=_closed(), requires_training=False, requires_approval=False,
        accepts_vouchers=True,
        tags="XRF,X射线荧光,元素分析,煤灰成分,粉煤灰,矿石",
        description="按样品计费，煤灰全分析每样品350元；批量样品可议价。",
    ),
    dict(
        org=TESTING_CO, category=InstrumentCategory.X_RAY,
        title_zh="手持式XRF合金分析仪 Niton XL2",
        summary_zh="现场快速鉴别不锈钢、铝合金、铜合金牌号，来料检验与废料分拣常用。",
        manufacturer="赛默飞 Thermo Fisher", model_name="Niton XL2 800", year_made=2020,
        capabilities="合金牌号识别、元素含量（Cr、Ni、Mo、Mn、Cu等）；可上门检测。",
        sample_requirements="金属表面需打磨去除氧化层与涂层。",
        lab_location="上党检测（可外出至企业现场）",
        rate_internal_fen=_yuan(50), rate_external_fen=_yuan(100),
        min_booking_minutes=30, max_booking_minutes=480, opening_hours=OFFICE_HOURS_SAT,
        closed_dates=_closed(), requires_training=False, requires_approval=False,
        accepts_vouchers=False,
        tags="XRF,手持光谱仪,合金分析,牌号鉴别,来料检验,PMI",
        description="上门服务另收交通费：市区100元，县区200元。",
    ),
    dict(
        org=SD_MATERIALS, category=InstrumentCategory.X_RAY,
        title_zh="X射线光电子能谱仪 Thermo ESCALAB Xi+",
        title_en="X-ray photoelectron spectrometer (Thermo ESCALAB Xi+)",
        summary_zh="表面元素组成与化学态分析，深度剖析可测钝化膜、涂层和催化剂表面。",
        summary_en="Surface composition and chemical states; depth profiling of passivation "
                   "layers, coatings and catalysts.",
        manufacturer="赛默飞 Thermo Fisher", model_name="ESCALAB Xi+", year_made=2019,
        capabilities="全谱与高分辨窄谱、价态分析、Ar离子刻蚀深度剖析、UPS功函数。",
        sample_requirements="固体样品不超过10 mm×10 mm×3 mm，真空下稳定、无挥发。",
        lab_location="上党新材料研究院 检测楼2层表面分析室",
        rate_internal_fen=_yuan(500), rate_external_fen=_yuan(1000),
        min_booking_minutes=60, max_booking_minutes=480, opening_hours=OFFICE_HOURS,
        closed_dates=_closed(), requires_training=True, requires_approval=True,
        accepts_vouchers=True,
        tags="XPS,光电子能谱,表面分析,化学态,钝化膜,深度剖析",
        description="常规每样品全谱加5个元素窄谱约1小时；数据可协助拟合。",
    ),
    dict(
        org=QUALITY, category=InstrumentCategory.X_RAY,
        title_zh="工业CT无损检测系统 YXLON FF35 CT",
        title_en="Industrial CT system (YXLON FF35 CT)",
        summary_zh="铸件气孔缩松、焊缝缺陷和装配体内部结构的三维无损检测，可做CAD比对。",
        summary_en="3D non-destructive inspection of castings, welds and assemblies; porosity "
                   "analysis and CAD comparison.",
        manufacturer="依科视朗 YXLON", model_name="FF35 CT", year_made=2021,
        capabilities="225 kV微焦点射线源；最大样品Φ300 mm×500 mm；孔隙率分析、壁厚分析。",
        sample_requirements="样品重量不超过30 kg。",
        lab_location="质检院 无损检测实验室",
        rate_internal_fen=_yuan(400), rate_external_fen=_yuan(800),
        min_booking_minutes=60, max_booking_minutes=480, opening_hours=OFFICE_HOURS,
        closed_dates=_closed(), requires_training=False, requires_approval=True,
        accepts_vouchers=True,
        tags="CT,工业CT,无损检测,铸件,气孔,X射线",
        description="压铸件、3D打印件内部缺陷检测常用；需预约并说明检测目的。",
    ),
    # --- chromatography
    dict(
        org=AGRI_LAB, category=InstrumentCategory.CHROMATOGRAPHY,
        title_zh="高效液相色谱仪 Agilent 1260 Infinity II",
        title_en="HPLC (Agilent 1260 Infinity II)",
        summary_zh="配二极管阵列和荧光检测器，用于潞党参党参炔苷、连翘苷、小米维生素与黄色素等"
                   "含量测定。",
        summary_en="HPLC with DAD and fluorescence detectors for active compounds in Codonopsis "
                   "and Forsythia, and vitamins in millet.",
        manufacturer="安捷伦 Agilent", model_name="1260 Infinity II", year_made=2020,
        capabilities="《中国药典》方法含量测定；维生素B1/B2/E；黄曲霉毒素（荧光检测）。",
        sample_requirements="提供样品不少于50 g，或经0.22 μm滤膜过滤的供试液。",
        lab_location="上党中药材与农产品检测研究所 理化室",
        rate_internal_fen=_yuan(80), rate_external_fen=_yuan(150),
        min_booking_minutes=60, max_booking_minutes=720, opening_hours=OFFICE_HOURS,
        closed_dates=_closed(), requires_training=True, requires_approval=False,
        accepts_vouchers=True,
        tags="HPLC,液相色谱,党参,连翘,小米,含量测定,药典",
        description="色谱柱可自带或使用研究所常备C18柱；夜间序列可延长至12小时。",
    ),
    dict(
        org=PHARMA, category=InstrumentCategory.CHROMATOGRAPHY,
        title_zh="高效液相色谱仪 Waters e2695（配蒸发光检测器）",
        summary_zh="液相色谱配PDA与ELSD，适合多糖、皂苷等无紫外吸收成分的分析。",
        manufacturer="沃特世 Waters", model_name="e2695 / 2998 PDA / 2424 ELSD", year_made=2017,
        capabilities="中药指纹图谱；皂苷、糖类ELSD检测；制备前方法开发。",
        sample_requirements="样品溶液经0.45 μm滤膜过滤。",
        lab_location="太行医药生物技术研究院 分析室",
        rate_internal_fen=_yuan(80), rate_external_fen=_yuan(150),
        min_booking_minutes=60, max_booking_minutes=720, opening_hours=OFFICE_HOURS,
        closed_dates=_closed(), requires_training=True, requires_approval=False,
        accepts_vouchers=True,
        tags="HPLC,液相色谱,ELSD,指纹图谱,中药",
        description="流动相与色谱柱由用户自备或按成本另计。",
    ),
    dict(
        org=COAL_INST, category=InstrumentCategory.CHROMATOGRAPHY,
        title_zh="气相色谱仪 Agilent 8890（炼厂气/煤气分析）",
        title_en="Gas chromatograph for refinery and coke-oven gas (Agilent 8890)",
        summary_zh="TCD+FID双检测器，分析焦炉煤气、合成气中H2、CO、CH4、C2–C5烃类组成。",
        summary_en="TCD and FID analysis of H2, CO, CH4 and C2–C5 hydrocarbons in coke-oven gas "
                   "and syngas.",
        manufacturer="安捷伦 Agilent", model_name="8890", year_made=2021,
        capabilities="气体全组分分析、溶剂残留、煤焦油轻组分。",
        sample_requirements="气体样品用气袋采集不少于1 L；液体样品不少于5 mL。",
        lab_location="长治煤化工技术研究院 分析楼2层",
        rate_internal_fen=_yuan(80), rate_external_fen=_yuan(150),
        min_booking_minutes=60, max_booking_minutes=480, opening_hours=OFFICE_HOURS,
        closed_dates=_closed(), requires_training=True, requires_approval=False,
        accepts_vouchers=True,
        tags="GC,气相色谱,焦炉煤气,合成气,氢气,煤化工",
        description="可提供采样气袋；焦化企业批量送样可签年度协议。",
    ),
    dict(
        org=QUALITY, category=InstrumentCategory.CHROMATOGRAPHY,
        title_zh="离子色谱仪 Thermo Dionex ICS-6000",
        summary_zh="水中氟、氯、硝酸根、硫酸根等阴离子和锂、钠、铵等阳离子测定。",
        manufacturer="赛默飞 Thermo Fisher", model_name="Dionex ICS-6000", year_made=2019,
        capabilities="HJ 84阴离子；饮用水、矿井水、电池电解液杂质离子。",
        sample_requirements="水样不少于100 mL，4 ℃冷藏送检。",
        lab_location="质检院 环境与水质检测室",
        rate_internal_fen=_yuan(80), rate_external_fen=_yuan(150),
        min_booking_minutes=60, max_booking_minutes=480, opening_hours=OFFICE_HOURS,
        closed_dates=_closed(), requires_training=True, requires_approval=False,
        accepts_vouchers=True,
        tags="离子色谱,IC,阴离子,水质,矿井水",
        description="支持送样检测并出具CMA报告。",
    ),
    dict(
        org=CZU_LAB, category=InstrumentCategory.CHROMATOGRAPHY,
        title_zh="气相色谱-质谱联用仪 Agilent 8890-5977B",
        title_en="GC-MS (Agilent 8890 / 5977B)",
        summary_zh="挥发性与半挥发性有机物定性定量，NIST谱库检索，焦化废水有机物、"
                   "VOCs和食品香气成分分析。",
        summary_en="Volatile and semi-volatile organics with NIST library search: coking "
                   "wastewater, VOCs, food aroma.",
        manufacturer="安捷伦 Agilent", model_name="8890 GC / 5977B MSD", year_made=2020,
        capabilities="EI源全扫描与SIM；顶空进样；热脱附进样；多环芳烃（PAHs）。",
        sample_requirements="液体样品不少于2 mL；固体样品需提前说明前处理方法。",
        lab_location="长治学院分析测试中心 实验楼A座208室",
        rate_internal_fen=_yuan(150), rate_external_fen=_yuan(300),
        min_booking_minutes=60, max_booking_minutes=600, opening_hours=OFFICE_HOURS,
        closed_dates=_closed(), requires_training=True, requires_approval=False,
        accepts_vouchers=True,
        tags="GC-MS,气质联用,VOCs,有机物,焦化废水,多环芳烃",
        description="未知物定性需提供样品来源信息；报告附谱库匹配度。",
    ),
    dict(
        org=AGRI_LAB, category=InstrumentCategory.CHROMATOGRAPHY,
        title_zh="液相色谱-三重四极杆质谱联用仪 Waters Xevo TQ-S",
        title_en="LC-MS/MS (Waters Xevo TQ-S)",
        summary_zh="农药残留、兽药残留和真菌毒素多残留筛查，适合出口农产品与中药材检测。",
        summary_en="Multi-residue screening of pesticides, veterinary drugs and mycotoxins in "
                   "farm produce and herbs.",
        manufacturer="沃特世 Waters", model_name="ACQUITY UPLC / Xevo TQ-S", year_made=2019,
        capabilities="GB 23200系列农残方法；中药材二氧化硫与农残；定量限低至μg/kg。",
        sample_requirements="样品不少于200 g，密封冷藏。",
        lab_location="上党中药材与农产品检测研究所 仪器室",
        rate_internal_fen=_yuan(300), rate_external_fen=_yuan(600),
        min_booking_minutes=60, max_booking_minutes=720, opening_hours=OFFICE_HOURS,
        closed_dates=_closed(), requires_training=True, requires_approval=True,
        accepts_vouchers=True,
        tags="LC-MS,液质联用,农残,兽残,真菌毒素,中药材",
        description="按项目报价：常见农残50项套餐每样品800元。",
    ),
    # --- mass spectrometry
    dict(
        org=QUALITY, category=InstrumentCategory.MASS_SPECTROMETRY,
        title_zh="电感耦合等离子体质谱仪 Agilent 7900 ICP-MS",
        title_en="ICP-MS (Agilent 7900)",
        summary_zh="痕量与超痕量元素分析，食品、中药材、土壤和水中铅、镉、汞、砷等重金属检测。",
        summary_en="Trace and ultra-trace elements: lead, cadmium, mercury and arsenic in food, "
                   "herbs, soil and water.",
        manufacturer="安捷伦 Agilent", model_name="7900", year_made=2019,
        capabilities="He碰撞模式消除干扰；可测70余种元素；配微波消解前处理。",
        sample_requirements="固体样品不少于20 g；水样酸化保存。",
        lab_location="质检院 无机分析室",
        rate_internal_fen=_yuan(250), rate_external_fen=_yuan(500),
        min_booking_minutes=60, max_booking_minutes=480, opening_hours=OFFICE_HOURS,
        closed_dates=_closed(), requires_training=True, requires_approval=True,
        accepts_vouchers=True,
        tags="ICP-MS,重金属,痕量元素,铅,镉,汞,砷",
        description="常规重金属5项每样品300元（含消解）。",
    ),
    dict(
        org=COAL_INST, category=InstrumentCategory.MASS_SPECTROMETRY,
        title_zh="电感耦合等离子体发射光谱仪 Agilent 5110 ICP-OES",
        summary_zh="煤、焦炭、催化剂和废水中多元素同时测定，适合锂、钒、镓等有价元素回收评估。",
        manufacturer="安捷伦 Agilent", model_name="5110 SVDV", year_made=2020,
        capabilities="同步垂直双向观测，ppb级检出限；锂电池回收料、粉煤灰提镓。",
        sample_requirements="溶液样品或可消解的固体样品。",
        lab_location="长治煤化工技术研究院 分析楼3层",
        rate_internal_fen=_yuan(150), rate_external_fen=_yuan(300),
        min_booking_minutes=60, max_booking_minutes=480, opening_hours=OFFICE_HOURS,
        closed_dates=_closed(), requires_training=True, requires_approval=False,
        accepts_vouchers=True,
        tags="ICP-OES,ICP,元素分析,锂,镓,催化剂",
        description="可协助开发消解方法。",
    ),
    # --- spectroscopy
    dict(
        org=CZU_LAB, category=InstrumentCategory.SPECTROSCOPY,
        title_zh="傅里叶变换红外光谱仪 Thermo Nicolet iS50",
        title_en="FTIR spectrometer (Thermo Nicolet iS50)",
        summary_zh="配ATR和显微红外，用于高分子材料鉴别、异物分析和官能团表征。",
        summary_en="FTIR with ATR and microscope for polymer identification, contaminant "
                   "analysis and functional groups.",
        manufacturer="赛默飞 Thermo Fisher", model_name="Nicolet iS50", year_made=2018,
        capabilities="中红外与远红外；ATR、透射、漫反射；谱库检索；显微红外微区分析。",
        sample_requirements="固体、液体、粉末均可；微小异物需标注位置。",
        lab_location="长治学院分析测试中心 实验楼A座203室",
        rate_internal_fen=_yuan(50), rate_external_fen=_yuan(120),
        min_booking_minutes=30, max_booking_minutes=240, opening_hours=OFFICE_HOURS,
        closed_dates=_closed(), requires_training=True, requires_approval=False,
        accepts_vouchers=True,
        tags="FTIR,红外光谱,ATR,高分子鉴别,异物分析",
        description="经培训后可独立上机；按样品计费每样品80元。",
    ),
    dict(
        org=SD_MATERIALS, category=InstrumentCategory.SPECTROSCOPY,
        title_zh="显微共焦拉曼光谱仪 Horiba LabRAM HR Evolution",
        title_en="Confocal Raman microscope (Horiba LabRAM HR Evolution)",
        summary_zh="532/633/785 nm三波长激光，用于石墨烯层数、碳材料D/G峰、应力和物相分析。",
        summary_en="Three laser lines for graphene layers, D/G bands of carbon materials, stress "
                   "and phase mapping.",
        manufacturer="堀场 Horiba", model_name="LabRAM HR Evolution", year_made=2019,
        capabilities="拉曼面扫成像、变温拉曼、光致发光（PL）谱。",
        sample_requirements="固体或液体，样品尺寸不超过50 mm。",
        lab_location="上党新材料研究院 检测楼2层光谱室",
        rate_internal_fen=_yuan(150), rate_external_fen=_yuan(300),
        min_booking_minutes=60, max_booking_minutes=240, opening_hours=OFFICE_HOURS,
        closed_dates=_closed(), requires_training=True, requires_approval=False,
        accepts_vouchers=True,
        tags="Raman,拉曼,拉曼光谱,石墨烯,碳材料,D峰G峰",
        description="针状焦、活性炭、碳纤维企业常用。",
    ),
    dict(
        org=SD_MATERIALS, category=InstrumentCategory.SPECTROSCOPY,
        title_zh="紫外-可见-近红外分光光度计 Shimadzu UV-3600i Plus",
        summary_zh="190–3300 nm透过率、反射率与吸收光谱，配积分球，可测光伏玻璃透过率和禁带宽度。",
        manufacturer="岛津 Shimadzu", model_name="UV-3600i Plus", year_made=2021,
        capabilities="透过率、漫反射、吸光度；Tauc法禁带宽度；溶液浓度测定。",
        sample_requirements="薄片样品不超过100 mm×100 mm；溶液不少于3 mL。",
        lab_location="上党新材料研究院 检测楼2层光谱室",
        rate_internal_fen=_yuan(50), rate_external_fen=_yuan(100),
        min_booking_minutes=30, max_booking_minutes=240, opening_hours=OFFICE_HOURS,
        closed_dates=_closed(), requires_training=True, requires_approval=False,
        accepts_vouchers=True,
        tags="UV-Vis,紫外可见,分光光度计,透过率,光伏玻璃,禁带宽度",
        description="可独立上机，按小时计费。",
    ),
    dict(
        org=PHARMA, category=InstrumentCategory.SPECTROSCOPY,
        title_zh="400MHz核磁共振波谱仪 Bruker AVANCE NEO",
        title_en="400 MHz NMR spectrometer (Bruker AVANCE NEO)",
        summary_zh="有机化合物结构鉴定，1H、13C、DEPT和二维谱（COSY、HSQC、HMBC），配自动进样器。",
        summary_en="Structure elucidation: 1H, 13C, DEPT and 2D spectra (COSY, HSQC, HMBC) with "
                   "autosampler.",
        manufacturer="布鲁克 Bruker", model_name="AVANCE NEO 400", year_made=2021,
        capabilities="液体核磁一维与二维谱；定量核磁（qNMR）；变温实验。",
        sample_requirements="样品5–20 mg，自备氘代试剂或按成本购买。",
        lab_location="太行医药生物技术研究院 核磁室",
        rate_internal_fen=_yuan(200), rate_external_fen=_yuan(400),
        min_booking_minutes=30, max_booking_minutes=480, opening_hours=LONG_HOURS,
        closed_dates=_closed(), requires_training=True, requires_approval=False,
        accepts_vouchers=True,
        tags="NMR,核磁,核磁共振,400MHz,结构鉴定,氢谱,碳谱",
        description="1H谱每样品100元；夜间排队自动测样。",
    ),
    dict(
        org=AGRI_LAB, category=InstrumentCategory.SPECTROSCOPY,
        title_zh="原子吸收光谱仪 PerkinElmer PinAAcle 900T",
        summary_zh="火焰与石墨炉原子吸收，测定粮食、中药材中铅、镉和钙、铁、锌等矿物元素。",
        manufacturer="珀金埃尔默 PerkinElmer", model_name="PinAAcle 900T", year_made=2018,
        capabilities="石墨炉法铅、镉；火焰法钙、镁、铁、锌；小米矿物质营养标签检测。",
        sample_requirements="样品不少于50 g。",
        lab_location="上党中药材与农产品检测研究所 理化室",
        rate_internal_fen=_yuan(60), rate_external_fen=_yuan(120),
        min_booking_minutes=60, max_booking_minutes=480, opening_hours=OFFICE_HOURS,
        closed_dates=_closed(), requires_training=True, requires_approval=False,
        accepts_vouchers=True,
        tags="AAS,原子吸收,重金属,矿物元素,小米,营养标签",
        description="营养标签检测可套餐报价。",
    ),
    dict(
        org=LED_CENTRE, category=InstrumentCategory.SPECTROSCOPY,
        title_zh="稳态瞬态荧光光谱仪 Edinburgh FLS1000",
        title_en="Steady-state and time-resolved fluorescence spectrometer (Edinburgh FLS1000)",
        summary_zh="光致发光（PL）光谱与荧光寿命测试，用于LED荧光粉、量子点和氮化镓外延片发光表征。",
        summary_en="Photoluminescence spectra and lifetimes of LED phosphors, quantum dots and "
                   "GaN epitaxial wafers.",
        manufacturer="爱丁堡 Edinburgh Instruments", model_name="FLS1000", year_made=2020,
        capabilities="激发/发射光谱、荧光寿命（TCSPC）、量子产率（积分球）、变温PL（77–500 K）。",
        sample_requirements="粉末、薄膜或晶圆碎片；溶液不少于3 mL。",
        lab_location="长治市半导体照明产品质量检验中心 光学实验室",
        rate_internal_fen=_yuan(150), rate_external_fen=_yuan(300),
        min_booking_minutes=60, max_booking_minutes=360, opening_hours=OFFICE_HOURS,
        closed_dates=_closed(), requires_training=True, requires_approval=False,
        accepts_vouchers=True,
        tags="PL,光致发光,荧光光谱,荧光寿命,量子产率,荧光粉,LED",
        description="外延片PL面扫需提前预约。",
    ),
    dict(
        org=QUALITY, category=InstrumentCategory.SPECTROSCOPY,
        title_zh="火花直读光谱仪 SPECTROMAXx",
        summary_zh="碳钢、合金钢、铸铁和铝合金成分快速分析，炉前与来料检验，每样品约1分钟。",
        manufacturer="斯派克 SPECTRO", model_name="SPECTROMAXx", year_made=2017,
        capabilities="Fe、Al、Cu基体；C、Si、Mn、P、S、Cr、Ni、Mo等元素。",
        sample_requirements="块状样品直径不小于15 mm，平面磨光。",
        lab_location="质检院 金属材料检测室",
        rate_internal_fen=_yuan(50), rate_external_fen=_yuan(100),
        min_booking_minutes=30, max_booking_minutes=240, opening_hours=OFFICE_HOURS,
        closed_dates=_closed(), requires_training=False, requires_approval=False,
        accepts_vouchers=True,
        tags="直读光谱,OES,钢材成分,铸铁,铝合金,化学成分",
        description="每样品收费60元，铸造和机加工企业常用。",
    ),
    # --- thermal analysis
    dict(
        org=CZU_LAB, category=InstrumentCategory.THERMAL_ANALYSIS,
        title_zh="差示扫描量热仪 NETZSCH DSC 214 Polyma",
        title_en="Differential scanning calorimeter (NETZSCH DSC 214 Polyma)",
        summary_zh="玻璃化转变、熔融结晶、固化度和氧化诱导期（OIT）测试，适用塑料、橡胶与树脂。",
        summary_en="Glass transition, melting, crystallisation, degree of cure and oxidation "
                   "induction time of plastics and resins.",
        manufacturer="耐驰 NETZSCH", model_name="DSC 214 Polyma", year_made=2019,
        capabilities="温度范围−170–600 ℃；比热容；OIT（GB/T 19466.6）。",
        sample_requirements="样品5–15 mg。",
        lab_location="长治学院分析测试中心 实验楼A座210室",
        rate_internal_fen=_yuan(60), rate_external_fen=_yuan(120),
        min_booking_minutes=60, max_booking_minutes=480, opening_hours=OFFICE_HOURS,
        closed_dates=_closed(), requires_training=True, requires_approval=False,
        accepts_vouchers=True,
        tags="DSC,差示扫描量热,玻璃化转变,熔点,OIT,高分子",
        description="每样品常规升温程序约1.5小时。",
    ),
    dict(
        org=COAL_INST, category=InstrumentCategory.THERMAL_ANALYSIS,
        title_zh="热重分析仪 TA Instruments TGA 5500",
        title_en="Thermogravimetric analyser (TA Instruments TGA 5500)",
        summary_zh="热稳定性、挥发分、灰分和热解失重曲线，用于煤、生物质、催化剂和高分子材料。",
        summary_en="Thermal stability, volatiles, ash and pyrolysis curves of coal, biomass, "
                   "catalysts and polymers.",
        manufacturer="TA仪器 TA Instruments", model_name="TGA 5500", year_made=2020,
        capabilities="室温–1200 ℃；N2/空气切换；热解动力学分析；自动进样25位。",
        sample_requirements="样品5–30 mg。",
        lab_location="长治煤化工技术研究院 分析楼2层",
        rate_internal_fen=_yuan(60), rate_external_fen=_yuan(120),
        min_booking_minutes=60, max_booking_minutes=720, opening_hours=OFFICE_HOURS,
        closed_dates=_closed(), requires_training=True, requires_approval=False,
        accepts_vouchers=True,
        tags="TGA,TG,热重,热稳定性,热解,煤,生物质",
        description="可夜间自动运行序列。",
    ),
    dict(
        org=SD_MATERIALS, category=InstrumentCategory.THERMAL_ANALYSIS,
        title_zh="同步热分析仪 NETZSCH STA 449 F3（TG-DSC）",
        summary_zh="热重与差热同步测量，最高1550 ℃，用于陶瓷、耐火材料和无机粉体烧结与相变研究。",
        manufacturer="耐驰 NETZSCH", model_name="STA 449 F3 Jupiter", year_made=2016,
        capabilities="TG-DSC同步；高温相变；可联用红外做逸出气分析。",
        sample_requirements="粉末样品10–50 mg。",
        lab_location="上党新材料研究院 检测楼3层热分析室",
        rate_internal_fen=_yuan(100), rate_external_fen=_yuan(200),
        min_booking_minutes=120, max_booking_minutes=720, opening_hours=OFFICE_HOURS,
        closed_dates=_closed(), requires_training=True, requires_approval=False,
        accepts_vouchers=True,
        tags="STA,TG-DSC,同步热分析,热重,高温,陶瓷,耐火材料",
        description="高温测试需使用铂金坩埚，损耗按成本收取。",
    ),
    dict(
        org=SD_MATERIALS, category=InstrumentCategory.THERMAL_ANALYSIS,
        title_zh="激光导热仪 NETZSCH LFA 467",
        summary_zh="闪射法测热扩散系数与导热系数，适合石墨、碳复合材料、导热胶和电池材料。",
        manufacturer="耐驰 NETZSCH", model_name="LFA 467 HyperFlash", year_made=2020,
        capabilities="−100–500 ℃；面内与纵向导热；薄膜样品。",
        sample_requirements="Φ12.7 mm或10 mm×10 mm，厚度0.1–3 mm。",
        lab_location="上党新材料研究院 检测楼3层热分析室",
        rate_internal_fen=_yuan(150), rate_external_fen=_yuan(300),
        min_booking_minutes=60, max_booking_minutes=480, opening_hours=OFFICE_HOURS,
        closed_dates=_closed(), requires_training=True, requires_approval=False,
        accepts_vouchers=True,
        tags="LFA,导热系数,热扩散系数,闪射法,石墨,导热材料",
        description="需提供样品比热容与密度，或另行测试。",
    ),
    # --- materials testing
    dict(
        org=QUALITY, category=InstrumentCategory.MATERIALS_TESTING,
        title_zh="电子万能试验机 Instron 5985（250 kN）",
        title_en="Universal testing machine (Instron 5985, 250 kN)",
        summary_zh="金属与复合材料拉伸、压缩、弯曲试验，配引伸计和高低温箱，出具CMA报告。",
        summary_en="Tensile, compression and bending tests of metals and composites, with "
                   "extensometer and environmental chamber; accredited reports.",
        manufacturer="英斯特朗 Instron", model_name="5985", year_made=2018,
        capabilities="GB/T 228.1金属拉伸；屈服强度、抗拉强度、延伸率、弹性模量；−70–250 ℃。",
        sample_requirements="按标准加工试样，或提供原材料委托加工。",
        lab_location="质检院 力学性能实验室",
        rate_internal_fen=_yuan(100), rate_external_fen=_yuan(200),
        min_booking_minutes=30, max_booking_minutes=480, opening_hours=OFFICE_HOURS,
        closed_dates=_closed(), requires_training=True, requires_approval=False,
        accepts_vouchers=True,
        tags="万能试验机,拉伸试验,拉力机,屈服强度,抗拉强度,力学性能",
        description="常规拉伸每组（3根）300元。",
    ),
    dict(
        org=TESTING_CO, category=InstrumentCategory.MATERIALS_TESTING,
        title_zh="微机控制电子万能试验机 WDW-100",
        summary_zh="100 kN拉力试验机，做螺栓、钢丝绳、塑料和橡胶的拉伸、剥离与撕裂试验，当天出数据。",
        manufacturer="济南试金", model_name="WDW-100E", year_made=2019,
        capabilities="拉伸、压缩、弯曲、剥离、撕裂；夹具齐全。",
        sample_requirements="试样长度不超过600 mm。",
        lab_location="上党检测 长兴中路实验室一层",
        rate_internal_fen=_yuan(50), rate_external_fen=_yuan(100),
        min_booking_minutes=30, max_booking_minutes=480, opening_hours=OFFICE_HOURS_SAT,
        closed_dates=_closed(), requires_training=False, requires_approval=False,
        accepts_vouchers=True,
        tags="拉力试验机,万能试验机,拉伸,剥离强度,橡胶,塑料",
        description="小批量来料检验价格优惠。",
    ),
    dict(
        org=QUALITY, category=InstrumentCategory.MATERIALS_TESTING,
        title_zh="电液伺服疲劳试验机 MTS Landmark 370.25",
        title_en="Servo-hydraulic fatigue testing machine (MTS Landmark 370.25)",
        summary_zh="±250 kN高周与低周疲劳、裂纹扩展和断裂韧性试验，适合汽车零部件和液压支架结构件。",
        summary_en="±250 kN high- and low-cycle fatigue, crack growth and fracture toughness "
                   "tests for automotive and mining components.",
        manufacturer="美特斯 MTS", model_name="Landmark 370.25", year_made=2020,
        capabilities="S-N曲线；da/dN裂纹扩展；KIC；部件级疲劳（需定制夹具）。",
        sample_requirements="标准疲劳试样或零部件，需提前沟通夹具方案。",
        lab_location="质检院 力学性能实验室",
        rate_internal_fen=_yuan(150), rate_external_fen=_yuan(300),
        min_booking_minutes=240, max_booking_minutes=2880, opening_hours=ROUND_THE_CLOCK,
        closed_dates=_closed(), requires_training=True, requires_approval=True,
        accepts_vouchers=True,
        tags="疲劳试验机,疲劳试验,S-N曲线,裂纹扩展,汽车零部件,液压支架",
        description="疲劳试验可24小时连续运行，最长单次预约48小时；长周期试验可签协议价。",
    ),
    dict(
        org=TAIHANG_MACH, category=InstrumentCategory.MATERIALS_TESTING,
        title_zh="数显洛氏/布氏/维氏硬度计（三台套）",
        summary_zh="洛氏HRC、布氏HBW和显微维氏HV硬度测试，热处理零件与渗碳层硬度梯度检测。",
        manufacturer="莱州华银", model_name="HR-150DT / HB-3000C / HV-1000", year_made=2018,
        capabilities="HRC、HRB、HBW、HV0.1–HV1；渗碳淬火层有效硬化层深度。",
        sample_requirements="零件表面平整、无氧化皮。",
        lab_location="太行精密 质检室",
        rate_internal_fen=_yuan(30), rate_external_fen=_yuan(60),
        min_booking_minutes=30, max_booking_minutes=240, opening_hours=WORKSHOP_HOURS,
        closed_dates=_closed(), requires_training=False, requires_approval=False,
        accepts_vouchers=False,
        tags="硬度计,硬度测试,洛氏硬度,布氏硬度,维氏硬度,热处理",
        description="周边机加工企业可随时送样，每点位10元起。",
    ),
    dict(
        org=TESTING_CO, category=InstrumentCategory.MATERIALS_TESTING,
        title_zh="中性盐雾试验箱（NSS/AASS/CASS）",
        title_en="Salt spray test chamber (NSS / AASS / CASS)",
        summary_zh="按GB/T 10125做中性盐雾、醋酸盐雾和铜加速醋酸盐雾试验，评价镀层和涂层耐腐蚀性能。",
        summary_en="Neutral, acetic and copper-accelerated salt spray tests per ISO 9227 for "
                   "platings and coatings.",
        manufacturer="苏州苏试", model_name="YWX/Q-750", year_made=2021,
        capabilities="箱体容积750 L；24–1000小时；试后评级与拍照。",
        sample_requirements="样品尺寸不超过600 mm×400 mm，边缘需封样。",
        lab_location="上党检测 环境试验室",
        rate_internal_fen=_yuan(15), rate_external_fen=_yuan(25),
        min_booking_minutes=1440, max_booking_minutes=20160, opening_hours=ROUND_THE_CLOCK,
        closed_dates=[], requires_training=False, requires_approval=False,
        accepts_vouchers=True,
        tags="盐雾试验,盐雾试验箱,NSS,耐腐蚀,镀锌,涂层",
        description="按箱时收费；多家企业可拼箱，费用按样品数分摊。",
    ),
    dict(
        org=TAIHANG_MACH, category=InstrumentCategory.MATERIALS_TESTING,
        title_zh="三坐标测量机 Hexagon GLOBAL S 9.15.8",
        title_en="Coordinate measuring machine (Hexagon GLOBAL S 9.15.8)",
        summary_zh="行程900×1500×800 mm，精度1.5+L/333 μm，用于箱体、阀块和结构件的形位公差检测。",
        summary_en="CMM with 900×1500×800 mm travel for geometric tolerances of housings, valve "
                   "blocks and structural parts.",
        manufacturer="海克斯康 Hexagon", model_name="GLOBAL S 9.15.8", year_made=2020,
        capabilities="尺寸与形位公差；扫描测头；PC-DMIS编程；与CAD模型比对出色差报告。",
        sample_requirements="工件重量不超过1000 kg；需提供图纸或三维模型。",
        lab_location="太行精密 恒温计量室（20±1 ℃）",
        rate_internal_fen=_yuan(150), rate_external_fen=_yuan(300),
        min_booking_minutes=60, max_booking_minutes=480, opening_hours=WORKSHOP_HOURS,
        closed_dates=_closed(), requires_training=False, requires_approval=False,
        accepts_vouchers=True,
        tags="三坐标,CMM,形位公差,尺寸检测,计量,首件检验",
        description="由本公司计量员编程测量；工件需提前2小时进恒温间。",
    ),
    dict(
        org=QUALITY, category=InstrumentCategory.MATERIALS_TESTING,
        title_zh="摆锤冲击试验机 JBW-500（带低温槽）",
        summary_zh="金属材料夏比冲击试验，配−60 ℃低温槽，煤矿机械与压力容器用钢常做。",
        manufacturer="济南时代", model_name="JBW-500", year_made=2017,
        capabilities="GB/T 229夏比V型、U型缺口冲击；冲击断口纤维率。",
        sample_requirements="10 mm×10 mm×55 mm标准冲击试样。",
        lab_location="质检院 力学性能实验室",
        rate_internal_fen=_yuan(30), rate_external_fen=_yuan(60),
        min_booking_minutes=30, max_booking_minutes=240, opening_hours=OFFICE_HOURS,
        closed_dates=_closed(), requires_training=False, requires_approval=False,
        accepts_vouchers=True,
        tags="冲击试验,冲击试验机,夏比冲击,低温冲击,冲击功",
        description="试样可委托加工缺口。",
    ),
    dict(
        org=LED_CENTRE, category=InstrumentCategory.MATERIALS_TESTING,
        title_zh="高低温交变湿热试验箱（1000 L）",
        summary_zh="−70–150 ℃、10–98%RH，LED灯具、电子产品和汽车电子的可靠性与环境适应性试验。",
        manufacturer="重庆银河", model_name="GDJS-1000", year_made=2019,
        capabilities="高温、低温、湿热、温度循环；双85试验（85 ℃/85%RH）。",
        sample_requirements="样品总重不超过80 kg，可通电测试。",
        lab_location="长治市半导体照明产品质量检验中心 可靠性实验室",
        rate_internal_fen=_yuan(20), rate_external_fen=_yuan(40),
        min_booking_minutes=480, max_booking_minutes=10080, opening_hours=ROUND_THE_CLOCK,
        closed_dates=[], requires_training=False, requires_approval=False,
        accepts_vouchers=True,
        tags="高低温试验箱,湿热试验,可靠性试验,双85,环境试验,LED",
        description="按箱时收费；长周期试验每24小时出一次中间记录。",
    ),
    dict(
        org=COAL_INST, category=InstrumentCategory.MATERIALS_TESTING,
        title_zh="激光粒度分析仪 Malvern Mastersizer 3000",
        title_en="Laser diffraction particle size analyser (Malvern Mastersizer 3000)",
        summary_zh="0.01–3500 μm粒度分布，湿法与干法进样，适合煤粉、粉煤灰、催化剂和电池粉体。",
        summary_en="Particle size distribution 0.01–3500 μm, wet and dry dispersion, for coal "
                   "powder, fly ash and battery materials.",
        manufacturer="马尔文 Malvern Panalytical", model_name="Mastersizer 3000", year_made=2019,
        capabilities="D10/D50/D90、比表面积估算、分散条件优化。",
        sample_requirements="粉末不少于5 g。",
        lab_location="长治煤化工技术研究院 分析楼2层",
        rate_internal_fen=_yuan(50), rate_external_fen=_yuan(100),
        min_booking_minutes=30, max_booking_minutes=240, opening_hours=OFFICE_HOURS,
        closed_dates=_closed(), requires_training=True, requires_approval=False,
        accepts_vouchers=True,
        tags="粒度仪,激光粒度,粒度分布,D50,粉体",
        description="每样品80元（含3次平行测定）。",
    ),
    dict(
        org=COAL_INST, category=InstrumentCategory.MATERIALS_TESTING,
        title_zh="比表面积及孔径分析仪 Micromeritics ASAP 2460",
        title_en="Surface area and porosity analyser (Micromeritics ASAP 2460)",
        summary_zh="氮气吸附法BET比表面积、孔容和孔径分布，活性炭、分子筛、催化剂和硬碳负极常用。",
        summary_en="BET surface area, pore volume and pore size distribution of activated "
                   "carbon, zeolites, catalysts and hard carbon.",
        manufacturer="麦克默瑞提克 Micromeritics", model_name="ASAP 2460", year_made=2021,
        capabilities="BET、Langmuir、t-plot微孔、BJH介孔、DFT孔径分布；4站并行。",
        sample_requirements="样品不少于0.2 g，需说明可承受的脱气温度。",
        lab_location="长治煤化工技术研究院 炭材料实验室",
        rate_internal_fen=_yuan(100), rate_external_fen=_yuan(200),
        min_booking_minutes=240, max_booking_minutes=1440, opening_hours=LONG_HOURS,
        closed_dates=_closed(), requires_training=True, requires_approval=False,
        accepts_vouchers=True,
        tags="BET,比表面积,孔径分布,氮气吸附,活性炭,微孔",
        description="全孔分析每样品约8小时（含脱气），按样品收费400元。",
    ),
    dict(
        org=COAL_INST, category=InstrumentCategory.OTHER,
        title_zh="全自动量热仪与工业分析仪（煤质分析）",
        summary_zh="煤和焦炭发热量、水分、灰分、挥发分、固定碳及全硫测定，按GB/T 213、GB/T 212出报告。",
        manufacturer="长沙开元", model_name="5E-C5500 / 5E-MAG6700 / 5E-8S", year_made=2019,
        capabilities="弹筒发热量与低位发热量；工业分析；库仑法全硫。",
        sample_requirements="空气干燥基煤样，粒度小于0.2 mm，不少于50 g。",
        lab_location="长治煤化工技术研究院 煤质实验室",
        rate_internal_fen=_yuan(40), rate_external_fen=_yuan(80),
        min_booking_minutes=60, max_booking_minutes=480, opening_hours=OFFICE_HOURS_SAT,
        closed_dates=_closed(), requires_training=False, requires_approval=False,
        accepts_vouchers=True,
        tags="煤质分析,发热量,热值,灰分,挥发分,全硫,工业分析",
        description="煤质常规四项每样品200元，当天出结果。",
    ),
    dict(
        org=SD_MATERIALS, category=InstrumentCategory.OTHER,
        title_zh="电池充放电测试系统 Neware CT-4008（64通道）",
        summary_zh="锂离子电池与钠离子电池扣式、软包电池的循环寿命、倍率和容量测试。",
        manufacturer="新威 Neware", model_name="CT-4008T-5V10mA / 5V6A", year_made=2022,
        capabilities="64通道；恒流恒压充放电；dQ/dV分析；配恒温箱。",
        sample_requirements="用户自行组装电池或委托扣式电池组装（另收费）。",
        lab_location="上党新材料研究院 储能材料实验室",
        rate_internal_fen=_yuan(2), rate_external_fen=_yuan(5),
        min_booking_minutes=1440, max_booking_minutes=43200, opening_hours=ROUND_THE_CLOCK,
        closed_dates=[], requires_training=True, requires_approval=False,
        accepts_vouchers=True,
        tags="锂电池,钠离子电池,充放电测试,循环寿命,硬碳,负极材料",
        description="按通道小时计费（每通道每小时5元），长周期循环测试可包月。",
    ),
    # --- additive manufacturing
    dict(
        org=VOCATIONAL, category=InstrumentCategory.ADDITIVE_MANUFACTURING,
        title_zh="金属3D打印机 EOS M 290（激光选区熔化）",
        title_en="Metal 3D printer (EOS M 290, selective laser melting)",
        summary_zh="激光选区熔化（SLM）成形不锈钢、模具钢、钛合金和铝合金零件，"
                   "成形尺寸250×250×325 mm，可做随形冷却水路模具镶件。",
        summary_en="Selective laser melting of stainless steel, tool steel, titanium and "
                   "aluminium parts up to 250×250×325 mm.",
        manufacturer="EOS", model_name="M 290", year_made=2019,
        capabilities="316L、18Ni300模具钢、TC4钛合金、AlSi10Mg；支撑设计与后处理（线切割、喷砂、热处理）。",
        sample_requirements="提供STL或STEP模型；壁厚不小于0.5 mm。",
        lab_location="智能制造实训中心 增材制造车间",
        rate_internal_fen=_yuan(300), rate_external_fen=_yuan(600),
        min_booking_minutes=240, max_booking_minutes=2880, opening_hours=ROUND_THE_CLOCK,
        closed_dates=_closed(), requires_training=True, requires_approval=True,
        accepts_vouchers=True,
        tags="金属3D打印,SLM,增材制造,3D打印,钛合金,随形冷却,模具",
        description="按打印机时收费，粉末材料另计；可先做工艺评估与报价。",
    ),
    dict(
        org=JIENUO, category=InstrumentCategory.ADDITIVE_MANUFACTURING,
        title_zh="金属3D打印机 铂力特 BLT-S310",
        summary_zh="国产SLM设备，成形250×250×400 mm，主要打印TC4钛合金与高温合金零件。",
        manufacturer="西安铂力特", model_name="BLT-S310", year_made=2022,
        capabilities="TC4、IN718、316L；双激光；打印后热等静压可外协。",
        sample_requirements="提供三维模型与材料要求。",
        lab_location="捷诺智能 长子经开区厂区二号车间",
        rate_internal_fen=_yuan(250), rate_external_fen=_yuan(500),
        min_booking_minutes=240, max_booking_minutes=2880, opening_hours=ROUND_THE_CLOCK,
        closed_dates=_closed(), requires_training=True, requires_approval=True,
        accepts_vouchers=True,
        tags="金属3D打印,SLM,增材制造,钛合金,高温合金",
        description="可承接小批量零件打印与工艺验证。",
    ),
    dict(
        org=VOCATIONAL, category=InstrumentCategory.ADDITIVE_MANUFACTURING,
        title_zh="工业级光固化3D打印机 联泰 Lite600",
        title_en="Industrial SLA 3D printer (UnionTech Lite600)",
        summary_zh="光固化（SLA）成形600×600×400 mm，表面光洁，适合手板、外观件和铸造蜡模替代件。",
        summary_en="SLA printing up to 600×600×400 mm for prototypes, appearance models and "
                   "casting patterns.",
        manufacturer="上海联泰 UnionTech", model_name="Lite600", year_made=2020,
        capabilities="光敏树脂、耐高温树脂；层厚0.05–0.15 mm；打磨上色后处理。",
        sample_requirements="提供STL模型。",
        lab_location="智能制造实训中心 增材制造车间",
        rate_internal_fen=_yuan(60), rate_external_fen=_yuan(120),
        min_booking_minutes=120, max_booking_minutes=1440, opening_hours=ROUND_THE_CLOCK,
        closed_dates=_closed(), requires_training=True, requires_approval=False,
        accepts_vouchers=True,
        tags="光固化,SLA,3D打印,手板,原型",
        description="树脂按克另计（约0.8元/克）。",
    ),
    dict(
        org=VOCATIONAL, category=InstrumentCategory.ADDITIVE_MANUFACTURING,
        title_zh="桌面级FDM 3D打印机群（12台）",
        summary_zh="12台熔融沉积3D打印机，PLA、PETG、TPU和碳纤维增强尼龙，创客与学生团队做原型常用。",
        manufacturer="拓竹 Bambu Lab", model_name="X1 Carbon", year_made=2023,
        capabilities="多色打印；256×256×256 mm；耐磨碳纤维尼龙结构件。",
        sample_requirements="提供STL或3MF文件。",
        lab_location="智能制造实训中心 创客工坊",
        rate_internal_fen=_yuan(5), rate_external_fen=_yuan(10),
        min_booking_minutes=60, max_booking_minutes=1440, opening_hours=LONG_HOURS,
        closed_dates=_closed(), requires_training=True, requires_approval=False,
        accepts_vouchers=False,
        tags="FDM,3D打印,桌面3D打印机,创客,原型,PLA",
        description="培训后可自助使用，按单台机时计费，耗材自备或按克购买。",
    ),
    dict(
        org=VOCATIONAL, category=InstrumentCategory.OTHER,
        title_zh="蓝光三维扫描仪 GOM ATOS Q（逆向工程）",
        summary_zh="高精度三维扫描，用于逆向建模、铸锻件与模具的全尺寸偏差检测。",
        manufacturer="GOM（蔡司）", model_name="ATOS Q 12M", year_made=2021,
        capabilities="单幅1200万点；精度±0.01 mm；逆向建模与色差图报告。",
        sample_requirements="工件尺寸10 mm–3 m；高反光表面需喷显像剂。",
        lab_location="智能制造实训中心 精密测量室",
        rate_internal_fen=_yuan(100), rate_external_fen=_yuan(200),
        min_booking_minutes=60, max_booking_minutes=480, opening_hours=OFFICE_HOURS,
        closed_dates=_closed(), requires_training=True, requires_approval=False,
        accepts_vouchers=True,
        tags="三维扫描,逆向工程,3D扫描,尺寸检测,色差图",
        description="逆向建模按零件复杂度另行报价。",
    ),
    # --- machining
    dict(
        org=TAIHANG_MACH, category=InstrumentCategory.MACHINING,
        title_zh="五轴联动数控加工中心 DMG MORI DMU 65 monoBLOCK",
        title_en="5-axis CNC machining centre (DMG MORI DMU 65 monoBLOCK)",
        summary_zh="五轴联动加工叶轮、阀体、复杂曲面和铝合金结构件，行程735×650×560 mm。",
        summary_en="Simultaneous 5-axis machining of impellers, valve bodies, free-form "
                   "surfaces and aluminium parts.",
        manufacturer="德马吉森精机 DMG MORI", model_name="DMU 65 monoBLOCK", year_made=2019,
        capabilities="海德汉TNC 640系统；主轴18000 rpm；工件最大600 kg；可配合CAM编程。",
        sample_requirements="提供图纸或三维模型与材料；毛坯可自备。",
        lab_location="太行精密 一号车间",
        rate_internal_fen=_yuan(250), rate_external_fen=_yuan(400),
        min_booking_minutes=120, max_booking_minutes=960, opening_hours=WORKSHOP_HOURS,
        closed_dates=_closed(), requires_training=False, requires_approval=True,
        accepts_vouchers=True,
        tags="五轴,五轴加工,CNC,数控加工中心,复杂曲面,叶轮,精密加工",
        description="由本公司操作工加工，编程费另计；适合样件与小批量。",
    ),
    dict(
        org=HYDRAULIC, category=InstrumentCategory.MACHINING,
        title_zh="精密慢走丝线切割机 Sodick AL400G",
        summary_zh="慢走丝线切割精度±0.003 mm，加工模具、阀芯和硬质合金零件。",
        manufacturer="沙迪克 Sodick", model_name="AL400G", year_made=2018,
        capabilities="表面粗糙度Ra 0.4 μm；锥度切割；最大工件厚度250 mm。",
        sample_requirements="导电材料；提供DXF图纸。",
        lab_location="宏泰液压 精加工车间",
        rate_internal_fen=_yuan(80), rate_external_fen=_yuan(150),
        min_booking_minutes=60, max_booking_minutes=960, opening_hours=WORKSHOP_HOURS,
        closed_dates=_closed(), requires_training=False, requires_approval=False,
        accepts_vouchers=False,
        tags="慢走丝,线切割,模具加工,精密加工",
        description="按加工时长计费。",
    ),
    dict(
        org=JIENUO, category=InstrumentCategory.MACHINING,
        title_zh="6kW光纤激光切割机（3015）",
        summary_zh="碳钢25 mm、不锈钢20 mm、铝板12 mm切割，钣金件和机器人底座外协加工。",
        manufacturer="大族激光 Han's Laser", model_name="G3015HF 6kW", year_made=2021,
        capabilities="幅面3000×1500 mm；自动排版；可配折弯。",
        sample_requirements="提供DXF文件；板材可自备或代购。",
        lab_location="捷诺智能 长子经开区厂区一号车间",
        rate_internal_fen=_yuan(150), rate_external_fen=_yuan(250),
        min_booking_minutes=60, max_booking_minutes=960, opening_hours=WORKSHOP_HOURS,
        closed_dates=_closed(), requires_training=False, requires_approval=False,
        accepts_vouchers=False,
        tags="激光切割,钣金,光纤激光,下料",
        description="小批量也接，按切割长度或机时计价。",
    ),
    dict(
        org=VOCATIONAL, category=InstrumentCategory.MACHINING,
        title_zh="车铣复合加工中心 Mazak INTEGREX i-200",
        summary_zh="一次装夹完成车、铣、钻、攻丝，适合轴类、阀芯和液压接头的精密加工。",
        manufacturer="山崎马扎克 Mazak", model_name="INTEGREX i-200", year_made=2018,
        capabilities="最大车削直径Φ658 mm；B轴铣削；Mazatrol编程。",
        sample_requirements="提供图纸与毛坯。",
        lab_location="智能制造实训中心 数控车间",
        rate_internal_fen=_yuan(150), rate_external_fen=_yuan(250),
        min_booking_minutes=120, max_booking_minutes=960, opening_hours=OFFICE_HOURS,
        closed_dates=_closed(), requires_training=True, requires_approval=True,
        accepts_vouchers=True,
        tags="车铣复合,CNC,数控,轴类零件,精密加工",
        description="可由学院教师带学生团队承接样件加工。",
    ),
    # --- electronics testing
    dict(
        org=LED_CENTRE, category=InstrumentCategory.ELECTRONICS_TESTING,
        title_zh="3米法电波暗室EMC测试系统",
        title_en="EMC test system with 3 m semi-anechoic chamber",
        summary_zh="辐射发射、传导发射、静电放电、浪涌和电快速瞬变等电磁兼容测试，"
                   "适合LED驱动电源、灯具和工业控制器摸底整改。",
        summary_en="Radiated and conducted emissions, ESD, surge and EFT tests for LED drivers, "
                   "luminaires and industrial controllers.",
        manufacturer="罗德与施瓦茨 R&S / 瑞士EMC Partner", model_name="ESR7 / 3m暗室",
        year_made=2018,
        capabilities="GB/T 17743（CISPR 15）、GB 17625.1、GB/T 17626系列；整改咨询。",
        sample_requirements="样品可正常工作并附说明书；大型设备需提前确认尺寸。",
        lab_location="长治市半导体照明产品质量检验中心 EMC实验室",
        rate_internal_fen=_yuan(800), rate_external_fen=_yuan(1500),
        min_booking_minutes=120, max_booking_minutes=480, opening_hours=OFFICE_HOURS,
        closed_dates=_closed(), requires_training=False, requires_approval=True,
        accepts_vouchers=True,
        tags="EMC,电磁兼容,电波暗室,辐射发射,传导发射,静电,浪涌,认证摸底",
        description="摸底测试按机时收费，工程师可现场指导整改。",
    ),
    dict(
        org=LED_CENTRE, category=InstrumentCategory.ELECTRONICS_TESTING,
        title_zh="LED光色电综合测试系统（2米积分球）",
        summary_zh="光通量、光效、色温、显色指数和配光曲线测试，支持LED灯具能效与照明产品认证检测。",
        manufacturer="杭州远方 EVERFINE", model_name="HAAS-2000 / GO-2000", year_made=2019,
        capabilities="积分球光谱测量；分布光度计配光曲线；LM-79方法。",
        sample_requirements="灯具最大尺寸1.5 m。",
        lab_location="长治市半导体照明产品质量检验中心 光学实验室",
        rate_internal_fen=_yuan(100), rate_external_fen=_yuan(200),
        min_booking_minutes=60, max_booking_minutes=480, opening_hours=OFFICE_HOURS,
        closed_dates=_closed(), requires_training=False, requires_approval=False,
        accepts_vouchers=True,
        tags="积分球,光通量,显色指数,色温,配光曲线,LED灯具",
        description="出具检测报告，可用于能效标识备案。",
    ),
    dict(
        org=VOCATIONAL, category=InstrumentCategory.ELECTRONICS_TESTING,
        title_zh="混合信号示波器 Tektronix MSO64B（1 GHz）",
        summary_zh="4通道1 GHz、25 GS/s示波器，电源纹波、开关损耗和串行总线（CAN、I2C、SPI）解码。",
        manufacturer="泰克 Tektronix", model_name="MSO64B", year_made=2022,
        capabilities="功率分析、总线解码、差分探头、电流探头。",
        sample_requirements="被测电路需自带供电并做好隔离。",
        lab_location="智能制造实训中心 电子实验室",
        rate_internal_fen=_yuan(30), rate_external_fen=_yuan(60),
        min_booking_minutes=60, max_booking_minutes=480, opening_hours=LONG_HOURS,
        closed_dates=_closed(), requires_training=True, requires_approval=False,
        accepts_vouchers=True,
        tags="示波器,电源纹波,CAN总线,硬件调试,嵌入式",
        description="创客团队调试电路可免费使用两小时（需预约）。",
    ),
    dict(
        org=LED_CENTRE, category=InstrumentCategory.ELECTRONICS_TESTING,
        title_zh="频谱分析仪 R&S FSV3030",
        summary_zh="10 Hz–30 GHz频谱分析，EMC预兼容摸底、无线模块射频指标测试。",
        manufacturer="罗德与施瓦茨 R&S", model_name="FSV3030", year_made=2021,
        capabilities="近场探头定位干扰源；相位噪声；邻道功率。",
        sample_requirements="被测设备可正常工作。",
        lab_location="长治市半导体照明产品质量检验中心 EMC实验室",
        rate_internal_fen=_yuan(60), rate_external_fen=_yuan(120),
        min_booking_minutes=60, max_booking_minutes=480, opening_hours=OFFICE_HOURS,
        closed_dates=_closed(), requires_training=True, requires_approval=False,
        accepts_vouchers=True,
        tags="频谱分析仪,射频,近场探头,EMC预测试,无线模块",
        description="可与EMC暗室配合预约。",
    ),
    dict(
        org=SOLAR, category=InstrumentCategory.ELECTRONICS_TESTING,
        title_zh="光伏组件EL/IV测试平台",
        title_en="PV module EL and IV test bench",
        summary_zh="AAA级太阳模拟器测组件I-V曲线与功率，EL电致发光检测隐裂、断栅和黑片。",
        summary_en="Class AAA solar simulator for I-V curves and power of photovoltaic modules, "
                   "and electroluminescence imaging of cracks and broken fingers.",
        manufacturer="苏州德睿联", model_name="IV-AAA-2500 / EL-M2", year_made=2021,
        capabilities="组件尺寸至2400×1300 mm；STC功率标定；EL高分辨成像。",
        sample_requirements="组件需完好、接线盒可接线。",
        lab_location="华耀光伏 组件可靠性实验室",
        rate_internal_fen=_yuan(80), rate_external_fen=_yuan(150),
        min_booking_minutes=60, max_booking_minutes=480, opening_hours=WORKSHOP_HOURS,
        closed_dates=_closed(), requires_training=False, requires_approval=False,
        accepts_vouchers=True,
        tags="光伏,光伏组件,EL检测,IV测试,隐裂,太阳能电池",
        description="电站运维单位可带组件来测，按块计费（每块50元）。",
    ),
    # --- life sciences
    dict(
        org=PHARMA, category=InstrumentCategory.LIFE_SCIENCES,
        title_zh="实时荧光定量PCR仪 Bio-Rad CFX96",
        title_en="Real-time PCR system (Bio-Rad CFX96)",
        summary_zh="96孔荧光定量PCR，基因表达分析、病原微生物与转基因成分检测、中药材物种鉴定。",
        summary_en="96-well qPCR for gene expression, pathogen and GMO detection and herbal "
                   "species identification.",
        manufacturer="伯乐 Bio-Rad", model_name="CFX96 Touch", year_made=2019,
        capabilities="SYBR与探针法；五通道；熔解曲线；高分辨熔解（HRM）。",
        sample_requirements="提供cDNA或DNA模板；可委托提取（另收费）。",
        lab_location="太行医药生物技术研究院 分子生物学实验室（二级）",
        rate_internal_fen=_yuan(50), rate_external_fen=_yuan(100),
        min_booking_minutes=60, max_booking_minutes=240, opening_hours=BIO_HOURS,
        closed_dates=_closed(), requires_training=True, requires_approval=False,
        accepts_vouchers=True,
        tags="qPCR,荧光定量PCR,PCR,基因表达,分子检测,物种鉴定",
        description="每板约2小时；试剂自备。",
    ),
    dict(
        org=PHARMA, category=InstrumentCategory.LIFE_SCIENCES,
        title_zh="流式细胞仪 BD FACSCanto II",
        title_en="Flow cytometer (BD FACSCanto II)",
        summary_zh="三激光八色流式细胞分析，细胞凋亡、细胞周期和免疫细胞亚群检测。",
        summary_en="Three-laser, eight-colour flow cytometry: apoptosis, cell cycle and immune "
                   "cell subsets.",
        manufacturer="碧迪 BD Biosciences", model_name="FACSCanto II", year_made=2016,
        capabilities="Annexin V/PI凋亡；PI周期；CD4/CD8亚群；数据分析FlowJo。",
        sample_requirements="单细胞悬液，细胞数不少于1×10^5，需固定或当天检测。",
        lab_location="太行医药生物技术研究院 细胞实验室",
        rate_internal_fen=_yuan(150), rate_external_fen=_yuan(300),
        min_booking_minutes=60, max_booking_minutes=240, opening_hours=BIO_HOURS,
        closed_dates=_closed(), requires_training=True, requires_approval=True,
        accepts_vouchers=True,
        tags="流式细胞仪,流式,细胞凋亡,细胞周期,免疫",
        description="活细胞样品须经生物安全评估后方可进入。",
    ),
    dict(
        org=PHARMA, category=InstrumentCategory.LIFE_SCIENCES,
        title_zh="多功能酶标仪 BioTek Synergy H1",
        summary_zh="吸光度、荧光和化学发光检测，ELISA、细胞活力（CCK-8）和抗氧化活性测定。",
        manufacturer="伯腾 BioTek", model_name="Synergy H1", year_made=2018,
        capabilities="96/384孔板；单色器230–999 nm；温控与振板。",
        sample_requirements="自备酶标板与试剂。",
        lab_location="太行医药生物技术研究院 细胞实验室",
        rate_internal_fen=_yuan(30), rate_external_fen=_yuan(60),
        min_booking_minutes=30, max_booking_minutes=240, opening_hours=BIO_HOURS,
        closed_dates=_closed(), requires_training=True, requires_approval=False,
        accepts_vouchers=True,
        tags="酶标仪,ELISA,CCK-8,抗氧化,化学发光",
        description="可自助使用。",
    ),
    dict(
        org=PHARMA, category=InstrumentCategory.LIFE_SCIENCES,
        title_zh="超速离心机 Beckman Optima XPN-100",
        summary_zh="最高100000 rpm超速离心，外泌体、病毒颗粒与多糖分级分离。",
        manufacturer="贝克曼 Beckman Coulter", model_name="Optima XPN-100", year_made=2017,
        capabilities="角转头与水平转头；密度梯度离心。",
        sample_requirements="使用配套离心管，须配平。",
        lab_location="太行医药生物技术研究院 分子生物学实验室",
        rate_internal_fen=_yuan(60), rate_external_fen=_yuan(120),
        min_booking_minutes=60, max_booking_minutes=720, opening_hours=BIO_HOURS,
        closed_dates=_closed(), requires_training=True, requires_approval=True,
        accepts_vouchers=True,
        tags="超速离心,离心机,外泌体,密度梯度",
        description="须经培训考核；转头使用记录需如实填写。",
    ),
    # --- environmental
    dict(
        org=ENVIRO, category=InstrumentCategory.ENVIRONMENTAL,
        title_zh="水质多参数分析仪 Hach DR6000（COD、氨氮、总磷）",
        title_en="Water quality analyser (Hach DR6000: COD, ammonia, total phosphorus)",
        summary_zh="污水处理厂和企业排口水质分析：COD、氨氮、总氮、总磷、浊度，配消解器。",
        summary_en="Effluent water analysis: COD, ammonia nitrogen, total nitrogen, total "
                   "phosphorus and turbidity.",
        manufacturer="哈希 Hach", model_name="DR6000 / DRB200", year_made=2020,
        capabilities="预制试剂快速法与国标法比对；现场采样服务。",
        sample_requirements="水样不少于500 mL，硫酸酸化，24小时内送达。",
        lab_location="绿源环保 沁源水质实验室",
        rate_internal_fen=_yuan(30), rate_external_fen=_yuan(60),
        min_booking_minutes=60, max_booking_minutes=480, opening_hours=OFFICE_HOURS_SAT,
        closed_dates=_closed(), requires_training=False, requires_approval=False,
        accepts_vouchers=True,
        tags="水质分析,水质检测,COD,氨氮,总磷,污水,矿井水",
        description="企业自行监测常规四项每样品150元。",
    ),
    dict(
        org=ENVIRO, category=InstrumentCategory.ENVIRONMENTAL,
        title_zh="便携式烟气分析仪 testo 350（SO2/NOx/CO）",
        summary_zh="锅炉、焦炉和窑炉烟气中二氧化硫、氮氧化物、一氧化碳和氧含量现场检测。",
        manufacturer="德图 testo", model_name="testo 350", year_made=2021,
        capabilities="电化学传感器；烟温、流速；可出具现场检测记录。",
        sample_requirements="需有规范采样孔与安全作业平台。",
        lab_location="绿源环保（外出至企业现场）",
        rate_internal_fen=_yuan(50), rate_external_fen=_yuan(100),
        min_booking_minutes=120, max_booking_minutes=480, opening_hours=OFFICE_HOURS_SAT,
        closed_dates=_closed(), requires_training=False, requires_approval=False,
        accepts_vouchers=True,
        tags="烟气分析,烟气检测,SO2,NOx,脱硫脱硝,锅炉",
        description="外出检测按半天起算，含交通。",
    ),
    dict(
        org=QUALITY, category=InstrumentCategory.ENVIRONMENTAL,
        title_zh="总有机碳分析仪 Shimadzu TOC-L",
        summary_zh="地表水、地下水、工艺用水和废水的总有机碳（TOC）与总氮测定。",
        manufacturer="岛津 Shimadzu", model_name="TOC-LCPH + TNM-L", year_made=2019,
        capabilities="高温催化燃烧氧化；TOC、TC、IC、NPOC、TN。",
        sample_requirements="水样不少于100 mL。",
        lab_location="质检院 环境与水质检测室",
        rate_internal_fen=_yuan(60), rate_external_fen=_yuan(120),
        min_booking_minutes=60, max_booking_minutes=480, opening_hours=OFFICE_HOURS,
        closed_dates=_closed(), requires_training=True, requires_approval=False,
        accepts_vouchers=True,
        tags="TOC,总有机碳,总氮,水质,废水",
        description="按样品计费。",
    ),
    # --- drafts and an archived one
    dict(
        org=PHARMA, category=InstrumentCategory.CHROMATOGRAPHY, status=ListingStatus.DRAFT,
        title_zh="超高效液相色谱仪 Waters ACQUITY UPLC H-Class（调试中）",
        summary_zh="新购超高效液相色谱仪，预计2027年一季度完成验收后开放。",
        manufacturer="沃特世 Waters", model_name="ACQUITY UPLC H-Class", year_made=2026,
        capabilities="", sample_requirements="", lab_location="太行医药生物技术研究院 分析室",
        rate_internal_fen=_yuan(100), rate_external_fen=_yuan(200),
        min_booking_minutes=60, max_booking_minutes=480, opening_hours=OFFICE_HOURS,
        closed_dates=_closed(), requires_training=True, requires_approval=True,
        accepts_vouchers=True, tags="UPLC,超高效液相,液相色谱",
        description="草稿：收费标准待物价备案。",
    ),
    dict(
        org=JIENUO, category=InstrumentCategory.MACHINING, status=ListingStatus.DRAFT,
        title_zh="数控折弯机 PR6C 110T",
        summary_zh="110吨数控折弯机，配合激光切割做钣金件。",
        manufacturer="亚威", model_name="PR6C-110×3100", year_made=2021,
        capabilities="", sample_requirements="", lab_location="捷诺智能 一号车间",
        rate_internal_fen=_yuan(80), rate_external_fen=_yuan(150),
        min_booking_minutes=60, max_booking_minutes=480, opening_hours=WORKSHOP_HOURS,
        closed_dates=[], requires_training=False, requires_approval=False,
        accepts_vouchers=False, tags="折弯,钣金", description="",
    ),
    dict(
        org=CZU_LAB, category=InstrumentCategory.X_RAY, status=ListingStatus.ARCHIVED,
        title_zh="X射线衍射仪 Rigaku D/max-2500（已停用）",
        summary_zh="该设备已于2026年报废停用，XRD测试请预约 Bruker D8 Advance。",
        manufacturer="理学 Rigaku", model_name="D/max-2500", year_made=2006,
        capabilities="", sample_requirements="", lab_location="长治学院分析测试中心",
        rate_internal_fen=_yuan(100), rate_external_fen=_yuan(200),
        min_booking_minutes=30, max_booking_minutes=240, opening_hours={},
        closed_dates=[], requires_training=True, requires_approval=False,
        accepts_vouchers=False, tags="XRD,已停用", description="",
    ),
]


# ---------------------------------------------------------------------------------------------
# technologies and patents for licensing
EX, NON_EX, ASSIGN, JOINT = (LicensingMode.EXCLUSIVE.value, LicensingMode.NON_EXCLUSIVE.value,
                             LicensingMode.ASSIGNMENT.value, LicensingMode.JOINT_DEVELOPMENT.value)
INV, UM = PatentType.INVENTION, PatentType.UTILITY_MODEL
GRANTED, PENDING = LegalStatus.GRANTED, LegalStatus.PENDING
EXPIRED, KNOW_HOW = LegalStatus.EXPIRED, LegalStatus.NOT_PATENTED

TECHNOLOGIES: list[dict] = [
    # --- coal chemicals and coal-based materials (煤基新材料)
    dict(
        org=CARBON, title_zh="煤焦油沥青制备针状焦的两段延迟焦化方法",
        title_en="Two-stage delayed coking of coal-tar pitch into needle coke",
        summary_zh="以精制煤沥青为原料，经预处理脱除喹啉不溶物后两段延迟焦化，"
                   "产品热膨胀系数≤1.2×10⁻⁶/℃，可用于超高功率石墨电极和锂电负极。",
        summary_en="Refined coal-tar pitch, QI removal and two-stage delayed coking give needle "
                   "coke with CTE ≤ 1.2×10⁻⁶/°C for UHP electrodes and anode materials.",
        patent="201910734215", ptype=INV, ipc="C10B 55/00", filed=date(2019, 8, 9),
        granted=date(2021, 6, 18), legal=GRANTED, inventors="常海燕；杜文彬；李晓峰",
        modes=[EX, ASSIGN], price=_yuan(3_800_000), trl=7,
        field="煤焦油深加工企业、石墨电极厂、锂离子电池负极材料厂。",
        tags="针状焦,煤焦油,煤沥青,延迟焦化,石墨电极,负极材料,煤基新材料",
        description="已在屯留建成2万吨/年中试装置连续运行18个月，可提供工艺包、操作规程与人员培训。",
    ),
    dict(
        org=COAL_INST, title_zh="无烟煤基超级电容活性炭的低温催化活化制备方法",
        title_en="Low-temperature catalytic activation of anthracite into supercapacitor carbon",
        summary_zh="以长治本地无烟煤为原料，KOH用量减少60%，比表面积2200–2600 m²/g，"
                   "灰分低于0.5%，适用于双电层超级电容器。",
        summary_en="Activated carbon from local anthracite with 60% less KOH; 2200–2600 m²/g "
                   "surface area and <0.5% ash for supercapacitors.",
        patent="202010561847", ptype=INV, ipc="C01B 32/348", filed=date(2020, 6, 19),
        granted=date(2022, 9, 13), legal=GRANTED, inventors="史建国；王丽君；郝鹏",
        modes=[EX, NON_EX, JOINT], price=None, trl=6,
        field="活性炭生产企业、超级电容器制造商、储能材料。",
        tags="活性炭,超级电容,无烟煤,KOH活化,比表面积,储能,煤基新材料",
        description="百公斤级中试完成，愿与企业合作建设千吨级生产线。",
    ),
    dict(
        org=SD_MATERIALS, title_zh="中间相沥青基连续碳纤维纺丝工艺",
        title_en="Continuous spinning of mesophase-pitch-based carbon fibre",
        summary_zh="由煤系中间相沥青熔融纺丝、不熔化和碳化制备高导热连续碳纤维，"
                   "导热系数可达600 W/(m·K)。",
        summary_en="Melt spinning, stabilisation and carbonisation of coal-derived mesophase "
                   "pitch into continuous high-conductivity carbon fibre.",
        patent="202110398562", ptype=INV, ipc="D01F 9/145", filed=date(2021, 4, 14),
        granted=date(2023, 7, 25), legal=GRANTED, inventors="郭志伟；冯晓东；刘敏",
        modes=[JOINT, EX], price=None, trl=5,
        field="航天器热管理、5G基站散热、高端碳纤维复合材料。",
        tags="碳纤维,沥青基碳纤维,中间相沥青,高导热,煤基新材料",
        description="寻求有煤沥青原料的企业共同建设百吨级中试线。",
    ),
    dict(
        org=COAL_INST, title_zh="煤矸石制备高强轻质陶粒的方法",
        summary_zh="煤矸石掺量70%以上，无需黏土，一次焙烧成陶粒，筒压强度≥6.5 MPa，"
                   "用于轻质混凝土和海绵城市透水铺装。",
        patent="201810927463", ptype=INV, ipc="C04B 33/132", filed=date(2018, 8, 15),
        granted=date(2020, 11, 3), legal=GRANTED, inventors="史建国；赵鹏飞；韩丽",
        modes=[NON_EX, ASSIGN], price=_yuan(600_000), trl=8,
        field="煤矿固废综合利用、建材企业、海绵城市建设。",
        tags="煤矸石,陶粒,固废利用,轻质骨料,建材,环保",
        description="已在沁源一家建材厂实现量产，可提供配方与回转窑工艺参数。",
    ),
    dict(
        org=SD_MATERIALS, title_zh="粉煤灰基地质聚合物注浆材料及其制备方法",
        summary_zh="以电厂粉煤灰和矿渣为主料，碱激发制备早强注浆材料，用于煤矿巷道加固和采空区充填，"
                   "成本比水泥基材料低约30%。",
        patent="202210186534", ptype=INV, ipc="C04B 28/08", filed=date(2022, 2, 28),
        granted=None, legal=PENDING, inventors="刘敏；李建新；王磊",
        modes=[JOINT, NON_EX], price=None, trl=5,
        field="煤矿巷道注浆加固、采空区充填、固废建材。",
        tags="粉煤灰,地质聚合物,注浆材料,采空区充填,固废利用,煤矿",
        description="实质审查中；已完成井下小规模试验。",
    ),
    dict(
        org=COAL_INST, title_zh="焦炉煤气变压吸附提取高纯氢工艺",
        title_en="PSA recovery of high-purity hydrogen from coke-oven gas",
        summary_zh="焦炉煤气预净化后经四塔变压吸附，氢气纯度99.999%，回收率≥85%，"
                   "满足燃料电池汽车用氢标准。",
        summary_en="Pre-purification and four-bed PSA give 99.999% hydrogen at ≥85% recovery, "
                   "meeting fuel-cell vehicle specifications.",
        patent="202011247809", ptype=INV, ipc="C01B 3/56", filed=date(2020, 11, 10),
        granted=date(2023, 2, 17), legal=GRANTED, inventors="史建国；孟凡超；杨慧",
        modes=[NON_EX, JOINT], price=_yuan(1_500_000), trl=7,
        field="焦化企业副产氢利用、加氢站、氢能产业。",
        tags="氢能,制氢,焦炉煤气,变压吸附,PSA,燃料电池,煤化工",
        description="可提供工艺包设计与调试服务。",
    ),
    dict(
        org=SD_MATERIALS, title_zh="煤沥青基钠离子电池硬碳负极材料",
        title_en="Coal-pitch-based hard carbon anode for sodium-ion batteries",
        summary_zh="以煤沥青与生物质共碳化制备硬碳，首次库伦效率≥88%，可逆比容量≥310 mAh/g，"
                   "原料成本低于椰壳硬碳。",
        summary_en="Co-carbonised coal pitch and biomass hard carbon: ≥88% first-cycle "
                   "efficiency and ≥310 mAh/g at lower cost than coconut-shell carbon.",
        patent="202310652718", ptype=INV, ipc="H01M 4/587", filed=date(2023, 6, 5),
        granted=None, legal=PENDING, inventors="郭志伟；冯晓东；闫丽娜",
        modes=[JOINT, EX], price=None, trl=4,
        field="钠离子电池负极材料、储能电池。",
        tags="钠离子电池,硬碳,负极材料,煤沥青,储能,电池材料",
        description="公斤级样品可供下游电池企业评测。",
    ),
    dict(
        org=COAL_INST, title_zh="退役锂电池正极材料湿法回收锂钴镍技术",
        summary_zh="低酸浸出结合选择性萃取，锂回收率≥92%，镍钴回收率≥98%，产出电池级碳酸锂。",
        patent="202210875341", ptype=INV, ipc="C22B 7/00", filed=date(2022, 7, 21),
        granted=date(2024, 10, 8), legal=GRANTED, inventors="孟凡超；王丽君",
        modes=[NON_EX, JOINT], price=_yuan(900_000), trl=6,
        field="废旧锂电池回收、新能源汽车动力电池梯次利用。",
        tags="锂电池回收,湿法冶金,碳酸锂,镍钴,动力电池,循环经济",
        description="可配合ICP-OES提供过程分析方法。",
    ),
    # --- photovoltaics (光伏)
    dict(
        org=SOLAR, title_zh="TOPCon太阳能电池隧穿氧化层与多晶硅钝化接触制备方法",
        title_en="Tunnel oxide and poly-Si passivating contact for TOPCon solar cells",
        summary_zh="采用低压化学气相沉积一步完成隧穿氧化层与掺杂多晶硅，电池量产效率提升0.3%，"
                   "绕镀问题显著减少。",
        summary_en="One-step LPCVD of tunnel oxide and doped poly-Si raises mass-production "
                   "TOPCon cell efficiency by 0.3% and reduces wrap-around plating.",
        patent="202110875234", ptype=INV, ipc="H01L 31/18", filed=date(2021, 7, 30),
        granted=date(2023, 5, 12), legal=GRANTED, inventors="王建军；孙浩；李雪",
        modes=[NON_EX], price=_yuan(2_000_000), trl=8,
        field="晶硅太阳能电池制造。",
        tags="TOPCon,光伏,太阳能电池,钝化接触,隧穿氧化层,LPCVD",
        description="仅授予非独占许可，可提供工艺窗口与设备改造建议。",
    ),
    dict(
        org=SOLAR, title_zh="光伏组件自动清扫机器人",
        summary_zh="无水毛刷清扫，沿组件边框自主行走，可跨越排间缝隙，适合北方缺水地区地面电站与屋顶电站。",
        patent="202120893467", ptype=UM, ipc="H02S 40/10", filed=date(2021, 4, 28),
        granted=date(2021, 11, 23), legal=GRANTED, inventors="孙浩；王建军",
        modes=[NON_EX, ASSIGN], price=_yuan(200_000), trl=8,
        field="光伏电站运维。",
        tags="光伏清洗,清扫机器人,光伏运维,无水清洗,光伏",
        description="实用新型，已在上党区屋顶电站试用两年。",
    ),
    dict(
        org=SD_MATERIALS, title_zh="光伏玻璃用二氧化硅减反射镀膜液及其制备方法",
        summary_zh="溶胶-凝胶法制备多孔二氧化硅镀膜液，镀膜后玻璃透过率提高2.5%以上，耐候性通过双85试验。",
        patent="201911065932", ptype=INV, ipc="C03C 17/25", filed=date(2019, 11, 6),
        granted=date(2022, 3, 8), legal=GRANTED, inventors="李建新；刘敏",
        modes=[NON_EX, EX], price=_yuan(500_000), trl=7,
        field="光伏玻璃深加工。",
        tags="光伏玻璃,减反射,镀膜液,溶胶凝胶,透过率",
        description="可提供镀膜液配方及辊涂工艺参数。",
    ),
    dict(
        org=SD_MATERIALS, title_zh="大面积钙钛矿薄膜刮涂制备方法",
        title_en="Blade coating of large-area perovskite films",
        summary_zh="添加剂调控结晶的刮涂工艺，在30 cm×30 cm基板上获得均匀钙钛矿薄膜，"
                   "小组件效率18.6%。",
        summary_en="Additive-controlled blade coating gives uniform perovskite films on "
                   "30×30 cm substrates; 18.6% mini-module efficiency.",
        patent="202410236785", ptype=INV, ipc="H10K 71/12", filed=date(2024, 3, 1),
        granted=None, legal=PENDING, inventors="冯晓东；闫丽娜；郭志伟",
        modes=[JOINT], price=None, trl=4,
        field="钙钛矿及钙钛矿/晶硅叠层太阳能电池。",
        tags="钙钛矿,叠层电池,刮涂,光伏,薄膜太阳能",
        description="寻求光伏企业联合开发叠层电池中试。",
    ),
    # --- LED and gallium nitride optoelectronics
    dict(
        org=OPTO, title_zh="图形化蓝宝石衬底上低位错氮化镓外延生长方法",
        title_en="Low-dislocation GaN epitaxy on patterned sapphire substrates",
        summary_zh="MOCVD生长中引入AlN/GaN超晶格应力调控层，位错密度降至2×10⁸ cm⁻²，"
                   "蓝光LED芯片内量子效率提高8%。",
        summary_en="An AlN/GaN superlattice stress-control layer in MOCVD growth lowers "
                   "dislocation density to 2×10⁸ cm⁻² and raises blue LED IQE by 8%.",
        patent="201810356427", ptype=INV, ipc="H01L 33/12", filed=date(2018, 4, 20),
        granted=date(2020, 7, 14), legal=GRANTED, inventors="郭建华；陈立新；王雅琴",
        modes=[NON_EX, JOINT], price=_yuan(1_200_000), trl=7,
        field="LED外延片、Micro-LED、GaN功率器件外延。",
        tags="氮化镓,GaN,外延,MOCVD,LED,蓝宝石衬底,位错",
        description="可结合高分辨XRD摇摆曲线数据提供工艺窗口。",
    ),
    dict(
        org=LED_CENTRE, title_zh="Micro-LED芯片巨量转移与检测修复方法",
        summary_zh="基于激光选择性剥离的巨量转移，转移良率99.95%，配合PL检测定位坏点并修复。",
        patent="202310418926", ptype=INV, ipc="H01L 25/075", filed=date(2023, 4, 18),
        granted=None, legal=PENDING, inventors="冯志刚；李慧敏",
        modes=[JOINT], price=None, trl=3,
        field="Micro-LED显示、AR/VR微显示。",
        tags="Micro-LED,巨量转移,显示,激光剥离,氮化镓",
        description="实验室阶段，欢迎企业共同投入开发。",
    ),
    dict(
        org=LED_CENTRE, title_zh="大功率LED路灯一体化散热模组",
        summary_zh="热管与铝鳍片一体压铸，200 W模组结温降低12 ℃，灯具重量减少20%。",
        patent="202221563847", ptype=UM, ipc="F21V 29/76", filed=date(2022, 6, 21),
        granted=date(2022, 12, 2), legal=GRANTED, inventors="冯志刚；赵宇",
        modes=[NON_EX, ASSIGN], price=_yuan(150_000), trl=8,
        field="道路照明、隧道照明、工矿灯。",
        tags="LED路灯,散热,热管,照明,灯具",
        description="可提供散热仿真报告。",
    ),
    dict(
        org=OPTO, title_zh="深紫外UVC-LED水体杀菌模组",
        summary_zh="275 nm UVC-LED阵列配合石英流道，流量2 L/min时大肠杆菌杀灭率99.99%，无汞无化学药剂。",
        patent="202011358624", ptype=INV, ipc="C02F 1/32", filed=date(2020, 11, 25),
        granted=date(2023, 4, 11), legal=GRANTED, inventors="郭建华；王雅琴",
        modes=[NON_EX, EX], price=_yuan(800_000), trl=7,
        field="净水器、饮水机、医疗器械消毒。",
        tags="UVC,深紫外,LED,杀菌,消毒,净水",
        description="可供样品与检测报告。",
    ),
    dict(
        org=LED_CENTRE, title_zh="设施农业LED植物补光光配方",
        summary_zh="针对上党区设施番茄与叶菜的红蓝远红光配方，补光后产量提高15%–20%，能耗降低25%。",
        patent="202120635918", ptype=UM, ipc="A01G 7/04", filed=date(2021, 3, 29),
        granted=date(2021, 10, 15), legal=GRANTED, inventors="李慧敏；郝建平",
        modes=[NON_EX], price=_yuan(80_000), trl=8,
        field="温室大棚、植物工厂。",
        tags="植物照明,补光灯,LED,设施农业,温室",
        description="提供光配方与灯具选型方案。",
    ),
    # --- precision machinery and hydraulics
    dict(
        org=HYDRAULIC, title_zh="液压支架用大流量电液换向阀",
        title_en="High-flow electro-hydraulic directional valve for powered roof supports",
        summary_zh="先导式结构，额定流量1000 L/min、压力31.5 MPa，响应时间小于50 ms，"
                   "适用于综采工作面电液控制系统。",
        summary_en="Pilot-operated valve, 1000 L/min at 31.5 MPa, <50 ms response, for "
                   "longwall electro-hydraulic control.",
        patent="201920564783", ptype=UM, ipc="F15B 13/043", filed=date(2019, 4, 24),
        granted=date(2020, 1, 10), legal=GRANTED, inventors="申海平；王志军；李强",
        modes=[NON_EX, ASSIGN], price=_yuan(300_000), trl=8,
        field="煤矿液压支架、电液控制系统。",
        tags="液压,电液换向阀,液压支架,综采,煤矿机械",
        description="已取得煤安认证的产品技术。",
    ),
    dict(
        org=TAIHANG_MACH, title_zh="液压支架立柱激光熔覆修复工艺",
        title_en="Laser cladding repair of hydraulic roof-support legs",
        summary_zh="以铁基合金粉末激光熔覆替代电镀铬，熔覆层硬度HRC 50–55，耐腐蚀性能为镀铬层的6倍，"
                   "无六价铬污染。",
        summary_en="Iron-based laser cladding replaces hard chrome: HRC 50–55, six times the "
                   "corrosion resistance, no hexavalent chromium.",
        patent="201710893542", ptype=INV, ipc="C23C 24/10", filed=date(2017, 9, 26),
        granted=date(2019, 12, 20), legal=GRANTED, inventors="张伟；刘建国；秦晓明",
        modes=[NON_EX, ASSIGN], price=_yuan(450_000), trl=9,
        field="煤矿机械再制造、液压缸、轧辊修复。",
        tags="激光熔覆,再制造,液压支架,立柱,替代镀铬,耐腐蚀",
        description="已量产五年，修复立柱超过3万根。",
    ),
    dict(
        org=SD_MATERIALS, title_zh="7系高强铝合金结构件双级时效热处理工艺",
        title_en="Two-stage ageing heat treatment of 7xxx high-strength aluminium parts",
        summary_zh="固溶后采用120 ℃/6 h+160 ℃/10 h双级时效，7075铝合金抗拉强度保持560 MPa以上，"
                   "抗应力腐蚀开裂性能提高40%，适合矿用轻量化结构件。",
        summary_en="Solution treatment and 120 °C/6 h + 160 °C/10 h ageing keep 7075 above "
                   "560 MPa while improving stress-corrosion resistance by 40%.",
        patent="202010298674", ptype=INV, ipc="C22F 1/053", filed=date(2020, 4, 16),
        granted=date(2022, 6, 28), legal=GRANTED, inventors="刘敏；郭志伟；张晓宇",
        modes=[EX, NON_EX], price=_yuan(680_000), trl=6,
        field="煤矿机械轻量化、汽车结构件、轨道交通。",
        tags="铝合金,热处理,时效,7075,轻量化,应力腐蚀,专利许可",
        description="研究院可配合做EBSD与拉伸验证。",
    ),
    dict(
        org=VOCATIONAL, title_zh="重载齿轮渗碳淬火畸变控制方法",
        summary_zh="通过预氧化与分段控温淬火，20CrMnTi齿轮渗碳淬火后齿向畸变减少45%，可省去磨齿工序。",
        patent="201910586213", ptype=INV, ipc="C21D 9/32", filed=date(2019, 6, 28),
        granted=date(2021, 9, 7), legal=GRANTED, inventors="常红梅；杜海军",
        modes=[NON_EX], price=_yuan(250_000), trl=7,
        field="减速机、刮板输送机链轮、农机齿轮。",
        tags="齿轮,渗碳淬火,热处理,畸变控制,20CrMnTi",
        description="学院热处理实训线可做工艺验证。",
    ),
    dict(
        org=HYDRAULIC, title_zh="一种矿用液压油缸组合密封结构",
        summary_zh="阶梯密封与防尘圈组合，井下粉尘工况下寿命提高一倍，内泄漏量小于0.5 mL/min。",
        patent="202322184735", ptype=UM, ipc="F16J 15/3232", filed=date(2023, 8, 15),
        granted=date(2024, 3, 19), legal=GRANTED, inventors="申海平；郭亮",
        modes=[NON_EX, ASSIGN], price=_yuan(100_000), trl=8,
        field="矿用液压缸、工程机械液压缸。",
        tags="液压缸,密封,油缸,煤矿机械,液压",
        description="",
    ),
    dict(
        org=TAIHANG_MACH, title_zh="刮板输送机中部槽用耐磨铸铁及铸造工艺",
        summary_zh="高铬耐磨铸铁配合消失模铸造，中部槽寿命提高1.8倍。",
        patent="200910075326", ptype=INV, ipc="C22C 37/10", filed=date(2009, 6, 12),
        granted=date(2011, 8, 31), legal=EXPIRED, inventors="张建民；刘建国",
        modes=[NON_EX], price=_yuan(30_000), trl=9,
        field="煤矿刮板输送机、耐磨件铸造。",
        tags="耐磨铸铁,高铬铸铁,消失模铸造,刮板输送机,中部槽",
        description="专利已因未缴年费终止，现转让配套工艺文件与模具图纸（技术秘密部分）。",
    ),
    dict(
        org=VOCATIONAL, title_zh="TC4钛合金激光选区熔化工艺参数包",
        title_en="SLM process parameter set for Ti-6Al-4V",
        summary_zh="针对EOS与国产SLM设备优化的TC4打印参数和热处理制度，致密度≥99.9%，"
                   "抗拉强度≥1000 MPa。",
        summary_en="Optimised Ti-6Al-4V printing parameters and heat treatment for EOS and "
                   "domestic SLM machines: ≥99.9% density, ≥1000 MPa.",
        patent=None, ptype=None, ipc="B22F 10/28", filed=None, granted=None, legal=KNOW_HOW,
        inventors="常红梅；赵宇航", modes=[NON_EX], price=_yuan(60_000), trl=7,
        field="金属3D打印服务商、医疗器械、航空零件。",
        tags="金属3D打印,SLM,钛合金,TC4,增材制造,工艺参数",
        description="技术秘密形式许可，附验证试样检测报告。",
    ),
    # --- farm produce: millet (小米)
    dict(
        org=AGRI_LAB, title_zh="即食小米营养粉低温挤压熟化工艺",
        summary_zh="低温双螺杆挤压熟化结合微粉碎，小米粉冲调即溶不结块，保留90%以上B族维生素，"
                   "适合婴幼儿米粉与代餐产品。",
        patent="202110523684", ptype=INV, ipc="A23L 7/17", filed=date(2021, 5, 11),
        granted=date(2023, 8, 22), legal=GRANTED, inventors="贾丽萍；牛建国；王晓红",
        modes=[NON_EX, EX], price=_yuan(350_000), trl=7,
        field="小米深加工、杂粮食品、代餐。",
        tags="小米,小米粉,挤压熟化,即食,杂粮,农产品深加工",
        description="研究所可提供中试线试产。",
    ),
    dict(
        org=AGRI_LAB, title_zh="小米黄色素的超声辅助提取与稳定化方法",
        summary_zh="从小米和米糠中提取类胡萝卜素黄色素，得率提高35%，经微胶囊包埋后光热稳定性显著提高，"
                   "可作天然食品着色剂。",
        patent="201910245873", ptype=INV, ipc="C09B 61/00", filed=date(2019, 3, 27),
        granted=date(2021, 4, 16), legal=GRANTED, inventors="贾丽萍；杜亚楠",
        modes=[NON_EX, ASSIGN], price=_yuan(200_000), trl=6,
        field="天然色素、食品添加剂、小米副产物利用。",
        tags="小米,黄色素,类胡萝卜素,天然色素,米糠",
        description="",
    ),
    dict(
        org=MILLET, title_zh="谷糠膳食纤维的酶法改性制备方法",
        summary_zh="以小米加工副产物谷糠为原料，经复合酶改性，可溶性膳食纤维含量达25%以上，"
                   "用于烘焙和饮料。",
        patent="202210947316", ptype=INV, ipc="A23L 33/22", filed=date(2022, 8, 12),
        granted=None, legal=PENDING, inventors="郝文斌；贾丽萍",
        modes=[JOINT, NON_EX], price=None, trl=5,
        field="小米副产物综合利用、功能食品。",
        tags="谷糠,膳食纤维,小米,副产物,功能食品",
        description="与研究所合作申请，寻求烘焙企业试用。",
    ),
    dict(
        org=AGRI_LAB, title_zh="杂粮米饭常温保鲜无菌包装技术",
        title_en="Shelf-stable aseptic packaging of cooked millet and mixed grains",
        summary_zh="小米、藜麦等杂粮米饭经无菌蒸煮充氮包装，常温保质期12个月，复热2分钟即食，口感接近现煮。",
        summary_en="Aseptically cooked, nitrogen-flushed millet and grain rice keeps 12 months at "
                   "room temperature and is ready in two minutes.",
        patent="202110862947", ptype=INV, ipc="A23L 7/196", filed=date(2021, 7, 27),
        granted=date(2024, 1, 30), legal=GRANTED, inventors="牛建国；王晓红；贾丽萍",
        modes=[NON_EX, EX, ASSIGN], price=_yuan(500_000), trl=7,
        field="方便食品、团餐、户外食品。",
        tags="保鲜,常温保鲜,无菌包装,小米饭,杂粮,方便食品,食品保鲜",
        description="已完成货架期试验与第三方检测。",
    ),
    # --- traditional Chinese medicine herbs (潞党参 and others)
    dict(
        org=LUSHEN, title_zh="潞党参产地趁鲜切制与低温干燥加工技术",
        title_en="Fresh slicing and low-temperature drying of Lu Dangshen (Codonopsis)",
        summary_zh="采收后趁鲜切片、分段低温热风干燥，不用硫磺熏蒸，党参炔苷保留率提高30%，"
                   "符合产地加工与饮片炮制一体化要求。",
        summary_en="Fresh slicing and staged low-temperature drying without sulphur fumigation "
                   "retain 30% more lobetyolin.",
        patent="202011473562", ptype=INV, ipc="A61K 36/344", filed=date(2020, 12, 14),
        granted=date(2023, 3, 24), legal=GRANTED, inventors="秦国庆；苗志刚；岳红",
        modes=[NON_EX, ASSIGN], price=_yuan(400_000), trl=8,
        field="中药材产地加工、中药饮片企业、道地药材合作社。",
        tags="潞党参,党参,趁鲜切制,无硫加工,中药饮片,道地药材,中药材",
        description="可提供设备清单与加工SOP。",
    ),
    dict(
        org=PHARMA, title_zh="党参多糖的提取纯化及其抗疲劳应用",
        title_en="Extraction and purification of Codonopsis polysaccharides",
        summary_zh="超声-酶法联合提取结合膜分离纯化，党参多糖纯度达85%，动物实验显示抗疲劳活性，"
                   "可用于保健食品原料。",
        summary_en="Ultrasound-enzyme extraction and membrane purification give 85% pure "
                   "Codonopsis polysaccharide with anti-fatigue activity.",
        patent="201910813726", ptype=INV, ipc="C08B 37/00", filed=date(2019, 8, 30),
        granted=date(2022, 1, 11), legal=GRANTED, inventors="苗志刚；李红霞；王振",
        modes=[EX, NON_EX, JOINT], price=_yuan(1_000_000), trl=5,
        field="保健食品、功能饮料、中药提取物。",
        tags="党参多糖,党参,多糖提取,抗疲劳,保健食品,中药提取",
        description="",
    ),
    dict(
        org=PHARMA, title_zh="连翘叶茶的加工工艺",
        summary_zh="太行山野生连翘嫩叶经杀青、揉捻和低温烘干制成代用茶，连翘酯苷A含量稳定，口感清爽。",
        patent="201810794352", ptype=INV, ipc="A23F 3/34", filed=date(2018, 7, 19),
        granted=date(2020, 10, 20), legal=GRANTED, inventors="苗志刚；岳红",
        modes=[NON_EX, ASSIGN], price=_yuan(120_000), trl=8,
        field="代用茶、林下经济、太行山特色农产品。",
        tags="连翘,连翘叶茶,代用茶,中药材,太行山",
        description="平顺、壶关已有合作社试产。",
    ),
    dict(
        org=AGRI_LAB, title_zh="潞党参种子丸粒化包衣与育苗技术",
        summary_zh="种子丸粒化包衣后适合机械精量播种，出苗率由50%提高到80%以上，减少间苗用工。",
        patent="202220947185", ptype=UM, ipc="A01C 1/06", filed=date(2022, 4, 22),
        granted=date(2022, 9, 9), legal=GRANTED, inventors="贾丽萍；岳红；秦国庆",
        modes=[NON_EX], price=_yuan(50_000), trl=7,
        field="中药材种植合作社、种子企业。",
        tags="潞党参,种子包衣,育苗,中药材种植,精量播种",
        description="",
    ),
    # --- new-energy vehicle parts
    dict(
        org=AUTO_PARTS, title_zh="电池包铝合金下箱体搅拌摩擦焊工艺",
        title_en="Friction stir welding of aluminium battery-pack lower housings",
        summary_zh="6系铝型材拼焊下箱体，采用双轴肩搅拌摩擦焊，焊缝强度系数≥0.8，气密性满足IP67，"
                   "比MIG焊变形减少60%。",
        summary_en="Bobbin-tool FSW of 6xxx extrusions: joint efficiency ≥0.8, IP67 tightness "
                   "and 60% less distortion than MIG.",
        patent="202110674582", ptype=INV, ipc="B23K 20/12", filed=date(2021, 6, 18),
        granted=date(2023, 10, 27), legal=GRANTED, inventors="李志强；王帅；郭晓鹏",
        modes=[NON_EX, JOINT], price=_yuan(900_000), trl=8,
        field="新能源汽车电池包、储能柜箱体。",
        tags="搅拌摩擦焊,FSW,电池包,下箱体,铝合金,新能源汽车",
        description="",
    ),
    dict(
        org=AUTO_PARTS, title_zh="新能源汽车驱动电机壳体高真空压铸技术",
        summary_zh="高真空压铸结合局部挤压，壳体内部气孔率小于1%，可热处理，水套一次成形。",
        patent="202210538617", ptype=INV, ipc="B22D 17/14", filed=date(2022, 5, 12),
        granted=None, legal=PENDING, inventors="李志强；胡涛",
        modes=[JOINT], price=None, trl=6,
        field="电机壳体、减速器壳体、一体化压铸。",
        tags="压铸,高真空压铸,电机壳体,新能源汽车,铝合金",
        description="需要工业CT配合做气孔检测。",
    ),
    dict(
        org=AUTO_PARTS, title_zh="动力电池液冷板",
        summary_zh="口琴管与钎焊集流管结构，流阻降低20%，温差控制在3 ℃以内。",
        patent="202320745318", ptype=UM, ipc="H01M 10/6556", filed=date(2023, 3, 31),
        granted=date(2023, 9, 15), legal=GRANTED, inventors="王帅；李志强",
        modes=[NON_EX, ASSIGN], price=_yuan(180_000), trl=8,
        field="动力电池热管理、储能电池。",
        tags="液冷板,热管理,动力电池,储能,新能源汽车",
        description="",
    ),
    # --- intelligent manufacturing
    dict(
        org=VOCATIONAL, title_zh="基于深度学习的机加工零件表面缺陷视觉检测系统",
        title_en="Deep-learning visual inspection of machined part surfaces",
        summary_zh="工业相机加YOLO模型在线识别划伤、磕碰、锈蚀和漏加工，检出率98%，"
                   "可接入PLC实现自动剔除。",
        summary_en="Industrial cameras with a YOLO model detect scratches, dents, rust and "
                   "missed operations in line (98% detection) and signal a PLC.",
        patent=None, ptype=None, ipc="G06T 7/00", filed=None, granted=None, legal=KNOW_HOW,
        inventors="赵宇航；常红梅", modes=[NON_EX, JOINT], price=_yuan(150_000), trl=6,
        field="机加工、汽车零部件、轴承质检。",
        tags="机器视觉,缺陷检测,深度学习,YOLO,智能制造,质检",
        description="已登记软件著作权；可按产线定制训练。",
    ),
    dict(
        org=JIENUO, title_zh="激光SLAM自然导航AGV",
        title_en="Laser-SLAM natural-navigation AGV",
        summary_zh="无需反光板与磁条，定位精度±10 mm，载重1.5 t，适合车间物料转运与立体库对接。",
        summary_en="Reflector-free laser-SLAM AGV with ±10 mm accuracy and 1.5 t payload for "
                   "shop-floor logistics.",
        patent="202210365847", ptype=INV, ipc="G05D 1/02", filed=date(2022, 4, 1),
        granted=date(2024, 6, 21), legal=GRANTED, inventors="牛晓东；申鹏",
        modes=[NON_EX, JOINT], price=_yuan(600_000), trl=7,
        field="智能工厂物流、仓储。",
        tags="AGV,SLAM,激光导航,智能物流,智能制造",
        description="",
    ),
    dict(
        org=JIENUO, title_zh="煤矿井下带式输送机巡检机器人",
        summary_zh="挂轨式巡检机器人，红外测温、声音识别托辊故障和烟雾监测，本安型设计。",
        patent="202110947582", ptype=INV, ipc="B25J 11/00", filed=date(2021, 8, 17),
        granted=date(2024, 2, 6), legal=GRANTED, inventors="牛晓东；郭鹏；张晓燕",
        modes=[JOINT, EX], price=None, trl=6,
        field="煤矿智能化、带式输送机运维。",
        tags="巡检机器人,煤矿智能化,带式输送机,红外测温,本安",
        description="防爆认证正在办理，寻求联合开发伙伴。",
    ),
    dict(
        org=LUCHENG_MAKERS, title_zh="小型农产品光电色选分拣装置",
        summary_zh="面向小米、红枣和核桃的小型光电色选机，单机处理量300 kg/h，售价为进口设备的三分之一。",
        patent="202321458739", ptype=UM, ipc="B07C 5/342", filed=date(2023, 6, 8),
        granted=date(2023, 12, 19), legal=GRANTED, inventors="刘洋；宋佳琪",
        modes=[NON_EX, JOINT], price=_yuan(80_000), trl=6,
        field="农产品初加工、合作社。",
        tags="色选机,分拣,小米,农产品加工,光电分选,创客",
        description="创客团队自研，样机已在潞城合作社试用。",
    ),
    dict(
        org=YOUTH_STUDIO, title_zh="数控机床远程运维物联网平台",
        summary_zh="网关采集FANUC、西门子系统数据，实现稼动率统计、报警推送和刀具寿命预警，"
                   "适合中小机加工厂。",
        patent=None, ptype=None, ipc=None, filed=None, granted=None, legal=KNOW_HOW,
        inventors="邢宇航；牛佳", modes=[NON_EX], price=_yuan(20_000), trl=7,
        field="机加工车间数字化改造。",
        tags="物联网,IoT,数控机床,远程运维,稼动率,智能制造",
        description="软件授权按台收费，提供安装调试。",
    ),
    dict(
        org=DRONE_MAKERS, title_zh="植保无人机处方图变量喷洒控制器",
        summary_zh="根据多光谱处方图实时调节流量，谷子田节药20%以上，兼容主流植保无人机。",
        patent="202322617485", ptype=UM, ipc="B64D 1/18", filed=date(2023, 9, 26),
        granted=date(2024, 4, 12), legal=GRANTED, inventors="段小龙；冯佳",
        modes=[NON_EX, JOINT], price=_yuan(50_000), trl=6,
        field="植保服务、智慧农业。",
        tags="植保无人机,变量喷洒,智慧农业,谷子,无人机",
        description="",
    ),
    # --- environmental protection
    dict(
        org=ENVIRO, title_zh="焦化废水臭氧催化氧化深度处理工艺",
        title_en="Catalytic ozonation for advanced treatment of coking wastewater",
        summary_zh="生化出水经负载型锰铈催化剂臭氧氧化，COD由150 mg/L降至50 mg/L以下，"
                   "运行成本约2.5元/吨。",
        summary_en="Mn-Ce catalysed ozonation lowers COD of biotreated coking wastewater from "
                   "150 to below 50 mg/L at about ¥2.5 per tonne.",
        patent="201911237546", ptype=INV, ipc="C02F 1/78", filed=date(2019, 12, 6),
        granted=date(2022, 8, 9), legal=GRANTED, inventors="韩志刚；史建国；赵敏",
        modes=[NON_EX, ASSIGN], price=_yuan(1_200_000), trl=8,
        field="焦化、煤化工废水，工业园区污水处理厂。",
        tags="焦化废水,臭氧催化氧化,COD,废水处理,煤化工,环保",
        description="已在两家焦化企业稳定运行。",
    ),
    dict(
        org=COAL_INST, title_zh="低温SCR脱硝催化剂及其制备方法",
        summary_zh="锰铈复合氧化物催化剂，150–250 ℃脱硝效率≥90%，抗硫抗水，适合焦炉烟气和工业锅炉。",
        patent="202010875139", ptype=INV, ipc="B01J 23/34", filed=date(2020, 8, 27),
        granted=date(2023, 1, 6), legal=GRANTED, inventors="孟凡超；史建国",
        modes=[EX, NON_EX], price=_yuan(1_600_000), trl=7,
        field="焦炉烟气、工业锅炉、窑炉脱硝。",
        tags="脱硝,SCR,催化剂,低温脱硝,烟气治理,焦炉",
        description="",
    ),
    dict(
        org=ENVIRO, title_zh="煤矿矿井水超滤反渗透资源化利用工艺",
        summary_zh="高矿化度矿井水经混凝、超滤和反渗透处理后回用于选煤和绿化，回收率≥75%。",
        patent="202111034629", ptype=INV, ipc="C02F 9/00", filed=date(2021, 9, 3),
        granted=None, legal=PENDING, inventors="韩志刚；杨帆",
        modes=[NON_EX, JOINT], price=None, trl=7,
        field="煤矿水处理、工业园区中水回用。",
        tags="矿井水,反渗透,超滤,中水回用,水处理,煤矿",
        description="",
    ),
    dict(
        org=ENVIRO, title_zh="农村生活污水一体化处理设备",
        summary_zh="A/O-MBR一体化设备，日处理5–50吨，出水达到一级A标准，适合山区分散村落。",
        patent="202022658473", ptype=UM, ipc="C02F 3/30", filed=date(2020, 11, 17),
        granted=date(2021, 7, 2), legal=GRANTED, inventors="韩志刚；杨帆",
        modes=[NON_EX, ASSIGN], price=_yuan(120_000), trl=9,
        field="农村污水治理、乡村振兴。",
        tags="农村污水,一体化设备,MBR,污水处理,乡村振兴",
        description="",
    ),
    # --- a draft and an archived one
    dict(
        org=HONGXING, status=ListingStatus.DRAFT, title_zh="小米锅巴低油烘烤配方",
        summary_zh="以小米和马铃薯全粉为主料的烘烤型锅巴，含油量低于10%。",
        patent=None, ptype=None, ipc=None, filed=None, granted=None, legal=KNOW_HOW,
        inventors="陈杰", modes=[NON_EX], price=None, trl=5,
        field="休闲食品。", tags="小米,锅巴,烘烤", description="草稿：待企业认证后发布。",
    ),
    dict(
        org=OPTO, status=ListingStatus.ARCHIVED, title_zh="LED封装用高折射率有机硅胶",
        summary_zh="已独占许可给合作企业，不再对外许可。",
        patent="201710625843", ptype=INV, ipc="C08L 83/04", filed=date(2017, 7, 28),
        granted=date(2019, 11, 12), legal=GRANTED, inventors="郭建华；陈立新",
        modes=[EX], price=None, trl=9,
        field="LED封装。", tags="LED封装,有机硅", description="",
    ),
]


# ---------------------------------------------------------------------------------------------
# vacant space in the parks and development zones
FACTORY, WAREHOUSE, OFFICE_SPACE, DESK, LAB = (SpaceType.FACTORY, SpaceType.WAREHOUSE,
                                               SpaceType.OFFICE, SpaceType.INCUBATOR_DESK,
                                               SpaceType.LAB)

SPACES: list[dict] = [
    # --- 上党经济技术开发区 (140404401)
    dict(
        org=SHANGDANG_PARK, space_type=FACTORY, district="140404401",
        park_name="上党经开区装备制造产业园",
        title_zh="上党经开区单层钢结构标准厂房A3栋（带10吨行车）",
        title_en="Single-storey steel-frame factory A3 with 10 t crane, Shangdang ETDZ",
        summary_zh="单层门式钢结构厂房，檐口高度9米，跨度24米，配10吨桥式行车，"
                   "地面承重5吨/平方米，适合装备制造、液压件和金属加工企业。",
        summary_en="Single-storey portal-frame factory, 9 m eaves, 24 m span, 10 t overhead "
                   "crane and 5 t/m² floor, for machinery and metalworking.",
        area_m2=2400, area_free_m2=2400, floor_height_m=9.0, floor_load_kn_m2=50.0,
        power_kva=630, rent_fen_per_m2_month=_yuan(15), available_from=date(2026, 12, 1),
        min_lease_months=36, address="上党经济技术开发区园区路1号A3栋",
        tags="标准厂房,钢结构厂房,行车,单层厂房,装备制造,上党经开区",
        description="独立变压器630 kVA，天然气已通；入驻企业前两年可享受租金补贴（以园区政策为准）。",
    ),
    dict(
        org=SHANGDANG_PARK, space_type=FACTORY, district="140404401",
        park_name="上党经开区装备制造产业园",
        title_zh="上党经开区多层标准厂房B2栋二层",
        summary_zh="四层框架结构标准厂房第二层，层高5.4米，楼面荷载8 kN/m²，配3吨货梯两部，"
                   "适合电子装配、精密仪器和新材料小试。",
        area_m2=1200, area_free_m2=1200, floor_height_m=5.4, floor_load_kn_m2=8.0,
        power_kva=250, rent_fen_per_m2_month=_yuan(12), available_from=date(2026, 12, 15),
        min_lease_months=24, address="上党经济技术开发区园区路1号B2栋",
        tags="多层厂房,标准厂房,电子装配,货梯,上党经开区",
        description="可分割为两个600平方米单元出租。",
    ),
    dict(
        org=SHANGDANG_PARK, space_type=WAREHOUSE, district="140404401",
        park_name="上党经开区物流园",
        title_zh="上党经开区丙二类仓库（带装卸平台）",
        summary_zh="单层丙二类仓库，净高8米，配1.2米高装卸平台和液压升降调节板，"
                   "消防喷淋齐全，距高速出入口约10分钟车程。",
        area_m2=3000, area_free_m2=1800, floor_height_m=8.0, floor_load_kn_m2=30.0,
        power_kva=100, rent_fen_per_m2_month=_yuan(10), available_from=date(2026, 12, 1),
        min_lease_months=12, address="上党经济技术开发区物流园6号库",
        tags="仓库,丙二类仓库,装卸平台,物流仓储,上党经开区",
        description="剩余1800平方米可整租或分租，最小分租面积600平方米。",
    ),
    dict(
        org=SHANGDANG_PARK, space_type=DESK, district="140404401",
        park_name="上党新材料孵化器",
        title_zh="上党新材料孵化器开放工位",
        summary_zh="开放式联合办公工位，每工位约6平方米，每月300元，含网络、会议室与前台服务，"
                   "新材料和化工方向初创团队可申请入孵补贴。",
        area_m2=360, area_free_m2=150, floor_height_m=3.6, floor_load_kn_m2=None,
        power_kva=None, rent_fen_per_m2_month=_yuan(50), available_from=None,
        min_lease_months=3, address="上党经济技术开发区创新大道8号3层",
        tags="孵化器,工位,联合办公,众创空间,初创团队,入孵",
        description="可就近使用上党新材料研究院的检测仪器，凭创新券抵扣测试费。",
    ),
    dict(
        org=SHANGDANG_PARK, space_type=FACTORY, district="140404401",
        park_name="上党经开区新材料产业园", status=ListingStatus.DRAFT,
        title_zh="上党经开区中试车间（丙类，带尾气处理）",
        summary_zh="新材料中试车间，配通风与尾气处理系统，环评手续办理中。",
        area_m2=800, area_free_m2=800, floor_height_m=7.5, floor_load_kn_m2=20.0,
        power_kva=400, rent_fen_per_m2_month=_yuan(18), available_from=date(2027, 4, 1),
        min_lease_months=36, address="上党经济技术开发区新材料产业园",
        tags="中试车间,新材料", description="草稿：待环评批复后发布。",
    ),
    # --- 长治经济技术开发区 潞州区部分 (140403403)
    dict(
        org=SCITECH_CITY, space_type=DESK, district="140403403", park_name="长治经开区科创城",
        title_zh="科创城众创空间开放工位（拎包入驻）",
        title_en="Open desks in the Sci-Tech City makerspace",
        summary_zh="科创城众创空间开放工位，每月每位280元，免费工商注册地址、路演厅和会议室，"
                   "入驻团队可申请科技型中小企业评价辅导。",
        summary_en="Open desks at ¥280 per month with registered address, pitch hall and "
                   "meeting rooms.",
        area_m2=480, area_free_m2=210, floor_height_m=4.2, floor_load_kn_m2=None,
        power_kva=None, rent_fen_per_m2_month=_yuan(45), available_from=None,
        min_lease_months=3, address="长治经济技术开发区科创城1号楼2层",
        tags="众创空间,孵化器,工位,联合办公,创业,注册地址",
        description="每工位按6平方米折算；首三个月租金减半。",
    ),
    dict(
        org=SCITECH_CITY, space_type=OFFICE_SPACE, district="140403403",
        park_name="长治经开区科创城",
        title_zh="科创城研发办公楼精装办公室（320平方米）",
        summary_zh="精装修研发办公，含4个独立办公室和一个开放区，中央空调，可注册高新技术企业，"
                   "楼下有食堂和人才公寓。",
        area_m2=320, area_free_m2=320, floor_height_m=3.6, floor_load_kn_m2=3.0,
        power_kva=None, rent_fen_per_m2_month=_yuan(28), available_from=date(2026, 12, 1),
        min_lease_months=12, address="长治经济技术开发区科创城3号楼6层",
        tags="办公室,写字楼,研发办公,精装修,高新技术企业",
        description="物业费4元/平方米·月另计。",
    ),
    dict(
        org=SCITECH_CITY, space_type=LAB, district="140403403", park_name="长治经开区科创城",
        title_zh="科创城公共中试实验室（通风橱、纯水、气路）",
        title_en="Shared pilot laboratory at Sci-Tech City (fume hoods, pure water, gas lines)",
        summary_zh="可分租的化学与材料实验室，每间60–120平方米，配通风橱、实验台、纯水系统"
                   "和集中供气，适合新材料、化工和生物医药小试。",
        summary_en="Rentable chemistry and materials labs of 60–120 m² with fume hoods, pure "
                   "water and central gas supply.",
        area_m2=600, area_free_m2=360, floor_height_m=4.5, floor_load_kn_m2=5.0,
        power_kva=200, rent_fen_per_m2_month=_yuan(40), available_from=date(2027, 1, 1),
        min_lease_months=12, address="长治经济技术开发区科创城5号楼1层",
        tags="实验室,中试实验室,通风橱,化学实验室,小试,生物医药",
        description="危化品须按园区规定申报储存；废液由园区统一委托处置。",
    ),
    dict(
        org=SCITECH_CITY, space_type=FACTORY, district="140403403",
        park_name="长治经开区光电产业园",
        title_zh="经开区光电产业园万级洁净车间",
        title_en="ISO 7 cleanroom workshop in the optoelectronics park",
        summary_zh="万级（ISO 7）洁净车间，带千级局部，恒温恒湿，配纯水和工艺排风，"
                   "适合LED封装、光电器件和医疗器械生产。",
        summary_en="ISO 7 cleanroom with ISO 6 zones, constant temperature and humidity, pure "
                   "water and exhaust, for LED packaging and medical devices.",
        area_m2=1500, area_free_m2=1500, floor_height_m=4.0, floor_load_kn_m2=10.0,
        power_kva=800, rent_fen_per_m2_month=_yuan(45), available_from=date(2027, 3, 1),
        min_lease_months=36, address="长治经济技术开发区光电产业园7号厂房",
        tags="洁净车间,无尘车间,万级,LED封装,光电,医疗器械",
        description="原LED封装企业搬迁后空置，洁净系统经检测合格可直接使用。",
    ),
    dict(
        org=SCITECH_CITY, space_type=OFFICE_SPACE, district="140403403",
        park_name="长治经开区科创城",
        title_zh="科创城小型独立办公室（20–50平方米）",
        summary_zh="适合3–8人团队的小型独立办公室，共享会议室与茶水间，含物业和网络。",
        area_m2=400, area_free_m2=160, floor_height_m=3.3, floor_load_kn_m2=None,
        power_kva=None, rent_fen_per_m2_month=_yuan(35), available_from=None,
        min_lease_months=6, address="长治经济技术开发区科创城2号楼4层",
        tags="独立办公室,小办公室,孵化器,创业团队",
        description="",
    ),
    # --- 潞城经济技术开发区 (140406400)
    dict(
        org=LUCHENG_PARK, space_type=FACTORY, district="140406400",
        park_name="潞城经开区装备制造园",
        title_zh="潞城经开区重型钢结构厂房（跨度30米，20吨行车）",
        summary_zh="潞城经开区重型厂房，跨度30米，轨顶高度10米，两台20吨行车，"
                   "独立630 kVA变压器，适合重型机械、钢结构和大型铸锻件加工。",
        area_m2=4800, area_free_m2=4800, floor_height_m=12.0, floor_load_kn_m2=80.0,
        power_kva=630, rent_fen_per_m2_month=_yuan(18), available_from=date(2026, 12, 1),
        min_lease_months=60, address="潞城经济技术开发区装备制造园",
        tags="重型厂房,钢结构厂房,行车,标准厂房,装备制造,潞城",
        description="可按企业需求代建附属办公楼；长租五年以上租金可议。",
    ),
    dict(
        org=LUCHENG_PARK, space_type=FACTORY, district="140406400",
        park_name="潞城经开区双创孵化基地",
        title_zh="潞城经开区小微企业标准厂房（500平方米起）",
        summary_zh="单层标准厂房，每单元500平方米，层高7米，380V动力电到位，"
                   "适合农产品加工设备、3D打印服务和小型机加工的初创企业。",
        area_m2=3000, area_free_m2=1500, floor_height_m=7.0, floor_load_kn_m2=30.0,
        power_kva=160, rent_fen_per_m2_month=_yuan(12), available_from=date(2026, 12, 1),
        min_lease_months=12, address="潞城经济技术开发区双创孵化基地",
        tags="小微企业厂房,标准厂房,小厂房,初创企业,潞城,创客",
        description="前两年租金减半（潞城区双创扶持政策）；距潞城太行创客空间步行5分钟。",
    ),
    dict(
        org=LUCHENG_PARK, space_type=WAREHOUSE, district="140406400",
        park_name="潞城经开区物流园",
        title_zh="潞城经开区化工原料仓库（甲乙类）",
        summary_zh="甲、乙类危险化学品仓库，防爆电气、可燃气体报警和围堰齐全，"
                   "服务周边煤化工与精细化工企业。",
        area_m2=1200, area_free_m2=600, floor_height_m=6.0, floor_load_kn_m2=20.0,
        power_kva=50, rent_fen_per_m2_month=_yuan(25), available_from=date(2027, 1, 1),
        min_lease_months=12, address="潞城经济技术开发区化工园区仓储区",
        tags="危化品仓库,甲类仓库,化工仓库,煤化工,潞城",
        description="承租方须具备危险化学品经营许可。",
    ),
    dict(
        org=LUCHENG_PARK, space_type=DESK, district="140406400",
        park_name="潞城经开区双创孵化基地",
        title_zh="潞城双创孵化基地创客工位",
        summary_zh="创客工位每月200元，可使用基地木工、激光雕刻和3D打印公共工坊。",
        area_m2=240, area_free_m2=96, floor_height_m=4.0, floor_load_kn_m2=None,
        power_kva=None, rent_fen_per_m2_month=_yuan(33), available_from=None,
        min_lease_months=3, address="潞城经济技术开发区双创孵化基地2号楼",
        tags="创客,工位,孵化器,众创空间,3D打印,潞城",
        description="返乡创业青年可申请免租六个月。",
    ),
    dict(
        org=LUCHENG_PARK, space_type=WAREHOUSE, district="140406400",
        park_name="潞城经开区物流园", status=ListingStatus.ARCHIVED,
        title_zh="潞城经开区物流园3号库（已出租）",
        summary_zh="已整体出租，感谢关注。",
        area_m2=2000, area_free_m2=0, floor_height_m=9.0, floor_load_kn_m2=30.0,
        power_kva=80, rent_fen_per_m2_month=_yuan(9), available_from=None,
        min_lease_months=12, address="潞城经济技术开发区物流园",
        tags="仓库,已出租", description="",
    ),
    # --- 屯留经济技术开发区 (140405403)
    dict(
        org=TUNLIU_PARK, space_type=FACTORY, district="140405403",
        park_name="屯留经开区新能源产业园",
        title_zh="屯留经开区新能源产业园标准厂房",
        summary_zh="光伏与储能配套产业标准厂房，层高10米，双回路供电，配5吨行车，"
                   "可申请屯留区新能源产业招商优惠。",
        area_m2=3600, area_free_m2=3600, floor_height_m=10.0, floor_load_kn_m2=50.0,
        power_kva=1250, rent_fen_per_m2_month=_yuan(14), available_from=date(2027, 2, 15),
        min_lease_months=36, address="屯留经济技术开发区新能源产业园",
        tags="标准厂房,新能源,光伏,储能,双回路供电,屯留",
        description="",
    ),
    dict(
        org=TUNLIU_PARK, space_type=OFFICE_SPACE, district="140405403",
        park_name="屯留经开区企业服务中心",
        title_zh="屯留经开区企业服务中心办公楼",
        summary_zh="园区企业服务中心三、四层办公用房，可整层或分间出租，适合入园企业设立办公与研发部门。",
        area_m2=900, area_free_m2=600, floor_height_m=3.5, floor_load_kn_m2=None,
        power_kva=None, rent_fen_per_m2_month=_yuan(15), available_from=None,
        min_lease_months=12, address="屯留经济技术开发区企业服务中心",
        tags="办公楼,办公室,屯留,企业服务中心",
        description="",
    ),
    dict(
        org=TUNLIU_PARK, space_type=FACTORY, district="140405403",
        park_name="屯留经开区新材料产业园",
        title_zh="屯留经开区炭材料车间（可做焙烧、石墨化配套）",
        summary_zh="原炭素企业闲置车间，高压电1600 kVA、循环水和天然气已接入，"
                   "适合针状焦、负极材料、活性炭等炭材料项目。",
        area_m2=5200, area_free_m2=5200, floor_height_m=14.0, floor_load_kn_m2=60.0,
        power_kva=1600, rent_fen_per_m2_month=_yuan(13), available_from=date(2026, 12, 20),
        min_lease_months=60, address="屯留经济技术开发区康庄工业园",
        tags="炭材料,负极材料,活性炭,高压电,车间,屯留,煤基新材料",
        description="环评按炭材料项目另行办理。",
    ),
    # --- 襄垣经济技术开发区 (140423402)
    dict(
        org=XIANGYUAN_PARK, space_type=FACTORY, district="140423402",
        park_name="襄垣经开区智造产业园",
        title_zh="襄垣经开区智造产业园光电厂房",
        title_en="Optoelectronics factory, Xiangyuan ETDZ Smart Manufacturing Park",
        summary_zh="双层厂房，一层层高6米可放外延与封装设备，二层为装配与办公，"
                   "园区有LED外延材料企业可形成配套。",
        summary_en="Two-storey factory: 6 m ground floor for epitaxy and packaging equipment, "
                   "assembly and offices upstairs.",
        area_m2=2200, area_free_m2=2200, floor_height_m=6.0, floor_load_kn_m2=15.0,
        power_kva=800, rent_fen_per_m2_month=_yuan(13), available_from=date(2027, 1, 1),
        min_lease_months=36, address="襄垣经济技术开发区智造产业园",
        tags="光电厂房,LED,标准厂房,襄垣,智造产业园",
        description="",
    ),
    dict(
        org=XIANGYUAN_PARK, space_type=WAREHOUSE, district="140423402",
        park_name="襄垣经开区智造产业园",
        title_zh="襄垣经开区标准仓库",
        summary_zh="单层丙类仓库，净高7.5米，耐磨地坪，临近高速出入口，适合原材料和成品周转。",
        area_m2=1600, area_free_m2=1600, floor_height_m=7.5, floor_load_kn_m2=30.0,
        power_kva=50, rent_fen_per_m2_month=_yuan(9), available_from=None,
        min_lease_months=12, address="襄垣经济技术开发区",
        tags="仓库,丙类仓库,仓储,襄垣",
        description="",
    ),
    # --- 长子经济技术开发区 (140428400)
    dict(
        org=ZHANGZI_PARK, space_type=FACTORY, district="140428400",
        park_name="长子经开区装备制造园",
        title_zh="长子经开区机加工标准厂房",
        summary_zh="适合数控加工、钣金和焊接的标准厂房，层高8米，配5吨行车与压缩空气管道。",
        area_m2=1800, area_free_m2=900, floor_height_m=8.0, floor_load_kn_m2=40.0,
        power_kva=400, rent_fen_per_m2_month=_yuan(11), available_from=date(2026, 12, 1),
        min_lease_months=24, address="长子经济技术开发区装备制造园",
        tags="机加工厂房,标准厂房,钣金,焊接,长子",
        description="",
    ),
    dict(
        org=ZHANGZI_PARK, space_type=LAB, district="140428400",
        park_name="长子经开区研发楼",
        title_zh="长子经开区研发楼实验室用房",
        summary_zh="研发楼一层实验用房，已预留给排水、通风竖井和三相电，适合检测实验室与企业研发中心。",
        area_m2=600, area_free_m2=600, floor_height_m=4.5, floor_load_kn_m2=5.0,
        power_kva=100, rent_fen_per_m2_month=_yuan(16), available_from=date(2027, 3, 1),
        min_lease_months=24, address="长子经济技术开发区研发楼",
        tags="实验室,研发楼,研发中心,检测实验室,长子",
        description="",
    ),
    dict(
        org=ZHANGZI_PARK, space_type=WAREHOUSE, district="140428400",
        park_name="长子经开区装备制造园",
        title_zh="长子经开区钢结构仓库",
        summary_zh="钢结构仓库，可存放钢材、板材和设备，门宽6米可进大车。",
        area_m2=1000, area_free_m2=1000, floor_height_m=8.0, floor_load_kn_m2=30.0,
        power_kva=30, rent_fen_per_m2_month=_yuan(8), available_from=None,
        min_lease_months=6, address="长子经济技术开发区",
        tags="仓库,钢结构仓库,钢材存放,长子",
        description="",
    ),
    # --- 武乡经济技术开发区 (140429400)
    dict(
        org=WUXIANG_PARK, space_type=FACTORY, district="140429400",
        park_name="武乡经开区农产品加工园",
        title_zh="武乡经开区食品级标准厂房（可办SC许可）",
        summary_zh="按食品生产许可（SC）要求建设的厂房，墙面地面满足洁净要求，"
                   "适合小米、杂粮和山货深加工企业。",
        area_m2=1500, area_free_m2=1500, floor_height_m=6.0, floor_load_kn_m2=20.0,
        power_kva=250, rent_fen_per_m2_month=_yuan(10), available_from=date(2026, 12, 1),
        min_lease_months=24, address="武乡经济技术开发区农产品加工园",
        tags="食品厂房,SC许可,食品加工,小米,农产品加工,武乡",
        description="园区可协助办理食品生产许可。",
    ),
    dict(
        org=WUXIANG_PARK, space_type=WAREHOUSE, district="140429400",
        park_name="武乡经开区冷链物流中心",
        title_zh="武乡冷链物流中心冷库（−18 ℃冷冻与0–4 ℃保鲜）",
        title_en="Cold store in Wuxiang: −18 °C freezer and 0–4 °C chilled rooms",
        summary_zh="冷冻库与保鲜库可分租，适合小米、鲜食玉米、中药材和果蔬的冷藏储存，"
                   "配叉车与冷链配送。",
        summary_en="Freezer and chilled rooms for millet, sweet corn, herbs and produce; "
                   "forklifts and cold-chain delivery.",
        area_m2=2000, area_free_m2=800, floor_height_m=9.0, floor_load_kn_m2=30.0,
        power_kva=500, rent_fen_per_m2_month=_yuan(35), available_from=None,
        min_lease_months=3, address="武乡经济技术开发区冷链物流中心",
        tags="冷库,冷链,冷藏,保鲜库,冷冻库,中药材储存,武乡",
        description="也可按托盘·天计费。",
    ),
    dict(
        org=WUXIANG_PARK, space_type=DESK, district="140429400",
        park_name="武乡县农村电商孵化中心",
        title_zh="武乡农村电商孵化中心直播间与工位",
        summary_zh="配直播间、选品展厅和打包区，电商创业团队入驻免租一年。",
        area_m2=300, area_free_m2=120, floor_height_m=3.8, floor_load_kn_m2=None,
        power_kva=None, rent_fen_per_m2_month=0, available_from=None,
        min_lease_months=6, address="武乡经济技术开发区电商孵化中心",
        tags="电商孵化,直播间,工位,农村电商,武乡,免租",
        description="",
    ),
    # --- 长治经济技术开发区 上党区部分 (140404406)
    dict(
        org=ETDZ_SHANGDANG, space_type=FACTORY, district="140404406",
        park_name="长治经开区智能制造产业园",
        title_zh="智能制造产业园标准厂房（适合3D打印与精密加工）",
        title_en="Factory space for 3D printing and precision machining, ETDZ smart "
                 "manufacturing park",
        summary_zh="恒温地坪厂房，层高6米，双路供电不间断，预留惰性气体和压缩空气管道，"
                   "适合金属3D打印服务中心、精密加工和检测企业入驻。",
        summary_en="Factory with stable power from two feeders and piping for argon and "
                   "compressed air, suited to metal 3D printing bureaus and precision machining.",
        area_m2=1600, area_free_m2=1600, floor_height_m=6.0, floor_load_kn_m2=20.0,
        power_kva=500, rent_fen_per_m2_month=_yuan(16), available_from=date(2027, 1, 15),
        min_lease_months=24, address="长治市经济技术开发区上党区部分智能制造产业园",
        tags="3D打印,增材制造,精密加工,标准厂房,智能制造,双路供电",
        description="可分割为两个800平方米单元。",
    ),
    dict(
        org=ETDZ_SHANGDANG, space_type=WAREHOUSE, district="140404406",
        park_name="长治经开区仓储物流园",
        title_zh="经开区仓储物流园高标仓",
        summary_zh="高标准仓库，净高10米，地坪荷载5吨/平方米，配月台和卸货雨棚，适合电商与制造业配送仓。",
        area_m2=6000, area_free_m2=3000, floor_height_m=10.0, floor_load_kn_m2=50.0,
        power_kva=200, rent_fen_per_m2_month=_yuan(16), available_from=date(2027, 2, 1),
        min_lease_months=12, address="长治市经济技术开发区上党区部分仓储物流园",
        tags="高标仓,仓库,物流仓储,月台,电商仓",
        description="",
    ),
    # --- 黎城县经济技术开发区 (140426400)
    dict(
        org=LICHENG_PARK, space_type=FACTORY, district="140426400",
        park_name="黎城经开区装备制造园",
        title_zh="黎城经开区液压装备配套厂房",
        summary_zh="适合液压件和煤机配件加工的厂房，配10吨行车和试压泵房，周边有液压支架维修企业集聚。",
        area_m2=2000, area_free_m2=2000, floor_height_m=9.0, floor_load_kn_m2=50.0,
        power_kva=400, rent_fen_per_m2_month=_yuan(10), available_from=date(2026, 12, 1),
        min_lease_months=24, address="黎城县经济技术开发区",
        tags="液压,煤机配件,标准厂房,行车,黎城",
        description="",
    ),
    dict(
        org=LICHENG_PARK, space_type=OFFICE_SPACE, district="140426400",
        park_name="黎城经开区企业服务中心",
        title_zh="黎城经开区企业服务中心办公室",
        summary_zh="企业服务中心二层办公室，可作为入园企业的临时办公和注册地址。",
        area_m2=300, area_free_m2=200, floor_height_m=3.3, floor_load_kn_m2=None,
        power_kva=None, rent_fen_per_m2_month=_yuan(12), available_from=None,
        min_lease_months=6, address="黎城县经济技术开发区企业服务中心",
        tags="办公室,注册地址,黎城",
        description="",
    ),
    # --- spare space offered by enterprises
    dict(
        org=TAIHANG_MACH, space_type=FACTORY, district="140403403",
        park_name=None,
        title_zh="太行精密闲置机加工车间转租（500平方米）",
        summary_zh="本公司二号车间一部分空置，层高7米，有3吨行车和压缩空气，可与本公司三坐标、五轴设备共享。",
        area_m2=500, area_free_m2=500, floor_height_m=7.0, floor_load_kn_m2=30.0,
        power_kva=100, rent_fen_per_m2_month=_yuan(14), available_from=date(2027, 1, 1),
        min_lease_months=12, address="长治经济技术开发区漳泽大道 太行精密二号车间",
        tags="车间转租,机加工车间,行车,共享设备",
        description="适合配套加工的小微企业。",
    ),
    dict(
        org=AUTO_PARTS, space_type=WAREHOUSE, district="140403403",
        park_name=None,
        title_zh="晋潞汽车零部件闲置仓库分租",
        summary_zh="厂区内闲置仓库，带货架和叉车通道，可存放零部件和包装材料。",
        area_m2=800, area_free_m2=800, floor_height_m=7.0, floor_load_kn_m2=30.0,
        power_kva=20, rent_fen_per_m2_month=_yuan(9), available_from=None,
        min_lease_months=6, address="长治经济技术开发区汽车零部件产业园 晋潞厂区",
        tags="仓库,分租,货架,零部件仓储",
        description="",
    ),
    dict(
        org=MILLET, space_type=WAREHOUSE, district="140430", park_name=None,
        title_zh="沁县谷丰小米低温粮仓（恒温15 ℃）",
        summary_zh="低温储粮仓，常年15 ℃以下，防虫防霉，适合小米、杂粮和种子储存，可代为加工脱壳。",
        area_m2=1000, area_free_m2=400, floor_height_m=6.0, floor_load_kn_m2=30.0,
        power_kva=80, rent_fen_per_m2_month=_yuan(12), available_from=None,
        min_lease_months=3, address="沁县定昌镇 谷丰食品厂区",
        tags="粮仓,低温仓库,小米储存,杂粮,沁县",
        description="",
    ),
]


# ---------------------------------------------------------------------------------------------
# 三筹 campaigns: money (筹资金), expertise (筹智慧), resources (筹资源)
# resources: (item, quantity, title_zh of a catalogue listing it links to, or None)
CAMPAIGNS: list[dict] = [
    dict(
        org=LUCHENG_MAKERS, title_zh="小米光电色选分拣机样机三筹",
        title_en="Crowdfunding a millet colour-sorting machine prototype",
        summary_zh="为潞城小米合作社研制小型光电色选分拣机，剔除霉变粒和石子，"
                   "筹集样机资金、机器视觉专家和试制场地。",
        summary_en="A small optical colour sorter for Lucheng millet cooperatives: money, a "
                   "machine-vision expert and a workshop wanted.",
        goal=_yuan(150_000), days=45,
        expertise=[("机器视觉算法（霉变粒识别）", 80), ("振动给料与气动喷阀结构设计", 40)],
        resources=[("金属3D打印喷阀支架", "8件", "金属3D打印机 EOS M 290（激光选区熔化）"),
                   ("小微企业厂房", "200平方米，6个月", "潞城经开区小微企业标准厂房（500平方米起）"),
                   ("霉变小米样品", "500公斤", None)],
        rewards=[("潞城新小米2.5公斤", _yuan(99), "当季新米，真空包装。"),
                 ("合作社分拣服务券", _yuan(1000), "样机建成后免费分拣1吨小米。"),
                 ("色选机首批优先购买权", _yuan(10000), "首批量产机九折并免费上门调试。")],
        tags="众筹,三筹,色选机,小米,分拣,机器视觉,创客,潞城",
        description="团队已完成实验室原理验证，识别准确率95%。筹得资金用于样机零部件与田间试验。",
    ),
    dict(
        org=LUCHENG_MAKERS, title_zh="上党堆锦非遗文创3D打印项目",
        summary_zh="用3D扫描和光固化打印复刻上党堆锦纹样，开发冰箱贴、书签等文创产品，"
                   "筹集启动资金与文创设计支持。",
        goal=_yuan(30_000), days=30,
        expertise=[("文创产品设计", 30), ("非遗纹样授权与传承人对接", 10)],
        resources=[("光固化3D打印机时", "40小时", "工业级光固化3D打印机 联泰 Lite600"),
                   ("三维扫描", "10件堆锦作品", "蓝光三维扫描仪 GOM ATOS Q（逆向工程）")],
        rewards=[("堆锦纹样冰箱贴一套", _yuan(39), "4枚装。"),
                 ("堆锦文创礼盒", _yuan(299), "冰箱贴、书签、丝巾。")],
        tags="文创,非遗,上党堆锦,3D打印,众筹,创客",
        description="",
    ),
    dict(
        org=YOUTH_STUDIO, title_zh="光伏板无水清扫机器人量产前验证",
        title_en="Pre-production validation of a waterless PV panel cleaning robot",
        summary_zh="为屋顶和山地光伏电站研发无水清扫机器人，需完成盐雾、高低温和户外一年期验证，"
                   "筹集验证费用和光伏运维专家。",
        summary_en="Waterless cleaning robot for rooftop and hillside PV plants: salt-spray, "
                   "climate and one-year field validation.",
        goal=_yuan(200_000), days=60,
        expertise=[("光伏电站运维与发电量评估", 40), ("无刷电机与电池管理系统设计", 60)],
        resources=[("盐雾试验", "480小时", "中性盐雾试验箱（NSS/AASS/CASS）"),
                   ("高低温循环试验", "7天", "高低温交变湿热试验箱（1000 L）"),
                   ("户外测试电站", "不少于50块组件", None)],
        rewards=[("项目进展简报与致谢", _yuan(50), "每月一封。"),
                 ("电站清扫服务一次", _yuan(2000), "长治市内100 kW以内屋顶电站。"),
                 ("机器人首批供货", _yuan(30000), "量产机一台，三年质保。")],
        tags="光伏清洗,清扫机器人,光伏运维,众筹,三筹,硬件创业",
        description="",
    ),
    dict(
        org=YOUTH_STUDIO, title_zh="机床振动监测无线传感器节点试产",
        summary_zh="低功耗无线振动温度传感器，磁吸安装、电池续航两年，帮助小加工厂做设备预测性维护。",
        goal=_yuan(80_000), days=40,
        expertise=[("振动信号分析与故障诊断", 50), ("EMC整改", 16)],
        resources=[("EMC摸底测试", "1天", "3米法电波暗室EMC测试系统"),
                   ("示波器", "20小时", "混合信号示波器 Tektronix MSO64B（1 GHz）")],
        rewards=[("传感器节点2个", _yuan(600), "含一年云平台服务。"),
                 ("车间试点套装", _yuan(5000), "10个节点与网关，上门安装。")],
        tags="物联网,IoT,振动监测,预测性维护,传感器,众筹",
        description="",
    ),
    dict(
        org=DRONE_MAKERS, title_zh="谷子田无人机变量植保示范",
        title_en="Variable-rate drone spraying demonstration on millet fields",
        summary_zh="在屯留和沁县建设500亩谷子变量植保示范田，验证处方图喷洒节药效果，"
                   "筹集示范资金、农艺专家和试验田。",
        summary_en="A 500-mu demonstration of prescription-map drone spraying on millet in "
                   "Tunliu and Qinxian.",
        goal=_yuan(120_000), days=75,
        expertise=[("谷子病虫害防治农艺", 40), ("多光谱影像处理", 30)],
        resources=[("谷子示范田", "500亩", None), ("多光谱相机", "1台，3个月", None)],
        rewards=[("示范田小米2.5公斤", _yuan(68), "减药种植的沁县小米。"),
                 ("无人机植保服务", _yuan(1500), "50亩植保作业一次。"),
                 ("示范田冠名", _yuan(20000), "田头立牌并在总结报告中致谢。")],
        tags="无人机,植保,变量喷洒,谷子,小米,智慧农业,众筹",
        description="",
    ),
    dict(
        org=PINGSHUN_MAKERS, title_zh="潞党参全程溯源与品牌升级计划",
        summary_zh="为平顺潞党参建立从种植到销售的一物一码溯源，做有效成分检测和新包装，"
                   "筹资金、检测资源和冷链仓储。",
        goal=_yuan(50_000), days=50,
        expertise=[("农产品包装与品牌设计", 30), ("直播电商运营", 40)],
        resources=[("党参炔苷含量检测", "20批次", "高效液相色谱仪 Agilent 1260 Infinity II"),
                   ("冷库仓储", "100平方米，6个月",
                    "武乡冷链物流中心冷库（−18 ℃冷冻与0–4 ℃保鲜）")],
        rewards=[("潞党参礼盒", _yuan(168), "500克，附检测报告二维码。"),
                 ("认养一分党参田", _yuan(888), "三年后收获归您，全程直播。")],
        tags="潞党参,党参,溯源,中药材,电商,品牌,众筹,平顺",
        description="",
    ),
    dict(
        org=TAIHANG_MACH, title_zh="轻量化铝合金液压支架护帮板中试",
        title_en="Pilot production of lightweight aluminium face guards for roof supports",
        summary_zh="以7系铝合金替代钢制护帮板，减重40%，需要热处理专家、断口分析与标准厂房，"
                   "筹集中试资金。",
        summary_en="Replacing steel face guards with 7xxx aluminium (40% lighter): heat-treatment "
                   "expertise, fracture analysis and factory space wanted.",
        goal=_yuan(500_000), days=90,
        expertise=[("铝合金热处理工艺", 60), ("煤矿机械结构强度仿真", 40)],
        resources=[("扫描电镜断口分析", "10小时", "场发射扫描电子显微镜 Hitachi SU8010"),
                   ("标准厂房", "800平方米", "上党经开区单层钢结构标准厂房A3栋（带10吨行车）"),
                   ("疲劳试验", "96小时", "电液伺服疲劳试验机 MTS Landmark 370.25")],
        rewards=[("中试报告", _yuan(5000), "材料与疲劳试验数据汇总。"),
                 ("首批护帮板试用", _yuan(50000), "两套试用，井下跟踪半年。"),
                 ("技术合作伙伴", _yuan(200000), "共享后续专利的非独占许可。")],
        tags="铝合金,轻量化,液压支架,护帮板,中试,众筹,筹智慧",
        description="",
    ),
    dict(
        org=OPTO, title_zh="深紫外UVC-LED外延片中试线",
        title_en="UVC-LED epitaxial wafer pilot line",
        summary_zh="在襄垣建设深紫外LED外延片中试线，筹集设备资金、MOCVD工艺专家和外延片表征资源。",
        summary_en="A deep-UV LED epitaxy pilot line in Xiangyuan: equipment funds, MOCVD process "
                   "experts and characterisation wanted.",
        goal=_yuan(800_000), days=90,
        expertise=[("AlGaN材料MOCVD外延工艺", 120), ("UVC芯片可靠性测试", 40)],
        resources=[("高分辨XRD摇摆曲线测试", "30小时", "高分辨X射线衍射仪 Rigaku SmartLab 9kW"),
                   ("光致发光测试", "20小时", "稳态瞬态荧光光谱仪 Edinburgh FLS1000"),
                   ("光电厂房", "2200平方米", "襄垣经开区智造产业园光电厂房")],
        rewards=[("UVC杀菌模组样品", _yuan(500), "水杯杀菌模组一套。"),
                 ("外延片样品", _yuan(20000), "2英寸UVC外延片5片及测试数据。"),
                 ("联合开发协议", _yuan(300000), "共同申请专利、优先供货。")],
        tags="UVC,深紫外,LED,氮化镓,GaN,外延,MOCVD,众筹",
        description="",
    ),
    dict(
        org=SOLAR, title_zh="农光互补光伏储能示范项目",
        summary_zh="在上党区设施农业大棚顶建设200 kW光伏加储能示范，兼顾发电与作物补光，筹集建设资金与农业专家。",
        goal=_yuan(300_000), days=60,
        expertise=[("设施蔬菜栽培与补光", 30), ("储能系统集成", 40)],
        resources=[("大棚屋顶", "3000平方米", None),
                   ("组件EL/IV检测", "200块", "光伏组件EL/IV测试平台")],
        rewards=[("示范棚有机蔬菜箱", _yuan(128), "每月一箱，共三个月。"),
                 ("发电收益分享", _yuan(10000), "五年内按出资比例分享电费收益。")],
        tags="农光互补,光伏,储能,设施农业,众筹",
        description="",
    ),
    dict(
        org=AUTO_PARTS, title_zh="电池包轻量化下箱体样件开发",
        summary_zh="为新能源商用车开发铝合金下箱体样件，需要搅拌摩擦焊专家、疲劳试验和三坐标检测资源。",
        goal=_yuan(600_000), days=70,
        expertise=[("搅拌摩擦焊工艺", 60), ("电池包结构仿真（振动、挤压）", 50)],
        resources=[("疲劳试验", "72小时", "电液伺服疲劳试验机 MTS Landmark 370.25"),
                   ("三坐标检测", "16小时", "三坐标测量机 Hexagon GLOBAL S 9.15.8"),
                   ("工业CT焊缝检测", "8小时", "工业CT无损检测系统 YXLON FF35 CT")],
        rewards=[("样件测试报告", _yuan(5000), "焊缝与气密性数据。"),
                 ("样件一套", _yuan(80000), "可用于整车验证。")],
        tags="电池包,下箱体,轻量化,搅拌摩擦焊,新能源汽车,众筹",
        description="",
    ),
    dict(
        org=ENVIRO, title_zh="焦化废水深度处理移动式中试装置",
        summary_zh="建设5吨/天移动式臭氧催化氧化中试装置，到各焦化厂现场验证，筹集装置资金与分析检测资源。",
        goal=_yuan(400_000), days=60,
        expertise=[("臭氧催化剂评价", 40), ("焦化废水有机物分析", 30)],
        resources=[("GC-MS有机物分析", "30个样品",
                    "气相色谱-质谱联用仪 Agilent 8890-5977B"),
                   ("COD、氨氮检测", "200个样品",
                    "水质多参数分析仪 Hach DR6000（COD、氨氮、总磷）")],
        rewards=[("中试数据报告", _yuan(3000), "含运行成本核算。"),
                 ("现场中试一个月", _yuan(60000), "装置进厂运行并出具评估报告。")],
        tags="焦化废水,臭氧催化氧化,中试,环保,废水处理,众筹",
        description="",
    ),
    dict(
        org=JIENUO, title_zh="防爆巡检机器人煤安认证冲刺",
        summary_zh="带式输送机巡检机器人进入防爆与煤安认证阶段，筹集认证费用、防爆设计专家和EMC测试资源。",
        goal=_yuan(1_000_000), days=90,
        expertise=[("本安与隔爆设计", 80), ("煤安认证申报", 20)],
        resources=[("EMC测试", "3天", "3米法电波暗室EMC测试系统"),
                   ("井下试验巷道", "1个月", None)],
        rewards=[("认证进展直播", _yuan(100), "参加线上进展分享会。"),
                 ("机器人租用三个月", _yuan(90000), "含安装与运维。"),
                 ("区域代理资格", _yuan(300000), "长治市内一个县区的代理权。")],
        tags="巡检机器人,防爆,煤安认证,煤矿智能化,EMC,众筹",
        description="",
    ),
    dict(
        org=LUSHEN, title_zh="潞党参趁鲜切制GMP生产线改造",
        summary_zh="按中药饮片GMP改造产地加工车间，上线低温干燥与在线检测，筹集改造资金和质量标准专家。",
        goal=_yuan(350_000), days=55,
        expertise=[("中药饮片GMP与质量标准", 40), ("干燥设备工艺调试", 20)],
        resources=[("液相色谱含量测定", "50批次", "高效液相色谱仪 Agilent 1260 Infinity II"),
                   ("农残与二氧化硫检测", "20批次",
                    "液相色谱-三重四极杆质谱联用仪 Waters Xevo TQ-S")],
        rewards=[("趁鲜切制党参片", _yuan(128), "250克×2罐。"),
                 ("企业团购价", _yuan(5000), "一年内饮片九折。")],
        tags="潞党参,中药饮片,GMP,趁鲜切制,中药材,众筹",
        description="",
    ),
    dict(
        org=MILLET, title_zh="沁县即食小米营养粉新品上市三筹",
        summary_zh="引进低温挤压熟化技术开发即食小米营养粉，筹集首批生产资金、食品配方专家和检测资源。",
        goal=_yuan(200_000), days=35,
        expertise=[("婴幼儿谷物辅食配方", 40), ("食品标签与营养成分标示", 10)],
        resources=[("矿物元素检测", "10批次", "原子吸收光谱仪 PerkinElmer PinAAcle 900T"),
                   ("食品级厂房", "500平方米", "武乡经开区食品级标准厂房（可办SC许可）")],
        rewards=[("小米营养粉尝鲜装", _yuan(59), "6袋装。"),
                 ("家庭年卡", _yuan(599), "每月一盒，共12个月。"),
                 ("经销商首批", _yuan(20000), "首批货品七五折。")],
        tags="小米,小米粉,即食,营养粉,新品,众筹,沁县",
        description="",
    ),
    dict(
        org=CARBON, title_zh="煤基超级电容炭千吨级示范线",
        summary_zh="将无烟煤基超级电容活性炭从百公斤级放大到千吨级，筹集示范线资金、电化学专家和表征资源。",
        goal=_yuan(500_000), days=80,
        expertise=[("超级电容器电极评测", 40), ("回转炉活化工艺放大", 60)],
        resources=[("BET比表面积测试", "60个样品", "比表面积及孔径分析仪 Micromeritics ASAP 2460"),
                   ("拉曼光谱", "20小时", "显微共焦拉曼光谱仪 Horiba LabRAM HR Evolution"),
                   ("炭材料车间", "5200平方米", "屯留经开区炭材料车间（可做焙烧、石墨化配套）")],
        rewards=[("电容炭样品", _yuan(1000), "1公斤及检测报告。"),
                 ("优先供货协议", _yuan(100000), "投产后三年优先供货。")],
        tags="超级电容,活性炭,煤基新材料,示范线,储能,众筹",
        description="",
    ),
    dict(
        org=HYDRAULIC, title_zh="液压阀性能试验台共建",
        summary_zh="联合黎城周边液压维修企业共建31.5 MPa液压阀出厂试验台，筹资金与液压测试专家。",
        goal=_yuan(250_000), days=45,
        expertise=[("液压试验台设计", 40), ("MT/T煤炭行业标准解读", 10)],
        resources=[("试验台场地", "200平方米", "黎城经开区液压装备配套厂房")],
        rewards=[("试验台使用券", _yuan(2000), "10次阀类出厂试验。"),
                 ("共建单位", _yuan(50000), "三年内不限次数使用。")],
        tags="液压,液压阀,试验台,共建,煤矿机械,众筹",
        description="",
    ),
    # --- a draft
    dict(
        org=HONGXING, status=ListingStatus.DRAFT, title_zh="武乡小米锅巴新品众筹",
        summary_zh="草稿：待企业认证通过后发布。", goal=_yuan(50_000), days=30,
        expertise=[("休闲食品配方", 20)], resources=[],
        rewards=[("尝鲜装", _yuan(39), ""), ("整箱", _yuan(199), "")],
        tags="小米,锅巴,众筹", description="",
    ),
]


# ---------------------------------------------------------------------------------------------
# loading
_COMMON = ("title_zh", "title_en", "summary_zh", "summary_en", "description", "tags")
_INSTRUMENT_FIELDS = (
    "manufacturer", "model_name", "year_made", "capabilities", "sample_requirements",
    "lab_location", "rate_internal_fen", "rate_external_fen", "min_booking_minutes",
    "max_booking_minutes", "opening_hours", "closed_dates", "requires_training",
    "requires_approval", "accepts_vouchers")
_SPACE_FIELDS = (
    "space_type", "area_m2", "area_free_m2", "floor_height_m", "floor_load_kn_m2", "power_kva",
    "rent_fen_per_m2_month", "available_from", "min_lease_months", "park_name")
_NOT_NULL_TEXT = ("description", "tags", "capabilities", "sample_requirements",
                  "field_of_application")


def _instrument_values(spec: dict) -> dict:
    values = {key: spec.get(key) for key in _COMMON + _INSTRUMENT_FIELDS}
    values["instrument_category"] = spec["category"]
    return values


def _technology_values(spec: dict) -> dict:
    values = {key: spec.get(key) for key in _COMMON}
    values.update(
        patent_number=patent_number(spec["patent"]) if spec["patent"] else None,
        patent_type=spec["ptype"], ipc_class=spec["ipc"], filing_date=spec["filed"],
        grant_date=spec["granted"], legal_status=spec["legal"], inventors=spec["inventors"],
        licensing_modes=list(spec["modes"]), asking_price_fen=spec["price"], trl=spec["trl"],
        field_of_application=spec["field"])
    return values


def _space_values(spec: dict) -> dict:
    values = {key: spec.get(key) for key in _COMMON + _SPACE_FIELDS}
    values["district_code"] = spec["district"]
    return values


def _campaign_values(spec: dict) -> dict:
    values = {key: spec.get(key) for key in _COMMON}
    values["money_goal_fen"] = spec["goal"]
    return values


def _listing(model, org: Organization, spec: dict, values: dict, creator: User
             ) -> tuple[Listing, bool]:
    listing = db.session.scalar(sa.select(model).where(
        model.organization_id == org.id, model.title_zh == spec["title_zh"]))
    created = listing is None
    if created:
        listing = model(organization=org, organization_id=org.id, created_by_id=creator.id)
        db.session.add(listing)
    contact = CONTACTS.get(spec["org"], (None, None, None))
    values = {"district_code": org.district_code, "address": spec.get("address", org.address),
              "contact_name": contact[0], "contact_phone": contact[1],
              "contact_email": contact[2], **values}
    for key, value in values.items():
        if value is None and key in _NOT_NULL_TEXT:
            value = ""
        setattr(listing, key, value)
    return listing, created


def _apply_status(listing: Listing, status: ListingStatus, published: datetime,
                  now: datetime) -> None:
    if status == ListingStatus.DRAFT:
        if listing.status != ListingStatus.DRAFT:
            listing.status = ListingStatus.DRAFT
            listing.published_at = None
            listing.archived_at = None
    elif status == ListingStatus.PUBLISHED:
        if listing.status != ListingStatus.PUBLISHED:
            listing.publish(published)
    elif listing.status != ListingStatus.ARCHIVED:
        if listing.published_at is None:
            listing.publish(published)
        listing.archive(now)


def _sync_children(collection: list, wanted: list[tuple], key, build, update) -> None:
    """Make ``collection`` hold exactly ``wanted`` (matched by ``key``), keeping existing rows."""
    existing = {key(child): child for child in collection}
    for item in wanted:
        child = existing.pop(item[0], None)
        if child is None:
            collection.append(build(item))
        else:
            update(child, item)
    for child in existing.values():
        collection.remove(child)


def load_demo_catalogue(organizations_by_code17: dict[str, Organization], creator: User
                        ) -> dict[str, int]:
    """Create or refresh the demo catalogue; returns counts per kind and how many were new.

    Flushes but does not commit. Published listings are indexed by the session hook on commit.
    """
    now = utcnow()
    counts = {"instruments": 0, "technologies": 0, "spaces": 0, "campaigns": 0,
              "listings_created": 0, "published": 0, "drafts": 0, "archived": 0}
    by_title: dict[str, Listing] = {}
    serial = 0

    def add(model, spec: dict, values: dict, kind_key: str) -> Listing:
        nonlocal serial
        serial += 1
        org = organizations_by_code17[spec["org"]]
        listing, created = _listing(model, org, spec, values, creator)
        status = spec.get("status", ListingStatus.PUBLISHED)
        # publication dates spread deterministically over the past five months
        published = now - timedelta(days=(serial * 37) % 150 + 1, hours=serial % 9)
        _apply_status(listing, status, published, now)
        counts[kind_key] += 1
        counts["listings_created"] += created
        counts[{ListingStatus.PUBLISHED: "published", ListingStatus.DRAFT: "drafts",
                ListingStatus.ARCHIVED: "archived"}[status]] += 1
        by_title[spec["title_zh"]] = listing
        return listing

    for spec in INSTRUMENTS:
        add(Instrument, spec, _instrument_values(spec), "instruments")
    for spec in TECHNOLOGIES:
        add(Technology, spec, _technology_values(spec), "technologies")
    for spec in SPACES:
        add(Space, spec, _space_values(spec), "spaces")
    db.session.flush()  # ids for the campaigns' linked listings

    def linked_id(title: str | None) -> int | None:
        return by_title[title].id if title else None

    def update_need(need: ExpertiseNeed, item: tuple) -> None:
        need.hours = item[1]

    def update_resource(need: ResourceNeed, item: tuple) -> None:
        need.quantity = item[1]
        need.linked_listing_id = linked_id(item[2])

    def update_reward(tier: RewardTier, item: tuple) -> None:
        tier.min_pledge_fen = item[1]
        tier.description = item[2]

    for spec in CAMPAIGNS:
        campaign = add(Campaign, spec, _campaign_values(spec), "campaigns")
        # a refreshed campaign keeps its deadline unless fewer than 20 days are left
        if campaign.deadline is None or campaign.deadline < now + timedelta(days=20):
            campaign.deadline = now + timedelta(days=spec["days"])
        _sync_children(campaign.expertise_needs, spec["expertise"], key=lambda n: n.skill,
                       build=lambda item: ExpertiseNeed(skill=item[0], hours=item[1]),
                       update=update_need)
        _sync_children(campaign.resource_needs, spec["resources"], key=lambda n: n.item,
                       build=lambda item: ResourceNeed(item=item[0], quantity=item[1],
                                                       linked_listing_id=linked_id(item[2])),
                       update=update_resource)
        _sync_children(campaign.reward_tiers, spec["rewards"], key=lambda t: t.title,
                       build=lambda item: RewardTier(title=item[0], min_pledge_fen=item[1],
                                                     description=item[2]),
                       update=update_reward)
    db.session.flush()
    return counts
