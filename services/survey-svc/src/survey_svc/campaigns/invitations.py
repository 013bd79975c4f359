"""Reading invitations and handing out fresh links. Nothing here commits.

The raw token exists only in the answer to the request that minted it; reads never show the
token hash or the sealed message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.db import could_be_key
from csq_common.pagination import newest_first
from survey_svc.campaigns import tokens
from survey_svc.campaigns.errors import InvitationNotFound, InvitationNotLinkable
from survey_svc.campaigns.models import SCHEDULED, SENT, Invitation
from survey_svc.campaigns.service import Page
from survey_svc.settings import Settings


async def get_invitation(session: AsyncSession, invitation_id: str) -> Invitation:
    invitation = await session.get(Invitation, invitation_id) if could_be_key(invitation_id, 36) else None
    if invitation is None:
        raise InvitationNotFound(invitation_id)
    return invitation


async def list_invitations(
    session: AsyncSession,
    *,
    limit: int,
    cursor: str | None = None,
    campaign_id: str | None = None,
    ticket_id: str | None = None,
    status: str | None = None,
) -> Page:
    """Newest first, ``limit`` at a time; ``next_cursor`` is None on the last page."""
    statement = select(Invitation)
    for column, value in ((Invitation.campaign_id, campaign_id), (Invitation.ticket_id, ticket_id), (Invitation.status, status)):
        if value is not None:
            statement = statement.where(column == value)
    items, next_cursor = await newest_first(session, statement, Invitation, limit=limit, cursor=cursor)
    return Page(items=items, next_cursor=next_cursor)


@dataclass(frozen=True)
class Link:
    link: str
    expires_at: datetime | None


def check_linkable(invitation: Invitation, *, now: datetime) -> None:
    if invitation.delivery != "link":
        raise InvitationNotLinkable(f"invitation {invitation.id!r} is delivered by email; its link travels only to the customer")
    if invitation.status not in (SCHEDULED, SENT) or (invitation.expires_at is not None and invitation.expires_at <= now):
        status = "expired" if invitation.status == SENT else invitation.status
        raise InvitationNotLinkable(f"invitation {invitation.id!r} is {status}; it has no link any more")


def remint(invitation: Invitation, settings: Settings) -> Link:
    """A fresh token replaces the stored hash: every older link of the invitation stops working."""
    token = tokens.mint_token()
    invitation.token_hash = tokens.token_hash(token)
    return Link(link=tokens.survey_link(settings.public_base_url, token), expires_at=invitation.expires_at)


async def refresh_link(session: AsyncSession, settings: Settings, invitation_id: str, *, now: datetime) -> Link:
    """A new link for a link-delivery invitation that is scheduled or sent (and not past expiry).
    While scheduled, the link opens once the invitation is sent (``expires_at`` is null until then)."""
    invitation = None
    if could_be_key(invitation_id, 36):
        statement = select(Invitation).where(Invitation.id == invitation_id).with_for_update()
        invitation = (await session.execute(statement)).scalar_one_or_none()
    if invitation is None:
        raise InvitationNotFound(invitation_id)
    check_linkable(invitation, now=now)
    link = remint(invitation, settings)
    await session.flush()
    return link
