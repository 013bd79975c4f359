"""Deciding whether to invite, and creating the invitation. Nothing here commits.

For each active ``ticket_closed`` campaign a closure (ticket id, closed_at) goes through, in
order: filters (``filtered``), the ticket's age (``too_old``: closed longer than the campaign's
``max_ticket_age_seconds`` before now, e.g. replayed CRM history), sampling (``sampled_out``),
already invited for this closure (``duplicate``), a usable survey version (``survey_retired``), a
contact for email delivery (``no_email``: the event carries no sealed contact) and throttling
(``throttled``); then an invitation is ``scheduled``. Each decision
is logged and counted in ``csq_survey_invitation_decisions_total{outcome}``.

- Sampling is deterministic: the first 8 bytes of sha256("campaign|ticket|closed_at") read as a
  fraction of 2**64 is compared, exactly, with the rate; a replay decides the same.
- Throttling counts every campaign: the customer (HMAC of their id; for an explicit recipient
  without an id, of the lowercased email) is
  *reserved* when an invitation is decided (``customer_contacts.reserved_at``) and recorded again
  when a named invitation is sent (``last_invited_at``). One conditional UPDATE checks and
  reserves, so two campaigns, or two replicas, on the same closure cannot both invite. A reopen
  that cancels the invitation gives its reservation back.
- survey-svc never reads a customer's email or name. A ticket closure brings the contact already
  sealed for notify-svc by feedback-svc (``customer.sealed_contact``); an explicit recipient's is
  sealed here, at once. The invitation keeps the sealed contact, opaque, until it is sent.
- survey-svc never stores a raw token, not even sealed: only its hash. For email delivery no
  token is minted here: the scheduler mints it, and seals the link, when the
  invitation is sent (``token_hash`` stays null while it is scheduled). For link delivery the
  token is minted here, since the caller that creates the invitation is shown its link.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import structlog
from sqlalchemy import and_, case, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.events import TicketClosed, TicketReopened, TicketSnapshot
from csq_common.sql import insert_unless_exist
from survey_svc.campaigns import tokens
from survey_svc.campaigns.metrics import DECISIONS
from survey_svc.campaigns.models import CANCELLED, SCHEDULED, Campaign, CustomerContact, Invitation
from survey_svc.settings import Settings
from survey_svc.surveys.models import Survey, SurveyVersion

log = structlog.get_logger(__name__)

SCHEDULED_OUTCOME = "scheduled"
_TWO_64 = Decimal(2**64)


# ---- pure rules -----------------------------------------------------------------------------


def customer_key(secret: str, customer_id: str | None, email: str | None = None) -> str | None:
    """HMAC-SHA256(secret, customer id, else lowercased email) in hex; None when neither is known."""
    identity = customer_id or (email.strip().lower() if email else None)
    if not identity:
        return None
    return hmac.new(secret.encode(), identity.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def sampled_in(campaign_id: str, ticket_id: str, closed_at: datetime, rate: Decimal) -> bool:
    """Whether this closure is in the campaign's sample (the same inputs always decide the same)."""
    if rate >= 1:
        return True
    seed = f"{campaign_id}|{ticket_id}|{closed_at.astimezone(timezone.utc).isoformat()}".encode("utf-8", "surrogatepass")
    fraction = int.from_bytes(hashlib.sha256(seed).digest()[:8], "big")
    return Decimal(fraction) < rate * _TWO_64


def matches(filters: dict, ticket: TicketSnapshot) -> bool:
    """Every non-empty filter list matches the ticket (tags: at least one in common)."""
    checks = (("team_ids", ticket.team_id), ("channels", ticket.channel), ("priorities", ticket.priority))
    for name, value in checks:
        allowed = filters.get(name) or []
        if allowed and value not in allowed:
            return False
    tags = filters.get("tags") or []
    return not tags or bool(set(tags) & set(ticket.tags))


def normalise_locale(requested: str | None, declared: list[str], default: str) -> str:
    """The survey language for a customer locale: zh, zh-CN, zh-Hans, zh_TW… → zh-CN and en* → en
    when the version declares it, else the version's default language."""
    if requested:
        tag = requested.strip().replace("_", "-").lower()
        wanted = "zh-CN" if tag == "zh" or tag.startswith("zh-") else "en" if tag == "en" or tag.startswith("en-") else None
        if wanted in declared:
            return wanted
    return default


