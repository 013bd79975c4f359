"""Next-response SLA timers from ticket.message_added (zh-CN and English texts), on both backends:
one timer per customer wait, met at the agent's reply or missed at the due time, paused in a paused
status, withdrawn when a late customer message moves the wait's start, cancelled by a resolution
before the target; shown in /v1/sla/open, notified once, counted in sla_next_response_pct; and
generated conversations fed in random batch cuts against an oracle written from the definition."""

import asyncio
import random
from datetime import datetime, timedelta

from csq_common.events import TicketAssigned, TicketCreated, TicketResolved
from kpi_svc.kpis.service import kpi_summary
from kpi_svc.read.service import breakdown
from kpi_svc.sla.notices import publish_notices
from kpi_svc.sla.service import open_timers
from tests.conversation_factories import message_event
from tests.conversation_oracle import Message
from tests.sla.factories import add_policy, count_due, feed, outbox_events, ticket_event, timers
from tests.sla_oracle import SlaOutcome, sla_kpis

T = datetime.fromisoformat
C = T("2026-11-23T10:00:00+08:00")
TOPIC = "csq.kpi"
TEXTS = {"customer": ["您好，请问退款什么时候到账？", "Any update on my refund?", "在吗？"],
         "agent": ["您好，退款已原路退回，预计 1-3 个工作日到账。", "Thanks for waiting, it ships today."]}


def at(minutes: float) -> datetime:
    return C + timedelta(minutes=minutes)


def message(number: int, role: str, minute: float, ticket_id: str = "T-1", author: str | None = None):
    author = author or ("A-1" if role == "agent" else None)
    text = TEXTS[role][number % len(TEXTS[role])]
    return message_event(Message(ticket_id, f"{ticket_id}-M{number}", role, author, True, at(minute)), "wechat", text)


def status(minute: float, value: str, ticket_id: str = "T-1"):
    return ticket_event(TicketAssigned, ticket_id, at(minute), C, status=value, team="售后一组", agent="坐席-甲", channel="wechat")


async def next_response_timers(sessions, ticket_id: str = "T-1") -> list[tuple]:
    return [(t.started_at, t.state, t.due_at, t.stopped_at) for t in (await timers(sessions)).get((ticket_id, "next_response"), [])]


async def pct(sessions, start: float = -60, end: float = 600) -> tuple[float | None, int]:
    async with sessions() as session:
        summary = await kpi_summary(session, start=at(start), end=at(end))
    return summary.values["sla_next_response_pct"], summary.counts["sla_next_response_pct"]


async def notices(sessions, now: datetime) -> None:
    async with sessions() as session:
        await publish_notices(session, topic=TOPIC, now=now, warning_before=timedelta(minutes=3), limit=100)
        await session.commit()


