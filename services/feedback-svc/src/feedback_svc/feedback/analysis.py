"""The customer's voice over a window: counts and shares by kind, category and channel, praise
rate, complaint resolution time, complaints per category, a series in the caller's time zone,
and the top terms per category. Definitions follow DESIGN.md "More KPI definitions": items count
by ``received_at``; complaint resolution times by ``resolved_at``."""

from __future__ import annotations

import asyncio
import csv
import io
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.errors import InvalidInput
from feedback_svc.classification import service as rules_service
from feedback_svc.classification.text import tokens
from feedback_svc.feedback.models import FeedbackItem

KINDS = ("complaint", "suggestion", "praise", "enquiry")
CHANNELS = ("hotline", "chat", "email", "social", "ecommerce_review", "web", "app", "in_person")
MAX_BUCKETS = 1000
TOP_TERMS = 10


@dataclass(frozen=True)
class AnalysisQuery:
    start: datetime
    end: datetime
    tz: ZoneInfo
    interval: str  # day, week, month
    channel: str | None = None
    source: str | None = None
    kind: str | None = None
    category: str | None = None
    team_id: str | None = None
    agent_id: str | None = None

    def conditions(self) -> list:
        found = []
        for name in ("channel", "source", "kind", "category", "team_id", "agent_id"):
            value = getattr(self, name)
            if value is not None:
                found.append(getattr(FeedbackItem, name) == value)
        return found


def _pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 2) if whole else None


def _shares(counts: Counter, keys: list[str]) -> list[dict]:
    total = sum(counts.values())
    keys = keys + sorted(set(counts) - set(keys))
    return [{"key": key, "count": counts.get(key, 0), "pct": _pct(counts.get(key, 0), total)} for key in keys]


def bucket_start(local: date, interval: str) -> date:
    if interval == "week":
        return local - timedelta(days=local.weekday())
    if interval == "month":
        return local.replace(day=1)
    return local


def next_bucket(start: date, interval: str) -> date:
    if interval == "week":
        return start + timedelta(days=7)
    if interval == "month":
        return date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return start + timedelta(days=1)


def buckets(query: AnalysisQuery) -> list[date]:
    """Local bucket starts covering [start, end) in the query's time zone, empty ones included."""
    first = bucket_start(query.start.astimezone(query.tz).date(), query.interval)
    last = (query.end - timedelta(microseconds=1)).astimezone(query.tz).date()
    found, current = [], first
    while current <= last:
        found.append(current)
        if len(found) > MAX_BUCKETS:
            raise InvalidInput("interval", f"the window holds more than {MAX_BUCKETS} {query.interval}s: use a longer interval")
        current = next_bucket(current, query.interval)
    return found


def _local_midnight(day: date, tz: ZoneInfo) -> str:
    return datetime(day.year, day.month, day.day, tzinfo=tz).isoformat()


