"""/v1/scorecards through HTTP on both backends: draft → publish freezes a version, editing a
published scorecard makes a new draft, retirement, conditional selection, 422s naming fields."""

from tests.scorecards.factories import GREETING_ZH, PROBLEM, READER, WRITER, create, definition


async def test_draft_publish_freezes_and_editing_makes_a_new_version(client):
    created = await create(client)
    card_id = created["id"]
    assert (created["version"], created["status"], created["published_version"]) == (1, "draft", None)
    assert created["sections"][0]["categories"][0]["titles"]["zh-CN"] == GREETING_ZH
    assert created["sections"][1]["categories"][2]["scale"] == {"min": 0, "max": 10}

    # Editing a draft replaces it in place.
    renamed = definition(name="通话质检 v1")
    put = await client.put(f"/v1/scorecards/{card_id}", json=renamed, headers=WRITER)
    assert put.status_code == 200, put.text
    assert (put.json()["version"], put.json()["name"]) == (1, "通话质检 v1")

    published = await client.post(f"/v1/scorecards/{card_id}/publish", headers=WRITER)
    assert published.status_code == 201, published.text
    v1 = published.json()
    assert (v1["version"], v1["status"], v1["name"]) == (1, "published", "通话质检 v1")
    again = await client.post(f"/v1/scorecards/{card_id}/publish", headers=WRITER)
    assert again.status_code == 409 and again.headers["content-type"] == PROBLEM

    # Editing the published scorecard creates draft version 2; version 1 stays as it was.
    changed = definition(name="通话质检 v2")
    changed["sections"][0]["categories"][0]["weight"] = 5
    posted = await client.post(f"/v1/scorecards/{card_id}/versions", json=changed, headers=WRITER)
    assert posted.status_code == 201, posted.text
    assert (posted.json()["version"], posted.json()["status"], posted.json()["published_version"]) == (2, "draft", 1)
    assert (await client.get(f"/v1/scorecards/{card_id}/versions/1", headers=READER)).json() == v1
    assert (await client.get(f"/v1/scorecards/{card_id}/versions/2", headers=READER)).json()["sections"][0]["categories"][0]["weight"] == 5
    v2 = (await client.post(f"/v1/scorecards/{card_id}/publish", headers=WRITER)).json()
    assert v2["version"] == 2 and (await client.get(f"/v1/scorecards/{card_id}", headers=READER)).json()["published_version"] == 2

    listed = (await client.get("/v1/scorecards", params={"status": "published"}, headers=READER)).json()
    assert [item["id"] for item in listed["items"]] == [card_id]
    assert (await client.get("/v1/scorecards", params={"status": "draft"}, headers=READER)).json()["items"] == []

    retired = await client.post(f"/v1/scorecards/{card_id}/retire", headers=WRITER)
    assert retired.json()["status"] == "retired"
    refused = await client.put(f"/v1/scorecards/{card_id}", json=definition(), headers=WRITER)
    assert refused.status_code == 409
    assert (await client.post("/v1/scorecards", json=definition(), headers=READER)).status_code == 403


async def test_bad_definitions_are_422_naming_the_field(client):
    body = definition()
    body["sections"][1]["categories"][0]["key"] = "greeting"
    body["sections"][1]["categories"][2]["scale"] = {"min": 10, "max": 0}
    response = await client.post("/v1/scorecards", json=body, headers=WRITER)
    assert response.status_code == 422 and response.headers["content-type"] == PROBLEM
    assert [e["field"] for e in response.json()["errors"]] == ["sections[1].categories[0].key", "sections[1].categories[2].scale.max"]

    body = definition()
    body["sections"][0]["categories"][1]["weight"] = 0
    response = await client.post("/v1/scorecards", json=body, headers=WRITER)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["sections[0].categories[1].weight"]

    response = await client.post("/v1/scorecards", json=definition(languages=["zh-CN", "de"]), headers=WRITER)
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "languages[1]"

    body = definition()
    body["sections"] = [body["sections"][1]]
    for item in body["sections"][0]["categories"]:
        item["bonus"] = True
    response = await client.post("/v1/scorecards", json=body, headers=WRITER)
    assert response.status_code == 422 and [e["field"] for e in response.json()["errors"]] == ["sections"]


async def test_the_most_specific_published_scorecard_applies(client):
    async def publish(name: str, selection: dict) -> str:
        created = await create(client, definition(name=name, selection=selection))
        assert (await client.post(f"/v1/scorecards/{created['id']}/publish", headers=WRITER)).status_code == 201
        return created["id"]

    general = await publish("通用", {})
    chat = await publish("在线聊天", {"channels": ["chat"]})
    billing_chat = await publish("账务聊天", {"channels": ["chat"], "team_ids": ["billing"]})
    refunds = await publish("退款", {"tags": ["refund"]})
    draft_only = await create(client, definition(name="草稿", selection={"channels": ["chat"], "team_ids": ["billing"], "tags": ["vip"]}))

    async def applicable(**params) -> str:
        response = await client.get("/v1/scorecards/applicable", params=params, headers=READER)
        assert response.status_code == 200, response.text
        return response.json()["scorecard_id"]

    assert await applicable(channel="email", team_id="billing") == general
    assert await applicable(channel="chat", team_id="sales") == chat
    assert await applicable(channel="chat", team_id="billing", tags=["vip"]) == billing_chat
    assert await applicable(channel="email", tags=["vip", "refund"]) == refunds
    # Tags outrank a channel at the same count of criteria met.
    assert await applicable(channel="chat", tags=["refund"]) == refunds
    assert draft_only["id"] not in {general, chat, billing_chat, refunds}

    await client.post(f"/v1/scorecards/{general}/retire", headers=WRITER)
    missing = await client.get("/v1/scorecards/applicable", params={"channel": "email"}, headers=READER)
    assert missing.status_code == 404 and missing.headers["content-type"] == PROBLEM
