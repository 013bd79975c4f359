"""GET /v1/feedback/analysis over generated items; every expected number is worked out by hand
in the comments (window 1-4 Nov 2026 in Asia/Shanghai = 2026-10-31T16:00Z … 2026-11-03T16:00Z)."""

import csv
import io

import pytest

from tests.conftest import READER
from tests.feedback.factories import EN_RUDE_BILLING, ZH_SLOW_REPLY, add_item

WINDOW = {"from": "2026-11-01T00:00:00+08:00", "to": "2026-11-04T00:00:00+08:00", "tz": "Asia/Shanghai"}


@pytest.fixture
async def generated(client):
    async with client.app.state.sessions() as session:
        # 1: Nov 1 01:00 local, complaint resolved after 10 h (36 000 s)
        await add_item(session, received_at="2026-10-31T17:00:00Z", kind="complaint", category="response_speed", channel="social",
                       text=ZH_SLOW_REPLY, team_id="A", resolved_at="2026-11-01T03:00:00Z")
        # 2: Nov 1 10:00 local, complaint resolved after 2 h (7 200 s)
        await add_item(session, received_at="2026-11-01T02:00:00Z", kind="complaint", category="response_speed", channel="hotline",
                       text="回复太慢，排队半天", team_id="A", resolved_at="2026-11-01T04:00:00Z")
        # 3: Nov 1 23:59 local, praise
        await add_item(session, received_at="2026-11-01T15:59:00Z", kind="praise", category="attitude", channel="chat",
                       text="客服态度很好，谢谢", team_id="B")
        # 4: Nov 2 00:00 local, complaint, unresolved, English
        await add_item(session, received_at="2026-11-01T16:00:00Z", kind="complaint", category="billing", channel="email",
                       text=EN_RUDE_BILLING, language="en", team_id="B")
        # 5: Nov 2 16:00 local, suggestion
        await add_item(session, received_at="2026-11-02T08:00:00Z", kind="suggestion", category="other", channel="app",
                       text="建议增加夜间客服", team_id="A")
        # 6: Nov 3 18:00 local, enquiry
        await add_item(session, received_at="2026-11-03T10:00:00Z", kind="enquiry", category="billing", channel="web",
                       text="请问发票怎么开", team_id="A")
        # 7: Nov 3 20:00 local, complaint resolved after the window (not in the resolution time)
        await add_item(session, received_at="2026-11-03T12:00:00Z", kind="complaint", category="response_speed",
                       channel="ecommerce_review", text="客服回复太慢", team_id="B", resolved_at="2026-11-05T12:00:00Z")
        # Outside the window by received_at: Oct 31 23:59 local and Nov 4 00:00 local.
        await add_item(session, received_at="2026-10-31T15:59:00Z", kind="complaint", category="delivery", channel="social", team_id="A")
        await add_item(session, received_at="2026-11-03T16:00:00Z", kind="praise", category="attitude", channel="chat", team_id="A")
        # 10: received before the window, resolved inside it after 13 days (1 123 200 s): counts
        # for the resolution time only (DESIGN: complaint resolution time by resolved_at).
        await add_item(session, received_at="2026-10-20T00:00:00Z", kind="complaint", category="delivery", channel="hotline",
                       team_id="A", resolved_at="2026-11-02T00:00:00Z")
        await session.commit()


def shares(rows):
    return {row["key"]: (row["count"], row["pct"]) for row in rows}


async def test_counts_shares_rates_and_the_series_in_the_time_zone(client, generated):
    response = await client.get("/v1/feedback/analysis", params=WINDOW, headers=READER)
    assert response.status_code == 200, response.text
    result = response.json()

    assert result["total"] == 7  # items 1-7
    # 4 complaints, 1 praise, 1 suggestion, 1 enquiry of 7: 57.14 %, 14.29 % each.
    assert shares(result["by_kind"]) == {"complaint": (4, 57.14), "suggestion": (1, 14.29), "praise": (1, 14.29), "enquiry": (1, 14.29)}
    assert shares(result["by_category"]) == {
        "response_speed": (3, 42.86), "attitude": (1, 14.29), "problem_solving": (0, 0.0), "professionalism": (0, 0.0),
        "product_quality": (0, 0.0), "billing": (2, 28.57), "delivery": (0, 0.0), "other": (1, 14.29),
    }
    assert shares(result["by_channel"]) == {
        "hotline": (1, 14.29), "chat": (1, 14.29), "email": (1, 14.29), "social": (1, 14.29),
        "ecommerce_review": (1, 14.29), "web": (1, 14.29), "app": (1, 14.29), "in_person": (0, 0.0),
    }
    assert result["praise_pct"] == 20.0  # 1 / (1 + 4)
    assert result["complaints"] == 4
    # 3 of the 4 complaints are about response speed.
    assert shares(result["complaint_share_by_category"])["response_speed"] == (3, 75.0)
    assert shares(result["complaint_share_by_category"])["billing"] == (1, 25.0)
    # Resolved in the window: items 1, 2 and 10 → (36 000 + 7 200 + 1 123 200) / 3.
    assert result["complaint_resolution"] == {"resolved": 3, "avg_seconds": 388800.0}
    assert result["series"] == [
        {"start": "2026-11-01T00:00:00+08:00", "total": 3, "complaint": 2, "suggestion": 0, "praise": 1, "enquiry": 0},
        {"start": "2026-11-02T00:00:00+08:00", "total": 2, "complaint": 1, "suggestion": 1, "praise": 0, "enquiry": 0},
        {"start": "2026-11-03T00:00:00+08:00", "total": 2, "complaint": 1, "suggestion": 0, "praise": 0, "enquiry": 1},
    ]
    terms = {entry["category"]: entry["terms"] for entry in result["top_terms"]}
    # 回复 in items 1, 2, 7; 太慢 in 1, 2, 7; 客服 in 1 and 7 (stop words like 了 and 都 dropped).
    assert terms["response_speed"][:3] == [{"term": "回复", "count": 3}, {"term": "太慢", "count": 3}, {"term": "客服", "count": 2}]
    assert {"term": "bill", "count": 1} in terms["billing"] and {"term": "发票", "count": 1} in terms["billing"]
    assert not any(term["term"] in ("the", "and", "了") for entry in terms.values() for term in entry)


