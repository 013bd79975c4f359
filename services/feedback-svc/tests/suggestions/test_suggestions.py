"""Staff suggestions: anonymous ones keep and log nothing of the sender and are followed up with a
one-time code; named ones go proposed → accepted → implemented → effect reviewed; reports show
anonymous counts only for groups of at least 5."""

import logging

import pytest
from sqlalchemy import select

from feedback_svc.suggestions.models import StaffSuggestion
from tests.conftest import READER
from tests.feedback.factories import WRITER

STAFF = {"Authorization": "Bearer dev-staff-key"}
SENDER_TRACES = {"User-Agent": "Mozilla/5.0 (Windows NT 10.0) WeCom/4.1.8", "X-Forwarded-For": "10.20.30.40", "X-Real-IP": "10.20.30.41"}
IDEA = {"title": "夜班排班建议", "text": "夜班连续上五天太累了，建议改成上四休二，接听质量会更好。", "category": "workload", "team_id": "care-sh"}


async def submit(client, body=None, team="care-sh"):
    response = await client.post("/v1/suggestions/anonymous", json={**(body or IDEA), "team_id": team}, headers={**STAFF, **SENDER_TRACES})
    assert response.status_code == 201, response.text
    return response.json()


async def test_an_anonymous_suggestion_keeps_and_logs_nothing_of_its_sender(client, caplog):
    caplog.set_level(logging.DEBUG)
    receipt = await submit(client)

    assert receipt["status"] == "proposed" and len(receipt["follow_up_code"]) >= 32
    async with client.app.state.sessions() as session:
        row = (await session.execute(select(StaffSuggestion))).scalar_one()
    stored = {column.name: getattr(row, column.name) for column in StaffSuggestion.__table__.columns}
    assert stored["author_id"] is None and stored["anonymous"] is True
    assert str(stored["submitted_on"]) == receipt["submitted_on"] and len(receipt["submitted_on"]) == 10  # a day, no time
    assert receipt["follow_up_code"] not in str(stored)  # only its hash
    for trace in (*SENDER_TRACES.values(), "dev-staff-key", "127.0.0.1", "key-"):
        assert trace not in str(stored), trace
    for trace in (*SENDER_TRACES.values(), "dev-staff-key", "key-"):
        assert trace not in caplog.text, trace
    # Nothing with a time of day is stored for it.
    assert not any(type(column.type).__name__ in ("UtcDateTime", "DateTime") for column in StaffSuggestion.__table__.columns)


async def test_the_follow_up_code_reads_the_status_and_the_answer(client):
    receipt = await submit(client)
    code = {"code": receipt["follow_up_code"]}
    first = await client.post("/v1/suggestions/anonymous/follow-up", json=code, headers=STAFF)
    assert first.status_code == 200 and (first.json()["status"], first.json()["answer"]) == ("proposed", None)

    listed = (await client.get("/v1/suggestions", params={"anonymous": "true"}, headers=READER)).json()["items"]
    assert len(listed) == 1 and listed[0]["team_id"] is None and listed[0]["author_id"] is None  # no team shown for it
    suggestion_id = listed[0]["id"]
    decided = await client.post(
        f"/v1/suggestions/{suggestion_id}/decision",
        json={"decision": "accepted", "owner_id": "M-3", "note": "下月起试行上四休二", "answer": "谢谢建议，下月起夜班试行上四休二。"},
        headers=WRITER,
    )
    assert decided.status_code == 200, decided.text

    later = (await client.post("/v1/suggestions/anonymous/follow-up", json=code, headers=STAFF)).json()
    assert (later["status"], later["answer"], later["decision"]) == ("accepted", "谢谢建议，下月起夜班试行上四休二。", "下月起试行上四休二")
    assert (await client.post("/v1/suggestions/anonymous/follow-up", json={"code": "guessed"}, headers=STAFF)).status_code == 404
    assert (await client.post("/v1/suggestions/anonymous/follow-up", json=code)).status_code == 401


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer admin-key"}, {"Authorization": "Bearer dev-staff-key-2"}])
async def test_anonymous_submission_takes_a_staff_key(client, headers):
    response = await client.post("/v1/suggestions/anonymous", json=IDEA, headers=headers)
    assert response.status_code == 401 and response.headers["content-type"] == "application/problem+json"


