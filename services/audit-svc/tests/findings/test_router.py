"""Findings, corrective actions (PDCA) and coaching through HTTP."""

from datetime import datetime, timedelta, timezone

from csq_common.db import utcnow
from tests.findings.factories import READER, WRITER, finding_body, outbox_events


async def test_a_raised_finding_publishes_finding_raised_with_the_design_fields(client, settings):
    created = await client.post("/v1/findings", json=finding_body(), headers=WRITER)
    assert created.status_code == 201, created.text
    finding = created.json()
    assert finding["status"] == "open" and finding["due_at"] == "2026-12-20T02:00:00Z"
    [(topic, key, event)] = await outbox_events(client.app.state.sessions, "audit.finding_raised")
    assert (topic, key, event.subject) == (settings.topic("audits"), finding["id"], finding["id"])
    assert event.data == {
        "schema_version": 1, "finding_id": finding["id"], "review_id": "RV-1", "severity": 3, "category": "合规用语",
        "agent_id": "A-7", "team_id": "billing", "owner_id": "L-1", "due_at": "2026-12-20T02:00:00Z", "raised_at": event.data["raised_at"],
    }
    manual = await client.post("/v1/findings", json=finding_body(source="on_site_audit", review_id=None, reference="门店巡检-0412", agent_id=None), headers=WRITER)
    assert manual.status_code == 201 and manual.json()["reference"] == "门店巡检-0412"
    listed = (await client.get("/v1/findings", params={"agent_id": "A-7"}, headers=READER)).json()
    assert [item["id"] for item in listed["items"]] == [finding["id"]]

    bad = [
        ({"severity": 5}, "severity"),
        ({"source": "rumour"}, "source"),
        ({"review_id": None}, "review_id"),
        ({"category": ""}, "category"),
        ({"owner_id": None}, "owner_id"),
        ({"due_at": "2026-12-20T10:00:00"}, "due_at"),
    ]
    for fields, field in bad:
        response = await client.post("/v1/findings", json=finding_body(**fields), headers=WRITER)
        assert response.status_code == 422 and response.json()["errors"][0]["field"] == field, (fields, response.text)


