"""Answering an invitation: find it by token or id, check its state, validate, record.

Nothing here commits. The invitation moves ``sent → answered`` with a conditional UPDATE
(``WHERE status = 'sent' AND expires_at > now``), so of two concurrent submissions only one
updates a row; the unique ``responses.invitation_id`` backs that up. The ``survey.answered``
event goes into the outbox in the same transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from csq_common.bus import outbox
from csq_common.errors import CsqError
from csq_common.events import NumericAnswer, SurveyAnswered, make_event
from survey_svc.campaigns.models import ANSWERED, EXPIRED, SENT, Invitation
from survey_svc.campaigns.tokens import token_hash
from survey_svc.responses.errors import (
    AlreadyAnswered,
    InvitationNotFound,
    InvitationNotOpen,
    SurveyLinkExpired,
    SurveyLinkNotFound,
)
from survey_svc.responses.models import Response, ResponseAnswer
from survey_svc.responses.validation import validate_answers
from survey_svc.surveys.definitions import NUMERIC_TYPES, scale_of
from survey_svc.surveys.models import Survey, SurveyVersion
from survey_svc.surveys.schemas import SurveyDefinition

SOURCE = "survey-svc"
TOKEN_MAX = 200  # minted tokens are 43 characters; anything far longer is simply unknown
EVENT_NAMESPACE = uuid.UUID("6f4d3c52-1b8e-4d5a-9a51-5f3b7c2e9d10")


@dataclass(frozen=True)
class Answerable:
    """An invitation that may be answered now, with the survey version it shows."""

    invitation: Invitation
    definition: SurveyDefinition


def pick_language(definition: SurveyDefinition, *wanted: str | None) -> str:
    """The first of ``wanted`` the version declares, else its default language."""
    declared = definition.languages or [definition.default_language]
    for language in wanted:
        if language in declared:
            return language
    return definition.default_language


# ---- finding the invitation ------------------------------------------------------------------


async def find_by_token(session: AsyncSession, token: str) -> Invitation | None:
    """The invitation a link token opens (None when unknown). One indexed lookup whatever the
    token, so the time taken says nothing about which tokens exist."""
    if not token or len(token) > TOKEN_MAX:
        token = ""
    statement = select(Invitation).where(Invitation.token_hash == token_hash(token))
    return (await session.execute(statement)).scalar_one_or_none()


def link_state(invitation: Invitation | None, now: datetime) -> str:
    """``open``, ``answered``, ``expired`` or ``not_found`` (unknown, scheduled, cancelled)."""
    if invitation is None or invitation.status not in (SENT, ANSWERED, EXPIRED):
        return "not_found"
    if invitation.status == ANSWERED:
        return "answered"
    if invitation.status == EXPIRED or (invitation.expires_at is not None and invitation.expires_at <= now):
        return "expired"
    return "open"


def raise_for_state(state: str, invitation: Invitation | None = None) -> None:
    """404, 409 or 410 for a link that cannot be answered. 409 and 410 carry the invitation's
    locale (``exc.locale``, not rendered) so the answer page can speak the customer's language;
    404 carries nothing: an unknown token and a scheduled invitation must look the same."""
    error: CsqError | None = None
    if state == "not_found":
        error = SurveyLinkNotFound()
    elif state == "answered":
        error = AlreadyAnswered()
    elif state == "expired":
        error = SurveyLinkExpired()
    if error is not None:
        if state != "not_found" and invitation is not None:
            error.locale = invitation.locale
        raise error


async def open_by_token(session: AsyncSession, token: str, *, now: datetime) -> Answerable:
    """The invitation behind ``token`` if it can be answered now; else 404, 409 or 410."""
    invitation = await find_by_token(session, token)
    raise_for_state(link_state(invitation, now), invitation)
    return await _answerable(session, invitation, not_found=SurveyLinkNotFound)


async def open_by_id(session: AsyncSession, invitation_id: str, *, now: datetime) -> Answerable:
    """The internal API's lookup: 404 unknown, 409 not sent / cancelled / answered, 410 expired."""
    invitation = await session.get(Invitation, invitation_id) if 0 < len(invitation_id) <= 36 else None
    if invitation is None:
        raise InvitationNotFound(invitation_id)
    state = link_state(invitation, now)
    if state == "not_found":
        raise InvitationNotOpen(invitation.status)
    raise_for_state(state, invitation)
    return await _answerable(session, invitation, not_found=lambda: InvitationNotFound(invitation_id))


