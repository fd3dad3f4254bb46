"""``flask backup create|restore``: a copy taken while the app runs holds the same ledger, and the
restored database passes ``flask ledger verify``. SQLite through the online backup API; PostgreSQL
through pg_dump/pg_restore when they are installed (into a scratch database)."""

from __future__ import annotations

import shutil

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.ledger import operations as ledger
from tests.conftest import BACKEND
from tests.marketplace.ledger.helpers import Chart, snapshot
from tests.marketplace.ops.helpers import app_on


@pytest.fixture
def ledger_activity(db):
    """Vouchers issued, a booking held and completed, one cancelled, a reimbursement, a pledge."""
    session = db.session
    chart = Chart(session)
    ledger.transfer(session, "issue", [(chart.budget, -5000), (chart.voucher, 3000),
                                       (chart.voucher2, 2000)], "issue vouchers")
    held = ledger.hold(session, "book-1", chart.voucher, chart.receivable, 1200, "booking",
                       reference=("booking", 1)).transfer
    ledger.post(session, "complete-1", held, amount=1000)
    cancelled = ledger.hold(session, "book-2", chart.voucher2, chart.receivable, 800, "booking",
                            reference=("booking", 2)).transfer
    ledger.void(session, "cancel-2", cancelled)
    ledger.transfer(session, "reimburse-1", [(chart.receivable, -600), (chart.reimbursed, 600)],
                    "reimbursement batch 1")
    ledger.transfer(session, "pledge-1", [(chart.clearing, -8800), (chart.escrow, 8800)], "pledge")
    session.commit()
    return snapshot(session)


def ledger_of(database_url: str) -> tuple:
    engine = sa.create_engine(database_url)
    try:
        with Session(engine) as session:
            return snapshot(session)
    finally:
        engine.dispose()


def verify_on(database_url: str):
    app = app_on(database_url)
    result = app.test_cli_runner().invoke(args=["ledger", "verify"])
    with app.app_context():
        from marketplace.extensions import db

        db.engine.dispose()
    return result


@pytest.mark.skipif(BACKEND != "sqlite", reason="the SQLite online backup")
def test_sqlite_backup_and_restore_keep_the_same_ledger(app, db, ledger_activity, tmp_path):
    runner = app.test_cli_runner()
    backup = tmp_path / "marketplace-backup.sqlite"
    created = runner.invoke(args=["backup", "create", str(backup)])
    assert created.exit_code == 0, created.output
    assert "written to" in created.output and backup.stat().st_size > 0

    again = runner.invoke(args=["backup", "create", str(backup)])
    assert again.exit_code == 1 and "--yes" in again.output  # no silent overwrite

    restored_url = f"sqlite:///{tmp_path / 'restored.sqlite'}"
    restored = runner.invoke(args=["backup", "restore", str(backup), "--into", restored_url])
    assert restored.exit_code == 0, restored.output
    assert ledger_of(restored_url) == ledger_activity
    assert ledger_activity[1], "the test made transfers"

    verified = verify_on(restored_url)
    assert verified.exit_code == 0, verified.output
    assert "ledger verify: OK — 7 transfers" in verified.output

    refused = runner.invoke(args=["backup", "restore", str(backup), "--into", restored_url])
    assert refused.exit_code == 1 and "--yes" in refused.output
    replaced = runner.invoke(args=["backup", "restore", str(backup), "--into", restored_url,
                                   "--yes"])
    assert replaced.exit_code == 0, replaced.output
    assert ledger_of(restored_url) == ledger_activity


@pytest.mark.skipif(BACKEND != "sqlite", reason="the SQLite online backup")
def test_sqlite_backup_is_consistent_while_the_app_writes(app, db, ledger_activity, tmp_path):
    """A reader's open transaction and a writer after it: the copy is one snapshot."""
    from marketplace.ops.backup import backup_sqlite, check_sqlite_copy

    with db.engine.connect() as reader:
        reader.exec_driver_sql("BEGIN")
        reader.exec_driver_sql("SELECT count(*) FROM ledger_transfers").scalar()
        path = backup_sqlite(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "live.sqlite")
        reader.rollback()
    check_sqlite_copy(path)
    assert ledger_of(f"sqlite:///{path}") == ledger_activity


def test_restore_refuses_a_file_that_is_not_a_marketplace_database(app, db, tmp_path):
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"not a database at all" * 100)
    result = app.test_cli_runner().invoke(
        args=["backup", "restore", str(junk), "--into", f"sqlite:///{tmp_path / 'x.sqlite'}"])
    assert result.exit_code == 1
    assert "not a SQLite database" in result.output or "not a marketplace" in result.output
    assert not (tmp_path / "x.sqlite").exists()


@pytest.mark.skipif(BACKEND != "postgresql", reason="pg_dump/pg_restore round trip")
@pytest.mark.skipif(shutil.which("pg_dump") is None or shutil.which("pg_restore") is None,
                    reason="pg_dump/pg_restore not installed")
def test_postgres_dump_and_restore_keep_the_same_ledger(app, db, ledger_activity, tmp_path,
                                                        pg_server):
    runner = app.test_cli_runner()
    dump = tmp_path / "marketplace.dump"
    created = runner.invoke(args=["backup", "create", str(dump)])
    assert created.exit_code == 0, created.output
    assert dump.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format

    scratch = pg_server.create("czx_restore")
    try:
        refused = runner.invoke(args=["backup", "restore", str(dump), "--into", scratch])
        assert refused.exit_code == 1 and "--yes" in refused.output
        restored = runner.invoke(args=["backup", "restore", str(dump), "--into", scratch,
                                       "--yes"])
        assert restored.exit_code == 0, restored.output
        assert ledger_of(scratch) == ledger_activity
        verified = verify_on(scratch)
        assert verified.exit_code == 0, verified.output
        assert "ledger verify: OK — 7 transfers" in verified.output
    finally:
        pg_server.drop(scratch)


def test_without_pg_dump_the_command_says_what_to_install_and_run(monkeypatch, tmp_path):
    from marketplace.ops import backup

    monkeypatch.setattr(backup.shutil, "which", lambda name: None)
    with pytest.raises(backup.BackupError) as refused:
        backup.create_backup("postgresql+psycopg://czx:pw@db.internal:5432/marketplace",
                             tmp_path / "m.dump")
    message = str(refused.value)
    assert "postgresql-client" in message
    assert "pg_dump --format=custom" in message
    assert "--dbname=postgresql://czx@db.internal:5432/marketplace" in message  # no password
    assert f"--file={tmp_path / 'm.dump'}" in message
    assert not (tmp_path / "m.dump").exists()
