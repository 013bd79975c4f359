"""/v1/campaigns and /v1/invitations: thin handlers over service, recipients and invitations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from csq_common.db import utcnow
from csq_common.http.auth import ReadScope, WriteScope
from csq_common.http.dependencies import ReadSessionDep, SessionDep, reject_unknown_query_parameters
from csq_common.types import CursorStr, storable_str
from survey_svc.campaigns import invitations, recipients, service
from survey_svc.campaigns.models import Campaign, Invitation
from survey_svc.settings import SettingsDep
from survey_svc.campaigns.schemas import (
    CampaignCreate,
    CampaignPage,
    CampaignPatch,
    CampaignRead,
    CampaignStatus,
    InvitationLink,
    InvitationPage,
    InvitationRead,
    InvitationStatus,
    RecipientsCreate,
    RecipientsResult,
)

REFUSE_UNKNOWN = [Depends(reject_unknown_query_parameters)]
campaigns_router = APIRouter(prefix="/v1/campaigns", tags=["campaigns"], dependencies=REFUSE_UNKNOWN)
invitations_router = APIRouter(prefix="/v1/invitations", tags=["invitations"], dependencies=REFUSE_UNKNOWN)

Id = Annotated[storable_str(max_length=100), Path()]
Limit = Annotated[int, Query(ge=1, le=200)]
Cursor = Annotated[CursorStr | None, Query()]
Filter = Annotated[storable_str(max_length=200) | None, Query()]
CAMPAIGN_NOT_FOUND = {404: {"description": "Unknown campaign"}}
INVITATION_NOT_FOUND = {404: {"description": "Unknown invitation"}}


@campaigns_router.post("", status_code=201, response_model=CampaignRead, responses={409: {"description": "The survey is retired"}})
async def create_campaign(body: CampaignCreate, principal: WriteScope, session: SessionDep) -> Campaign:
    return await service.create_campaign(session, body, author=principal.name)


@campaigns_router.get("", response_model=CampaignPage)
async def list_campaigns(
    _: ReadScope,
    session: ReadSessionDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    status: CampaignStatus | None = None,
    survey_id: Filter = None,
) -> service.Page:
    return await service.list_campaigns(session, limit=limit, cursor=cursor, status=status, survey_id=survey_id)


@campaigns_router.get("/{campaign_id}", response_model=CampaignRead, responses=CAMPAIGN_NOT_FOUND)
async def get_campaign(campaign_id: Id, _: ReadScope, session: ReadSessionDep) -> Campaign:
    return await service.get_campaign(session, campaign_id)


@campaigns_router.patch("/{campaign_id}", response_model=CampaignRead, responses={**CAMPAIGN_NOT_FOUND, 409: {"description": "The campaign has ended"}})
async def patch_campaign(campaign_id: Id, body: CampaignPatch, _: WriteScope, session: SessionDep) -> Campaign:
    return await service.patch_campaign(session, campaign_id, body)


@campaigns_router.post(
    "/{campaign_id}/invitations",
    response_model=RecipientsResult,
    response_model_exclude_none=True,
    responses={**CAMPAIGN_NOT_FOUND, 409: {"description": "Not an active explicit campaign, or its survey is retired"}},
)
async def invite_recipients(campaign_id: Id, body: RecipientsCreate, settings: SettingsDep, _: WriteScope, session: SessionDep) -> dict:
    """Invite the given recipients (throttling applies, sampling does not). Give each recipient
    an ``external_id`` to make retries safe: a repeat returns the first invitation."""
    results = await recipients.invite_recipients(session, settings, campaign_id, body, now=utcnow())
    return {"results": results}


@invitations_router.get("", response_model=InvitationPage)
async def list_invitations(
    _: ReadScope,
    session: ReadSessionDep,
    limit: Limit = 50,
    cursor: Cursor = None,
    campaign_id: Filter = None,
    ticket_id: Filter = None,
    status: InvitationStatus | None = None,
) -> service.Page:
    return await invitations.list_invitations(session, limit=limit, cursor=cursor, campaign_id=campaign_id, ticket_id=ticket_id, status=status)


@invitations_router.get("/{invitation_id}", response_model=InvitationRead, responses=INVITATION_NOT_FOUND)
async def get_invitation(invitation_id: Id, _: ReadScope, session: ReadSessionDep) -> Invitation:
    return await invitations.get_invitation(session, invitation_id)


@invitations_router.post(
    "/{invitation_id}/link",
    response_model=InvitationLink,
    responses={**INVITATION_NOT_FOUND, 409: {"description": "Email delivery, or answered, expired or cancelled"}},
)
async def refresh_link(invitation_id: Id, settings: SettingsDep, _: WriteScope, session: SessionDep) -> invitations.Link:
    """A fresh one-time link (link delivery): the invitation's older links stop working."""
    return await invitations.refresh_link(session, settings, invitation_id, now=utcnow())


router = APIRouter()
router.include_router(campaigns_router)
router.include_router(invitations_router)
