"""The figures recomputed independently, in plain Python over the generated rows (Decimal with
ROUND_HALF_UP to 2 places, which rounds half away from zero like the service)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from tests.results.factories import Data

FILTER_COLUMNS = {"team_id": "team_id", "agent_id": "agent_id", "channel": "channel", "campaign_id": "campaign_id", "version": "survey_version"}


def q2(numerator, denominator) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _match(row: dict, filters: dict) -> bool:
    return all(row[FILTER_COLUMNS[name]] == value for name, value in filters.items())


def responses(data: Data, start: datetime, end: datetime, **filters) -> list[dict]:
    return [r for r in data.responses if start <= r["answered_at"] < end and _match(r, filters)]


def standard(answers: list[dict]) -> dict:
    by_type = defaultdict(list)
    for answer in answers:
        by_type[answer["type"]].append(answer["number"])
    csat, nps, ces = by_type["csat"], by_type["nps"], by_type["ces"]
    promoters = sum(1 for v in nps if v >= 9)
    detractors = sum(1 for v in nps if v <= 6)
    return {
        "csat_pct": q2(100 * sum(1 for v in csat if v >= 4), len(csat)),
        "nps": q2(100 * (promoters - detractors), len(nps)),
        "ces_avg": q2(sum(ces), len(ces)),
    }


def results(data: Data, start: datetime, end: datetime, **filters) -> dict:
    invited = [
        i for i in data.invitations
        if i["invited_at"] is not None and start <= i["invited_at"] < end and i["status"] not in ("scheduled", "cancelled") and _match(i, filters)
    ]
    answered = [i for i in invited if i["status"] == "answered"]
    window = responses(data, start, end, **filters)
    answers = [(r, a) for r in window for a in r["answers"]]

    questions: dict[str, dict] = {}
    for response, answer in answers:
        entry = questions.setdefault(answer["question_id"], {"answered": 0, "versions": set(), "values": [], "choices": Counter()})
        entry["answered"] += 1
        entry["versions"].add(response["survey_version"])
        if answer["number"] is not None:
            entry["values"].append(answer["number"])
        if answer["choices"] is not None:
            entry["choices"].update(set(answer["choices"]))
    for key, entry in questions.items():
        values = entry["values"]
        entry["versions"] = sorted(entry["versions"])
        entry["counts"] = Counter(values)
        entry["mean"] = q2(sum(values), len(values))
        typed = [a for _, a in answers if a["question_id"] == key and a["number"] is not None]
        entry.update(standard(typed))

    dimensions: dict[str, dict] = {}
    for name in {a["dimension"] for _, a in answers}:
        numeric = [a for _, a in answers if a["dimension"] == name and a["number"] is not None]
        figures = standard(numeric)
        ratings = [a for a in numeric if a["type"] == "rating"]
        # rating_pct: mean of 100 × (v − 1) / (max − 1); max is 10 for q5, 5 for q9
        total = sum((Fraction(100 * (a["number"] - 1), (10 if a["question_id"] == "q5" else 5) - 1) for a in ratings), Fraction(0))
        figures["rating_pct"] = q2(total.numerator, total.denominator * len(ratings)) if ratings else None
        for kind in ("csat", "nps", "ces", "rating"):
            figures[f"{kind}_answers"] = sum(1 for a in numeric if a["type"] == kind)
        dimensions[name] = figures

    return {
        "invitations": len(invited),
        "responses": len(answered),
        "response_rate_pct": q2(100 * len(answered), len(invited)),
        "answers_in_window": len(window),
        "versions": sorted({r["survey_version"] for r in window}),
        "questions": questions,
        "dimensions": dimensions,
    }


def bucket_of(moment: datetime, zone: str, interval: str) -> date:
    """The local calendar day / Monday / first of month of ``moment`` in ``zone``."""
    day = moment.astimezone(ZoneInfo(zone)).date()
    if interval == "week":
        return day - timedelta(days=day.weekday())
    if interval == "month":
        return day.replace(day=1)
    return day


def series(data: Data, start: datetime, end: datetime, zone: str, interval: str, **filters) -> dict[date, dict]:
    grouped: dict[date, list[dict]] = defaultdict(list)
    for response in responses(data, start, end, **filters):
        grouped[bucket_of(response["answered_at"], zone, interval)].append(response)
    return {
        day: {"responses": len(rows), **standard([a for r in rows for a in r["answers"] if a["number"] is not None])}
        for day, rows in grouped.items()
    }
