from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime

from csq_common.http.dependencies import ReadSessionDep
from csq_common.http.auth import ReadScope
from kpi_svc.kpis import service
from kpi_svc.kpis.schemas import SummaryRead

router = APIRouter(prefix="/v1/kpis", tags=["kpis"])

Dimension = Annotated[str | None, Query(max_length=200)]


@router.get("/summary", response_model=SummaryRead, response_model_by_alias=True)
async def get_summary(
    _principal: ReadScope,
    session: ReadSessionDep,
    from_: Annotated[AwareDatetime, Query(alias="from", description="Window start, RFC 3339 with offset (inclusive)")],
    to: Annotated[AwareDatetime, Query(description="Window end, RFC 3339 with offset (exclusive)")],
    team_id: Dimension = None,
    agent_id: Dimension = None,
    channel: Annotated[str | None, Query(max_length=50)] = None,
    dimension: Annotated[
        str | None,
        Query(
            max_length=50,
            description="Question dimension (attitude, response_speed, problem_solving, professionalism, overall or "
            "a custom lowercase slug): restricts csat_pct, nps and ces_avg to answers of questions tagged with it; "
            "the response then holds only those three metrics",
        ),
    ] = None,
) -> SummaryRead:
    """Ticket and survey KPIs over ``[from, to)``, optionally for one team, agent and/or channel.

    The finest stored bucket is 15 minutes: a window not aligned to 15 minutes is widened to the
    enclosing boundaries (``from`` down, ``to`` up), and the response's ``from``/``to`` are the
    effective window actually answered, in UTC. ``to`` must be after ``from`` and the window at
    most 400 days. An empty filter parameter means "not filtered". A metric without observations
    is ``null``; ``counts`` gives the observations behind each metric (``tickets_closed`` is a
    count and is 0, not null, for a window without closures).

    Survey KPIs: ``csat_pct``, ``nps`` and ``ces_avg`` by the answer's ``answered_at``,
    ``survey_response_pct`` (answered / invited) by the invitation's ``invited_at``; ``counts``
    gives the CSAT, NPS and CES answers and the invitations behind them. ``dimension`` applies only
    to ``csat_pct``, ``nps`` and ``ces_avg``, so with it the response holds only those three (the
    ticket KPIs and the response rate are not dimension-specific: ask without ``dimension``).
    """
    filters = service.KpiFilters(
        team_id=team_id or None, agent_id=agent_id or None, channel=channel or None, dimension=dimension or None
    )
    return SummaryRead.of(await service.kpi_summary(session, start=from_, end=to, filters=filters))