async def test_a_conversation_worked_by_hand(sessions):
    await add_policy(sessions, C - timedelta(days=1), first_response_seconds=3600, next_response_seconds=600, resolution_seconds=86400)
    await feed(sessions, ticket_event(TicketCreated, "T-1", C, C, status="open", team="售后一组", agent="坐席-甲", channel="wechat"))
    # 10:01 and 10:03 the customer writes; 10:08 the agent answers: met (7 minutes).
    await feed(sessions, message(1, "customer", 1), message(2, "customer", 3))
    assert await next_response_timers(sessions) == [(at(1), "running", at(11), None)]
    async with sessions() as session:
        shown, _ = await open_timers(session, team_id="售后一组", limit=50, cursor=None, now=at(5))
    assert [(t.metric, t.started_at, t.due_at, t.seconds_left) for t in shown if t.metric == "next_response"] == [
        ("next_response", at(1), at(11), 360.0)
    ]
    await feed(sessions, message(3, "agent", 8))
    # 10:20 a new wait; pending 10:22-10:27 moves its due time to 10:35; answered 10:40: missed.
    await feed(sessions, message(4, "customer", 20), status(22, "pending"), status(27, "open"), message(5, "agent", 40))
    assert await next_response_timers(sessions) == [(at(1), "met", None, at(8)), (at(20), "missed", at(35), at(40))]
    assert await pct(sessions) == (50.0, 2)

    # 10:50 a third wait, unanswered: due 11:00, breached once (two workers), counted by the worker.
    await feed(sessions, message(6, "customer", 50))
    await asyncio.gather(notices(sessions, at(58)), notices(sessions, at(58)))
    assert await pct(sessions) == (50.0, 2)
    await count_due(sessions, at(61))
    await asyncio.gather(notices(sessions, at(61)), notices(sessions, at(61)))
    assert await pct(sessions) == (100 / 3, 3)
    warned = [e.data for _, _, e in await outbox_events(sessions, "sla.warning") if e.data["metric"] == "next_response"]
    breached = [e.data for _, _, e in await outbox_events(sessions, "sla.breached") if e.data["metric"] == "next_response"]
    assert [w["due_at"] for w in warned] == ["2026-11-23T03:00:00Z"]
    assert [(b["ticket_id"], b["team_id"], b["due_at"]) for b in breached] == [
        ("T-1", "售后一组", "2026-11-23T02:35:00Z"), ("T-1", "售后一组", "2026-11-23T03:00:00Z")
    ]

    # A customer message of 10:45 arrives late: the wait ran from 10:45, due 10:55; the 10:50 timer is withdrawn.
    await feed(sessions, message(7, "customer", 45))
    assert (await next_response_timers(sessions))[2:] == [(at(45), "running", at(55), None), (at(50), "cancelled", None, None)]
    assert await pct(sessions) == (50.0, 2)  # the moved due time counts once the worker sees it
    await count_due(sessions, at(61))
    assert (await pct(sessions), await pct(sessions, 45, 60), await pct(sessions, 60, 75)) == ((100 / 3, 3), (0.0, 1), (None, 0))

    # A resolution ends a wait short of its target unmeasured; one past its target stays missed.
    await feed(sessions, message(8, "customer", 70, ticket_id="T-2"))
    await feed(sessions, ticket_event(TicketCreated, "T-2", at(60), at(60), status="open", team="售后一组", channel="wechat"),
               ticket_event(TicketResolved, "T-2", at(75), at(60), status="solved", resolved_at=at(75)))
    await feed(sessions, ticket_event(TicketResolved, "T-1", at(90), C, status="solved", resolved_at=at(90), team="售后一组",
                                      agent="坐席-甲", channel="wechat"))
    assert await next_response_timers(sessions, "T-2") == [(at(70), "cancelled", None, at(75))]
    assert (await next_response_timers(sessions))[2] == (at(45), "missed", at(55), at(90))
    assert await pct(sessions) == (100 / 3, 3)
    async with sessions() as session:
        shown, _ = await open_timers(session, team_id=None, limit=50, cursor=None, now=at(95))
        by_channel = await breakdown(session, start=at(-60), end=at(600), by="channel", metrics="sla_next_response_pct")
    assert [t for t in shown if t.metric == "next_response"] == []
    assert [(row.key, row.values, row.counts) for row in by_channel.rows if row.counts["sla_next_response_pct"]] == [
        ("wechat", {"sla_next_response_pct": 100 / 3}, {"sla_next_response_pct": 3})
    ]


def conversation(rng: random.Random, ticket_id: str, start: float) -> list[tuple[str, float, str | None]]:
    """(role, minute, author) of one conversation: rounds of customer messages, each answered (or
    not) by one of two agents some minutes later; now and then a reply at a customer message's
    very instant."""
    out, minute = [], start
    for _ in range(rng.randrange(1, 5)):
        minute += rng.randrange(1, 30)
        out.append(("customer", minute, None))
        for _ in range(rng.randrange(0, 3)):
            minute += rng.randrange(0, 4)
            out.append(("customer", minute, None))
        if rng.random() < 0.85:
            minute += rng.choice([0, 2, 5, 9, 10, 11, 25])
            out.append(("agent", minute, rng.choice(["A-1", "坐席-乙"])))
    return out