async def test_a_named_suggestion_goes_from_proposed_to_effect_reviewed_with_a_reward(client):
    created = await client.post("/v1/suggestions", json={**IDEA, "author_id": "A-7"}, headers=WRITER)
    assert created.status_code == 201 and created.json()["author_id"] == "A-7" and created.json()["team_id"] == "care-sh"
    sid = created.json()["id"]

    early = await client.post(f"/v1/suggestions/{sid}/implemented", json={}, headers=WRITER)
    assert early.status_code == 409 and early.json()["state"] == "proposed" and "'proposed'" in early.json()["detail"]
    await client.post(f"/v1/suggestions/{sid}/decision", json={"decision": "accepted", "owner_id": "M-3", "note": "采纳"}, headers=WRITER)
    implemented = await client.post(f"/v1/suggestions/{sid}/implemented", json={"note": "12月起执行"}, headers=WRITER)
    assert implemented.json()["status"] == "implemented"
    reviewed = await client.post(
        f"/v1/suggestions/{sid}/effect-review", json={"effect": "夜班接通率从82%升到91%", "reward": True}, headers=WRITER
    )
    assert (reviewed.json()["status"], reviewed.json()["reward"], reviewed.json()["owner_id"]) == ("effect_reviewed", True, "M-3")
    again = await client.post(f"/v1/suggestions/{sid}/decision", json={"decision": "rejected", "owner_id": "M-3", "note": "x"}, headers=WRITER)
    assert again.status_code == 409 and again.json()["state"] == "effect_reviewed"
    bad = await client.post("/v1/suggestions", json={**IDEA, "author_id": "A-7", "category": "snacks"}, headers=WRITER)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "category"
    assert (await client.get("/v1/suggestions/nope", headers=READER)).status_code == 404


async def test_reports_show_anonymous_counts_only_for_groups_of_five_or_more(client):
    for _ in range(5):
        await submit(client, team="care-sh")
    for _ in range(2):
        await submit(client, team="care-bj")
    for _ in range(3):
        await submit(client, team="care-gz")
    for team, author in (("care-sh", "A-1"), ("care-bj", "A-2"), ("care-bj", "A-3")):
        await client.post("/v1/suggestions", json={**IDEA, "team_id": team, "author_id": author}, headers=WRITER)

    report = (await client.get("/v1/suggestions/report", params={"group_by": "team"}, headers=READER)).json()
    zero = {"proposed": 0, "accepted": 0, "rejected": 0, "implemented": 0, "effect_reviewed": 0}
    assert report["groups"] == [
        {"group": "care-bj", "named": {**zero, "proposed": 2}, "anonymous": None},  # 2 anonymous: hidden
        {"group": "care-sh", "named": {**zero, "proposed": 1}, "anonymous": {**zero, "proposed": 5}},
    ]  # care-gz (3 anonymous, no named) does not appear at all
    assert report["anonymous_in_small_groups"] == 5  # 2 + 3, itself at least 5

    by_category = (await client.get("/v1/suggestions/report", params={"group_by": "category"}, headers=READER)).json()
    assert by_category["groups"] == [{"group": "workload", "named": {**zero, "proposed": 3}, "anonymous": {**zero, "proposed": 10}}]
    assert by_category["anonymous_in_small_groups"] is None  # nothing hidden


def test_staff_keys_are_off_outside_development_until_set_and_then_must_be_strong(monkeypatch):
    from csq_common.sealing import generate_keypair
    from pydantic import ValidationError

    from feedback_svc.settings import Settings

    monkeypatch.delenv("CSQ_ENV", raising=False)
    monkeypatch.setenv("CSQ_API_KEYS", "k" * 32 + ":admin")
    monkeypatch.setenv("CSQ_WEBHOOK_SECRET", "w" * 32)
    monkeypatch.setenv("FEEDBACK_NOTIFY_PUBLIC_KEY", generate_keypair()[1])
    assert Settings().staff_key_digests == ()  # no key: anonymous suggestions refused
    monkeypatch.setenv("FEEDBACK_STAFF_API_KEYS", "dev-staff-key")
    with pytest.raises(ValidationError, match="FEEDBACK_STAFF_API_KEYS"):
        Settings()
    monkeypatch.setenv("FEEDBACK_STAFF_API_KEYS", "s" * 32 + ", " + "t" * 32)
    assert len(Settings().staff_key_digests) == 2 and "s" * 32 not in repr(Settings())
