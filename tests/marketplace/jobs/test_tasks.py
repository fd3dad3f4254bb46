"""Every job through the real queue, run twice: the effect of one. The same key dispatched
while a job waits adds no second job; dispatched again once it ran, the second run finds
nothing left to do."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from rq.job import Job

from marketplace import jobs
from marketplace.bookings import operations as bookings
from marketplace.bookings.models import Booking, BookingStatus
from marketplace.campaigns.models import CampaignState
from marketplace.extensions import db, utcnow
from marketplace.mail import OutboxMessage, OutboxStatus, send_mail
from marketplace.recommendations.models import DigestSent
from tests.marketplace.bookings.helpers import make_world as make_booking_world
from tests.marketplace.bookings.test_views import book, slot_soon, started_booking
from tests.marketplace.campaigns.helpers import go_live, make_campaign_world

TASKS = "marketplace.jobs.tasks:"


def run_twice(work, queue_on, target: str, key: str) -> tuple:
    """Dispatch twice while waiting (one job), run it; dispatch again and run: both results.
    (The jobs the set-up queued — mail, index — run first; mails the job sends run with it.)"""
    db.session.commit()  # dispatch inside an open transaction waits for its commit
    work()
    first = jobs.dispatch(target, key=key)
    assert jobs.dispatch(target, key=key).id == first.id
    assert jobs.queue_depths()["default"] + jobs.queue_depths()["slow"] == 1
    work()
    second = jobs.dispatch(target, key=key)
    assert second.id != first.id
    work()
    results = [Job.fetch(j.id, connection=queue_on) for j in (first, second)]
    assert all(j.get_status() == "finished" for j in results), [j.latest_result() for j in results]
    db.session.expire_all()
    return tuple(j.return_value() for j in results)


def test_campaign_deadline_closes_once(app, queue_on, work):
    world = make_campaign_world()
    campaign = go_live(world, days=1)
    campaign.deadline = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert run_twice(work, queue_on, TASKS + "close_due_campaigns", "campaigns.close_due") == (1, 0)
    assert campaign.run.state == CampaignState.FAILED


def test_quota_expiry_returns_the_rest_once(app, queue_on, work, monkeypatch):
    world = make_booking_world(quota_fen=200_000)
    later = world.quota.expires_at + timedelta(seconds=1)
    monkeypatch.setattr("marketplace.jobs.tasks.utcnow", lambda: later)
    first, second = run_twice(work, queue_on, TASKS + "expire_quotas", "vouchers.expire")
    assert first == {"quotas": 1, "returned_fen": 200_000}
    assert second == {"quotas": 0, "returned_fen": 0}
    assert world.quota.returned_fen == 200_000


def test_bookings_sweep_rejects_and_reminds_once(app, queue_on, work, outbox):
    world = make_booking_world()
    late = started_booking(db, world, approve=False)
    start = slot_soon()  # ends by midnight in Beijing, whatever the hour the test runs
    soon = book(world, start, start + timedelta(hours=1))
    bookings.approve_booking(soon, world.lab_user, utcnow())
    db.session.commit()
    mails_before = len(outbox())
    first, second = run_twice(work, queue_on, TASKS + "sweep_bookings", "bookings.sweep")
    assert first == {"expired": 1, "reminded": 1}
    assert second == {"expired": 0, "reminded": 0}
    assert db.session.get(Booking, late.id).status == BookingStatus.REJECTED
    assert db.session.get(Booking, soon.id).reminded_at is not None
    work()  # the notification mails are jobs too
    sent = outbox()[mails_before:]
    assert sent and all(m.status == OutboxStatus.LOGGED for m in sent)
    assert len(outbox()) == mails_before + len(sent)  # the second sweep wrote none


@pytest.fixture
def model_dir(app, tmp_path):
    from marketplace.recommendations import service

    saved = app.config["MODEL_DIR"], app.config.get("MATCHING_RETRAIN_HOURS")
    app.config["MODEL_DIR"], app.config["MATCHING_RETRAIN_HOURS"] = str(tmp_path / "models"), 24
    service.reset()
    yield Path(app.config["MODEL_DIR"])
    service.reset()
    app.config["MODEL_DIR"], app.config["MATCHING_RETRAIN_HOURS"] = saved


def test_digests_go_once_per_organisation_and_week(app, queue_on, work, model_dir, monkeypatch):
    from tests.marketplace.recommendations.helpers import make_world

    make_world()
    monkeypatch.setattr("marketplace.recommendations.jobs.digest_due", lambda now: True)
    first, second = run_twice(work, queue_on, TASKS + "send_digests", "matching.digest")
    assert first >= 1 and second == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DigestSent)) == first


def test_retraining_trains_once_while_the_model_is_fresh(app, queue_on, work, model_dir):
    from matching import store
    from tests.marketplace.recommendations.helpers import make_world

    make_world()
    first, second = run_twice(work, queue_on, TASKS + "retrain_recommender", "matching.retrain")
    assert first and Path(first).exists() and second is None
    assert store.latest(model_dir) == Path(first)


def test_integrity_scan_records_a_signal_once(app, queue_on, work):
    from marketplace.integrity.models import NO_USAGE, Signal
    from tests.marketplace.integrity.helpers import completed, make_world

    world = make_world()
    completed(world, days_back=2, note="")
    first, second = run_twice(work, queue_on, TASKS + "scan_integrity", "integrity.scan")
    assert first.get(NO_USAGE) == 1 and not second
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Signal)
                             .where(Signal.kind == NO_USAGE)) == 1


def test_a_periodic_job_already_running_elsewhere_does_nothing(app, queue_on):
    from marketplace.jobs import queue, tasks

    with queue.exclusive("campaigns.close_due") as mine:
        assert mine
        assert tasks.close_due_campaigns() == tasks.BUSY


# ---------------------------------------------------------------------------------------------
# mail
def test_mail_is_delivered_by_a_job_after_commit_and_once(app, queue_on, work, outbox):
    message = send_mail("someone@example.cn", "主题", "正文")
    assert jobs.queue_depths()["default"] == 0  # not before the commit
    db.session.commit()
    assert work() == 1
    [sent] = outbox()
    assert sent.status == OutboxStatus.LOGGED and sent.sent_at is not None
    message_id = message.id
    db.session.rollback()  # out of the test's read transaction: dispatch enqueues at once
    again = jobs.dispatch("marketplace.mail:deliver_queued", message_id, key=f"mail:{message_id}")
    assert work() == 1
    assert Job.fetch(again.id, connection=queue_on).return_value() == "skipped"
    assert outbox()[0].sent_at == sent.sent_at


def test_rolled_back_mail_enqueues_nothing(app, queue_on, outbox):
    send_mail("someone@example.cn", "主题", "正文")
    db.session.rollback()
    assert jobs.queue_depths()["default"] == 0 and outbox() == []


def test_mail_refused_by_smtp_is_retried_then_failed_and_sent_when_requeued(app, queue_on, work,
                                                                             outbox):
    app.config["MAIL_SERVER"], app.config["MAIL_PORT"] = "127.0.0.1", 9  # discard port: refused
    try:
        send_mail("someone@example.cn", "主题", "正文")
        db.session.commit()
        work()
    finally:
        app.config["MAIL_SERVER"], app.config["MAIL_PORT"] = None, 25
    [message] = outbox()
    assert message.status == OutboxStatus.QUEUED and message.error  # waiting for a requeue
    assert jobs.queue_depths()["failed"] == 1
    result = app.test_cli_runner().invoke(args=["jobs", "requeue", "--all"])
    assert "requeued 1 jobs" in result.output
    work()
    [message] = outbox()
    assert message.status == OutboxStatus.LOGGED


class _RefusingSMTP:
    """The SMTP server at the network edge: accepts every recipient but those in ``refused``."""

    refused: set[str] = set()
    delivered: list[str] = []

    def __init__(self, host, port, timeout=None):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def send_message(self, message):
        import smtplib

        if message["To"] in self.refused:
            raise smtplib.SMTPRecipientsRefused({message["To"]: (550, b"mailbox unavailable")})
        self.delivered.append(message["To"])


def test_one_job_sends_a_transactions_mail_and_its_retries_skip_what_was_sent(
        app, queue_on, work, outbox, monkeypatch):
    import marketplace.mail

    monkeypatch.setattr(marketplace.mail.smtplib, "SMTP", _RefusingSMTP)
    monkeypatch.setattr(_RefusingSMTP, "refused", {"b@example.cn"})
    monkeypatch.setattr(_RefusingSMTP, "delivered", [])
    app.config["MAIL_SERVER"] = "smtp.example.cn"
    try:
        for recipient in ("a@example.cn", "b@example.cn", "c@example.cn"):
            send_mail(recipient, "主题", "正文")
        db.session.commit()
        assert jobs.queue_depths()["default"] == 1
        work()  # tried, retried twice, then in the failed list
        statuses = {m.recipient: m.status for m in outbox()}
        assert statuses == {"a@example.cn": OutboxStatus.SENT, "b@example.cn": OutboxStatus.QUEUED,
                            "c@example.cn": OutboxStatus.SENT}
        assert sorted(_RefusingSMTP.delivered) == ["a@example.cn", "c@example.cn"]  # once each
        assert jobs.queue_depths()["failed"] == 1
        _RefusingSMTP.refused = set()  # the mailbox is back
        result = app.test_cli_runner().invoke(args=["jobs", "requeue", "--all"])
        assert "requeued 1 jobs" in result.output
        work()
    finally:
        app.config["MAIL_SERVER"] = None
    assert {m.status for m in outbox()} == {OutboxStatus.SENT}
    assert sorted(_RefusingSMTP.delivered) == ["a@example.cn", "b@example.cn", "c@example.cn"]


# ---------------------------------------------------------------------------------------------
# search index (listings/indexing.py dispatches this job when the queue is on)
def test_index_job_reloads_the_listing_and_runs_twice_harmlessly(app, queue_on, work):
    from listings import indexing, search
    from tests.factories import make_instrument, make_organization, make_user

    if not hasattr(indexing, "reindex_listings"):
        pytest.skip("listings.indexing has no reindex_listings job yet")
    instrument = make_instrument(make_organization(make_user()))
    db.session.commit()
    listing_id = instrument.id
    db.session.rollback()
    directory = app.config["SEARCH_INDEX_DIR"]
    assert listing_id not in search.indexed_versions(directory)  # not before the job ran
    work()
    assert listing_id in search.indexed_versions(directory)
    for _ in range(2):
        jobs.dispatch(indexing.REINDEX_JOB, listing_id, key=f"test:{listing_id}")
        assert work() == 1
    assert list(search.indexed_versions(directory)).count(listing_id) == 1
    assert indexing.check_index(db.session, directory).ok


def test_outbox_row_is_the_only_record(app, queue_on, work):
    send_mail("a@example.cn", "s", "b")
    send_mail("b@example.cn", "s", "b")
    db.session.commit()
    assert jobs.queue_depths()["default"] == 1  # one transaction's messages: one job
    assert work() == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.status == OutboxStatus.LOGGED)) == 2


def test_mail_whose_enqueue_was_lost_is_dispatched_again_once(app, queue_on, work, outbox,
                                                              monkeypatch):
    from marketplace.jobs import queue, tasks

    monkeypatch.setattr(queue, "enqueue", lambda *a, **k: (_ for _ in ()).throw(
        ConnectionError("Redis is down")))
    send_mail("someone@example.cn", "主题", "正文")
    db.session.commit()  # the enqueue fails after the commit; the row stays queued
    monkeypatch.undo()
    assert jobs.queue_depths()["default"] == 0
    assert tasks.requeue_lost_mail() == 0  # too recent: its job may still be on its way
    monkeypatch.setattr(tasks, "utcnow", lambda: utcnow() + timedelta(minutes=3))
    assert tasks.requeue_lost_mail() == 1
    assert tasks.requeue_lost_mail() == 1  # the same job, still waiting: not a second one
    assert jobs.queue_depths()["default"] == 1
    work()
    assert [m.status for m in outbox()] == [OutboxStatus.LOGGED]
    assert tasks.requeue_lost_mail() == 0


def test_catalogue_log_pruning_removes_old_rows_once_and_keeps_the_newest(app, queue_on, work):
    from listings.models import CatalogueChange

    old = utcnow() - timedelta(hours=3)
    db.session.add_all([CatalogueChange(changed_at=old) for _ in range(3)])
    db.session.commit()
    newest = db.session.scalar(sa.select(sa.func.max(CatalogueChange.id)))
    first, second = run_twice(work, queue_on, TASKS + "prune_catalogue_changes", "catalogue.prune")
    assert (first, second) == (2, 0)
    assert db.session.scalars(sa.select(CatalogueChange.id)).all() == [newest]