def oracle_waits(thread: list[tuple[str, float, str | None]], target: float, team, channel) -> list[SlaOutcome]:
    """Straight from the definition: a wait runs from the first customer message after the last
    reply (one at a reply's very instant is answered by it, without a wait of its own) to the next
    reply; met within the target, else missed at start + target (all long past due by now). An
    answered wait is the replying agent's, on the reply's channel (wechat); one never answered is
    the ticket's agent's (坐席-甲), on the ticket's channel."""
    outcomes, waiting, last_reply = [], None, None
    for role, minute, author in sorted(thread, key=lambda item: (item[1], item[0] == "customer")):
        if role == "customer":
            if (last_reply is None or minute > last_reply) and waiting is None:
                waiting = minute
            continue
        last_reply = minute
        if waiting is not None and waiting < minute:
            met = minute - waiting <= target
            outcomes.append(SlaOutcome("next_response", at(minute if met else waiting + target), team, author, "wechat", met))
        waiting = None if waiting is not None and waiting <= minute else waiting
    if waiting is not None:
        outcomes.append(SlaOutcome("next_response", at(waiting + target), team, "坐席-甲", channel, False))
    return outcomes


async def test_generated_conversations_in_any_batch_cut_match_the_oracle(sessions):
    """The same conversations fed three times (as one batch, one message per batch, and cut at
    random; shuffled within each batch) under other ticket ids: each run matches the oracle."""
    rng = random.Random(23)
    await add_policy(sessions, C - timedelta(days=1), next_response_seconds=600)
    threads = []
    for number in range(30):
        team, channel, start = rng.choice(["售后一组", "billing"]), rng.choice(["wechat", "email"]), rng.randrange(0, 600)
        threads.append((number, team, channel, start, conversation(rng, f"R-{number}", start)))
    runs = {"one batch": None, "one message per batch": "each", "random cuts": "random"}
    everything: list[SlaOutcome] = []  # the outcomes of the runs before: the agents and channels are shared
    for run, cutting in enumerate(runs.values()):
        events, outcomes = [], []
        for number, team, channel, start, thread in threads:
            ticket_id, dims = f"R{run}-{number}", {"team": f"{run}:{team}", "channel": channel}
            await feed(sessions, ticket_event(TicketCreated, ticket_id, at(start), at(start), status="open", agent="坐席-甲", **dims))
            events += [(minute, message(index, role, minute, ticket_id, author)) for index, (role, minute, author) in enumerate(thread)]
            outcomes += oracle_waits(thread, 10, dims["team"], channel)
        events.sort(key=lambda item: item[0])
        if cutting is None:
            cuts = []
        elif cutting == "each":
            cuts = list(range(1, len(events)))
        else:
            cuts = sorted(rng.sample(range(1, len(events)), 12))
        for begin, end in zip([0, *cuts], [*cuts, len(events)]):
            batch = [e for _, e in events[begin:end]]
            rng.shuffle(batch)  # within a batch, delivery order does not matter
            await feed(sessions, *batch)
        await count_due(sessions, at(5000))
        for by, dimension in (("team_id", "team"), ("agent_id", "agent"), ("channel", "channel")):
            async with sessions() as session:
                table = await breakdown(session, start=at(-60), end=at(1500), by=by, metrics="sla_next_response_pct")
            got = {
                row.key: (row.values["sla_next_response_pct"], row.counts["sla_next_response_pct"])
                for row in table.rows if row.counts["sla_next_response_pct"]
            }
            want = {}
            for key in {getattr(o, dimension) for o in everything + outcomes}:
                values, counts = sla_kpis([o for o in everything + outcomes if getattr(o, dimension) == key], at(-60), at(1500))
                want[key] = (values["sla_next_response_pct"], counts["sla_next_response_pct"])
            assert got == want, (list(runs)[run], by)
        everything += outcomes


