"""Settlement pages: only officers; a batch from creation through evidence, approval and payment;
bad input refused with nothing written; the CSV and the printable page."""

from __future__ import annotations

import csv
import dataclasses
import io
from datetime import date

import pytest
import sqlalchemy as sa

from marketplace.audit import AuditEntry
from marketplace.auth.models import User
from marketplace.bookings.models import BookingStatus
from marketplace.extensions import utcnow
from marketplace.organizations.models import OrganizationKind
from marketplace.settlement import operations as settlement
from marketplace.settlement.forms import previous_month
from marketplace.settlement.models import BatchStatus, ReimbursementBatch, ReimbursementItem
from marketplace.vouchers.models import VoucherProgramme
from tests.factories import admit, make_instrument, make_organization, make_user
from tests.marketplace.bookings.helpers import assert_ledger_balanced, make_world
from tests.marketplace.settlement.test_operations import completed_booking, period


def written() -> tuple:
    """Everything the settlement pages can change."""
    from marketplace.extensions import db

    db.session.expire_all()
    batches = db.session.execute(sa.select(ReimbursementBatch.id, ReimbursementBatch.status,
                                           ReimbursementBatch.total_fen,
                                           ReimbursementBatch.payment_reference)).all()
    items = db.session.execute(sa.select(ReimbursementItem.id, ReimbursementItem.invoice_number)
                               .order_by(ReimbursementItem.id)).all()
    audit = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    return sorted(batches), items, audit


@pytest.fixture
def world(db):
    """make_world's programme, lab and SME, plus a second admitted lab; three completed
    voucher-paid bookings (one without an invoice number); English pages for the officer."""
    w = make_world()
    w.officer.locale = "en"
    w.sme_user.locale = "en"
    second_user = make_user(locale="en")
    second_lab = make_organization(second_user, kind=OrganizationKind.UNIVERSITY,
                                   actual_controller="上党新材料研究院")
    admit(w.programme, second_lab, officer=w.officer)
    second = dataclasses.replace(w, lab_user=second_user, lab=second_lab,
                                 instrument=make_instrument(second_lab))
    db.session.commit()
    w.bookings = [completed_booking(w, 1), completed_booking(w, 2, invoice=None),
                  completed_booking(second, 1, invoice="B-7")]
    w.second_lab, w.second_user = second_lab, second_user
    w.plain = make_user()
    db.session.commit()
    w.period = period(w.bookings[0])
    return w


def make_batch(w):
    from marketplace.extensions import db

    batch = settlement.create_batch(w.programme, w.officer, *w.period, utcnow())
    db.session.commit()
    return batch


def routes(batch):
    item = batch.items[0]
    return [("GET", "/office/settlement/"), ("GET", "/office/settlement/new"),
            ("POST", "/office/settlement/new"), ("GET", f"/office/settlement/{batch.id}"),
            ("POST", f"/office/settlement/{batch.id}/items/{item.id}/invoice"),
            ("POST", f"/office/settlement/{batch.id}/items/{item.id}/remove"),
            ("POST", f"/office/settlement/{batch.id}/discard"),
            ("POST", f"/office/settlement/{batch.id}/approve"),
            ("POST", f"/office/settlement/{batch.id}/pay"),
            ("GET", f"/office/settlement/{batch.id}/export.csv"),
            ("GET", f"/office/settlement/{batch.id}/print")]


def test_settlement_is_for_officers_only(client, auth, db, world):
    batch = make_batch(world)
    data = {"programme_id": str(world.programme.id), "period_start": "2020-01-01",
            "period_end": "2030-01-01", "invoice_number": "X", "reference": "Y"}
    before = written()
    for method, url in routes(batch):
        response = client.open(url, method=method, data=data)
        assert response.status_code == 302 and response.headers["Location"].startswith(
            "/auth/login"), url
    for persona in (world.sme_user, world.lab_user, world.plain):
        auth.login_as(persona)
        for method, url in routes(batch):
            assert client.open(url, method=method, data=data).status_code == 403, url
        auth.logout()
    assert written() == before


