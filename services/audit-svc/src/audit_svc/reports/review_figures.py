"""The review sections of the report: totals, the series, per-category scores and root causes,
all over the reviews that count (filters.py) reviewed in the window."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from audit_svc.reports.figures import ScoreTally, percent, shown
from audit_svc.reports.filters import ReportFilters, counting_review_conditions, reviewed_in
from audit_svc.reports.window import Buckets, Window
from audit_svc.reviews.models import Review, ReviewAnswer
from audit_svc.scorecards.models import ScorecardVersion

CRITICAL_PASS = 50


@dataclass
class CategoryTally:
    section_key: str
    critical: bool
    bonus: bool
    scores: ScoreTally = field(default_factory=ScoreTally)
    critical_fails: int = 0


async def review_sections(
    session: AsyncSession, window: Window, filters: ReportFilters, series_buckets: Buckets, tz: ZoneInfo
) -> dict[str, Any]:
    """``summary``, ``series``, ``categories`` and ``root_causes`` of the report."""
    conditions = [*counting_review_conditions(filters), *reviewed_in(window)]
    reviews = (
        await session.execute(
            select(Review.id, Review.scorecard_id, Review.scorecard_version, Review.score, Review.failed_critical, Review.reviewed_at).where(*conditions)
        )
    ).all()
    summary = ScoreTally()
    series = [ScoreTally() for _ in series_buckets.days]
    for review in reviews:
        summary.add(review.score, failed_critical=review.failed_critical)
        index = series_buckets.index(review.reviewed_at)
        if index is not None:
            series[index].add(review.score, failed_critical=review.failed_critical)

    answers = select(
        Review.scorecard_id, ReviewAnswer.category_key, ReviewAnswer.section_key, ReviewAnswer.score, ReviewAnswer.critical,
        ReviewAnswer.bonus, ReviewAnswer.root_causes, ReviewAnswer.position,
    ).join(Review, Review.id == ReviewAnswer.review_id).where(*conditions)
    if filters.category is not None:
        answers = answers.where(ReviewAnswer.category_key == filters.category)
    categories: dict[tuple[str, str], CategoryTally] = {}
    positions: dict[tuple[str, str], int] = {}
    causes: Counter[tuple[str, str, str]] = Counter()
    for row in (await session.execute(answers)).all():
        key = (row.scorecard_id, row.category_key)
        tally = categories.setdefault(key, CategoryTally(row.section_key, row.critical, row.bonus))
        positions[key] = min(positions.get(key, row.position), row.position)
        tally.scores.add(row.score)
        if row.critical and row.score is not None and row.score < CRITICAL_PASS:
            tally.critical_fails += 1
        for cause in row.root_causes or ():
            causes[(row.scorecard_id, row.category_key, cause)] += 1

    latest_versions: dict[str, int] = {}
    for review in reviews:
        latest_versions[review.scorecard_id] = max(latest_versions.get(review.scorecard_id, 0), review.scorecard_version)
    titles = await _category_titles(session, latest_versions)
    return {
        "summary": summary.review_figures(),
        "series": [
            {"start": series_buckets.edges[i].astimezone(tz), "end": series_buckets.edges[i + 1].astimezone(tz), **tally.review_figures()}
            for i, tally in enumerate(series)
        ],
        "categories": [
            {
                "scorecard_id": scorecard_id, "key": key, "section_key": tally.section_key, "titles": titles.get((scorecard_id, key), {}),
                "critical": tally.critical, "bonus": tally.bonus, "reviews": tally.scores.count, "answered": tally.scores.scored,
                "na": tally.scores.count - tally.scores.scored, "mean_score": shown(tally.scores.mean()),
                "critical_fails": tally.critical_fails, "critical_fail_pct": percent(tally.critical_fails, tally.scores.scored) if tally.critical else None,
            }
            for (scorecard_id, key), tally in sorted(categories.items(), key=lambda item: (item[0][0], positions[item[0]]))
        ],
        "root_causes": [
            {"scorecard_id": scorecard_id, "category": key, "root_cause": cause, "count": count}
            for (scorecard_id, key, cause), count in sorted(causes.items(), key=lambda item: (-item[1], item[0]))
        ],
    }


async def _category_titles(session: AsyncSession, versions: dict[str, int]) -> dict[tuple[str, str], dict[str, str]]:
    """(scorecard, category key) → its titles in the newest scorecard version the reviews used."""
    if not versions:
        return {}
    rows = (
        await session.execute(select(ScorecardVersion.scorecard_id, ScorecardVersion.version, ScorecardVersion.definition).where(ScorecardVersion.scorecard_id.in_(list(versions))))
    ).all()
    titles: dict[tuple[str, str], dict[str, str]] = {}
    for row in rows:
        if row.version != versions[row.scorecard_id]:
            continue
        for section in row.definition.get("sections", []):
            for category in section.get("categories", []):
                titles[(row.scorecard_id, category["key"])] = dict(category.get("titles") or {})
    return titles
