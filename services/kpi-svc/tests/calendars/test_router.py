"""/v1/calendars through the app: admin writes, read scope lists and gets, bad calendars are 422s
naming the field, a team has one calendar, a new default replaces the old."""

import pytest

ADMIN = {"Authorization": "Bearer admin-key"}
READER = {"Authorization": "Bearer reader-key"}
HOURS = {"mon": ["09:00-12:00", "13:30-18:00"], "tue": ["09:00-18:00"], "wed": ["09:00-18:00"], "thu": ["09:00-18:00"],
         "fri": ["09:00-18:00"], "sat": [], "sun": []}


def calendar_body(**changes) -> dict:
    return {"name": "上海客服中心日历", "tz": "Asia/Shanghai", "hours": HOURS, "holidays": ["2026-10-01"],
            "extra_working_days": ["2026-09-27"], "country": "CN", "team_ids": ["billing"], "default": False, **changes}


async def test_an_admin_creates_a_calendar_that_readers_list_and_get(client):
    created = await client.post("/v1/calendars", json=calendar_body(), headers=ADMIN)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["name"] == "上海客服中心日历" and body["team_ids"] == ["billing"] and body["country"] == "CN"
    assert body["hours"]["mon"] == ["09:00-12:00", "13:30-18:00"] and body["extra_working_days"] == ["2026-09-27"]
    assert (await client.get(f"/v1/calendars/{body['id']}", headers=READER)).json() == body
    listed = (await client.get("/v1/calendars", params={"limit": 10}, headers=READER)).json()
    assert [item["id"] for item in listed["items"]] == [body["id"]] and listed["next_cursor"] is None
    assert (await client.post("/v1/calendars", json=calendar_body(team_ids=[]), headers=READER)).status_code == 403
    assert (await client.get("/v1/calendars/nope", headers=READER)).status_code == 404
    assert (await client.get("/v1/calendars/x%00y", headers=READER)).status_code == 422


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"hours": {**HOURS, "mon": ["09:00-12:00", "11:30-18:00"]}}, "hours.mon[1]"),
        ({"hours": {**HOURS, "tue": ["18:00-09:00"]}}, "hours.tue[0]"),
        ({"hours": {**HOURS, "wed": ["10:00-10:00"]}}, "hours.wed[0]"),
        ({"hours": {**HOURS, "thu": ["9点-18点"]}}, "hours.thu[0]"),
        ({"hours": {**HOURS, "holiday": []}}, "hours.holiday"),
        ({"tz": "Asia/Beijing"}, "tz"),
        ({"country": "XX"}, "country"),
        ({"holidays": ["2026-09-27"]}, "extra_working_days"),
        ({"hours": {"mon": [], "sat": []}}, "hours"),
    ],
)
async def test_a_bad_calendar_is_a_422_naming_the_field(client, changes, field):
    response = await client.post("/v1/calendars", json=calendar_body(**changes), headers=ADMIN)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [error["field"] for error in response.json()["errors"]] == [field]


async def test_a_team_has_one_calendar_and_a_new_default_replaces_the_old(client):
    first = (await client.post("/v1/calendars", json=calendar_body(default=True), headers=ADMIN)).json()
    clash = await client.post("/v1/calendars", json=calendar_body(team_ids=["sales", "billing"]), headers=ADMIN)
    assert clash.status_code == 409 and "billing" in clash.json()["detail"]
    second = (await client.post("/v1/calendars", json=calendar_body(team_ids=["sales"], default=True), headers=ADMIN)).json()
    assert second["default"] is True
    assert (await client.get(f"/v1/calendars/{first['id']}", headers=READER)).json()["default"] is False


async def test_an_admin_replaces_a_calendar_and_its_teams_and_deletes_it(client):
    first = (await client.post("/v1/calendars", json=calendar_body(default=True), headers=ADMIN)).json()
    other = (await client.post("/v1/calendars", json=calendar_body(name="深圳", team_ids=["sales"]), headers=ADMIN)).json()
    assert (first["revision"], first["updated_at"]) == (1, None)

    late_shift = {**HOURS, "sat": ["10:00-16:00"]}
    changed = await client.put(
        f"/v1/calendars/{first['id']}", json=calendar_body(hours=late_shift, team_ids=["billing", "售后一组"]), headers=ADMIN
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["id"], body["created_at"], body["revision"]) == (first["id"], first["created_at"], 2)
    assert body["hours"]["sat"] == ["10:00-16:00"] and body["team_ids"] == ["billing", "售后一组"] and body["updated_at"]
    assert body["default"] is False  # replaced as a whole: the default flag too
    assert (await client.get(f"/v1/calendars/{first['id']}", headers=READER)).json() == body

    # A team of another calendar is a 409, and nothing of the change is kept.
    clash = await client.put(f"/v1/calendars/{first['id']}", json=calendar_body(team_ids=["sales"]), headers=ADMIN)
    assert clash.status_code == 409 and "sales" in clash.json()["detail"]
    assert (await client.get(f"/v1/calendars/{first['id']}", headers=READER)).json() == body
    # Its own teams can be handed over once it lets go of them.
    moved = await client.put(f"/v1/calendars/{other['id']}", json=calendar_body(name="深圳", team_ids=["sales", "billing"]), headers=ADMIN)
    assert moved.status_code == 409
    assert (await client.put(f"/v1/calendars/{first['id']}", json=calendar_body(team_ids=[]), headers=ADMIN)).json()["revision"] == 3
    moved = await client.put(f"/v1/calendars/{other['id']}", json=calendar_body(name="深圳", team_ids=["sales", "billing"]), headers=ADMIN)
    assert moved.status_code == 200 and moved.json()["team_ids"] == ["sales", "billing"]

    bad = await client.put(f"/v1/calendars/{first['id']}", json=calendar_body(tz="Asia/Beijing"), headers=ADMIN)
    assert bad.status_code == 422 and [error["field"] for error in bad.json()["errors"]] == ["tz"]
    assert (await client.put(f"/v1/calendars/{first['id']}", json=calendar_body(), headers=READER)).status_code == 403
    assert (await client.put("/v1/calendars/nope", json=calendar_body(team_ids=[]), headers=ADMIN)).status_code == 404
    assert (await client.delete(f"/v1/calendars/{other['id']}", headers=READER)).status_code == 403

    assert (await client.delete(f"/v1/calendars/{other['id']}", headers=ADMIN)).status_code == 204
    assert (await client.get(f"/v1/calendars/{other['id']}", headers=READER)).status_code == 404
    assert (await client.delete(f"/v1/calendars/{other['id']}", headers=ADMIN)).status_code == 404
    # Its teams are free again.
    again = await client.post("/v1/calendars", json=calendar_body(name="广州", team_ids=["sales", "billing"]), headers=ADMIN)
    assert again.status_code == 201, again.text
