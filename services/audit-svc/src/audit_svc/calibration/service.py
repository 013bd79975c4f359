"""Calibration sessions: set-up, blind reviews before the deadline, the benchmark (the expert's
review or the agreed one), and who may read which review when. Nothing here commits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.db import could_be_key, utcnow
from csq_common.errors import InvalidInput
from csq_common.pagination import newest_first
from audit_svc.calibration.errors import (
    AlreadyReviewed, BenchmarkNotAgreed, CalibrationClosed, CalibrationNotFound, CalibrationOpen, NotAParticipant,
)
from audit_svc.calibration.models import CalibrationSession
from audit_svc.calibration.schemas import BenchmarkCreate, CalibrationCreate, CalibrationReviewCreate
from audit_svc.reviews.models import Review
from audit_svc.reviews.service import CALIBRATION, answers_of, review_view, submit_review
from audit_svc.scorecards.service import published_version

PARTICIPANT, BENCHMARK = "participant", "benchmark"


async def create_calibration(session: AsyncSession, body: CalibrationCreate, *, author: str, now: datetime | None = None) -> CalibrationSession:
    now = now or utcnow()
    errors: list[dict[str, str]] = []
    if body.benchmark == "expert" and body.expert_id is None:
        errors.append({"field": "expert_id", "message": "an expert-benchmarked session names its expert"})
    if body.benchmark == "agreed" and body.expert_id is not None:
        errors.append({"field": "expert_id", "message": "an agreed benchmark has no expert; leave expert_id out"})
    if body.expert_id is not None and body.expert_id in body.participants:
        errors.append({"field": "participants", "message": f"the expert {body.expert_id!r} is the benchmark, not a participant"})
    if len(set(body.participants)) != len(body.participants):
        errors.append({"field": "participants", "message": "lists a reviewer more than once"})
    if len({t.ticket_id for t in body.tickets}) != len(body.tickets):
        errors.append({"field": "tickets", "message": "lists a ticket more than once"})
    if body.deadline <= now:
        errors.append({"field": "deadline", "message": "must be in the future"})
    if errors:
        raise InvalidInput(errors=errors)
    version = await published_version(session, body.scorecard_id, body.scorecard_version)
    calibration = CalibrationSession(
        id=str(uuid.uuid4()), title=body.title, scorecard_id=body.scorecard_id, scorecard_version=version.version,
        tickets=[t.model_dump() for t in body.tickets], participants=list(body.participants), benchmark=body.benchmark,
        expert_id=body.expert_id, deadline=body.deadline, closed_at=None, created_by=author, created_at=now,
    )
    session.add(calibration)
    await session.flush()
    return calibration


async def close_calibration(session: AsyncSession, calibration_id: str, *, now: datetime | None = None) -> CalibrationSession:
    """End the session before its deadline (everyone has scored): reviews become readable."""
    calibration = await calibration_row(session, calibration_id, lock=True)
    if calibration.is_open(now or utcnow()):
        calibration.closed_at = now or utcnow()
        await session.flush()
    return calibration


async def submit_calibration_review(
    session: AsyncSession, calibration_id: str, body: CalibrationReviewCreate, *, topic: str, now: datetime | None = None
) -> dict[str, Any]:
    """A participant's (or the expert's) blind review of one session ticket, before the deadline."""
    now = now or utcnow()
    calibration = await calibration_row(session, calibration_id, lock=True)
    if not calibration.is_open(now):
        raise CalibrationClosed(calibration.id)
    if body.reviewer_id not in calibration.participants and body.reviewer_id != calibration.expert_id:
        raise NotAParticipant(body.reviewer_id)
    role = BENCHMARK if body.reviewer_id == calibration.expert_id else PARTICIPANT
    return await _submit(session, calibration, body, reviewer_id=body.reviewer_id, role=role, started_at=body.started_at, topic=topic, now=now)


async def record_benchmark(
    session: AsyncSession, calibration_id: str, body: BenchmarkCreate, *, topic: str, now: datetime | None = None
) -> dict[str, Any]:
    """The agreed final review of a ticket, recorded once the blind phase is over."""
    now = now or utcnow()
    calibration = await calibration_row(session, calibration_id, lock=True)
    if calibration.benchmark != "agreed":
        raise BenchmarkNotAgreed(calibration.id)
    if calibration.is_open(now):
        raise CalibrationOpen(calibration.id, "the agreed benchmark is recorded after the deadline")
    return await _submit(session, calibration, body, reviewer_id=body.reviewer_id, role=BENCHMARK, started_at=None, topic=topic, now=now)


async def _submit(session, calibration: CalibrationSession, body, *, reviewer_id: str, role: str, started_at, topic: str, now: datetime) -> dict[str, Any]:
    ticket = next((t for t in calibration.tickets if t["ticket_id"] == body.ticket_id), None)
    if ticket is None:
        raise InvalidInput("ticket_id", f"{body.ticket_id!r} is not one of the session's tickets")
    done = select(Review.id).where(Review.calibration_id == calibration.id, Review.ticket_id == body.ticket_id)
    done = done.where(Review.calibration_role == BENCHMARK) if role == BENCHMARK else done.where(Review.reviewer_id == reviewer_id)
    if (await session.execute(done)).first() is not None:
        raise AlreadyReviewed("the benchmark" if role == BENCHMARK else reviewer_id, body.ticket_id)
    fields = {**ticket, "method": CALIBRATION, "reviewer_id": reviewer_id, "plan_id": None, "started_at": started_at}
    return await submit_review(
        session, body, fields=fields, scorecard_id=calibration.scorecard_id, scorecard_version=calibration.scorecard_version,
        calibration_id=calibration.id, calibration_role=role, topic=topic, now=now,
    )


# ---- reads ------------------------------------------------------------------------------


async def calibration_row(session: AsyncSession, calibration_id: str, *, lock: bool = False) -> CalibrationSession:
    found = None
    if could_be_key(calibration_id, 36):
        statement = select(CalibrationSession).where(CalibrationSession.id == calibration_id)
        found = (await session.execute(statement.with_for_update() if lock else statement)).scalar_one_or_none()
    if found is None:
        raise CalibrationNotFound(calibration_id)
    return found


async def session_reviews(session: AsyncSession, calibration_id: str) -> list[tuple[Review, list]]:
    statement = select(Review).where(Review.calibration_id == calibration_id).order_by(Review.created_at, Review.id)
    reviews = list((await session.execute(statement)).scalars())
    answers = await answers_of(session, [review.id for review in reviews])
    return [(review, answers[review.id]) for review in reviews]


async def readable_reviews(session: AsyncSession, calibration_id: str, *, viewer_id: str | None, now: datetime | None = None) -> list[dict[str, Any]]:
    """The session's reviews ``viewer_id`` may read. Blind: while the session is open a viewer
    reads only their own; once it is over, a participant reads the others' reviews of the tickets
    they submitted themselves (never before submitting), anyone else reads them all."""
    now = now or utcnow()
    calibration = await calibration_row(session, calibration_id)
    everything = await session_reviews(session, calibration.id)
    own = [(r, a) for r, a in everything if viewer_id is not None and r.reviewer_id == viewer_id]
    if calibration.is_open(now):
        if viewer_id is None:
            raise CalibrationOpen(calibration.id, "name the viewer_id; each reviewer reads only their own reviews until the deadline")
        visible = own
    elif viewer_id in calibration.participants or (viewer_id is not None and viewer_id == calibration.expert_id):
        submitted = {r.ticket_id for r, _ in own}
        visible = [(r, a) for r, a in everything if r.ticket_id in submitted]
    else:
        visible = everything
    return [review_view(review, answers) for review, answers in visible]


async def get_calibration(session: AsyncSession, calibration_id: str) -> CalibrationSession:
    return await calibration_row(session, calibration_id)


@dataclass(frozen=True)
class Page:
    items: list[CalibrationSession]
    next_cursor: str | None


async def list_calibrations(session: AsyncSession, *, limit: int, cursor: str | None = None, scorecard_id: str | None = None) -> Page:
    statement = select(CalibrationSession)
    if scorecard_id is not None:
        statement = statement.where(CalibrationSession.scorecard_id == scorecard_id)
    items, next_cursor = await newest_first(session, statement, CalibrationSession, limit=limit, cursor=cursor)
    return Page(items=items, next_cursor=next_cursor)
