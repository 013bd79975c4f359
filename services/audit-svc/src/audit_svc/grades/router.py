from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from csq_common.http.auth import ReadScope, WriteScope
from csq_common.http.dependencies import ReadSessionDep, SessionDep, reject_unknown_query_parameters
from csq_common.types import CursorStr, IdStr, UtcInstant
from audit_svc.grades import service
from audit_svc.grades.schemas import GradeCreate, GradePage, GradeRead

router = APIRouter(tags=["grading"], dependencies=[Depends(reject_unknown_query_parameters)])

ReviewId = Annotated[str, Path(max_length=100)]


@router.post(
    "/v1/reviews/{review_id}/grades", status_code=201, response_model=GradeRead,
    responses={404: {"description": "Unknown review or scorecard"}, 409: {"description": "A calibration review, or a retired scorecard"}},
)
async def grade_review(review_id: ReviewId, body: GradeCreate, _: WriteScope, session: SessionDep) -> dict[str, Any]:
    """A review of a review: the grader answers a ``review_of_review`` scorecard about it and
    corrects the answers they disagree with (the benchmark the review is compared with)."""
    return await service.grade_review(session, review_id, body)


@router.get("/v1/grades", response_model=GradePage)
async def list_grades(
    _: ReadScope,
    session: ReadSessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[CursorStr | None, Query()] = None,
    review_id: Annotated[IdStr | None, Query()] = None,
    reviewer_id: Annotated[IdStr | None, Query(description="whose reviews were graded")] = None,
    grader_id: Annotated[IdStr | None, Query()] = None,
    from_: Annotated[UtcInstant | None, Query(alias="from")] = None,
    to: Annotated[UtcInstant | None, Query(description="exclusive")] = None,
) -> service.Page:
    return await service.list_grades(
        session, limit=limit, cursor=cursor, review_id=review_id, reviewer_id=reviewer_id, grader_id=grader_id, graded_from=from_, graded_to=to,
    )