# ---- database helpers ------------------------------------------------------------------------


async def usable_version(session: AsyncSession, campaign: Campaign) -> SurveyVersion | None:
    """The version an invitation made now would use; None when the survey is retired."""
    survey = await session.get(Survey, campaign.survey_id)
    if survey is None or survey.status == "retired" or survey.latest_version is None:
        return None
    return await session.get(SurveyVersion, (campaign.survey_id, campaign.survey_version or survey.latest_version))


async def ensure_contact(session: AsyncSession, key: str) -> None:
    """The customer's contact row, inserted unless it exists (so that the update after it finds one)."""
    await insert_unless_exist(session, CustomerContact.__table__, [{"customer_key": key}], key="customer_key")


async def reserve_contact(session: AsyncSession, key: str, *, throttle_days: int, now: datetime) -> bool:
    """Reserve the customer for an invitation decided ``now``; False if one was decided or sent
    within ``throttle_days`` (0: never throttled, but the reservation still counts for others)."""
    await ensure_contact(session, key)
    statement = update(CustomerContact).where(CustomerContact.customer_key == key)
    if throttle_days > 0:
        cutoff = now - timedelta(days=throttle_days)
        statement = statement.where(
            or_(CustomerContact.last_invited_at.is_(None), CustomerContact.last_invited_at <= cutoff),
            or_(CustomerContact.reserved_at.is_(None), CustomerContact.reserved_at <= cutoff),
        )
    newest = case((and_(CustomerContact.reserved_at.is_not(None), CustomerContact.reserved_at > now), CustomerContact.reserved_at), else_=now)
    result = await session.execute(statement.values(reserved_at=newest).execution_options(synchronize_session=False))
    return result.rowcount == 1


async def release_contact(session: AsyncSession, key: str, *, reserved_at: datetime) -> None:
    """Give back the reservation made at ``reserved_at`` if no later decision replaced it."""
    await session.execute(
        update(CustomerContact)
        .where(CustomerContact.customer_key == key, CustomerContact.reserved_at == reserved_at)
        .values(reserved_at=None)
        .execution_options(synchronize_session=False)
    )


@dataclass(frozen=True)
class Recipient:
    """Who an invitation goes to, as survey-svc may know them: the CRM's id, the locale, and the
    contact sealed for notify-svc (never readable here)."""

    customer_id: str | None = None
    locale: str | None = None
    sealed_contact: str | None = None


@dataclass(frozen=True)
class Attribution:
    ticket_id: str | None = None
    ticket_closed_at: datetime | None = None
    team_id: str | None = None
    agent_id: str | None = None
    channel: str | None = None


def build_invitation(
    settings: Settings,
    campaign: Campaign,
    version: SurveyVersion,
    recipient: Recipient,
    attribution: Attribution,
    *,
    send_at: datetime,
    now: datetime,
    external_id: str | None = None,
) -> tuple[Invitation, str | None]:
    """A new scheduled invitation and, for link delivery, its link with the raw token (the caller
    shows it, or forgets it). Email delivery gets no token yet (``None``): the invitation keeps the
    sealed contact; the scheduler mints the token and seals the link when the invitation is sent."""
    definition = version.definition
    locale = normalise_locale(recipient.locale, definition.get("languages") or [], definition["default_language"])
    link = hashed = sealed = None
    if campaign.delivery == "email":
        sealed = recipient.sealed_contact
    else:
        token = tokens.mint_token()
        link = tokens.survey_link(settings.public_base_url, token)
        hashed = tokens.token_hash(token)
    named = not campaign.anonymous
    invitation = Invitation(
        id=str(uuid.uuid4()),
        campaign_id=campaign.id,
        survey_id=campaign.survey_id,
        survey_version=version.version,
        status=SCHEDULED,
        delivery=campaign.delivery,
        locale=locale,
        anonymous=campaign.anonymous,
        token_hash=hashed,
        external_id=external_id,
        ticket_id=attribution.ticket_id,
        ticket_closed_at=attribution.ticket_closed_at,
        team_id=attribution.team_id,
        agent_id=attribution.agent_id,
        channel=attribution.channel,
        customer_id=recipient.customer_id if named else None,
        sealed_message=sealed,
        send_at=send_at,
        created_at=now,
    )
    return invitation, link


def decided(outcome: str, campaign: Campaign, **context) -> str:
    DECISIONS.labels(outcome=outcome).inc()
    log.info("invitation.decided", outcome=outcome, campaign_id=campaign.id, **context)
    return outcome


