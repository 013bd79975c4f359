"""/v1/surveys/{id}/results through HTTP on both backends, against an independent computation
over a few hundred seeded invitations and answers. Each test starts the service, so they are few
and broad."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from survey_svc.results import export
from tests.results import expected
from tests.results.factories import Data, generate, seed

READER = {"Authorization": "Bearer reader-key"}
PROBLEM = "application/problem+json"
UTC = timezone.utc
ALL = {"from": "2026-01-01T00:00:00Z", "to": "2026-04-01T00:00:00Z"}
# A window that cuts through the data: invitations and answers fall on different sides of it.
PART = {"from": "2026-02-01T00:00:00+08:00", "to": "2026-03-01T00:00:00+08:00"}


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def number(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


@pytest.fixture
async def data(client) -> Data:
    return await seed(client.app.state.sessions, generate())


async def results(client, survey_id: str, **params) -> dict:
    response = await client.get(f"/v1/surveys/{survey_id}/results", params=params, headers=READER)
    assert response.status_code == 200, response.text
    return response.json()


def assert_matches(body: dict, want: dict) -> None:
    for name in ("invitations", "responses", "answers_in_window", "versions"):
        assert body[name] == want[name], name
    assert number(body["response_rate_pct"]) == want["response_rate_pct"]
    shown = {q["key"]: q for q in body["questions"]}
    for key, entry in want["questions"].items():
        question = shown[key]
        assert question["answered"] == entry["answered"] and question["versions"] == entry["versions"], key
        for figure in ("mean", "csat_pct", "nps", "ces_avg"):
            assert number(question[figure]) == entry[figure], (key, figure)
        if question["type"] in ("csat", "nps", "ces", "rating"):
            assert {d["value"]: d["count"] for d in question["distribution"] if d["count"]} == dict(entry["counts"]), key
        if question["type"] in ("single_choice", "multiple_choice"):
            assert {d["value"]: d["count"] for d in question["distribution"] if d["count"]} == dict(entry["choices"]), key
    for key, question in shown.items():  # questions without answers: zero and nulls
        if key not in want["questions"]:
            assert question["answered"] == 0 and question["versions"] == [] and question["mean"] is None and question["csat_pct"] is None
    dimensions = {d["dimension"]: d for d in body["dimensions"]}
    assert set(dimensions) >= set(want["dimensions"])
    for name in set(dimensions) - set(want["dimensions"]):  # dimensions without answers: zeros and nulls
        assert all(not value for value in dimensions[name].values() if value != name), dimensions[name]
    for name, figures in want["dimensions"].items():
        for figure, value in figures.items():
            got = dimensions[name][figure]
            assert (got if figure.endswith("_answers") else number(got)) == value, (name, figure)


async def test_figures_match_an_independent_computation_with_every_filter(client, data):
    sid = data.survey_id
    body = await results(client, sid, **ALL)
    want = expected.results(data, instant(ALL["from"]), instant(ALL["to"]))
    assert_matches(body, want)
    assert body["invitations"] > 200 and body["answers_in_window"] == len(data.responses) and body["versions"] == [1, 2]
    assert body["from"] == "2026-01-01T00:00:00Z" and body["tz"] == "UTC" and body["series"] is None
    # latest version's questions first (with its labels and prompts), then q5 that only v1 asked
    assert [q["key"] for q in body["questions"]] == ["q1", "q2", "q3", "q4", "q6", "q7", "q8", "q9", "q5"]
    q1, q3, q4, q5 = (next(q for q in body["questions"] if q["key"] == k) for k in ("q1", "q3", "q4", "q5"))
    assert [d["value"] for d in q1["distribution"]] == [1, 2, 3, 4, 5] and q1["versions"] == [1, 2]
    assert [d["value"] for d in q3["distribution"]] == list(range(11)) and q3["csat_pct"] is None and q3["nps"] is not None
    assert q4["distribution"][2] == {"value": "ok", "labels": {"zh-CN": "一般", "en": "OK"}, "count": q4["distribution"][2]["count"]}
    assert q1["prompt"]["zh-CN"] == "您对本次服务满意吗？" and q5["versions"] == [1] and q5["definition_version"] == 1
    assert [d["value"] for d in q5["distribution"]] == list(range(1, 11))

    # a window cutting through: invitations by invited_at, answers by answered_at
    part = await results(client, sid, **PART)
    want = expected.results(data, instant(PART["from"]), instant(PART["to"]))
    assert_matches(part, want)
    assert part["responses"] != part["answers_in_window"]  # the two attributions really differ here

    for filters in (
        {"team_id": "billing"}, {"agent_id": "A-3"}, {"channel": "chat"}, {"campaign_id": "camp-anon"}, {"version": 1},
        {"version": 2, "team_id": "tech", "channel": "email"},
    ):
        body = await results(client, sid, **ALL, **filters)
        assert body["filters"] == {**dict.fromkeys(("team_id", "agent_id", "channel", "campaign_id", "version")), **filters}
        assert_matches(body, expected.results(data, instant(ALL["from"]), instant(ALL["to"]), **filters))
    v1 = await results(client, sid, **ALL, version=1)
    assert [q["key"] for q in v1["questions"]] == ["q1", "q2", "q3", "q4", "q5"] and v1["versions"] == [1]

    empty = await results(client, sid, **ALL, team_id="nobody")
    assert (empty["invitations"], empty["responses"], empty["answers_in_window"], empty["response_rate_pct"]) == (0, 0, 0, None)
    assert all(q["answered"] == 0 and q["mean"] is None and q["nps"] is None for q in empty["questions"])
    assert all(sum(d["count"] for d in q["distribution"] or []) == 0 for q in empty["questions"]) and empty["dimensions"][0]["csat_pct"] is None


async def test_series_in_utc_shanghai_kolkata_and_new_york(client, data):
    sid = data.survey_id
    cases = [("UTC", "day"), ("Asia/Shanghai", "day"), ("Asia/Kolkata", "day"), ("America/New_York", "day"),
             ("America/New_York", "week"), ("Asia/Shanghai", "month"), ("UTC", "week")]
    for zone, interval in cases:
        body = await results(client, sid, **ALL, tz=zone, interval=interval)
        want = expected.series(data, instant(ALL["from"]), instant(ALL["to"]), zone, interval)
        buckets = {datetime.fromisoformat(b["start"]).date(): b for b in body["series"]}
        assert sum(b["responses"] for b in body["series"]) == len(data.responses), (zone, interval)
        for day, figures in want.items():
            bucket = buckets[day]
            assert bucket["responses"] == figures["responses"], (zone, interval, day)
            for figure in ("csat_pct", "nps", "ces_avg"):
                assert number(bucket[figure]) == figures[figure], (zone, interval, day, figure)
        for day, bucket in buckets.items():
            if day not in want:
                assert bucket["responses"] == 0 and bucket["csat_pct"] is None and bucket["nps"] is None
        starts = [b["start"] for b in body["series"]]
        assert starts == sorted(starts, key=lambda s: datetime.fromisoformat(s)) and all(b["start"] != b["end"] for b in body["series"])
        if interval == "week":
            assert all(datetime.fromisoformat(s).weekday() == 0 for s in starts)

    shanghai = await results(client, sid, **ALL, tz="Asia/Shanghai", interval="day")
    by_start = {b["start"]: b for b in shanghai["series"]}
    assert "2026-03-02T00:00:00+08:00" in by_start and by_start["2026-03-02T00:00:00+08:00"]["end"] == "2026-03-03T00:00:00+08:00"
    moment = datetime(2026, 3, 1, 20, tzinfo=UTC)  # the fixed response: 04:00 on 03-02 in Shanghai
    assert expected.bucket_of(moment, "Asia/Shanghai", "day").isoformat() == "2026-03-02"
    assert by_start["2026-03-02T00:00:00+08:00"]["responses"] == sum(
        1 for r in data.responses if datetime(2026, 3, 1, 16, tzinfo=UTC) <= r["answered_at"] < datetime(2026, 3, 2, 16, tzinfo=UTC)
    ) >= 1
    kolkata = await results(client, sid, **ALL, tz="Asia/Kolkata", interval="day")
    assert "2026-03-02T00:00:00+05:30" in {b["start"] for b in kolkata["series"]}
    new_york = await results(client, sid, **ALL, tz="America/New_York", interval="week")
    assert {"2026-03-02T00:00:00-05:00", "2026-03-09T00:00:00-04:00"} <= {b["start"] for b in new_york["series"]}


async def all_texts(client, sid, **params) -> list[dict]:
    items, cursor, pages = [], None, 0
    while True:
        response = await client.get(
            f"/v1/surveys/{sid}/results/texts", params={**ALL, "limit": 7, **params, **({"cursor": cursor} if cursor else {})}, headers=READER
        )
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= 7
        items += page["items"]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            return items


async def test_texts_newest_first_paginated_and_searchable_in_chinese(client, data):
    sid = data.survey_id
    written = sorted(
        ((r, a) for r in data.responses for a in r["answers"] if a["type"] == "text"),
        key=lambda pair: (pair[0]["answered_at"], pair[0]["id"], pair[1]["question_id"]), reverse=True,
    )
    items = await all_texts(client, sid)
    assert [(i["response_id"], i["text"]) for i in items] == [(r["id"], a["text"]) for r, a in written]  # no gap, no duplicate
    assert len(items) > 20 and len({i["response_id"] for i in items}) == len(items)
    by_id = {r["id"]: r for r in data.responses}
    for item in items:
        response = by_id[item["response_id"]]
        assert instant(item["answered_at"]) == response["answered_at"] and item["question"] == "q2"
        assert (item["team_id"], item["agent_id"], item["channel"]) == (response["team_id"], response["agent_id"], response["channel"])
        assert item["customer_id"] == (None if response["anonymous"] else response["customer_id"])
        assert item["ticket_id"] == (None if response["anonymous"] else response["ticket_id"])
    assert any(i["anonymous"] for i in items) and not any((i["customer_id"] or "").startswith("LEAK") for i in items)

    def texts_with(part: str) -> list[str]:
        return [a["text"] for _, a in written if part.lower() in a["text"].lower()]

    refund = await all_texts(client, sid, q="退款")
    assert [i["text"] for i in refund] == texts_with("退款") and refund and all("退款" in i["text"] for i in refund)
    assert {i["text"] for i in refund} <= {"退款太慢了", "问题没有解决，退款还没到账"}
    latin = await all_texts(client, sid, q="refund")
    assert [i["text"] for i in latin] == texts_with("refund") and {i["text"] for i in latin} <= {"Refund was too slow", "The REFUND took ages"}
    for wildcard in ("%", "_", "0%", "\\"):  # LIKE wildcards are literal characters
        assert [i["text"] for i in await all_texts(client, sid, q=wildcard)] == texts_with(wildcard)
    assert [i["text"] for i in await all_texts(client, sid, q="_it")] == texts_with("_it")
    assert await all_texts(client, sid, question="q1") == []
    part = await all_texts(client, sid, **PART, team_id="billing")
    assert [i["response_id"] for i in part] == [
        r["id"] for r, _ in written if instant(PART["from"]) <= r["answered_at"] < instant(PART["to"]) and r["team_id"] == "billing"
    ]
    bad = await client.get(f"/v1/surveys/{sid}/results/texts", params={**ALL, "cursor": "bm90LWEtY3Vyc29y"}, headers=READER)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "cursor"


async def test_csv_export_streams_rows_with_bom_anonymity_and_formula_guard(client, data, monkeypatch):
    monkeypatch.setattr(export, "BATCH", 37)  # several keyset batches
    sid = data.survey_id
    response = await client.get(f"/v1/surveys/{sid}/results/export.csv", params=ALL, headers=READER)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith('attachment; filename="survey-') and ".csv" in response.headers["content-disposition"]
    raw = response.content
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    header = list(rows[0])
    assert header == [*export.FIXED_COLUMNS, "q1", "q2", "q3", "q4", "q6", "q7", "q8", "q9", "q5"]
    assert len(rows) == len(data.responses) and len({row["response_id"] for row in rows}) == len(rows)
    assert [instant(row["answered_at"]) for row in rows] == sorted(r["answered_at"] for r in data.responses)
    assert all(row["answered_at"].endswith("Z") for row in rows)
    by_id = {r["id"]: r for r in data.responses}
    guarded = 0
    for row in rows:
        response_row = by_id[row["response_id"]]
        assert row["customer_id"] == ("" if response_row["anonymous"] else response_row["customer_id"])
        assert row["ticket_id"] == ("" if response_row["anonymous"] else (response_row["ticket_id"] or ""))
        assert (row["team_id"], row["channel"], row["survey_version"]) == (response_row["team_id"], response_row["channel"], str(response_row["survey_version"]))
        assert row["campaign_id"] == (response_row["campaign_id"] or "") and row["response_channel"] == response_row["response_channel"]
        answers = {a["question_id"]: a for a in response_row["answers"]}
        for key in ("q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9"):
            answer = answers.get(key)
            if answer is None:
                assert row[key] == ""
            elif answer["number"] is not None:
                assert row[key] == str(answer["number"])
            elif answer["choices"] is not None:
                assert row[key] == "|".join(answer["choices"])
            elif answer["text"][0] in "=+-@":
                assert row[key] == "'" + answer["text"]
                guarded += 1
            else:
                assert row[key] == answer["text"]
    assert guarded and any(row["q2"] == "退款太慢了" for row in rows) and any(r["anonymous"] for r in data.responses)
    assert not any(row["customer_id"].startswith("LEAK") for row in rows)
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row.values())

    filtered = await client.get(f"/v1/surveys/{sid}/results/export.csv", params={**PART, "campaign_id": "camp-anon", "version": 1}, headers=READER)
    rows = list(csv.DictReader(io.StringIO(filtered.content.decode("utf-8-sig"))))
    assert {row["response_id"] for row in rows} == {r["id"] for r in expected.responses(data, instant(PART["from"]), instant(PART["to"]), campaign_id="camp-anon", version=1)}
    assert rows and all(row["customer_id"] == "" for row in rows) and list(rows[0])[len(export.FIXED_COLUMNS):] == ["q1", "q2", "q3", "q4", "q5"]
    nothing = await client.get(f"/v1/surveys/{sid}/results/export.csv", params={**ALL, "team_id": "nobody"}, headers=READER)
    assert nothing.content.decode("utf-8-sig").splitlines() == [",".join([*export.FIXED_COLUMNS, "q1", "q2", "q3", "q4", "q6", "q7", "q8", "q9", "q5"])]


async def test_bad_parameters_unknown_survey_and_api_keys(client, data):
    sid = data.survey_id
    paths = [f"/v1/surveys/{sid}/results", f"/v1/surveys/{sid}/results/texts", f"/v1/surveys/{sid}/results/export.csv"]
    cases = [
        ({"to": ALL["to"]}, ["from"]),
        ({"from": ALL["from"]}, ["to"]),
        ({**ALL, "from": "2026-01-01T00:00:00"}, ["from"]),
        ({**ALL, "from": "last week"}, ["from"]),
        ({**ALL, "to": ALL["from"]}, ["to"]),
        ({"from": "2025-01-01T00:00:00Z", "to": "2026-03-01T00:00:00Z"}, ["to"]),
        ({**ALL, "tz": "Mars/Olympus"}, ["tz"]),
        ({**ALL, "tz": "../../../etc/passwd"}, ["tz"]),
        ({**ALL, "interval": "hour"}, ["interval"]),
        ({**ALL, "version": 9}, ["version"]),
        ({**ALL, "version": 0}, ["version"]),
    ]
    for path in paths:
        for params, fields in cases:
            response = await client.get(path, params=params, headers=READER)
            assert response.status_code == 422, (path, params, response.text)
            assert response.headers["content-type"] == PROBLEM
            assert [e["field"] for e in response.json()["errors"]] == fields, (path, params, response.json())
        for headers in ({}, {"Authorization": "Bearer wrong-key"}):
            response = await client.get(path, params=ALL, headers=headers)
            assert response.status_code == 401 and response.headers["content-type"] == PROBLEM
        missing = await client.get(path.replace(sid, "no-such-survey"), params=ALL, headers=READER)
        assert missing.status_code == 404 and missing.json()["type"].endswith("survey-not-found")
        assert missing.headers["content-type"] == PROBLEM
    # Series buckets past the calendar's ends: the week or month around 9999-12-31, a day of
    # 0001-01-01 in New York (year 0 there).
    for params, field in [
        ({"from": "9999-12-30T00:00:00Z", "to": "9999-12-31T23:59:59Z", "interval": "week"}, "to"),
        ({"from": "9999-12-30T00:00:00Z", "to": "9999-12-31T23:59:59Z", "interval": "month"}, "to"),
        ({"from": "0001-01-01T00:00:00Z", "to": "0001-01-02T00:00:00Z", "interval": "day", "tz": "America/New_York"}, "from"),
    ]:
        response = await client.get(paths[0], params=params, headers=READER)
        assert response.status_code == 422, (params, response.text)
        assert [e["field"] for e in response.json()["errors"]] == [field], (params, response.json())
    adelaide = await results(client, sid, **ALL, tz="Australia/Adelaide", interval="month")
    assert [b["start"] for b in adelaide["series"]][:2] == ["2026-01-01T00:00:00+10:30", "2026-02-01T00:00:00+10:30"]
