"""GET /v1/kpis/summary with survey KPIs and the ``dimension`` filter, through HTTP."""

from datetime import datetime, timedelta

from csq_common.events import TicketClosed
from kpi_svc.consumers import handle_events
from tests.factories import event, snapshot
from tests.survey_factories import answered, invited

T = datetime.fromisoformat
READER = {"Authorization": "Bearer reader-key"}
DAY = {"from": "2026-11-21T00:00:00Z", "to": "2026-11-22T00:00:00Z"}


async def seed(client):
    at = T("2026-11-21T09:00:00+00:00")
    events = [event(TicketClosed, snapshot("T-1", "billing", "A-1", "email", at, closed_at=at), at)]
    for number in range(4):  # billing: four invitations, three answered
        events.append(invited(f"I-{number}", at, "billing", "A-1", "email"))
    answers = [
        [("csat", "attitude", 5), ("nps", "overall", 10), ("ces", "problem_solving", 2)],
        [("csat", "attitude", 3), ("csat", "overall", 4), ("nps", "overall", 6)],
        [("csat", "response_speed", 1), ("nps", "overall", 8), ("rating", "attitude", 9)],
    ]
    for number, items in enumerate(answers):
        events.append(answered(f"R-{number}", at + timedelta(minutes=30), items, "billing", "A-1", "email",
                               invitation_id=f"I-{number}", invited_at=at))
    events.append(answered("R-tech", at, [("csat", "attitude", 5)], "tech", "A-3", "chat",
                           invitation_id="I-tech", invited_at=at))  # its invitation never arrived
    async with client.app.state.sessions() as session:
        await handle_events(session, events)
        await session.commit()


async def get(client, **params):
    return await client.get("/v1/kpis/summary", params={**DAY, **params}, headers=READER)


async def test_summary_shows_survey_kpis_beside_ticket_kpis(client):
    await seed(client)
    body = (await get(client, team_id="billing")).json()
    assert body["filters"] == {"team_id": "billing", "agent_id": None, "channel": None, "dimension": None}
    values, counts = body["values"], body["counts"]
    assert values["tickets_closed"] == 1
    assert values["csat_pct"] == 50.0 and counts["csat_pct"] == 4  # 5 and 4 of 5, 3, 4, 1
    assert values["nps"] == 0.0 and counts["nps"] == 3  # one promoter, one passive, one detractor
    assert values["ces_avg"] == 2.0 and counts["ces_avg"] == 1
    assert values["survey_response_pct"] == 75.0 and counts["survey_response_pct"] == 4

    everyone = (await get(client)).json()
    assert everyone["values"]["csat_pct"] == 60.0 and everyone["counts"]["csat_pct"] == 5
    assert everyone["values"]["survey_response_pct"] == 100.0  # 4 answered (one uninvited so far) / 4
    tech = (await get(client, team_id="tech")).json()
    assert tech["values"]["csat_pct"] == 100.0
    assert tech["values"]["survey_response_pct"] is None and tech["counts"]["survey_response_pct"] == 0


async def test_the_dimension_filter_restricts_the_answer_kpis_and_leaves_out_the_rest(client):
    await seed(client)
    response = await get(client, team_id="billing", dimension="attitude")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["filters"]["dimension"] == "attitude"
    assert body["values"] == {"csat_pct": 50.0, "nps": None, "ces_avg": None}  # the rating answer has no KPI
    assert body["counts"] == {"csat_pct": 2, "nps": 0, "ces_avg": 0}
    overall = (await get(client, agent_id="A-1", channel="email", dimension="overall")).json()
    assert overall["values"] == {"csat_pct": 100.0, "nps": 0.0, "ces_avg": None}
    assert overall["counts"] == {"csat_pct": 1, "nps": 3, "ces_avg": 0}
    custom = (await get(client, dimension="after-sales_2")).json()
    assert custom["values"] == {"csat_pct": None, "nps": None, "ces_avg": None}
    unfiltered = (await get(client, dimension="")).json()  # empty means "not filtered", like the others
    assert unfiltered["filters"]["dimension"] is None and "tickets_closed" in unfiltered["values"]


async def test_survey_kpis_are_null_without_data(client):
    response = await client.get(
        "/v1/kpis/summary", params={"from": "2030-01-01T00:00:00Z", "to": "2030-01-02T00:00:00Z"}, headers=READER
    )
    assert response.status_code == 200
    body = response.json()
    for name in ("csat_pct", "nps", "ces_avg", "survey_response_pct"):
        assert body["values"][name] is None and body["counts"][name] == 0


async def test_a_bad_dimension_is_422_naming_it(client):
    for bad in ("Attitude", "response speed", "1st", "-x", "x" * 51, "attitude;drop"):
        response = await get(client, dimension=bad)
        assert response.status_code == 422, (bad, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        body = response.json()
        assert [e["field"] for e in body["errors"]] == ["dimension"], (bad, body)
        assert body["detail"].startswith("dimension:")
