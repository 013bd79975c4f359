"""The scorecard, appraisal-rule and appraisal endpoints through HTTP: shapes, scopes, a
correction shown with its original, and 422s naming the field."""

from datetime import datetime, timedelta

from csq_common.events import TicketClosed, TicketFirstResponded
from kpi_svc.consumers import handle_events
from tests.factories import event, snapshot

T = datetime.fromisoformat
ADMIN = {"Authorization": "Bearer admin-key"}
READER = {"Authorization": "Bearer reader-key"}
RULE = {
    "name": "月度服务之星", "period": "month", "tz": "Asia/Shanghai", "min_sample": 2,
    "weights": [{"metric": "frt_avg_seconds", "weight": 1, "lower": 0, "upper": 600}],
}


async def close_tickets(client, agent: str, team: str, frts: list[int], day: str = "2026-11-10") -> None:
    created = T(f"{day}T02:00:00+00:00")
    events = []
    for number, frt in enumerate(frts):
        tid = f"T-{agent}-{day}-{number}-{frt}"
        snap = snapshot(tid, team, agent, "chat", created, first_response_at=created + timedelta(seconds=frt),
                        closed_at=created + timedelta(hours=1), contact_count=1)
        events += [event(TicketFirstResponded, snap, created + timedelta(seconds=frt)), event(TicketClosed, snap, created + timedelta(hours=1))]
    async with client.app.state.sessions() as session:
        await handle_events(session, events)
        await session.commit()


async def test_rules_runs_and_corrections_through_http(client):
    await close_tickets(client, "坐席-甲", "售后一组", [60, 120])  # mean 90 s → 85 points: B
    await close_tickets(client, "坐席-乙", "售后一组", [300, 420, 540])  # mean 420 s → 30 points: D
    await close_tickets(client, "坐席-丙", "售后一组", [0])  # one ticket: below the minimum sample
    created = await client.post("/v1/appraisal-rules", json=RULE, headers=ADMIN)
    assert created.status_code == 201, created.text
    rule = created.json()
    assert rule["weights"] == [{"metric": "frt_avg_seconds", "weight": 1.0, "lower": 0.0, "upper": 600.0, "direction": "lower_is_better"}]
    assert [b["grade"] for b in rule["grades"]] == ["A", "B", "C", "D"] and rule["sample_metric"] == "tickets_closed"
    assert (await client.get(f"/v1/appraisal-rules/{rule['id']}", headers=READER)).json() == rule
    assert (await client.get("/v1/appraisal-rules", headers=READER)).json()["items"] == [rule]
    assert (await client.post("/v1/appraisal-rules", json=RULE, headers=READER)).status_code == 403

    params = {"rule_id": rule["id"], "period": "2026-11"}
    assert (await client.post("/v1/appraisals/run", params=params, headers=READER)).status_code == 403
    ran = await client.post("/v1/appraisals/run", params=params, headers=ADMIN)
    assert ran.status_code == 200, ran.text
    assert {k: ran.json()[k] for k in ("from", "to", "agents", "teams", "new", "corrected")} == {
        "from": "2026-10-31T16:00:00Z", "to": "2026-11-30T16:00:00Z", "agents": 3, "teams": 1, "new": 4, "corrected": 0}
    listed = (await client.get("/v1/appraisals", params=params, headers=READER)).json()
    rows = {item["subject_id"]: item for item in listed["items"]}
    assert [item["subject_id"] for item in listed["items"]] == ["售后一组", "坐席-甲", "坐席-乙", "坐席-丙"]
    assert (rows["坐席-甲"]["grade"], rows["坐席-甲"]["total"], rows["坐席-甲"]["service_star"]) == ("B", 85.0, True)
    assert (rows["坐席-乙"]["grade"], rows["坐席-乙"]["coaching_suggested"]) == ("D", True)
    assert (rows["坐席-丙"]["eligible"], rows["坐席-丙"]["grade"], rows["坐席-丙"]["total"]) == (False, None, 100.0)
    assert rows["坐席-甲"]["inputs"] == {"frt_avg_seconds": {"value": 90.0, "count": 2, "score": 85.0, "weight": 1.0}}

    await close_tickets(client, "坐席-甲", "售后一组", [900, 900], day="2026-11-29")  # late: mean 495 s → 17.5: D
    again = (await client.post("/v1/appraisals/run", params=params, headers=ADMIN)).json()
    assert (again["new"], again["corrected"], again["unchanged"]) == (0, 3, 1)  # 甲, 乙 (now the star), the team
    rows = {item["subject_id"]: item for item in (await client.get("/v1/appraisals", params=params, headers=READER)).json()["items"]}
    first = rows["坐席-甲"]
    assert (first["revision"], first["correction"], first["grade"], first["total"]) == (2, True, "D", 17.5)
    assert first["differences"]["grade"] == ["B", "D"] and first["differences"]["service_star"] == [True, False]
    assert (first["original"]["revision"], first["original"]["grade"], first["original"]["total"]) == (1, "B", 85.0)
    assert rows["坐席-乙"]["differences"] == {"service_star": [False, True]} and rows["坐席-丙"]["revision"] == 1

    team_only = (await client.get("/v1/appraisals", params={**params, "subject_type": "team"}, headers=READER)).json()
    assert [item["subject_id"] for item in team_only["items"]] == ["售后一组"]


