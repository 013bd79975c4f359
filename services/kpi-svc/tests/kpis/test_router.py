from datetime import datetime, timedelta

from csq_common.events import TicketClosed, TicketFirstResponded
from kpi_svc.consumers import handle_events
from tests.factories import event, snapshot

T = datetime.fromisoformat
READER = {"Authorization": "Bearer reader-key"}


async def seed(client):
    created = T("2026-11-21T09:00:00+00:00")
    events = []
    for number, (team, frt, handle, contacts) in enumerate(
        [("billing", 60, 300.0, 1), ("billing", 180, None, 2), ("tech", 120, 600.0, 1)]
    ):
        snap = snapshot(
            f"T-{number}", team, f"A-{number}", "email", created,
            first_response_at=created + timedelta(seconds=frt), closed_at=created + timedelta(hours=1),
            handle_seconds=handle, contact_count=contacts,
        )
        events += [
            event(TicketFirstResponded, snap, created + timedelta(seconds=frt)),
            event(TicketClosed, snap, created + timedelta(hours=1)),
        ]
    async with client.app.state.sessions() as session:
        await handle_events(session, events)
        await session.commit()


async def test_summary_happy_path_with_filters_and_widened_window(client):
    await seed(client)
    response = await client.get(
        "/v1/kpis/summary",
        params={"from": "2026-11-21T16:50:00+08:00", "to": "2026-11-21T10:01:00Z", "team_id": "billing"},
        headers=READER,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["from"] == "2026-11-21T08:45:00Z" and body["to"] == "2026-11-21T10:15:00Z"
    assert body["filters"] == {"team_id": "billing", "agent_id": None, "channel": None, "dimension": None}
    assert body["values"]["tickets_closed"] == 2
    assert body["values"]["frt_avg_seconds"] == 120.0
    assert abs(body["values"]["frt_p90_seconds"] - 60.0) <= 0.6  # rank 0.9 → the first of two
    assert body["values"]["resolution_avg_seconds"] == 3600.0
    assert body["values"]["aht_seconds"] == 300.0
    assert body["values"]["fcr_pct"] == 50.0
    assert body["values"]["reopen_pct"] == 0.0
    assert body["counts"]["aht_seconds"] == 1 and body["counts"]["frt_avg_seconds"] == 2

    overall = (await client.get(
        "/v1/kpis/summary", params={"from": "2026-11-21T00:00:00Z", "to": "2026-11-22T00:00:00Z"}, headers=READER
    )).json()
    assert overall["values"]["tickets_closed"] == 3 and overall["values"]["aht_seconds"] == 450.0
    agent = (await client.get(
        "/v1/kpis/summary",
        params={"from": "2026-11-21T00:00:00Z", "to": "2026-11-22T00:00:00Z", "agent_id": "A-2", "channel": "email"},
        headers=READER,
    )).json()
    assert agent["values"]["tickets_closed"] == 1 and agent["values"]["frt_avg_seconds"] == 120.0


async def test_summary_requires_an_api_key(client):
    params = {"from": "2026-11-21T00:00:00Z", "to": "2026-11-22T00:00:00Z"}
    response = await client.get("/v1/kpis/summary", params=params)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert (await client.get("/v1/kpis/summary", params=params, headers={"Authorization": "Bearer nope"})).status_code == 401


async def test_bad_input_is_422_naming_the_field(client):
    cases = [
        ({"to": "2026-11-22T00:00:00Z"}, "from"),
        ({"from": "2026-11-21T00:00:00Z"}, "to"),
        ({"from": "2026-11-22T00:00:00Z", "to": "2026-11-22T00:00:00Z"}, "to"),
        ({"from": "2026-11-22T00:00:00Z", "to": "2026-11-21T00:00:00Z"}, "to"),
        ({"from": "2026-11-21T00:00:00", "to": "2026-11-22T00:00:00Z"}, "from"),
        ({"from": "2026-11-21T00:00:00Z", "to": "2026-11-22T00:00:00"}, "to"),
        ({"from": "garbage", "to": "2026-11-22T00:00:00Z"}, "from"),
        ({"from": "2024-01-01T00:00:00Z", "to": "2026-11-22T00:00:00Z"}, "to"),
        ({"from": "2026-11-21T00:00:00Z", "to": "2026-11-22T00:00:00Z", "team_id": "x" * 201}, "team_id"),
        # No UTC value: year 0 once the +12:19 is taken off, year 10000 once the -12:00 is.
        ({"from": "0001-01-01T00:01:00+12:19", "to": "0001-01-02T00:00:00Z"}, "from"),
        ({"from": "9999-12-31T00:00:00Z", "to": "9999-12-31T23:59:59-12:00"}, "to"),
    ]
    for params, field in cases:
        response = await client.get("/v1/kpis/summary", params=params, headers=READER)
        assert response.status_code == 422, (params, response.text)
        body = response.json()
        assert response.headers["content-type"].startswith("application/problem+json")
        assert [e["field"] for e in body["errors"]] == [field], (params, body)
        assert body["detail"].startswith(f"{field}:")


async def test_empty_window_gives_null_metrics(client):
    response = await client.get(
        "/v1/kpis/summary", params={"from": "2030-01-01T00:00:00Z", "to": "2030-01-02T00:00:00Z"}, headers=READER
    )
    assert response.status_code == 200
    body = response.json()
    counted = {"tickets_closed", "complaints", "calls_offered"}  # counts of things: 0, not null
    assert all(body["values"][name] == 0 for name in counted)
    assert all(value is None for name, value in body["values"].items() if name not in counted)
    assert set(body["counts"].values()) == {0}


async def test_unknown_query_parameters_and_unstorable_filters_are_422s_naming_them(client):
    window = {"from": "2026-11-21T00:00:00Z", "to": "2026-11-22T00:00:00Z"}
    misspelt = await client.get("/v1/kpis/summary", params={**window, "chanel": "email", "team": "billing"}, headers=READER)
    assert misspelt.status_code == 422 and misspelt.headers["content-type"] == "application/problem+json"
    assert [error["field"] for error in misspelt.json()["errors"]] == ["chanel", "team"]
    for name in ("team_id", "agent_id", "channel", "dimension"):
        response = await client.get("/v1/kpis/summary", params={**window, name: "x\x00"}, headers=READER)
        assert response.status_code == 422, (name, response.text)
        assert [error["field"] for error in response.json()["errors"]] == [name]