def test_unknown_batches_and_items_are_404(client, auth, db, world):
    batch = make_batch(world)
    other_world = make_world()
    other_booking = completed_booking(other_world, 1)
    start, end = period(other_booking)
    other = settlement.create_batch(other_world.programme, world.officer, start, end, utcnow())
    db.session.commit()
    auth.login_as(world.officer)
    before = written()
    foreign_item = other.items[0].id
    for method, url in [("GET", "/office/settlement/999999"),
                        ("GET", "/office/settlement/999999/export.csv"),
                        ("GET", "/office/settlement/999999/print"),
                        ("POST", "/office/settlement/999999/approve"),
                        ("POST", "/office/settlement/999999/pay"),
                        ("POST", "/office/settlement/999999/discard"),
                        ("POST", f"/office/settlement/{batch.id}/items/999999/invoice"),
                        ("POST", f"/office/settlement/{batch.id}/items/{foreign_item}/invoice"),
                        ("POST", f"/office/settlement/{batch.id}/items/{foreign_item}/remove")]:
        assert client.open(url, method=method, data={"invoice_number": "X"}).status_code == 404, url
    assert written() == before


def test_officer_creates_a_batch_for_a_period(client, auth, db, world):
    auth.login_as(world.officer)
    page = client.get("/office/settlement/new").get_data(as_text=True)
    first, last = previous_month(utcnow().astimezone(settlement.SHANGHAI).date())
    assert f'value="{first.isoformat()}"' in page and f'value="{last.isoformat()}"' in page
    start, end = world.period
    response = client.post("/office/settlement/new", data={
        "programme_id": str(world.programme.id), "period_start": start.isoformat(),
        "period_end": end.isoformat()})
    assert response.status_code == 302
    batch = db.session.scalar(sa.select(ReimbursementBatch))
    assert response.headers["Location"] == f"/office/settlement/{batch.id}"
    assert {i.booking_id for i in batch.items} == {b.id for b in world.bookings}
    assert batch.total_fen == sum(b.voucher_paid_fen for b in world.bookings)
    assert f"/office/settlement/{batch.id}" in client.get("/office/settlement/").get_data(
        as_text=True)


def test_previous_month_handles_january():
    assert previous_month(date(2027, 1, 15)) == (date(2026, 12, 1), date(2026, 12, 31))
    assert previous_month(date(2027, 3, 1)) == (date(2027, 2, 1), date(2027, 2, 28))


BAD_BATCHES = {
    "end before start": ({"period_start": "2027-02-01", "period_end": "2027-01-31"},
                         "end on or after"),
    "unknown programme": ({"programme_id": "999999"}, "Not a valid choice"),
    "no programme": ({"programme_id": ""}, "This field is required"),
    "empty start": ({"period_start": ""}, "This field is required"),
    "not a date": ({"period_end": "next week"}, "Not a valid date"),
    "nothing to settle": ({"period_start": "2020-01-01", "period_end": "2020-01-31"},
                          "waiting to be settled"),
}


@pytest.mark.parametrize("case", list(BAD_BATCHES))
def test_bad_batch_input_is_refused_and_nothing_written(client, auth, db, world, case):
    changes, message = BAD_BATCHES[case]
    start, end = world.period
    auth.login_as(world.officer)
    before = written()
    response = client.post("/office/settlement/new", data={
        "programme_id": str(world.programme.id), "period_start": start.isoformat(),
        "period_end": end.isoformat(), **changes})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert written() == before


def test_a_booking_is_settled_once_even_if_the_batch_is_created_twice(client, auth, db, world):
    make_batch(world)
    start, end = world.period
    auth.login_as(world.officer)
    before = written()
    response = client.post("/office/settlement/new", data={
        "programme_id": str(world.programme.id), "period_start": start.isoformat(),
        "period_end": end.isoformat()})
    assert response.status_code == 400 and "waiting to be settled" in response.get_data(
        as_text=True)
    assert written() == before


def test_batch_page_groups_items_per_provider_with_subtotals(client, auth, db, world):
    batch = make_batch(world)
    auth.login_as(world.officer)
    page = client.get(f"/office/settlement/{batch.id}").get_data(as_text=True)
    assert page.count("Subtotal for") == 2
    assert world.lab.name_zh in page and world.second_lab.name_zh in page
    groups = {provider.id: subtotal for provider, _items, subtotal in batch.by_provider()}
    assert groups == {world.lab.id: 84_000, world.second_lab.id: 42_000}
    assert "¥840" in page and "¥420" in page and "¥1,260" in page
    for layer, amount in zip(world.programme.layers, (30_000, 12_000), strict=True):
        assert layer.name_for("en") in page
        assert f"¥{amount // 100}" in page
    assert "B-7" in page and f"/bookings/{world.bookings[0].id}" in page