async def test_the_scorecard_through_http(client):
    await close_tickets(client, "坐席-甲", "售后一组", [60, 120])
    await close_tickets(client, "坐席-甲", "售后一组", [30], day="2026-11-03")
    params = {"from": "2026-11-08T00:00:00+08:00", "to": "2026-11-15T00:00:00+08:00", "tz": "Asia/Shanghai"}
    response = await client.get("/v1/agents/坐席-甲/scorecard", params=params, headers=READER)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["agent_id"], body["team_id"], body["team_source"]) == ("坐席-甲", "售后一组", "most_closures")
    assert (body["from"], body["previous_from"], body["previous_to"]) == (
        "2026-11-08T00:00:00+08:00", "2026-11-01T00:00:00+08:00", "2026-11-08T00:00:00+08:00")
    frt = next(line for line in body["metrics"] if line["metric"] == "frt_avg_seconds")
    assert {k: frt[k] for k in ("value", "count", "team_value", "previous_value", "change", "improved", "target")} == {
        "value": 90.0, "count": 2, "team_value": 90.0, "previous_value": 30.0, "change": 60.0, "improved": False, "target": None}


async def test_bad_input_is_422_naming_the_field(client):
    cases = [
        ({**RULE, "period": "week"}, "period"),
        ({**RULE, "tz": "Mars/Olympus"}, "tz"),
        ({**RULE, "sample_metric": "vibes"}, "sample_metric"),
        ({**RULE, "weights": [{"metric": "vibes", "weight": 1, "lower": 0, "upper": 1}]}, "weights[0].metric"),
        ({**RULE, "weights": [{"metric": "fcr_pct", "weight": 1, "lower": 5, "upper": 5}]}, "weights[0].upper"),
        ({**RULE, "weights": [{"metric": "fcr_pct", "weight": 1, "lower": 0, "upper": 9, "direction": "up"}]}, "weights[0].direction"),
        ({**RULE, "grades": [{"grade": "A", "min_score": 50}, {"grade": "B", "min_score": 60}, {"grade": "C", "min_score": 0}]}, "grades[1].min_score"),
        ({**RULE, "grades": [{"grade": "A", "min_score": 50}]}, "grades[0].min_score"),
    ]
    for body, field in cases:
        response = await client.post("/v1/appraisal-rules", json=body, headers=ADMIN)
        assert response.status_code == 422 and response.json()["errors"][0]["field"] == field, (field, response.text)
    rule = (await client.post("/v1/appraisal-rules", json=RULE, headers=ADMIN)).json()
    for params, status, field in [({"rule_id": "nope", "period": "2026-11"}, 404, None),
                                  ({"rule_id": rule["id"], "period": "2026-13"}, 422, "period"),
                                  ({"rule_id": rule["id"], "period": "2026-11", "extra": "1"}, 422, None)]:
        response = await client.post("/v1/appraisals/run", params=params, headers=ADMIN)
        assert response.status_code == status, response.text
        if field:
            assert response.json()["errors"][0]["field"] == field
    scorecard = "/v1/agents/A-1/scorecard"
    for params, field in [({"from": "2026-11-08T00:00:00Z", "to": "2026-11-01T00:00:00Z"}, "to"),
                          ({"from": "2026-11-01T00:00:00Z", "to": "2026-11-08T00:00:00Z", "tz": "Nowhere"}, "tz"),
                          ({"from": "0001-01-01T00:00:00Z", "to": "0001-02-01T00:00:00Z"}, "from")]:
        response = await client.get(scorecard, params=params, headers=READER)
        assert response.status_code == 422 and response.json()["errors"][0]["field"] == field, (params, response.text)
