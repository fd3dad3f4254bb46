"""A synthetic marketplace with a known, documented hidden structure, for evaluating the recommender.

``generate(n_parties, n_items, n_interactions, seed)`` returns ``(parties, items, interactions,
truth)``: records of :mod:`matching.records` plus a :class:`Truth` holding the hidden variables.
Deterministic for a seed (and ``now``); the full size (5,000 × 50,000 × 200,000) takes a few
seconds (numpy, vectorised). Nothing here is real data; the district adjacency of
:func:`neighbours` is plausible, not surveyed, and serves only this generator.

The hidden structure
--------------------
*Parties* (enterprises, ids 1..n_parties) have an industry (one of the 20 GB/T 4754 section
letters, skewed: C manufacturing ≈ 30 %, M research ≈ 10 %, B mining ≈ 7 %, …, T ≈ 0.2 %) and
a district (one of the 12 Changzhi district/county codes, skewed towards 140403 Luzhou). Each party
has a latent *taste* θ over the 24 application topics (``TOPICS``: coal chemistry, lithium
batteries, heat treatment, food safety, …): two topics drawn from its industry's topics
(``INDUSTRY_TOPICS``) and one drawn from all topics, with Dirichlet(1, 1, 1) weights.

*Items* (listings, ids 1..n_items) are instrument / technology / space / campaign in a 40/30/20/10
mix. Each has a category (``CATEGORIES``: the 13 instrument categories of the catalogue, the four
patent categories of technologies, the five space types, "campaign") and one application topic
(for instruments drawn from the topics its category serves, ``CATEGORY_TOPICS``; otherwise
uniform). About 8 % of parties also publish items (owners; a party never interacts with its own
items). Items have a latent log-popularity π ~ N(0, 1) and a district (skewed like the parties').
75 % were published 1–3 years before ``now``, 25 % during the last year.

*Texts.* An item's words are 4 words of its category's vocabulary (扫描电镜 能谱 SEM EDS …), 8 of
its topic's vocabulary (热处理 淬火 断口 …), 2 of a random second topic, 3 generic words of its
kind (机时 预约 / 专利 许可 / 厂房 租金 / 众筹 回报) and 1 filler word; Zipf-like frequencies
inside each vocabulary. A party's profile has 16 words: each is, with probability 0.6, a word of a
topic drawn from θ; 0.15 a word of one of its industry's preferred categories; 0.25 noise (a word
of a uniformly random topic or a filler word). Content similarity therefore carries the topic and
part of the category signal, not the district or the popularity.

*Interactions* (n_interactions in all, over the year before ``now``):

- 3 % are ``not_relevant`` marks, on uniformly random items whose category has zero affinity for
  the party's industry.
- Of the positives, 20 % are noise: a party (by activity) and a uniformly random item.
- The other 80 % are structured: party p (chosen by activity, a ~ lognormal(0, 1)) picks item i
  with probability ∝ exp(score(p, i)), where::

      score(p, i) = 3.0 · A[industry_p, category_i]          (affinity, ``INDUSTRY_CATEGORIES``:
                                                              1.0 for 2–3 preferred categories,
                                                              0.5 for 1–3 secondary ones, else 0)
                  + 2.0 · [district_i == district_p]
                  + 1.0 · [district_i neighbours district_p]
                  + 6.0 · θ_p[topic_i]                        (latent taste)
                  + 1.2 · π_i                                 (popularity)

  (``Truth.weights`` holds these coefficients; ``Truth.scores(p)`` recomputes them.)
- Kinds: a structured event is a conversion — booking for an instrument (22 %), licence for a
  technology (20 %), lease for a space (10 %), pledge for a campaign (15 %) — and otherwise a view
  or an enquiry (62 : 20). A noise event is a view (90 %), enquiry (8 %) or conversion (2 %).
  Views are the most common kind, then enquiries, bookings, licences, leases and pledges.
- A party never interacts with its own items (such a draw is replaced by a uniform item).
- Times: uniform between max(published_at, now − 365 days) and ``now``; all timezone-aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from matching.records import ITEM_KINDS, Interaction, Item, Party

DEFAULT_NOW = datetime(2026, 12, 1, tzinfo=UTC)

DISTRICTS = ("140403", "140404", "140405", "140406", "140423", "140425", "140426", "140427",
             "140428", "140429", "140430", "140431")
# Share of parties (and items) per district: the city's urban districts dominate.
DISTRICT_SHARES = (0.28, 0.12, 0.08, 0.08, 0.07, 0.04, 0.04, 0.05, 0.07, 0.05, 0.06, 0.06)

_ADJACENT = (  # plausible borders between Changzhi's districts and counties (synthetic data only)
    ("140403", "140404"), ("140403", "140405"), ("140403", "140406"), ("140403", "140428"),
    ("140403", "140427"), ("140404", "140427"), ("140404", "140428"), ("140404", "140425"),
    ("140405", "140428"), ("140405", "140423"), ("140405", "140430"), ("140405", "140431"),
    ("140406", "140423"), ("140406", "140426"), ("140406", "140425"), ("140406", "140427"),
    ("140423", "140426"), ("140423", "140429"), ("140423", "140430"), ("140425", "140427"),
    ("140425", "140426"), ("140426", "140429"), ("140429", "140430"), ("140430", "140431"),
)


def neighbours() -> dict[str, frozenset[str]]:
    """District → the districts it borders (symmetric; for the synthetic data only)."""
    result: dict[str, set[str]] = {code: set() for code in DISTRICTS}
    for a, b in _ADJACENT:
        result[a].add(b)
        result[b].add(a)
    return {code: frozenset(others) for code, others in result.items()}


# Application topics: what an item is about / what a party works on.
TOPICS: dict[str, tuple[str, ...]] = {
    "coal_chemistry": ("煤化工", "焦炉煤气", "制氢", "煤焦油", "煤气化", "甲醇", "焦化", "合成氨",
                       "coke", "gasification", "hydrogen", "煤质分析", "灰熔融", "硫含量"),
    "coal_mining": ("煤矿", "采煤", "综采", "液压支架", "瓦斯", "巷道", "掘进", "矿压", "mining",
                    "矿山安全", "支护", "煤层", "通风", "智能矿山"),
    "lithium_battery": ("锂电池", "磷酸铁锂", "正极材料", "负极材料", "电解液", "隔膜", "电芯",
                        "battery", "cathode", "anode", "储能", "循环寿命", "梯次利用", "硅碳"),
    "photovoltaics": ("光伏", "电池片", "光伏组件", "硅片", "perc", "逆变器", "solar", "光电转换",
                      "转换效率", "减反射膜", "清洗机器人", "多晶硅"),
    "semiconductor_led": ("氮化镓", "led", "外延片", "芯片", "封装", "gan", "衬底", "紫外", "半导体",
                          "照明", "发光效率", "量子阱", "mocvd"),
    "carbon_materials": ("碳纤维", "石墨烯", "石墨", "碳材料", "沥青基", "carbon", "graphene",
                         "导热膜", "复合材料", "活性炭", "碳化", "比表面"),
    "heat_treatment": ("热处理", "淬火", "回火", "渗碳", "金相组织", "晶粒度", "硬度", "合金钢",
                       "铸造", "锻造", "heat", "treatment", "退火", "调质"),
    "precision_machining": ("数控加工", "精密零件", "公差", "五轴", "叶轮", "模具", "夹具",
                            "machining", "cnc", "车铣复合", "表面粗糙度", "形位公差"),
    "hydraulics": ("液压", "阀块", "油缸", "液压泵", "密封件", "hydraulic", "液压系统", "阀门",
                   "柱塞", "耐压试验", "泄漏"),
    "coatings_corrosion": ("涂层", "镀层", "防腐", "盐雾", "电镀", "腐蚀", "coating", "喷涂",
                           "耐蚀性", "附着力", "膜厚"),
    "failure_analysis": ("失效分析", "断口", "裂纹", "夹杂物", "fracture", "疲劳", "缺陷",
                         "无损检测", "断裂", "失效", "根因分析"),
    "polymers": ("高分子", "塑料", "橡胶", "注塑", "改性", "polymer", "玻璃化转变", "熔融指数",
                 "老化", "拉伸强度", "薄膜"),
    "pharmaceuticals": ("药物", "原料药", "制剂", "有关物质", "含量测定", "一致性评价", "gmp",
                        "溶出度", "稳定性试验", "杂质"),
    "tcm_herbs": ("中药材", "潞党参", "连翘", "黄芩", "提取物", "多糖", "有效成分", "指纹图谱",
                  "饮片", "炮制", "黄酮"),
    "food_safety": ("食品", "农药残留", "添加剂", "重金属", "小米", "食品安全", "检测报告",
                    "营养成分", "兽药残留", "保质期", "food"),
    "agriculture": ("种植", "育种", "土壤", "肥料", "品种", "农产品", "大棚", "灌溉", "种子",
                    "病虫害", "有机肥"),
    "water_treatment": ("污水", "水质", "cod", "氨氮", "废水处理", "总磷", "环保", "水处理",
                        "膜处理", "回用", "污泥"),
    "air_emissions": ("烟气", "脱硫", "脱硝", "vocs", "粉尘", "大气", "排放标准", "除尘",
                      "在线监测", "超低排放"),
    "electronics": ("电路板", "pcb", "嵌入式", "传感器", "射频", "电磁兼容", "信号完整性", "电源",
                    "单片机", "emc", "可靠性"),
    "software_iot": ("软件", "物联网", "大数据", "云平台", "app", "算法", "数字化", "工业互联网",
                     "iot", "数据采集", "人工智能"),
    "building_materials": ("混凝土", "水泥", "陶粒", "建材", "砌块", "煤矸石", "粉煤灰", "耐火材料",
                           "抗压强度", "固废利用", "骨料"),
    "logistics": ("物流", "仓储", "冷链", "配送", "货架", "装卸", "分拣", "供应链", "快递",
                  "logistics", "周转"),
    "biotech": ("基因", "细胞", "发酵", "酶", "蛋白", "测序", "微生物", "菌种", "抗体",
                "dna", "生物制品"),
    "product_design": ("3d打印", "增材制造", "手板", "原型", "工业设计", "逆向工程", "三维扫描",
                       "prototype", "外观设计", "小批量试制", "建模"),
}
TOPIC_NAMES = tuple(TOPICS)

# Categories per item kind: the catalogue's own values (Listing.category).
KIND_CATEGORIES = {
    "instrument": ("electron_microscopy", "optical_microscopy", "chromatography",
                   "mass_spectrometry", "spectroscopy", "x_ray", "thermal_analysis",
                   "materials_testing", "additive_manufacturing", "machining",
                   "electronics_testing", "life_sciences", "environmental"),
    "technology": ("invention", "utility_model", "design", "not_patented"),
    "space": ("factory", "warehouse", "office", "incubator_desk", "lab"),
    "campaign": ("campaign",),
}
CATEGORIES = tuple(c for kind in ITEM_KINDS for c in KIND_CATEGORIES[kind])
CATEGORY_KIND = {c: kind for kind in ITEM_KINDS for c in KIND_CATEGORIES[kind]}
KIND_SHARES = {"instrument": 0.4, "technology": 0.3, "space": 0.2, "campaign": 0.1}

CATEGORY_WORDS: dict[str, tuple[str, ...]] = {
    "electron_microscopy": ("扫描电镜", "能谱", "sem", "eds", "电镜", "透射电镜", "tem", "形貌观察",
                            "场发射", "二次电子"),
    "optical_microscopy": ("金相显微镜", "共聚焦", "afm", "光学显微镜", "显微镜", "原子力",
                           "三维形貌", "显微"),
    "chromatography": ("液相色谱", "气相色谱", "hplc", "gc", "色谱柱", "离子色谱", "色谱",
                       "保留时间"),
    "mass_spectrometry": ("质谱", "icp-ms", "gc-ms", "lc-ms", "液质联用", "气质联用", "痕量",
                          "质谱仪"),
    "spectroscopy": ("红外光谱", "ftir", "拉曼", "紫外可见", "原子吸收", "光谱仪", "icp-oes",
                     "光谱"),
    "x_ray": ("xrd", "x射线衍射", "xrf", "荧光光谱", "工业ct", "xps", "物相鉴定", "衍射仪"),
    "thermal_analysis": ("热重", "tga", "dsc", "差示扫描量热", "热分析", "熔点", "热稳定性",
                         "量热"),
    "materials_testing": ("万能试验机", "拉伸试验", "硬度计", "冲击试验", "疲劳试验机", "三坐标",
                          "粒度仪", "力学性能"),
    "additive_manufacturing": ("3d打印机", "slm", "金属打印", "光固化", "增材", "激光选区熔化",
                               "打印服务"),
    "machining": ("加工中心", "激光切割", "数控机床", "cnc", "五轴机床", "线切割", "车床"),
    "electronics_testing": ("示波器", "频谱分析仪", "emc测试", "测试系统", "信号源", "网络分析仪",
                            "暗室"),
    "life_sciences": ("pcr仪", "流式细胞仪", "测序仪", "qpcr", "生物安全柜", "酶标仪", "细胞培养"),
    "environmental": ("水质监测仪", "烟气分析仪", "盐雾试验箱", "环境监测", "环境试验箱",
                      "高低温箱", "采样器"),
    "invention": ("发明专利", "授权发明", "核心专利", "专利技术"),
    "utility_model": ("实用新型", "实用新型专利", "结构改进", "装置"),
    "design": ("外观设计专利", "外观", "造型设计"),
    "not_patented": ("技术秘密", "软件著作权", "专有技术", "工艺包"),
    "factory": ("厂房", "标准厂房", "行车", "层高", "承重", "动力电", "生产车间"),
    "warehouse": ("仓库", "月台", "冷库", "高台库", "仓储用房"),
    "office": ("写字楼", "办公室", "精装修", "会议室", "办公用房"),
    "incubator_desk": ("孵化器", "工位", "众创空间", "创业", "共享办公", "路演"),
    "lab": ("实验室", "通风橱", "洁净间", "实验台", "中试"),
    "campaign": ("众筹", "筹资金", "筹智慧", "筹资源", "三筹", "支持者"),
}
KIND_WORDS = {
    "instrument": ("机时", "预约", "检测", "测试", "样品", "仪器共享", "开放共享", "出具报告"),
    "technology": ("专利", "许可", "转让", "成果转化", "产业化", "技术", "工艺", "授权"),
    "space": ("出租", "租金", "面积", "平方米", "园区", "交通便利", "招租"),
    "campaign": ("项目", "回报", "目标金额", "截止", "进展", "团队"),
}
FILLER_WORDS = ("长治", "服务", "企业", "提供", "专业", "合作", "平台", "中心", "山西", "研发",
                "质量", "高效", "changzhi", "service")

INDUSTRIES = tuple("ABCDEFGHIJKLMNOPQRST")
INDUSTRY_SHARES = {"A": 0.06, "B": 0.07, "C": 0.30, "D": 0.05, "E": 0.05, "F": 0.06, "G": 0.04,
                   "H": 0.03, "I": 0.06, "J": 0.01, "K": 0.01, "L": 0.04, "M": 0.10, "N": 0.03,
                   "O": 0.02, "P": 0.02, "Q": 0.03, "R": 0.01, "S": 0.008, "T": 0.002}
# Industry → topics its enterprises work on (each party draws two of these, plus one at random).
INDUSTRY_TOPICS = {
    "A": ("agriculture", "food_safety", "tcm_herbs", "biotech"),
    "B": ("coal_mining", "coal_chemistry", "hydraulics", "air_emissions"),
    "C": ("heat_treatment", "precision_machining", "hydraulics", "failure_analysis", "polymers",
          "lithium_battery", "carbon_materials", "coatings_corrosion", "semiconductor_led",
          "product_design"),
    "D": ("photovoltaics", "coal_chemistry", "lithium_battery", "air_emissions"),
    "E": ("building_materials", "coatings_corrosion", "failure_analysis"),
    "F": ("logistics", "food_safety", "software_iot"),
    "G": ("logistics", "software_iot"),
    "H": ("food_safety", "logistics"),
    "I": ("software_iot", "electronics"),
    "J": ("software_iot", "logistics"),
    "K": ("building_materials", "logistics"),
    "L": ("software_iot", "product_design", "logistics"),
    "M": ("carbon_materials", "semiconductor_led", "biotech", "failure_analysis",
          "lithium_battery", "coal_chemistry", "pharmaceuticals"),
    "N": ("water_treatment", "air_emissions", "agriculture"),
    "O": ("precision_machining", "hydraulics", "electronics"),
    "P": ("biotech", "carbon_materials", "software_iot"),
    "Q": ("pharmaceuticals", "biotech", "tcm_herbs"),
    "R": ("product_design", "software_iot"),
    "S": ("water_treatment", "air_emissions"),
    "T": ("software_iot",),
}
# Industry → (preferred categories at affinity 1.0, secondary categories at 0.5).
INDUSTRY_CATEGORIES = {
    "A": (("life_sciences", "chromatography"), ("warehouse", "utility_model")),
    "B": (("x_ray", "thermal_analysis", "materials_testing"), ("utility_model", "warehouse")),
    "C": (("materials_testing", "machining", "factory"), ("electron_microscopy", "invention",
                                                         "additive_manufacturing")),
    "D": (("spectroscopy", "electronics_testing"), ("invention", "factory")),
    "E": (("materials_testing", "warehouse"), ("utility_model", "x_ray")),
    "F": (("warehouse", "office"), ("campaign",)),
    "G": (("warehouse",), ("office", "not_patented")),
    "H": (("chromatography", "mass_spectrometry"), ("office", "warehouse")),
    "I": (("office", "incubator_desk", "electronics_testing"), ("not_patented", "campaign")),
    "J": (("office", "campaign"), ("incubator_desk",)),
    "K": (("office", "factory"), ("warehouse",)),
    "L": (("office", "incubator_desk"), ("campaign", "design")),
    "M": (("electron_microscopy", "x_ray", "spectroscopy"), ("lab", "invention",
                                                            "mass_spectrometry")),
    "N": (("environmental", "chromatography"), ("mass_spectrometry", "utility_model")),
    "O": (("machining", "materials_testing"), ("utility_model",)),
    "P": (("lab", "electron_microscopy", "life_sciences"), ("incubator_desk",)),
    "Q": (("life_sciences", "mass_spectrometry", "chromatography"), ("lab",)),
    "R": (("campaign", "design"), ("office", "incubator_desk")),
    "S": (("environmental", "office"), ()),
    "T": (("office",), ()),
}
# Instrument category → the application topics it serves.
CATEGORY_TOPICS = {
    "electron_microscopy": ("failure_analysis", "coatings_corrosion", "carbon_materials",
                            "semiconductor_led", "heat_treatment", "lithium_battery"),
    "optical_microscopy": ("heat_treatment", "failure_analysis", "polymers", "biotech"),
    "chromatography": ("pharmaceuticals", "food_safety", "tcm_herbs", "coal_chemistry"),
    "mass_spectrometry": ("food_safety", "pharmaceuticals", "water_treatment", "agriculture"),
    "spectroscopy": ("polymers", "photovoltaics", "carbon_materials", "pharmaceuticals",
                     "food_safety"),
    "x_ray": ("coal_chemistry", "building_materials", "lithium_battery", "failure_analysis",
              "coal_mining"),
    "thermal_analysis": ("polymers", "coal_chemistry", "lithium_battery", "carbon_materials"),
    "materials_testing": ("heat_treatment", "precision_machining", "building_materials",
                          "hydraulics", "coal_mining"),
    "additive_manufacturing": ("product_design", "precision_machining"),
    "machining": ("precision_machining", "hydraulics", "product_design"),
    "electronics_testing": ("electronics", "software_iot", "photovoltaics", "semiconductor_led"),
    "life_sciences": ("biotech", "agriculture", "tcm_herbs"),
    "environmental": ("water_treatment", "air_emissions", "coatings_corrosion"),
}

WEIGHTS = {"affinity": 3.0, "same_district": 2.0, "neighbour_district": 1.0, "taste": 6.0,
           "popularity": 1.2}
NOISE_SHARE = 0.20           # of the positive interactions: uniformly random items
NOT_RELEVANT_SHARE = 0.03    # of all interactions
CONVERSION = {"instrument": "booking", "technology": "licence", "space": "lease",
              "campaign": "pledge"}
STRUCTURED_KINDS = (0.62, 0.20)         # view : enquiry, when not a conversion
# A structured event converts (booking, licence, lease, pledge) at the item kind's rate.
CONVERSION_RATE = {"instrument": 0.22, "technology": 0.20, "space": 0.10, "campaign": 0.15}
NOISE_KINDS = (0.90, 0.08, 0.02)
PROVIDER_SHARE = 0.08


@dataclass
class Truth:
    """The hidden variables behind a generated set (indices into the tuples above)."""

    party_industry: np.ndarray      # (n_parties,) index into INDUSTRIES
    party_district: np.ndarray      # (n_parties,) index into DISTRICTS
    party_taste: np.ndarray         # (n_parties, len(TOPICS)) θ, rows sum to 1
    party_activity: np.ndarray      # (n_parties,)
    item_kind: np.ndarray           # (n_items,) index into ITEM_KINDS
    item_category: np.ndarray       # (n_items,) index into CATEGORIES
    item_topic: np.ndarray          # (n_items,) index into TOPIC_NAMES
    item_district: np.ndarray       # (n_items,) index into DISTRICTS
    item_popularity: np.ndarray     # (n_items,) π
    affinity: np.ndarray            # (len(INDUSTRIES), len(CATEGORIES)) A
    district_bonus: np.ndarray      # (12, 12): the same / neighbour weight, else 0
    weights: dict = field(default_factory=lambda: dict(WEIGHTS))
    noise_share: float = NOISE_SHARE
    not_relevant_share: float = NOT_RELEVANT_SHARE

    def scores(self, party_index: int | np.ndarray) -> np.ndarray:
        """score(p, ·) over all items for one party index (row) or several (matrix)."""
        p = np.atleast_1d(party_index)
        w = self.weights
        s = (w["affinity"] * self.affinity[self.party_industry[p]][:, self.item_category]
             + self.district_bonus[self.party_district[p]][:, self.item_district]
             + w["taste"] * self.party_taste[p][:, self.item_topic]
             + w["popularity"] * self.item_popularity[None, :])
        return s[0] if np.ndim(party_index) == 0 else s


def _affinity_matrix() -> np.ndarray:
    a = np.zeros((len(INDUSTRIES), len(CATEGORIES)))
    index = {c: j for j, c in enumerate(CATEGORIES)}
    for i, letter in enumerate(INDUSTRIES):
        preferred, secondary = INDUSTRY_CATEGORIES[letter]
        for c in preferred:
            a[i, index[c]] = 1.0
        for c in secondary:
            a[i, index[c]] = 0.5
    return a


def _district_bonus() -> np.ndarray:
    adjacent = neighbours()
    n = len(DISTRICTS)
    b = np.zeros((n, n))
    for i, a in enumerate(DISTRICTS):
        for j, c in enumerate(DISTRICTS):
            if i == j:
                b[i, j] = WEIGHTS["same_district"]
            elif c in adjacent[a]:
                b[i, j] = WEIGHTS["neighbour_district"]
    return b


def _zipf(n: int, s: float = 0.8) -> np.ndarray:
    p = 1.0 / np.arange(1, n + 1) ** s
    return p / p.sum()


class _Vocabulary:
    """Sampling words from named vocabularies with Zipf-like frequencies."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng

    def sample(self, words: tuple[str, ...], size: tuple[int, ...]) -> np.ndarray:
        return np.asarray(words, dtype=object)[self.rng.choice(len(words), size=size,
                                                                p=_zipf(len(words)))]


