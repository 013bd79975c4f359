"""/v1/audit-plans through HTTP: presets, 422s naming the field, list, get, update, pause."""

from datetime import timedelta

from csq_common.db import utcnow
from audit_svc.tickets import service as intake
from tests.plans.factories import READER, WRITER, plan_body
from tests.tickets.factories import closed


async def create(client, **fields):
    response = await client.post("/v1/audit-plans", json=plan_body(**fields), headers=WRITER)
    assert response.status_code == 201, response.text
    return response.json()


async def test_plan_crud_presets_pagination_and_pause(client):
    created = await create(client, sampling={"rate": 0.25, "min_per_agent": 2, "targeted": [{"rule": "low_csat", "max_csat": 2}, {"rule": "tag", "tag": "退款", "limit": 5}]})
    assert created["status"] == "active" and created["preset"] is None and created["due_days"] == 7
    assert created["schedule"] == {"frequency": "weekly", "timezone": "Asia/Shanghai"}
    assert created["sampling"]["rate"] == "0.25" and created["sampling"]["min_per_agent"] == 2
    assert created["sampling"]["targeted"] == [{"rule": "low_csat", "max_csat": 2, "limit": None}, {"rule": "tag", "tag": "退款", "limit": 5}]
    assert created["scope"] == {"team_ids": ["billing"], "channels": [], "agent_ids": [], "tags": []}
    assert (await client.get(f"/v1/audit-plans/{created['id']}", headers=READER)).json() == created

    expected = {"standard_weekly": ("weekly", "0.1"), "small_team_monthly": ("monthly", "0.3"), "large_team_weekly": ("weekly", "0.15")}
    for preset, (frequency, rate) in expected.items():
        body = await create(client, preset=preset, schedule={"timezone": "Asia/Kolkata"}, sampling={"min_per_agent": 1})
        assert (body["schedule"]["frequency"], body["sampling"]["rate"], body["preset"]) == (frequency, rate, preset)
    presets = (await client.get("/v1/audit-plans/presets", headers=READER)).json()
    assert {item["name"]: (item["frequency"], item["rate"]) for item in presets} == expected

    patched = await client.patch(f"/v1/audit-plans/{created['id']}", json={"preset": "standard_weekly", "sampling": {"min_per_agent": 3}, "due_days": 3}, headers=WRITER)
    assert patched.status_code == 200, patched.json()
    assert (patched.json()["sampling"]["rate"], patched.json()["sampling"]["min_per_agent"], patched.json()["due_days"]) == ("0.1", 3, 3)
    conflicting = await client.patch(f"/v1/audit-plans/{created['id']}", json={"sampling": {"rate": "0.5"}}, headers=WRITER)
    assert conflicting.status_code == 422 and conflicting.json()["errors"][0]["field"] == "sampling.rate"
    custom = await client.patch(f"/v1/audit-plans/{created['id']}", json={"preset": None, "sampling": {"rate": "0.5"}}, headers=WRITER)
    assert custom.status_code == 200 and custom.json()["sampling"]["rate"] == "0.5" and custom.json()["schedule"]["frequency"] == "weekly"

    paused = await client.post(f"/v1/audit-plans/{created['id']}/pause", headers=WRITER)
    assert paused.json()["status"] == "paused"
    assert [item["id"] for item in (await client.get("/v1/audit-plans", params={"status": "paused"}, headers=READER)).json()["items"]] == [created["id"]]
    assert (await client.post(f"/v1/audit-plans/{created['id']}/resume", headers=WRITER)).json()["status"] == "active"

    seen, cursor = [], None
    while True:
        page = (await client.get("/v1/audit-plans", params={"limit": 2, **({"cursor": cursor} if cursor else {})}, headers=READER)).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 4 and seen[-1] == created["id"]
    assert (await client.get("/v1/audit-plans/nope", headers=READER)).status_code == 404
    assert (await client.post("/v1/audit-plans", json=plan_body(), headers=READER)).status_code == 403


async def test_every_bad_plan_is_a_422_naming_its_field(client):
    bad = [
        ({"name": ""}, "name"),
        ({"method": "secret_shopper"}, "method"),
        ({"scorecard_id": "x\x00"}, "scorecard_id"),
        ({"schedule": {"frequency": "hourly"}}, "schedule.frequency"),
        ({"schedule": {"frequency": "weekly", "timezone": "Mars/Olympus"}}, "schedule.timezone"),
        ({"schedule": {"timezone": "UTC"}}, "schedule.frequency"),
        ({"sampling": {"rate": 1.5}}, "sampling.rate"),
        ({"sampling": {"min_per_agent": 1}}, "sampling.rate"),
        ({"sampling": {"rate": 0.1, "min_per_agent": -1}}, "sampling.min_per_agent"),
        ({"sampling": {"rate": 0.1, "targeted": [{"rule": "low_csat", "max_csat": 9}]}}, "sampling.targeted[0].low_csat.max_csat"),
        ({"sampling": {"rate": 0.1, "targeted": [{"rule": "vip"}]}}, "sampling.targeted[0]"),
        ({"preset": "standard_weekly", "sampling": {"rate": 0.2}}, "sampling.rate"),
        ({"preset": "small_team_monthly", "schedule": {"frequency": "weekly"}}, "schedule.frequency"),
        ({"preset": "small_team_monthly", "schedule": {}, "sampling": {}, "scope": {"agent_ids": [f"A-{n}" for n in range(21)]}}, "preset"),
        ({"reviewers": []}, "reviewers"),
        ({"reviewers": [{"id": "Q-1"}, {"id": "Q-1"}]}, "reviewers[1].id"),
        ({"method": "peer", "reviewers": [{"id": "A-1", "team_id": "sales"}, {"id": "A-2"}]}, "reviewers[1].team_id"),
        ({"due_days": 0}, "due_days"),
        ({"colour": "red"}, "colour"),
    ]
    for fields, field in bad:
        response = await client.post("/v1/audit-plans", json=plan_body(**fields), headers=WRITER)
        assert response.status_code == 422, (fields, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["errors"][0]["field"] == field, (fields, response.json())


async def test_small_team_preset_counts_the_agents_seen_in_scope(client):
    now = utcnow()
    async with client.app.state.sessions() as session:
        await intake.record_closures(session, [closed(f"T-{n}", closed_at=now - timedelta(days=1), agent_id=f"A-{n}") for n in range(21)])
        await session.commit()
    refused = await client.post("/v1/audit-plans", json=plan_body(preset="small_team_monthly", schedule={}, sampling={}), headers=WRITER)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "preset" and "21" in refused.json()["detail"]
    other_team = await client.post("/v1/audit-plans", json=plan_body(preset="small_team_monthly", schedule={}, sampling={}, scope={"team_ids": ["sales"]}), headers=WRITER)
    assert other_team.status_code == 201
