"""GET/PUT /v1/feedback/categories and /v1/feedback/severity-rules (admin): the rules in force,
replaced whole, used for the items received afterwards."""

import copy

import pytest

from tests.conftest import READER
from tests.feedback.factories import ADMIN, WRITER, feedback_payload


async def test_the_default_categories_are_served_and_a_replacement_applies_to_new_items(client):
    current = await client.get("/v1/feedback/categories", headers=ADMIN)
    assert current.status_code == 200
    body = current.json()
    assert body["version"] == 0 and body["updated_by"] is None
    assert [c["key"] for c in body["categories"]] == [
        "response_speed", "attitude", "problem_solving", "professionalism", "product_quality", "billing", "delivery", "other",
    ]

    text = "外包装压坏了，盒子都瘪了"
    before = (await client.post("/v1/feedback", json=feedback_payload(external_id="p-1", text=text), headers=WRITER)).json()
    assert before["category"] == "other"

    replacement = {"categories": [
        {"key": "packaging", "names": {"zh-CN": "包装", "en": "Packaging"}, "keywords": {"zh-CN": ["包装", "盒子"], "en": ["packaging", "box"]}},
        *body["categories"],
    ], "kinds": body["kinds"]}
    saved = await client.put("/v1/feedback/categories", json=replacement, headers=ADMIN)
    assert saved.status_code == 200, saved.text
    assert saved.json()["version"] == 1 and saved.json()["updated_by"]
    assert (await client.get("/v1/feedback/categories", headers=ADMIN)).json()["categories"][0]["key"] == "packaging"

    after = (await client.post("/v1/feedback", json=feedback_payload(external_id="p-2", text=text), headers=WRITER)).json()
    assert after["category"] == "packaging"
    assert (await client.get(f"/v1/feedback/{before['id']}", headers=READER)).json()["category"] == "other"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda rules: rules["categories"].pop(), "body"),  # "other" removed
        (lambda rules: rules["categories"].append(copy.deepcopy(rules["categories"][0])), "body"),
        (lambda rules: rules["categories"][0].update(key="Response Speed"), "categories[0].key"),
        (lambda rules: rules["categories"][0]["keywords"].update(fr=["lent"]), "categories[0].keywords.fr"),
        (lambda rules: rules["kinds"].update(rant={"en": ["meh"]}), "kinds.rant"),
    ],
)
async def test_bad_categories_are_a_422_naming_the_field(client, change, field):
    rules = (await client.get("/v1/feedback/categories", headers=ADMIN)).json()
    rules = {"categories": rules["categories"], "kinds": rules["kinds"]}
    change(rules)
    refused = await client.put("/v1/feedback/categories", json=rules, headers=ADMIN)
    assert refused.status_code == 422, refused.text
    assert any(error["field"].startswith(field) for error in refused.json()["errors"]), refused.json()


async def test_rules_are_for_admins(client):
    for path in ("/v1/feedback/categories", "/v1/feedback/severity-rules"):
        assert (await client.get(path, headers=READER)).status_code == 403
        assert (await client.put(path, json={}, headers=READER)).status_code == 403


async def test_edited_severity_rules_rate_the_next_items_and_show_what_fired(client):
    rules = (await client.get("/v1/feedback/severity-rules", headers=ADMIN)).json()
    assert [rule["id"] for rule in rules["rules"]] == [
        "public-social-post", "low-star-review", "repeat-complaint", "escalation-words", "vip-customer",
    ]
    plain = feedback_payload(external_id="s-1", channel="web", source="website", text="请问周末有人工客服吗？", customer=None)
    assert (await client.post("/v1/feedback", json=plain, headers=WRITER)).json()["severity"] == 1

    edited = {k: rules[k] for k in ("base", "priority_by_severity", "rules")}
    edited["rules"].append({"id": "weekend-words", "type": "words", "words": ["周末"], "severity": 2})
    edited["priority_by_severity"]["2"] = "high"
    saved = await client.put("/v1/feedback/severity-rules", json=edited, headers=ADMIN)
    assert saved.status_code == 200 and saved.json()["version"] == 1

    rated = (await client.post("/v1/feedback", json={**plain, "external_id": "s-2"}, headers=WRITER)).json()
    assert (rated["severity"], rated["priority"]) == (2, "high")
    assert rated["fired_rules"] == [{"id": "weekend-words", "type": "words", "severity": 2, "detail": "周末"}]


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ({"id": "x", "type": "colour", "severity": 2}, "rules[0]"),
        ({"id": "x", "type": "words", "words": [], "severity": 2}, "rules[0].words.words"),
        ({"id": "x", "type": "tag", "tags": ["vip"], "severity": 5}, "rules[0].tag.severity"),
        ({"id": "x", "type": "channel", "channels": ["fax"], "severity": 2}, "rules[0].channel.channels[0]"),
    ],
)
async def test_bad_severity_rules_are_a_422_naming_the_field(client, rule, field):
    rules = (await client.get("/v1/feedback/severity-rules", headers=ADMIN)).json()
    body = {"base": rules["base"], "priority_by_severity": rules["priority_by_severity"], "rules": [rule]}
    refused = await client.put("/v1/feedback/severity-rules", json=body, headers=ADMIN)
    assert refused.status_code == 422, refused.text
    assert any(error["field"].startswith(field) for error in refused.json()["errors"]), refused.json()
