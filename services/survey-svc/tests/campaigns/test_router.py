"""/v1/campaigns and /v1/invitations through HTTP, and the consumer through the real broker.
Each test starts the service, so they are few and broad."""

from datetime import datetime, timedelta

from sqlalchemy import select, text

from csq_common.bus.models import InboxMessage
from csq_common.db import utcnow
from csq_testing import connected_producer, wait_until
from survey_svc.campaigns.models import Invitation
from survey_svc.campaigns.tokens import token_hash
from tests.campaigns.factories import READER, WRITER, closed, cloud_event
from tests.surveys.factories import definition

PROBLEM = "application/problem+json"


async def published(client) -> str:
    created = await client.post("/v1/surveys", json=definition(), headers=WRITER)
    survey_id = created.json()["id"]
    assert (await client.post(f"/v1/surveys/{survey_id}/publish", headers=WRITER)).status_code == 201
    return survey_id


async def create(client, survey_id, **fields):
    body = {"name": "After close", "survey_id": survey_id, "trigger": "ticket_closed", "delivery": "email", **fields}
    response = await client.post("/v1/campaigns", json=body, headers=WRITER)
    assert response.status_code == 201, response.text
    return response.json()


async def test_campaign_crud_defaults_pagination_and_patch(client):
    survey_id = await published(client)
    created = await create(client, survey_id, filters={"team_ids": ["billing"], "tags": ["refund"]}, sampling_rate=0.25)
    assert created["status"] == "active" and created["survey_version"] is None and created["anonymous"] is False
    assert (created["delay_seconds"], created["throttle_days"], created["expiry_seconds"], created["reminder_after_seconds"]) == (3600, 30, 604_800, None)
    assert created["sampling_rate"] == "0.25"  # exact, as a string
    assert created["max_ticket_age_seconds"] == 7 * 86_400
    assert created["filters"] == {"team_ids": ["billing"], "channels": [], "priorities": [], "tags": ["refund"]}
    assert (await client.get(f"/v1/campaigns/{created['id']}", headers=READER)).json() == created
    string_rate = await create(client, survey_id, sampling_rate="1", survey_version=1, trigger="explicit", delivery="link")
    assert string_rate["sampling_rate"] == "1" and string_rate["survey_version"] == 1

    patched = await client.patch(
        f"/v1/campaigns/{created['id']}",
        json={"status": "paused", "sampling_rate": "0.3333", "reminder_after_seconds": 86_400, "filters": {"channels": ["chat"]}},
        headers=WRITER,
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert (body["status"], body["sampling_rate"], body["reminder_after_seconds"]) == ("paused", "0.3333", 86_400)
    assert body["filters"]["channels"] == ["chat"] and body["filters"]["team_ids"] == []
    assert (await client.patch(f"/v1/campaigns/{created['id']}", json={"reminder_after_seconds": None}, headers=WRITER)).json()["reminder_after_seconds"] is None
    assert (await client.patch(f"/v1/campaigns/{created['id']}", json={"max_ticket_age_seconds": 86_400}, headers=WRITER)).json()["max_ticket_age_seconds"] == 86_400
    ended = await client.patch(f"/v1/campaigns/{created['id']}", json={"status": "ended"}, headers=WRITER)
    assert ended.json()["status"] == "ended"
    again = await client.patch(f"/v1/campaigns/{created['id']}", json={"status": "active"}, headers=WRITER)
    assert again.status_code == 409 and again.json()["type"].endswith("campaign-ended")

    ids = [created["id"], string_rate["id"]] + [(await create(client, survey_id, name=f"c{n}"))["id"] for n in range(3)]
    seen, cursor = [], None
    while True:
        page = (await client.get("/v1/campaigns", params={"limit": 2, **({"cursor": cursor} if cursor else {})}, headers=READER)).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids[::-1]
    ended_only = (await client.get("/v1/campaigns", params={"status": "ended"}, headers=READER)).json()
    assert [item["id"] for item in ended_only["items"]] == [created["id"]]
    assert (await client.get("/v1/campaigns", params={"cursor": "nope"}, headers=READER)).json()["errors"][0]["field"] == "cursor"


async def test_every_refusal_names_its_field_or_status(client):
    survey_id = await published(client)
    base = {"name": "x", "survey_id": survey_id, "trigger": "ticket_closed", "delivery": "email"}
    bad = [
        ({"name": ""}, "name"),
        ({"trigger": "weekly"}, "trigger"),
        ({"delivery": "sms"}, "delivery"),
        ({"delay_seconds": -1}, "delay_seconds"),
        ({"delay_seconds": 31 * 86_400}, "delay_seconds"),
        ({"sampling_rate": 0}, "sampling_rate"),
        ({"sampling_rate": "1.5"}, "sampling_rate"),
        ({"sampling_rate": "0.12345"}, "sampling_rate"),
        ({"sampling_rate": "abc"}, "sampling_rate"),
        ({"throttle_days": 366}, "throttle_days"),
        ({"expiry_seconds": 60}, "expiry_seconds"),
        ({"expiry_seconds": 91 * 86_400}, "expiry_seconds"),
        ({"reminder_after_seconds": 7 * 86_400}, "reminder_after_seconds"),  # not < expiry
        ({"max_ticket_age_seconds": 0}, "max_ticket_age_seconds"),
        ({"max_ticket_age_seconds": 366 * 86_400}, "max_ticket_age_seconds"),
        ({"reminder_after_seconds": 3600, "delivery": "link"}, "reminder_after_seconds"),
        ({"filters": {"teams": ["a"]}}, "filters.teams"),
        ({"filters": {"tags": "refund"}}, "filters.tags"),
        ({"survey_id": "no-such-survey"}, "survey_id"),
        ({"survey_version": 2}, "survey_version"),
        ({"survey_version": 0}, "survey_version"),
        ({"colour": "red"}, "colour"),
    ]
    for change, field in bad:
        response = await client.post("/v1/campaigns", json={**base, **change}, headers=WRITER)
        assert response.status_code == 422, (change, response.text)
        assert response.headers["content-type"] == PROBLEM
        assert field in [error["field"] for error in response.json()["errors"]], (change, response.json())
    draft = (await client.post("/v1/surveys", json=definition(), headers=WRITER)).json()["id"]
    unpublished = await client.post("/v1/campaigns", json={**base, "survey_id": draft}, headers=WRITER)
    assert unpublished.status_code == 422 and "no published version" in unpublished.json()["detail"]
    assert unpublished.json()["errors"][0]["field"] == "survey_id"
    await client.post(f"/v1/surveys/{draft}/publish", headers=WRITER)
    await client.post(f"/v1/surveys/{draft}/retire", headers=WRITER)
    retired = await client.post("/v1/campaigns", json={**base, "survey_id": draft}, headers=WRITER)
    assert retired.status_code == 409 and retired.json()["type"].endswith("survey-retired")

    campaign_id = (await create(client, survey_id))["id"]
    assert (await client.patch(f"/v1/campaigns/{campaign_id}", json={"reminder_after_seconds": 10**6}, headers=WRITER)).status_code == 422
    assert (await client.patch(f"/v1/campaigns/{campaign_id}", json={"name": None}, headers=WRITER)).json()["errors"][0]["field"] == "name"
    assert (await client.patch(f"/v1/campaigns/{campaign_id}", json={"trigger": "explicit"}, headers=WRITER)).status_code == 422
    assert (await client.patch(f"/v1/campaigns/{campaign_id}", json={"survey_version": 9}, headers=WRITER)).json()["errors"][0]["field"] == "survey_version"

    writes = [
        ("POST", "/v1/campaigns", base),
        ("PATCH", f"/v1/campaigns/{campaign_id}", {"name": "y"}),
        ("POST", f"/v1/campaigns/{campaign_id}/invitations", {"recipients": [{"customer": {"id": "c"}}]}),
        ("POST", "/v1/invitations/some-id/link", None),
    ]
    reads = [("GET", "/v1/campaigns", None), ("GET", f"/v1/campaigns/{campaign_id}", None), ("GET", "/v1/invitations", None), ("GET", "/v1/invitations/x", None)]
    for method, path, body in writes + reads:
        for headers in ({}, {"Authorization": "Bearer wrong-key"}):
            assert (await client.request(method, path, json=body, headers=headers)).status_code == 401, (method, path)
    for method, path, body in writes:
        assert (await client.request(method, path, json=body, headers=READER)).status_code == 403, (method, path)
    for method, path, body in [
        ("GET", "/v1/campaigns/nope", None),
        ("PATCH", "/v1/campaigns/nope", {"name": "y"}),
        ("POST", "/v1/campaigns/nope/invitations", {"recipients": [{"customer": {"id": "c"}}]}),
        ("GET", "/v1/invitations/nope", None),
        ("POST", "/v1/invitations/nope/link", None),
    ]:
        response = await client.request(method, path, json=body, headers=WRITER)
        assert response.status_code == 404 and response.headers["content-type"] == PROBLEM, (method, path)
    # Recipients only for explicit campaigns.
    wrong = await client.post(f"/v1/campaigns/{campaign_id}/invitations", json={"recipients": [{"customer": {"id": "c"}}]}, headers=WRITER)
    assert wrong.status_code == 409 and wrong.json()["type"].endswith("campaign-not-inviting")
    too_many = {"recipients": [{"customer": {"id": f"c{n}"}} for n in range(1001)]}
    assert (await client.post(f"/v1/campaigns/{campaign_id}/invitations", json=too_many, headers=WRITER)).json()["errors"][0]["field"] == "recipients"
    # An instant with no UTC value (year 0 once its +12:19 offset is taken off) names its field.
    year_zero = {"recipients": [{"customer": {"id": "c"}}], "send_at": "0001-01-01T00:01:00+12:19"}
    refused = await client.post(f"/v1/campaigns/{campaign_id}/invitations", json=year_zero, headers=WRITER)
    assert refused.status_code == 422 and [e["field"] for e in refused.json()["errors"]] == ["send_at"], refused.text


async def invitation_row(client, invitation_id) -> Invitation:
    async with client.app.state.sessions() as session:
        return await session.get(Invitation, invitation_id)


async def test_explicit_recipients_get_links_retries_are_idempotent_and_a_new_link_replaces_the_old(client):
    survey_id = await published(client)
    campaign = await create(client, survey_id, trigger="explicit", delivery="link")
    body = {
        "recipients": [
            {"customer": {"id": "C-1", "email": "a@example.com", "name": "A", "locale": "en"}, "external_id": "r-1", "ticket_id": "T-9", "team_id": "billing"},
            {"customer": {"id": "C-2", "locale": "zh"}, "external_id": "r-2"},
            {"customer": {"id": "C-1"}},  # the same customer again: throttled
        ]
    }
    response = await client.post(f"/v1/campaigns/{campaign['id']}/invitations", json=body, headers=WRITER)
    assert response.status_code == 200, response.text
    first, second, third = response.json()["results"]
    assert third == {"skipped": "throttled"}
    assert first["status"] == "scheduled" and first["link"].startswith("http://127.0.0.1:8002/s/")
    row = await invitation_row(client, first["invitation_id"])
    assert row.token_hash == token_hash(first["link"].rsplit("/", 1)[1]) and row.external_id == "r-1"
    assert (row.ticket_id, row.team_id, row.locale, row.customer_id) == ("T-9", "billing", "en", "C-1")
    assert (await invitation_row(client, second["invitation_id"])).locale == "zh-CN"

    # The scheduler sends them at its next tick (send_at omitted).
    async def sent():
        return (await invitation_row(client, first["invitation_id"])).status == "sent"

    await wait_until(sent, message="explicit invitation sent")
    read = (await client.get(f"/v1/invitations/{first['invitation_id']}", headers=READER)).json()
    assert read["status"] == "sent" and read["expires_at"] and "token_hash" not in read and "sealed_message" not in read
    assert not any("token" in name or "sealed" in name for name in read)

    # A client retry: nothing new, the same invitations, fresh links (the first ones die).
    retry = (await client.post(f"/v1/campaigns/{campaign['id']}/invitations", json={"recipients": body["recipients"][:2]}, headers=WRITER)).json()["results"]
    assert [r["invitation_id"] for r in retry] == [first["invitation_id"], second["invitation_id"]] and all(r["existing"] for r in retry)
    assert retry[0]["link"] != first["link"]
    assert (await invitation_row(client, first["invitation_id"])).token_hash == token_hash(retry[0]["link"].rsplit("/", 1)[1])
    listed = (await client.get("/v1/invitations", params={"campaign_id": campaign["id"]}, headers=READER)).json()
    assert len(listed["items"]) == 2 and listed["next_cursor"] is None
    assert (await client.get("/v1/invitations", params={"ticket_id": "T-9"}, headers=READER)).json()["items"][0]["id"] == first["invitation_id"]
    assert (await client.get("/v1/invitations", params={"status": "cancelled"}, headers=READER)).json()["items"] == []

    # POST /link: a fresh link, the older hash stops matching.
    before = (await invitation_row(client, first["invitation_id"])).token_hash
    fresh = await client.post(f"/v1/invitations/{first['invitation_id']}/link", headers=WRITER)
    assert fresh.status_code == 200, fresh.text
    after = await invitation_row(client, first["invitation_id"])
    assert after.token_hash != before and after.token_hash == token_hash(fresh.json()["link"].rsplit("/", 1)[1])
    assert datetime.fromisoformat(fresh.json()["expires_at"]) == after.expires_at

    # Not for answered / email-delivered invitations.
    async with client.app.state.sessions() as session:
        row = await session.get(Invitation, second["invitation_id"])
        row.status = "answered"
        await session.commit()
    answered = await client.post(f"/v1/invitations/{second['invitation_id']}/link", headers=WRITER)
    assert answered.status_code == 409 and answered.json()["type"].endswith("invitation-not-linkable")
    by_email = await create(client, survey_id, trigger="explicit", delivery="email", throttle_days=0)
    results = (await client.post(
        f"/v1/campaigns/{by_email['id']}/invitations",
        json={"recipients": [{"customer": {"id": "C-7"}}, {"customer": {"id": "C-8", "email": "c8@example.com"}}], "send_at": (utcnow() + timedelta(days=1)).isoformat()},
        headers=WRITER,
    )).json()["results"]
    assert results[0] == {"skipped": "no_email"} and "link" not in results[1] and results[1]["status"] == "scheduled"
    assert (await client.post(f"/v1/invitations/{results[1]['invitation_id']}/link", headers=WRITER)).status_code == 409


async def test_ticket_closed_through_the_broker_schedules_an_invitation_and_a_reopen_cancels_it(client, settings):
    survey_id = await published(client)
    campaign = await create(client, survey_id, delay_seconds=3600, filters={"channels": ["email"]})
    now = utcnow().replace(microsecond=0)
    event = closed("T-BUS-1", closed_at=now)
    # A replayed closure from eight days ago (beyond the default maximum age of seven) invites no one.
    replayed = cloud_event(closed("T-OLD", closed_at=now - timedelta(days=8), customer={"id": "C-OLD", "email": "old@example.com"}), event_id="evt-old")
    bad = cloud_event(closed("T-BAD", closed_at=now), event_id="evt-bad")
    bad.data["ticket"]["created_at"] = "not a time"  # a payload that fails validation is dead-lettered
    async with connected_producer(settings) as producer:
        for cloud in (replayed, bad, cloud_event(event, event_id="evt-1"), cloud_event(event, event_id="evt-1-again")):
            await producer.send_and_wait(settings.topic("tickets"), cloud.to_bytes(), key=cloud.subject.encode())

        async def invitations():
            async with client.app.state.sessions() as session:
                return (await session.execute(select(Invitation).where(Invitation.ticket_id == "T-BUS-1"))).scalars().all()

        [row] = await wait_until(invitations, message="invitation for T-BUS-1")
        assert (row.campaign_id, row.status, row.send_at) == (campaign["id"], "scheduled", now + timedelta(hours=1))

        from csq_common.events import TicketReopened

        reopen = TicketReopened.model_validate({"ticket": {**event.ticket.model_dump(mode="json"), "status": "open"}, "occurred_at": (now + timedelta(minutes=5)).isoformat()})
        await producer.send_and_wait(settings.topic("tickets"), cloud_event(reopen, event_id="evt-2").to_bytes(), key=b"T-BUS-1")

        async def cancelled():
            async with client.app.state.sessions() as session:
                found = await session.get(Invitation, row.id, populate_existing=True)
                return found.status == "cancelled" and found

        found = await wait_until(cancelled, message="invitation cancelled by the reopen")
        assert found.cancel_reason == "ticket reopened"
    async with client.app.state.sessions() as session:
        assert len((await session.execute(select(Invitation))).scalars().all()) == 1  # the duplicate close made none
        inbox = set((await session.execute(select(InboxMessage.event_id).where(InboxMessage.consumer_group == "survey-svc"))).scalars())
    assert inbox == {"evt-old", "evt-1", "evt-1-again", "evt-2"}  # the invalid payload was not applied (dead-lettered)
    metrics = (await client.get("/metrics")).text
    assert 'csq_survey_invitation_decisions_total{outcome="scheduled"}' in metrics
    assert 'csq_survey_invitation_decisions_total{outcome="too_old"}' in metrics


async def test_invitations_show_and_store_no_email_or_name(client):
    """The privacy promise: the contact is sealed for notify-svc; survey-svc can show none of it."""
    survey_id = await published(client)
    campaign = await create(client, survey_id, trigger="explicit", delivery="email", throttle_days=0)
    recipient = {"id": "C-42", "email": "wang.fang@example.com", "name": "王芳", "locale": "zh-CN"}
    results = (await client.post(
        f"/v1/campaigns/{campaign['id']}/invitations",
        json={"recipients": [{"customer": recipient}], "send_at": (utcnow() + timedelta(days=1)).isoformat()},
        headers=WRITER,
    )).json()["results"]
    assert results[0]["status"] == "scheduled"
    listed = await client.get("/v1/invitations", params={"campaign_id": campaign["id"]}, headers=READER)
    one = await client.get(f"/v1/invitations/{results[0]['invitation_id']}", headers=READER)
    for response in (listed, one):
        assert response.status_code == 200
        assert "wang.fang" not in response.text and "王芳" not in response.text
        assert not any(name in response.text for name in ("customer_email", "customer_name"))
    assert one.json()["customer_id"] == "C-42"
    async with client.app.state.sessions() as session:
        rows = (await session.execute(text("SELECT * FROM invitations"))).all()
    assert rows and not any("wang.fang" in str(value) or "王芳" in str(value) for row in rows for value in row)
