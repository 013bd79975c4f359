import orjson
import pytest

from feedback_svc.webhooks.errors import InvalidPayload
from feedback_svc.webhooks.schemas import parse
from tests.webhooks.factories import closed_event, ticket_event


def fields_of(raw: bytes) -> list[str]:
    with pytest.raises(InvalidPayload) as caught:
        parse(raw)
    assert caught.value.status_code == 422
    return [error["field"] for error in caught.value.extensions["errors"]]


def test_the_design_example_parses():
    payload = parse(orjson.dumps(closed_event(event_id="crm-7f3a")))
    assert payload.event_id == "crm-7f3a" and payload.type == "ticket.closed"
    assert payload.ticket.closed_at.isoformat() == "2026-11-20T10:00:00+00:00"


@pytest.mark.parametrize(
    "payload, field",
    [
        (ticket_event(created_at="yesterday"), "ticket.created_at"),
        (ticket_event(created_at="2026-11-20T08:00:00"), "ticket.created_at"),  # no offset
        (ticket_event(occurred_at="2026-11-20T08:00:00"), "occurred_at"),
        (ticket_event("ticket.first_responded"), "type"),  # derived, never sent
        (ticket_event("ticket.exploded"), "type"),
        (ticket_event(id=""), "ticket.id"),
        (ticket_event(subject="x" * 1001), "ticket.subject"),
        (ticket_event(reopen_count=-1), "ticket.reopen_count"),
        (ticket_event(reopen_count=2**40), "ticket.reopen_count"),
        (ticket_event(tags=["ok", 5]), "ticket.tags[1]"),
        (ticket_event(tags=["x" * 201]), "ticket.tags[0]"),
        (ticket_event(tags=[str(i) for i in range(101)]), "ticket.tags"),
        (ticket_event(customer={"email": "x" * 321}), "ticket.customer.email"),
        (ticket_event(customer={"email": "not-an-email"}), "ticket.customer.email"),
        (ticket_event(customer={"email": "li.lei@"}), "ticket.customer.email"),
        (ticket_event(subject="nul\u0000byte"), "ticket.subject"),
        (ticket_event(created_at="0001-01-01T00:00:00+01:00"), "ticket.created_at"),
        (ticket_event(event_id="e" * 201), "event_id"),
        (closed_event(closed_at=None), "ticket.closed_at"),
        (ticket_event("ticket.resolved"), "ticket.resolved_at"),
        (ticket_event(first_response_at="2026-11-20T07:59:59Z"), "ticket.first_response_at"),
        (closed_event(resolved_at="2026-11-19T00:00:00Z"), "ticket.resolved_at"),
    ],
)
def test_invalid_fields_are_named(payload, field):
    assert field in fields_of(orjson.dumps(payload))


def test_non_finite_handle_seconds_is_refused():
    raw = orjson.dumps(closed_event()).replace(b'"handle_seconds":540', b'"handle_seconds":1e999')
    assert fields_of(raw) == ["ticket.handle_seconds"]


def test_a_lone_surrogate_in_any_string_is_a_422():
    raw = orjson.dumps(ticket_event(subject="SUBJECT")).replace(b"SUBJECT", b"\\ud800")
    assert fields_of(raw) == ["body"]  # refused by the JSON parser itself


def test_a_valid_email_is_kept_as_sent():
    assert parse(orjson.dumps(ticket_event(customer={"email": "li.lei@例子.cn"}))).ticket.customer.email == "li.lei@例子.cn"


@pytest.mark.parametrize("raw", [b"", b"[]", b"null", b"{", b"\xff\xfe\x00", b'"text"', b"{}" * 3])
def test_a_body_that_is_not_one_json_object_is_a_422_on_the_body(raw):
    assert fields_of(raw) == ["body"]


def test_a_nul_is_refused_whether_escaped_or_raw():
    escaped = orjson.dumps(ticket_event(subject="a\u0000b"))
    assert fields_of(escaped) == ["ticket.subject"]
    raw = orjson.dumps(ticket_event(subject="ab")).replace(b'"ab"', b'"a\x00b"')
    assert fields_of(raw) == ["body"]  # an unescaped control character is not JSON at all
