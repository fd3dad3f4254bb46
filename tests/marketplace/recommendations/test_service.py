"""The service's ranking properties and hard rules, with a trained artifact and without one."""

from __future__ import annotations

import json
import logging

from flask_babel import force_locale

from listings.models import ListingStatus
from marketplace.extensions import db, utcnow
from marketplace.organizations.models import OrganizationRelation
from marketplace.recommendations import operations, service
from marketplace.recommendations.service import reasons_for
from matching.records import Evidence
from tests.factories import make_instrument
from tests.marketplace.recommendations.conftest import train
from tests.marketplace.recommendations.helpers import ids, make_sem, post_need


def test_need_for_sem_ranks_the_sem_before_the_warehouse(world, mode):
    result = ids(service.recommend_for_organization(world.enterprise))
    assert world.sem.id in result
    assert world.warehouse.id not in result or (
        result.index(world.sem.id) < result.index(world.warehouse.id))


def test_own_listings_never_recommended(world, mode):
    result = ids(service.recommend_for_organization(world.enterprise, limit=50))
    assert result and world.own_sem.id not in result


def test_related_party_instrument_not_recommended(world, mode):
    result = ids(service.recommend_for_organization(world.enterprise, limit=50))
    assert world.sem.id in result and world.related_sem.id not in result


def test_declared_relation_excludes_the_provider(world, mode):
    db.session.add(OrganizationRelation(organization_id=world.university.id,
                                        related_organization_id=world.enterprise.id,
                                        description="共同股东"))
    db.session.commit()
    result = ids(service.recommend_for_organization(world.enterprise, limit=50))
    assert world.sem.id not in result and world.xrd.id not in result


def test_not_relevant_listing_does_not_come_back(world, mode):
    assert world.sem.id in ids(service.recommend_for_organization(world.enterprise))
    operations.mark_not_relevant(db.session, world.enterprise, world.sem, "already_have",
                                 world.owner, utcnow())
    db.session.commit()
    assert world.sem.id not in ids(service.recommend_for_organization(world.enterprise, limit=50))
    # the other enterprises still get it
    assert world.sem.id in ids(service.recommend_for_organization(world.peers[0], limit=50))


def test_new_listing_recommendable_without_retraining(app, world, mode):
    service.recommend_for_organization(world.enterprise)  # the model is loaded (or fitted)
    fresh = make_sem(world.university, title_zh="新到的场发射扫描电镜（能谱）")
    db.session.commit()
    assert fresh.id in ids(service.recommend_for_organization(world.enterprise, limit=50))
    assert service.model_status()["mode"] == ("hybrid" if mode == "trained" else "content")


def test_archived_listing_disappears_at_once(world, mode):
    assert world.sem.id in ids(service.recommend_for_organization(world.enterprise))
    world.sem.archive(utcnow())
    db.session.commit()
    assert world.sem.id not in ids(service.recommend_for_organization(world.enterprise, limit=50))


def test_space_without_free_area_disappears(world, mode):
    world.warehouse.area_free_m2 = 0
    db.session.commit()
    assert world.warehouse.id not in ids(
        service.recommend_for_organization(world.enterprise, kinds=["space"], limit=50))


def test_kinds_restrict_the_list(world, mode):
    result = service.recommend_for_organization(world.enterprise, kinds=["instrument"], limit=50)
    assert result and {str(r.listing.kind) for r in result} == {"instrument"}


def test_recommend_for_need_gives_instruments_for_instrument_time(world, mode):
    need = post_need(world)
    result = service.recommend_for_need(need)
    assert world.sem.id in ids(result)
    assert {str(r.listing.kind) for r in result} == {"instrument"}
    assert world.own_sem.id not in ids(result) and world.related_sem.id not in ids(result)
    terms = " ".join(reason.text for r in result if r.listing.id == world.sem.id
                     for reason in r.reasons if reason.code == "terms")
    assert "扫描电镜" in terms or "断口" in terms


def test_every_recommendation_has_reasons(world, mode):
    result = service.recommend_for_organization(world.enterprise, limit=50)
    assert result
    for recommendation in result:
        assert recommendation.reasons
        assert all(reason.text.strip() for reason in recommendation.reasons)


