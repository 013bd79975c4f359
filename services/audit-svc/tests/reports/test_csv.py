"""format=csv and Accept: text/csv: UTF-8 with a BOM, one table per section, the same numbers as
the JSON report, Chinese titles and root causes intact."""

import csv
import io

from tests.reports.programme import END, START
from tests.scorecards.factories import READER

PARAMS = {"from": START.isoformat(), "to": END.isoformat(), "interval": "week", "tz": "Asia/Kathmandu"}


def tables(raw: bytes) -> dict[str, list[dict[str, str]]]:
    """Section name → its rows as dicts, from the documented layout (name line, header, rows, empty line)."""
    assert raw.startswith("\ufeff".encode())
    lines = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    found, index = {}, 0
    while index < len(lines):
        name, header = lines[index][0], lines[index + 1]
        index += 2
        rows = []
        while lines[index]:
            rows.append(dict(zip(header, lines[index], strict=True)))
            index += 1
        found[name] = rows
        index += 1
    return found


def number(cell: str):
    return None if cell == "" else float(cell)


async def test_csv_holds_the_same_figures_as_json(client, generated):
    plan = generated.plans[0]
    as_json = (await client.get("/v1/audits/report", params={**PARAMS, "plan_id": plan}, headers=READER)).json()
    response = await client.get("/v1/audits/report", params={**PARAMS, "plan_id": plan, "format": "csv"}, headers=READER)
    assert response.status_code == 200 and response.headers["content-type"] == "text/csv; charset=utf-8"
    found = tables(response.content)

    meta = {row["name"]: row["value"] for row in found["report"]}
    assert (meta["tz"], meta["interval"], meta["plan_id"], meta["agent_id"]) == ("Asia/Kathmandu", "week", plan, "")
    assert found["plan"][0]["name"] == "账单组周度质检" and found["plan"][0]["sampling_rate"] == "0.15"
    summary = found["summary"][0]
    assert {key: number(value) for key, value in summary.items()} == {key: (None if value is None else float(value)) for key, value in as_json["summary"].items()}
    assert [(row["start"], int(row["reviews"]), number(row["mean_score"])) for row in found["series"]] == [
        (point["start"], point["reviews"], point["mean_score"]) for point in as_json["series"]
    ]
    categories = {row["key"]: row for row in found["categories"]}
    assert categories["greeting"]["title_zh-CN"] == "开场问候" and categories["accuracy"]["title_zh-CN"] == "信息准确"
    for row in as_json["categories"]:
        assert (int(categories[row["key"]]["answered"]), number(categories[row["key"]]["mean_score"])) == (row["answered"], row["mean_score"])
    assert [(row["category"], row["root_cause"], int(row["count"])) for row in found["root_causes"]] == [
        (row["category"], row["root_cause"], row["count"]) for row in as_json["root_causes"]
    ]
    assert any(not row["root_cause"].isascii() for row in found["root_causes"])  # e.g. 培训不足
    assert [(row["agent_id"], int(row["closed_tickets"]), int(row["reviewed_tickets"]), row["meets_target"]) for row in found["coverage"]] == [
        (row["agent_id"], row["closed_tickets"], row["reviewed_tickets"], "true" if row["meets_target"] else "false") for row in as_json["coverage"]["agents"]
    ]
    assert int(found["actions"][0]["open"]) == as_json["actions"]["open"]


async def test_accept_header_asks_for_csv_and_format_wins(client):
    by_header = await client.get("/v1/audits/report", params=PARAMS, headers={**READER, "Accept": "text/csv"})
    assert by_header.status_code == 200 and by_header.headers["content-type"].startswith("text/csv")
    assert "summary" in tables(by_header.content)
    forced_json = await client.get("/v1/audits/report", params={**PARAMS, "format": "json"}, headers={**READER, "Accept": "text/csv"})
    assert forced_json.headers["content-type"].startswith("application/json") and forced_json.json()["summary"]["reviews"] == 0
