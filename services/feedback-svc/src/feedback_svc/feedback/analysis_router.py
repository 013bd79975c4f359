"""GET /v1/feedback/analysis: the customer's voice over a window, as JSON or CSV."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from csq_common.events import FeedbackChannel, FeedbackKind
from csq_common.http.auth import ReadScope
from csq_common.http.dependencies import ReadSessionDep, reject_unknown_query_parameters
from csq_common.types import IdStr, UtcInstant, storable_str
from feedback_svc.feedback import analysis
from feedback_svc.feedback.analysis_schemas import Analysis
from feedback_svc.feedback.schemas import Source
from feedback_svc.settings import SettingsDep

router = APIRouter(prefix="/v1/feedback", tags=["feedback analysis"], dependencies=[Depends(reject_unknown_query_parameters)])


@router.get(
    "/analysis",
    response_model=Analysis,
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "JSON, or CSV with format=csv"},
        422: {"description": "Bad window, zone or filter; `errors` names it", "content": {"application/problem+json": {}}},
    },
)
async def feedback_analysis(
    _: ReadScope,
    session: ReadSessionDep,
    settings: SettingsDep,
    start: Annotated[UtcInstant, Query(alias="from", description="window start (inclusive), by received_at")],
    end: Annotated[UtcInstant, Query(alias="to", description="window end (exclusive)")],
    channel: FeedbackChannel | None = None,
    source: Annotated[Source | None, Query()] = None,
    kind: FeedbackKind | None = None,
    category: Annotated[IdStr | None, Query()] = None,
    team_id: Annotated[IdStr | None, Query()] = None,
    agent_id: Annotated[IdStr | None, Query()] = None,
    interval: Literal["day", "week", "month"] = "day",
    tz: Annotated[storable_str(min_length=1, max_length=64), Query(description="IANA zone of the series")] = "UTC",
    format: Literal["json", "csv"] = "json",
):
    query = analysis.AnalysisQuery(
        start=analysis.utc(start, field="from"), end=analysis.utc(end, field="to"), tz=analysis.zone(tz), interval=interval, channel=channel,
        source=source, kind=kind, category=category, team_id=team_id, agent_id=agent_id,
    )
    result = await analysis.analyse(session, query, max_term_items=settings.analysis_term_items)
    if format == "csv":
        return Response(
            analysis.to_csv(result), media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="feedback-analysis.csv"'},
        )
    return result