async def test_filters_narrow_everything_and_weeks_start_on_monday(client, generated):
    team_a = (await client.get("/v1/feedback/analysis", params={**WINDOW, "team_id": "A", "interval": "week"}, headers=READER)).json()
    # Team A in the window: items 1, 2, 5, 6.
    assert team_a["total"] == 4
    assert shares(team_a["by_kind"]) == {"complaint": (2, 50.0), "suggestion": (1, 25.0), "praise": (0, 0.0), "enquiry": (1, 25.0)}
    assert team_a["praise_pct"] == 0.0  # 0 / (0 + 2)
    assert team_a["complaint_resolution"] == {"resolved": 3, "avg_seconds": 388800.0}  # items 1, 2, 10 are team A's
    # 1 Nov 2026 is a Sunday: its week starts Monday 26 Oct; 2-3 Nov are in the next week.
    assert [(point["start"], point["total"]) for point in team_a["series"]] == [
        ("2026-10-26T00:00:00+08:00", 2), ("2026-11-02T00:00:00+08:00", 2),
    ]
    complaints_by_email = (await client.get("/v1/feedback/analysis", params={**WINDOW, "channel": "email", "kind": "complaint"}, headers=READER)).json()
    assert complaints_by_email["total"] == 1 and complaints_by_email["praise_pct"] == 0.0
    in_utc = (await client.get("/v1/feedback/analysis", params={**WINDOW, "tz": "UTC", "interval": "month"}, headers=READER)).json()
    # The window 31 Oct 16:00Z … 3 Nov 16:00Z spans two UTC months: item 1 (31 Oct 17:00Z) lands in October.
    assert [(point["start"], point["total"]) for point in in_utc["series"]] == [("2026-10-01T00:00:00+00:00", 1), ("2026-11-01T00:00:00+00:00", 6)]


async def test_the_csv_export_holds_the_same_numbers(client, generated):
    response = await client.get("/v1/feedback/analysis", params={**WINDOW, "format": "csv"}, headers=READER)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["section", "key", "count", "value"]
    assert ["by_kind", "complaint", "4", "57.14"] in rows
    assert ["complaint_share_by_category", "response_speed", "3", "75.0"] in rows
    assert ["metric", "praise_pct", "", "20.0"] in rows
    assert ["metric", "complaint_resolution_avg_seconds", "3", "388800.0"] in rows
    assert ["series", "2026-11-01T00:00:00+08:00", "3", "complaint=2;suggestion=0;praise=1;enquiry=0"] in rows
    assert ["top_terms.response_speed", "回复", "3", ""] in rows


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"tz": "Mars/Olympus"}, "tz"),
        ({"tz": "../../etc/passwd"}, "tz"),
        ({"to": "2026-10-01T00:00:00Z"}, "to"),
        ({"interval": "hour"}, "interval"),
        ({"from": "2026-11-01"}, "from"),
        ({"from": "2000-01-01T00:00:00Z"}, "interval"),
        ({"from": "0001-01-01T00:00:00+14:00"}, "from"),
        ({"to": "9999-12-31T23:59:59-12:00"}, "to"),
        ({"chanel": "email"}, "chanel"),
        ({"format": "xlsx"}, "format"),
    ],
)
async def test_bad_parameters_are_a_422_naming_them(client, params, field):
    response = await client.get("/v1/feedback/analysis", params={**WINDOW, **params}, headers=READER)
    assert response.status_code == 422, response.text
    assert field in [error["field"] for error in response.json()["errors"]]


async def test_an_empty_window_has_zero_counts_and_no_rates(client):
    result = (await client.get("/v1/feedback/analysis", params=WINDOW, headers=READER)).json()
    assert result["total"] == 0 and result["praise_pct"] is None
    assert result["complaint_resolution"] == {"resolved": 0, "avg_seconds": None}
    assert [point["total"] for point in result["series"]] == [0, 0, 0] and result["top_terms"] == []
    assert all(row["pct"] is None for row in result["by_kind"])
