"""The series, breakdown, peak-hours and leaderboard endpoints through HTTP: shapes, RFC 3339
offsets of the zone, every bucket listed, and 422s naming the parameter."""

from datetime import datetime, timedelta

from csq_common.events import TicketClosed, TicketFirstResponded
from kpi_svc.consumers import handle_events
from tests.factories import event, snapshot

T = datetime.fromisoformat
READER = {"Authorization": "Bearer reader-key"}


async def seed(client):
    """Three tickets on 21 November (Kathmandu, +05:45): two for billing, one for tech."""
    created = T("2026-11-21T09:00:00+00:00")
    events = []
    for number, (team, frt) in enumerate([("billing", 60), ("billing", 180), ("tech", 120)]):
        snap = snapshot(
            f"T-{number}", team, f"A-{number}", "email", created,
            first_response_at=created + timedelta(seconds=frt), closed_at=created + timedelta(hours=1), contact_count=1,
        )
        events += [event(TicketFirstResponded, snap, created + timedelta(seconds=frt)), event(TicketClosed, snap, created + timedelta(hours=1))]
    async with client.app.state.sessions() as session:
        await handle_events(session, events)
        await session.commit()


async def get(client, path, **params):
    return await client.get(f"/v1/kpis/{path}", params=params, headers=READER)


async def test_series_lists_every_bucket_with_the_zones_offset(client):
    await seed(client)
    response = await get(
        client, "series", metric="tickets_closed", interval="day", tz="Asia/Kathmandu",
        **{"from": "2026-11-20T00:00:00+05:45", "to": "2026-11-23T00:00:00+05:45"}, group_by="team_id",
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["metric"], body["interval"], body["tz"]) == ("tickets_closed", "day", "Asia/Kathmandu")
    assert body["from"] == "2026-11-20T00:00:00+05:45" and body["to"] == "2026-11-23T00:00:00+05:45"
    assert [group["key"] for group in body["groups"]] == [{"team_id": "billing"}, {"team_id": "tech"}]
    billing = body["groups"][0]["points"]
    assert [p["start"] for p in billing] == [f"2026-11-{d}T00:00:00+05:45" for d in (20, 21, 22)]
    assert [(p["value"], p["count"]) for p in billing] == [(None, 0), (2, 2), (None, 0)]

    ungrouped = (await get(
        client, "series", metric="frt_avg_seconds", interval="hour", tz="Asia/Kolkata",
        **{"from": "2026-11-21T14:00:00+05:30", "to": "2026-11-21T17:00:00+05:30"},
    )).json()
    assert [g["key"] for g in ungrouped["groups"]] == [{}]
    points = ungrouped["groups"][0]["points"]
    assert [p["start"] for p in points] == ["2026-11-21T14:00:00+05:30", "2026-11-21T15:00:00+05:30", "2026-11-21T16:00:00+05:30"]
    assert [(p["value"], p["count"]) for p in points] == [(120.0, 3), (None, 0), (None, 0)]  # 09:01-09:03 UTC

    one = (await get(client, "series", metric="tickets_closed", interval="day", **{"from": "2030-01-07T00:00:00Z", "to": "2030-01-08T00:00:00Z"})).json()
    assert one["groups"] == [{"key": {}, "points": [{"start": "2030-01-07T00:00:00Z", "value": None, "count": 0}]}]
    empty = (await get(client, "series", metric="csat_pct", interval="week", **{"from": "2030-01-07T00:00:00Z", "to": "2030-01-21T00:00:00Z"})).json()
    assert empty["tz"] == "UTC"
    assert [(p["start"], p["value"], p["count"]) for p in empty["groups"][0]["points"]] == [
        ("2030-01-07T00:00:00Z", None, 0), ("2030-01-14T00:00:00Z", None, 0)
    ]


