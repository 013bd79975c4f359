from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query

from csq_common.http.auth import ReadScope, WriteScope
from csq_common.http.dependencies import ReadSessionDep, SessionDep, reject_unknown_query_parameters
from csq_common.types import CursorStr, IdStr, UtcInstant
from audit_svc.calibration import grading, results, service
from audit_svc.calibration.models import CalibrationSession
from audit_svc.calibration.schemas import (
    BenchmarkCreate, CalibrationCreate, GradingReport, CalibrationPage, CalibrationRead, CalibrationResults, CalibrationReviewCreate,
)
from audit_svc.plans.schemas import Zone
from audit_svc.reviews.schemas import ReviewRead
from audit_svc.settings import SettingsDep

router = APIRouter(prefix="/v1/calibrations", tags=["calibration"], dependencies=[Depends(reject_unknown_query_parameters)])

CalibrationId = Annotated[str, Path(max_length=100)]
NOT_FOUND = {404: {"description": "Unknown calibration session"}}
CONFLICT = {409: {"description": "The session is closed / still open / already reviewed"}}


@router.post("", status_code=201, response_model=CalibrationRead)
async def create_calibration(body: CalibrationCreate, principal: WriteScope, session: SessionDep) -> CalibrationSession:
    return await service.create_calibration(session, body, author=principal.name)


@router.get("", response_model=CalibrationPage)
async def list_calibrations(
    _: ReadScope,
    session: ReadSessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[CursorStr | None, Query()] = None,
    scorecard_id: Annotated[IdStr | None, Query()] = None,
) -> service.Page:
    return await service.list_calibrations(session, limit=limit, cursor=cursor, scorecard_id=scorecard_id)


@router.get("/grading", response_model=GradingReport)
async def grade_reviewers(
    _: ReadScope,
    session: ReadSessionDep,
    from_: Annotated[UtcInstant | None, Query(alias="from")] = None,
    to: Annotated[UtcInstant | None, Query(description="exclusive")] = None,
    reviewer_id: Annotated[IdStr | None, Query()] = None,
    period: Annotated[Literal["week", "month"], Query(description="the series' buckets")] = "week",
    timezone: Annotated[Zone, Query(description="IANA zone the weeks and months are counted in")] = "UTC",
) -> dict[str, Any]:
    """Grade the grader: alignment over time against calibration benchmarks and reviews of
    reviews, strictness or leniency overall and per category, average review time."""
    return await grading.grade_reviewers(session, since=from_, until=to, reviewer_id=reviewer_id, period=period, timezone=timezone)


@router.get("/{calibration_id}", response_model=CalibrationRead, responses=NOT_FOUND)
async def get_calibration(calibration_id: CalibrationId, _: ReadScope, session: ReadSessionDep) -> CalibrationSession:
    return await service.get_calibration(session, calibration_id)


@router.post("/{calibration_id}/reviews", status_code=201, response_model=ReviewRead, responses={**NOT_FOUND, **CONFLICT, 403: {"description": "Not a participant"}})
async def submit_review(
    calibration_id: CalibrationId, body: CalibrationReviewCreate, _: WriteScope, session: SessionDep, settings: SettingsDep
) -> dict[str, Any]:
    """A participant's blind review of one of the session's tickets (method ``calibration``)."""
    return await service.submit_calibration_review(session, calibration_id, body, topic=settings.topic("audits"))


@router.post("/{calibration_id}/benchmark", status_code=201, response_model=ReviewRead, responses={**NOT_FOUND, **CONFLICT})
async def record_benchmark(
    calibration_id: CalibrationId, body: BenchmarkCreate, _: WriteScope, session: SessionDep, settings: SettingsDep
) -> dict[str, Any]:
    """The agreed final review of a ticket (``agreed`` sessions, after the deadline)."""
    return await service.record_benchmark(session, calibration_id, body, topic=settings.topic("audits"))


@router.post("/{calibration_id}/close", response_model=CalibrationRead, responses=NOT_FOUND)
async def close_calibration(calibration_id: CalibrationId, _: WriteScope, session: SessionDep) -> CalibrationSession:
    return await service.close_calibration(session, calibration_id)


@router.get("/{calibration_id}/reviews", response_model=list[ReviewRead], responses={**NOT_FOUND, **CONFLICT})
async def list_session_reviews(
    calibration_id: CalibrationId,
    _: ReadScope,
    session: ReadSessionDep,
    viewer_id: Annotated[IdStr | None, Query(description="who is reading: blind until the deadline")] = None,
) -> list[dict[str, Any]]:
    return await service.readable_reviews(session, calibration_id, viewer_id=viewer_id)


@router.get("/{calibration_id}/results", response_model=CalibrationResults, responses={**NOT_FOUND, **CONFLICT})
async def calibration_results(calibration_id: CalibrationId, _: ReadScope, session: ReadSessionDep) -> dict[str, Any]:
    return await results.calibration_results(session, calibration_id)
