from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from csq_common.http.auth import ReadScope
from csq_common.http.dependencies import ReadSessionDep, reject_unknown_query_parameters
from csq_common.types import UtcInstant, storable_str
from kpi_svc.kpis import service
from kpi_svc.kpis.schemas import SummaryRead

router = APIRouter(prefix="/v1/kpis", tags=["kpis"], dependencies=[Depends(reject_unknown_query_parameters)])

# The filters as the events carry them (an id up to 200 characters, a channel up to 50); empty
# means "not filtered". The dimension's own rule is the service's (kpis.surveys.check_dimension).
Attribute = Annotated[storable_str(max_length=200) | None, Query()]
Channel = Annotated[storable_str(max_length=50) | None, Query()]


@router.get("/summary", response_model=SummaryRead, response_model_by_alias=True)
async def get_summary(
    _principal: ReadScope,
    session: ReadSessionDep,
    from_: Annotated[UtcInstant, Query(alias="from", description="Window start, RFC 3339 with offset (inclusive)")],
    to: Annotated[UtcInstant, Query(description="Window end, RFC 3339 with offset (exclusive)")],
    team_id: Attribute = None,
    agent_id: Attribute = None,
    channel: Channel = None,
    dimension: Annotated[
        storable_str(max_length=50) | None,
        Query(
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
