"""CSV export of responses, one row per response, streamed in batches.

UTF-8 with a BOM (Excel then reads Chinese correctly). Fixed columns first, then one column per
question key (numbers; choice keys joined with "|"; text). ``customer_id`` and ``ticket_id`` are
empty for anonymous responses (a ticket id names the customer in the CRM). Cells that a spreadsheet would run as a formula (starting with = + - @, tab or CR)
get a leading apostrophe. The survey and the query are checked before the first byte (404/422
stay proper problem responses); the rows are then read in keyset batches on a session of the
export's own, since the request's session is closed before a streamed body is sent.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timezone
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from survey_svc.responses.models import Response, ResponseAnswer
from survey_svc.results.query import ResultsQuery
from survey_svc.results.service import load_catalog, responses_in_window

BOM = "\ufeff"
BATCH = 500
FIXED_COLUMNS = (
    "response_id", "answered_at", "survey_version", "campaign_id", "ticket_id", "team_id", "agent_id", "channel",
    "response_channel", "customer_id",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class CsvExport:
    filename: str
    chunks: AsyncIterator[str]


def safe(value: Any) -> Any:
    """A cell value that no spreadsheet evaluates as a formula (numbers pass unchanged)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def answer_cell(answer: ResponseAnswer) -> Any:
    if answer.number is not None:
        return answer.number
    if answer.choices is not None:
        return "|".join(str(key) for key in answer.choices)
    return answer.text or ""


def response_cells(response: Response) -> list[Any]:
    return [
        response.id,
        response.answered_at.astimezone(timezone.utc).isoformat().replace("+00:00", "Z"),
        response.survey_version,
        response.campaign_id,
        None if response.anonymous else response.ticket_id,  # the CRM would name the customer
        response.team_id,
        response.agent_id,
        response.channel,
        response.response_channel,
        None if response.anonymous else response.customer_id,
    ]


def _line(cells: list[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(["" if cell is None else safe(cell) for cell in cells])
    return buffer.getvalue()


async def open_export(
    session: AsyncSession, survey_id: str, query: ResultsQuery, *, sessions: Callable[[], AsyncSession]
) -> CsvExport:
    """Check the request now; the returned chunks read the rows later on ``sessions()``."""
    catalog = await load_catalog(session, survey_id, query)
    keys = catalog.column_keys()
    stem = re.sub(r"[^A-Za-z0-9_-]", "_", survey_id)
    filename = f"survey-{stem}-results-{query.start:%Y%m%dT%H%MZ}-{query.end:%Y%m%dT%H%MZ}.csv"
    return CsvExport(filename=filename, chunks=_chunks(sessions, survey_id, query, keys))


async def _chunks(sessions: Callable[[], AsyncSession], survey_id: str, query: ResultsQuery, keys: list[str]) -> AsyncIterator[str]:
    yield BOM + _line([*FIXED_COLUMNS, *keys])
    after = None
    async with sessions() as session:
        while True:
            statement = responses_in_window(survey_id, query, Response).order_by(Response.answered_at, Response.id).limit(BATCH)
            if after is not None:
                moment, last_id = after
                statement = statement.where(
                    or_(Response.answered_at > moment, and_(Response.answered_at == moment, Response.id > last_id))
                )
            batch = list((await session.execute(statement)).scalars())
            if not batch:
                return
            answers: dict[str, dict[str, ResponseAnswer]] = {}
            rows = await session.execute(select(ResponseAnswer).where(ResponseAnswer.response_id.in_([r.id for r in batch])))
            for answer in rows.scalars():
                answers.setdefault(answer.response_id, {})[answer.question_id] = answer
            lines = []
            for response in batch:
                given = answers.get(response.id, {})
                lines.append(_line([*response_cells(response), *(answer_cell(given[key]) if key in given else None for key in keys)]))
            yield "".join(lines)
            session.expunge_all()  # keep memory flat across batches
            after = (batch[-1].answered_at, batch[-1].id)
