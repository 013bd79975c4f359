"""/v1/surveys through HTTP on both backends. Each test covers a whole journey: every test
starts the service (migrations, broker producer, consumer), so they are few and broad."""

from datetime import datetime

from tests.surveys.factories import CSAT_PROMPT_ZH, definition

WRITER = {"Authorization": "Bearer writer-key"}
READER = {"Authorization": "Bearer reader-key"}
PROBLEM = "application/problem+json"


def rfc3339_utc(value: str) -> bool:
    return value.endswith("Z") and datetime.fromisoformat(value).utcoffset().total_seconds() == 0


async def create(client, body=None):
    response = await client.post("/v1/surveys", json=body or definition(), headers=WRITER)
    assert response.status_code == 201, response.text
    return response.json()


async def test_create_read_update_publish_and_versions_stay_frozen(client):
    created = await create(client)
    survey_id = created["id"]
    assert created["status"] == "active" and created["latest_version"] is None and created["has_unpublished_changes"]
    assert rfc3339_utc(created["created_at"]) and rfc3339_utc(created["updated_at"])
    assert created["published_at"] is None and created["retired_at"] is None

    read = (await client.get(f"/v1/surveys/{survey_id}", headers=READER)).json()
    assert read == created
    # zh-CN texts round-trip exactly, as does the whole definition.
    assert read["questions"][0]["texts"]["zh-CN"]["prompt"] == CSAT_PROMPT_ZH
    assert read["name"] == "售后满意度 / After-sales satisfaction"
    sent = definition()
    assert [q["key"] for q in read["questions"]] == [q["key"] for q in sent["questions"]]
    assert read["questions"][1]["show_if"] == {"question": "q1", "at_most": 3}
    assert read["questions"][3]["choices"] == sent["questions"][3]["choices"]

    published = await client.post(f"/v1/surveys/{survey_id}/publish", headers=WRITER)
    assert published.status_code == 201, published.text
    v1 = published.json()
    assert v1["version"] == 1 and v1["survey_id"] == survey_id and rfc3339_utc(v1["published_at"])
    assert v1["questions"] == read["questions"] and v1["questions"][0]["texts"]["zh-CN"]["prompt"] == CSAT_PROMPT_ZH
    after_publish = (await client.get(f"/v1/surveys/{survey_id}", headers=READER)).json()
    assert after_publish["latest_version"] == 1 and not after_publish["has_unpublished_changes"]
    assert after_publish["published_at"] == v1["published_at"]

    # Editing a published survey changes the draft only.
    replaced = definition(name="季度 NPS")
    replaced["questions"] = replaced["questions"][2:3]
    put = await client.put(f"/v1/surveys/{survey_id}", json=replaced, headers=WRITER)
    assert put.status_code == 200, put.text
    assert put.json()["name"] == "季度 NPS" and [q["key"] for q in put.json()["questions"]] == ["q3"]
    assert put.json()["has_unpublished_changes"] and put.json()["latest_version"] == 1
    patched = await client.patch(f"/v1/surveys/{survey_id}", json={"name": "Quarterly NPS"}, headers=WRITER)
    assert patched.status_code == 200, patched.text
    assert patched.json()["name"] == "Quarterly NPS" and [q["key"] for q in patched.json()["questions"]] == ["q3"]

    assert (await client.get(f"/v1/surveys/{survey_id}/versions/1", headers=READER)).json() == v1
    assert (await client.get(f"/v1/surveys/{survey_id}/versions/2", headers=READER)).status_code == 404

    v2 = (await client.post(f"/v1/surveys/{survey_id}/publish", headers=WRITER)).json()
    assert v2["version"] == 2 and v2["name"] == "Quarterly NPS" and [q["key"] for q in v2["questions"]] == ["q3"]
    assert (await client.get(f"/v1/surveys/{survey_id}/versions/1", headers=READER)).json() == v1
    assert (await client.get(f"/v1/surveys/{survey_id}/versions/2", headers=READER)).json() == v2


async def test_retire_keeps_reads_and_refuses_edits_and_publishing(client):
    survey_id = (await create(client))["id"]
    await client.post(f"/v1/surveys/{survey_id}/publish", headers=WRITER)
    retired = await client.post(f"/v1/surveys/{survey_id}/retire", headers=WRITER)
    assert retired.status_code == 200
    assert retired.json()["status"] == "retired" and rfc3339_utc(retired.json()["retired_at"])
    again = await client.post(f"/v1/surveys/{survey_id}/retire", headers=WRITER)
    assert again.status_code == 200 and again.json()["retired_at"] == retired.json()["retired_at"]

    for method, path, body in [
        ("PUT", f"/v1/surveys/{survey_id}", definition(name="x")),
        ("PATCH", f"/v1/surveys/{survey_id}", {"name": "x"}),
        ("POST", f"/v1/surveys/{survey_id}/publish", None),
    ]:
        response = await client.request(method, path, json=body, headers=WRITER)
        assert response.status_code == 409, (method, path, response.text)
        assert response.headers["content-type"] == PROBLEM and response.json()["type"].endswith("survey-retired")

    read = (await client.get(f"/v1/surveys/{survey_id}", headers=READER)).json()
    assert read["status"] == "retired" and read["name"] == definition()["name"]
    assert (await client.get(f"/v1/surveys/{survey_id}/versions/1", headers=READER)).status_code == 200


