"""The dispute window (AUDIT_DISPUTE_WINDOW_DAYS) with time set by the test."""

from datetime import timedelta

import pytest

from audit_svc.disputes import service as disputes
from audit_svc.disputes.errors import DisputeWindowClosed
from audit_svc.disputes.schemas import DisputeCreate
from audit_svc.reviews import service as reviews
from audit_svc.reviews.schemas import ReviewCreate
from audit_svc.scorecards import service as scorecards
from audit_svc.scorecards.schemas import ScorecardDefinition
from audit_svc.settings import Settings
from tests.reviews.factories import FULL_MARKS, TOPIC, review_body
from tests.scorecards.factories import definition


def test_the_window_defaults_to_7_days_and_is_a_setting(monkeypatch):
    assert Settings(environment="development").dispute_window_days == 7
    monkeypatch.setenv("AUDIT_DISPUTE_WINDOW_DAYS", "3")
    assert Settings(environment="development").dispute_window_days == 3


async def test_a_review_can_be_disputed_until_the_window_closes(sessions):
    async with sessions() as session:
        card = await scorecards.create_scorecard(session, ScorecardDefinition.model_validate(definition()), author="t")
        await scorecards.publish_scorecard(session, card["id"], author="t")
        first = await reviews.create_review(session, ReviewCreate.model_validate(review_body(card["id"], FULL_MARKS)), topic=TOPIC)
        second = await reviews.create_review(session, ReviewCreate.model_validate(review_body(card["id"], FULL_MARKS)), topic=TOPIC)
        body = DisputeCreate(agent_id="A-7", comment="评分过严", categories=[{"key": "accuracy", "proposed_answer": 5}])
        at_the_edge = first["reviewed_at"] + timedelta(days=7)
        opened = await disputes.open_dispute(session, first["id"], body, window_days=7, now=at_the_edge)
        assert opened["status"] == "open"
        with pytest.raises(DisputeWindowClosed):
            await disputes.open_dispute(session, second["id"], body, window_days=7, now=second["reviewed_at"] + timedelta(days=7, seconds=1))
        with pytest.raises(DisputeWindowClosed):
            await disputes.open_dispute(session, second["id"], body, window_days=2, now=second["reviewed_at"] + timedelta(days=3))
