"""The editable rule sets, reviewers' corrections and the classification report. Nothing here
commits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.bus import outbox
from csq_common.events import make_event
from csq_common.events.feedback import FeedbackReclassified
from feedback_svc.classification.defaults import DEFAULT_CATEGORIES, DEFAULT_KINDS, DEFAULT_SEVERITY_RULES
from feedback_svc.classification.errors import UnknownCategory
from feedback_svc.classification.models import ClassificationCorrectionRow, RuleSet
from feedback_svc.classification.severity import FeedbackFacts, rate
from feedback_svc.classification.schemas import (
    CategoryQuality, ClassificationCorrection, ClassificationReport, ClassificationRules, RepeatComplaintRule, SeverityRules,
)
from feedback_svc.feedback.errors import FeedbackNotFound
from feedback_svc.feedback.models import FeedbackItem

SOURCE = "feedback-svc"
CLASSIFICATION = "classification"
SEVERITY = "severity"


@dataclass(frozen=True)
class StoredRules:
    rules: BaseModel
    version: int
    updated_at: datetime | None
    updated_by: str | None

    def read(self) -> dict:
        return {**self.rules.model_dump(mode="json"), "version": self.version, "updated_at": self.updated_at, "updated_by": self.updated_by}


_DEFAULTS = {
    CLASSIFICATION: (ClassificationRules, {"categories": DEFAULT_CATEGORIES, "kinds": DEFAULT_KINDS}),
    SEVERITY: (SeverityRules, DEFAULT_SEVERITY_RULES),
}


async def _load(session: AsyncSession, name: str) -> StoredRules:
    model, default = _DEFAULTS[name]
    row = await session.get(RuleSet, name)
    if row is None:
        return StoredRules(model.model_validate(default), version=0, updated_at=None, updated_by=None)
    return StoredRules(model.model_validate(row.document), version=row.version, updated_at=row.updated_at, updated_by=row.updated_by)


async def _replace(session: AsyncSession, name: str, rules: BaseModel, *, by: str, now: datetime) -> StoredRules:
    row = await session.get(RuleSet, name, with_for_update=True)
    if row is None:
        row = RuleSet(name=name, version=0)
        session.add(row)
    row.document = rules.model_dump(mode="json")
    row.version += 1
    row.updated_at, row.updated_by = now, by
    await session.flush()
    return StoredRules(rules, version=row.version, updated_at=now, updated_by=by)


async def classification_rules(session: AsyncSession) -> StoredRules:
    return await _load(session, CLASSIFICATION)


async def replace_classification_rules(session: AsyncSession, rules: ClassificationRules, *, by: str, now: datetime) -> StoredRules:
    return await _replace(session, CLASSIFICATION, rules, by=by, now=now)


async def severity_rules(session: AsyncSession) -> StoredRules:
    return await _load(session, SEVERITY)


async def replace_severity_rules(session: AsyncSession, rules: SeverityRules, *, by: str, now: datetime) -> StoredRules:
    return await _replace(session, SEVERITY, rules, by=by, now=now)


async def _rerate(session: AsyncSession, item: FeedbackItem) -> None:
    """Severity and priority again under the item's corrected kind (the kind's base and the rules
    that look at the kind, such as repeated complaints), with the rules in force now. Due times
    set at triage stay."""
    rules = (await severity_rules(session)).rules
    rating = rate(
        rules,
        FeedbackFacts(
            kind=item.kind, channel=item.channel, rating=item.rating, text=item.text, tags=list(item.tags or []),
            previous_complaints=await previous_complaints(session, item.customer_id, item.received_at, rules.rules),
        ),
    )
    item.severity, item.priority = rating.severity, rating.priority
    item.fired_rules = [rule.model_dump(mode="json") for rule in rating.fired]


async def correct(
    session: AsyncSession, feedback_id: str, correction: ClassificationCorrection, *, now: datetime, topic: str
) -> FeedbackItem:
    """Record a reviewer's kind and category for an item; the item takes them, and the rules'
    own guess stays beside them for the report. A change of either stages
    ``feedback.reclassified`` so that what counted the item (kpi-svc) can move it."""
    known = (await classification_rules(session)).rules.category_keys()
    if correction.category not in known:
        raise UnknownCategory(correction.category, known)
    item = await session.get(FeedbackItem, feedback_id, with_for_update=True)
    if item is None:
        raise FeedbackNotFound(feedback_id)
    session.add(
        ClassificationCorrectionRow(
            id=str(uuid.uuid4()), feedback_id=item.id, previous_kind=item.kind, previous_category=item.category,
            kind=correction.kind, category=correction.category, reviewer_id=correction.reviewer_id,
            note=correction.note, corrected_at=now,
        )
    )
    previous_kind, previous_category, previous_severity, previous_priority = item.kind, item.category, item.severity, item.priority
    item.kind, item.category, item.reviewed, item.updated_at = correction.kind, correction.category, True, now
    if previous_kind != item.kind and item.text:
        await _rerate(session, item)
    if (previous_kind, previous_category) != (item.kind, item.category):
        event = FeedbackReclassified(
            feedback_id=item.id, kind=item.kind, category=item.category, previous_kind=previous_kind,
            previous_category=previous_category, channel=item.channel, source=item.source, severity=item.severity,
            priority=item.priority, previous_severity=previous_severity, previous_priority=previous_priority,
            received_at=item.received_at, resolved_at=item.resolved_at, team_id=item.team_id,
            agent_id=item.agent_id, reviewer_id=correction.reviewer_id, corrected_at=now,
        )
        await outbox.add(session, make_event(event, source=SOURCE, subject=item.id, time=now), topic=topic, key=item.id)
    await session.flush()
    return item


async def previous_complaints(session: AsyncSession, customer_id: str | None, before: datetime, rules) -> dict[str, int]:
    """For each repeat-complaint rule, the customer's complaints within its window before ``before``."""
    counts: dict[str, int] = {}
    for rule in rules:
        if not isinstance(rule, RepeatComplaintRule) or customer_id is None:
            continue
        counts[rule.id] = (
            await session.execute(
                select(func.count()).select_from(FeedbackItem).where(
                    FeedbackItem.customer_id == customer_id,
                    FeedbackItem.kind == "complaint",
                    FeedbackItem.received_at >= before - timedelta(days=rule.within_days),
                    FeedbackItem.received_at < before,
                )
            )
        ).scalar_one()
    return counts


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


