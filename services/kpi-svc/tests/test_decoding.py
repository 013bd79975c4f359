"""kpi-svc's msgspec mirrors accept and refuse exactly what the contract's pydantic models do, for
every event type kpi-svc decodes with a mirror."""

import copy
from datetime import datetime

import msgspec
import pytest
from pydantic import BaseModel, ValidationError, field_validator

from csq_common import events
from csq_common.events import CloudEvent, TicketClosed, TicketReopened
from kpi_svc import consumers
from kpi_svc.decoding import InvalidPayload, decode_envelope, decode_payload, envelope_decoder, mirror

VALID = {
    "ticket": {
        "id": "T-1001",
        "customer": {"id": "C-9", "email": "li.lei@example.com", "name": "李雷", "locale": "zh-CN"},
        "agent_id": "A-7", "team_id": "billing", "channel": "email", "priority": "normal",
        "subject": "退款进度", "status": "closed",
        "created_at": "2026-11-20T08:00:00Z", "first_response_at": "2026-11-20T16:12:00+08:00",
        "resolved_at": "2026-11-20T09:40:00Z", "closed_at": "2026-11-20T10:00:00Z",
        "handle_seconds": 540, "reopen_count": 0, "contact_count": 1, "tags": ["refund"],
    },
    "occurred_at": "2026-11-20T10:00:00Z",
    "crm_event_id": "crm-7f3a",
    "some_future_field": {"nested": True},
}


def _set(path: str, value):
    payload = copy.deepcopy(VALID)
    *parents, last = path.split(".")
    target = payload
    for name in parents:
        target = target[name]
    if value is _DELETE:
        del target[last]
    else:
        target[last] = value
    return payload


_DELETE = object()
MUTATIONS = [
    ("ticket.id", ""), ("ticket.id", "x" * 200), ("ticket.id", "x" * 201), ("ticket.id", 5), ("ticket.id", None),
    ("ticket.id", _DELETE), ("ticket.team_id", "t" * 201), ("ticket.team_id", None), ("ticket.channel", "c" * 51),
    ("ticket.customer", None), ("ticket.customer", "C-9"), ("ticket.customer.sealed_contact", "s" * 4097),
    ("ticket.customer.locale", "l" * 36), ("ticket.subject", "主" * 1000), ("ticket.subject", "主" * 1001),
    ("ticket.created_at", "2026-11-20T08:00:00"), ("ticket.created_at", "yesterday"), ("ticket.created_at", _DELETE),
    ("ticket.created_at", "2026-11-20T08:00:00.123456+05:45"), ("ticket.closed_at", None),
    ("ticket.first_response_at", "2026-02-30T08:00:00Z"), ("ticket.handle_seconds", -1), ("ticket.handle_seconds", 0),
    ("ticket.handle_seconds", 12.5), ("ticket.handle_seconds", "90"), ("ticket.handle_seconds", "ninety"),
    ("ticket.reopen_count", -1), ("ticket.reopen_count", 2), ("ticket.reopen_count", "3"), ("ticket.reopen_count", 1.5),
    ("ticket.tags", ["a", 1]), ("ticket.tags", "refund"), ("ticket.tags", []),
    ("ticket", _DELETE), ("ticket", []), ("occurred_at", _DELETE), ("occurred_at", "2026-11-20T10:00:00-03:30"),
    ("crm_event_id", None), ("crm_event_id", 7), ("schema_version", 2), ("schema_version", "x"),
]


def _plain(value):
    """A mirror's value as the builtins pydantic's ``model_dump()`` gives (datetimes kept)."""
    if isinstance(value, msgspec.Struct):
        return {name: _plain(getattr(value, name)) for name in value.__struct_fields__}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _both(model, payload):
    try:
        expected = model.model_validate(payload).model_dump()
    except ValidationError:
        expected = None
    outcomes = []
    for data in (payload, msgspec.json.encode(payload)):
        try:
            outcomes.append(_plain(decode_payload(model, data)))
        except InvalidPayload:
            outcomes.append(None)
    return expected, outcomes


@pytest.mark.parametrize("path,value", MUTATIONS, ids=[f"{p}={str(v)[:12]}" for p, v in MUTATIONS])
def test_a_mirror_accepts_and_refuses_what_the_model_does(path, value):
    expected, (from_dict, from_json) = _both(TicketClosed, _set(path, value))
    assert from_dict == expected
    assert from_json == expected


#: The types kpi-svc's runner decodes with the TicketEvent mirror (consumers.decode_record), each
#: with the pydantic model the contract gives it.
MIRRORED = sorted(events.TICKET_SNAPSHOT_EVENTS.items())


@pytest.mark.parametrize("event_type,model", MIRRORED, ids=[event_type for event_type, _ in MIRRORED])
def test_kpi_svc_decodes_every_type_it_reads_as_its_contract_model_does(event_type, model):
    for path, value in [("ticket.id", "kept"), *MUTATIONS]:
        payload = _set(path, value)
        envelope = CloudEvent(id="e-1", source="crm", type=event_type, time="2026-11-20T10:00:00Z", data=payload)
        try:
            expected = model.model_validate(payload).model_dump()
        except ValidationError:
            expected = None
        record = consumers.decode_record(envelope.to_bytes())
        try:
            got = _plain(decode_payload(events.TicketEvent, record.data))
        except InvalidPayload:
            got = None
        assert got == expected, (event_type, path, value)


