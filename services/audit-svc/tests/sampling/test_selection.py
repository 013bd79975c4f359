"""The sampling rule as a pure function: reproducibility, exact rates, minimum per agent,
targeted rules, and who may review what."""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal

from audit_svc.sampling.distribution import distribute
from audit_svc.sampling.selection import Candidate, choose, random_count

AT = datetime(2026, 11, 18, tzinfo=timezone.utc)


def population(count: int, agents: int = 40) -> list[Candidate]:
    return [
        Candidate(
            ticket_id=f"T-{n:05d}", agent_id=f"A-{n % agents}", team_id="billing" if n % 2 else "sales", channel="chat", closed_at=AT,
            lowest_csat=1 if n % 97 == 0 else None, complaint=n % 101 == 0, tags=("refund",) if n % 3 == 0 else (),
        )
        for n in range(count)
    ]


def test_same_seed_same_sample_in_any_input_order_and_another_seed_another():
    tickets = population(3000)
    rule = {"rate": Decimal("0.1"), "min_per_agent": 2, "targeted": [{"rule": "low_csat", "max_csat": 2, "limit": 10}]}
    first = choose(tickets, seed=42, **rule)
    again = choose(list(reversed(tickets)), seed=42, **rule)
    other = choose(tickets, seed=43, **rule)
    assert first.reasons == again.reasons
    assert set(first.reasons) != set(other.reasons)


def test_random_part_is_exactly_round_rate_times_n_halves_up():
    assert [random_count(Decimal("0.5"), n) for n in (1, 3, 5)] == [1, 2, 3]  # 0.5, 1.5, 2.5 all round up
    for count, rate in ((3000, "0.1"), (2999, "0.1234"), (4001, "0.15"), (1500, "0.3"), (2000, "0"), (2000, "1")):
        sample = choose(population(count), rate=Decimal(rate), min_per_agent=0, targeted=[], seed=count)
        expected = int(Decimal(rate) * count + Decimal("0.5"))
        assert len(sample.reasons) == sample.count("random") == expected, (count, rate)


def test_minimum_per_agent_tops_up_as_far_as_an_agent_has_tickets():
    tickets = population(2000, agents=40) + [
        Candidate(ticket_id=f"S-{n}", agent_id="A-single", team_id="sales", channel="chat", closed_at=AT) for n in range(1)
    ]
    sample = choose(tickets, rate=Decimal("0.02"), min_per_agent=3, targeted=[], seed=5)
    per_agent = Counter(ticket.agent_id for ticket in sample.candidates)
    assert per_agent["A-single"] == 1
    assert all(per_agent[f"A-{n}"] >= 3 for n in range(40))
    assert sample.count("random") == 40  # round(0.02 × 2001)
    assert sample.count("minimum") == len(sample.candidates) - 40 > 0


def test_targeted_rules_add_every_match_or_at_most_their_limit():
    tickets = population(3000)
    low = {ticket.ticket_id for ticket in tickets if ticket.lowest_csat == 1}
    complaints = {ticket.ticket_id for ticket in tickets if ticket.complaint}
    sample = choose(
        tickets, rate=Decimal("0"), min_per_agent=0, seed=1,
        targeted=[{"rule": "low_csat", "max_csat": 2}, {"rule": "complaint", "limit": 5}, {"rule": "tag", "tag": "missing"}],
    )
    assert {tid for tid, reasons in sample.reasons.items() if "low_csat" in reasons} == low
    assert len({tid for tid, reasons in sample.reasons.items() if "complaint" in reasons} - low) == 5
    assert len(sample.reasons) == len(low) + 5
    tagged = choose(tickets, rate=Decimal("0"), min_per_agent=0, seed=1, targeted=[{"rule": "tag", "tag": "refund"}])
    assert all(reasons == ["tag:refund"] for reasons in tagged.reasons.values()) and len(tagged.reasons) == 1000


@dataclass
class Ticket:
    ticket_id: str
    agent_id: str
    team_id: str


def test_nobody_gets_their_own_tickets_peers_never_their_own_team_and_loads_balance():
    tickets = [Ticket(f"T-{n:04d}", f"A-{n % 6}", "billing" if n % 6 < 3 else "sales") for n in range(600)]
    reviewers = [{"id": "A-0", "team_id": "billing"}, {"id": "A-3", "team_id": "sales"}, {"id": "Q-1", "team_id": "qa"}]
    internal = distribute(tickets, reviewers, method="internal")
    assert all(internal[t.ticket_id] != t.agent_id for t in tickets)
    loads = Counter(internal.values())
    assert max(loads.values()) - min(loads.values()) <= 1 and sum(loads.values()) == 600

    peer = distribute(tickets, reviewers[:2], method="peer")
    team = {"A-0": "billing", "A-3": "sales"}
    assert all(team[peer[t.ticket_id]] != t.team_id for t in tickets)

    goals = distribute(tickets, [{"id": "Q-1", "goal": 10}, {"id": "Q-2", "goal": 30}, {"id": "Q-3"}], method="internal")
    assert Counter(goals.values()) == {"Q-1": 100, "Q-2": 300, "Q-3": 200}  # Q-3 counts with the mean goal, 20

    alone = distribute([Ticket("T-1", "Q-1", "qa")], [{"id": "Q-1"}], method="internal")
    assert alone == {"T-1": None}
