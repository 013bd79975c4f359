"""Staff suggestions. Anonymous ones are stored without anything that identifies the sender and
with dates only to the day; a follow-up code (kept hashed) lets the sender read the status and
the answer. Reports show anonymous counts only for groups of at least ``MIN_ANONYMOUS_GROUP``.
Nothing here commits."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.pagination import decode_cursor, encode_cursor
from feedback_svc.suggestions.errors import FollowUpCodeUnknown, SuggestionNotFound, SuggestionStepNotAllowed
from feedback_svc.suggestions.models import StaffSuggestion
from feedback_svc.suggestions.schemas import (
    AnonymousSuggestionCreate, Answer, Decision, EffectReview, Implemented, NamedSuggestionCreate,
)

MIN_ANONYMOUS_GROUP = 5
STATUSES = ("proposed", "accepted", "rejected", "implemented", "effect_reviewed")


def code_digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


@dataclass(frozen=True)
class Receipt:
    follow_up_code: str
    status: str
    submitted_on: date


async def submit_anonymous(session: AsyncSession, body: AnonymousSuggestionCreate, *, today: date) -> Receipt:
    code = secrets.token_urlsafe(24)
    session.add(
        StaffSuggestion(
            id=str(uuid.uuid4()), anonymous=True, title=body.title, text=body.text, category=body.category,
            team_id=body.team_id, author_id=None, status="proposed", reward=False,
            follow_up_code_digest=code_digest(code), submitted_on=today, changed_on=today,
        )
    )
    await session.flush()
    return Receipt(follow_up_code=code, status="proposed", submitted_on=today)


async def follow_up(session: AsyncSession, code: str) -> StaffSuggestion:
    found = (await session.execute(select(StaffSuggestion).where(StaffSuggestion.follow_up_code_digest == code_digest(code)))).scalar_one_or_none()
    if found is None:
        raise FollowUpCodeUnknown()
    return found


async def submit_named(session: AsyncSession, body: NamedSuggestionCreate, *, today: date) -> StaffSuggestion:
    suggestion = StaffSuggestion(
        id=str(uuid.uuid4()), anonymous=False, title=body.title, text=body.text, category=body.category,
        team_id=body.team_id, author_id=body.author_id, status="proposed", reward=False, submitted_on=today, changed_on=today,
    )
    session.add(suggestion)
    await session.flush()
    return suggestion


def for_managers(suggestion: StaffSuggestion) -> StaffSuggestion | dict:
    """An anonymous suggestion without its team (the report groups those, with a minimum)."""
    if not suggestion.anonymous:
        return suggestion
    fields = {column.name: getattr(suggestion, column.name) for column in StaffSuggestion.__table__.columns}
    fields["team_id"] = None
    return fields


async def get(session: AsyncSession, suggestion_id: str, *, lock: bool = False) -> StaffSuggestion:
    suggestion = await session.get(StaffSuggestion, suggestion_id, with_for_update=lock)
    if suggestion is None:
        raise SuggestionNotFound(suggestion_id)
    return suggestion


async def _step(session: AsyncSession, suggestion_id: str, action: str, allowed_from: tuple[str, ...]) -> StaffSuggestion:
    suggestion = await get(session, suggestion_id, lock=True)
    if suggestion.status not in allowed_from:
        raise SuggestionStepNotAllowed(action, suggestion.status, allowed_from)
    return suggestion


async def decide(session: AsyncSession, suggestion_id: str, body: Decision, *, today: date) -> StaffSuggestion:
    suggestion = await _step(session, suggestion_id, "decide on", ("proposed",))
    suggestion.status, suggestion.owner_id, suggestion.decision, suggestion.changed_on = body.decision, body.owner_id, body.note, today
    if body.answer is not None:
        suggestion.answer = body.answer
    return suggestion


async def mark_implemented(session: AsyncSession, suggestion_id: str, body: Implemented, *, today: date) -> StaffSuggestion:
    suggestion = await _step(session, suggestion_id, "mark implemented", ("accepted",))
    suggestion.status, suggestion.changed_on = "implemented", today
    if body.note is not None:
        suggestion.decision = f"{suggestion.decision}\n{body.note}" if suggestion.decision else body.note
    return suggestion


async def review_effect(session: AsyncSession, suggestion_id: str, body: EffectReview, *, today: date) -> StaffSuggestion:
    suggestion = await _step(session, suggestion_id, "review the effect of", ("implemented",))
    suggestion.status, suggestion.effect, suggestion.reward, suggestion.changed_on = "effect_reviewed", body.effect, body.reward, today
    return suggestion


async def answer(session: AsyncSession, suggestion_id: str, body: Answer, *, today: date) -> StaffSuggestion:
    suggestion = await get(session, suggestion_id, lock=True)
    suggestion.answer, suggestion.changed_on = body.answer, today
    return suggestion


@dataclass(frozen=True)
class Page:
    items: list
    next_cursor: str | None


async def list_suggestions(
    session: AsyncSession, *, status: str | None, anonymous: bool | None, limit: int, cursor: str | None
) -> Page:
    """Ordered by id (random): a page says nothing of when or in which order they arrived."""
    statement = select(StaffSuggestion)
    if status is not None:
        statement = statement.where(StaffSuggestion.status == status)
    if anonymous is not None:
        statement = statement.where(StaffSuggestion.anonymous.is_(anonymous))
    if cursor:
        statement = statement.where(StaffSuggestion.id > decode_cursor(cursor)[0])
    rows = list((await session.execute(statement.order_by(StaffSuggestion.id).limit(limit + 1))).scalars())
    items = rows[:limit]
    return Page([for_managers(row) for row in items], encode_cursor(items[-1].id) if len(rows) > limit else None)


async def report(session: AsyncSession, *, group_by: str, start: date | None, end: date | None) -> dict:
    """Counts by status per team or category, named and anonymous apart; a group's anonymous
    counts appear only when it has at least ``MIN_ANONYMOUS_GROUP`` anonymous suggestions."""
    column = StaffSuggestion.team_id if group_by == "team" else StaffSuggestion.category
    statement = select(column.label("group"), StaffSuggestion.anonymous, StaffSuggestion.status)
    if start is not None:
        statement = statement.where(StaffSuggestion.submitted_on >= start)
    if end is not None:
        statement = statement.where(StaffSuggestion.submitted_on < end)
    named: dict[str | None, Counter] = defaultdict(Counter)
    anonymous: dict[str | None, Counter] = defaultdict(Counter)
    for row in (await session.execute(statement)).all():
        (anonymous if row.anonymous else named)[row.group][row.status] += 1
    groups, hidden = [], 0
    for group in sorted(set(named) | set(anonymous), key=lambda g: (g is None, g or "")):
        counts = anonymous.get(group, Counter())
        shown = sum(counts.values()) >= MIN_ANONYMOUS_GROUP
        hidden += 0 if shown else sum(counts.values())
        if not shown and group not in named:
            continue
        groups.append({
            "group": group,
            "named": {status: named[group].get(status, 0) for status in STATUSES} if group in named else dict.fromkeys(STATUSES, 0),
            "anonymous": {status: counts.get(status, 0) for status in STATUSES} if shown else None,
        })
    return {
        "group_by": group_by, "minimum_anonymous_group": MIN_ANONYMOUS_GROUP, "groups": groups,
        "anonymous_in_small_groups": hidden if hidden >= MIN_ANONYMOUS_GROUP else None,
    }


def today_of(now: datetime) -> date:
    return now.date()
