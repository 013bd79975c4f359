"""Checking an answered scorecard against the version it answers, and scoring it.

Every problem is reported at once, each naming its field (``answers.greeting``,
``root_causes.accuracy[1]``): an unknown or missing category, an answer off the scale, N/A where
the category does not allow it, a root cause the category does not list.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from csq_common.errors import InvalidInput
from audit_svc.reviews.scoring import ScoredCategory, category_score, review_score
from audit_svc.scorecards.definitions import answer_error

NA = "na"


@dataclass(frozen=True)
class ScoredAnswer:
    """One category of a review as scored: what the row and the event are built from."""

    key: str
    section_key: str
    position: int
    answer: float | None  # None: N/A
    score: float | None
    weight: float
    critical: bool
    bonus: bool
    root_causes: list[str]
    comment: str | None


@dataclass(frozen=True)
class ScoredReview:
    score: float | None
    failed_critical: bool
    categories: list[ScoredAnswer]


def categories_of(definition: Mapping[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """category key → (section key, category) of a stored scorecard definition, in order."""
    return {category["key"]: (section["key"], category) for section in definition["sections"] for category in section["categories"]}


def score_answers(
    definition: Mapping[str, Any],
    answers: Mapping[str, Any],
    root_causes: Mapping[str, list[str]] | None = None,
    comments: Mapping[str, str] | None = None,
) -> ScoredReview:
    """The scored review, or ``InvalidInput`` naming every answer that breaks a rule."""
    root_causes, comments = root_causes or {}, comments or {}
    categories = categories_of(definition)
    errors: list[dict[str, str]] = []

    def error(field: str, message: str) -> None:
        errors.append({"field": field, "message": message})

    for key in answers:
        if key not in categories:
            error(f"answers.{key}", "is not a category of this scorecard version")
    scored: list[ScoredAnswer] = []
    for position, (key, (section_key, category)) in enumerate(categories.items()):
        if key not in answers:
            error(f"answers.{key}", "is missing: every category needs an answer (or \"na\" where allowed)")
            continue
        value = answers[key]
        answer: float | None
        score: float | None
        if value == NA:
            if not category.get("allow_na"):
                error(f"answers.{key}", "N/A is not allowed for this category")
                continue
            answer = score = None
        else:
            problem = answer_error(value, category["scale"])
            if problem:
                error(f"answers.{key}", problem)
                continue
            answer, score = float(value), category_score(value, category["scale"])
        causes = list(root_causes.get(key, []))
        offered = category.get("root_causes") or []
        for index, cause in enumerate(causes):
            if cause not in offered:
                error(f"root_causes.{key}[{index}]", f"{cause!r} is not one of the category's root causes {offered}")
        if causes and (score is None or score >= 100):
            error(f"root_causes.{key}", "root causes are picked on a low answer, not on full marks or N/A")
        scored.append(
            ScoredAnswer(
                key=key, section_key=section_key, position=position, answer=answer, score=score,
                weight=float(category["weight"]), critical=bool(category.get("critical")), bonus=bool(category.get("bonus")),
                root_causes=causes, comment=comments.get(key),
            )
        )
    for field, given in (("root_causes", root_causes), ("comments", comments)):
        for key in given:
            if key not in categories:
                error(f"{field}.{key}", "is not a category of this scorecard version")
    if errors:
        raise InvalidInput(errors=errors)
    total, failed = review_score(ScoredCategory(a.key, a.weight, a.critical, a.bonus, a.score) for a in scored)
    return ScoredReview(score=total, failed_critical=failed, categories=scored)
