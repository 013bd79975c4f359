"""Severity (1-4) and priority of a feedback item from the editable severity rules (pure: the
caller counts the customer's earlier complaints for each repeat rule)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from feedback_svc.classification.schemas import (
    ChannelRule, FiredRule, RepeatComplaintRule, SeverityRules, TagRule, WordsRule,
)


@dataclass(frozen=True)
class FeedbackFacts:
    kind: str
    channel: str
    rating: int | None
    text: str
    tags: list[str] = field(default_factory=list)
    #: rule id → how many complaints the same customer made within that rule's window before.
    previous_complaints: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Rating:
    severity: int
    priority: str
    fired: list[FiredRule]


def _word_found(word: str, lowered: str) -> bool:
    word = word.lower()
    if word.isascii():
        return re.search(rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])", lowered) is not None
    return word in lowered


def fires(rule, facts: FeedbackFacts) -> str | None:
    """Why ``rule`` fires for ``facts`` (a short detail), or None when it does not."""
    if isinstance(rule, ChannelRule):
        if facts.channel not in rule.channels or (rule.kinds and facts.kind not in rule.kinds):
            return None
        if rule.max_rating is not None and (facts.rating is None or facts.rating > rule.max_rating):
            return None
        return f"channel {facts.channel}" + (f", {facts.rating} stars" if rule.max_rating is not None else "")
    if isinstance(rule, RepeatComplaintRule):
        count = facts.previous_complaints.get(rule.id, 0)
        if facts.kind == "complaint" and count >= rule.min_previous:
            return f"{count} earlier complaint(s) within {rule.within_days} days"
        return None
    if isinstance(rule, WordsRule):
        lowered = facts.text.lower()
        found = [word for word in rule.words if _word_found(word, lowered)]
        return ", ".join(found) if found else None
    if isinstance(rule, TagRule):
        tags = {tag.lower() for tag in facts.tags}
        found = [tag for tag in rule.tags if tag.lower() in tags]
        return ", ".join(found) if found else None
    return None


def rate(rules: SeverityRules, facts: FeedbackFacts) -> Rating:
    fired = [
        FiredRule(id=rule.id, type=rule.type, severity=rule.severity, detail=detail)
        for rule in rules.rules
        if (detail := fires(rule, facts)) is not None
    ]
    severity = max([rules.base[facts.kind], *(rule.severity for rule in fired)])
    return Rating(severity=severity, priority=rules.priority_by_severity[str(severity)], fired=fired)
