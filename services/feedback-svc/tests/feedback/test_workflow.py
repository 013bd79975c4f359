"""new → triaged → in progress → replied → resolved → confirmed or reopened; events, due times,
the sealed reply for notify-svc and the one-time confirmation link."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import update

from csq_common.sealing import DEVELOPMENT_PRIVATE_KEY, open_sealed
from feedback_svc.feedback.models import FeedbackItem
from feedback_svc.settings import Settings
from tests.conftest import READER
from tests.feedback.factories import WRITER, feedback_payload
from csq_testing.topics import published

REPLY = "您好，非常抱歉让您久等了。退款已于今天原路退回，预计1-3个工作日到账。"


def at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def step(client, item_id, action, body=None, status=200):
    response = await client.post(f"/v1/feedback/{item_id}/{action}", json=body, headers=WRITER)
    assert response.status_code == status, response.text
    return response.json()


async def link_token(client, settings) -> tuple[str, dict]:
    replied = [event for _, event in await published(client.app, settings, "feedback") if event.type == "feedback.replied"][-1]
    content = open_sealed(replied.data["sealed_content"], DEVELOPMENT_PRIVATE_KEY)
    return content["confirm_link"].rsplit("/", 1)[1], replied.data


async def test_the_whole_loop_ends_confirmed_by_the_customer(client, settings):
    item = (await client.post("/v1/feedback", json=feedback_payload(), headers=WRITER)).json()
    assert item["severity"] == 3  # public social complaint: 4 h to reply, 72 h to resolve by default

    triaged = await step(client, item["id"], "triage", {"team_id": "care-sh", "assignee_id": "U-12"})
    assert (triaged["status"], triaged["team_id"], triaged["assignee_id"]) == ("triaged", "care-sh", "U-12")
    assert at(triaged["response_due_at"]) - at(triaged["triaged_at"]) == timedelta(hours=4)
    assert at(triaged["resolution_due_at"]) - at(triaged["triaged_at"]) == timedelta(hours=72)
    assert (await step(client, item["id"], "start"))["status"] == "in_progress"
    replied = await step(client, item["id"], "reply", {"text": REPLY, "agent_id": "A-7"})
    assert (replied["status"], replied["reply_text"]) == ("replied", REPLY)
    resolved = await step(client, item["id"], "resolve")
    assert resolved["status"] == "resolved" and resolved["customer_confirmed"] is None

    token, replied_event = await link_token(client, settings)
    contact = open_sealed(replied_event["sealed_message"], DEVELOPMENT_PRIVATE_KEY)
    assert contact["to"] == {"email": "li.lei@example.com", "name": "李雷"} and contact["locale"] == "zh-CN"
    assert open_sealed(replied_event["sealed_content"], DEVELOPMENT_PRIVATE_KEY)["reply_text"] == REPLY
    assert open_sealed(replied_event["sealed_content"], DEVELOPMENT_PRIVATE_KEY)["confirm_link"].startswith(f"{settings.public_base_url}/v1/public/feedback/")

    page = await client.get(f"/v1/public/feedback/{token}")
    assert page.status_code == 200 and page.json()["status"] == "resolved" and page.json()["reply_text"] == REPLY
    assert "li.lei" not in page.text
    confirmed = await client.post(f"/v1/public/feedback/{token}", json={"resolved": True, "comment": "谢谢，已经收到退款"})
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    assert (await client.post(f"/v1/public/feedback/{token}", json={"resolved": True})).status_code == 404  # once only
    stored = (await client.get(f"/v1/feedback/{item['id']}", headers=READER)).json()
    assert (stored["status"], stored["customer_confirmed"], stored["customer_comment"]) == ("confirmed", True, "谢谢，已经收到退款")
    assert stored["resolved_at"] == resolved["resolved_at"]

    events = [(key, event) for key, event in await published(client.app, settings, "feedback")]
    assert [event.type for _, event in events] == [
        "feedback.received", "feedback.triaged", "feedback.replied", "feedback.resolved", "feedback.resolved",
    ]
    assert {key for key, _ in events} == {item["id"]}
    triaged_event = events[1][1].data
    assert set(triaged_event) == {
        "schema_version", "feedback_id", "kind", "category", "severity", "priority", "team_id", "assignee_id", "triaged_at", "due_at",
    }
    assert (triaged_event["assignee_id"], at(triaged_event["due_at"])) == ("U-12", at(triaged["response_due_at"]))
    first, second = events[3][1].data, events[4][1].data
    assert set(first) == {
        "schema_version", "feedback_id", "kind", "category", "severity", "team_id", "agent_id", "received_at", "resolved_at", "customer_confirmed",
    }
    assert (first["customer_confirmed"], second["customer_confirmed"]) == (None, True)
    assert at(first["resolved_at"]) == at(second["resolved_at"]) == at(resolved["resolved_at"])
    raw = b"".join(event.to_bytes() for _, event in events).decode()
    for secret in ("li.lei@example.com", "李雷", "退款已于今天", token):
        assert secret not in raw


async def test_not_resolved_reopens_the_item_for_another_round(client, settings):
    item = (await client.post("/v1/feedback", json=feedback_payload(), headers=WRITER)).json()
    await step(client, item["id"], "triage", {"team_id": "care-sh", "assignee_id": "U-12"})
    await step(client, item["id"], "reply", {"text": REPLY})
    await step(client, item["id"], "resolve")
    token, _ = await link_token(client, settings)

    reopened = await client.post(f"/v1/public/feedback/{token}", json={"resolved": False, "comment": "钱还是没到账"})
    assert reopened.status_code == 200 and reopened.json()["status"] == "reopened"
    stored = (await client.get(f"/v1/feedback/{item['id']}", headers=READER)).json()
    assert (stored["status"], stored["reopen_count"], stored["resolved_at"], stored["customer_confirmed"]) == ("reopened", 1, None, False)
    resolved_events = [e.data for _, e in await published(client.app, settings, "feedback") if e.type == "feedback.resolved"]
    assert [e["customer_confirmed"] for e in resolved_events] == [None, False]
    assert (await step(client, item["id"], "triage", {"team_id": "care-bj", "assignee_id": "U-3"}))["status"] == "triaged"


@pytest.mark.parametrize(
    ("path", "action", "state"),
    [
        ([], "resolve", "new"),
        ([], "start", "new"),
        ([("triage", {"team_id": "t", "assignee_id": "u"})], "triage", "triaged"),
        ([("triage", {"team_id": "t", "assignee_id": "u"}), ("resolve", None)], "reply", "resolved"),
    ],
)
async def test_a_step_the_state_does_not_allow_is_a_409_naming_the_state(client, path, action, state):
    item = (await client.post("/v1/feedback", json=feedback_payload(), headers=WRITER)).json()
    for done, body in path:
        await step(client, item["id"], done, body)
    body = {"text": REPLY} if action == "reply" else {"team_id": "t", "assignee_id": "u"} if action == "triage" else None
    refused = await step(client, item["id"], action, body, status=409)
    assert refused["status"] == 409 and refused["state"] == state and f"'{state}'" in refused["detail"]


async def test_workflow_input_and_links_are_checked(client, settings):
    item = (await client.post("/v1/feedback", json=feedback_payload(), headers=WRITER)).json()
    missing = await client.post(f"/v1/feedback/{item['id']}/triage", json={"team_id": "care-sh"}, headers=WRITER)
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "assignee_id"
    assert (await client.post(f"/v1/feedback/{item['id']}/start", headers=READER)).status_code == 403
    assert (await client.post("/v1/feedback/nope/start", headers=WRITER)).status_code == 404
    assert (await client.get("/v1/public/feedback/made-up-token")).status_code == 404

    await step(client, item["id"], "triage", {"team_id": "care-sh", "assignee_id": "U-12"})
    await step(client, item["id"], "reply", {"text": REPLY})
    token, _ = await link_token(client, settings)
    async with client.app.state.sessions() as session:
        await session.execute(update(FeedbackItem).values(confirmation_expires_at=datetime.fromisoformat("2026-01-01T00:00:00+00:00")))
        await session.commit()
    assert (await client.get(f"/v1/public/feedback/{token}")).status_code == 404  # expired


def test_targets_need_every_severity():
    with pytest.raises(ValueError, match="response_target_hours"):
        Settings(environment="development", response_target_hours={"1": 72, "2": 24})
