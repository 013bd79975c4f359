"""Explicit recipients of an ``explicit`` campaign (POST /v1/campaigns/{id}/invitations).

Throttling applies (across all campaigns, as for ticket closures); sampling and filters do not,
and neither does ``delay_seconds``: an invitation goes at ``send_at``, or at the scheduler's next
tick when it is omitted or past.

Idempotency: a recipient may carry ``external_id`` (the client's id for it, unique per campaign).
A retry with the same ``external_id`` makes nothing new; it returns the first invitation with
``existing: true`` and, for link delivery while the invitation is still usable, a fresh link
(the earlier one, perhaps lost with the first response, stops working). Without ``external_id``
a retry is caught only by throttling (``throttle_days`` > 0), which skips the customer invited by
the first attempt.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.errors import Conflict
from csq_common.events import Customer, sealed_contact
from survey_svc.campaigns.errors import CampaignNotInviting, InvitationNotLinkable
from survey_svc.campaigns.invite import (
    Attribution, Recipient, build_invitation, customer_key, decided, reserve_contact, usable_version,
)
from survey_svc.campaigns.invitations import check_linkable, remint
from survey_svc.campaigns.models import Invitation
from survey_svc.campaigns.schemas import RecipientResult, RecipientsCreate
from survey_svc.campaigns.service import _locked
from survey_svc.settings import Settings
from survey_svc.surveys.errors import SurveyRetired


async def invite_recipients(
    session: AsyncSession, settings: Settings, campaign_id: str, body: RecipientsCreate, *, now: datetime
) -> list[RecipientResult]:
    """One result per recipient, in order: an invitation (``link`` for link delivery, the only
    time its token is shown) or ``skipped`` with the reason."""
    campaign = await _locked(session, campaign_id)
    if campaign.trigger != "explicit":
        raise CampaignNotInviting(f"campaign {campaign_id!r} is triggered by ticket closures; it takes no recipients")
    if campaign.status != "active":
        raise CampaignNotInviting(f"campaign {campaign_id!r} is {campaign.status}; only an active campaign takes recipients")
    version = await usable_version(session, campaign)
    if version is None:
        raise SurveyRetired(campaign.survey_id, "sent to new recipients")
    send_at = max(body.send_at or now, now)

    external_ids = [r.external_id for r in body.recipients if r.external_id is not None]
    existing: dict[str, Invitation] = {}
    if external_ids:
        found = await session.execute(
            select(Invitation).where(Invitation.campaign_id == campaign.id, Invitation.external_id.in_(external_ids)).with_for_update()
        )
        existing = {invitation.external_id: invitation for invitation in found.scalars()}

    results: list[RecipientResult] = []
    for recipient in body.recipients:
        if recipient.external_id in existing:
            results.append(_existing(existing[recipient.external_id], settings, now=now))
            continue
        customer = Customer(**recipient.customer.model_dump())
        if campaign.delivery == "email" and not customer.email:
            decided("no_email", campaign, external_id=recipient.external_id)
            results.append(RecipientResult(skipped="no_email"))
            continue
        key = customer_key(settings.customer_key_secret, customer.id, customer.email)
        if key is not None and not await reserve_contact(session, key, throttle_days=campaign.throttle_days, now=now):
            decided("throttled", campaign, external_id=recipient.external_id)
            results.append(RecipientResult(skipped="throttled"))
            continue
        attribution = Attribution(recipient.ticket_id, None, recipient.team_id, recipient.agent_id, recipient.channel)
        # The address is sealed for notify-svc at once; survey-svc keeps only the sealed form.
        sealed = sealed_contact(customer, settings.notify_public_key) if campaign.delivery == "email" else None
        invitation, link = build_invitation(
            settings, campaign, version, Recipient(customer.id, customer.locale, sealed), attribution, send_at=send_at, now=now, external_id=recipient.external_id
        )
        session.add(invitation)
        decided("scheduled", campaign, invitation_id=invitation.id)
        results.append(
            RecipientResult(
                invitation_id=invitation.id, status=invitation.status, send_at=send_at, link=link if campaign.delivery == "link" else None
            )
        )
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent request with the same external_id won the race
        raise Conflict("another request is inviting some of these external_ids; retry it") from exc
    return results


def _existing(invitation: Invitation, settings: Settings, *, now: datetime) -> RecipientResult:
    link = None
    if invitation.delivery == "link":
        try:
            check_linkable(invitation, now=now)
            link = remint(invitation, settings).link
        except InvitationNotLinkable:
            link = None
    return RecipientResult(invitation_id=invitation.id, status=invitation.status, send_at=invitation.send_at, link=link, existing=True)