async def test_list_is_cursor_paginated_newest_first_and_filters_by_status(client):
    ids = [(await create(client, definition(name=f"survey {n}")))["id"] for n in range(5)]
    await client.post(f"/v1/surveys/{ids[1]}/retire", headers=WRITER)
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        response = await client.get("/v1/surveys", params=params, headers=READER)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= 2
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids[::-1]
    retired = (await client.get("/v1/surveys", params={"status": "retired"}, headers=READER)).json()
    assert [item["id"] for item in retired["items"]] == [ids[1]] and retired["next_cursor"] is None
    for params in ({"cursor": "not-a-cursor"}, {"cursor": "WzEsMl0"}, {"limit": 0}, {"limit": 1000}, {"status": "gone"}):
        response = await client.get("/v1/surveys", params=params, headers=READER)
        assert response.status_code == 422, (params, response.text)
        assert response.json()["errors"][0]["field"] in {"cursor", "limit", "status"}


async def test_api_keys_and_scopes(client):
    survey_id = (await create(client))["id"]
    writes = [
        ("POST", "/v1/surveys", definition()),
        ("PUT", f"/v1/surveys/{survey_id}", definition()),
        ("PATCH", f"/v1/surveys/{survey_id}", {"name": "x"}),
        ("POST", f"/v1/surveys/{survey_id}/publish", None),
        ("POST", f"/v1/surveys/{survey_id}/retire", None),
    ]
    reads = [("GET", "/v1/surveys", None), ("GET", f"/v1/surveys/{survey_id}", None), ("GET", f"/v1/surveys/{survey_id}/versions/1", None)]
    for method, path, body in writes + reads:
        for headers in ({}, {"Authorization": "Bearer wrong-key"}):
            response = await client.request(method, path, json=body, headers=headers)
            assert response.status_code == 401, (method, path)
            assert response.headers["content-type"] == PROBLEM
    for method, path, body in writes:
        assert (await client.request(method, path, json=body, headers=READER)).status_code == 403, (method, path)
    assert (await client.get(f"/v1/surveys/{survey_id}", headers=READER)).json()["status"] == "active"
    for path in ("/v1/surveys/nope", "/v1/surveys/" + "x" * 90, f"/v1/surveys/{survey_id}/versions/1", f"/v1/surveys/{survey_id}/versions/99999999999"):
        response = await client.get(path, headers=READER)
        assert response.status_code in (404, 422), path
    assert (await client.get("/v1/surveys/nope", headers=READER)).json()["type"].endswith("survey-not-found")
    assert (await client.post("/v1/surveys/nope/publish", headers=WRITER)).status_code == 404


def broken(index: int, **changes) -> dict:
    body = definition()
    body["questions"][index].update(changes)
    return body


async def test_bad_definitions_are_422_naming_every_field(client):
    no_en = definition()
    del no_en["questions"][0]["texts"]["en"]
    duplicate_choices = definition()
    duplicate_choices["questions"][3]["choices"][1]["key"] = "fast"
    cases = [
        (broken(4, scale={"max": 11}), ["questions[4].scale.max"]),
        (broken(3, choices=[{"key": "a", "labels": {"zh-CN": "甲", "en": "A"}}]), ["questions[3].choices"]),
        (duplicate_choices, ["questions[3].choices[1].key"]),
        (broken(1, show_if={"question": "q2", "at_most": 3}), ["questions[1].show_if.question"]),
        (broken(1, show_if={"question": "q3", "at_most": 3}), ["questions[1].show_if.question"]),
        (broken(4, show_if={"question": "q4", "at_most": 1}), ["questions[4].show_if.question"]),
        (broken(1, show_if={"question": "q1", "at_most": 9}), ["questions[1].show_if.at_most"]),
        (no_en, ["questions[0].texts.en"]),
        (broken(2, key="q1"), ["questions[2].key"]),
        (definition(languages=["en"]), None),  # the default zh-CN undeclared: "languages" and every zh-CN text
        # shape errors come from the schema, with the same field naming
        (broken(0, type="stars"), ["questions[0].type"]),
        (broken(0, dimension="Not A Slug"), ["questions[0].dimension"]),
        (definition(default_language="fr"), ["default_language"]),
        (definition(name=""), ["name"]),
    ]
    survey_id = (await create(client))["id"]
    for body, fields in cases:
        for method, path in (("POST", "/v1/surveys"), ("PUT", f"/v1/surveys/{survey_id}")):
            response = await client.request(method, path, json=body, headers=WRITER)
            assert response.status_code == 422, (method, fields, response.text)
            problem = response.json()
            assert response.headers["content-type"] == PROBLEM
            if fields is None:
                assert problem["errors"][0]["field"] == "languages"
            else:
                assert [e["field"] for e in problem["errors"]] == fields, problem
                assert fields[0] in problem["detail"]
    patch = await client.patch(f"/v1/surveys/{survey_id}", json={"default_language": "en", "languages": ["zh-CN"]}, headers=WRITER)
    assert patch.status_code == 422 and patch.json()["errors"][0]["field"] == "languages"
    patch = await client.patch(f"/v1/surveys/{survey_id}", json={"name": None}, headers=WRITER)
    assert patch.status_code == 422 and patch.json()["errors"][0]["field"] == "name"
    # nothing above changed the stored draft
    assert (await client.get(f"/v1/surveys/{survey_id}", headers=READER)).json()["name"] == definition()["name"]

    empty = await create(client, definition(questions=[]))
    response = await client.post(f"/v1/surveys/{empty['id']}/publish", headers=WRITER)
    assert response.status_code == 422 and [e["field"] for e in response.json()["errors"]] == ["questions"]
    assert (await client.get(f"/v1/surveys/{empty['id']}/versions/1", headers=READER)).status_code == 404
    for raw in (b"{", b"[]", "名".encode()):
        response = await client.post("/v1/surveys", content=raw, headers={**WRITER, "Content-Type": "application/json"})
        assert response.status_code == 422