async def test_series_bad_input_is_422_naming_the_parameter(client):
    good = {"metric": "tickets_closed", "interval": "day", "tz": "Asia/Kolkata",
            "from": "2026-11-20T00:00:00+05:30", "to": "2026-11-22T00:00:00+05:30"}
    cases = [
        ({"from": "2026-11-20T00:00:00Z"}, "from"),  # 05:30 in Kolkata: not a day boundary there
        ({"to": "2026-11-22T00:15:00+05:30"}, "to"),
        ({"interval": "week"}, "from"),  # a Friday
        ({"interval": "month", "from": "2026-11-01T00:00:00+05:30", "to": "2026-11-15T00:00:00+05:30"}, "to"),
        ({"interval": "hour", "from": "2026-11-20T00:30:00+05:30"}, "from"),
        ({"interval": "hour", "from": "2026-01-01T00:00:00+05:30", "to": "2026-03-01T00:00:00+05:30"}, "to"),  # 1416 buckets
        ({"interval": "minute"}, "interval"),
        ({"tz": "Mars/Olympus"}, "tz"),
        ({"tz": "../../etc/passwd"}, "tz"),
        ({"metric": "happiness"}, "metric"),
        ({"group_by": "customer"}, "group_by"),
        ({"to": "2026-11-20T00:00:00+05:30"}, "to"),
        ({"from": "2024-01-01T00:00:00+05:30"}, "to"),  # more than 400 days
        ({"tz": "Asia/Kolkata\x00"}, "tz"),
        ({"metrics": "tickets_closed"}, "metrics"),  # not a parameter of series
    ]
    for change, field in cases:
        response = await client.get("/v1/kpis/series", params={**good, **change}, headers=READER)
        assert response.status_code == 422, (change, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert [e["field"] for e in response.json()["errors"]] == [field], (change, response.json())
    assert (await client.get("/v1/kpis/series", params=good)).status_code == 401


async def test_breakdown_peak_hours_and_leaderboard_shapes(client):
    await seed(client)
    window = {"from": "2026-11-21T00:00:00Z", "to": "2026-11-22T00:00:00Z"}
    body = (await get(client, "breakdown", by="team_id", metrics="tickets_closed,frt_avg_seconds,csat_pct", **window)).json()
    assert body["from"] == "2026-11-21T00:00:00Z" and body["by"] == "team_id" and body["next_cursor"] is None
    assert body["rows"] == [
        {"key": "billing", "values": {"tickets_closed": 2, "frt_avg_seconds": 120.0, "csat_pct": None},
         "counts": {"tickets_closed": 2, "frt_avg_seconds": 2, "csat_pct": 0}},
        {"key": "tech", "values": {"tickets_closed": 1, "frt_avg_seconds": 120.0, "csat_pct": None},
         "counts": {"tickets_closed": 1, "frt_avg_seconds": 1, "csat_pct": 0}},
    ]
    peak = (await get(client, "peak-hours", metric="tickets_closed", tz="Asia/Shanghai", **window)).json()
    assert peak["tz"] == "Asia/Shanghai" and peak["from"] == "2026-11-21T08:00:00+08:00" and len(peak["cells"]) == 168
    busy = [c for c in peak["cells"] if c["count"]]
    assert busy == [{"weekday": 6, "hour": 18, "value": 3, "count": 3}]  # Saturday 10:00 UTC = 18:00 in Shanghai
    board = (await get(client, "leaderboard", metric="frt_avg_seconds", min_count=1, **window)).json()
    assert board["direction"] == "lower_is_better" and board["min_count"] == 1 and board["below_min_count"] == 0
    assert [(r["rank"], r["agent_id"], r["value"]) for r in board["rows"]] == [(1, "A-0", 60.0), (2, "A-2", 120.0), (3, "A-1", 180.0)]
    default = (await get(client, "leaderboard", metric="frt_avg_seconds", **window)).json()
    assert default["min_count"] == 20 and default["rows"] == [] and default["below_min_count"] == 3


async def test_breakdown_peak_hours_and_leaderboard_bad_input_is_422_naming_the_parameter(client):
    window = {"from": "2026-11-21T00:00:00Z", "to": "2026-11-22T00:00:00Z"}
    cases = [
        ("breakdown", {"by": "customer"}, "by"),
        ("breakdown", {}, "by"),
        ("breakdown", {"by": "team_id", "metrics": "tickets_closed,nope"}, "metrics"),
        ("breakdown", {"by": "team_id", "metrics": "tickets_closed", "sort": "csat_pct"}, "sort"),
        ("breakdown", {"by": "team_id", "order": "up"}, "order"),
        ("breakdown", {"by": "team_id", "limit": "0"}, "limit"),
        ("breakdown", {"by": "team_id", "cursor": "garbage"}, "cursor"),
        ("breakdown", {"by": "team_id", "to": "2026-11-20T00:00:00Z"}, "to"),
        ("peak-hours", {"metric": "tickets_closed", "tz": "Asia/Kolkata"}, "from"),  # 05:30 local
        ("peak-hours", {"metric": "tickets_closed", "tz": "Nowhere/Else"}, "tz"),
        ("peak-hours", {"metric": "bogus"}, "metric"),
        ("peak-hours", {"metric": "tickets_closed", "to": "2026-11-21T00:30:00Z"}, "to"),
        ("leaderboard", {"metric": "bogus"}, "metric"),
        ("leaderboard", {"metric": "fcr_pct", "min_count": "0"}, "min_count"),
        ("leaderboard", {"metric": "fcr_pct", "team_id": "x" * 201}, "team_id"),
    ]
    for path, params, field in cases:
        response = await get(client, path, **{**window, **params})
        assert response.status_code == 422, (path, params, response.text)
        assert [e["field"] for e in response.json()["errors"]] == [field], (path, params, response.json())


async def test_windows_at_the_ends_of_the_calendar_are_422s_not_500s(client):
    for params, field in [
        ({"from": "0001-01-01T00:00:00Z", "to": "0001-01-02T00:00:00Z", "tz": "America/New_York"}, "from"),
        ({"from": "9999-12-31T00:00:00Z", "to": "9999-12-31T23:00:00Z", "tz": "Asia/Tokyo", "interval": "hour"}, "to"),
        ({"from": "9999-12-01T00:00:00Z", "to": "9999-12-31T00:00:00Z", "interval": "month"}, "to"),
    ]:
        response = await get(client, "series", metric="tickets_closed", **{"interval": "day", **params})
        assert response.status_code == 422, (params, response.text)
        assert [e["field"] for e in response.json()["errors"]] == [field], (params, response.json())
    response = await get(client, "peak-hours", metric="tickets_closed", tz="Pacific/Kiritimati",
                         **{"from": "9999-12-31T00:00:00Z", "to": "9999-12-31T10:00:00Z"})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "to", response.text
