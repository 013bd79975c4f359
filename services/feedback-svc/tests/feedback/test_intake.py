"""POST /v1/feedback and the signed POST /v1/webhooks/feedback: classified, rated, stored once,
feedback.received published without the customer."""

import orjson
import pytest

from tests.conftest import READER, signed_headers
from tests.feedback.factories import EN_RUDE_BILLING, WRITER, ZH_SLOW_REPLY, feedback_payload
from csq_testing.topics import published

RECEIVED_FIELDS = {
    "feedback_id", "kind", "channel", "source", "category", "severity", "priority", "received_at", "team_id",
    "agent_id", "ticket_id", "rating", "sentiment", "language",
}


async def test_a_chinese_complaint_is_classified_rated_stored_and_published_without_the_customer(client, settings):
    response = await client.post("/v1/feedback", json=feedback_payload(received_at="2026-11-20T16:00:00+08:00"), headers=WRITER)

    assert response.status_code == 201, response.text
    item = response.json()
    assert (item["language"], item["kind"], item["category"]) == ("zh-CN", "complaint", "response_speed")
    assert item["sentiment"] < 0
    assert item["received_at"] == "2026-11-20T08:00:00Z"
    assert item["duplicate"] is False and item["status"] == "new"
    # A complaint posted publicly on social media: the public-social-post rule raises it to 3.
    assert (item["severity"], item["priority"]) == (3, "high")
    assert [rule["id"] for rule in item["fired_rules"]] == ["public-social-post"]

    stored = (await client.get(f"/v1/feedback/{item['id']}", headers=READER)).json()
    assert stored["customer"] == {"id": "C-9", "name": "李雷", "email": "li.lei@example.com", "phone": "+86 138 0013 8000"}
    assert stored["attachments"] == ["https://wx1.sinaimg.cn/large/screenshot.jpg"]

    events = await published(client.app, settings, "feedback")
    assert len(events) == 1
    key, event = events[0]
    assert (key, event.type, event.subject) == (item["id"], "feedback.received", item["id"])
    assert set(event.data) == RECEIVED_FIELDS | {"schema_version"}
    assert event.data["feedback_id"] == item["id"] and event.data["category"] == "response_speed"
    assert (event.data["severity"], event.data["priority"], event.data["language"]) == (3, "high", "zh-CN")
    raw = event.to_bytes().decode()
    for secret in ("li.lei@example.com", "李雷", "138 0013 8000", "C-9"):
        assert secret not in raw


async def test_an_english_item_is_detected_and_a_stated_kind_is_kept(client):
    classified = await client.post(
        "/v1/feedback",
        json=feedback_payload(source="email-desk", external_id="m-1", channel="email", text=EN_RUDE_BILLING, customer=None),
        headers=WRITER,
    )
    assert classified.status_code == 201, classified.text
    assert (classified.json()["language"], classified.json()["kind"]) == ("en", "complaint")
    assert classified.json()["category"] in ("attitude", "billing", "problem_solving")
    assert classified.json()["sentiment"] < -0.3

    stated = await client.post(
        "/v1/feedback",
        json=feedback_payload(source="email-desk", external_id="m-2", channel="email", text=EN_RUDE_BILLING, kind="suggestion", language="en"),
        headers=WRITER,
    )
    assert (stated.json()["kind"], stated.json()["predicted_kind"]) == ("suggestion", "complaint")


async def test_the_same_source_and_external_id_again_is_a_duplicate_that_changes_nothing(client, settings):
    first = await client.post("/v1/feedback", json=feedback_payload(), headers=WRITER)
    again = await client.post("/v1/feedback", json=feedback_payload(text="完全不同的内容"), headers=WRITER)
    other_source = await client.post("/v1/feedback", json=feedback_payload(source="tmall", channel="ecommerce_review"), headers=WRITER)

    assert (first.status_code, again.status_code, other_source.status_code) == (201, 200, 201)
    assert again.json()["duplicate"] is True and again.json()["id"] == first.json()["id"]
    assert again.json()["text"] == ZH_SLOW_REPLY
    assert other_source.json()["id"] != first.json()["id"]
    events = await published(client.app, settings, "feedback")
    assert sorted(event.data["feedback_id"] for _, event in events) == sorted([first.json()["id"], other_source.json()["id"]])


async def test_the_signed_webhook_takes_a_pushed_item_once(client, settings):
    body = orjson.dumps(feedback_payload(source="jd", external_id="jd-rev-77", channel="ecommerce_review", rating=1, text="东西质量太差，用了两天就坏了"))
    first = await client.post("/v1/webhooks/feedback", content=body, headers=signed_headers(body))
    retry = await client.post("/v1/webhooks/feedback", content=body, headers=signed_headers(body))

    assert first.status_code == 201, first.text
    assert (first.json()["kind"], first.json()["category"], first.json()["rating"]) == ("complaint", "product_quality", 1)
    assert "low-star-review" in [rule["id"] for rule in first.json()["fired_rules"]]
    assert retry.status_code == 200 and retry.json()["duplicate"] is True
    assert len(await published(client.app, settings, "feedback")) == 1


