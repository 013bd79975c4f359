"""Bad windows, zones, intervals and filters are 422 problems naming the field; unknown query
parameters are refused; the report needs the read scope."""

import pytest

from tests.scorecards.factories import PROBLEM, READER

WINDOW = {"from": "2026-10-01T00:00:00+08:00", "to": "2026-11-01T00:00:00+08:00"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"to": WINDOW["to"]}, "from"),
        ({**WINDOW, "from": "2026-10-01T00:00:00"}, "from"),  # no offset
        ({**WINDOW, "to": WINDOW["from"]}, "to"),
        ({**WINDOW, "from": "2025-01-01T00:00:00Z"}, "to"),  # more than 400 days
        ({**WINDOW, "from": "1999-12-31T00:00:00Z", "to": "2000-01-02T00:00:00Z"}, "from"),
        ({**WINDOW, "tz": "Asia/Atlantis"}, "tz"),
        ({**WINDOW, "tz": "../../etc/passwd"}, "tz"),
        ({**WINDOW, "interval": "day"}, "interval"),
        ({**WINDOW, "method": "calibration"}, "method"),
        ({**WINDOW, "format": "xlsx"}, "format"),
        ({**WINDOW, "plan_id": "no-such-plan"}, "plan_id"),
        ({**WINDOW, "agent_id": ""}, "agent_id"),
        ({**WINDOW, "team": "billing"}, "team"),
    ],
)
async def test_bad_input_names_the_field(client, params, field):
    response = await client.get("/v1/audits/report", params=params, headers=READER)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert field in [error["field"].split(".")[-1] for error in response.json()["errors"]]


async def test_the_report_needs_a_key(client):
    assert (await client.get("/v1/audits/report", params=WINDOW)).status_code == 401