async def report(session: AsyncSession) -> ClassificationReport:
    """Precision and recall of the category rules per category, over the reviewed items (the
    reviewer's latest verdict is the truth; the rules' guess is ``predicted_category``)."""
    reviewed = (
        await session.execute(
            select(FeedbackItem.predicted_kind, FeedbackItem.kind, FeedbackItem.predicted_category, FeedbackItem.category, FeedbackItem.kind_given)
            .where(FeedbackItem.reviewed.is_(True))
        )
    ).all()
    corrections = len((await session.execute(select(ClassificationCorrectionRow.id))).all())
    keys = (await classification_rules(session)).rules.category_keys()
    keys += sorted({row.category for row in reviewed} | {row.predicted_category for row in reviewed} - set(keys))
    categories = []
    for key in keys:
        predicted = sum(1 for row in reviewed if row.predicted_category == key)
        actual = sum(1 for row in reviewed if row.category == key)
        correct_ = sum(1 for row in reviewed if row.category == key and row.predicted_category == key)
        categories.append(
            CategoryQuality(category=key, predicted=predicted, actual=actual, correct=correct_,
                            precision=_ratio(correct_, predicted), recall=_ratio(correct_, actual))
        )
    kind_judged = [row for row in reviewed if not row.kind_given]
    return ClassificationReport(
        reviewed_items=len(reviewed),
        corrections=corrections,
        kind_accuracy=_ratio(sum(1 for row in kind_judged if row.kind == row.predicted_kind), len(kind_judged)),
        category_accuracy=_ratio(sum(1 for row in reviewed if row.category == row.predicted_category), len(reviewed)),
        categories=categories,
    )
