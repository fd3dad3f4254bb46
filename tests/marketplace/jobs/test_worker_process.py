"""A real ``flask jobs worker --burst`` process (RQ's forking worker, the app created by the
Flask CLI) delivers a mail queued by this process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from marketplace.mail import OutboxStatus, send_mail
from tests.marketplace.jobs.conftest import REDIS_URL

ROOT = Path(__file__).resolve().parents[3]


def test_flask_jobs_worker_burst_delivers_queued_mail(app, queue_on, outbox, database_url,
                                                      instance_path):
    send_mail("someone@example.cn", "主题", "正文")
    from marketplace.extensions import db

    db.session.commit()
    assert outbox()[0].status == OutboxStatus.QUEUED
    env = {**os.environ, "FLASK_APP": "wsgi.py", "REDIS_URL": REDIS_URL,
           "JOBS_QUEUE_PREFIX": app.config["JOBS_QUEUE_PREFIX"], "DATABASE_URL": database_url,
           "INSTANCE_PATH": str(instance_path), "RUN_JOBS_IN_PROCESS": "0",
           "SEARCH_INDEX_DIR": app.config["SEARCH_INDEX_DIR"], "MODEL_DIR": app.config["MODEL_DIR"],
           "SECRET_KEY": "worker-test"}
    env.pop("MAIL_SERVER", None)
    flask = Path(sys.executable).with_name("flask")
    done = subprocess.run([str(flask), "jobs", "worker", "--burst"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    [message] = outbox()
    assert message.status == OutboxStatus.LOGGED, done.stderr[-3000:]
    status = subprocess.run([str(flask), "jobs", "status"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert "default=0" in status.stdout and "failed=0" in status.stdout, status.stderr[-2000:]
