"""/v1/targets and /v1/targets/status through the app with its evaluator running: CRUD and
validation, status values equal to the summary's (and to the closures fed), and each change
published once to csq.kpi across a restart, with the csq_kpi_target_breached gauge."""

import asyncio
import re
from datetime import timedelta
from fractions import Fraction

from csq_common.db import utcnow
from csq_testing import app_client, wait_until
from csq_testing.topics import published
from kpi_svc.main import create_app
from kpi_svc.read.service import METRICS
from tests.targets.factories import ADMIN, READER, closure, feed, target_body, target_events


async def test_an_admin_creates_changes_and_deletes_targets_that_readers_see(client):
    created = await client.post("/v1/targets", json=target_body(recovery_margin=5, recover_after=3), headers=ADMIN)
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["metric"], body["team_id"], body["agent_id"], body["recovery_margin"], body["breach_after"]) == ("fcr_pct", "billing", None, 5.0, 1)
    assert (await client.get(f"/v1/targets/{body['id']}", headers=READER)).json() == body
    assert [t["id"] for t in (await client.get("/v1/targets", headers=READER)).json()["items"]] == [body["id"]]
    assert (await client.post("/v1/targets", json=target_body(), headers=READER)).status_code == 403

    patched = await client.patch(f"/v1/targets/{body['id']}", json={"threshold": 75.5, "team_id": None, "channel": "chat"}, headers=ADMIN)
    assert patched.status_code == 200, patched.text
    assert (patched.json()["threshold"], patched.json()["team_id"], patched.json()["channel"]) == (75.5, None, "chat")
    assert (await client.patch(f"/v1/targets/{body['id']}", json={"threshold": 1}, headers=READER)).status_code == 403
    statuses = (await client.get("/v1/targets/status", headers=READER)).json()["items"]
    assert [(s["target"]["id"], s["target"]["threshold"]) for s in statuses] == [(body["id"], 75.5)]

    assert (await client.delete(f"/v1/targets/{body['id']}", headers=ADMIN)).status_code == 204
    assert (await client.get(f"/v1/targets/{body['id']}", headers=READER)).status_code == 404
    assert (await client.delete(f"/v1/targets/{body['id']}", headers=ADMIN)).status_code == 404
    assert (await client.get("/v1/targets/status", headers=READER)).json()["items"] == []


def test_every_metric_of_the_reads_can_be_a_target():
    """The metric list is read.service.METRICS itself, so metrics added there are accepted."""
    from kpi_svc.targets.schemas import TargetCreate
    from kpi_svc.targets.service import check_metric

    for metric in METRICS:
        assert check_metric(TargetCreate.model_validate(target_body(metric=metric)).metric) == metric


BAD_TARGETS = [
    ({"metric": "happiness"}, "metric"),
    ({"tz": "Mars/Olympus_Mons"}, "tz"),
    ({"direction": "above"}, "direction"),
    ({"window": "yesterday"}, "window"),
    ({"min_sample": 0}, "min_sample"),
    ({"recovery_margin": -1}, "recovery_margin"),
    ({"recover_after": 0}, "recover_after"),
    ({"threshold": "NaN"}, "threshold"),
    ({"team_id": "账单\x00组"}, "team_id"),
    ({"threshhold": 3}, "threshhold"),
]


async def test_a_bad_target_is_a_422_naming_the_field(client):
    for changes, field in BAD_TARGETS:
        response = await client.post("/v1/targets", json=target_body(**changes), headers=ADMIN)
        assert response.status_code == 422, (changes, response.text)
        assert [error["field"] for error in response.json()["errors"]] == [field], changes
    assert (await client.get("/v1/targets", headers=READER)).json()["items"] == []


async def test_a_bad_change_is_a_422_naming_the_field(client):
    target_id = (await client.post("/v1/targets", json=target_body(), headers=ADMIN)).json()["id"]
    for changes, field in (({"metric": "happiness"}, "metric"), ({"threshold": None}, "threshold"), ({"tz": "Nowhere/Else"}, "tz")):
        response = await client.patch(f"/v1/targets/{target_id}", json=changes, headers=ADMIN)
        assert response.status_code == 422 and response.json()["errors"][0]["field"] == field, response.text
    unknown = await client.get("/v1/targets/status", params={"state": "burning"}, headers=READER)
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "state"
    extra = await client.get("/v1/targets/status", params={"team": "billing"}, headers=READER)
    assert extra.status_code == 422 and extra.json()["errors"][0]["field"] == "team"


async def _evaluated(client, count: int):
    items = (await client.get("/v1/targets/status", headers=READER)).json()["items"]
    return items if len(items) == count and all(item["count"] == item["target"]["min_sample"] for item in items) else None


