"""Client-sent instants with no UTC value (year 0 once a +12:19 offset is taken off, year 10000
once a -12:00 one is) are 422s naming the field on every audit-svc operation taking one, not
500s from the database driver's conversion to UTC."""

import pytest

from tests.reviews.factories import review_body
from tests.scorecards.factories import PROBLEM, READER, WRITER, published

BEFORE_YEAR_ONE = "0001-01-01T00:01:00+12:19"
AFTER_YEAR_9999 = "9999-12-31T23:59:59-12:00"


@pytest.mark.parametrize("path", ["/v1/reviews", "/v1/grades", "/v1/disputes/report", "/v1/calibrations/grading"])
async def test_a_window_bound_without_a_utc_value_is_a_422_naming_it(client, path):
    for params, field in (({"from": BEFORE_YEAR_ONE}, "from"), ({"to": AFTER_YEAR_9999}, "to")):
        response = await client.get(path, params=params, headers=READER)
        assert response.status_code == 422, (path, params, response.text)
        assert response.headers["content-type"] == PROBLEM
        assert [error["field"] for error in response.json()["errors"]] == [field], (path, params)


async def test_a_review_started_before_year_one_in_utc_is_a_422_naming_started_at(client):
    card = await published(client)
    response = await client.post("/v1/reviews", json=review_body(card["scorecard_id"], started_at=BEFORE_YEAR_ONE), headers=WRITER)
    assert response.status_code == 422, response.text
    assert [error["field"] for error in response.json()["errors"]] == ["started_at"]
