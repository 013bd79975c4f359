"""Calendar rules: create and replace (checked by ``hours.Calendar.build``), delete, read, and the
lookup of the calendar a team's clock runs on (its own, else the default). A calendar's clock is
kept in memory per (id, revision): a change is a new revision, which every replica reads afresh."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.errors import InvalidInput
from csq_common.pagination import newest_first
from kpi_svc.calendars import country as countries
from kpi_svc.calendars.errors import CalendarNotFound, TeamHasCalendar
from kpi_svc.calendars.hours import Calendar, CalendarRuleError
from kpi_svc.calendars.models import BusinessCalendar, CalendarTeam
from kpi_svc.calendars.schemas import CalendarCreate, CalendarRead

_CLOCKS: dict[tuple[str, int], Calendar] = {}


def clock_of(row: BusinessCalendar) -> Calendar:
    """The business-hours clock of a stored calendar."""
    found = _CLOCKS.get((row.id, row.revision))
    if found is None:
        for older in [key for key in _CLOCKS if key[0] == row.id]:
            del _CLOCKS[older]
        found = _CLOCKS[row.id, row.revision] = Calendar.build(
            tz=row.tz, hours=row.hours, holidays=[date.fromisoformat(d) for d in row.holidays],
            extra_working_days=[date.fromisoformat(d) for d in row.extra_working_days], country=row.country,
        )
    return found


def read_model(row: BusinessCalendar) -> CalendarRead:
    return CalendarRead(
        id=row.id, name=row.name, tz=row.tz, hours=row.hours, holidays=row.holidays, extra_working_days=row.extra_working_days,
        country=row.country, team_ids=row.team_ids, default=row.is_default, created_at=row.created_at, revision=row.revision,
        updated_at=row.updated_at,
    )


def _check(body: CalendarCreate) -> None:
    try:
        Calendar.build(tz=body.tz, hours=body.hours, holidays=body.holidays, extra_working_days=body.extra_working_days)
    except CalendarRuleError as error:
        raise InvalidInput(error.field, error.message) from None
    if body.country is not None and not countries.is_supported(body.country):
        raise InvalidInput("country", f"{body.country!r} is not a country the holidays library covers")


def _set_rules(row: BusinessCalendar, body: CalendarCreate) -> None:
    """Give ``row`` every rule of ``body`` (its teams' links are :func:`_link_teams`)."""
    row.name, row.tz, row.hours = body.name, body.tz, {day: list(v) for day, v in body.hours.items()}
    row.holidays = sorted({d.isoformat() for d in body.holidays})
    row.extra_working_days = sorted({d.isoformat() for d in body.extra_working_days})
    row.country, row.team_ids, row.is_default = body.country, list(dict.fromkeys(body.team_ids)), body.default


async def _link_teams(session: AsyncSession, row: BusinessCalendar, *, replacing: bool) -> None:
    """Link ``row``'s teams (flushed) to it, none of them another calendar's, in place of its
    links so far (``replacing``); as the default, it replaces the old default."""
    if row.team_ids:
        taken = (
            await session.execute(
                select(CalendarTeam).where(CalendarTeam.team_id.in_(row.team_ids), CalendarTeam.calendar_id != row.id).limit(1)
            )
        ).scalars().first()
        if taken is not None:
            raise TeamHasCalendar(taken.team_id, taken.calendar_id)
    if row.is_default:
        await session.execute(
            update(BusinessCalendar).where(BusinessCalendar.is_default.is_(True), BusinessCalendar.id != row.id).values(is_default=False)
        )
    if replacing:
        await session.execute(delete(CalendarTeam).where(CalendarTeam.calendar_id == row.id))
    session.add_all([CalendarTeam(team_id=team, calendar_id=row.id) for team in row.team_ids])
    await session.flush()


async def create_calendar(session: AsyncSession, body: CalendarCreate, *, now: datetime) -> CalendarRead:
    _check(body)
    row = BusinessCalendar(id=str(uuid.uuid4()), created_at=now, revision=1)
    _set_rules(row, body)
    session.add(row)
    await session.flush()
    await _link_teams(session, row, replacing=False)
    return read_model(row)


async def replace_calendar(session: AsyncSession, calendar_id: str, body: CalendarCreate, *, now: datetime) -> CalendarRead:
    """The calendar with every rule of ``body`` and its next revision (its id kept)."""
    _check(body)
    row = await _locked(session, calendar_id)
    _set_rules(row, body)
    row.revision, row.updated_at = row.revision + 1, now
    await session.flush()
    await _link_teams(session, row, replacing=True)
    return read_model(row)


async def delete_calendar(session: AsyncSession, calendar_id: str) -> None:
    """The calendar and its teams' link to it gone (they fall back to the default, if any)."""
    row = await _locked(session, calendar_id)
    await session.execute(delete(CalendarTeam).where(CalendarTeam.calendar_id == row.id))
    await session.delete(row)
    await session.flush()


async def _locked(session: AsyncSession, calendar_id: str) -> BusinessCalendar:
    row = await session.get(BusinessCalendar, calendar_id, with_for_update=True)
    if row is None:
        raise CalendarNotFound(calendar_id)
    return row


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
