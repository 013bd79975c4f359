"""Reviewers correct kind and category; the report counts precision and recall per category of
the rules against the reviewers' latest verdicts (expected numbers worked out by hand below)."""

from datetime import datetime

import pytest

from csq_testing.topics import published
from tests.conftest import READER
from tests.feedback.factories import WRITER, ZH_SLOW_REPLY, feedback_payload


async def receive(client, external_id, text):
    item = (await client.post("/v1/feedback", json=feedback_payload(external_id=external_id, text=text, customer=None), headers=WRITER)).json()
    return item


async def correct(client, item, kind, category, reviewer="QA-1"):
    response = await client.post(
        f"/v1/feedback/{item['id']}/classification",
        json={"kind": kind, "category": category, "reviewer_id": reviewer, "note": "人工复核"},
        headers=WRITER,
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_precision_and_recall_per_category_against_the_reviewers(client):
    a = await receive(client, "a", ZH_SLOW_REPLY)  # rules: complaint / response_speed
    b = await receive(client, "b", "东西质量太差，用了两天就坏了")  # complaint / product_quality
    c = await receive(client, "c", "My parcel was never delivered and tracking shows nothing")  # complaint / delivery
    d = await receive(client, "d", "请问你们的发票怎么开？")  # enquiry / billing
    await receive(client, "e", "快递三天了还没发货")  # never reviewed: not counted
    assert [(x["predicted_kind"], x["predicted_category"]) for x in (a, b, c, d)] == [
        ("complaint", "response_speed"), ("complaint", "product_quality"), ("complaint", "delivery"), ("enquiry", "billing"),
    ]

    corrected = await correct(client, a, "suggestion", "response_speed")
    assert (corrected["kind"], corrected["category"], corrected["predicted_kind"], corrected["reviewed"]) == ("suggestion", "response_speed", "complaint", True)
    await correct(client, b, "complaint", "delivery")
    await correct(client, c, "complaint", "delivery")
    await correct(client, d, "enquiry", "other")
    await correct(client, d, "enquiry", "billing", reviewer="QA-2")  # the latest verdict counts

    report = (await client.get("/v1/feedback/classification-report", headers=READER)).json()
    # Reviewed: a (rs→rs), b (pq→delivery), c (delivery→delivery), d (billing→billing).
    assert (report["reviewed_items"], report["corrections"]) == (4, 5)
    assert report["category_accuracy"] == 0.75  # 3 of 4 categories right
    assert report["kind_accuracy"] == 0.75  # a's kind was wrong
    by_key = {row["category"]: row for row in report["categories"]}
    assert by_key["response_speed"] == {"category": "response_speed", "predicted": 1, "actual": 1, "correct": 1, "precision": 1.0, "recall": 1.0}
    assert by_key["product_quality"] == {"category": "product_quality", "predicted": 1, "actual": 0, "correct": 0, "precision": 0.0, "recall": None}
    assert by_key["delivery"] == {"category": "delivery", "predicted": 1, "actual": 2, "correct": 1, "precision": 1.0, "recall": 0.5}
    assert by_key["billing"] == {"category": "billing", "predicted": 1, "actual": 1, "correct": 1, "precision": 1.0, "recall": 1.0}
    assert by_key["attitude"] == {"category": "attitude", "predicted": 0, "actual": 0, "correct": 0, "precision": None, "recall": None}

    listed = (await client.get("/v1/feedback", params={"category": "delivery"}, headers=READER)).json()
    assert {item["id"] for item in listed["items"]} >= {b["id"], c["id"]}


async def test_a_correction_needs_a_known_item_and_category_and_the_write_scope(client):
    item = await receive(client, "x", ZH_SLOW_REPLY)
    body = {"kind": "complaint", "category": "weather", "reviewer_id": "QA-1"}
    unknown_category = await client.post(f"/v1/feedback/{item['id']}/classification", json=body, headers=WRITER)
    assert unknown_category.status_code == 422 and unknown_category.json()["errors"][0]["field"] == "category"
    body["category"] = "attitude"
    assert (await client.post("/v1/feedback/nope/classification", json=body, headers=WRITER)).status_code == 404
    assert (await client.post(f"/v1/feedback/{item['id']}/classification", json=body, headers=READER)).status_code == 403
    bad_kind = await client.post(f"/v1/feedback/{item['id']}/classification", json={**body, "kind": "rant"}, headers=WRITER)
    assert bad_kind.status_code == 422 and bad_kind.json()["errors"][0]["field"] == "kind"


async def test_a_change_of_kind_or_category_publishes_feedback_reclassified_and_a_confirmation_does_not(client, settings):
    item = await receive(client, "r", ZH_SLOW_REPLY)  # rules: complaint / response_speed
    await correct(client, item, "complaint", "response_speed")  # the reviewer agrees: nothing moves
    await correct(client, item, "suggestion", "response_speed", reviewer="QA-2")
    await client.post(f"/v1/feedback/{item['id']}/triage", json={"team_id": "care-sh", "assignee_id": "U-12"}, headers=WRITER)
    resolved = (await client.post(f"/v1/feedback/{item['id']}/resolve", headers=WRITER)).json()
    await correct(client, item, "suggestion", "attitude", reviewer="QA-3")

    events = [(key, event) for key, event in await published(client.app, settings, "feedback") if event.data.get("feedback_id") == item["id"]]
    events = [(key, event) for key, event in events if event.type in ("feedback.received", "feedback.reclassified")]
    assert [event.type for _, event in events] == ["feedback.received", "feedback.reclassified", "feedback.reclassified"]
    assert {key for key, _ in events} == {item["id"]}
    received = events[0][1].data
    first, second = (event.data for _, event in events[1:])
    assert (first["previous_kind"], first["previous_category"], first["kind"], first["category"], first["reviewer_id"]) == (
        "complaint", "response_speed", "suggestion", "response_speed", "QA-2",
    )
    assert (second["previous_kind"], second["previous_category"], second["kind"], second["category"]) == (
        "suggestion", "response_speed", "suggestion", "attitude",
    )
    # What the item was counted under at feedback.received, so a consumer moves it in the same buckets.
    for moved in (first, second):
        for field in ("received_at", "channel", "source", "team_id", "agent_id"):
            assert moved[field] == received[field], field
    # A public social complaint is severity 3 (high); as a suggestion it is the kind's base, 1 (low).
    assert (received["severity"], received["priority"]) == (3, "high")
    assert (first["previous_severity"], first["previous_priority"], first["severity"], first["priority"]) == (3, "high", 1, "low")
    assert (second["previous_severity"], second["severity"]) == (1, 1)  # a new category alone rates nothing again
    assert first["resolved_at"] is None
    assert datetime.fromisoformat(second["resolved_at"]) == datetime.fromisoformat(resolved["resolved_at"])
    assert "李雷" not in str(first) and "li.lei" not in str(first)


async def test_a_corrected_kind_rates_severity_and_priority_again(client):
    # Praise on Weibo is severity 1 (the kind's base); the same post as a complaint is a public
    # social complaint: severity 3, priority high (the default rules).
    praise = await receive(client, "p", "客服小王态度很好，谢谢")
    assert (praise["kind"], praise["severity"], praise["priority"]) == ("praise", 1, "low")
    corrected = await correct(client, praise, "complaint", "attitude")
    assert (corrected["severity"], corrected["priority"]) == (3, "high")
    assert [rule["type"] for rule in corrected["fired_rules"]] == ["channel"]
    back = await correct(client, praise, "praise", "attitude")
    assert (back["severity"], back["priority"], back["fired_rules"]) == (1, "low", [])