async def test_the_status_shows_the_values_and_counts_of_the_summary(settings):
    settings = settings.model_copy(update={"target_poll_seconds": 0.05})
    now = utcnow()
    fed = [closure(now - timedelta(minutes=2), first_contact=n % 3 != 0, channel="chat" if n % 2 else "email") for n in range(7)]
    fed += [closure(now - timedelta(minutes=2), first_contact=True, team="tech") for _ in range(4)]
    billing = fed[:7]
    oracle = {
        "fcr_pct": (float(Fraction(100 * sum(n % 3 != 0 for n in range(7)), 7)), 7),
        "tickets_closed": (11, 11),
        "fcr_pct@chat": (float(Fraction(100 * sum(n % 3 != 0 for n in range(7) if n % 2), 3) + 0), 3),
    }
    async with app_client(create_app, settings) as client:
        bodies = [
            target_body(window="rolling_1h", min_sample=len(billing)),
            target_body(metric="tickets_closed", team_id=None, threshold=5, direction="at_least", window="rolling_1h", min_sample=11),
            target_body(team_id=None, channel="chat", window="rolling_1h", min_sample=3, tz="Asia/Kolkata"),
        ]
        for body in bodies:
            assert (await client.post("/v1/targets", json=body, headers=ADMIN)).status_code == 201
        await feed(client.app.state.sessions, fed)
        items = await wait_until(lambda: _evaluated(client, 3), message="every target evaluated over the closures fed")
        for item, key in zip(items, ("fcr_pct", "tickets_closed", "fcr_pct@chat")):
            target = item["target"]
            params = {"from": item["window_start"], "to": item["window_end"]}
            params.update({name: target[name] for name in ("team_id", "agent_id", "channel") if target[name]})
            summary = (await client.get("/v1/kpis/summary", params=params, headers=READER)).json()
            assert (item["value"], item["count"]) == (summary["values"][target["metric"]], summary["counts"][target["metric"]]) == oracle[key]
            assert item["last_evaluated_at"] is not None
        assert [item["state"] for item in items] == [
            "breached" if oracle["fcr_pct"][0] < 80 else "ok", "ok", "breached" if oracle["fcr_pct@chat"][0] < 80 else "ok"
        ]


def _gauge(text: str, target_id: str) -> float | None:
    found = re.search(rf'csq_kpi_target_breached\{{[^}}]*target_id="{target_id}"[^}}]*\}} (\S+)', text)
    return float(found.group(1)) if found else None


async def _event_count(sessions, expected: int) -> bool:
    return len(await target_events(sessions)) == expected


async def test_across_a_restart_each_change_is_published_once_and_the_gauge_follows(settings):
    settings = settings.model_copy(update={"target_poll_seconds": 0.05})
    now = utcnow()
    async with app_client(create_app, settings) as client:
        target_id = (await client.post("/v1/targets", json=target_body(window="rolling_1h"), headers=ADMIN)).json()["id"]
        sessions = client.app.state.sessions
        await feed(sessions, [closure(now - timedelta(minutes=1), first_contact=False) for _ in range(5)])
        await wait_until(lambda: _event_count(sessions, 1), message="breach staged")
        await wait_until(lambda: _gauge_is(client, target_id, 1.0), message="gauge at 1")
        await asyncio.sleep(0.5)  # several more rounds
    async with app_client(create_app, settings) as client:
        sessions = client.app.state.sessions
        await wait_until(lambda: _gauge_is(client, target_id, 1.0), message="gauge at 1 after the restart")
        await asyncio.sleep(0.5)
        assert len(await target_events(sessions)) == 1
        await feed(sessions, [closure(now - timedelta(minutes=1), first_contact=True) for _ in range(25)])
        await wait_until(lambda: _event_count(sessions, 2), message="recovery staged")
        await wait_until(lambda: _gauge_is(client, target_id, 0.0), message="gauge back at 0")
        await asyncio.sleep(0.5)
        records = [(key, event) for key, event in await published(client.app, settings, "kpi") if event.type.startswith("kpi.target_")]
        assert [(key, event.type) for key, event in records] == [(target_id, "kpi.target_breached"), (target_id, "kpi.target_recovered")]
        assert [event.data["value"] for _, event in records] == [0.0, float(Fraction(100 * 25, 30))]
        assert (await client.delete(f"/v1/targets/{target_id}", headers=ADMIN)).status_code == 204
        await wait_until(lambda: _gauge_is(client, target_id, None), message="gauge label removed with the target")


async def _gauge_is(client, target_id: str, expected: float | None) -> bool:
    return _gauge((await client.get("/metrics")).text, target_id) == expected
