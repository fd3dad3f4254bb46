"""Search relevance over the demo catalogue.

The demo (``load_demo()``) is loaded and committed, so the session hook indexes it exactly as in
production. Then each query below is searched the way the search page does it, and the listing a
Changzhi SME would be looking for must be among the first three results.

Scoring:

- A query passes when the expected listing is in the top 3 of ``search(..., per_page=3)`` of the
  search backend (Whoosh; and the PostgreSQL backend when the tests run on PostgreSQL).
  Results found by the relaxed search (not every word matched) count like any other results.
- Misspellings: when the search found nothing or had to relax the query, and it offers a "did you
  mean" suggestion, the user sees that suggestion and clicks it. So the query also passes when the
  expected listing is in the top 3 of the suggested query's results.

The suite passes when at least 95% of the queries pass; one summary line is printed either way,
listing the failures with what was found instead.

The queries are what people in Changzhi type: Chinese terms and colloquial short forms (电镜, 拉力机),
abbreviations (SEM, XRD, CMM), English, mixed Chinese and English, synonyms from
``listings/synonyms.txt``, district names (潞城, 武乡, Xiangyuan), words that only occur in
summaries, tags or details (断口分析, 摇摆曲线), patent numbers and a few misspellings.
"""

from __future__ import annotations

import sqlalchemy as sa

from listings import search, search_backend
from listings.models import Listing
from marketplace.demo import load_demo

MINIMUM_SHARE = 0.95
TOP = 3

SEM = "场发射扫描电子显微镜 Hitachi SU8010"
SEM_FAILURE = "钨灯丝扫描电镜 JSM-IT200（失效分析）"
XRD = "X射线衍射仪 Bruker D8 Advance"
HRXRD = "高分辨X射线衍射仪 Rigaku SmartLab 9kW"
HPLC = "高效液相色谱仪 Agilent 1260 Infinity II"
SALT_SPRAY = "中性盐雾试验箱（NSS/AASS/CASS）"
FATIGUE = "电液伺服疲劳试验机 MTS Landmark 370.25"
FIVE_AXIS = "五轴联动数控加工中心 DMG MORI DMU 65 monoBLOCK"
PV_TEST = "光伏组件EL/IV测试平台"
ICP_MS = "电感耦合等离子体质谱仪 Agilent 7900 ICP-MS"
NEEDLE_COKE = "煤焦油沥青制备针状焦的两段延迟焦化方法"
HYDRAULIC_VALVE = "液压支架用大流量电液换向阀"
COLD_STORE = "武乡冷链物流中心冷库（−18 ℃冷冻与0–4 ℃保鲜）"
MILLET_SORTER = "小米光电色选分拣机样机三筹"
MILLET_DRONES = "谷子田无人机变量植保示范"

