"""Voucher pages: wiring, who may do what, and bad input refused on every form with nothing
written. The rules themselves are tested on the operations (test_operations.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.audit import AuditEntry
from marketplace.extensions import utcnow
from marketplace.organizations.models import OrganizationKind, OrganizationRelation
from marketplace.vouchers import operations as vouchers
from marketplace.vouchers.models import (
    AdmissionStatus,
    ApplicationStatus,
    ProgrammeStatus,
    ProviderAdmission,
    Quota,
    QuotaApplication,
    VoucherProgramme,
)
from tests import factories
from tests.factories import grant, make_instrument, make_organization, make_programme
from tests.marketplace.bookings.helpers import assert_ledger_balanced


def make_user(**overrides):
    """Users read the pages in English here, so that messages can be matched."""
    return factories.make_user(locale="en", **overrides)


def make_officer(**overrides):
    return factories.make_officer(locale="en", **overrides)


def make_admin(**overrides):
    return factories.make_admin(locale="en", **overrides)


PROGRAMME_FORM = {
    "name_zh": "2027年长治市科技创新券", "name_en": "Changzhi innovation vouchers 2027",
    "description": "支持中小企业使用共享仪器", "per_application_cap_fen": "20,000",
    "annual_cap_per_enterprise_fen": "100000", "validity_days": "90",
    "full_payment_threshold_fen": "10000", "eligible_categories": ["electron_microscopy", "x_ray"],
    "starts_on": "2027-01-01", "ends_on": "2027-12-31",
    "layers-0-name_zh": "市级财政", "layers-0-name_en": "City", "layers-0-share_bp": "50",
    "layers-0-budget_fen": "3000000",
    "layers-1-name_zh": "县区财政", "layers-1-share_bp": "12.5", "layers-1-budget_fen": "1200000.50",
}


def written() -> tuple[int, ...]:
    """Row counts of everything the voucher pages can write."""
    return tuple(db_count(model) for model in (VoucherProgramme, QuotaApplication, Quota,
                                                ProviderAdmission, OrganizationRelation,
                                                AuditEntry))


def db_count(model) -> int:
    from marketplace.extensions import db

    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def world(db):
    """An open programme, an enterprise (owner + a member), a university lab with an instrument,
    another enterprise, an officer and an admin."""

    class World:
        pass

    w = World()
    w.officer = make_officer()
    w.admin = make_admin()
    w.programme = make_programme(w.officer, per_application_cap_fen=5_000_000,
                                 annual_cap_per_enterprise_fen=8_000_000)
    w.sme_user = make_user()
    w.sme = make_organization(w.sme_user)
    w.lab_user = make_user()
    w.lab = make_organization(w.lab_user, kind=OrganizationKind.UNIVERSITY)
    w.instrument = make_instrument(w.lab)
    w.other_user = make_user()
    w.other = make_organization(w.other_user)
    w.plain = make_user()
    db.session.commit()
    return w


def submit_application(w, amount_fen=1_000_000):
    application = vouchers.apply_for_quota(w.programme, w.sme, w.sme_user, amount_fen, "检测",
                                           utcnow())
    from marketplace.extensions import db

    db.session.commit()
    return application


# ---------------------------------------------------------------------------------------------
# sign-in and permissions
ANONYMOUS_URLS = [
    ("GET", "/vouchers/"), ("GET", "/vouchers/programmes"), ("GET", "/vouchers/programmes/new"),
    ("GET", "/vouchers/programmes/{p}"), ("GET", "/vouchers/programmes/{p}/manage"),
    ("GET", "/vouchers/programmes/{p}/edit"), ("POST", "/vouchers/programmes/{p}/open"),
    ("POST", "/vouchers/programmes/{p}/close"), ("POST", "/vouchers/programmes/{p}/apply"),
    ("POST", "/vouchers/programmes/{p}/admission"), ("GET", "/vouchers/applications/{a}"),
    ("POST", "/vouchers/applications/{a}/withdraw"), ("POST", "/vouchers/applications/{a}/grant"),
    ("POST", "/vouchers/applications/{a}/refuse"), ("GET", "/vouchers/admissions/{d}"),
    ("POST", "/vouchers/admissions/{d}"), ("GET", "/vouchers/organizations/{o}/relations"),
    ("POST", "/vouchers/organizations/{o}/relations"),
]


def urls(w, application, admission):
    return [(method, url.format(p=w.programme.id, a=application.id, d=admission.id, o=w.sme.id))
            for method, url in ANONYMOUS_URLS]


def test_every_page_needs_sign_in(client, db, world):
    application = submit_application(world)
    admission = vouchers.apply_for_admission(world.programme, world.lab, world.lab_user, None)
    db.session.commit()
    before = written()
    for method, url in urls(world, application, admission):
        response = client.open(url, method=method, data={})
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/auth/login"), url
    assert written() == before


OFFICER_ONLY = [
    ("GET", "/vouchers/programmes"), ("GET", "/vouchers/programmes/new"),
    ("POST", "/vouchers/programmes/new"), ("GET", "/vouchers/programmes/{p}/manage"),
    ("GET", "/vouchers/programmes/{p}/edit"), ("POST", "/vouchers/programmes/{p}/edit"),
    ("POST", "/vouchers/programmes/{p}/open"), ("POST", "/vouchers/programmes/{p}/close"),
    ("POST", "/vouchers/applications/{a}/grant"), ("POST", "/vouchers/applications/{a}/refuse"),
    ("GET", "/vouchers/admissions/{d}"), ("POST", "/vouchers/admissions/{d}"),
]


@pytest.mark.parametrize("persona", ["sme_user", "lab_user", "other_user", "plain"])
def test_officer_pages_are_forbidden_to_everyone_else(client, auth, db, world, persona):
    application = submit_application(world)
    admission = vouchers.apply_for_admission(world.programme, world.lab, world.lab_user, None)
    db.session.commit()
    auth.login_as(getattr(world, persona))
    before = written()
    data = {**PROGRAMME_FORM, "amount_fen": "100", "reason": "不行", "status": "admitted"}
    for method, url in OFFICER_ONLY:
        url = url.format(p=world.programme.id, a=application.id, d=admission.id)
        assert client.open(url, method=method, data=data).status_code == 403, url
    assert written() == before


@pytest.mark.parametrize("persona", ["officer", "admin"])
def test_officers_and_admins_see_the_programme_pages(client, auth, db, world, persona):
    application = submit_application(world)
    admission = vouchers.apply_for_admission(world.programme, world.lab, world.lab_user, None)
    db.session.commit()
    auth.login_as(getattr(world, persona))
    for url in ("/vouchers/programmes", "/vouchers/programmes/new",
                f"/vouchers/programmes/{world.programme.id}/manage",
                f"/vouchers/programmes/{world.programme.id}/edit",
                f"/vouchers/programmes/{world.programme.id}",
                f"/vouchers/applications/{application.id}", f"/vouchers/admissions/{admission.id}",
                f"/vouchers/organizations/{world.sme.id}/relations", "/vouchers/"):
        assert client.get(url).status_code == 200, url
    page = client.get(f"/vouchers/programmes/{world.programme.id}/manage").get_data(as_text=True)
    assert world.sme.name_zh in page and world.lab.name_zh in page  # pending application, provider


def test_unknown_ids_are_404(client, auth, db, world):
    auth.login_as(world.officer)
    for method, url in [("GET", "/vouchers/programmes/999999"),
                        ("GET", "/vouchers/programmes/999999/manage"),
                        ("GET", "/vouchers/programmes/999999/edit"),
                        ("POST", "/vouchers/programmes/999999/open"),
                        ("POST", "/vouchers/programmes/999999/apply"),
                        ("GET", "/vouchers/applications/999999"),
                        ("POST", "/vouchers/applications/999999/grant"),
                        ("POST", "/vouchers/applications/999999/refuse"),
                        ("GET", "/vouchers/admissions/999999"),
                        ("GET", "/vouchers/organizations/999999/relations")]:
        assert client.open(url, method=method).status_code == 404, url


def test_draft_programmes_are_hidden_from_applicants(client, auth, db, world):
    draft = make_programme(world.officer, open_=False, name_zh="草稿券")
    db.session.commit()
    auth.login_as(world.sme_user)
    assert client.get(f"/vouchers/programmes/{draft.id}").status_code == 404
    before = written()
    response = client.post(f"/vouchers/programmes/{draft.id}/apply",
                           data={"organization_id": world.sme.id, "requested_fen": "100",
                                 "purpose": "检测"})
    assert response.status_code == 404
    assert written() == before


# ---------------------------------------------------------------------------------------------
# officers: programmes
def test_officer_creates_opens_and_closes_a_programme(client, auth, db, world):
    auth.login_as(world.officer)
    response = client.post("/vouchers/programmes/new", data=PROGRAMME_FORM)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    programme = db.session.scalar(sa.select(VoucherProgramme).where(
        VoucherProgramme.name_zh == PROGRAMME_FORM["name_zh"]))
    assert programme.status == ProgrammeStatus.DRAFT
    assert response.headers["Location"] == f"/vouchers/programmes/{programme.id}/manage"
    assert (programme.per_application_cap_fen, programme.annual_cap_per_enterprise_fen,
            programme.full_payment_threshold_fen, programme.validity_days) == (
        2_000_000, 10_000_000, 1_000_000, 90)
    assert programme.eligible_categories == ["electron_microscopy", "x_ray"]
    assert [(layer.name_zh, layer.name_en, layer.share_bp, layer.budget_fen)
            for layer in programme.layers] == [("市级财政", "City", 5000, 300_000_000),
                                               ("县区财政", None, 1250, 120_000_050)]
    assert str(programme.starts_on) == "2027-01-01" and str(programme.ends_on) == "2027-12-31"
    page = client.get(f"/vouchers/programmes/{programme.id}/manage").get_data(as_text=True)
    assert "62.5%" in page and "12.5%" in page

    assert client.post(f"/vouchers/programmes/{programme.id}/open").status_code == 302
    db.session.expire_all()
    assert programme.status == ProgrammeStatus.OPEN
    assert client.post(f"/vouchers/programmes/{programme.id}/close").status_code == 302
    db.session.expire_all()
    assert programme.status == ProgrammeStatus.CLOSED


BAD_PROGRAMMES = {
    "empty name": ({"name_zh": ""}, "This field is required"),
    "negative budget": ({"layers-0-budget_fen": "-5"}, "cannot be negative"),
    "non-numeric budget": ({"layers-0-budget_fen": "lots"}, "Enter an amount in yuan"),
    "too many decimals": ({"layers-0-budget_fen": "10.001"}, "two decimals"),
    "share with three decimals": ({"layers-0-share_bp": "12.345"}, "two decimals"),
    "share not a number": ({"layers-0-share_bp": "half"}, "Enter a percentage"),
    "share above 100": ({"layers-0-share_bp": "120"}, "at most the whole bill"),
    "zero share": ({"layers-0-share_bp": "0"}, "above zero"),
    "shares over 100 %": ({"layers-1-share_bp": "60"}, "shares add up to more than"),
    "layer without share": ({"layers-1-share_bp": ""}, "Enter the layer"),
    "layer without name": ({"layers-1-name_zh": ""}, "Chinese name"),
    "no layers": ({k: "" for k in PROGRAMME_FORM if k.startswith("layers-")},
                  "at least one funding layer"),
    "zero cap": ({"per_application_cap_fen": "0"}, "above zero"),
    "negative cap": ({"annual_cap_per_enterprise_fen": "-1"}, "cannot be negative"),
    "zero validity": ({"validity_days": "0"}, "Number must be"),
    "non-numeric validity": ({"validity_days": "ninety"}, "integer"),
    "end before start": ({"ends_on": "2026-12-31"}, "end before it starts"),
    "not a date": ({"starts_on": "soon"}, "date"),
    "unknown category": ({"eligible_categories": ["teleportation"]}, "not a valid choice"),
}


@pytest.mark.parametrize("case", list(BAD_PROGRAMMES))
def test_bad_programme_input_is_refused_and_nothing_written(client, auth, db, world, case):
    changes, message = BAD_PROGRAMMES[case]
    auth.login_as(world.officer)
    before = written()
    response = client.post("/vouchers/programmes/new", data={**PROGRAMME_FORM, **changes})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert written() == before


def test_officer_edits_rules_and_budgets_but_not_below_issued(client, auth, db, world):
    grant(world.programme, world.sme, 1_400_000, officer=world.officer)  # city 1,000,000
    db.session.commit()
    city, district = world.programme.layers
    auth.login_as(world.officer)
    url = f"/vouchers/programmes/{world.programme.id}/edit"
    page = client.get(url).get_data(as_text=True)
    assert 'value="100000"' in page  # the city budget, in yuan
    data = {"name_zh": "改名的创新券", "validity_days": "30", "per_application_cap_fen": "",
            "annual_cap_per_enterprise_fen": "", "full_payment_threshold_fen": "500",
            f"budget_{city.id}": "200000", f"budget_{district.id}": "40000"}
    response = client.post(url, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    db.session.expire_all()
    assert (world.programme.name_zh, world.programme.validity_days,
            world.programme.per_application_cap_fen, world.programme.full_payment_threshold_fen,
            city.budget_fen) == ("改名的创新券", 30, None, 50_000, 20_000_000)

    before = written()
    for changes, message in [({f"budget_{city.id}": "9999.99"}, "already issued"),
                             ({f"budget_{city.id}": "-1"}, "cannot be negative"),
                             ({f"budget_{city.id}": ""}, "This field is required"),
                             ({"starts_on": "2027-06-01", "ends_on": "2027-05-01"},
                              "end before it starts"),
                             ({"name_zh": ""}, "This field is required")]:
        response = client.post(url, data={**data, "name_zh": "又改了", **changes})
        assert response.status_code == 400, changes
        assert message in response.get_data(as_text=True), changes
    assert written() == before
    db.session.expire_all()
    assert world.programme.name_zh == "改名的创新券" and city.budget_fen == 20_000_000


def test_programme_list_shows_issued_and_remaining_per_layer(client, auth, db, world):
    grant(world.programme, world.sme, 700_000, officer=world.officer)  # 500,000 + 200,000
    db.session.commit()
    auth.login_as(world.officer)
    page = client.get("/vouchers/programmes").get_data(as_text=True)
    assert "¥5,000" in page and "¥95,000" in page  # city: issued, remaining of ¥100,000
    assert "¥2,000" in page and "¥38,000" in page  # district


# ---------------------------------------------------------------------------------------------
# enterprises: applying, withdrawing, my vouchers
def test_enterprise_applies_sees_its_application_and_withdraws_it(client, auth, db, world):
    auth.login_as(world.sme_user)
    page = client.get(f"/vouchers/programmes/{world.programme.id}").get_data(as_text=True)
    assert "70%" in page and "¥50,000" in page  # the shares and the cap in plain words
    response = client.post(f"/vouchers/programmes/{world.programme.id}/apply",
                           data={"organization_id": world.sme.id, "requested_fen": "12,000.50",
                                 "purpose": "扫描电镜断口分析"})
    assert response.status_code == 302
    application = db.session.scalar(sa.select(QuotaApplication))
    assert (application.requested_fen, application.purpose, application.applicant_id) == (
        1_200_050, "扫描电镜断口分析", world.sme_user.id)
    assert response.headers["Location"] == f"/vouchers/applications/{application.id}"
    assert client.get(f"/vouchers/applications/{application.id}").status_code == 200
    assert "¥12,000.50" in client.get("/vouchers/").get_data(as_text=True)

    auth.logout()
    auth.login_as(world.other_user)  # another enterprise: does not even learn it exists
    assert client.get(f"/vouchers/applications/{application.id}").status_code == 404
    assert client.post(f"/vouchers/applications/{application.id}/withdraw").status_code == 404
    auth.logout()
    auth.login_as(world.officer)  # an officer decides but does not withdraw
    assert client.post(f"/vouchers/applications/{application.id}/withdraw").status_code == 403
    auth.logout()
    auth.login_as(world.sme_user)
    assert client.post(f"/vouchers/applications/{application.id}/withdraw").status_code == 302
    db.session.expire_all()
    assert application.status == ApplicationStatus.WITHDRAWN
    assert client.post(f"/vouchers/applications/{application.id}/withdraw").status_code == 409


BAD_APPLICATIONS = {
    "empty amount": ({"requested_fen": ""}, "This field is required"),
    "negative amount": ({"requested_fen": "-100"}, "cannot be negative"),
    "zero amount": ({"requested_fen": "0"}, "above zero"),
    "non-numeric amount": ({"requested_fen": "一万"}, "Enter an amount in yuan"),
    "too many decimals": ({"requested_fen": "100.005"}, "two decimals"),
    "over the cap": ({"requested_fen": "50000.01"}, "at most ¥50,000"),
    "no purpose": ({"purpose": ""}, "This field is required"),
    "someone else's enterprise": ({"organization_id": "other"}, "Not a valid choice"),
}


@pytest.mark.parametrize("case", list(BAD_APPLICATIONS))
def test_bad_applications_are_refused_and_nothing_written(client, auth, db, world, case):
    changes, message = BAD_APPLICATIONS[case]
    if changes.get("organization_id") == "other":
        changes = {"organization_id": str(world.other.id)}
    auth.login_as(world.sme_user)
    before = written()
    response = client.post(f"/vouchers/programmes/{world.programme.id}/apply",
                           data={"organization_id": str(world.sme.id), "requested_fen": "1000",
                                 "purpose": "检测", **changes})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert written() == before


def test_applying_twice_or_to_a_closed_programme_is_refused(client, auth, db, world):
    submit_application(world)
    auth.login_as(world.sme_user)
    data = {"organization_id": str(world.sme.id), "requested_fen": "1000", "purpose": "检测"}
    before = written()
    response = client.post(f"/vouchers/programmes/{world.programme.id}/apply", data=data)
    assert response.status_code == 409 and "already has an application" in response.get_data(
        as_text=True)
    vouchers.close_programme(world.programme, world.officer)
    db.session.commit()
    before = written()
    response = client.post(f"/vouchers/programmes/{world.programme.id}/apply",
                           data={**data, "organization_id": str(world.other.id)})
    assert response.status_code == 400  # not one of this user's enterprises
    auth.logout()
    auth.login_as(world.other_user)
    response = client.post(f"/vouchers/programmes/{world.programme.id}/apply",
                           data={**data, "organization_id": str(world.other.id)})
    assert response.status_code == 400
    assert "not taking applications" in response.get_data(as_text=True)
    assert written() == before


def test_only_members_of_verified_enterprises_may_apply(client, auth, db, world):
    before = written()
    for persona in ("lab_user", "plain"):
        auth.login_as(getattr(world, persona))
        response = client.post(f"/vouchers/programmes/{world.programme.id}/apply",
                               data={"organization_id": str(world.sme.id),
                                     "requested_fen": "1000", "purpose": "检测"})
        assert response.status_code == 403, persona
        auth.logout()
    assert written() == before


def test_my_vouchers_shows_quotas_balances_and_applications(client, auth, db, world):
    grant(world.programme, world.sme, 1_000_000, officer=world.officer)
    db.session.commit()
    application = submit_application(world, 300_000)
    vouchers.refuse_quota(application, world.officer, "材料不全", utcnow())
    db.session.commit()
    auth.login_as(world.sme_user)
    page = client.get("/vouchers/").get_data(as_text=True)
    assert world.programme.name_zh in page and "¥10,000" in page and "材料不全" in page
    auth.logout()
    auth.login_as(world.plain)
    assert client.get("/vouchers/").status_code == 200


# ---------------------------------------------------------------------------------------------
# officers: deciding applications
def test_officer_grants_in_part_with_a_note(client, auth, db, world):
    application = submit_application(world, 1_000_000)
    auth.login_as(world.officer)
    page = client.get(f"/vouchers/applications/{application.id}").get_data(as_text=True)
    assert world.sme.credit_code in page and "¥80,000" in page  # profile; the annual cap left
    response = client.post(f"/vouchers/applications/{application.id}/grant",
                           data={"amount_fen": "6000", "note": "部分批准"})
    assert response.status_code == 302
    db.session.expire_all()
    assert (application.status, application.granted_fen, application.decision_note) == (
        ApplicationStatus.GRANTED, 600_000, "部分批准")
    assert db.session.scalar(sa.select(Quota.amount_fen)) == 600_000
    assert_ledger_balanced()
    response = client.post(f"/vouchers/applications/{application.id}/grant",
                           data={"amount_fen": "100"})
    assert response.status_code == 409 and "already been decided" in response.get_data(
        as_text=True)


BAD_GRANTS = {
    "empty": ({"amount_fen": ""}, 400, "This field is required"),
    "negative": ({"amount_fen": "-1"}, 400, "cannot be negative"),
    "zero": ({"amount_fen": "0"}, 400, "above zero"),
    "non-numeric": ({"amount_fen": "abc"}, 400, "Enter an amount in yuan"),
    "too many decimals": ({"amount_fen": "1.234"}, 400, "two decimals"),
    "more than asked": ({"amount_fen": "10000.01"}, 400, "more than the ¥10,000 asked for"),
}


@pytest.mark.parametrize("case", list(BAD_GRANTS))
def test_bad_grants_are_refused_and_nothing_written(client, auth, db, world, case):
    changes, status, message = BAD_GRANTS[case]
    application = submit_application(world, 1_000_000)
    auth.login_as(world.officer)
    before = written()
    response = client.post(f"/vouchers/applications/{application.id}/grant", data=changes)
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert written() == before


def test_grant_over_the_budget_or_the_annual_cap_is_shown_on_the_form(client, auth, db):
    officer = make_officer()
    programme = make_programme(officer, layers=((5000, 100_000), (2000, 40_000)),
                               annual_cap_per_enterprise_fen=150_000)
    user = make_user()
    org = make_organization(user)
    grant(programme, org, 100_000, officer=officer)
    rich_user = make_user()
    rich = make_organization(rich_user)
    db.session.commit()
    capped = vouchers.apply_for_quota(programme, org, user, 100_000, "", utcnow())
    greedy = vouchers.apply_for_quota(programme, rich, rich_user, 100_000, "", utcnow())
    db.session.commit()
    auth.login_as(officer)
    before = written()
    response = client.post(f"/vouchers/applications/{capped.id}/grant", data={"amount_fen": "600"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "annual cap" in page and "is-invalid" in page
    response = client.post(f"/vouchers/applications/{greedy.id}/grant",
                           data={"amount_fen": "1000"})
    assert response.status_code == 409
    assert "has ¥285.71 left" in response.get_data(as_text=True)  # first layer: 1000 − 714.29
    assert written() == before
    assert_ledger_balanced()


def test_refusal_needs_a_reason(client, auth, db, world, outbox):
    application = submit_application(world)
    auth.login_as(world.officer)
    before = written()
    for reason in ("", "   "):
        response = client.post(f"/vouchers/applications/{application.id}/refuse",
                               data={"reason": reason})
        assert response.status_code == 400
        assert ("This field is required" in response.get_data(as_text=True)
                or "why" in response.get_data(as_text=True))
    assert written() == before
    response = client.post(f"/vouchers/applications/{application.id}/refuse",
                           data={"reason": "缺少研发投入证明"})
    assert response.status_code == 302
    db.session.expire_all()
    assert application.status == ApplicationStatus.REFUSED
    assert application.decision_note == "缺少研发投入证明"
    assert any("缺少研发投入证明" in m.body for m in outbox())


# ---------------------------------------------------------------------------------------------
# providers
def test_provider_applies_and_the_officer_decides(client, auth, db, world):
    auth.login_as(world.lab_user)
    page = client.get(f"/vouchers/programmes/{world.programme.id}").get_data(as_text=True)
    assert "Apply for admission" in page or "申请" in page
    response = client.post(f"/vouchers/programmes/{world.programme.id}/admission",
                           data={"organization_id": str(world.lab.id), "note": "CMA认证实验室"})
    assert response.status_code == 302
    admission = db.session.scalar(sa.select(ProviderAdmission))
    assert admission.status == AdmissionStatus.APPLIED and admission.note == "CMA认证实验室"
    assert world.programme.name_zh in client.get(f"/organizations/{world.lab.id}").get_data(
        as_text=True)
    auth.logout()

    auth.login_as(world.officer)
    page = client.get(f"/vouchers/admissions/{admission.id}").get_data(as_text=True)
    assert world.instrument.title_en in page
    before = written()
    for data, message in [({"status": "refused", "note": ""}, "reason"),
                          ({"status": "suspended", "note": " "}, "reason"),
                          ({"status": "applied"}, "Not a valid choice"),
                          ({"status": ""}, "This field is required")]:
        response = client.post(f"/vouchers/admissions/{admission.id}", data=data)
        assert response.status_code == 400, data
        assert message in response.get_data(as_text=True), data
    assert written() == before
    response = client.post(f"/vouchers/admissions/{admission.id}",
                           data={"status": "admitted", "note": "资质齐全"})
    assert response.status_code == 302
    db.session.expire_all()
    assert admission.status == AdmissionStatus.ADMITTED
    assert vouchers.is_admitted(world.programme, world.lab)
    manage = client.get(f"/vouchers/programmes/{world.programme.id}/manage").get_data(as_text=True)
    assert world.lab.name_zh in manage and "资质齐全" in manage
    response = client.post(f"/vouchers/admissions/{admission.id}",
                           data={"status": "suspended", "note": "投诉核查中"})
    assert response.status_code == 302
    db.session.expire_all()
    assert admission.status == AdmissionStatus.SUSPENDED


def test_only_members_of_organisations_with_instruments_apply_for_admission(client, auth, db,
                                                                             world):
    before = written()
    for persona in ("sme_user", "plain"):  # the SME owns no instrument
        auth.login_as(getattr(world, persona))
        response = client.post(f"/vouchers/programmes/{world.programme.id}/admission",
                               data={"organization_id": str(world.lab.id)})
        assert response.status_code == 403, persona
        auth.logout()
    auth.login_as(world.lab_user)
    response = client.post(f"/vouchers/programmes/{world.programme.id}/admission",
                           data={"organization_id": str(world.sme.id)})
    assert response.status_code == 400
    assert written() == before


# ---------------------------------------------------------------------------------------------
# related parties
def test_members_declare_related_parties_on_the_organisation_page(client, auth, db, world):
    auth.login_as(world.sme_user)
    page = client.get(f"/organizations/{world.sme.id}").get_data(as_text=True)
    assert f"/vouchers/organizations/{world.sme.id}/relations" in page
    url = f"/vouchers/organizations/{world.sme.id}/relations"
    response = client.post(url, data={"related": world.lab.credit_code.lower(),
                                      "description": "同一实际控制人的亲属持股30%"})
    assert response.status_code == 302
    response = client.post(url, data={"related": world.other.name_zh, "description": "共同董事"})
    assert response.status_code == 302
    relations = db.session.scalars(sa.select(OrganizationRelation)).all()
    assert {r.related_organization_id for r in relations} == {world.lab.id, world.other.id}
    page = client.get(f"/organizations/{world.sme.id}").get_data(as_text=True)
    assert "同一实际控制人的亲属持股30%" in page and world.other.name_zh in page
    assert vouchers.are_related(world.sme, world.lab)
    auth.logout()
    auth.login_as(world.lab_user)  # the other side sees it too
    assert "同一实际控制人的亲属持股30%" in client.get(f"/organizations/{world.lab.id}").get_data(
        as_text=True)


def test_bad_relation_declarations_are_refused(client, auth, db, world):
    auth.login_as(world.sme_user)
    url = f"/vouchers/organizations/{world.sme.id}/relations"
    before = written()
    for data, message in [({"related": "", "description": "x"}, "This field is required"),
                          ({"related": "91140400MA0K7U2X3F", "description": "x"},
                           "No verified organisation"),
                          ({"related": world.lab.credit_code, "description": ""},
                           "This field is required"),
                          ({"related": world.sme.credit_code, "description": "自己"},
                           "cannot be related to itself")]:
        response = client.post(url, data=data)
        assert response.status_code == 400, data
        assert message in response.get_data(as_text=True), data
    assert written() == before


def test_relations_are_private_to_members_and_officers(client, auth, db, world):
    url = f"/vouchers/organizations/{world.sme.id}/relations"
    data = {"related": world.lab.credit_code, "description": "x"}
    before = written()
    for persona in ("other_user", "lab_user", "plain"):
        auth.login_as(getattr(world, persona))
        assert client.get(url).status_code == 404
        assert client.post(url, data=data).status_code == 404
        assert "/relations" not in client.get(f"/organizations/{world.sme.id}").get_data(
            as_text=True)
        auth.logout()
    assert written() == before
    auth.login_as(world.officer)
    assert client.get(url).status_code == 200


# ---------------------------------------------------------------------------------------------
# the expiry job
def test_flask_vouchers_expire_returns_the_rest_once(app, db, world):
    long_ago = utcnow() - timedelta(days=100)  # the programme's vouchers last 90 days
    old = grant(world.programme, world.sme, 500_000, officer=world.officer, now=long_ago)
    fresh = grant(world.programme, world.other, 300_000, officer=world.officer)
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["vouchers", "expire"])
    assert result.exit_code == 0, result.output
    assert "expired 1 quotas" in result.output and "500000 fen" in result.output
    db.session.expire_all()
    assert (old.returned_fen, old.expired_at is not None) == (500_000, True)
    assert fresh.expired_at is None
    assert [vouchers.issued_fen(layer) for layer in world.programme.layers] == [214_286, 85_714]
    again = runner.invoke(args=["vouchers", "expire"])
    assert again.exit_code == 0 and "expired 0 quotas" in again.output
    db.session.expire_all()
    assert old.returned_fen == 500_000
    assert_ledger_balanced()
