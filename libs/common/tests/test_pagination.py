from datetime import datetime, timedelta, timezone

import base64

import pytest

from csq_common.errors import InvalidInput
from csq_common.pagination import decode_cursor, decode_time_cursor, encode_cursor, encode_time_cursor


def test_cursors_round_trip_including_unicode_ids():
    assert decode_cursor(encode_cursor("T/5 退款")) == ["T/5 退款"]
    moment = datetime(2026, 11, 20, 8, tzinfo=timezone(timedelta(hours=8)))
    assert decode_time_cursor(encode_time_cursor(moment, "s-1")) == (moment, "s-1")  # same instant, in UTC


# A cursor whose JSON escapes a lone surrogate: not storable text, so not a key to look up.
LONE_SURROGATE = base64.urlsafe_b64encode(b'["\\ud800"]').decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    ["%%%", "bm90IGpzb24", encode_cursor("a", "b"), encode_cursor(""), encode_cursor("x\x00"), encode_cursor("y" * 201), LONE_SURROGATE],
)
def test_foreign_cursors_are_a_422_naming_the_field(cursor):
    with pytest.raises(InvalidInput) as raised:
        decode_cursor(cursor)
    assert raised.value.extensions["errors"][0]["field"] == "cursor"


@pytest.mark.parametrize("cursor", [encode_cursor("2026-11-20T08:00:00", "s"), encode_cursor("yesterday", "s"), encode_cursor("x"), encode_cursor("0001-01-01T00:00:00+14:00", "s")])
def test_time_cursors_need_an_aware_timestamp_and_an_id(cursor):
    with pytest.raises(InvalidInput):
        decode_time_cursor(cursor)
