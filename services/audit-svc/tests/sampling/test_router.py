"""Cycles and assignments through HTTP: run a period, read the sample, reassign, complete, and
the dashboard per reviewer."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from csq_common.db import utcnow
from audit_svc.sampling import assignments as assignment_service
from audit_svc.sampling.periods import period_containing
from audit_svc.tickets import service as intake
from tests.plans.factories import READER, WRITER, plan_body
from tests.tickets.factories import closed


async def test_cycle_assignments_reassign_complete_and_dashboard(client):
    now = utcnow()
    today = now.astimezone(ZoneInfo("Asia/Shanghai")).date()  # the plan's zone, not UTC's date
    last_week = period_containing("weekly", "Asia/Shanghai", today - timedelta(days=7))
    tickets = [closed(f"T-{n:03d}", closed_at=last_week.start + timedelta(hours=n), agent_id=f"A-{n % 4}", team_id="billing" if n % 4 < 2 else "sales") for n in range(40)]
    async with client.app.state.sessions() as session:
        await intake.record_closures(session, tickets)
        await session.commit()
    reviewers = [{"id": "A-0", "team_id": "billing", "goal": 10}, {"id": "A-2", "team_id": "sales", "goal": 10}, {"id": "Q-9", "team_id": "qa"}]
    body = plan_body(method="peer", scope={}, sampling={"rate": "1"}, reviewers=reviewers, due_days=2)
    plan_id = (await client.post("/v1/audit-plans", json=body, headers=WRITER)).json()["id"]

    ran = await client.post(f"/v1/audit-plans/{plan_id}/cycles", json={"period": last_week.first_day.isoformat(), "seed": 7}, headers=WRITER)
    assert ran.status_code == 201, ran.text
    cycle = ran.json()
    assert cycle["seed"] == 7 and cycle["trigger"] == "api" and cycle["counts"]["sampled"] == 40 and cycle["counts"]["unassigned"] == 0
    assert (datetime.fromisoformat(cycle["period_start"]), datetime.fromisoformat(cycle["period_end"])) == (last_week.start, last_week.end)
    again = await client.post(f"/v1/audit-plans/{plan_id}/cycles", json={"period": last_week.first_day.isoformat()}, headers=WRITER)
    assert again.status_code == 409 and again.json()["cycle_id"] == cycle["id"]
    current = await client.post(f"/v1/audit-plans/{plan_id}/cycles", json={"period": today.isoformat()}, headers=WRITER)
    assert current.status_code == 422 and current.json()["errors"][0]["field"] == "period"
    # A period reaching outside the calendar: the week of 9999-12-31 ends in the year 10000, and
    # Shanghai's midnight of 0001-01-01 is in the year 0 in UTC.
    for day in ("9999-12-31", "0001-01-01"):
        outside = await client.post(f"/v1/audit-plans/{plan_id}/cycles", json={"period": day}, headers=WRITER)
        assert outside.status_code == 422 and [e["field"] for e in outside.json()["errors"]] == ["period"], (day, outside.text)
    huge = await client.post(f"/v1/audit-plans/{plan_id}/cycles", json={"period": "2026-01-05", "seed": 2**60}, headers=WRITER)
    assert huge.status_code == 422 and huge.json()["errors"][0]["field"] == "seed"

    earlier = await client.post(f"/v1/audit-plans/{plan_id}/cycles", json={"period": (last_week.first_day - timedelta(days=7)).isoformat()}, headers=WRITER)
    assert earlier.status_code == 201 and earlier.json()["counts"]["population"] == 0
    first_page = (await client.get(f"/v1/audit-plans/{plan_id}/cycles", params={"limit": 1}, headers=READER)).json()
    second_page = (await client.get(f"/v1/audit-plans/{plan_id}/cycles", params={"limit": 1, "cursor": first_page["next_cursor"]}, headers=READER)).json()
    assert [item["id"] for item in first_page["items"] + second_page["items"]] == [cycle["id"], earlier.json()["id"]]
    assert second_page["next_cursor"] is None
    assert (await client.get("/v1/audit-plans/nope/cycles", headers=READER)).status_code == 404
    detail = (await client.get(f"/v1/cycles/{cycle['id']}", headers=READER)).json()
    team = {"A-0": "billing", "A-2": "sales", "Q-9": "qa"}
    assignments = detail["assignments"]
    assert len(assignments) == 40
    assert all(item["reviewer_id"] != item["agent_id"] and team[item["reviewer_id"]] != item["team_id"] for item in assignments)
    assert {datetime.fromisoformat(item["due_at"]) for item in assignments} == {last_week.end + timedelta(days=2)}

    billing_ticket = next(item for item in assignments if item["team_id"] == "billing")
    own_team = await client.post(f"/v1/assignments/{billing_ticket['id']}/reassign", json={"reviewer_id": "A-0"}, headers=WRITER)
    assert own_team.status_code == 422 and own_team.json()["errors"][0]["field"] == "reviewer_id"
    stranger = await client.post(f"/v1/assignments/{billing_ticket['id']}/reassign", json={"reviewer_id": "Z-1"}, headers=WRITER)
    assert stranger.status_code == 422 and stranger.json()["errors"][0]["field"] == "reviewer_id"
    target = "Q-9" if billing_ticket["reviewer_id"] != "Q-9" else "A-2"
    moved = await client.post(f"/v1/assignments/{billing_ticket['id']}/reassign", json={"reviewer_id": target}, headers=WRITER)
    assert moved.status_code == 200 and (moved.json()["reviewer_id"], moved.json()["reassigned_from"]) == (target, billing_ticket["reviewer_id"])

    done = await client.post(f"/v1/assignments/{billing_ticket['id']}/complete", json={"review_id": "RV-1"}, headers=WRITER)
    assert done.status_code == 200 and done.json()["status"] == "done" and done.json()["review_id"] == "RV-1"
    assert (await client.post(f"/v1/assignments/{billing_ticket['id']}/complete", json={"review_id": "RV-1"}, headers=WRITER)).status_code == 200
    assert (await client.post(f"/v1/assignments/{billing_ticket['id']}/complete", json={"review_id": "RV-2"}, headers=WRITER)).status_code == 409
    assert (await client.post(f"/v1/assignments/{billing_ticket['id']}/reassign", json={"reviewer_id": "A-2"}, headers=WRITER)).status_code == 409
    assert (await client.post("/v1/assignments/nope/complete", json={"review_id": "RV-3"}, headers=WRITER)).status_code == 404

    board = (await client.get("/v1/assignments/dashboard", params={"plan_id": plan_id}, headers=READER)).json()
    rows = {row["reviewer_id"]: row for row in board["reviewers"]}
    assert list(rows) == ["A-0", "A-2", "Q-9"] and board["unassigned"] == 0
    assert sum(row["assigned"] for row in rows.values()) == 40 and sum(row["done"] for row in rows.values()) == 1
    overdue_expected = last_week.end + timedelta(days=2) < now
    assert rows[target]["done"] == 1 and rows[target]["open"] == rows[target]["assigned"] - 1
    assert all(row["overdue"] == (row["open"] if overdue_expected else 0) for row in rows.values())
    assert rows["A-0"]["goal"] == 10 and rows["Q-9"]["goal"] is None
    # Overdue pinned on both sides of the due time (the HTTP answer above uses today's clock).
    due = last_week.end + timedelta(days=2)
    async with client.app.state.sessions() as session:
        before = await assignment_service.dashboard(session, plan_id, now=due - timedelta(seconds=1))
        after = await assignment_service.dashboard(session, plan_id, now=due + timedelta(seconds=1))
    assert sum(row["open"] for row in after["reviewers"]) == 39
    assert [row["overdue"] for row in before["reviewers"]] == [0, 0, 0]
    assert [row["overdue"] for row in after["reviewers"]] == [row["open"] for row in after["reviewers"]]

    mine = (await client.get("/v1/assignments", params={"reviewer_id": target, "status": "done"}, headers=READER)).json()
    assert [item["id"] for item in mine["items"]] == [billing_ticket["id"]]
    assert (await client.get("/v1/assignments/dashboard", params={"plan_id": "nope"}, headers=READER)).status_code == 404
