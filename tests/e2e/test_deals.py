"""Step 5 end to end, in a real browser against the real server, in Chinese: an enterprise posts
a need (技术需求); a university proposes its patent; the enterprise follows the proposal to the
patent, accepts the NDA, reads the confidential part and makes an offer; the university counters;
the enterprise accepts; the agreement page shows the countered terms. The database is checked at
each hand-over (one need, one proposal, one NDA acceptance, two offers, one agreement).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from listings.models import Need
from marketplace.bookings.rules import SHANGHAI
from marketplace.extensions import utcnow
from marketplace.licensing import operations as licensing
from marketplace.licensing.models import (
    LicenceAgreement,
    LicenceOffer,
    LicenceStatus,
    NdaAcceptance,
    OfferStatus,
)
from marketplace.needs.models import NeedProposal
from marketplace.organizations.models import OrganizationKind
from tests.e2e.test_booking import sign_in, sign_out
from tests.factories import make_organization, make_user
from tests.marketplace.licensing.helpers import make_technology

pytestmark = pytest.mark.e2e
NEED_TITLE = "液压支架焊缝疲劳开裂的治理技术"
PATENT = "一种液压支架焊缝激光熔覆修复方法"
SECRET = "熔覆粉末配方：Ni60 + 35% WC，激光功率 2.2 kW"


def fresh(db):
    db.session.rollback()  # see what the server committed
    return db.session


def test_need_proposal_nda_offer_counter_accept(page, live_server, db, browser_problems):
    ent_user = make_user(email="ent@example.cn", name="王强")
    enterprise = make_organization(ent_user, name_zh="长治市潞安液压支架有限公司")
    uni_user = make_user(email="uni@example.cn", name="陈教授")
    university = make_organization(uni_user, kind=OrganizationKind.UNIVERSITY,
                                   name_zh="长治学院材料学院")
    technology = make_technology(university, title_zh=PATENT, title_en="Laser cladding repair",
                                 modes=["exclusive", "non_exclusive"])
    licensing.update_disclosure(
        db.session, technology, uni_user, problem="焊缝疲劳开裂", advantages="寿命提高一倍",
        applications="煤矿液压支架", confidential_text=SECRET, nda_text="双方对保密信息保密五年。",
        now=utcnow())
    db.session.commit()
    enterprise_id, technology_id = enterprise.id, technology.id

    # --- the enterprise posts its need ---------------------------------------------------------
    sign_in(page, "ent@example.cn")
    page.goto("/my/listings")
    page.get_by_test_id("new-need").click()
    expect(page).to_have_url(re.compile(r"/listings/new/need$"))
    form = page.get_by_test_id("need-form")
    form.locator("#title_zh").fill(NEED_TITLE)
    form.locator("#summary_zh").fill("综采工作面液压支架顶梁焊缝反复开裂，寻求修复或强化技术")
    form.locator("#district_code").select_option("140404")
    form.locator('input[name="solution_kinds"][value="technology"]').check()
    form.locator("#budget_fen").fill("300000")
    deadline = utcnow().astimezone(SHANGHAI).date() + timedelta(days=30)
    form.locator("#deadline").fill(deadline.isoformat())
    form.locator("#submit").click()
    need = fresh(db).scalars(sa.select(Need).where(Need.title_zh == NEED_TITLE)).one()
    need_id = need.id
    assert need.budget_fen == 30_000_000 and need.solution_kinds == ["technology"]
    page.goto(f"/listings/{need_id}")
    page.get_by_test_id("publish").click()
    expect(page.get_by_test_id("publish")).to_have_count(0)
    assert fresh(db).get(Need, need_id).is_open
    sign_out(page)

    # --- the university finds it and proposes its patent ----------------------------------------
    sign_in(page, "uni@example.cn")
    page.goto(f"/search?kind=need&q={NEED_TITLE[:6]}")
    page.get_by_role("link", name=NEED_TITLE).first.click()
    expect(page).to_have_url(re.compile(rf"/listings/{need_id}$"))
    proposal_form = page.get_by_test_id("propose-form")
    proposal_form.get_by_label(PATENT).check()
    proposal_form.locator("#message").fill("我院激光熔覆修复专利可直接用于顶梁焊缝，已在潞安试用。")
    page.get_by_test_id("propose-submit").click()
    expect(page.get_by_test_id("own-proposal")).to_be_visible()
    proposal = fresh(db).scalars(sa.select(NeedProposal)).one()
    assert [listing.id for listing in proposal.listings] == [technology_id]
    sign_out(page)

    # --- the enterprise reads the proposal, accepts the NDA, reads the secret, offers ----------
    sign_in(page, "ent@example.cn")
    page.goto(f"/listings/{need_id}")
    page.get_by_test_id("proposal").get_by_role("link", name=PATENT).click()
    expect(page).to_have_url(re.compile(rf"/listings/{technology_id}$"))
    expect(page.get_by_text(SECRET)).to_have_count(0)
    page.get_by_test_id("nda-open").click()
    expect(page.get_by_test_id("nda-text")).to_contain_text("保密五年")
    page.get_by_test_id("nda-accept").click()
    expect(page.get_by_test_id("confidential-text")).to_contain_text(SECRET)
    acceptance = fresh(db).scalars(sa.select(NdaAcceptance)).one()
    assert (acceptance.organization_id, acceptance.nda_version) == (enterprise_id, 1)
    page.get_by_test_id("make-offer").first.click()
    offer_form = page.get_by_test_id("offer-form")
    offer_form.locator("#mode").select_option("non_exclusive")
    offer_form.locator("#field_of_use").fill("煤矿液压支架修复")
    offer_form.locator("#territory").fill("山西省")
    offer_form.locator("#term_years").fill("5")
    offer_form.locator("#upfront_fee").fill("100000")
    offer_form.locator("#royalty").fill("3")
    page.get_by_test_id("offer-submit").click()
    expect(page.get_by_test_id("offer-status")).to_be_visible()
    first = fresh(db).scalars(sa.select(LicenceOffer)).one()
    assert (first.upfront_fee_fen, first.royalty_bp, first.term_years) == (10_000_000, 300, 5)
    sign_out(page)

    # --- the university counters: a higher fee and royalty -------------------------------------
    sign_in(page, "uni@example.cn")
    page.goto("/licensing")
    page.get_by_test_id("my-offers").get_by_role("link").first.click()
    counter = page.get_by_test_id("counter-offer-form")
    counter.locator("#upfront_fee").fill("150000")
    counter.locator("#royalty").fill("5")
    page.get_by_test_id("counter-offer").click()
    offers = fresh(db).scalars(sa.select(LicenceOffer).order_by(LicenceOffer.id)).all()
    assert [o.status for o in offers] == [OfferStatus.COUNTERED, OfferStatus.OPEN]
    assert (offers[1].upfront_fee_fen, offers[1].royalty_bp) == (15_000_000, 500)
    counter_id = offers[1].id
    sign_out(page)

    # --- the enterprise accepts; the agreement page shows the countered terms -------------------
    sign_in(page, "ent@example.cn")
    page.goto(f"/listings/{technology_id}")
    page.get_by_test_id("open-offer").click()
    expect(page).to_have_url(re.compile(rf"/licensing/offers/{counter_id}$"))
    page.get_by_test_id("accept-offer").click()
    expect(page).to_have_url(re.compile(r"/licensing/agreements/\d+$"))
    terms = page.get_by_test_id("agreement-terms")
    expect(terms.locator('[data-field="mode"]')).to_have_text("普通许可（非独占）")
    expect(terms.locator('[data-field="field_of_use"]')).to_have_text("煤矿液压支架修复")
    expect(terms.locator('[data-field="territory"]')).to_have_text("山西省")
    expect(terms.locator('[data-field="upfront_fee"]')).to_have_text("¥150,000")
    expect(terms.locator('[data-field="royalty"]')).to_have_text("5.00 %")
    agreement = fresh(db).scalars(sa.select(LicenceAgreement)).one()
    expect(page.get_by_test_id("agreement-number")).to_have_text(agreement.number)
    assert (agreement.licensee_org_id, agreement.offer_id) == (enterprise_id, counter_id)
    assert (agreement.upfront_fee_fen, agreement.royalty_bp) == (15_000_000, 500)
    assert agreement.status == LicenceStatus.AWAITING_PAYMENT  # the fee is paid next (step 5 fees)
    page.get_by_test_id("print-agreement").click()
    printed = page.get_by_test_id("agreement-print")
    expect(printed.get_by_test_id("agreement-number")).to_have_text(agreement.number)
    expect(printed).to_contain_text(PATENT)
    expect(printed).to_contain_text("长治学院材料学院")
    assert browser_problems.server_errors == [] and browser_problems.page_errors == []
