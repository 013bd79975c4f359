"""Calendar rules: create (checked by ``hours.Calendar.build``), read, and the lookup of the calendar
a team's clock runs on (its own, else the default). Calendars never change once created, so their
clock values are kept per id for the process's life."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.errors import InvalidInput
from csq_common.pagination import newest_first
from kpi_svc.calendars import country as countries
from kpi_svc.calendars.errors import CalendarNotFound, TeamHasCalendar
from kpi_svc.calendars.hours import Calendar, CalendarRuleError
from kpi_svc.calendars.models import BusinessCalendar, CalendarTeam
from kpi_svc.calendars.schemas import CalendarCreate, CalendarRead

_CLOCKS: dict[str, Calendar] = {}


def clock_of(row: BusinessCalendar) -> Calendar:
    """The business-hours clock of a stored calendar."""
    found = _CLOCKS.get(row.id)
    if found is None:
        found = _CLOCKS[row.id] = Calendar.build(
            tz=row.tz, hours=row.hours, holidays=[date.fromisoformat(d) for d in row.holidays],
            extra_working_days=[date.fromisoformat(d) for d in row.extra_working_days], country=row.country,
        )
    return found


def read_model(row: BusinessCalendar) -> CalendarRead:
    return CalendarRead(
        id=row.id, name=row.name, tz=row.tz, hours=row.hours, holidays=row.holidays, extra_working_days=row.extra_working_days,
        country=row.country, team_ids=row.team_ids, default=row.is_default, created_at=row.created_at,
    )


async def create_calendar(session: AsyncSession, body: CalendarCreate, *, now: datetime) -> CalendarRead:
    try:
        Calendar.build(tz=body.tz, hours=body.hours, holidays=body.holidays, extra_working_days=body.extra_working_days)
    except CalendarRuleError as error:
        raise InvalidInput(error.field, error.message) from None
    if body.country is not None and not countries.is_supported(body.country):
        raise InvalidInput("country", f"{body.country!r} is not a country the holidays library covers")
    team_ids = list(dict.fromkeys(body.team_ids))
    if team_ids:
        taken = (await session.execute(select(CalendarTeam).where(CalendarTeam.team_id.in_(team_ids)))).scalars().first()
        if taken is not None:
            raise TeamHasCalendar(taken.team_id, taken.calendar_id)
    if body.default:
        await session.execute(update(BusinessCalendar).where(BusinessCalendar.is_default.is_(True)).values(is_default=False))
    row = BusinessCalendar(
        id=str(uuid.uuid4()), name=body.name, tz=body.tz, hours={day: list(v) for day, v in body.hours.items()},
        holidays=sorted({d.isoformat() for d in body.holidays}),
        extra_working_days=sorted({d.isoformat() for d in body.extra_working_days}),
        country=body.country, team_ids=team_ids, is_default=body.default, created_at=now,
    )
    session.add(row)
    await session.flush()
    session.add_all([CalendarTeam(team_id=team, calendar_id=row.id) for team in team_ids])
    await session.flush()
    return read_model(row)


async def get_calendar(session: AsyncSession, calendar_id: str) -> CalendarRead:
    row = await session.get(BusinessCalendar, calendar_id)
    if row is None:
        raise CalendarNotFound(calendar_id)
    return read_model(row)


async def list_calendars(session: AsyncSession, *, limit: int, cursor: str | None) -> tuple[list[CalendarRead], str | None]:
    rows, next_cursor = await newest_first(session, select(BusinessCalendar), BusinessCalendar, limit=limit, cursor=cursor)
    return [read_model(row) for row in rows], next_cursor


@dataclass(frozen=True)
class CalendarBook:
    """Every team's calendar and the default, as one consumer batch or worker round sees them."""

    by_team: dict[str, tuple[str, Calendar]]
    default: tuple[str, Calendar] | None

    def for_team(self, team_id: str | None) -> tuple[str, Calendar] | None:
        """``(calendar id, clock)`` of the team's calendar, else the default; None without either."""
        return self.by_team.get(team_id, self.default) if team_id else self.default


async def load_book(session: AsyncSession) -> CalendarBook:
    rows = (await session.execute(select(BusinessCalendar))).scalars().all()
    by_id = {row.id: (row.id, clock_of(row)) for row in rows}
    by_team = {team: by_id[row.id] for row in rows for team in row.team_ids}
    default = next((by_id[row.id] for row in rows if row.is_default), None)
    return CalendarBook(by_team=by_team, default=default)