async def analyse(session: AsyncSession, query: AnalysisQuery, *, max_term_items: int) -> dict:
    if query.end <= query.start:
        raise InvalidInput("to", "must be after from")
    starts = buckets(query)
    in_window = [FeedbackItem.received_at >= query.start, FeedbackItem.received_at < query.end, *query.conditions()]
    rows = (
        await session.execute(select(FeedbackItem.kind, FeedbackItem.category, FeedbackItem.channel, FeedbackItem.received_at).where(*in_window))
    ).all()
    by_kind = Counter(row.kind for row in rows)
    by_category = Counter(row.category for row in rows)
    by_channel = Counter(row.channel for row in rows)
    complaints_by_category = Counter(row.category for row in rows if row.kind == "complaint")

    series = {start: Counter() for start in starts}
    for row in rows:
        series[bucket_start(row.received_at.astimezone(query.tz).date(), query.interval)][row.kind] += 1

    resolved = (
        await session.execute(
            select(FeedbackItem.received_at, FeedbackItem.resolved_at).where(
                FeedbackItem.kind == "complaint", FeedbackItem.resolved_at >= query.start,
                FeedbackItem.resolved_at < query.end, *query.conditions(),
            )
        )
    ).all()
    durations = [(row.resolved_at - row.received_at).total_seconds() for row in resolved]

    category_keys = (await rules_service.classification_rules(session)).rules.category_keys()
    terms, sampled = await _top_terms(session, in_window, max_term_items)
    praise, complaints = by_kind.get("praise", 0), by_kind.get("complaint", 0)
    return {
        "from": query.start, "to": query.end, "tz": query.tz.key, "interval": query.interval,
        "total": len(rows),
        "by_kind": _shares(by_kind, list(KINDS)),
        "by_category": _shares(by_category, category_keys),
        "by_channel": _shares(by_channel, list(CHANNELS)),
        "praise_pct": _pct(praise, praise + complaints),
        "complaints": complaints,
        "complaint_share_by_category": _shares(complaints_by_category, category_keys),
        "complaint_resolution": {
            "resolved": len(durations),
            "avg_seconds": round(sum(durations) / len(durations), 3) if durations else None,
        },
        "series": [
            {"start": _local_midnight(start, query.tz), "total": sum(series[start].values()), **{kind: series[start].get(kind, 0) for kind in KINDS}}
            for start in starts
        ],
        "top_terms": [{"category": key, "terms": terms[key]} for key in category_keys + sorted(set(terms) - set(category_keys)) if key in terms],
        "terms_sampled_items": sampled,
    }


async def _top_terms(session: AsyncSession, in_window: list, limit: int) -> tuple[dict[str, list[dict]], int]:
    """The most frequent words per category (stop words removed, English stemmed), over the
    newest ``limit`` items of the window."""
    rows = (
        await session.execute(
            select(FeedbackItem.category, FeedbackItem.language, FeedbackItem.text)
            .where(*in_window).order_by(FeedbackItem.received_at.desc(), FeedbackItem.id.desc()).limit(limit)
        )
    ).all()
    return await asyncio.to_thread(_count_terms, rows), len(rows)


def _count_terms(rows) -> dict[str, list[dict]]:
    counts: dict[str, Counter] = {}
    for row in rows:
        words = [word for word in tokens(row.text, row.language) if len(word) > 1 or not word.isascii()]
        counts.setdefault(row.category, Counter()).update(words)
    return {
        category: [{"term": term, "count": count} for term, count in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_TERMS]]
        for category, counter in counts.items()
    }


def to_csv(result: dict) -> str:
    """One table of (section, key, count, value): shares carry their percentage as the value."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["section", "key", "count", "value"])
    for section in ("by_kind", "by_category", "by_channel", "complaint_share_by_category"):
        for row in result[section]:
            writer.writerow([section, row["key"], row["count"], "" if row["pct"] is None else row["pct"]])
    writer.writerow(["metric", "total", result["total"], ""])
    writer.writerow(["metric", "praise_pct", "", "" if result["praise_pct"] is None else result["praise_pct"]])
    resolution = result["complaint_resolution"]
    writer.writerow(["metric", "complaint_resolution_avg_seconds", resolution["resolved"], "" if resolution["avg_seconds"] is None else resolution["avg_seconds"]])
    for row in result["series"]:
        writer.writerow(["series", row["start"], row["total"], ";".join(f"{kind}={row[kind]}" for kind in KINDS)])
    for entry in result["top_terms"]:
        for term in entry["terms"]:
            writer.writerow([f"top_terms.{entry['category']}", term["term"], term["count"], ""])
    return out.getvalue()


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ValueError, OSError, LookupError):
        raise InvalidInput("tz", f"{name!r} is not an IANA time zone such as Asia/Shanghai") from None


def utc(moment: datetime, *, field: str) -> datetime:
    """``moment`` in UTC, for a window bound between the years 2000 and 2100."""
    if not 2000 <= moment.year <= 2100:
        raise InvalidInput(field, "must lie between the years 2000 and 2100")
    return moment.astimezone(timezone.utc)
