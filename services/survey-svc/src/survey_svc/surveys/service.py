"""Survey drafts, publishing (frozen versions) and retirement. Nothing here commits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.db import could_be_key, utcnow
from csq_common.errors import InvalidInput
from csq_common.pagination import newest_first
from csq_common.http.problems import validation_errors
from survey_svc.surveys.definitions import validate_definition
from survey_svc.surveys.errors import SurveyNotFound, SurveyRetired, SurveyVersionNotFound
from survey_svc.surveys.models import Survey, SurveyVersion
from survey_svc.surveys.schemas import SurveyDefinition, SurveyPatch

ACTIVE, RETIRED = "active", "retired"


def _stored(definition: SurveyDefinition) -> dict:
    return validate_definition(definition).model_dump(mode="json")


# ---- writes -----------------------------------------------------------------------------


async def create_survey(session: AsyncSession, definition: SurveyDefinition, *, author: str) -> Survey:
    now = utcnow()
    survey = Survey(
        id=str(uuid.uuid4()),
        status=ACTIVE,
        definition=_stored(definition),
        latest_version=None,
        has_unpublished_changes=True,
        created_by=author,
        created_at=now,
        updated_at=now,
    )
    session.add(survey)
    await session.flush()
    return survey


async def replace_survey(session: AsyncSession, survey_id: str, definition: SurveyDefinition) -> Survey:
    """PUT: the draft becomes ``definition``; published versions stay as they are."""
    survey = await _editable(session, survey_id, action="edited")
    return await _set_draft(session, survey, _stored(definition))


async def patch_survey(session: AsyncSession, survey_id: str, patch: SurveyPatch) -> Survey:
    """PATCH: the given fields replace the draft's; the result is validated as a whole."""
    survey = await _editable(session, survey_id, action="edited")
    changes = patch.model_dump(exclude_unset=True)
    nulls = [{"field": name, "message": "must not be null"} for name, value in changes.items() if value is None and name != "languages"]
    if nulls:
        raise InvalidInput(errors=nulls)
    merged = {**survey.definition, **changes}
    try:
        definition = SurveyDefinition.model_validate(merged)
    except ValidationError as exc:  # pragma: no cover - the parts were validated already
        raise InvalidInput(errors=validation_errors(exc.errors())) from exc
    return await _set_draft(session, survey, _stored(definition))


async def publish_survey(session: AsyncSession, survey_id: str, *, author: str) -> SurveyVersion:
    """Freeze the draft as version n+1 (rules checked again, at least one question)."""
    survey = await _editable(session, survey_id, action="published")
    definition = validate_definition(SurveyDefinition.model_validate(survey.definition), publishing=True)
    now = utcnow()
    number = (survey.latest_version or 0) + 1
    version = SurveyVersion(
        survey_id=survey.id, version=number, definition=definition.model_dump(mode="json"), published_by=author, published_at=now
    )
    session.add(version)
    survey.latest_version = number
    survey.published_at = now
    survey.has_unpublished_changes = False
    await session.flush()
    return version


async def retire_survey(session: AsyncSession, survey_id: str) -> Survey:
    """No new campaigns or answers from now on; reads keep working. Retiring twice is a no-op."""
    survey = await _locked(session, survey_id)
    if survey.status != RETIRED:
        now = utcnow()
        survey.status = RETIRED
        survey.retired_at = now
        survey.updated_at = now
        await session.flush()
    return survey


async def _set_draft(session: AsyncSession, survey: Survey, definition: dict) -> Survey:
    survey.definition = definition
    survey.has_unpublished_changes = True
    survey.updated_at = utcnow()
    await session.flush()
    return survey


async def _locked(session: AsyncSession, survey_id: str) -> Survey:
    """The survey row, locked on PostgreSQL (SQLite writers are serialised by BEGIN IMMEDIATE),
    so two concurrent publishes never compute the same version number."""
    survey = None
    if could_be_key(survey_id, 36):
        statement = select(Survey).where(Survey.id == survey_id).with_for_update()
        survey = (await session.execute(statement)).scalar_one_or_none()
    if survey is None:
        raise SurveyNotFound(survey_id)
    return survey


async def _editable(session: AsyncSession, survey_id: str, *, action: str) -> Survey:
    survey = await _locked(session, survey_id)
    if survey.status == RETIRED:
        raise SurveyRetired(survey_id, action)
    return survey


# ---- reads ------------------------------------------------------------------------------


async def get_survey(session: AsyncSession, survey_id: str) -> Survey:
    survey = await session.get(Survey, survey_id) if could_be_key(survey_id, 36) else None
    if survey is None:
        raise SurveyNotFound(survey_id)
    return survey


async def get_version(session: AsyncSession, survey_id: str, version: int) -> SurveyVersion:
    await get_survey(session, survey_id)
    found = await session.get(SurveyVersion, (survey_id, version))
    if found is None:
        raise SurveyVersionNotFound(survey_id, version)
    return found


@dataclass(frozen=True)
class Page:
    items: list[Survey]
    next_cursor: str | None


async def list_surveys(session: AsyncSession, *, limit: int, cursor: str | None = None, status: str | None = None) -> Page:
    """Newest first, ``limit`` at a time; ``next_cursor`` is None on the last page."""
    statement = select(Survey)
    if status is not None:
        statement = statement.where(Survey.status == status)
    items, next_cursor = await newest_first(session, statement, Survey, limit=limit, cursor=cursor)
    return Page(items=items, next_cursor=next_cursor)