def test_enterprises_for_listing_only_discoverable_verified_enterprises(world, mode):
    result = service.enterprises_for_listing(world.sem, limit=50)
    found = {m.organization.id for m in result}
    assert found
    assert found <= {world.enterprise.id, *(p.id for p in world.peers)}
    assert world.hidden.id not in found and world.pending.id not in found
    assert world.maker.id not in found
    for match in result:
        assert match.reasons


def test_enterprises_for_listing_never_the_owner(world, mode):
    world.university.discoverable = True
    db.session.commit()
    found = {m.organization.id for m in service.enterprises_for_listing(world.own_sem, limit=50)}
    assert world.enterprise.id not in found


def test_incompatible_artifact_refused_and_service_falls_back(app, world, caplog):
    train(app)
    path = service.model_status()["path"]
    assert path is not None
    sidecar = path.replace(".joblib", ".json")
    with open(sidecar, encoding="utf-8") as fh:
        metadata = json.load(fh)
    metadata["sklearn_version"] = "0.0.1"
    with open(sidecar, "w", encoding="utf-8") as fh:
        json.dump(metadata, fh)
    service.reset()
    with caplog.at_level(logging.WARNING, logger="marketplace.recommendations.service"):
        result = ids(service.recommend_for_organization(world.enterprise))
    status = service.model_status()
    assert status["mode"] == "content" and status["path"] is None
    assert "scikit-learn 0.0.1" in status["message"] and "flask matching train" in status["message"]
    assert any("0.0.1" in r.getMessage() and "falling back" in r.getMessage()
               for r in caplog.records)
    assert world.sem.id in result


def test_no_artifact_logs_the_fallback(app, world, caplog):
    with caplog.at_level(logging.WARNING, logger="marketplace.recommendations.service"):
        assert world.sem.id in ids(service.recommend_for_organization(world.enterprise))
    assert service.model_status()["mode"] == "content"
    assert any("no recommender artifact" in r.getMessage() for r in caplog.records)


def test_retraining_is_picked_up_without_restart(app, world):
    assert service.model_status()["mode"] == "content"
    app.config["MATCHING_RELOAD_SECONDS"] = 0
    try:
        result = app.test_cli_runner().invoke(args=["matching", "train", "--no-evaluate"])
        assert result.exit_code == 0, result.output
        assert service.model_status()["mode"] == "hybrid"  # no reset: found by looking again
    finally:
        app.config.pop("MATCHING_RELOAD_SECONDS")


def test_pending_enterprise_still_gets_content_results(world, mode):
    # a new enterprise the model never saw (cold start): its profile is enough
    result = ids(service.recommend_for_organization(world.pending))
    assert world.sem.id in result


def test_closed_campaign_and_draft_are_not_candidates(world, mode):
    draft = make_instrument(world.university, published=False, title_zh="草稿扫描电镜",
                            summary_zh="扫描电镜 能谱 断口分析")
    db.session.commit()
    assert draft.status == ListingStatus.DRAFT
    assert draft.id not in ids(service.recommend_for_organization(world.enterprise, limit=50))


# ---------------------------------------------------------------------------------------------
# wording
def test_reasons_worded_in_chinese_by_default_and_english_for_en(app):
    evidence = (Evidence("district", 1.0, {"relation": "same", "district": "140403"}),
                Evidence("accepts_vouchers", 0.5, {}),
                Evidence("terms", 0.8, {"terms": ["扫描电镜", "扫描", "能谱", "谱"]}))
    with app.app_context():
        chinese = {r.code: r.text for r in reasons_for(evidence)}
        with force_locale("en"):
            english = {r.code: r.text for r in reasons_for(evidence)}
    assert "潞州区" in chinese["district"] and "Luzhou District" in english["district"]
    assert chinese["accepts_vouchers"] == "可使用科技创新券"
    assert english["accepts_vouchers"] == "Innovation vouchers accepted"
    assert "“扫描电镜”“能谱”" in chinese["terms"]
    assert english["terms"] == "Matches your profile: “扫描电镜”, “能谱”"


def test_no_reason_without_evidence_data(app):
    with app.app_context():
        assert reasons_for([Evidence("terms", 1.0, {"terms": []}),
                            Evidence("peers", 1.0, {"count": 0, "industry": "C"}),
                            Evidence("voucher_fit", 1.0, {"price_fen": 500,
                                                          "remaining_fen": 100}),
                            Evidence("unknown_code", 1.0, {})]) == []