def escalated_conversation(rng: random.Random, ticket_id: str, start: int) -> tuple[list[tuple[float, object]], list[tuple]]:
    """A conversation of a normal ticket escalated to urgent half the time, at some half minute:
    its events as (minute, event) and its expected next-response timers (start, policy, state,
    due, stop): a wait answered at or after the escalation under the urgent policy (4 minutes),
    before it under the normal one (10 minutes), a wait still open under the latest priority."""
    minute, waits, events = float(start), [], []
    for _ in range(rng.randrange(2, 5)):
        asked = minute + rng.randrange(1, 6)
        minute = asked + rng.choice((3, 5, 7, 12))
        waits.append((asked, minute))
    if rng.random() < 0.5:
        waits.append((minute + rng.randrange(1, 6), None))  # the customer's last message, unanswered
    escalated = start + rng.randrange(0, int(waits[-1][0]) - start + 8) + 0.5 if rng.random() < 0.7 else None
    fields = {"team": "售后一组", "agent": "坐席-甲", "channel": "wechat"}
    events.append((start, ticket_event(TicketCreated, ticket_id, at(start), at(start), status="open", priority="normal", **fields)))
    if escalated is not None:
        events.append((escalated, ticket_event(TicketAssigned, ticket_id, at(escalated), at(start), status="open", priority="urgent", **fields)))
    expected = []
    for number, (asked, replied) in enumerate(waits):
        events.append((asked, message(2 * number, "customer", asked, ticket_id)))
        moment = replied if replied is not None else float("inf")
        urgent = escalated is not None and escalated <= moment
        target = 4 if urgent else 10
        if replied is None:
            expected.append((at(asked), "urgent" if urgent else "normal", "running", at(asked + target), None))
            continue
        events.append((replied, message(2 * number + 1, "agent", replied, ticket_id)))
        late = replied - asked > target
        expected.append((at(asked), "urgent" if urgent else "normal", "missed" if late else "met", at(asked + target) if late else None, at(replied)))
    return events, expected


async def test_an_answered_wait_keeps_the_policy_of_the_priority_at_its_reply_however_batches_cut(sessions):
    """An escalation that comes after a reply, in the same consumer batch or a later one, leaves
    that wait measured under the policy of the priority at the reply: the same conversations fed
    as one batch, one event per batch and cut at random (shuffled within each batch) give the
    timers of the rule."""
    rng = random.Random(2026_1207)
    policies = {
        "urgent": (await add_policy(sessions, C - timedelta(days=1), name="紧急工单", priorities=["urgent"], next_response_seconds=240)).id,
        "normal": (await add_policy(sessions, C - timedelta(hours=20), name="普通工单", next_response_seconds=600)).id,
    }
    starts = [rng.randrange(0, 120) for _ in range(12)]
    for run, cutting in enumerate(("one batch", "each", "random")):
        # the same conversations in every run (each from its own seed), under the run's ticket ids
        conversations = [escalated_conversation(random.Random(n), f"R{run}-E{n}", start) for n, start in enumerate(starts)]
        expected = sorted(
            (f"E{n}", started, policies[policy], state, due, stop)
            for n, (_, rows) in enumerate(conversations) for started, policy, state, due, stop in rows
        )
        if not run:
            assert {(policy, state) for _, _, policy, state, _, _ in expected} >= {
                (policies["urgent"], "missed"), (policies["normal"], "met"), (policies["normal"], "missed"), (policies["urgent"], "running")
            }
        events = [e for _, _, e in sorted((minute, n, e) for n, (conv, _) in enumerate(conversations) for minute, e in conv)]
        cuts = {"one batch": [], "each": list(range(1, len(events))), "random": sorted(rng.sample(range(1, len(events)), 9))}[cutting]
        for begin, end in zip([0, *cuts], [*cuts, len(events)]):
            batch = events[begin:end]
            rng.shuffle(batch)
            await feed(sessions, *batch)
        found = await timers(sessions)
        got = sorted(
            (ticket_id.split("-", 1)[1], t.started_at, t.policy_id, t.state, t.due_at, t.stopped_at)
            for (ticket_id, metric), rows in found.items() if ticket_id.startswith(f"R{run}-") and metric == "next_response"
            for t in rows
        )
        assert got == expected, cutting
