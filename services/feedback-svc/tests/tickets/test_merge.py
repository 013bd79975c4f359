from datetime import datetime, timedelta, timezone

from csq_common.events import Customer
from feedback_svc.tickets.schemas import ReportedTicket
from feedback_svc.tickets.service import (
    event_id_for,
    first_responded_event_id,
    merge,
    snapshot_columns,
)

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)


def snapshot(**fields) -> ReportedTicket:
    return ReportedTicket(id="T-1", created_at=T0, **fields)


def test_the_first_event_of_a_ticket_is_stored():
    decision = merge(last_event_at=None, first_response_published=False, occurred_at=T0, snapshot=snapshot())
    assert decision.overwrite and not decision.first_responded


def test_a_newer_event_overwrites_and_an_older_one_does_not():
    stored = T0 + timedelta(hours=2)
    newer = merge(last_event_at=stored, first_response_published=False, occurred_at=stored + timedelta(seconds=1), snapshot=snapshot())
    older = merge(last_event_at=stored, first_response_published=False, occurred_at=stored - timedelta(seconds=1), snapshot=snapshot())
    assert newer.overwrite is True
    assert older.overwrite is False


def test_on_a_tie_the_later_arrival_wins():
    stored = T0 + timedelta(hours=2)
    assert merge(last_event_at=stored, first_response_published=False, occurred_at=stored, snapshot=snapshot()).overwrite


def test_first_responded_is_derived_once_from_the_first_snapshot_carrying_it_even_a_late_one():
    responded = snapshot(first_response_at=T0 + timedelta(minutes=12))
    stored = T0 + timedelta(hours=2)
    late = merge(last_event_at=stored, first_response_published=False, occurred_at=T0, snapshot=responded)
    assert late.first_responded and not late.overwrite
    again = merge(last_event_at=stored, first_response_published=True, occurred_at=stored, snapshot=responded)
    assert not again.first_responded
    without = merge(last_event_at=None, first_response_published=False, occurred_at=T0, snapshot=snapshot())
    assert not without.first_responded


def test_snapshot_columns_flatten_the_customer_and_copy_every_field():
    columns = snapshot_columns(
        snapshot(customer=Customer(id="C-9", email="a@example.com", name="李雷", locale="zh-CN"), tags=["x"], handle_seconds=5.5)
    )
    assert columns["customer_id"] == "C-9" and columns["customer_name"] == "李雷" and columns["customer_locale"] == "zh-CN"
    assert columns["tags"] == ["x"] and columns["handle_seconds"] == 5.5 and columns["created_at"] == T0
    assert snapshot_columns(snapshot())["customer_email"] is None


def test_event_ids_are_deterministic_and_distinct():
    assert event_id_for("crm-1") == event_id_for("crm-1") != event_id_for("crm-2")
    assert first_responded_event_id("T-1") == first_responded_event_id("T-1") != first_responded_event_id("T-2")
    assert first_responded_event_id("T-1") != event_id_for("T-1")
