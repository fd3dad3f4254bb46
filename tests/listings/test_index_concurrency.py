"""Two app processes publishing at the same time: every update reaches the index."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa
from click.testing import CliRunner

from listings import search, search_backend
from listings.indexing import check_index
from listings.pg_search import SearchDocument
from marketplace.organizations.models import OrganizationKind
from tests.factories import make_organization, make_user

ROOT = Path(__file__).resolve().parents[2]
PER_PROCESS = 15


def test_two_processes_writing_at_once_lose_no_update(search_backend_name, app, db, database_url,
                                                      tmp_path):
    from marketplace.demo import DEMO_PASSWORD  # noqa: F401  (import check: app modules load)

    owner = make_user()
    org = make_organization(owner, kind=OrganizationKind.PARK)
    db.session.commit()
    index_dir = app.config["SEARCH_INDEX_DIR"]
    started = time.monotonic()
    processes = []
    for prefix in ("甲", "乙"):
        log = open(tmp_path / f"{prefix}.log", "w")  # noqa: SIM115 (closed below)
        processes.append((subprocess.Popen(
            [sys.executable, "-m", "tests.listings.index_writer", database_url, index_dir,
             str(tmp_path / f"instance-{prefix}"), str(org.id), str(owner.id), prefix,
             str(PER_PROCESS)],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONPATH": str(ROOT), "SEARCH_BACKEND": search_backend_name}),
            log))
    for process, log in processes:
        process.wait(timeout=180)
        log.close()
    outputs = [(tmp_path / f"{p}.log").read_text() for p in ("甲", "乙")]
    assert [p.returncode for p, _ in processes] == [0, 0], outputs
    elapsed = time.monotonic() - started

    report = check_index(db.session, index_dir)
    found = search_backend().search(search.SearchRequest(text="厂房", per_page=100))
    print(f"two-writer test ({search_backend_name}): {2 * PER_PROCESS} listings published by 2 processes in "
          f"{elapsed:.1f}s; indexed={report.indexed} missing={len(report.missing)} "
          f"stale={len(report.stale)} extra={len(report.extra)}")
    assert report.ok and report.published == 2 * PER_PROCESS
    assert found.total == 2 * PER_PROCESS


def test_reindex_and_check_index_commands(search_backend_name, app, db):
    owner = make_user()
    org = make_organization(owner, kind=OrganizationKind.PARK)
    db.session.commit()
    from marketplace.publishing.operations import create_listing, publish_listing

    listing = create_listing(org, owner, "space", {
        "title_zh": "潞城标准厂房", "district_code": "140406400", "space_type": "factory",
        "area_m2": 500, "rent_fen_per_m2_month": 1200, "min_lease_months": 6})
    publish_listing(listing, owner)
    db.session.commit()
    runner = CliRunner()
    cli = app.cli
    result = runner.invoke(cli, ["listings", "check-index"], obj=_script_info(app))
    assert result.exit_code == 0 and "missing=0" in result.output

    _lose_the_index(app, db)
    result = runner.invoke(cli, ["listings", "check-index"], obj=_script_info(app))
    assert result.exit_code == 1 and "missing=1" in result.output
    result = runner.invoke(cli, ["listings", "reindex"], obj=_script_info(app))
    assert result.exit_code == 0 and "indexed 1" in result.output
    result = runner.invoke(cli, ["listings", "check-index"], obj=_script_info(app))
    assert result.exit_code == 0


def _lose_the_index(app, db) -> None:
    if search_backend().writes_in_transaction:
        db.session.execute(sa.delete(SearchDocument))
        db.session.commit()
    else:
        search.rebuild(app.config["SEARCH_INDEX_DIR"], [])


def _script_info(app):
    from flask.cli import ScriptInfo

    return ScriptInfo(create_app=lambda: app)
