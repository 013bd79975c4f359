"""The disputes dashboard: counts and outcomes by category and by reviewer, mean time to resolve."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from statistics import fmean
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from audit_svc.disputes.models import Dispute, DisputeItem

OUTCOMES = ("accepted", "partially_accepted", "rejected")


def _mean_seconds(disputes: list[Dispute]) -> float | None:
    durations = [(d.resolved_at - d.created_at).total_seconds() for d in disputes if d.resolved_at is not None]
    return fmean(durations) if durations else None


async def dispute_report(
    session: AsyncSession, *, opened_from: datetime | None = None, opened_to: datetime | None = None, reviewer_id: str | None = None
) -> dict[str, Any]:
    """Disputes opened in [``opened_from``, ``opened_to``): how many, how they ended, which
    categories are disputed and changed, per reviewer, and the mean seconds from open to resolved."""
    statement = select(Dispute)
    if opened_from is not None:
        statement = statement.where(Dispute.created_at >= opened_from)
    if opened_to is not None:
        statement = statement.where(Dispute.created_at < opened_to)
    if reviewer_id is not None:
        statement = statement.where(Dispute.reviewer_id == reviewer_id)
    disputes = list((await session.execute(statement)).scalars())
    items = list((await session.execute(select(DisputeItem).where(DisputeItem.dispute_id.in_(statement.with_only_columns(Dispute.id))))).scalars())

    categories: dict[str, dict[str, int]] = defaultdict(lambda: {"disputed": 0, "changed": 0, "upheld": 0})
    for item in items:
        counts = categories[item.category_key]
        counts["disputed"] += 1
        if item.changed is not None:
            counts["changed" if item.changed else "upheld"] += 1
    reviewers: dict[str, list[Dispute]] = defaultdict(list)
    for dispute in disputes:
        reviewers[dispute.reviewer_id].append(dispute)
    return {
        "disputes": len(disputes),
        "open": sum(d.status == "open" for d in disputes),
        "outcomes": {outcome: sum(d.status == outcome for d in disputes) for outcome in OUTCOMES},
        "mean_resolve_seconds": _mean_seconds(disputes),
        "by_category": [{"key": key, **counts} for key, counts in sorted(categories.items())],
        "by_reviewer": [
            {
                "reviewer_id": reviewer,
                "disputes": len(group),
                "open": sum(d.status == "open" for d in group),
                **{outcome: sum(d.status == outcome for d in group) for outcome in OUTCOMES},
                "mean_resolve_seconds": _mean_seconds(group),
            }
            for reviewer, group in sorted(reviewers.items())
        ],
    }
