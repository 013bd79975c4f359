"""The merge of vendor changes and the lifecycle it derives (pure, no database)."""

from datetime import datetime, timedelta, timezone

import pytest

from feedback_svc.connectors import lifecycle
from feedback_svc.connectors.mapping import MessageRecord, VendorChange

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)


def change(minutes: float, message: MessageRecord | None = None, **fields) -> VendorChange:
    return VendorChange(
        source="zendesk", delivery_id=f"d-{minutes}-{sorted(fields)}", kind="test", ticket_id="zendesk:1",
        occurred_at=T0 + timedelta(minutes=minutes), fields=fields, message=message,
    )


def reply(minutes: float, *, role: str = "agent", public: bool = True) -> MessageRecord:
    return MessageRecord(
        ticket_id="zendesk:1", message_id=f"m-{minutes}", author_role=role, author_id="90017", public=public,
        sent_at=T0 + timedelta(minutes=minutes), text="您好，已为您处理。",
    )


def run(*changes: VendorChange):
    """Apply ``changes`` in the given (arrival) order; the outcomes."""
    stored, times, outcomes = None, {}, []
    for item in changes:
        outcome = lifecycle.apply(stored, times, item)
        stored, times = outcome.snapshot, outcome.field_times
        outcomes.append(outcome)
    return outcomes


def test_solved_reopened_solved_then_closed():
    outcomes = run(
        change(0, status="new"), change(5, status="open", agent_id="90017"), change(12, reply(12)),
        change(100, status="resolved"), change(200, status="open"), change(300, status="resolved"),
        change(5000, status="closed"),
    )
    assert [o.event_types for o in outcomes] == [
        ["ticket.created"], ["ticket.assigned"], [], ["ticket.resolved", "ticket.closed"], ["ticket.reopened"],
        ["ticket.resolved", "ticket.closed"], [],
    ]
    final = outcomes[-1].snapshot
    assert final.status == "closed" and final.reopen_count == 1
    assert final.closed_at == final.resolved_at == T0 + timedelta(minutes=300)  # the vendor's close moved nothing
    assert final.first_response_at == T0 + timedelta(minutes=12)


def test_closed_straight_from_open_resolves_and_closes():
    outcomes = run(change(0, status="open"), change(30, status="closed"))
    assert outcomes[1].event_types == ["ticket.resolved", "ticket.closed"]


@pytest.mark.parametrize("order", [(0, 1, 2), (2, 1, 0), (1, 2, 0), (2, 0, 1)])
def test_arrival_order_does_not_change_the_final_ticket(order):
    changes = [change(5, status="open", agent_id=None), change(40, status="resolved", agent_id="90017"), change(40, reply(40))]
    first = change(0, status="new")
    outcomes = run(first, *(changes[i] for i in order))
    final = outcomes[-1].snapshot
    assert (final.status, final.agent_id, final.reopen_count) == ("resolved", "90017", 0)
    assert final.closed_at == T0 + timedelta(minutes=40) and final.first_response_at == T0 + timedelta(minutes=40)
    events = [event for outcome in outcomes for event in outcome.event_types]
    assert events.count("ticket.resolved") == 1 and "ticket.reopened" not in events


def test_the_earliest_public_agent_reply_is_the_first_response_whatever_the_arrival_order():
    outcomes = run(change(0, status="open"), change(30, reply(30)), change(10, reply(10)))
    assert outcomes[-1].snapshot.first_response_at == T0 + timedelta(minutes=10)


@pytest.mark.parametrize("message", [reply(10, role="customer"), reply(10, public=False), reply(10, role="bot")])
def test_customer_messages_private_notes_and_bots_are_no_first_response(message):
    outcomes = run(change(0, status="open"), change(10, message))
    assert outcomes[-1].snapshot.first_response_at is None


def test_a_reply_dated_before_the_ticket_counts_from_its_creation():
    outcomes = run(change(0, status="open", created_at=T0), change(-3, reply(-3)))
    assert outcomes[-1].snapshot.first_response_at == T0
