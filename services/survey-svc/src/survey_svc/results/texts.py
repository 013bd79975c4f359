"""Free-text answers, newest first, cursor-paginated, with a keyword filter.

Order and cursor: (answered_at, response_id, question key), all descending, so two text answers
of one response never straddle a page boundary ambiguously. ``q`` is a substring match on the
lower-cased text (LIKE with its wildcards ``%`` ``_`` ``\\`` escaped): it works for Chinese
(q=退款 finds "退款太慢了") and ignores case for Latin letters (for non-ASCII Latin letters on
SQLite, whose lower() folds ASCII only, case must match). ``customer_id`` is shown only for
responses that are not anonymous. Nothing here commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.errors import InvalidInput
from csq_common.pagination import decode_cursor, encode_cursor
from survey_svc.responses.models import Response, ResponseAnswer
from survey_svc.results.query import ResultsQuery
from survey_svc.results.service import load_catalog, responses_in_window


@dataclass(frozen=True)
class TextPage:
    items: list[dict[str, Any]]
    next_cursor: str | None


def like_pattern(q: str) -> str:
    escaped = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _decode(cursor: str) -> tuple[datetime, str, str]:
    moment_text, response_id, question = decode_cursor(cursor, parts=3)
    try:
        moment = datetime.fromisoformat(moment_text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise InvalidInput("cursor", "is not a cursor this API issued")
    return moment, response_id, question


async def list_texts(
    session: AsyncSession,
    survey_id: str,
    query: ResultsQuery,
    *,
    question: str | None = None,
    q: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> TextPage:
    await load_catalog(session, survey_id, query)  # 404 / 422 on version
    statement = (
        responses_in_window(
            survey_id, query, Response.id, Response.answered_at, Response.survey_version, Response.ticket_id, Response.team_id,
            Response.agent_id, Response.channel, Response.locale, Response.anonymous, Response.customer_id,
            ResponseAnswer.question_id, ResponseAnswer.text,
        )
        .join(ResponseAnswer, ResponseAnswer.response_id == Response.id)
        .where(ResponseAnswer.type == "text", ResponseAnswer.text.is_not(None))
        .order_by(Response.answered_at.desc(), Response.id.desc(), ResponseAnswer.question_id.desc())
        .limit(limit + 1)
    )
    if question:
        statement = statement.where(ResponseAnswer.question_id == question)
    if q:
        statement = statement.where(func.lower(ResponseAnswer.text).like(like_pattern(q), escape="\\"))
    if cursor:
        moment, response_id, question_id = _decode(cursor)
        statement = statement.where(
            or_(
                Response.answered_at < moment,
                and_(Response.answered_at == moment, Response.id < response_id),
                and_(Response.answered_at == moment, Response.id == response_id, ResponseAnswer.question_id < question_id),
            )
        )
    rows = (await session.execute(statement)).all()
    items = [
        {
            "response_id": row.id,
            "question": row.question_id,
            "text": row.text,
            "answered_at": row.answered_at,
            "survey_version": row.survey_version,
            "locale": row.locale,
            "ticket_id": None if row.anonymous else row.ticket_id,  # the CRM would name the customer
            "team_id": row.team_id,
            "agent_id": row.agent_id,
            "channel": row.channel,
            "anonymous": row.anonymous,
            "customer_id": None if row.anonymous else row.customer_id,
        }
        for row in rows[:limit]
    ]
    more = len(rows) > limit
    last = items[-1] if items else None
    next_cursor = encode_cursor(last["answered_at"].isoformat(), last["response_id"], last["question"]) if more else None
    return TextPage(items=items, next_cursor=next_cursor)
