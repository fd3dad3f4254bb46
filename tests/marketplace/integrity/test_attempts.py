"""Related-party attempts are written by the request teardown — never by the teardown of the
context ``external_url`` pushes to build a mail link, which would roll back the caller's work."""

from __future__ import annotations

from marketplace.extensions import db
from marketplace.integrity import attempts
from marketplace.urls import external_url
from tests.factories import make_organization, make_user


def test_a_mail_link_built_mid_transaction_keeps_the_transaction(app, db):  # noqa: F811
    user = make_user(email="owner@example.cn")
    org = make_organization(user, name_zh="长治市测试企业有限公司")
    db.session.commit()
    db.session.info[attempts._KEY] = [{"enterprise_id": org.id}]  # an earlier refused attempt
    org.description = "未提交的修改"
    link = external_url("main.index")  # as a CLI command or job sending mail does
    assert link.startswith("http")
    assert org in db.session and db.session.is_modified(org)  # not rolled back
    assert attempts.pending_attempts()  # still waiting for a real request's teardown
    db.session.info.pop(attempts._KEY)
    db.session.rollback()
