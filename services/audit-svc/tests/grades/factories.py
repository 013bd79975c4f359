"""The small review-of-review scorecard a QA lead grades reviews with (bilingual)."""

from __future__ import annotations

from typing import Any

from tests.scorecards.factories import titles


def rubric(**overrides: Any) -> dict[str, Any]:
    """Scores right, root causes right, comments that help the agent; the critical flag used as
    the lead would: a review that gets a critical category wrong fails."""
    body: dict[str, Any] = {
        "name": "质检复核 / Review of review",
        "languages": ["zh-CN", "en"],
        "titles": titles("质检复核", "Review of review"),
        "use": "review_of_review",
        "sections": [{
            "key": "grading",
            "titles": titles("评分质量", "Grading quality"),
            "categories": [
                {"key": "scores_correct", "titles": titles("评分准确", "Scores are right"), "weight": 3, "scale": "5"},
                {"key": "critical_correct", "titles": titles("致命项判定正确", "Critical calls are right"), "weight": 2, "scale": "binary", "critical": True},
                {"key": "root_causes_correct", "titles": titles("根因选择恰当", "Root causes are right"), "weight": 1, "scale": "binary", "allow_na": True},
                {"key": "coaching_comments", "titles": titles("评语有辅导价值", "Comments help the agent"), "weight": 1, "scale": "3"},
            ],
        }],
    }
    body.update(overrides)
    return body


RUBRIC_FULL_MARKS = {"scores_correct": 5, "critical_correct": 1, "root_causes_correct": "na", "coaching_comments": 3}