async def _answerable(session: AsyncSession, invitation: Invitation, *, not_found) -> Answerable:
    version = await session.get(SurveyVersion, (invitation.survey_id, invitation.survey_version))
    if version is None:  # cannot happen for an invitation created by a campaign
        raise not_found()
    survey = await session.get(Survey, invitation.survey_id)
    if survey is not None and survey.status == "retired":  # a retired survey takes no answers
        raise_for_state("expired", invitation)
    return Answerable(invitation=invitation, definition=SurveyDefinition.model_validate(version.definition))


# ---- recording --------------------------------------------------------------------------------


async def submit(
    session: AsyncSession,
    answerable: Answerable,
    answers: Mapping[str, Any],
    *,
    response_channel: str,
    topic: str,
    now: datetime,
    locale: str | None = None,
) -> Response:
    """Validate ``answers`` (422 naming each question) and record them."""
    clean = validate_answers(answerable.definition, answers)
    return await record_response(
        session, answerable.invitation, clean, response_channel, now, definition=answerable.definition, topic=topic, locale=locale
    )


async def record_response(
    session: AsyncSession,
    invitation: Invitation,
    answers: Mapping[str, Any],
    response_channel: str,
    now: datetime,
    *,
    definition: SurveyDefinition,
    topic: str,
    locale: str | None = None,
) -> Response:
    """Record validated ``answers``: the response and its answers, the invitation answered, and
    ``survey.answered`` in the outbox. 409 if another submission got there first, 410 if the
    invitation expired meanwhile."""
    claimed = await session.execute(
        update(Invitation)
        .where(
            Invitation.id == invitation.id,
            Invitation.status == SENT,
            or_(Invitation.expires_at.is_(None), Invitation.expires_at > now),
        )
        .values(status=ANSWERED, answered_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        await session.refresh(invitation)  # what the winner (or the expiry job) stored
        raise_for_state(link_state(invitation, now), invitation)
        raise AlreadyAnswered()  # pragma: no cover - a sent, unexpired row is always claimed
    set_committed_value(invitation, "status", ANSWERED)  # as the UPDATE stored them
    set_committed_value(invitation, "answered_at", now)

    customer_id = None if invitation.anonymous else invitation.customer_id
    attribution = invitation.attribution()
    response = Response(
        id=str(uuid.uuid4()),
        **attribution,
        customer_id=customer_id,
        response_channel=response_channel,
        locale=locale or invitation.locale,
        invited_at=invitation.invited_at,
        answered_at=now,
        created_at=now,
    )
    questions = {question.key: question for question in definition.questions}
    rows = [_answer_row(response.id, questions[key], value) for key, value in answers.items()]
    session.add(response)
    try:
        await session.flush()
    except IntegrityError as exc:  # another transaction recorded this invitation's response
        raise AlreadyAnswered() from exc
    session.add_all(rows)

    numeric = [
        NumericAnswer(
            question_id=key,
            type=questions[key].type,
            dimension=questions[key].dimension,
            value=value,
            scale_max=scale_of(questions[key])[1],
        )
        for key, value in answers.items()
        if questions[key].type in NUMERIC_TYPES
    ]
    data = SurveyAnswered(
        **attribution,
        response_id=response.id,
        invited_at=invitation.invited_at,
        answered_at=now,
        response_channel=response_channel,
        customer_id=customer_id,
        answers=numeric,
    )
    event_id = str(uuid.uuid5(EVENT_NAMESPACE, f"survey.answered:{invitation.id}"))
    await outbox.add(session, make_event(data, source=SOURCE, subject=invitation.id, time=now, event_id=event_id), topic=topic, key=invitation.id)
    await session.flush()
    return response


def _answer_row(response_id: str, question, value: Any) -> ResponseAnswer:
    row = ResponseAnswer(response_id=response_id, question_id=question.key, type=question.type, dimension=question.dimension)
    if question.type in NUMERIC_TYPES:
        row.number = value
    elif question.type == "single_choice":
        row.choices = [value]
    elif question.type == "multiple_choice":
        row.choices = list(value)
    else:
        row.text = value
    return row
