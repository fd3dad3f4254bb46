"""A synthetic catalogue for the search benchmark: deterministic, realistic mixed Chinese/English.

Each listing is about 300 characters of indexed text (title in Chinese, in English for about half
of them, a summary and a body made of a description, kind-specific details, the publisher's name,
the district names and an address), shaped like ``listings.indexing.document_for`` builds them.
Vocabularies are real instrument, technology, space and campaign terms; district codes come from
``marketplace.reference.areas()``. Term frequencies are skewed (a few instruments, materials and
space types are much more common than others), as in a real catalogue.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from listings.search import Document
from marketplace.reference import areas

KIND_MIX = (("instrument", 40), ("technology", 30), ("space", 20), ("campaign", 10))

# (Chinese name, English name, category, tags, typical uses)
INSTRUMENTS = [
    ("场发射扫描电子显微镜", "Field emission scanning electron microscope (SEM)", "electron_microscopy",
     "SEM, 扫描电镜, 电镜", ["断口分析", "形貌观察", "微区成分分析", "失效分析", "镀层截面观察"]),
    ("钨灯丝扫描电镜", "Tungsten filament SEM", "electron_microscopy", "SEM, 电镜",
     ["断口分析", "颗粒形貌", "涂层厚度测量"]),
    ("透射电子显微镜", "Transmission electron microscope (TEM)", "electron_microscopy", "TEM, 透射电镜",
     ["晶格像观察", "纳米颗粒表征", "选区电子衍射"]),
    ("X射线能谱仪", "Energy dispersive spectrometer (EDS)", "electron_microscopy", "EDS, 能谱",
     ["元素面分布", "微区成分分析", "夹杂物鉴定"]),
    ("原子力显微镜", "Atomic force microscope (AFM)", "optical_microscopy", "AFM",
     ["表面粗糙度", "薄膜形貌", "纳米力学测试"]),
    ("金相显微镜", "Metallographic microscope", "optical_microscopy", "金相",
     ["金相组织分析", "晶粒度评级", "夹杂物评级"]),
    ("激光共聚焦显微镜", "Confocal laser scanning microscope", "optical_microscopy", "共聚焦",
     ["三维形貌", "细胞成像", "表面轮廓"]),
    ("X射线衍射仪", "X-ray diffractometer (XRD)", "x_ray", "XRD, 衍射仪",
     ["物相鉴定", "晶体结构分析", "残余应力测定", "结晶度"]),
    ("X射线荧光光谱仪", "X-ray fluorescence spectrometer (XRF)", "x_ray", "XRF",
     ["元素定量分析", "煤灰成分", "矿石品位"]),
    ("X射线光电子能谱仪", "X-ray photoelectron spectrometer (XPS)", "x_ray", "XPS",
     ["表面化学态", "元素价态分析", "薄膜成分"]),
    ("工业CT", "Industrial computed tomography (CT)", "x_ray", "CT, 无损检测",
     ["内部缺陷检测", "铸件气孔", "三维重构"]),
    ("高效液相色谱仪", "High performance liquid chromatograph (HPLC)", "chromatography", "HPLC, 液相色谱",
     ["药物含量测定", "有关物质检查", "中药指纹图谱", "食品添加剂检测"]),
    ("气相色谱仪", "Gas chromatograph (GC)", "chromatography", "GC, 气相色谱",
     ["溶剂残留", "煤气成分分析", "挥发性有机物"]),
    ("离子色谱仪", "Ion chromatograph", "chromatography", "离子色谱",
     ["阴离子检测", "水质分析", "溴酸盐测定"]),
    ("气相色谱-质谱联用仪", "Gas chromatograph mass spectrometer (GC-MS)", "mass_spectrometry",
     "GC-MS, 气质联用", ["农药残留", "未知物鉴定", "挥发性有机物"]),
    ("液相色谱-质谱联用仪", "Liquid chromatograph mass spectrometer (LC-MS)", "mass_spectrometry",
     "LC-MS, 液质联用", ["兽药残留", "代谢物分析", "药物杂质鉴定"]),
    ("电感耦合等离子体质谱仪", "Inductively coupled plasma mass spectrometer (ICP-MS)",
     "mass_spectrometry", "ICP-MS", ["痕量金属", "土壤重金属", "食品重金属检测"]),
    ("电感耦合等离子体发射光谱仪", "ICP optical emission spectrometer (ICP-OES)", "spectroscopy",
     "ICP-OES", ["主量元素分析", "合金成分", "水质金属"]),
    ("傅里叶变换红外光谱仪", "Fourier transform infrared spectrometer (FTIR)", "spectroscopy",
     "FTIR, 红外光谱", ["官能团鉴定", "高分子材料鉴别", "未知物分析"]),
    ("激光拉曼光谱仪", "Raman spectrometer", "spectroscopy", "拉曼",
     ["碳材料表征", "石墨烯层数", "矿物鉴定"]),
    ("紫外可见分光光度计", "UV-Vis spectrophotometer", "spectroscopy", "UV-Vis",
     ["吸光度测定", "含量测定", "透过率"]),
    ("原子吸收光谱仪", "Atomic absorption spectrometer (AAS)", "spectroscopy", "AAS, 原子吸收",
     ["重金属测定", "微量元素", "土壤检测"]),
    ("核磁共振波谱仪", "Nuclear magnetic resonance spectrometer (NMR)", "spectroscopy", "NMR, 核磁",
     ["结构鉴定", "纯度分析", "有机合成表征"]),
    ("差示扫描量热仪", "Differential scanning calorimeter (DSC)", "thermal_analysis", "DSC",
     ["玻璃化转变温度", "熔点测定", "结晶行为"]),
    ("热重分析仪", "Thermogravimetric analyzer (TGA)", "thermal_analysis", "TGA, 热重",
     ["热稳定性", "煤的工业分析", "填料含量"]),
    ("万能材料试验机", "Universal testing machine", "materials_testing", "拉力试验机, 万能试验机",
     ["拉伸性能", "压缩强度", "弯曲试验", "剥离强度"]),
    ("电液伺服疲劳试验机", "Servo-hydraulic fatigue testing machine", "materials_testing", "疲劳试验机",
     ["疲劳寿命", "断裂韧性", "低周疲劳"]),
    ("洛氏硬度计", "Rockwell hardness tester", "materials_testing", "硬度计",
     ["硬度测试", "热处理检验"]),
    ("摆锤冲击试验机", "Pendulum impact tester", "materials_testing", "冲击试验机",
     ["冲击韧性", "低温冲击"]),
    ("三坐标测量机", "Coordinate measuring machine (CMM)", "materials_testing", "三坐标, CMM",
     ["尺寸检测", "形位公差", "首件检验"]),
    ("激光粒度仪", "Laser particle size analyzer", "materials_testing", "粒度仪",
     ["粒径分布", "粉体表征", "浆料粒度"]),
    ("比表面积分析仪", "BET surface area analyzer", "materials_testing", "BET, 比表面积",
     ["比表面积", "孔径分布", "催化剂表征"]),
    ("盐雾试验箱", "Salt spray test chamber", "environmental", "盐雾试验",
     ["耐腐蚀试验", "镀层耐蚀性", "中性盐雾"]),
    ("金属3D打印机", "Metal 3D printer (SLM)", "additive_manufacturing", "3D打印, 增材制造, SLM",
     ["钛合金零件打印", "模具随形冷却", "小批量试制"]),
    ("光固化3D打印机", "SLA 3D printer", "additive_manufacturing", "3D打印",
     ["手板模型", "外观验证", "树脂零件"]),
    ("五轴数控加工中心", "Five-axis CNC machining centre", "machining", "数控机床, CNC, 加工中心",
     ["复杂曲面加工", "精密零件", "叶轮加工"]),
    ("光纤激光切割机", "Fiber laser cutting machine", "machining", "激光切割",
     ["钣金切割", "不锈钢下料"]),
    ("数字示波器", "Digital oscilloscope", "electronics_testing", "示波器",
     ["信号完整性", "电源纹波", "嵌入式调试"]),
    ("频谱分析仪", "Spectrum analyzer", "electronics_testing", "频谱仪",
     ["射频测试", "杂散发射"]),
    ("电磁兼容测试系统", "EMC test system", "electronics_testing", "EMC, 电磁兼容",
     ["辐射发射", "静电放电抗扰度", "传导骚扰"]),
    ("荧光定量PCR仪", "Real-time PCR system", "life_sciences", "PCR, qPCR",
     ["基因表达", "病原检测", "转基因检测"]),
    ("流式细胞仪", "Flow cytometer", "life_sciences", "流式",
     ["细胞分选", "免疫分型", "细胞周期"]),
    ("高通量基因测序仪", "DNA sequencer", "life_sciences", "测序仪, 基因测序",
     ["全基因组测序", "扩增子测序", "品种鉴定"]),
    ("水质在线监测仪", "Online water quality analyzer", "environmental", "水质检测, 环境监测",
     ["COD测定", "氨氮", "总磷"]),
    ("烟气分析仪", "Flue gas analyzer", "environmental", "环境监测",
     ["烟气排放", "二氧化硫", "氮氧化物"]),
]
BRANDS = ["蔡司 Zeiss", "日立 Hitachi", "赛默飞 Thermo Fisher", "岛津 Shimadzu", "安捷伦 Agilent",
          "布鲁克 Bruker", "帕纳科 Malvern Panalytical", "日本电子 JEOL", "耐驰 NETZSCH",
          "梅特勒 Mettler Toledo", "英斯特朗 Instron", "海克斯康 Hexagon", "铂力特 BLT",
          "德玛吉 DMG MORI", "是德 Keysight", "罗德与施瓦茨 R&S", "伯乐 Bio-Rad", "贝克曼 Beckman",
          "华大 MGI", "聚光科技 FPI", "天美 Techcomp", "钢研纳克 NCS"]
MODELS = ["Sigma 300", "SU8010", "Talos F200X", "Nexsa", "LC-2030", "1260 Infinity II", "D8 Advance",
          "Empyrean", "JSM-IT800", "STA 449 F5", "DSC 3", "5985", "Global S", "BLT-S310",
          "DMU 65", "MSO64", "FSW26", "CFX96", "CytoFLEX", "DNBSEQ-G99", "8890", "7900"]
TECH_TOPICS = [
    ("焦炉煤气制氢", "hydrogen from coke oven gas", "煤化工", "C01B 3/50"),
    ("煤气化灰渣综合利用", "coal gasification slag utilisation", "煤化工", "C04B 18/08"),
    ("低阶煤热解提质", "low-rank coal pyrolysis upgrading", "煤化工", "C10B 53/04"),
    ("煤矸石制备陶粒", "ceramsite from coal gangue", "煤化工", "C04B 33/132"),
    ("磷酸铁锂正极材料", "lithium iron phosphate cathode", "锂电池", "H01M 4/58"),
    ("硅碳负极材料", "silicon-carbon anode", "锂电池", "H01M 4/38"),
    ("锂电池梯次利用", "second-life lithium battery", "锂电池", "H01M 10/54"),
    ("PERC光伏电池", "PERC solar cell", "光伏", "H01L 31/18"),
    ("光伏组件清洗机器人", "PV module cleaning robot", "光伏", "H02S 40/10"),
    ("沥青基碳纤维", "pitch-based carbon fiber", "碳纤维", "D01F 9/145"),
    ("石墨烯导热膜", "graphene thermal film", "石墨烯", "C01B 32/184"),
    ("氮化镓LED外延", "GaN LED epitaxy", "氮化镓", "H01L 33/32"),
    ("紫外LED固化光源", "UV LED curing source", "半导体照明", "F21K 9/00"),
    ("潞党参多糖提取", "Codonopsis polysaccharide extraction", "中药材", "A61K 36/344"),
    ("连翘叶茶加工", "Forsythia leaf tea processing", "中药材", "A23F 3/34"),
    ("沁州黄小米深加工", "Qinzhou yellow millet processing", "农产品加工", "A23L 7/10"),
    ("液压阀块精密加工", "hydraulic valve block machining", "液压", "F15B 13/08"),
    ("矿用液压支架电液控制", "electro-hydraulic control of mine supports", "智能装备", "E21D 23/16"),
    ("无人机植保变量喷洒", "variable-rate drone spraying", "无人机", "B64D 1/18"),
    ("煤矿井下物联网监测", "IoT monitoring for underground coal mines", "物联网", "E21F 17/18"),
    ("机器视觉表面缺陷检测", "machine-vision surface defect detection", "人工智能", "G06T 7/00"),
    ("新能源汽车电机壳体压铸", "EV motor housing die casting", "新能源汽车零部件", "B22D 17/00"),
    ("钛合金激光选区熔化工艺", "titanium alloy selective laser melting", "3D打印", "B22F 10/28"),
    ("工业废水零排放", "zero liquid discharge of industrial wastewater", "环保", "C02F 9/00"),
]
TECH_QUALIFIERS = ["", "", "基于机器视觉的", "用于煤矿井下的", "连续化", "模块化", "低温", "高温", "快速",
                   "大尺寸", "高纯", "耐腐蚀", "节能型", "可回收", "一体化", "多级", "在线检测", "自动化",
                   "小型化", "环保型", "高可靠", "长寿命", "低能耗", "微波辅助", "超声辅助", "催化",
                   "复合", "梯度", "纳米", "柔性"]
TECH_CATEGORIES = (("invention", 50), ("utility_model", 30), ("design", 5), ("not_patented", 15))
TECH_PHRASES = ["技术成熟度较高，已完成中试", "可提供技术培训和工艺包", "适用于中小企业技术改造",
                "可采用独占许可或普通许可", "支持技术转让和联合开发", "已在长治本地企业示范应用",
                "显著降低能耗和生产成本", "产品性能达到国内先进水平", "可申请科技创新券抵扣"]
SPACES = [
    ("factory", "标准厂房", "standard factory building", ["层高9米", "地面承重3吨/平方米", "配5吨行车",
                                                      "双回路供电", "独立院落"]),
    ("factory", "单层钢结构厂房", "single-storey steel factory", ["层高12米", "配10吨行车", "配电630kVA"]),
    ("warehouse", "仓库", "warehouse", ["高台库", "冷链仓储", "月台装卸", "消防喷淋"]),
    ("office", "写字楼办公室", "office space", ["精装修", "拎包入住", "近地铁", "共享会议室"]),
    ("incubator_desk", "孵化器工位", "incubator desk", ["众创空间", "免费路演", "创业辅导", "工商注册"]),
    ("lab", "实验室", "laboratory space", ["通风橱", "纯水系统", "洁净室", "气路改造"]),
]
SPACE_PARKS = ["科创城", "智造产业园", "新材料产业园", "光电产业园", "农产品加工物流园", "中小企业创业园",
               "大学科技园", "电商产业园"]
CAMPAIGNS = [
    ("沁州黄小米品牌众筹", "Qinzhou millet brand crowdfunding", ["电商运营", "包装设计"], ["冷链仓库"]),
    ("太行山货电商直播间", "Taihang mountain goods live-streaming", ["直播运营", "短视频剪辑"], ["办公室"]),
    ("无人机植保服务队扩建", "drone crop protection team", ["飞手培训", "农机维修"], ["仓库"]),
    ("创客空间3D打印工坊", "maker 3D printing workshop", ["工业设计", "三维建模"], ["3D打印机", "厂房"]),
    ("潞党参种植合作社", "Codonopsis growers co-op", ["中药材种植", "质量检测"], ["液相色谱仪机时"]),
    ("大学生硬件创业项目", "student hardware start-up", ["嵌入式开发", "PCB设计"], ["示波器", "孵化器工位"]),
    ("新材料中试线", "new materials pilot line", ["工艺工程师", "财务顾问"], ["扫描电镜机时", "标准厂房"]),
    ("红色文旅文创产品", "red tourism cultural products", ["文创设计", "营销策划"], ["写字楼办公室"]),
]
CAMPAIGN_REWARDS = ["感谢信", "定制礼盒", "产品首发体验", "工厂参观", "联名纪念品", "年度会员"]
ORG_PREFIX = ["长治", "太行", "上党", "潞安", "晋东南", "漳河", "沁河", "华晟", "宏泰", "捷诺"]
ORG_INDUSTRY = ["精密机械", "新材料", "光电科技", "检测技术服务", "生物科技", "智能装备", "煤化工",
                "新能源", "环保科技", "食品科技"]
ORG_SUFFIX = ["有限公司", "股份有限公司", "研究院", "分析测试中心", "创客空间", "产业园运营管理有限公司"]
ROADS = ["英雄南路", "太行西街", "长兴北路", "府后西街", "紫金东街", "漳泽路", "东大街", "延安南路"]
EN_WORDS = ["service", "testing", "analysis", "open to companies", "booking", "shared", "report",
            "certified lab", "CMA", "CNAS"]


def _weighted(rng: random.Random, items, weights):
    return rng.choices(items, weights=weights, k=1)[0]


def _zipf_weights(n: int, s: float = 0.9) -> list[float]:
    return [1.0 / (rank + 1) ** s for rank in range(n)]


class CatalogueGenerator:
    def __init__(self, seed: int = 20261126):
        self.seed = seed
        self.areas = list(areas())
        self.area_weights = [3.0 if not a.is_zone else 1.5 for a in self.areas]
        self.instrument_w = _zipf_weights(len(INSTRUMENTS), 0.7)
        self.topic_w = _zipf_weights(len(TECH_TOPICS), 0.6)

    def documents(self, count: int) -> Iterator[Document]:
        rng = random.Random(f"{self.seed}-{count}")
        kinds = [k for k, _ in KIND_MIX]
        weights = [w for _, w in KIND_MIX]
        for n in range(1, count + 1):
            kind = _weighted(rng, kinds, weights)
            yield getattr(self, "_" + kind)(rng, n)

    # --- shared parts
    def _org(self, rng) -> str:
        return rng.choice(ORG_PREFIX) + rng.choice(ORG_INDUSTRY) + rng.choice(ORG_SUFFIX)

    def _area(self, rng):
        return _weighted(rng, self.areas, self.area_weights)

    def _address(self, rng, area) -> str:
        return f"{area.name_zh}{rng.choice(ROADS)}{rng.randint(1, 399)}号"

    def _finish(self, rng, n, kind, area, category, title_zh, title_en, summary, description,
                details, tags, price, area_m2=None, vouchers=False) -> Document:
        names = []
        for code in {area.code, area.code[:6]}:
            match = next(a for a in self.areas if a.code == code)
            names += [match.name_zh, match.name_en]
        body = " ".join(filter(None, [description, details, self._org(rng), " ".join(names),
                                      self._address(rng, area)]))
        published = 1_735_660_800 + rng.randint(0, 700 * 86400)
        return Document(
            id=n, kind=kind, district_code=area.code, category=category, title_zh=title_zh,
            title_en=title_en if rng.random() < 0.5 else None, summary=summary, body=body,
            tags=[t.strip() for t in tags.split(",") if t.strip()], price_fen=price,
            area_m2=area_m2, accepts_vouchers=vouchers, published_ts=published,
            updated_us=(published + rng.randint(0, 86400)) * 1_000_000)

    # --- kinds
    def _instrument(self, rng, n) -> Document:
        zh, en, category, tags, uses = _weighted(rng, INSTRUMENTS, self.instrument_w)
        brand = rng.choice(BRANDS)
        model = rng.choice(MODELS)
        picked = rng.sample(uses, k=min(len(uses), rng.randint(2, 3)))
        area = self._area(rng)
        model = f"{model}" if rng.random() < 0.5 else f"{model.split()[0]}-{rng.randint(10, 9999)}"
        title_zh = (f"{brand.split()[0]}{zh} {model}" if rng.random() < 0.6
                    else f"{zh} {brand.split()[-1]} {model}")
        summary = f"{'、'.join(picked)}，对外开放共享，可预约机时，出具检测报告。" + (
            f" {en}: {', '.join(rng.sample(EN_WORDS, 3))}." if rng.random() < 0.4 else "")
        description = (f"{brand} {model} {zh}，用于{picked[0]}和{picked[-1]}。"
                       f"配备专职技术人员，支持送样检测和上机培训，"
                       f"{rng.choice(['工作日开放', '周末可预约', '7×24小时自助'])}，"
                       f"{rng.choice(['可使用科技创新券', '高校及科研院所优惠', '企业会员价'])}。")
        details = f"{brand} {model} {rng.choice(['分析测试中心', '材料实验室', '检测大厅'])}{rng.randint(1, 5)}楼"
        price = rng.choice([5000, 10000, 15000, 20000, 30000, 45000, 60000, 80000, 120000])
        return self._finish(rng, n, "instrument", area, category, title_zh, f"{brand.split()[-1]} {en}",
                            summary, description, details, tags, price,
                            vouchers=rng.random() < 0.7)

    def _technology(self, rng, n) -> Document:
        zh, en, field, ipc = _weighted(rng, TECH_TOPICS, self.topic_w)
        category = _weighted(rng, [c for c, _ in TECH_CATEGORIES], [w for _, w in TECH_CATEGORIES])
        kind_zh = {"invention": "发明专利", "utility_model": "实用新型专利", "design": "外观设计专利",
                   "not_patented": "专有技术"}[category]
        area = self._area(rng)
        variant = rng.choice(["一种", "新型", "高效", "低成本", "绿色", "智能化"])
        title_zh = (f"{variant}{rng.choice(TECH_QUALIFIERS)}{zh}"
                    f"{rng.choice(['技术', '方法', '工艺', '装置', '系统', '及其制备方法'])}")
        phrases = rng.sample(TECH_PHRASES, 3)
        summary = f"{kind_zh}，{field}领域，{phrases[0]}，{phrases[1]}。"
        number = f"{rng.randint(2016, 2025)}1{rng.randint(0, 9_999_999):07d}.{rng.randint(0, 9)}"
        description = (f"本技术涉及{zh}，属于{field}。{phrases[2]}。主要指标优于同类产品，"
                       f"可用于{rng.choice(['煤炭', '化工', '装备制造', '农业', '医药', '电子'])}行业。"
                       f"This technology covers {en}; licensing or transfer negotiable.")
        details = " ".join([number if category != "not_patented" else "", ipc,
                            f"{rng.choice('王李张刘陈杨赵黄周吴')}{rng.choice('伟芳娜敏静磊强军洋勇')}等",
                            f"{field} {rng.choice(['技术转让', '专利许可', '联合开发'])}"])
        price = None if rng.random() < 0.3 else rng.choice([10, 20, 50, 80, 100, 200, 500]) * 1_000_000
        return self._finish(rng, n, "technology", area, category, title_zh, en.capitalize(),
                            summary, description, details, f"{field}, 专利, {kind_zh}", price)

    def _space(self, rng, n) -> Document:
        category, zh, en, features = rng.choices(SPACES, weights=[35, 15, 20, 15, 10, 5], k=1)[0]
        area = self._area(rng)
        park = rng.choice(SPACE_PARKS)
        size = rng.choice([50, 120, 300, 600, 1000, 1500, 2400, 5000]) if category in (
            "factory", "warehouse") else rng.choice([10, 20, 60, 120, 200, 400])
        picked = rng.sample(features, k=min(len(features), rng.randint(2, 3)))
        title_zh = (f"{area.name_zh.replace('经济技术开发区', '开发区')}{park}"
                    f"{rng.randint(1, 30)}号楼{size}平方米{zh}")
        summary = f"{zh}出租，面积{size}平方米，{'，'.join(picked)}，交通便利，手续齐全。"
        description = (f"位于{area.name_zh}{park}，{zh}{size}平方米可分割出租，"
                       f"{rng.choice(['最短租期一年', '最短租期六个月', '可长期租赁'])}，"
                       f"周边配套完善，适合{rng.choice(['机械加工', '新材料', '电子装配', '食品加工', '物流仓储', '初创团队'])}企业入驻。")
        details = f"{park} {zh} {en}"
        rent = rng.choice([800, 1200, 1500, 1800, 2500, 3500, 5000])
        return self._finish(rng, n, "space", area, category, title_zh, f"{en} in {park}", summary,
                            description, details, f"{zh}, 出租, 开发区" if area.is_zone else f"{zh}, 出租",
                            rent, area_m2=size)

    def _campaign(self, rng, n) -> Document:
        zh, en, skills, resources = rng.choice(CAMPAIGNS)
        area = self._area(rng)
        goal = rng.choice([20, 50, 100, 200, 500]) * 100_000
        title_zh = (f"{area.name_zh[:2]}{rng.choice(ORG_PREFIX)}{zh}"
                    f"{rng.choice(['', '（第二期）', '计划', '行动', '2027'])}")
        summary = (f"三筹项目：筹资金{goal // 100_000 * 1000}元，筹智慧（{'、'.join(skills)}），"
                   f"筹资源（{'、'.join(resources)}）。")
        description = (f"{zh}由本地创客团队发起，面向长治市民和企业众筹，"
                       f"回报包括{'、'.join(rng.sample(CAMPAIGN_REWARDS, 2))}。"
                       f"Crowdfunding for {en}, with rewards for every supporter.")
        details = " ".join(skills + resources + rng.sample(CAMPAIGN_REWARDS, 2))
        return self._finish(rng, n, "campaign", area, "campaign", title_zh, en.capitalize(), summary,
                            description, details, "众筹, 三筹, 创客", goal)


# The benchmark's queries: realistic words people type, and the kind a filtered search picks.
QUERIES = {
    1: [("扫描电镜", "instrument"), ("SEM", "instrument"), ("XRD", "instrument"),
        ("液相色谱", "instrument"), ("质谱", "instrument"), ("热重", "instrument"),
        ("3D打印", "instrument"), ("数控机床", "instrument"), ("示波器", "instrument"),
        ("拉曼", "instrument"), ("厂房", "space"), ("仓库", "space"), ("孵化器", "space"),
        ("实验室", "space"), ("专利", "technology"), ("锂电池", "technology"),
        ("煤化工", "technology"), ("光伏", "technology"), ("石墨烯", "technology"),
        ("众筹", "campaign"), ("diffractometer", "instrument"), ("warehouse", "space"),
        ("检测", "instrument"), ("断口分析", "instrument")],
    2: [("扫描电镜 断口", "instrument"), ("3D打印 厂房", "space"), ("XRD 物相", "instrument"),
        ("液相色谱 农药残留", "instrument"), ("标准厂房 上党区", "space"), ("锂电池 专利", "technology"),
        ("光伏 技术转让", "technology"), ("厂房 潞州区", "space"), ("实验室 出租", "space"),
        ("SEM fracture", "instrument"), ("数控 加工", "instrument"), ("小米 众筹", "campaign"),
        ("煤化工 发明专利", "technology"), ("仓库 开发区", "space"), ("电镜 创新券", "instrument"),
        ("hplc 药物", "instrument"), ("石墨烯 导热", "technology"), ("示波器 嵌入式", "instrument")],
    3: [("SEM 断口 分析", "instrument"), ("X射线衍射 物相 鉴定", "instrument"),
        ("标准厂房 开发区 出租", "space"), ("锂电池 正极材料 专利", "technology"),
        ("高效液相色谱 药物 含量", "instrument"), ("煤化工 煤气化 技术转让", "technology"),
        ("小米 众筹 沁县", "campaign"), ("扫描电镜 能谱 成分", "instrument"),
        ("厂房 行车 上党", "space"), ("光伏 电池 发明专利", "technology"),
        ("3D打印 钛合金 零件", "instrument"), ("孵化器 工位 潞州区", "space"),
        ("GC-MS 农药 残留", "instrument"), ("数控 加工中心 精密", "instrument")],
}