# ---- ticket events -----------------------------------------------------------------------------


async def active_ticket_campaigns(session: AsyncSession) -> list[Campaign]:
    """The campaigns a closure is offered to (read once per consumer batch, not per event)."""
    statement = select(Campaign).where(Campaign.status == "active", Campaign.trigger == "ticket_closed")
    return list((await session.execute(statement.order_by(Campaign.created_at, Campaign.id))).scalars())


async def on_ticket_closed(
    session: AsyncSession,
    settings: Settings,
    event: TicketClosed,
    *,
    now: datetime,
    campaigns: list[Campaign] | None = None,
) -> dict[str, str]:
    """Decide for every active ``ticket_closed`` campaign (``campaigns`` when the caller has read
    them already); ``{campaign_id: outcome}``."""
    ticket = event.ticket
    closed_at = (ticket.closed_at or event.occurred_at).astimezone(timezone.utc)
    if campaigns is None:
        campaigns = await active_ticket_campaigns(session)
    outcomes = {}
    for campaign in campaigns:
        outcomes[campaign.id] = await _decide(session, settings, campaign, ticket, closed_at, now=now)
    return outcomes


async def _decide(session: AsyncSession, settings: Settings, campaign: Campaign, ticket: TicketSnapshot, closed_at: datetime, *, now: datetime) -> str:
    context = {"ticket_id": ticket.id, "closed_at": closed_at.isoformat()}
    # The pure rules first: most closures stop here without a query.
    if not matches(campaign.filters or {}, ticket):
        return decided("filtered", campaign, **context)
    if now - closed_at > timedelta(seconds=campaign.max_ticket_age_seconds):
        return decided("too_old", campaign, **context)
    if not sampled_in(campaign.id, ticket.id, closed_at, campaign.sampling_rate):
        return decided("sampled_out", campaign, **context)
    existing = await session.scalar(
        select(Invitation.id).where(
            Invitation.campaign_id == campaign.id, Invitation.ticket_id == ticket.id, Invitation.ticket_closed_at == closed_at
        )
    )
    if existing is not None:
        return decided("duplicate", campaign, invitation_id=existing, **context)
    version = await usable_version(session, campaign)
    if version is None:
        return decided("survey_retired", campaign, survey_id=campaign.survey_id, **context)
    customer = ticket.customer
    recipient = Recipient(customer.id, customer.locale, customer.sealed_contact) if customer else Recipient()
    if campaign.delivery == "email" and not recipient.sealed_contact:
        return decided("no_email", campaign, **context)
    key = customer_key(settings.customer_key_secret, recipient.customer_id)
    if key is not None and not await reserve_contact(session, key, throttle_days=campaign.throttle_days, now=now):
        return decided("throttled", campaign, **context)
    attribution = Attribution(ticket.id, closed_at, ticket.team_id, ticket.agent_id, ticket.channel)
    send_at = closed_at + timedelta(seconds=campaign.delay_seconds)
    invitation, _link = build_invitation(settings, campaign, version, recipient, attribution, send_at=send_at, now=now)
    session.add(invitation)
    await session.flush()
    return decided(SCHEDULED_OUTCOME, campaign, invitation_id=invitation.id, send_at=send_at.isoformat(), **context)


async def on_ticket_reopened(session: AsyncSession, settings: Settings, event: TicketReopened, *, now: datetime) -> int:
    """Cancel the ticket's invitations not sent yet for closures up to the reopen; their
    customer reservations are given back. Returns how many were cancelled."""
    rows = (
        await session.execute(
            select(Invitation)
            .where(
                Invitation.ticket_id == event.ticket.id,
                Invitation.status == SCHEDULED,
                Invitation.ticket_closed_at <= event.occurred_at,
            )
            .with_for_update()
        )
    ).scalars().all()
    key = customer_key(settings.customer_key_secret, event.ticket.customer.id if event.ticket.customer else None)
    for invitation in rows:
        invitation.status = CANCELLED
        invitation.cancelled_at = now
        invitation.cancel_reason = "ticket reopened"
        invitation.sealed_message = None
        if key is not None:
            await release_contact(session, key, reserved_at=invitation.created_at)
        log.info("invitation.cancelled", invitation_id=invitation.id, ticket_id=event.ticket.id, reason="ticket reopened")
    await session.flush()
    return len(rows)
