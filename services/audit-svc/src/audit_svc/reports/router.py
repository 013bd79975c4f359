"""GET /v1/audits/report: the audit programme's figures over a window, as JSON or CSV."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query
from fastapi.responses import Response

from csq_common.http.auth import ReadScope
from csq_common.http.dependencies import ReadSessionDep, reject_unknown_query_parameters
from csq_common.types import IdStr, UtcInstant, storable_str
from audit_svc.plans.schemas import Method
from audit_svc.reports import export, service
from audit_svc.reports.filters import ReportFilters
from audit_svc.reports.schemas import AuditReport, Interval
from audit_svc.reports.window import report_window

router = APIRouter(prefix="/v1/audits", tags=["audit report"], dependencies=[Depends(reject_unknown_query_parameters)])
CSV = "text/csv"


def wants_csv(format: str | None, accept: str | None) -> bool:
    """``format`` decides when given; otherwise an Accept header that names text/csv."""
    if format is not None:
        return format == "csv"
    return accept is not None and any(part.split(";")[0].strip().lower() == CSV for part in accept.split(","))


@router.get(
    "/report",
    response_model=AuditReport,
    responses={
        200: {"content": {CSV: {"schema": {"type": "string"}}}, "description": "JSON, or CSV with format=csv or Accept: text/csv"},
        422: {"description": "Bad window, zone, interval or filter; `errors` names it", "content": {"application/problem+json": {}}},
    },
)
async def audit_report(
    _: ReadScope,
    session: ReadSessionDep,
    start: Annotated[UtcInstant, Query(alias="from", description="reviews and closures at or after (RFC 3339)")],
    end: Annotated[UtcInstant, Query(alias="to", description="before (exclusive); at most 400 days after from")],
    plan_id: Annotated[IdStr | None, Query()] = None,
    method: Method | None = None,
    team_id: Annotated[IdStr | None, Query()] = None,
    agent_id: Annotated[IdStr | None, Query()] = None,
    scorecard_id: Annotated[IdStr | None, Query()] = None,
    category: Annotated[IdStr | None, Query(description="a category key")] = None,
    interval: Interval = "week",
    tz: Annotated[storable_str(min_length=1, max_length=64), Query(description="IANA zone of the series")] = "UTC",
    format: Literal["json", "csv"] | None = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
):
    filters = ReportFilters(plan_id=plan_id, method=method, team_id=team_id, agent_id=agent_id, scorecard_id=scorecard_id, category=category)
    report = await service.audit_report(session, report_window(start, end), filters, interval=interval, tz_name=tz)
    if wants_csv(format, accept):
        return Response(
            export.to_csv(report), media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="audit-report.csv"'},
        )
    return report
