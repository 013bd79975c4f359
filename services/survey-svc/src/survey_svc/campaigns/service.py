"""Campaign rules: which survey, whom, when, how often. Nothing here commits.

A campaign names a survey that is not retired and has a published version (a given
``survey_version`` must be published; null follows the latest published version). Status:
``active`` makes invitations, ``paused`` makes none for now, ``ended`` is final: its scheduled
invitations are cancelled and it can no longer be changed. Pausing leaves scheduled invitations
to go out as planned.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.db import could_be_key, utcnow
from csq_common.errors import InvalidInput
from csq_common.pagination import newest_first
from survey_svc.campaigns.errors import CampaignEnded, CampaignNotFound
from survey_svc.campaigns.models import CANCELLED, SCHEDULED, Campaign, Invitation
from survey_svc.campaigns.schemas import CampaignCreate, CampaignPatch
from survey_svc.surveys.errors import SurveyRetired
from survey_svc.surveys.models import Survey, SurveyVersion

ACTIVE, PAUSED, ENDED = "active", "paused", "ended"


async def create_campaign(session: AsyncSession, body: CampaignCreate, *, author: str) -> Campaign:
    await _check_survey(session, body.survey_id, body.survey_version)
    _check_reminder(body.delivery, body.reminder_after_seconds, body.expiry_seconds)
    now = utcnow()
    campaign = Campaign(
        id=str(uuid.uuid4()),
        name=body.name,
        survey_id=body.survey_id,
        survey_version=body.survey_version,
        trigger=body.trigger,
        filters=body.filters.model_dump(mode="json"),
        delivery=body.delivery,
        delay_seconds=body.delay_seconds,
        sampling_rate=body.sampling_rate,
        throttle_days=body.throttle_days,
        expiry_seconds=body.expiry_seconds,
        reminder_after_seconds=body.reminder_after_seconds,
        max_ticket_age_seconds=body.max_ticket_age_seconds,
        anonymous=body.anonymous,
        status=ACTIVE,
        created_by=author,
        created_at=now,
        updated_at=now,
    )
    session.add(campaign)
    await session.flush()
    return campaign


async def patch_campaign(session: AsyncSession, campaign_id: str, patch: CampaignPatch) -> Campaign:
    """The given fields replace the campaign's (``reminder_after_seconds: null`` turns reminders
    off, ``survey_version: null`` follows the latest version); the result is checked as a whole."""
    campaign = await _locked(session, campaign_id)
    if campaign.status == ENDED:
        raise CampaignEnded(campaign_id)
    changes = patch.model_dump(exclude_unset=True)
    nullable = {"survey_version", "reminder_after_seconds"}
    nulls = [{"field": name, "message": "must not be null"} for name, value in changes.items() if value is None and name not in nullable]
    if nulls:
        raise InvalidInput(errors=nulls)
    if "survey_version" in changes:
        await _check_survey(session, campaign.survey_id, changes["survey_version"], field="survey_version", new_campaign=False)
    _check_reminder(
        campaign.delivery,
        changes.get("reminder_after_seconds", campaign.reminder_after_seconds),
        changes.get("expiry_seconds", campaign.expiry_seconds),
    )
    if "sampling_rate" in changes:
        changes["sampling_rate"] = patch.sampling_rate
    now = utcnow()
    for name, value in changes.items():
        setattr(campaign, name, value)
    campaign.updated_at = now
    if changes.get("status") == ENDED:
        await session.execute(
            update(Invitation)
            .where(Invitation.campaign_id == campaign.id, Invitation.status == SCHEDULED)
            .values(status=CANCELLED, cancelled_at=now, cancel_reason="campaign ended", sealed_message=None)
            .execution_options(synchronize_session=False)
        )
    await session.flush()
    return campaign


def _check_reminder(delivery: str, reminder_after: int | None, expiry: int) -> None:
    if reminder_after is None:
        return
    if delivery != "email":
        raise InvalidInput("reminder_after_seconds", "reminders are sent by email only; leave it null for link delivery")
    if reminder_after >= expiry:
        raise InvalidInput("reminder_after_seconds", f"must be less than expiry_seconds ({expiry})")


async def _check_survey(
    session: AsyncSession, survey_id: str, version: int | None, *, field: str = "survey_id", new_campaign: bool = True
) -> Survey:
    survey = await session.get(Survey, survey_id)
    if survey is None:
        raise InvalidInput("survey_id", f"no survey with id {survey_id!r}")
    if survey.status == "retired" and new_campaign:
        raise SurveyRetired(survey_id, "used by a new campaign")
    if survey.latest_version is None:
        raise InvalidInput("survey_id", f"survey {survey_id!r} has no published version yet; publish it first")
    if version is not None and await session.get(SurveyVersion, (survey_id, version)) is None:
        raise InvalidInput("survey_version", f"survey {survey_id!r} has no published version {version} (latest: {survey.latest_version})")
    return survey


# ---- reads ------------------------------------------------------------------------------


async def get_campaign(session: AsyncSession, campaign_id: str) -> Campaign:
    campaign = await session.get(Campaign, campaign_id) if could_be_key(campaign_id, 36) else None
    if campaign is None:
        raise CampaignNotFound(campaign_id)
    return campaign


async def _locked(session: AsyncSession, campaign_id: str) -> Campaign:
    campaign = None
    if could_be_key(campaign_id, 36):
        statement = select(Campaign).where(Campaign.id == campaign_id).with_for_update()
        campaign = (await session.execute(statement)).scalar_one_or_none()
    if campaign is None:
        raise CampaignNotFound(campaign_id)
    return campaign


@dataclass(frozen=True)
class Page:
    items: list
    next_cursor: str | None


async def list_campaigns(
    session: AsyncSession, *, limit: int, cursor: str | None = None, status: str | None = None, survey_id: str | None = None
) -> Page:
    """Newest first, ``limit`` at a time; ``next_cursor`` is None on the last page."""
    statement = select(Campaign)
    if status is not None:
        statement = statement.where(Campaign.status == status)
    if survey_id is not None:
        statement = statement.where(Campaign.survey_id == survey_id)
    items, next_cursor = await newest_first(session, statement, Campaign, limit=limit, cursor=cursor)
    return Page(items=items, next_cursor=next_cursor)
