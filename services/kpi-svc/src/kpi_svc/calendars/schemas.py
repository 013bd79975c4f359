"""Request and response shapes of /v1/calendars (the rules between fields are in hours.py)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from csq_common.types import IdStr, storable_str

Interval = storable_str(max_length=11)
CountryCode = storable_str(pattern=r"^[A-Z]{2}$")
WeekdayName = storable_str(max_length=20)

EXAMPLE_HOURS = {"mon": ["09:00-12:00", "13:30-18:00"], "tue": ["09:00-18:00"], "wed": ["09:00-18:00"],
                 "thu": ["09:00-18:00"], "fri": ["09:00-18:00"], "sat": [], "sun": []}


class CalendarCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "name": "客服中心工作日历", "tz": "Asia/Shanghai", "hours": EXAMPLE_HOURS, "holidays": ["2026-10-01"],
        "extra_working_days": ["2026-09-27"], "country": "CN", "team_ids": ["billing"], "default": False,
    }]})

    name: storable_str(strip_whitespace=True, min_length=1, max_length=200)
    tz: storable_str(min_length=1, max_length=64) = Field(description="IANA time zone, e.g. Asia/Shanghai")
    hours: dict[WeekdayName, list[Interval]] = Field(
        max_length=50, description="mon … sun → opening intervals HH:MM-HH:MM (several a day; 24:00 closes at midnight); a day left out is closed"
    )
    holidays: list[date] = Field(default_factory=list, max_length=2000)
    extra_working_days: list[date] = Field(
        default_factory=list, max_length=2000, description="Working dates that open with Monday's hours (make-up days)"
    )
    country: CountryCode | None = Field(
        None, description="ISO 3166 code: its public holidays (and for CN the make-up working days) are added for the years used"
    )
    team_ids: list[IdStr] = Field(default_factory=list, max_length=1000)
    default: bool = Field(False, description="The calendar of teams that have none (a new default replaces the old)")


class CalendarRead(BaseModel):
    id: str
    name: str
    tz: str
    hours: dict[str, list[str]]
    holidays: list[date]
    extra_working_days: list[date]
    country: str | None
    team_ids: list[str]
    default: bool
    created_at: datetime
    revision: int = Field(description="1 when created, one more at each change")
    updated_at: datetime | None = Field(description="The latest change; null if never changed")


class CalendarPage(BaseModel):
    items: list[CalendarRead]
    next_cursor: str | None