# (query, title_zh of the listing that must be in the top 3)
QUERIES: list[tuple[str, str]] = [
    # --- electron microscopy: the product owner's examples
    ("扫描电镜", SEM),
    ("SEM", SEM),
    ("电镜", SEM),
    ("扫描电子显微镜", SEM),
    ("electron microscope", SEM),
    ("3D打印 厂房", "智能制造产业园标准厂房（适合3D打印与精密加工）"),
    # --- microscopy and surfaces: summaries, capabilities, synonyms, English
    ("断口分析", SEM_FAILURE),
    ("failure analysis", SEM_FAILURE),
    ("SEM 断口", SEM),
    ("EBSD 织构", "热场发射扫描电镜（配EBSD）ZEISS Sigma 300"),
    ("透射电镜", "场发射透射电子显微镜 JEOL JEM-2100F"),
    ("atomic force microscope", "原子力显微镜 Bruker Dimension Icon"),
    ("金相 晶粒度", "倒置金相显微镜 Leica DMi8"),
    # --- X-ray
    ("XRD 物相分析", XRD),
    ("外延片 摇摆曲线", HRXRD),
    ("煤灰成分 XRF", "波长色散X射线荧光光谱仪 ARL PERFORM'X"),
    ("XPS", "X射线光电子能谱仪 Thermo ESCALAB Xi+"),
    ("工业CT 铸件 气孔", "工业CT无损检测系统 YXLON FF35 CT"),
    # --- chromatography, mass spectrometry, spectroscopy, thermal analysis
    ("HPLC 党参", HPLC),
    ("气质联用", "气相色谱-质谱联用仪 Agilent 8890-5977B"),
    ("焦炉煤气 组分分析", "气相色谱仪 Agilent 8890（炼厂气/煤气分析）"),
    ("农药残留 检测", "液相色谱-三重四极杆质谱联用仪 Waters Xevo TQ-S"),
    ("ICP-MS 重金属", ICP_MS),
    ("heavy metals", ICP_MS),
    ("红外光谱 异物", "傅里叶变换红外光谱仪 Thermo Nicolet iS50"),
    ("拉曼 石墨烯", "显微共焦拉曼光谱仪 Horiba LabRAM HR Evolution"),
    ("核磁", "400MHz核磁共振波谱仪 Bruker AVANCE NEO"),
    ("热重", "热重分析仪 TA Instruments TGA 5500"),
    ("DSC 玻璃化转变", "差示扫描量热仪 NETZSCH DSC 214 Polyma"),
    # --- materials testing
    ("拉力机", "电子万能试验机 Instron 5985（250 kN）"),
    ("疲劳试验", FATIGUE),
    ("盐雾试验", SALT_SPRAY),
    ("salt spray test", SALT_SPRAY),
    ("CMM", "三坐标测量机 Hexagon GLOBAL S 9.15.8"),
    ("BET 活性炭", "比表面积及孔径分析仪 Micromeritics ASAP 2460"),
    ("煤 发热量", "全自动量热仪与工业分析仪（煤质分析）"),
    # --- additive manufacturing and machining
    ("SLM 钛合金", "金属3D打印机 EOS M 290（激光选区熔化）"),
    ("光固化 手板", "工业级光固化3D打印机 联泰 Lite600"),
    ("五轴加工", FIVE_AXIS),
    ("CNC machining", FIVE_AXIS),
    ("激光切割 钣金", "6kW光纤激光切割机（3015）"),
    # --- electronics, life sciences, environment
    ("EMC 测试", "3米法电波暗室EMC测试系统"),
    ("光伏组件 隐裂", PV_TEST),
    ("荧光定量PCR", "实时荧光定量PCR仪 Bio-Rad CFX96"),
    ("water quality testing", "水质多参数分析仪 Hach DR6000（COD、氨氮、总磷）"),
    ("烟气 SO2", "便携式烟气分析仪 testo 350（SO2/NOx/CO）"),
    # --- misspellings (relaxed search or the "did you mean" suggestion)
    ("difractometer", XRD),
    ("electron microscpe", SEM),
    ("photovoltic module", PV_TEST),
    ("fatige testing machine", FATIGUE),
    # --- technologies and patents
    ("针状焦", NEEDLE_COKE),
    ("needle coke", NEEDLE_COKE),
    ("ZL201910734215.9", NEEDLE_COKE),  # the number as printed on the patent certificate
    ("铝合金 热处理 专利", "7系高强铝合金结构件双级时效热处理工艺"),
    ("GaN epitaxy", "图形化蓝宝石衬底上低位错氮化镓外延生长方法"),
    ("solar cell passivation", "TOPCon太阳能电池隧穿氧化层与多晶硅钝化接触制备方法"),
    ("solar panel cleaning robot", "光伏组件自动清扫机器人"),
    ("潞党参 加工技术", "潞党参产地趁鲜切制与低温干燥加工技术"),
    ("小米 保鲜", "杂粮米饭常温保鲜无菌包装技术"),
    ("焦化废水 处理技术", "焦化废水臭氧催化氧化深度处理工艺"),
    ("钠离子电池 硬碳", "煤沥青基钠离子电池硬碳负极材料"),
    ("激光熔覆 液压支架", "液压支架立柱激光熔覆修复工艺"),
    ("液压 专利转让", HYDRAULIC_VALVE),
    ("hydraulic valve", HYDRAULIC_VALVE),
    ("LED street light", "大功率LED路灯一体化散热模组"),
    # --- space: districts and development zones, types, English
    ("潞城 厂房", "潞城经开区重型钢结构厂房（跨度30米，20吨行车）"),
    ("冷库", COLD_STORE),
    ("cold storage", COLD_STORE),
    ("孵化器 工位", "科创城众创空间开放工位（拎包入驻）"),
    ("上党区 仓库", "上党经开区丙二类仓库（带装卸平台）"),
    ("factory Xiangyuan", "襄垣经开区智造产业园光电厂房"),
    ("洁净车间", "经开区光电产业园万级洁净车间"),
    ("食品厂房 武乡", "武乡经开区食品级标准厂房（可办SC许可）"),
    ("长子 实验室", "长子经开区研发楼实验室用房"),
    # --- 三筹 campaigns
    ("众筹 小米 分拣", MILLET_SORTER),
    ("三筹 无人机", MILLET_DRONES),
    ("crowdfunding drone", MILLET_DRONES),
    ("众筹 党参", "潞党参全程溯源与品牌升级计划"),
    ("筹智慧 MOCVD", "深紫外UVC-LED外延片中试线"),
    ("非遗 文创", "上党堆锦非遗文创3D打印项目"),
]


def _top(backend, text: str) -> search.SearchResult:
    return backend.search(search.SearchRequest(text=text, per_page=TOP, facets=False))


def test_expected_listing_is_in_the_top_three(app, db, capsys, search_backend_name):
    load_demo()
    db.session.commit()
    index_dir = search_backend()
    titles = dict(db.session.execute(sa.select(Listing.id, Listing.title_zh)).all())
    missing = sorted({expected for _, expected in QUERIES} - set(titles.values()))
    assert not missing, f"expected listings not in the demo catalogue: {missing}"

    failures = []
    for text, expected in QUERIES:
        result = _top(index_dir, text)
        found = [titles[i] for i in result.ids]
        if expected in found:
            continue
        if (result.total == 0 or result.relaxed) and result.suggestion:
            suggested = [titles[i] for i in _top(index_dir, result.suggestion).ids]
            if expected in suggested:
                continue
            found = [f"did you mean “{result.suggestion}”:"] + suggested
        failures.append(f"“{text}” expected “{expected}”, found {found or 'nothing'}")

    passed = len(QUERIES) - len(failures)
    share = passed / len(QUERIES)
    line = (f"relevance ({search_backend_name}): {passed}/{len(QUERIES)} queries with the expected listing in the top "
            f"{TOP} ({share:.1%})")
    if failures:
        line += "; failures: " + "; ".join(failures)
    with capsys.disabled():
        print("\n" + line)
    assert len(QUERIES) >= 40
    assert share >= MINIMUM_SHARE, line