async def test_corrective_action_plan_do_check_act_and_closing_the_finding(client):
    finding = (await client.post("/v1/findings", json=finding_body(), headers=WRITER)).json()
    due = (utcnow() + timedelta(days=14)).isoformat()
    made = await client.post(f"/v1/findings/{finding['id']}/actions", json={"owner_id": "L-1", "plan": "全组复训身份核验流程", "due_at": due}, headers=WRITER)
    assert made.status_code == 201, made.text
    action = made.json()
    assert action["status"] == "open" and action["evidence"] is None
    early = await client.post(f"/v1/actions/{action['id']}/verify", json={"verifier_id": "QA-2", "effective": True}, headers=WRITER)
    assert early.status_code == 409
    assert (await client.post(f"/v1/findings/{finding['id']}/close", headers=WRITER)).status_code == 409

    done = await client.post(f"/v1/actions/{action['id']}/evidence", json={"evidence": "11月25日培训签到表，覆盖18人"}, headers=WRITER)
    assert done.json()["status"] == "done"
    by_owner = await client.post(f"/v1/actions/{action['id']}/verify", json={"verifier_id": "L-1", "effective": True}, headers=WRITER)
    assert by_owner.status_code == 422 and by_owner.json()["errors"][0]["field"] == "verifier_id"
    kpi = {
        "metric": "qa_score_avg",
        "before": {"from": "2026-10-01T00:00:00Z", "to": "2026-11-01T00:00:00Z", "value": 78.5},
        "after": {"from": "2026-11-01T00:00:00Z", "to": "2026-12-01T00:00:00Z", "value": 86.0},
    }
    overlapping = {**kpi, "after": {**kpi["after"], "from": "2026-10-15T00:00:00Z"}}
    refused = await client.post(f"/v1/actions/{action['id']}/verify", json={"verifier_id": "QA-2", "effective": True, "kpi": overlapping}, headers=WRITER)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "kpi.after.from"
    backwards = {**kpi, "before": {**kpi["before"], "to": "2026-09-01T00:00:00Z"}}
    refused = await client.post(f"/v1/actions/{action['id']}/verify", json={"verifier_id": "QA-2", "effective": True, "kpi": backwards}, headers=WRITER)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "kpi.before"
    # An instant with no UTC counterpart (year 0 once its +12:19 offset is taken off) is a 422 too.
    before_year_one = {**kpi, "before": {**kpi["before"], "from": "0001-01-01T00:01:00+12:19"}}
    refused = await client.post(f"/v1/actions/{action['id']}/verify", json={"verifier_id": "QA-2", "effective": True, "kpi": before_year_one}, headers=WRITER)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "kpi.before.from"

    ineffective = await client.post(f"/v1/actions/{action['id']}/verify", json={"verifier_id": "QA-2", "effective": False, "note": "分数未改善"}, headers=WRITER)
    assert ineffective.status_code == 200 and ineffective.json()["status"] == "open" and ineffective.json()["effective"] is False
    await client.patch(f"/v1/actions/{action['id']}", json={"plan": "一对一辅导", "due_at": due}, headers=WRITER)
    await client.post(f"/v1/actions/{action['id']}/evidence", json={"evidence": "辅导记录"}, headers=WRITER)
    verified = await client.post(f"/v1/actions/{action['id']}/verify", json={"verifier_id": "QA-2", "effective": True, "kpi": kpi}, headers=WRITER)
    assert verified.status_code == 200, verified.text
    body = verified.json()
    assert (body["status"], body["verifier_id"], body["effective"]) == ("verified", "QA-2", True)
    assert body["kpi"]["after"]["value"] == 86.0 and datetime.fromisoformat(body["kpi"]["before"]["from"]) == datetime(2026, 10, 1, tzinfo=timezone.utc)
    assert (await client.patch(f"/v1/actions/{action['id']}", json={"due_at": due}, headers=WRITER)).status_code == 409
    assert (await client.patch(f"/v1/actions/{action['id']}", json={"due_at": None}, headers=WRITER)).status_code == 409

    closed = await client.post(f"/v1/findings/{finding['id']}/close", headers=WRITER)
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    detail = (await client.get(f"/v1/findings/{finding['id']}", headers=READER)).json()
    assert [item["id"] for item in detail["actions"]] == [action["id"]]
    late = await client.post(f"/v1/findings/{finding['id']}/actions", json={"owner_id": "L-1", "plan": "x", "due_at": due}, headers=WRITER)
    assert late.status_code == 409


async def test_coaching_from_a_finding_about_an_agent(client):
    finding = (await client.post("/v1/findings", json=finding_body(), headers=WRITER)).json()
    due = (utcnow() + timedelta(days=7)).isoformat()
    made = await client.post(f"/v1/findings/{finding['id']}/coaching", json={"topic": "身份核验话术", "due_at": due, "coach_id": "L-1"}, headers=WRITER)
    assert made.status_code == 201, made.text
    item = made.json()
    assert (item["agent_id"], item["review_ids"], item["status"]) == ("A-7", ["RV-1"], "open")
    assert (await client.post(f"/v1/coaching/{item['id']}/follow-up", json={"review_id": "RV-9"}, headers=WRITER)).status_code == 409
    other = await client.post(f"/v1/coaching/{item['id']}/acknowledge", json={"agent_id": "A-8"}, headers=WRITER)
    assert other.status_code == 422 and other.json()["errors"][0]["field"] == "agent_id"
    acknowledged = await client.post(f"/v1/coaching/{item['id']}/acknowledge", json={"agent_id": "A-7"}, headers=WRITER)
    assert acknowledged.json()["status"] == "acknowledged" and acknowledged.json()["acknowledged_at"] is not None
    completed = await client.post(f"/v1/coaching/{item['id']}/follow-up", json={"review_id": "RV-9"}, headers=WRITER)
    assert completed.json()["status"] == "completed" and completed.json()["follow_up_review_id"] == "RV-9"
    mine = (await client.get("/v1/coaching", params={"agent_id": "A-7"}, headers=READER)).json()
    assert [entry["id"] for entry in mine["items"]] == [item["id"]]

    no_agent = (await client.post("/v1/findings", json=finding_body(agent_id=None), headers=WRITER)).json()
    refused = await client.post(f"/v1/findings/{no_agent['id']}/coaching", json={"topic": "x", "due_at": due}, headers=WRITER)
    assert refused.status_code == 409
    assert (await client.get("/v1/coaching/nope", headers=READER)).status_code == 404
