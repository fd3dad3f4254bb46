"""The demo conversations and reviews: made once, lab@ has an unread message, the officer has a
reported conversation and a reported review."""

from __future__ import annotations

import sqlalchemy as sa

from listings.models import Instrument
from marketplace.auth.models import User
from marketplace.conversations import operations as conversations
from marketplace.conversations.models import Conversation, ConversationReport, Message
from marketplace.demo import DEMO_PASSWORD, load_demo
from marketplace.demo_conversations import SEM
from marketplace.extensions import db
from marketplace.reviews import operations as reviews
from marketplace.reviews.models import Review


def _counts():
    return {model.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (Conversation, Message, ConversationReport, Review)}


def test_demo_conversations_and_reviews_once(client):
    load_demo()
    db.session.commit()
    first = _counts()
    load_demo()
    db.session.commit()
    assert _counts() == first
    assert first["conversations"] >= 2  # other slices' demos open conversations too
    sem = db.session.scalars(sa.select(Conversation).join(Instrument, Instrument.id ==
                                                          Conversation.listing_id)
                             .where(Instrument.title_zh == SEM)).all()
    assert [len(c.messages) for c in sem] == [3]
    assert first["reviews"] >= 2
    lab = db.session.scalars(sa.select(User).where(User.email == "lab@demo.czinno.cn")).one()
    assert conversations.total_unread(db.session, lab) >= 1
    assert len(conversations.list_open_reports(db.session)) >= 1
    assert len(reviews.list_reported(db.session)) >= 1
    client.post("/auth/login", data={"email": "officer@demo.czinno.cn", "password": DEMO_PASSWORD})
    office = client.get("/office/").get_data(as_text=True)
    assert "疑似代办检测报告" in office and "评价与事实不符" in office
