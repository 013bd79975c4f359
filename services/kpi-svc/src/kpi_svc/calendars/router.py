"""/v1/calendars: business calendars (admin to create, replace and delete; read to list and get)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from csq_common.db import utcnow
from csq_common.http.auth import AdminScope, ReadScope
from csq_common.http.dependencies import ReadSessionDep, SessionDep, reject_unknown_query_parameters
from csq_common.types import CursorStr, storable_str
from kpi_svc.calendars import service
from kpi_svc.calendars.schemas import CalendarCreate, CalendarPage, CalendarRead
from kpi_svc.sla import service as sla

router = APIRouter(prefix="/v1/calendars", tags=["calendars"], dependencies=[Depends(reject_unknown_query_parameters)])

CalendarId = Annotated[storable_str(max_length=36), Path()]
NOT_FOUND = {404: {"description": "Unknown calendar"}}
TEAM_TAKEN = {409: {"description": "A team already has another calendar"}}


@router.post("", status_code=201, response_model=CalendarRead, responses=TEAM_TAKEN)
async def create_calendar(body: CalendarCreate, _: AdminScope, session: SessionDep) -> CalendarRead:
    """A business calendar: weekly opening intervals in a zone, holidays, extra working days (open
    with Monday's hours), optionally a country's public holidays and make-up days, and the teams
    whose SLA clocks and business-hour KPIs use it. Clocks still short of their target switch to
    it at once."""
    return await sla.create_calendar(session, body, now=utcnow())


@router.get("", response_model=CalendarPage)
async def list_calendars(
    _: ReadScope, session: ReadSessionDep, limit: Annotated[int, Query(ge=1, le=200)] = 50, cursor: CursorStr | None = None
) -> CalendarPage:
    items, next_cursor = await service.list_calendars(session, limit=limit, cursor=cursor)
    return CalendarPage(items=items, next_cursor=next_cursor)


@router.get("/{calendar_id}", response_model=CalendarRead, responses=NOT_FOUND)
async def get_calendar(calendar_id: CalendarId, _: ReadScope, session: ReadSessionDep) -> CalendarRead:
    return await service.get_calendar(session, calendar_id)


@router.put("/{calendar_id}", response_model=CalendarRead, responses={**NOT_FOUND, **TEAM_TAKEN})
async def replace_calendar(calendar_id: CalendarId, body: CalendarCreate, _: AdminScope, session: SessionDep) -> CalendarRead:
    """Every rule of the calendar replaced (its id kept, its revision one more): hours, holidays,
    teams, default. Clocks still short of their target are read again at once with the calendars
    as they now are; timers already measured or breached keep their result."""
    return await sla.replace_calendar(session, calendar_id, body, now=utcnow())


@router.delete("/{calendar_id}", status_code=204, responses=NOT_FOUND)
async def delete_calendar(calendar_id: CalendarId, _: AdminScope, session: SessionDep) -> Response:
    """The calendar gone: its teams' clocks still short of their target run on the default
    calendar, if there is one, else around the clock."""
    await sla.delete_calendar(session, calendar_id, now=utcnow())
    return Response(status_code=204)
