"""Survey results: response rate, per-question and per-dimension figures, the series.

Attribution: ``invitations`` and ``responses`` (and so ``response_rate_pct``) count invitations
by ``invited_at`` in the window, like kpi-svc's survey_response_pct; every answer figure
(questions, dimensions, series) counts responses by ``answered_at`` in the window
(``answers_in_window``). Filters narrow both. The database returns counts grouped by question,
version and value (integers), choice lists and timestamps; every figure is computed from them
exactly in :mod:`survey_svc.results.stats`. Nothing here commits.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from fractions import Fraction
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.errors import InvalidInput
from survey_svc.campaigns.models import ANSWERED, CANCELLED, SCHEDULED, Invitation
from survey_svc.responses.models import Response, ResponseAnswer
from survey_svc.results import stats
from survey_svc.results.catalog import CHOICE, NUMERIC, Catalog, CatalogQuestion
from survey_svc.results.query import ResultsQuery
from survey_svc.results.series import Series
from survey_svc.surveys.models import SurveyVersion
from survey_svc.surveys.service import get_survey

STANDARD = ("csat", "nps", "ces")


async def load_catalog(session: AsyncSession, survey_id: str, query: ResultsQuery) -> Catalog:
    """The survey's questions (404 for an unknown survey; 422 naming ``version`` for an
    unpublished version)."""
    survey = await get_survey(session, survey_id)
    rows = (await session.execute(select(SurveyVersion.version, SurveyVersion.definition).where(SurveyVersion.survey_id == survey.id))).all()
    versions = {number: definition for number, definition in rows}
    wanted = query.filters.version
    if wanted is not None:
        if wanted not in versions:
            raise InvalidInput("version", f"survey {survey_id!r} has no published version {wanted}")
        return Catalog({wanted: versions[wanted]}, wanted)
    return Catalog(versions, max(versions) if versions else None)


def responses_in_window(survey_id: str, query: ResultsQuery, *columns):
    """SELECT ``columns`` FROM responses answered in the window, filtered."""
    statement = select(*columns).where(
        Response.survey_id == survey_id, Response.answered_at >= query.start, Response.answered_at < query.end
    )
    return query.filters.apply(statement, Response)


def _answers(survey_id: str, query: ResultsQuery, *columns):
    return responses_in_window(survey_id, query, *columns).join(ResponseAnswer, ResponseAnswer.response_id == Response.id)


async def invitation_counts(session: AsyncSession, survey_id: str, query: ResultsQuery) -> tuple[int, int]:
    """(invited, answered) among invitations sent in the window (by ``invited_at``)."""
    statement = select(func.count(), func.count().filter(Invitation.status == ANSWERED)).where(
        Invitation.survey_id == survey_id,
        Invitation.invited_at >= query.start,
        Invitation.invited_at < query.end,
        Invitation.status.not_in((SCHEDULED, CANCELLED)),
    )
    invited, answered = (await session.execute(query.filters.apply(statement, Invitation))).one()
    return int(invited), int(answered or 0)


async def _tally_answers(session: AsyncSession, survey_id: str, query: ResultsQuery, catalog: Catalog) -> dict[tuple[str, str], Any]:
    """(key, type) -> Counter of numbers / of choice keys, plus answered counts."""
    numbers: dict[tuple[str, str], Counter[int]] = defaultdict(Counter)
    choices: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    answered: Counter[tuple[str, str]] = Counter()

    def note(key: str, question_type: str, version: int) -> CatalogQuestion | None:
        question = catalog.get(key, question_type)
        if question is not None:
            question.versions.add(version)
        return question

    grouped = (
        _answers(survey_id, query, ResponseAnswer.question_id, ResponseAnswer.type, Response.survey_version, ResponseAnswer.number, func.count())
        .where(ResponseAnswer.type.in_(NUMERIC), ResponseAnswer.number.is_not(None))
        .group_by(ResponseAnswer.question_id, ResponseAnswer.type, Response.survey_version, ResponseAnswer.number)
    )
    for key, question_type, version, number, count in (await session.execute(grouped)).all():
        if note(key, question_type, version):
            numbers[(key, question_type)][int(number)] += int(count)
            answered[(key, question_type)] += int(count)

    texts = (
        _answers(survey_id, query, ResponseAnswer.question_id, ResponseAnswer.type, Response.survey_version, func.count())
        .where(ResponseAnswer.type == "text", ResponseAnswer.text.is_not(None))
        .group_by(ResponseAnswer.question_id, ResponseAnswer.type, Response.survey_version)
    )
    for key, question_type, version, count in (await session.execute(texts)).all():
        if note(key, question_type, version):
            answered[(key, question_type)] += int(count)

    # JSON lists cannot be grouped portably (PostgreSQL's json has no equality): stream them.
    listed = _answers(survey_id, query, ResponseAnswer.question_id, ResponseAnswer.type, Response.survey_version, ResponseAnswer.choices).where(
        ResponseAnswer.type.in_(CHOICE), ResponseAnswer.choices.is_not(None)
    )
    async for key, question_type, version, keys in await session.stream(listed):
        if keys and note(key, question_type, version):
            answered[(key, question_type)] += 1
            choices[(key, question_type)].update(set(str(k) for k in keys))  # each key once per answer
    return {"numbers": numbers, "choices": choices, "answered": answered}


def _numeric_entry(question: CatalogQuestion, counts: Counter[int]) -> dict[str, Any]:
    low, high = question.scale
    values = sorted(set(range(low, high + 1)) | set(counts))
    return {
        "distribution": [{"value": value, "labels": None, "count": counts.get(value, 0)} for value in values],
        "mean": stats.round2(stats.mean(counts)),
        "csat_pct": stats.round2(stats.csat_pct(counts)) if question.type == "csat" else None,
        "nps": stats.round2(stats.nps(counts)) if question.type == "nps" else None,
        "ces_avg": stats.round2(stats.ces_avg(counts)) if question.type == "ces" else None,
    }


def _choice_entry(labels: dict[str, dict[str, str]], counts: Counter[str]) -> dict[str, Any]:
    keys = list(labels) + sorted(key for key in counts if key not in labels)
    return {
        "distribution": [{"value": key, "labels": labels.get(key), "count": counts.get(key, 0)} for key in keys],
        "mean": None, "csat_pct": None, "nps": None, "ces_avg": None,
    }


async def survey_results(session: AsyncSession, survey_id: str, query: ResultsQuery) -> dict[str, Any]:
    catalog = await load_catalog(session, survey_id, query)
    invited, answered = await invitation_counts(session, survey_id, query)
    in_window = (await session.execute(responses_in_window(survey_id, query, func.count()))).scalar_one()
    tallies = await _tally_answers(session, survey_id, query, catalog)
    versions = (await session.execute(responses_in_window(survey_id, query, Response.survey_version).distinct().order_by(Response.survey_version))).scalars().all()

    questions, dimensions = [], defaultdict(stats.TypeTally)
    for question in catalog.shown():
        identity = (question.key, question.type)
        entry: dict[str, Any] = {
            "key": question.key,
            "type": question.type,
            "dimension": question.dimension,
            "prompt": question.prompt,
            "definition_version": question.definition_version,
            "versions": sorted(question.versions),
            "answered": tallies["answered"].get(identity, 0),
        }
        tally = dimensions[question.dimension]  # every dimension shown, with or without figures
        if question.type in NUMERIC:
            counts = tallies["numbers"].get(identity, Counter())
            entry.update(_numeric_entry(question, counts))
            if question.type == "rating":
                tally.add_rating(counts, question.scale[1])
            for value, count in counts.items():
                tally.add(question.type, value, count)
        elif question.type in CHOICE:
            entry.update(_choice_entry(catalog.labels(question), tallies["choices"].get(identity, Counter())))
        else:
            entry.update({"distribution": None, "mean": None, "csat_pct": None, "nps": None, "ces_avg": None})
        questions.append(entry)

    return {
        "survey_id": survey_id,
        "from": query.start,
        "to": query.end,
        "tz": query.tz.key,
        "interval": query.interval,
        "filters": query.filters.as_dict(),
        "invitations": invited,
        "responses": answered,
        "response_rate_pct": stats.round2(Fraction(100 * answered, invited)) if invited else None,
        "answers_in_window": int(in_window),
        "versions": [int(v) for v in versions],
        "questions": questions,
        "dimensions": [{"dimension": name, **tally.figures()} for name, tally in sorted(dimensions.items())],
        "series": await _series(session, survey_id, query) if query.interval else None,
    }


async def _series(session: AsyncSession, survey_id: str, query: ResultsQuery) -> list[dict[str, Any]]:
    series = Series(query.start, query.end, query.tz, query.interval)
    async for moment in await session.stream_scalars(responses_in_window(survey_id, query, Response.answered_at)):
        series.add_response(moment)
    answers = _answers(survey_id, query, Response.answered_at, ResponseAnswer.type, ResponseAnswer.number).where(
        ResponseAnswer.type.in_(STANDARD), ResponseAnswer.number.is_not(None)
    )
    async for moment, question_type, number in await session.stream(answers):
        series.add_answer(moment, question_type, int(number))
    return series.items()