async def test_the_webhook_refuses_a_wrong_signature_and_names_bad_fields(client):
    body = orjson.dumps(feedback_payload())
    forged = await client.post("/v1/webhooks/feedback", content=body, headers=signed_headers(body, secret="not-the-secret"))
    assert forged.status_code == 401 and forged.headers["content-type"] == "application/problem+json"

    unnamed = orjson.dumps({k: v for k, v in feedback_payload().items() if k != "external_id"})
    refused = await client.post("/v1/webhooks/feedback", content=unnamed, headers=signed_headers(unnamed))
    assert refused.status_code == 422 and [e["field"] for e in refused.json()["errors"]] == ["external_id"]

    garbage = b"{not json"
    assert (await client.post("/v1/webhooks/feedback", content=garbage, headers=signed_headers(garbage))).status_code == 422


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"attachments": ["ftp://files.example.com/a.jpg"]}, "attachments[0]"),
        ({"attachments": ["javascript:alert(1)"]}, "attachments[0]"),
        ({"attachments": [f"https://img.example.com/{n}.jpg" for n in range(11)]}, "attachments"),
        ({"rating": 6}, "rating"),
        ({"channel": "fax"}, "channel"),
        ({"kind": "rant"}, "kind"),
        ({"text": "   "}, "text"),
        ({"text": "坏\x00了"}, "text"),
        ({"language": "fr"}, "language"),
        ({"customer": {"email": "not-an-address"}}, "customer.email"),
        ({"received_at": "2099-01-01T00:00:00Z"}, "received_at"),
        ({"received_at": "0001-01-01T00:00:00+14:00"}, "received_at"),
        ({"source": "Weibo China"}, "source"),
    ],
)
async def test_bad_input_is_a_422_naming_the_field(client, overrides, field):
    response = await client.post("/v1/feedback", json=feedback_payload(**overrides), headers=WRITER)
    assert response.status_code == 422, response.text
    assert field in [error["field"] for error in response.json()["errors"]]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "0001-01-01T00:01:00+12:19"}, "from"),  # year 0 once the offset is taken off
        ({"to": "9999-12-31T23:59:59-12:00"}, "to"),  # year 10000 in UTC
    ],
)
async def test_a_listing_window_without_a_utc_value_is_a_422_naming_the_bound(client, params, field):
    response = await client.get("/v1/feedback", params=params, headers=READER)
    assert response.status_code == 422, response.text
    assert [error["field"] for error in response.json()["errors"]] == [field]


async def test_intake_needs_the_write_scope(client):
    assert (await client.post("/v1/feedback", json=feedback_payload(), headers=READER)).status_code == 403
    assert (await client.post("/v1/feedback", json=feedback_payload())).status_code == 401


async def test_the_list_filters_and_pages_newest_first(client):
    created = []
    for n, (channel, text) in enumerate([("social", ZH_SLOW_REPLY), ("email", EN_RUDE_BILLING)] * 3):
        response = await client.post(
            "/v1/feedback",
            json=feedback_payload(external_id=f"x-{n}", channel=channel, text=text, received_at=f"2026-11-2{n}T10:00:00Z"),
            headers=WRITER,
        )
        created.append(response.json()["id"])
    seen, cursor = [], None
    while True:
        params = {"limit": 2, "channel": "social", **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/v1/feedback", params=params, headers=READER)).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [created[4], created[2], created[0]]
    window = (await client.get("/v1/feedback", params={"from": "2026-11-21T00:00:00Z", "to": "2026-11-23T00:00:00Z"}, headers=READER)).json()
    assert [item["id"] for item in window["items"]] == [created[2], created[1]]
    misspelt = await client.get("/v1/feedback", params={"chanel": "social"}, headers=READER)
    assert misspelt.status_code == 422 and misspelt.json()["errors"][0]["field"] == "chanel"
    assert (await client.get("/v1/feedback/nope", headers=READER)).status_code == 404


async def test_erasing_the_customer_removes_their_identity_from_feedback_items(client):
    mine = (await client.post("/v1/feedback", json=feedback_payload(), headers=WRITER)).json()
    other = (await client.post(
        "/v1/feedback", json=feedback_payload(external_id="wb-2", customer={"id": "C-other", "name": "韩梅梅"}), headers=WRITER
    )).json()

    assert (await client.post("/v1/customers/C-9/erase", headers=WRITER)).status_code == 202

    erased = (await client.get(f"/v1/feedback/{mine['id']}", headers=READER)).json()
    assert erased["customer"] is None and erased["text"] == ZH_SLOW_REPLY
    assert (await client.get(f"/v1/feedback/{other['id']}", headers=READER)).json()["customer"]["name"] == "韩梅梅"
