"""What a report is asked for: the window, the filters, and which reviews they select."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists
from sqlalchemy.orm import aliased

from audit_svc.reports.window import Window
from audit_svc.reviews.models import Review, ReviewAnswer


@dataclass(frozen=True)
class ReportFilters:
    plan_id: str | None = None
    method: str | None = None
    team_id: str | None = None
    agent_id: str | None = None
    scorecard_id: str | None = None
    category: str | None = None  # a category key: reviews that have it; the category sections only it

    def as_dict(self) -> dict[str, str | None]:
        return {name: getattr(self, name) for name in ("plan_id", "method", "team_id", "agent_id", "scorecard_id", "category")}


def counting_review_conditions(filters: ReportFilters) -> list:
    """Reviews that count for agents (never calibration) and match the filters. A review row is
    its latest version: a dispute re-scores it in place and raises its version."""
    conditions = [Review.counts_for_agent.is_(True), Review.calibration_id.is_(None)]
    for column, value in (
        (Review.plan_id, filters.plan_id), (Review.method, filters.method), (Review.team_id, filters.team_id),
        (Review.agent_id, filters.agent_id), (Review.scorecard_id, filters.scorecard_id),
    ):
        if value is not None:
            conditions.append(column == value)
    if filters.category is not None:
        answer = aliased(ReviewAnswer)  # apart from the review_answers a caller may select beside it
        conditions.append(exists().where(answer.review_id == Review.id, answer.category_key == filters.category))
    return conditions


def reviewed_in(window: Window) -> list:
    return [Review.reviewed_at >= window.start, Review.reviewed_at < window.end]
