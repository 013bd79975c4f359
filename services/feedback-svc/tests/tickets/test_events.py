"""The outbox payloads built without a model round trip equal the typed models' own bytes."""

import json
import uuid

import orjson
import pytest

from csq_common.events import TICKET_EVENTS, TicketCustomer, TicketFirstResponded, TicketSnapshot, make_event, sealed_contact
from csq_common.sealing import DEVELOPMENT_PRIVATE_KEY, DEVELOPMENT_PUBLIC_KEY, open_sealed
from feedback_svc.tickets.service import (
    CRM_EVENT_NAMESPACE, DERIVED_EVENT_NAMESPACE, FIRST_RESPONDED, SOURCE, Merge, Report, event_id_for,
    first_responded_event_id, ticket_events,
)
from feedback_svc.webhooks.schemas import parse
from tests.webhooks.factories import closed_event, ticket_event


@pytest.mark.parametrize(
    "payload",
    [
        closed_event(event_id="crm-1"),
        ticket_event(event_id="crm-2", occurred_at="2026-11-20T16:00:00.123456+08:00", customer=None, tags=[]),
        closed_event(event_id="crm-3", first_response_at="2026-11-20T08:12:00.5-02:30", handle_seconds=12.25),
    ],
)
def test_ticket_events_equal_make_event_bytes(payload):
    webhook = parse(orjson.dumps(payload))
    item = Report(snapshot=webhook.ticket, event_type=webhook.type, occurred_at=webhook.occurred_at, crm_event_id=webhook.event_id)
    contact = sealed_contact(webhook.ticket.customer, DEVELOPMENT_PUBLIC_KEY)
    decision = Merge(overwrite=True, first_responded=webhook.ticket.first_response_at is not None)
    built = [event.to_bytes() for event in ticket_events(item, decision, contact=contact)]

    customer = webhook.ticket.customer
    reduced = None if customer is None else TicketCustomer(id=customer.id, locale=customer.locale)
    snapshot = TicketSnapshot(**webhook.ticket.model_dump(exclude={"customer"}), customer=reduced)
    with_contact = snapshot.model_copy(update={"customer": reduced and reduced.model_copy(update={"sealed_contact": contact})})
    own = TICKET_EVENTS[webhook.type](ticket=with_contact, occurred_at=webhook.occurred_at, crm_event_id=webhook.event_id)
    expected = [
        make_event(own, source=SOURCE, subject=webhook.ticket.id, time=webhook.occurred_at, event_id=event_id_for(webhook.event_id)).to_bytes()
    ]
    if webhook.ticket.first_response_at is not None:
        first = TicketFirstResponded(ticket=snapshot, occurred_at=webhook.ticket.first_response_at, crm_event_id=webhook.event_id)
        expected.append(
            make_event(first, source=SOURCE, subject=webhook.ticket.id, time=webhook.ticket.first_response_at,
                       event_id=first_responded_event_id(webhook.ticket.id)).to_bytes()
        )
    assert built == expected


@pytest.mark.parametrize("name", ["crm-1", "", "李雷-\u0000-" + "x" * 300, "T-1001"])
def test_event_ids_are_the_standard_uuid5_of_their_names(name):
    assert event_id_for(name) == str(uuid.uuid5(CRM_EVENT_NAMESPACE, name))
    assert first_responded_event_id(name) == str(uuid.uuid5(DERIVED_EVENT_NAMESPACE, json.dumps([name, FIRST_RESPONDED])))


@pytest.mark.parametrize("event_type", ["ticket.created", "ticket.closed", "ticket.reopened"])
def test_no_ticket_event_carries_the_customer_email_or_name_readable(event_type):
    payload = closed_event(event_id="crm-pii", first_response_at="2026-11-20T08:12:00Z")
    payload["type"] = event_type
    webhook = parse(orjson.dumps(payload))
    item = Report(snapshot=webhook.ticket, event_type=event_type, occurred_at=webhook.occurred_at, crm_event_id=webhook.event_id)
    contact = sealed_contact(webhook.ticket.customer, DEVELOPMENT_PUBLIC_KEY)
    events = ticket_events(item, Merge(overwrite=True, first_responded=True), contact=contact if event_type == "ticket.closed" else None)
    assert len(events) == 2
    for event in events:
        raw = event.to_bytes()
        assert b"li.lei@example.com" not in raw and "李雷".encode() not in raw
        customer = orjson.loads(raw)["data"]["ticket"]["customer"]
        assert customer["id"] == "C-9" and customer["locale"] == "zh-CN"
        assert set(customer) == {"id", "locale", "sealed_contact"}
    own, derived = (orjson.loads(event.to_bytes())["data"]["ticket"]["customer"] for event in events)
    assert derived["sealed_contact"] is None
    if event_type == "ticket.closed":
        opened = open_sealed(own["sealed_contact"], DEVELOPMENT_PRIVATE_KEY)
        assert opened["to"] == {"email": "li.lei@example.com", "name": "李雷"} and opened["customer_id"] == "C-9"
    else:
        assert own["sealed_contact"] is None
