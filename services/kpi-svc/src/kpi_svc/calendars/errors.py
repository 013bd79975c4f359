from csq_common.errors import Conflict, NotFound


class CalendarNotFound(NotFound):
    def __init__(self, calendar_id: str) -> None:
        super().__init__(f"no calendar {calendar_id!r}")


class TeamHasCalendar(Conflict):
    def __init__(self, team_id: str, calendar_id: str) -> None:
        super().__init__(f"team_ids: team {team_id!r} already uses calendar {calendar_id!r}")