def test_invoice_numbers_approval_and_payment(client, auth, db, world):
    batch = make_batch(world)
    missing = next(i for i in batch.items if i.booking_id == world.bookings[1].id)
    auth.login_as(world.officer)
    base = f"/office/settlement/{batch.id}"

    before = written()
    response = client.post(f"{base}/approve")
    assert response.status_code == 400
    assert f"#{missing.booking_id}" in response.get_data(as_text=True)
    for value, message in [("", "This field is required"), ("   ", "This field is required"),
                           ("X" * 61, "longer than 60")]:
        response = client.post(f"{base}/items/{missing.id}/invoice", data={"invoice_number": value})
        assert response.status_code == 400, value
        assert message in response.get_data(as_text=True), value
    response = client.post(f"{base}/pay", data={"reference": "财政直达 2027-001"})
    assert response.status_code == 409 and "no longer possible" in response.get_data(as_text=True)
    assert written() == before

    response = client.post(f"{base}/items/{missing.id}/invoice",
                           data={"invoice_number": " INV-2027-88 "})
    assert response.status_code == 302
    db.session.expire_all()
    assert missing.invoice_number == "INV-2027-88"
    assert client.post(f"{base}/approve").status_code == 302
    db.session.expire_all()
    assert batch.status == BatchStatus.APPROVED

    before = written()
    for method, url, data, status in [
            ("POST", f"{base}/items/{missing.id}/invoice", {"invoice_number": "Z"}, 409),
            ("POST", f"{base}/items/{missing.id}/remove", {}, 409),
            ("POST", f"{base}/discard", {}, 409),
            ("POST", f"{base}/approve", {}, 409),
            ("POST", f"{base}/pay", {"reference": ""}, 400),
            ("POST", f"{base}/pay", {"reference": "R" * 101}, 400)]:
        assert client.open(url, method=method, data=data).status_code == status, (url, data)
    assert written() == before

    response = client.post(f"{base}/pay", data={"reference": "长财科〔2027〕12号"})
    assert response.status_code == 302
    db.session.expire_all()
    assert (batch.status, batch.payment_reference) == (BatchStatus.PAID, "长财科〔2027〕12号")
    assert {b.status for b in world.bookings} == {BookingStatus.SETTLED}
    assert "长财科〔2027〕12号" in client.get(base).get_data(as_text=True)
    assert client.post(f"{base}/pay", data={"reference": "again"}).status_code == 409
    assert_ledger_balanced()


def test_taking_an_item_out_and_discarding_the_draft(client, auth, db, world):
    batch = make_batch(world)
    item = batch.items[0]
    auth.login_as(world.officer)
    response = client.post(f"/office/settlement/{batch.id}/items/{item.id}/remove")
    assert response.status_code == 302
    db.session.expire_all()
    assert len(batch.items) == 2 and batch.total_fen == sum(i.amount_fen for i in batch.items)
    response = client.post(f"/office/settlement/{batch.id}/discard")
    assert response.status_code == 302 and response.headers["Location"] == "/office/settlement/"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReimbursementBatch)) == 0
    programme_id, officer_id = world.programme.id, world.officer.id
    db.session.expunge_all()  # SQLite may give the next batch the discarded one's id
    again = settlement.create_batch(db.session.get(VoucherProgramme, programme_id),
                                    db.session.get(User, officer_id), *world.period, utcnow())
    assert len(again.items) == 3  # the bookings waited for the next batch


def test_csv_export_parses_and_its_totals_match(client, auth, db, world):
    batch = make_batch(world)
    auth.login_as(world.officer)
    response = client.get(f"/office/settlement/{batch.id}/export.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == f"attachment; filename=batch-{batch.id}.csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    header, *rows, total = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    layers = world.programme.layers
    assert header[-2:] == ["Total (yuan)", "Total (fen)"]
    assert [layer.name_zh for layer in layers] == header[8:8 + len(layers)]
    assert len(rows) == 3 and {int(r[3]) for r in rows} == {b.id for b in world.bookings}
    assert sum(int(r[-1]) for r in rows) == int(total[-1]) == batch.total_fen == 126_000
    for column in range(8, 8 + len(layers)):
        assert sum(float(r[column]) for r in rows) == pytest.approx(float(total[column]))
    assert total[8:8 + len(layers)] == ["900", "360"]


def test_printable_page_is_a_clean_document(client, auth, db, world):
    batch = make_batch(world)
    auth.login_as(world.officer)
    response = client.get(f"/office/settlement/{batch.id}/print")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert world.programme.name_zh in page and world.second_lab.name_zh in page
    assert "Signature and seal" in page and "Approved by (finance bureau)" in page
    assert "¥1,260" in page and "site-nav" not in page
    assert "<script" not in page and "style=" not in page
    with client.get("/static/css/app.css") as response:
        css = response.get_data(as_text=True)
    assert "@media print" in css and "size: A4" in css