def _pick_rows(rng: np.random.Generator, probabilities: np.ndarray) -> np.ndarray:
    """One index per row of a (rows, n) probability matrix (inverse CDF, vectorised)."""
    cum = np.cumsum(probabilities, axis=1)
    cum /= cum[:, -1:]
    u = rng.random(len(probabilities))
    return np.minimum((cum < u[:, None]).sum(axis=1), probabilities.shape[1] - 1)


def generate(n_parties: int = 5000, n_items: int = 50000, n_interactions: int = 200000,
             seed: int = 0, now: datetime | None = None
             ) -> tuple[list[Party], list[Item], list[Interaction], Truth]:
    """A synthetic marketplace with the hidden structure of the module docstring."""
    now = now or DEFAULT_NOW
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    rng = np.random.default_rng(seed)
    vocab = _Vocabulary(rng)
    n_topics = len(TOPIC_NAMES)
    topic_index = {t: j for j, t in enumerate(TOPIC_NAMES)}
    category_index = {c: j for j, c in enumerate(CATEGORIES)}
    district_p = np.asarray(DISTRICT_SHARES) / sum(DISTRICT_SHARES)

    # --- parties ------------------------------------------------------------------------------
    industry_p = np.asarray([INDUSTRY_SHARES[x] for x in INDUSTRIES])
    industry_p /= industry_p.sum()
    p_industry = rng.choice(len(INDUSTRIES), size=n_parties, p=industry_p)
    p_district = rng.choice(len(DISTRICTS), size=n_parties, p=district_p)
    taste = np.zeros((n_parties, n_topics))
    weights3 = rng.dirichlet(np.ones(3), size=n_parties)
    for i, letter in enumerate(INDUSTRIES):
        rows = np.flatnonzero(p_industry == i)
        if not len(rows):
            continue
        own = np.asarray([topic_index[t] for t in INDUSTRY_TOPICS[letter]])
        first = own[rng.integers(len(own), size=len(rows))]
        second = own[rng.integers(len(own), size=len(rows))]
        third = rng.integers(n_topics, size=len(rows))
        for column, topics in enumerate((first, second, third)):
            np.add.at(taste, (rows, topics), weights3[rows, column])
    activity = rng.lognormal(0.0, 1.0, size=n_parties)

    # Profile texts: 16 words, each from a topic drawn from θ (0.6), a preferred category of the
    # industry (0.15) or noise (0.25: a random topic's word, or a filler word).
    n_words = 16
    source = rng.choice(3, size=(n_parties, n_words), p=(0.6, 0.15, 0.25))
    word_topic = _pick_rows(rng, np.repeat(taste, n_words, axis=0)).reshape(n_parties, n_words)
    noise_topic = np.where(rng.random((n_parties, n_words)) < 0.7,
                           rng.integers(n_topics, size=(n_parties, n_words)), -1)
    party_words = np.empty((n_parties, n_words), dtype=object)
    for j, name in enumerate(TOPIC_NAMES):
        mask = ((source == 0) & (word_topic == j)) | ((source == 2) & (noise_topic == j))
        party_words[mask] = vocab.sample(TOPICS[name], (int(mask.sum()),))
    for i, letter in enumerate(INDUSTRIES):
        mask = (source == 1) & (p_industry[:, None] == i)
        if mask.any():
            preferred = INDUSTRY_CATEGORIES[letter][0]
            words = tuple(w for c in preferred for w in CATEGORY_WORDS[c])
            party_words[mask] = vocab.sample(words, (int(mask.sum()),))
    empty = np.equal(party_words, None)
    party_words[empty] = vocab.sample(FILLER_WORDS, (int(empty.sum()),))
    parties = []
    for p in range(n_parties):
        words = tuple(party_words[p])
        parties.append(Party(id=p + 1, industry=INDUSTRIES[p_industry[p]],
                             district=DISTRICTS[p_district[p]], words=words,
                             text=" ".join(words)))

    # --- items --------------------------------------------------------------------------------
    kind_p = np.asarray([KIND_SHARES[k] for k in ITEM_KINDS])
    i_kind = rng.choice(len(ITEM_KINDS), size=n_items, p=kind_p)
    i_category = np.empty(n_items, dtype=np.int64)
    i_topic = rng.integers(n_topics, size=n_items)
    for k, kind in enumerate(ITEM_KINDS):
        rows = np.flatnonzero(i_kind == k)
        cats = np.asarray([category_index[c] for c in KIND_CATEGORIES[kind]])
        share = np.ones(len(cats)) if kind != "technology" else np.asarray([0.4, 0.3, 0.1, 0.2])
        i_category[rows] = cats[rng.choice(len(cats), size=len(rows), p=share / share.sum())]
    for category, topics in CATEGORY_TOPICS.items():
        rows = np.flatnonzero(i_category == category_index[category])
        own = np.asarray([topic_index[t] for t in topics])
        i_topic[rows] = own[rng.integers(len(own), size=len(rows))]
    i_district = rng.choice(len(DISTRICTS), size=n_items, p=district_p)
    popularity = rng.normal(0.0, 1.0, size=n_items)
    providers = np.flatnonzero(rng.random(n_parties) < PROVIDER_SHARE)
    if not len(providers):
        providers = np.arange(min(n_parties, 1))
    i_owner = providers[rng.integers(len(providers), size=n_items)]
    day = 86400.0
    now_ts = now.timestamp()
    old = rng.random(n_items) < 0.75
    published = np.where(old, now_ts - rng.uniform(365, 3 * 365, n_items) * day,
                         now_ts - rng.uniform(14, 365, n_items) * day)

    item_words = np.empty((n_items, 18), dtype=object)
    for j, category in enumerate(CATEGORIES):
        rows = np.flatnonzero(i_category == j)
        if len(rows):
            item_words[rows, 0:4] = vocab.sample(CATEGORY_WORDS[category], (len(rows), 4))
    second_topic = rng.integers(n_topics, size=n_items)
    for j, name in enumerate(TOPIC_NAMES):
        rows = np.flatnonzero(i_topic == j)
        if len(rows):
            item_words[rows, 4:12] = vocab.sample(TOPICS[name], (len(rows), 8))
        rows = np.flatnonzero(second_topic == j)
        if len(rows):
            item_words[rows, 12:14] = vocab.sample(TOPICS[name], (len(rows), 2))
    for k, kind in enumerate(ITEM_KINDS):
        rows = np.flatnonzero(i_kind == k)
        if len(rows):
            item_words[rows, 14:17] = vocab.sample(KIND_WORDS[kind], (len(rows), 3))
    item_words[:, 17] = vocab.sample(FILLER_WORDS, (n_items,))
    price = np.select(
        [i_kind == 0, i_kind == 1, i_kind == 2, i_kind == 3],
        [rng.integers(10, 200, n_items) * 1000,          # instrument: 100–2,000 yuan per hour
         rng.integers(5, 500, n_items) * 1_000_000,      # technology: 50,000–5,000,000 yuan
         rng.integers(10, 45, n_items) * 100,            # space: 10–45 yuan per m² and month
         rng.integers(2, 200, n_items) * 1_000_000])     # campaign goal
    vouchers = (i_kind == 0) & (rng.random(n_items) < 0.6)
    items = []
    for i in range(n_items):
        words = tuple(item_words[i])
        items.append(Item(
            id=i + 1, kind=ITEM_KINDS[i_kind[i]], owner_id=int(i_owner[i]) + 1,
            district=DISTRICTS[i_district[i]], category=CATEGORIES[i_category[i]], words=words,
            text=" ".join(words), price_fen=int(price[i]), accepts_vouchers=bool(vouchers[i]),
            published_at=datetime.fromtimestamp(float(published[i]), UTC)))

    affinity = _affinity_matrix()
    truth = Truth(party_industry=p_industry, party_district=p_district, party_taste=taste,
                  party_activity=activity, item_kind=i_kind, item_category=i_category,
                  item_topic=i_topic, item_district=i_district, item_popularity=popularity,
                  affinity=affinity, district_bonus=_district_bonus())

    # --- interactions -------------------------------------------------------------------------
    n_negative = int(round(NOT_RELEVANT_SHARE * n_interactions))
    n_positive = n_interactions - n_negative
    n_noise = int(round(NOISE_SHARE * n_positive))
    n_structured = n_positive - n_noise
    activity_p = activity / activity.sum()

    # structured: party by activity, item ∝ exp(score), in chunks of parties
    counts = rng.multinomial(n_structured, activity_p)
    s_party = np.repeat(np.arange(n_parties), counts)
    s_item = np.empty(n_structured, dtype=np.int64)
    chunk = max(1, min(n_parties, 4_000_000 // max(n_items, 1)))
    position = 0
    for start in range(0, n_parties, chunk):
        rows = np.arange(start, min(start + chunk, n_parties))
        need = counts[rows]
        total = int(need.sum())
        if not total:
            continue
        s = truth.scores(rows)
        s -= s.max(axis=1, keepdims=True)
        cum = np.cumsum(np.exp(s), axis=1)
        cum /= cum[:, -1:]
        cum += np.arange(len(rows))[:, None]       # row r lives in [r, r + 1]
        local = np.repeat(np.arange(len(rows)), need)
        u = local + rng.random(total)
        flat = np.searchsorted(cum.ravel(), u)
        s_item[position:position + total] = np.minimum(flat - local * n_items, n_items - 1)
        position += total
    # noise: party by activity, uniform item
    r_party = rng.choice(n_parties, size=n_noise, p=activity_p)
    r_item = rng.integers(n_items, size=n_noise)
    # not relevant: uniform items whose category has no affinity for the party's industry
    g_party = rng.choice(n_parties, size=n_negative, p=activity_p)
    g_item = rng.integers(n_items, size=n_negative)
    for _ in range(50):
        bad = ((affinity[p_industry[g_party], i_category[g_item]] > 0)
               | (i_owner[g_item] == g_party))
        if not bad.any():
            break
        g_item[bad] = rng.integers(n_items, size=int(bad.sum()))
    for _ in range(50):  # a party never interacts with its own items (redrawn uniformly)
        own = i_owner[s_item] == s_party
        if not own.any():
            break
        s_item[own] = rng.integers(n_items, size=int(own.sum()))
    for _ in range(50):
        own = i_owner[r_item] == r_party
        if not own.any():
            break
        r_item[own] = rng.integers(n_items, size=int(own.sum()))

    party_idx = np.concatenate([s_party, r_party, g_party])
    item_idx = np.concatenate([s_item, r_item, g_item])

    # structured: conversion with the item kind's rate, otherwise view or enquiry (62:20)
    rate = np.asarray([CONVERSION_RATE[k] for k in ITEM_KINDS])[i_kind[s_item]]
    u = rng.random(n_structured)
    structured_code = np.where(u < rate, 2, np.where(
        u < rate + (1 - rate) * STRUCTURED_KINDS[1] / sum(STRUCTURED_KINDS), 1, 0))
    kind_code = np.concatenate([
        structured_code,
        rng.choice(3, size=n_noise, p=NOISE_KINDS),
        np.full(n_negative, 3)])
    start_ts = np.maximum(published[item_idx], now_ts - 365 * day)
    at = start_ts + rng.random(len(item_idx)) * (now_ts - start_ts)
    order = np.argsort(at, kind="stable")
    conversion = np.asarray([CONVERSION[k] for k in ITEM_KINDS], dtype=object)
    interactions = []
    for j in order:
        code = kind_code[j]
        item = item_idx[j]
        kind = ("view", "enquiry", None, "not_relevant")[code] or conversion[i_kind[item]]
        interactions.append(Interaction(party_id=int(party_idx[j]) + 1, item_id=int(item) + 1,
                                        kind=kind, at=datetime.fromtimestamp(float(at[j]), UTC)))
    return parties, items, interactions, truth
