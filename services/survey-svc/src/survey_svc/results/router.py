"""Survey results (read scope): figures, free-text answers, CSV export."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import StreamingResponse

from csq_common.http.auth import ReadScope
from csq_common.http.dependencies import ReadSessionDep, ReadSessionsDep, reject_unknown_query_parameters
from csq_common.types import CursorStr, storable_str
from survey_svc.results import export, service, texts
from survey_svc.results.query import Filters, ResultsQuery, parse_query
from survey_svc.results.schemas import SurveyResults, TextPage

router = APIRouter(
    prefix="/v1/surveys/{survey_id}/results", tags=["results"], dependencies=[Depends(reject_unknown_query_parameters)]
)

SurveyId = Annotated[storable_str(max_length=100), Path()]
ERRORS = {404: {"description": "Unknown survey"}, 422: {"description": "A parameter names its problem"}}
Attribute = Annotated[storable_str(max_length=200) | None, Query()]


def results_query(
    from_: Annotated[storable_str(max_length=64), Query(alias="from", description="RFC 3339 with offset, inclusive")],
    to: Annotated[storable_str(max_length=64), Query(description="RFC 3339 with offset, exclusive; at most 400 days after from")],
    team_id: Attribute = None,
    agent_id: Attribute = None,
    channel: Attribute = None,
    campaign_id: Attribute = None,
    version: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    tz: Annotated[storable_str(max_length=64), Query(description="IANA zone of the series buckets")] = "UTC",
    interval: Annotated[storable_str(max_length=10) | None, Query(description="day | week (from Monday) | month")] = None,
) -> ResultsQuery:
    filters = Filters(team_id=team_id, agent_id=agent_id, channel=channel, campaign_id=campaign_id, version=version)
    return parse_query(from_=from_, to=to, tz=tz, interval=interval, filters=filters)


QueryDep = Annotated[ResultsQuery, Depends(results_query)]


@router.get("", response_model=SurveyResults, responses=ERRORS)
async def get_results(_: ReadScope, survey_id: SurveyId, query: QueryDep, session: ReadSessionDep) -> dict:
    return await service.survey_results(session, survey_id, query)


@router.get("/texts", response_model=TextPage, responses=ERRORS)
async def list_texts(
    _: ReadScope,
    survey_id: SurveyId,
    query: QueryDep,
    session: ReadSessionDep,
    question: Annotated[storable_str(max_length=50) | None, Query()] = None,
    q: Annotated[storable_str(max_length=200) | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[CursorStr | None, Query()] = None,
) -> texts.TextPage:
    return await texts.list_texts(session, survey_id, query, question=question, q=q, limit=limit, cursor=cursor)


@router.get("/export.csv", response_class=StreamingResponse, responses={**ERRORS, 200: {"content": {"text/csv": {}}}})
async def export_csv(
    _: ReadScope, survey_id: SurveyId, query: QueryDep, session: ReadSessionDep, read_sessions: ReadSessionsDep
) -> StreamingResponse:
    csv_export = await export.open_export(session, survey_id, query, sessions=read_sessions)
    return StreamingResponse(
        csv_export.chunks,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{csv_export.filename}"'},
    )