def test_the_one_known_difference_is_stricter_a_boolean_for_a_number():
    """pydantic's lax mode reads ``true`` as 1 for an int; the mirror refuses it (the event goes to
    the DLQ). Our producers serialise with pydantic, so a boolean count never reaches the bus."""
    expected, (from_dict, from_json) = _both(TicketClosed, _set("ticket.contact_count", True))
    assert expected["ticket"]["contact_count"] == 1
    assert from_dict is None and from_json is None


def test_the_valid_payload_decodes_to_the_same_values():
    expected, (from_dict, from_json) = _both(TicketReopened, VALID)
    assert expected is not None and from_dict == from_json == expected
    decoded = decode_payload(TicketReopened, msgspec.json.encode(VALID))
    assert decoded.ticket.first_response_at == datetime.fromisoformat("2026-11-20T08:12:00+00:00")
    assert decoded.ticket.tags == ["refund"] and decoded.ticket.customer.id == "C-9"


def test_the_error_names_the_model_and_the_field():
    with pytest.raises(InvalidPayload, match=r"validation error for TicketClosed: .*\$\.ticket\.id"):
        decode_payload(TicketClosed, msgspec.json.encode(_set("ticket.id", "")))


def test_every_event_model_is_mirrored_unless_msgspec_cannot_express_it():
    refused = set()
    for event_type, model in events.EVENT_TYPES.items():
        try:
            mirror(model)
        except TypeError as exc:
            assert "validators" in str(exc)
            refused.add(event_type)
    assert "ticket.closed" not in refused and "notification.delivered" not in refused
    assert "survey.answered" in refused  # NumericAnswer checks its scale in a validator


def test_rules_a_mirror_cannot_express_are_refused_not_dropped():
    class Checked(BaseModel):
        score: int

        @field_validator("score")
        @classmethod
        def _even(cls, value):
            return value

    with pytest.raises(TypeError, match="validators"):
        mirror(Checked)

    class Unknown(BaseModel):
        values: set[int]

    with pytest.raises(TypeError, match="Unknown.values"):
        mirror(Unknown)


ENVELOPE = CloudEvent(id="e-1", source="crm", type="ticket.closed", time="2026-11-20T18:00:00+08:00", subject="T-1", data=VALID)


@pytest.mark.parametrize(
    "change",
    [{}, {"id": ""}, {"id": "i" * 201}, {"source": ""}, {"type": ""}, {"time": "2026-11-20T10:00:00"},
     {"specversion": "0.3"}, {"subject": None}, {"extension": "x"}],
)
def test_the_envelope_accepts_and_refuses_what_cloudevent_does(change):
    raw = msgspec.json.encode({**ENVELOPE.model_dump(mode="json"), **change})
    try:
        expected = CloudEvent.from_bytes(raw)
    except ValidationError:
        expected = None
    try:
        got = decode_envelope(raw)
    except InvalidPayload:
        got = None
    assert (got is None) == (expected is None)
    if got is not None:
        assert (got.id, got.type, got.source, got.subject) == (expected.id, expected.type, expected.source, expected.subject)
        assert got.time == expected.time and got.time.utcoffset().total_seconds() == 0
        assert msgspec.json.decode(got.data) == expected.data


def test_an_envelope_that_is_not_json_is_refused():
    with pytest.raises(InvalidPayload, match="CloudEvent"):
        decode_envelope(b"\xff not json")


def test_an_envelope_decoder_reads_its_types_in_one_pass_and_leaves_the_rest_raw():
    decode = envelope_decoder(events.TicketEvent, frozenset(events.TICKET_SNAPSHOT_EVENTS))
    ticket = decode(ENVELOPE.to_bytes())
    assert type(ticket.data) is mirror(events.TicketEvent)
    assert decode_payload(events.TicketEvent, ticket.data) is ticket.data
    assert ticket.time.utcoffset().total_seconds() == 0 and ticket.data.ticket.subject == "退款进度"

    other = CloudEvent(id="e-2", source="survey-svc", type="survey.expired", time="2026-11-20T10:00:00Z", data={"x": 1})
    assert isinstance(decode(other.to_bytes()).data, msgspec.Raw)

    broken = CloudEvent(id="e-3", source="crm", type="ticket.closed", time="2026-11-20T10:00:00Z", data=_set("ticket.id", ""))
    fallback = decode(broken.to_bytes())  # the envelope is fine: the payload is refused by the handler, by name
    assert fallback.id == "e-3" and isinstance(fallback.data, msgspec.Raw)
    with pytest.raises(InvalidPayload, match=r"\$\.ticket\.id"):
        decode_payload(events.TicketEvent, fallback.data)
    with pytest.raises(TypeError):
        decode_payload(events.SurveyInvited, ticket.data)  # decoded as another model's mirror
    with pytest.raises(InvalidPayload):
        decode(b"\xff not json")
