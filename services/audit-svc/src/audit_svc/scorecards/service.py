"""Scorecard drafts, publishing (frozen versions), new versions of published ones, retirement.
Nothing here commits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.db import could_be_key, utcnow
from csq_common.errors import InvalidInput
from csq_common.pagination import newest_first
from audit_svc.scorecards.definitions import validate_definition
from audit_svc.scorecards.errors import NothingToPublish, ScorecardNotFound, ScorecardRetired, ScorecardVersionNotFound
from audit_svc.scorecards.models import Scorecard, ScorecardVersion
from audit_svc.scorecards.schemas import ScorecardDefinition

CONVERSATION, REVIEW_OF_REVIEW = "conversation", "review_of_review"

DRAFT, PUBLISHED = "draft", "published"


@dataclass(frozen=True)
class ScorecardView:
    """A scorecard with its newest version, the shape of ``ScorecardRead``."""

    scorecard: Scorecard
    newest: ScorecardVersion

    def read(self) -> dict[str, Any]:
        card, newest = self.scorecard, self.newest
        return {
            **newest.definition,
            "id": card.id,
            "version": newest.version,
            "status": "retired" if card.retired else newest.status,
            "published_version": card.published_version,
            "created_at": card.created_at,
            "updated_at": card.updated_at,
            "published_at": card.published_at,
            "retired_at": card.retired_at,
        }


def _stored(definition: ScorecardDefinition) -> dict[str, Any]:
    return validate_definition(definition).model_dump(mode="json")


# ---- writes -----------------------------------------------------------------------------


async def create_scorecard(session: AsyncSession, definition: ScorecardDefinition, *, author: str) -> dict[str, Any]:
    now = utcnow()
    card = Scorecard(id=str(uuid.uuid4()), retired=False, latest_version=1, published_version=None, created_by=author, created_at=now, updated_at=now)
    draft = ScorecardVersion(scorecard_id=card.id, version=1, status=DRAFT, definition=_stored(definition), created_at=now)
    session.add(card)
    await session.flush()
    session.add(draft)
    await session.flush()
    return ScorecardView(card, draft).read()


async def edit_scorecard(session: AsyncSession, scorecard_id: str, definition: ScorecardDefinition) -> dict[str, Any]:
    """The draft becomes ``definition``; if the newest version is published (frozen), a new draft
    version n+1 is created instead, so reviews of the published one keep their definition."""
    stored = _stored(definition)
    card = await _editable(session, scorecard_id, action="edited")
    newest = await _version(session, card.id, card.latest_version)
    now = utcnow()
    if newest.status == DRAFT:
        newest.definition = stored
        newest.created_at = now
    else:
        card.latest_version += 1
        newest = ScorecardVersion(scorecard_id=card.id, version=card.latest_version, status=DRAFT, definition=stored, created_at=now)
        session.add(newest)
    card.updated_at = now
    await session.flush()
    return ScorecardView(card, newest).read()


async def publish_scorecard(session: AsyncSession, scorecard_id: str, *, author: str) -> ScorecardVersion:
    """Freeze the newest draft; reviews submitted from now on use it unless they name a version."""
    card = await _editable(session, scorecard_id, action="published")
    draft = await _version(session, card.id, card.latest_version)
    if draft.status != DRAFT:
        raise NothingToPublish(card.id, draft.version)
    validate_definition(ScorecardDefinition.model_validate(draft.definition))
    now = utcnow()
    draft.status, draft.published_by, draft.published_at = PUBLISHED, author, now
    card.published_version, card.published_at, card.updated_at = draft.version, now, now
    await session.flush()
    return draft


async def retire_scorecard(session: AsyncSession, scorecard_id: str) -> dict[str, Any]:
    """No new reviews, versions or selection from now on; reads keep working. Idempotent."""
    card = await _locked(session, scorecard_id)
    if not card.retired:
        now = utcnow()
        card.retired, card.retired_at, card.updated_at = True, now, now
        await session.flush()
    return ScorecardView(card, await _version(session, card.id, card.latest_version)).read()


async def _locked(session: AsyncSession, scorecard_id: str) -> Scorecard:
    """The scorecard row, locked on PostgreSQL (SQLite writers are serialised by BEGIN
    IMMEDIATE), so two concurrent edits never create the same version number."""
    card = None
    if could_be_key(scorecard_id, 36):
        card = (await session.execute(select(Scorecard).where(Scorecard.id == scorecard_id).with_for_update())).scalar_one_or_none()
    if card is None:
        raise ScorecardNotFound(scorecard_id)
    return card


async def _editable(session: AsyncSession, scorecard_id: str, *, action: str) -> Scorecard:
    card = await _locked(session, scorecard_id)
    if card.retired:
        raise ScorecardRetired(scorecard_id, action)
    return card


async def _version(session: AsyncSession, scorecard_id: str, version: int) -> ScorecardVersion:
    found = await session.get(ScorecardVersion, (scorecard_id, version))
    if found is None:
        raise ScorecardVersionNotFound(scorecard_id, version)
    return found


# ---- reads ------------------------------------------------------------------------------


async def get_scorecard_row(session: AsyncSession, scorecard_id: str) -> Scorecard:
    card = await session.get(Scorecard, scorecard_id) if could_be_key(scorecard_id, 36) else None
    if card is None:
        raise ScorecardNotFound(scorecard_id)
    return card


async def get_scorecard(session: AsyncSession, scorecard_id: str) -> dict[str, Any]:
    card = await get_scorecard_row(session, scorecard_id)
    return ScorecardView(card, await _version(session, card.id, card.latest_version)).read()


async def get_version(session: AsyncSession, scorecard_id: str, version: int) -> ScorecardVersion:
    await get_scorecard_row(session, scorecard_id)
    return await _version(session, scorecard_id, version)


def use_of(definition: dict[str, Any]) -> str:
    """What a stored definition scores (versions stored before ``use`` existed score conversations)."""
    return definition.get("use", CONVERSATION)


async def published_version(session: AsyncSession, scorecard_id: str, version: int | None = None, *, use: str = CONVERSATION) -> ScorecardVersion:
    """The published ``version`` of a scorecard (the newest published when None) for a review;
    a draft is not reviewable, a retired scorecard takes no new reviews, and a scorecard of
    another ``use`` is a 422 naming ``scorecard_id``."""
    card = await get_scorecard_row(session, scorecard_id)
    if card.retired:
        raise ScorecardRetired(scorecard_id, "used for new reviews")
    number = version if version is not None else card.published_version
    found = await session.get(ScorecardVersion, (scorecard_id, number)) if number is not None else None
    if found is None or found.status != PUBLISHED:
        raise ScorecardVersionNotFound(scorecard_id, version)
    if use_of(found.definition) != use:
        raise InvalidInput("scorecard_id", f"scorecard {scorecard_id!r} is for {use_of(found.definition)}, not {use}")
    return found


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None


async def list_scorecards(session: AsyncSession, *, limit: int, cursor: str | None = None, status: str | None = None) -> Page:
    """Newest first, ``limit`` at a time. ``status`` filters on the newest version's status
    (``retired`` on the scorecard's)."""
    statement = select(Scorecard)
    if status == "retired":
        statement = statement.where(Scorecard.retired.is_(True))
    elif status is not None:
        newest_status = select(ScorecardVersion.status).where(
            ScorecardVersion.scorecard_id == Scorecard.id, ScorecardVersion.version == Scorecard.latest_version
        ).scalar_subquery()
        statement = statement.where(Scorecard.retired.is_(False), newest_status == status)
    cards, next_cursor = await newest_first(session, statement, Scorecard, limit=limit, cursor=cursor)
    items = [ScorecardView(card, await _version(session, card.id, card.latest_version)).read() for card in cards]
    return Page(items=items, next_cursor=next_cursor)
