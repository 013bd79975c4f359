"""Whatever an authenticated vendor sends, mapping answers a change or an Unmappable naming a
field, and merging the change never fails: a vendor payload can never become a 500."""

from datetime import datetime, timezone
from typing import Any

import json
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedback_svc.connectors import chatwoot, freshdesk, lifecycle, zendesk
from feedback_svc.connectors.mapping import Unmappable
from tests.connectors.payloads import (
    chatwoot_conversation, chatwoot_message, freshdesk_rule, zendesk_comment, zendesk_status, zendesk_trigger,
)

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30)
    | st.sampled_from(["", "0", "SOLVED", "Channel::Email", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00",
                       "{status:{from:2,to:4}}", "{status:{from:2,to:}}", "2026-11-20 08:00:00 UTC", "x" * 300]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=8,
)
SAMPLES = {
    zendesk: [zendesk_status("OPEN", "SOLVED"), zendesk_comment(comment_id="1", body="您好", author_id="2", is_staff=True),
              zendesk_trigger()],
    freshdesk: [freshdesk_rule("{status:{from:2,to:4}}"), freshdesk_rule("{reply_sent:sent}")],
    chatwoot: [chatwoot_conversation("conversation_status_changed"),
               chatwoot_message(message_id=1, content="你好", message_type="incoming", sender={"id": 1, "type": "contact"},
                                created_at="2026-11-20T08:00:00Z")],
}
HEADERS = {chatwoot.TIMESTAMP_HEADER: "1795161600"}


def paths(value: Any, prefix: tuple = ()):
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths(item, prefix + (index,))


def replaced(value: Any, path: tuple, new: Any) -> Any:
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = replaced(copy[path[0]], path[1:], new)
    return copy


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data(), vendor=st.sampled_from(list(SAMPLES)))
def test_any_field_replaced_by_any_json_maps_or_names_a_field(data, vendor):
    sample = data.draw(st.sampled_from(SAMPLES[vendor]))
    path = data.draw(st.sampled_from(list(paths(sample))))
    payload = replaced(sample, path, data.draw(JSON))
    try:
        change = vendor.parse(json.dumps(payload, ensure_ascii=False).encode(), HEADERS, received_at=NOW)
    except Unmappable as exc:
        assert exc.errors and all(error["field"] and error["message"] for error in exc.errors)
        return
    outcome = lifecycle.apply(None, {}, change)
    again = lifecycle.apply(outcome.snapshot, outcome.field_times, change)
    assert again.event_types == [] or again.event_types == ["ticket.assigned"] or change.message is not None
