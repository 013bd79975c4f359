"""The report as CSV: UTF-8 with a BOM (so Excel reads Chinese), one table per section.

Each table is a line holding the section's name alone, a header line, its rows, and an empty
line. Empty cells are nulls; times are RFC 3339 with the report zone's offset (series) or UTC.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

BOM = "\ufeff"
LANGUAGES = ("zh-CN", "en")
REVIEW_COLUMNS = ["reviews", "scored_reviews", "mean_score", "critical_fails", "critical_fail_pct"]
COVERAGE_COLUMNS = ["closed_tickets", "reviewed_tickets", "coverage_pct", "target_pct", "meets_target"]
CATEGORY_COLUMNS = ["scorecard_id", "key", "section_key", *(f"title_{language}" for language in LANGUAGES), "critical", "bonus", "reviews", "answered", "na", "mean_score", "critical_fails", "critical_fail_pct"]


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def to_csv(report: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")

    def table(name: str, columns: list[str], rows: list[dict[str, Any]]) -> None:
        writer.writerow([name])
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(row.get(column)) for column in columns])
        writer.writerow([])

    meta = {"from": report["from"], "to": report["to"], "interval": report["interval"], "tz": report["tz"], **report["filters"]}
    table("report", ["name", "value"], [{"name": name, "value": value} for name, value in meta.items()])
    if report["plan"] is not None:
        table("plan", list(report["plan"]), [report["plan"]])
    table("summary", REVIEW_COLUMNS, [report["summary"]])
    table("series", ["start", "end", *REVIEW_COLUMNS], report["series"])
    categories = [{**row, **{f"title_{language}": row["titles"].get(language) for language in LANGUAGES}} for row in report["categories"]]
    table("categories", CATEGORY_COLUMNS, categories)
    table("root_causes", ["scorecard_id", "category", "root_cause", "count"], report["root_causes"])
    table("coverage", ["agent_id", *COVERAGE_COLUMNS], [*report["coverage"]["agents"]])
    table("coverage_total", COVERAGE_COLUMNS, [report["coverage"]["total"]])
    actions = report["actions"]
    table("actions", ["as_of", "open", "overdue", "awaiting_verification"], [actions])
    table("actions_by_owner", ["owner_id", "open", "overdue", "awaiting_verification"], actions["by_owner"])
    return BOM + out.getvalue()
