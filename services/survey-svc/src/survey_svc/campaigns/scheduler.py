"""The invitation scheduler: due invitations go out, reminders once, expiries. Nothing here
commits except the worker, which runs each step in its own transaction.

Each step selects a batch (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two replicas take
different rows; SQLite serialises writers) and claims every row with a conditional UPDATE on its
status, so a row is acted on once even if two replicas saw it. The state change and its outbox
row commit together: a crash between steps loses nothing and sends nothing twice. Event ids are
derived from (invitation, kind), so even a replayed step could not stage a second copy.

Tokens: an email invitation's one-time token is minted when it is sent, never before and never
stored: only its hash is (``token_hash``), and the link travels to notify-svc only sealed, in the
event (``sealed_link``), next to the recipient sealed at creation (``sealed_message``), which is
cleared from the row in the same UPDATE. The reminder carries neither: notify-svc reuses the
recipient and link of the invitation email it delivered. Link-delivery invitations got their
token at creation (or from a fresh link) and keep it.

The step functions take ``now``: tests drive time by passing it, the worker passes utcnow().
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import structlog
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from csq_common.bus import outbox
from csq_common.db import transaction, utcnow
from csq_common.events import CloudEvent, OneClickQuestion, SurveyExpired, SurveyInvited, make_event
from csq_common.sealing import seal
from csq_common.worker import PollingWorker
from survey_svc.campaigns import tokens
from survey_svc.campaigns.invite import customer_key, ensure_contact
from survey_svc.campaigns.metrics import DECISIONS, SENT
from survey_svc.campaigns.models import CANCELLED, EXPIRED, SCHEDULED, SENT as SENT_STATUS, Campaign, CustomerContact, Invitation
from survey_svc.settings import Settings
from survey_svc.surveys.definitions import FIXED_SCALES
from survey_svc.surveys.models import SurveyVersion

log = structlog.get_logger(__name__)
SOURCE = "survey-svc"
EVENT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://csq.dev/survey-svc/invitations")


def event_id(invitation_id: str, kind: str) -> str:
    """The same (invitation, kind) always gets the same event id (the outbox refuses a second)."""
    return str(uuid.uuid5(EVENT_NAMESPACE, f"{invitation_id}/{kind}"))


def one_click(definition: dict, locale: str) -> OneClickQuestion | None:
    """The first csat/nps/ces question of a version, in ``locale`` (else the default language)."""
    for question in definition.get("questions", []):
        if question["type"] in FIXED_SCALES:
            texts = question["texts"].get(locale) or question["texts"][definition["default_language"]]
            low, high = FIXED_SCALES[question["type"]]
            return OneClickQuestion(
                question_id=question["key"], prompt=texts["prompt"], min=low, max=high,
                low_label=texts.get("low_label"), high_label=texts.get("high_label"),
            )
    return None


async def _stage(session: AsyncSession, settings: Settings, invitation: Invitation, data, *, kind: str, now: datetime) -> None:
    event: CloudEvent = make_event(data, source=SOURCE, subject=invitation.id, time=now, event_id=event_id(invitation.id, kind))
    await outbox.add(session, event, topic=settings.topic("surveys"), key=invitation.id)


def _claim(invitation_id: str, current: str, **values):
    """UPDATE the invitation only if it is still ``current``: rowcount 1 means this step owns it."""
    return (
        update(Invitation)
        .where(Invitation.id == invitation_id, Invitation.status == current)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


async def _record_send(session: AsyncSession, key: str, *, throttle_days: int, now: datetime) -> bool:
    """A named invitation goes out ``now``: False if another one went to the customer within
    ``throttle_days`` since this one was decided (the re-check); else record the send."""
    await ensure_contact(session, key)
    statement = update(CustomerContact).where(CustomerContact.customer_key == key)
    if throttle_days > 0:
        cutoff = now - timedelta(days=throttle_days)
        statement = statement.where((CustomerContact.last_invited_at.is_(None)) | (CustomerContact.last_invited_at <= cutoff))
    result = await session.execute(statement.values(last_invited_at=now).execution_options(synchronize_session=False))
    return result.rowcount == 1


async def send_due(session: AsyncSession, settings: Settings, *, now: datetime, limit: int) -> int:
    """Send up to ``limit`` scheduled invitations whose ``send_at`` ≤ ``now``; how many were due."""
    rows = (
        await session.execute(
            select(Invitation, Campaign)
            .join(Campaign, Campaign.id == Invitation.campaign_id)
            .where(Invitation.status == SCHEDULED, Invitation.send_at <= now)
            .order_by(Invitation.send_at, Invitation.id)
            .limit(limit)
            .with_for_update(of=Invitation, skip_locked=True)
        )
    ).all()
    versions: dict[tuple[str, int], SurveyVersion] = {}
    for invitation, campaign in rows:
        # Named invitations only: an anonymous one keeps nothing that leads back to the customer.
        key = customer_key(settings.customer_key_secret, invitation.customer_id)
        if key is not None and not await _record_send(session, key, throttle_days=campaign.throttle_days, now=now):
            result = await session.execute(
                _claim(invitation.id, SCHEDULED, status=CANCELLED, cancelled_at=now, cancel_reason="throttled", sealed_message=None)
            )
            if result.rowcount == 1:
                DECISIONS.labels(outcome="throttled_at_send").inc()
                log.info("invitation.cancelled", invitation_id=invitation.id, reason="throttled")
            continue
        expires_at = now + timedelta(seconds=campaign.expiry_seconds)
        reminder = campaign.reminder_after_seconds if invitation.delivery == "email" else None
        reminder_due_at = now + timedelta(seconds=reminder) if reminder else None
        sealed = sealed_link = None
        values = {}
        if invitation.delivery == "email":
            # The token exists from here on only inside sealed_link; the row keeps its hash.
            token = tokens.mint_token()
            sealed = invitation.sealed_message
            sealed_link = seal({"survey_link": tokens.survey_link(settings.public_base_url, token)}, settings.notify_public_key)
            values["token_hash"] = tokens.token_hash(token)
        result = await session.execute(
            _claim(
                invitation.id, SCHEDULED, status=SENT_STATUS, invited_at=now, expires_at=expires_at,
                reminder_due_at=reminder_due_at, sealed_message=None, **values,
            )
        )
        if result.rowcount != 1:
            continue  # another replica has it
        version_key = (invitation.survey_id, invitation.survey_version)
        if version_key not in versions:
            versions[version_key] = await session.get(SurveyVersion, version_key)
        data = SurveyInvited(
            **invitation.attribution(), delivery=invitation.delivery, locale=invitation.locale,
            invited_at=now, expires_at=expires_at, reminder=False,
            sealed_message=sealed, sealed_link=sealed_link,
            one_click=one_click(versions[version_key].definition, invitation.locale),
        )
        await _stage(session, settings, invitation, data, kind="invited", now=now)
        SENT.labels(kind="invitation").inc()
        log.info("invitation.sent", invitation_id=invitation.id, delivery=invitation.delivery, expires_at=expires_at.isoformat())
    return len(rows)


async def send_reminders(session: AsyncSession, settings: Settings, *, now: datetime, limit: int) -> int:
    """The single reminder of sent, unanswered, unexpired email invitations that are due. It carries
    no sealed fields: notify-svc reminds with the recipient and link of the invitation email."""
    rows = (
        await session.execute(
            select(Invitation)
            .where(
                Invitation.status == SENT_STATUS,
                Invitation.reminder_due_at <= now,
                Invitation.reminded_at.is_(None),
                Invitation.expires_at > now,
            )
            .order_by(Invitation.reminder_due_at, Invitation.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).scalars().all()
    for invitation in rows:
        claim = _claim(invitation.id, SENT_STATUS, reminded_at=now, sealed_message=None).where(Invitation.reminded_at.is_(None))
        if (await session.execute(claim)).rowcount != 1:
            continue
        version = await session.get(SurveyVersion, (invitation.survey_id, invitation.survey_version))
        data = SurveyInvited(
            **invitation.attribution(), delivery=invitation.delivery, locale=invitation.locale,
            invited_at=invitation.invited_at, expires_at=invitation.expires_at, reminder=True,
            sealed_message=None, sealed_link=None, one_click=one_click(version.definition, invitation.locale),
        )
        await _stage(session, settings, invitation, data, kind="reminder", now=now)
        SENT.labels(kind="reminder").inc()
        log.info("invitation.reminded", invitation_id=invitation.id)
    return len(rows)


async def expire_due(session: AsyncSession, settings: Settings, *, now: datetime, limit: int) -> int:
    """Sent invitations past ``expires_at`` become expired, each with ``survey.expired``."""
    rows = (
        await session.execute(
            select(Invitation)
            .where(Invitation.status == SENT_STATUS, Invitation.expires_at <= now)
            .order_by(Invitation.expires_at, Invitation.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).scalars().all()
    for invitation in rows:
        if (await session.execute(_claim(invitation.id, SENT_STATUS, status=EXPIRED, expired_at=now, sealed_message=None))).rowcount != 1:
            continue
        data = SurveyExpired(**invitation.attribution(), invited_at=invitation.invited_at, expired_at=now)
        await _stage(session, settings, invitation, data, kind="expired", now=now)
        SENT.labels(kind="expiry").inc()
        log.info("invitation.expired", invitation_id=invitation.id)
    return len(rows)


STEPS = (expire_due, send_reminders, send_due)


async def run_steps(sessions: async_sessionmaker[AsyncSession], settings: Settings, *, now: datetime) -> bool:
    """Every step once, each in its own transaction; True if a step filled its batch."""
    more = False
    for step in STEPS:
        async with transaction(sessions) as session:
            count = await step(session, settings, now=now, limit=settings.scheduler_batch_size)
        more = more or count >= settings.scheduler_batch_size
    return more


class InvitationScheduler(PollingWorker):
    name = "invitation_scheduler"

    def __init__(self, sessions: async_sessionmaker[AsyncSession], settings: Settings) -> None:
        super().__init__(poll_seconds=settings.scheduler_poll_seconds)
        self._sessions = sessions
        self._settings = settings

    async def work_once(self) -> bool:
        return await run_steps(self._sessions, self._settings, now=utcnow())
