"""Ranking properties of the recommender on a tiny fixed world (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from matching.model import Recommender
from matching.records import Context, Interaction, Item, Party

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
SYNONYMS = [
    [("sem",), ("扫描", "电子显微镜"), ("扫描电镜",)],
    [("xrd",), ("x射线", "衍射仪")],
]
NEIGHBOURS = {"140402": frozenset({"140403"}), "140403": frozenset({"140402"})}

SEM = Item(1, "instrument", 100, "140402", "electron_microscopy",
           ("场发射", "扫描电镜", "能谱", "形貌", "分析"), "场发射扫描电镜 能谱 形貌分析",
           price_fen=30_000, accepts_vouchers=True)
WAREHOUSE = Item(2, "space", 101, "140481", "warehouse",
                 ("标准", "仓库", "出租", "物流", "园区"), "标准仓库出租 物流园区", price_fen=2_000)
OWN_SEM = Item(3, "instrument", 7, "140402", "electron_microscopy",
               ("扫描电镜", "测试", "形貌"), "扫描电镜测试 形貌", price_fen=20_000)
SEM_PATENT = Item(4, "technology", 102, "140403", "materials",
                  ("扫描", "电子显微镜", "样品", "制备", "专利"), "扫描电子显微镜样品制备专利")
XRD = Item(5, "instrument", 103, "140403", "diffraction",
           ("x射线", "衍射仪", "物相", "分析"), "X射线衍射仪 物相分析", price_fen=15_000,
           accepts_vouchers=True)
CAMPAIGN = Item(6, "campaign", 104, "140481", "agriculture",
                ("小米", "种植", "众筹"), "沁州黄小米种植众筹", price_fen=5_000_000)
ITEMS = [SEM, WAREHOUSE, OWN_SEM, SEM_PATENT, XRD, CAMPAIGN]

MATERIALS_LAB = Party(7, "C", "140402", ("材料", "企业", "需要", "扫描电镜", "形貌", "分析"),
                      "材料企业 需要扫描电镜形貌分析")
LOGISTICS = Party(8, "G", "140481", ("物流", "公司", "仓库", "租赁"), "物流公司 仓库租赁")
FARM = Party(9, "A", "140481", ("小米", "种植", "合作社"), "小米种植合作社")
MANUFACTURERS = [Party(n, "C", "140402", ("制造", "材料", "检测"), "制造 材料检测")
                 for n in range(20, 80)]
SHIPPERS = [Party(n, "G", "140481", ("物流", "运输"), "物流运输") for n in range(80, 110)]
PARTIES = [MATERIALS_LAB, LOGISTICS, FARM, *MANUFACTURERS, *SHIPPERS]


def _interactions() -> list[Interaction]:
    out = []
    day = 0
    for party in MANUFACTURERS:
        for item, kind in ((SEM, "view"), (SEM, "booking"), (XRD, "view")):
            out.append(Interaction(party.id, item.id, kind, NOW - timedelta(days=300 - day)))
            day += 1
    for party in SHIPPERS:
        for item, kind in ((WAREHOUSE, "view"), (WAREHOUSE, "lease")):
            out.append(Interaction(party.id, item.id, kind, NOW - timedelta(days=150 - day // 2)))
            day += 1
    out.append(Interaction(FARM.id, CAMPAIGN.id, "pledge", NOW - timedelta(days=3)))
    out.append(Interaction(MATERIALS_LAB.id, SEM_PATENT.id, "not_relevant",
                           NOW - timedelta(days=2)))
    return out


def _fit(interactions=()):
    return Recommender.fit(PARTIES, ITEMS, list(interactions), now=NOW, synonyms=SYNONYMS,
                           neighbours=NEIGHBOURS, n_factors=4, random_state=0)


@pytest.fixture(scope="module")
def trained():
    return _fit(_interactions())


@pytest.fixture(scope="module")
def untrained():
    return _fit()


@pytest.fixture(params=["trained", "untrained"])
def model(request):
    return request.getfixturevalue(request.param)


def ids(results):
    return [r.id for r in results]


def test_fit_trains_a_ranker_only_with_enough_interactions(trained, untrained):
    assert trained.metadata["ranker"] == "logistic"
    assert untrained.metadata["ranker"] == "fallback"
    for model in (trained, untrained):
        assert model.metadata["features"][0] == "content"
        assert model.metadata["counts"]["items"] == len(ITEMS)
        assert model.metadata["counts"]["parties"] == len(PARTIES)


def test_sem_need_gets_the_sem_before_the_warehouse(model):
    ranked = ids(model.recommend(MATERIALS_LAB, k=10))
    assert SEM.id in ranked
    assert WAREHOUSE.id not in ranked or ranked.index(SEM.id) < ranked.index(WAREHOUSE.id)
    assert ranked[0] == SEM.id


def test_own_listing_never_recommended(model):
    for mode in ("hybrid", "content", "popular"):
        assert OWN_SEM.id not in ids(model.recommend(MATERIALS_LAB, k=10, mode=mode))


def test_not_relevant_item_does_not_come_back(trained, untrained):
    assert SEM_PATENT.id not in ids(trained.recommend(MATERIALS_LAB, k=10))
    assert SEM_PATENT.id not in ids(trained.recommend(MATERIALS_LAB, k=10, mode="content"))
    assert SEM_PATENT.id in ids(untrained.recommend(MATERIALS_LAB, k=10))  # no feedback there


def test_context_exclusions_and_candidates(model):
    context = Context(excluded_item_ids=frozenset({SEM.id}),
                      excluded_owner_ids=frozenset({XRD.owner_id}))
    ranked = ids(model.recommend(MATERIALS_LAB, context=context, k=10))
    assert SEM.id not in ranked
    assert XRD.id not in ranked
    only = ids(model.recommend(MATERIALS_LAB, k=10, candidates={WAREHOUSE.id, CAMPAIGN.id, 999}))
    assert set(only) <= {WAREHOUSE.id, CAMPAIGN.id}
    assert only


def test_kinds_filter(model):
    ranked = model.recommend(MATERIALS_LAB, k=10, kinds={"space", "campaign"})
    assert ranked
    assert set(ids(ranked)) <= {WAREHOUSE.id, CAMPAIGN.id}
    assert model.recommend(MATERIALS_LAB, k=10, kinds=()) == []


def test_new_item_is_recommendable_immediately(trained):
    model = _fit(_interactions())
    new = Item(50, "instrument", 105, "140402", "electron_microscopy",
               ("扫描电镜", "形貌", "分析", "能谱"), "扫描电镜形貌分析 能谱", price_fen=10_000)
    model.add_items([new])
    assert new.id in ids(model.recommend(MATERIALS_LAB, k=3))
    assert new.id in ids(model.recommend(MATERIALS_LAB, k=3, mode="content"))
    assert new.id not in ids(trained.recommend(MATERIALS_LAB, k=10))  # the other model is intact


def test_edited_item_replaces_the_old_version():
    model = _fit(_interactions())
    edited = Item(SEM.id, "instrument", SEM.owner_id, SEM.district, SEM.category,
                  ("物流", "仓库", "运输"), "物流仓库 运输", price_fen=30_000)
    model.add_items([edited])
    ranked = model.recommend(MATERIALS_LAB, k=10, mode="content")
    assert SEM.id not in ids(ranked)
    freight = ids(model.recommend(Party(200, "G", "140481", ("仓库", "运输"), "仓库运输"), k=10,
                                  mode="content"))
    assert freight.count(SEM.id) == 1


def test_new_party_gets_content_based_results(trained):
    newcomer = Party(201, None, "149999", ("需要", "x射线", "衍射仪", "物相"), "需要X射线衍射仪物相")
    ranked = trained.recommend(newcomer, k=3)
    assert ranked[0].id == XRD.id
    trained.add_parties([newcomer])
    assert ids(trained.parties_for_item(XRD, k=1)) == [newcomer.id]


def test_parties_for_item_never_owner_and_best_profile_first(model):
    ranked = model.parties_for_item(OWN_SEM, k=10)
    assert MATERIALS_LAB.id not in ids(ranked)            # the owner
    farms = model.parties_for_item(CAMPAIGN, k=3)
    assert farms[0].id == FARM.id
    assert CAMPAIGN.owner_id not in ids(farms)
    warehouses = model.parties_for_item(WAREHOUSE, k=5, candidates={LOGISTICS.id, FARM.id})
    assert ids(warehouses)[0] == LOGISTICS.id
    assert set(ids(warehouses)) <= {LOGISTICS.id, FARM.id}


def test_evidence_is_only_what_the_data_shows(model):
    ranked = {r.id: r for r in model.recommend(MATERIALS_LAB, k=10)}
    sem = {e.code: e for e in ranked[SEM.id].evidence}
    assert "扫描电镜" in sem["terms"].data["terms"]
    assert all(not t.startswith("#") for t in sem["terms"].data["terms"])
    assert sem["district"].data == {"relation": "same", "district": "140402"}
    for result in ranked.values():
        assert all(e.weight > 0 for e in result.evidence)
        codes = {e.code for e in result.evidence}
        if result.id in (WAREHOUSE.id, CAMPAIGN.id):   # district 140481: unrelated to 140402
            assert "district" not in codes
            assert "terms" not in codes
        if result.id != SEM.id and result.id != XRD.id:
            assert "accepts_vouchers" not in codes
        assert "voucher_fit" not in codes                    # no quota given


def test_voucher_fit_evidence_needs_a_quota_that_covers_the_price(model):
    rich = model.recommend(MATERIALS_LAB, k=10, context=Context(remaining_quota_fen=50_000))
    fit = {e.code: e.data for e in next(r for r in rich if r.id == SEM.id).evidence}
    assert fit["voucher_fit"] == {"price_fen": 30_000, "remaining_fen": 50_000}
    poor = model.recommend(MATERIALS_LAB, k=10, context=Context(remaining_quota_fen=10_000))
    codes = {e.code for e in next(r for r in poor if r.id == SEM.id).evidence}
    assert "voucher_fit" not in codes


def test_collaborative_evidence_for_peers(trained):
    newcomer = Party(202, "C", "140402", ("制造", "材料"), "制造 材料")
    ranked = trained.recommend(newcomer, k=5)
    assert ranked[0].id == SEM.id
    codes = {e.code: e.data for e in ranked[0].evidence}
    assert codes["peers"] == {"count": len(MANUFACTURERS), "industry": "C"}
    member = trained.recommend(MANUFACTURERS[0], k=5)
    similar = {e.code: e.data for e in next(r for r in member if r.id == SEM.id).evidence}
    assert similar["peers"]["count"] == len(MANUFACTURERS) - 1   # not counting itself


def test_synonym_group_matches_sem_with_the_chinese_name(model):
    asker = Party(203, None, "149999", ("需要", "sem", "测试"), "需要SEM测试")
    ranked = model.recommend(asker, k=10, mode="content")
    assert SEM_PATENT.id in ids(ranked)                      # says 扫描 电子显微镜, not SEM
    patent = next(r for r in ranked if r.id == SEM_PATENT.id)
    assert patent.evidence[0].code == "terms"
    assert patent.evidence[0].data["terms"][0] == "SEM"      # shown as the party wrote it
    assert WAREHOUSE.id not in ids(ranked)


def test_content_mode_returns_only_matching_items(model):
    ranked = model.recommend(FARM, k=10, mode="content")
    assert ids(ranked) == [CAMPAIGN.id]
    assert [e.code for e in ranked[0].evidence] == ["terms"]


def test_popular_mode_follows_interactions(trained):
    ranked = ids(trained.recommend(LOGISTICS, k=3, mode="popular"))
    assert set(ranked[:2]) == {SEM.id, WAREHOUSE.id}      # the two everyone uses
    assert ranked[2] == XRD.id


def test_unknown_mode_is_refused(model):
    with pytest.raises(ValueError, match="mode"):
        model.recommend(MATERIALS_LAB, mode="magic")


def test_fit_is_deterministic():
    first = _fit(_interactions()).recommend(LOGISTICS, k=6)
    second = _fit(_interactions()).recommend(LOGISTICS, k=6)
    assert [(r.id, r.score) for r in first] == [(r.id, r.score) for r in second]


def test_analyzer_emits_words_synonym_groups_and_grams():
    from matching.text import Analyzer

    analyzer = Analyzer(SYNONYMS)
    tokens = analyzer((("扫描", "电子显微镜", "测试"), "扫描电子显微镜测试"))
    assert tokens[:3] == ["扫描", "电子显微镜", "测试"]
    assert "syn:0" in tokens
    assert "#扫描" in tokens
    assert "#显微镜" in tokens
    assert analyzer.display("#扫描") is None
    assert analyzer.display("syn:0") == "sem"
    assert analyzer.display("syn:0", analyzer.synonym_matches(("sem",), "SEM 测试")) == "SEM"
    assert analyzer.display("测试") == "测试"


def test_serving_vector_equals_the_vectorizer(trained):
    document = (("需要", "扫描电镜", "能谱", "能谱", "陌生词", "sem"), "需要扫描电镜 能谱分析 Microscopy")
    fast, labels = trained.content.vector(document)
    slow = trained.content.transform([document])
    assert fast.shape == slow.shape
    assert set(fast.indices) == set(slow.indices)
    assert abs(fast - slow).max() < 1e-5
    assert {"能谱", "陌生词", "syn:0"} <= set(labels.values())


def test_new_item_matches_on_a_word_no_training_text_had():
    model = _fit(_interactions())
    new = Item(51, "technology", 106, "140402", "materials", ("钙钛矿", "光伏", "专利"),
               "钙钛矿光伏专利")
    model.add_items([new])
    asker = Party(204, None, "149999", ("寻找", "钙钛矿"), "寻找钙钛矿")
    ranked = model.recommend(asker, k=3, mode="content")
    assert ids(ranked)[:1] == [new.id]
    assert ranked[0].evidence[0].data["terms"] == ["钙钛矿"]


def test_fit_on_nothing_recommends_nothing():
    empty = Recommender.fit([], [], [], now=NOW)
    assert empty.recommend(MATERIALS_LAB) == []
    assert empty.parties_for_item(SEM) == []
    empty.add_items([SEM])
    assert ids(empty.recommend(MATERIALS_LAB, mode="content")) == [SEM.id]


def test_interactions_with_closed_listings_inform_but_never_return():
    closed = 999   # booked often, no longer in the catalogue
    history = _interactions() + [
        Interaction(party.id, closed, "booking", NOW - timedelta(days=10))
        for party in MANUFACTURERS[:10]]
    model = _fit(history)
    assert closed not in ids(model.recommend(MANUFACTURERS[20], k=10))
    assert closed not in ids(model.recommend(MANUFACTURERS[20], k=10, mode="popular"))


def test_items_of_other_kinds_are_never_recommended():
    model = _fit()
    model.add_items([Item(60, "need", 105, "140402", None, ("扫描电镜", "形貌"), "扫描电镜形貌")])
    assert 60 not in ids(model.recommend(MATERIALS_LAB, k=10))
    assert 60 not in ids(model.recommend(MATERIALS_LAB, k=10, mode="content"))


def test_parties_for_item_evidence_speaks_the_partys_words(untrained):
    ranked = untrained.parties_for_item(SEM_PATENT, k=10)
    assert SEM_PATENT.owner_id not in ids(ranked)
    assert ranked[0].id == MATERIALS_LAB.id
    terms = next(e for e in ranked[0].evidence if e.code == "terms").data["terms"]
    assert terms[0] == "扫描电镜"          # its own word for the patent's 扫描 电子显微镜


def test_parties_for_item_skips_a_party_that_rejected_it(trained):
    assert MATERIALS_LAB.id not in ids(trained.parties_for_item(SEM_PATENT, k=100))


def test_a_word_in_most_documents_scores_but_is_not_named_as_evidence():
    # "检测" is in every one of 40 listings; "扫描电镜" only in the SEM's.
    common = [Item(200 + n, "instrument", 300 + n, "140402", "testing", ("检测", f"设备{n}"),
                   f"检测 设备{n}") for n in range(40)]
    sem = Item(199, "instrument", 299, "140402", "electron_microscopy",
               ("检测", "扫描电镜", "断口"), "检测 扫描电镜 断口")
    party = Party(7, "C", "140402", ("检测", "扫描电镜", "断口"), "检测 扫描电镜 断口")
    model = Recommender.fit([party], [sem, *common], [], now=NOW, random_state=0)
    results = model.recommend(party, k=5, mode="content")
    assert results[0].id == sem.id
    terms = next(e for e in results[0].evidence if e.code == "terms").data["terms"]
    assert "扫描电镜" in terms and "检测" not in terms
    for other in results[1:]:  # matched on the common word only: no "terms" evidence at all
        assert all(e.code != "terms" for e in other.evidence)
