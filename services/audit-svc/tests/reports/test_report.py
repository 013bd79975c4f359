"""GET /v1/audits/report against the oracle of tests/reports/programme.py, on both backends:
totals, per-category scores, root causes, coverage against the plan's rate, filters, and the
corrective actions open and overdue."""

from datetime import timedelta

import pytest

from csq_common.db import utcnow
from audit_svc.findings import actions, service as findings
from audit_svc.findings.schemas import ActionCreate, Evidence, FindingCreate
from tests.findings.factories import finding_body
from tests.reports import programme as oracle
from tests.reports.programme import END, START, report
from tests.scorecards.factories import READER


async def test_figures_match_the_oracle(client, generated):
    result = await report(client)
    chosen = oracle.matching(generated, START, END)
    # The programme holds what the rules are about: a re-scored review, a calibration review,
    # all-N/A reviews, critical fails, and a review just before the window.
    assert any(not review.counts for review in generated.given)
    assert result["summary"]["reviews"] - result["summary"]["scored_reviews"] == 2
    assert result["summary"]["critical_fails"] >= 3
    assert result["summary"] == oracle.review_figures(generated, chosen)

    categories = {row["key"]: row for row in result["categories"]}
    for key, figures in oracle.category_figures(generated, chosen).items():
        assert {name: categories[key][name] for name in figures} == figures, key
    assert [row["key"] for row in result["categories"]] == ["greeting", "verify_identity", "accuracy", "empathy", "upsell"]
    assert categories["greeting"]["titles"] == {"zh-CN": "开场问候", "en": "Greeting"}
    assert categories["verify_identity"]["critical"] and categories["upsell"]["bonus"]
    critical = oracle.category_figures(generated, chosen)["verify_identity"]
    assert categories["verify_identity"]["critical_fail_pct"] == oracle.rounded(oracle.Fraction(100 * critical["critical_fails"], critical["answered"]))

    causes = {(row["category"], row["root_cause"]): row["count"] for row in result["root_causes"]}
    assert causes == dict(oracle.root_cause_counts(chosen))
    assert [row["count"] for row in result["root_causes"]] == sorted(causes.values(), reverse=True)


async def test_the_disputed_review_counts_once_with_its_new_score(client, generated):
    disputed = [review for review in generated.given if review.ticket_id == "T-104"]
    assert len(disputed) == 1
    result = await report(client, agent_id="A-3")
    assert result["summary"] == oracle.review_figures(generated, oracle.matching(generated, START, END, agent_id="A-3"))
    listed = (await client.get("/v1/reviews", params={"agent_id": "A-3", "limit": 200}, headers=READER)).json()["items"]
    assert [review["version"] for review in listed if review["ticket_id"] == "T-104"] == [2]


@pytest.mark.parametrize(
    "filters",
    [
        {"agent_id": "A-2"},
        {"team_id": "sales"},
        {"method": "peer"},
        {"plan": 1},
        {"plan": 0, "team_id": "billing"},
        {"category": "empathy"},
    ],
)
async def test_filters_select_the_same_reviews_as_the_oracle(client, generated, filters):
    filters = dict(filters)
    if "plan" in filters:
        filters["plan_id"] = generated.plans[filters.pop("plan")]
    result = await report(client, **filters)
    chosen = oracle.matching(generated, START, END, **filters)
    assert result["summary"] == oracle.review_figures(generated, chosen)
    assert result["filters"] == {name: filters.get(name) for name in ("plan_id", "method", "team_id", "agent_id", "scorecard_id", "category")}
    if "category" in filters:
        assert [row["key"] for row in result["categories"]] == [filters["category"]]
        assert {(row["category"]) for row in result["root_causes"]} <= {filters["category"]}


async def test_coverage_per_agent_against_the_plans_rate(client, generated):
    everything = await report(client)
    expected = oracle.coverage(generated, START, END)
    assert {row["agent_id"]: (row["closed_tickets"], row["reviewed_tickets"]) for row in everything["coverage"]["agents"]} == expected
    assert everything["coverage"]["total"]["closed_tickets"] == sum(closed for closed, _ in expected.values())
    assert all(row["target_pct"] is None and row["meets_target"] is None for row in everything["coverage"]["agents"])
    for row in everything["coverage"]["agents"]:
        closed, reviewed = expected[row["agent_id"]]
        assert row["coverage_pct"] == oracle.rounded(oracle.Fraction(100 * reviewed, closed))

    weekly = generated.plans[0]
    planned = await report(client, plan_id=weekly)
    assert planned["plan"]["sampling_rate"] == "0.15" and planned["plan"]["target_pct"] == 15.0
    # The weekly plan's scope is the billing team: only its agents' closures are its population.
    expected = oracle.coverage(generated, START, END, plan_id=weekly, team_id="billing")
    rows = {row["agent_id"]: row for row in planned["coverage"]["agents"]}
    assert {agent: (row["closed_tickets"], row["reviewed_tickets"]) for agent, row in rows.items()} == expected
    for agent, (closed, reviewed) in expected.items():
        assert rows[agent]["target_pct"] == 15.0
        assert rows[agent]["meets_target"] == (oracle.Fraction(reviewed, closed) >= oracle.Fraction(15, 100))


async def test_open_and_overdue_actions(client):
    now = utcnow()
    async with client.app.state.sessions() as session:
        billing = await findings.raise_finding(session, FindingCreate.model_validate(finding_body()), topic="test.audits", author="t", now=now)
        sales = await findings.raise_finding(session, FindingCreate.model_validate(finding_body(team_id="sales", agent_id="A-4")), topic="test.audits", author="t", now=now)
        for owner, due in (("L-1", -timedelta(days=2)), ("L-1", timedelta(days=3)), ("L-2", -timedelta(hours=1))):
            await actions.create_action(session, billing.id, ActionCreate(owner_id=owner, plan="组织合规话术复训并抽查", due_at=now + due), now=now)
        done = await actions.create_action(session, billing.id, ActionCreate(owner_id="L-3", plan="更新知识库退款时效条目", due_at=now - timedelta(days=1)), now=now)
        await actions.record_evidence(session, done.id, Evidence(evidence="知识库已更新，附截图"), now=now)
        await actions.create_action(session, sales.id, ActionCreate(owner_id="L-9", plan="销售组话术培训", due_at=now - timedelta(days=1)), now=now)
        await session.commit()

    result = await report(client, team_id="billing")
    figures = result["actions"]
    assert (figures["open"], figures["overdue"], figures["awaiting_verification"]) == (3, 2, 1)
    assert figures["by_owner"] == [
        {"owner_id": "L-1", "open": 2, "overdue": 1, "awaiting_verification": 0},
        {"owner_id": "L-2", "open": 1, "overdue": 1, "awaiting_verification": 0},
        {"owner_id": "L-3", "open": 0, "overdue": 0, "awaiting_verification": 1},
    ]
    everyone = (await report(client))["actions"]
    assert (everyone["open"], everyone["overdue"]) == (4, 3)
    # An empty window still answers, with nulls where there is nothing to average.
    assert result["summary"] == {"reviews": 0, "scored_reviews": 0, "mean_score": None, "critical_fails": 0, "critical_fail_pct": None}
