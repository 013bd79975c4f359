"""Plain-Python series, breakdown and peak-hour figures over generated facts: each fact is put in
its bucket by its own local wall-clock time (``astimezone``), then each bucket's KPIs come from
``oracle.py`` / ``survey_oracle.py``. Shares no code with kpi_svc.read."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from tests import oracle, sla_oracle, survey_oracle, voice_oracle
from tests.factories import History
from tests.survey_factories import SurveyHistory
from tests.voice_factories import VoiceHistory

EVERYTHING = (datetime.fromisoformat("2000-01-01T00:00:00+00:00"), datetime.fromisoformat("2100-01-01T00:00:00+00:00"))


def label(moment: datetime, interval: str, tz) -> tuple:
    """The local bucket a moment falls in: (date, hour, offset) for hours, the local date of the
    day, of the week's Monday, or (year, month)."""
    local = moment.astimezone(tz)
    if interval == "hour":
        return local.date(), local.hour, local.utcoffset()
    if interval == "day":
        return local.date()
    if interval == "week":
        return local.date() - timedelta(days=local.weekday())
    if interval == "month":
        return local.year, local.month
    if interval == "peak":
        return local.isoweekday(), local.hour
    raise ValueError(interval)


def labels_between(start: datetime, end: datetime, interval: str, tz) -> list:
    """The distinct labels of every 15-minute instant of ``[start, end)``, in time order: the
    buckets a series over that window must list."""
    out = []
    moment = start
    while moment < end:
        bucket = label(moment, interval, tz)
        if not out or out[-1] != bucket:
            out.append(bucket)
        moment += timedelta(minutes=15)
    return out


def grouped_kpis(
    tickets: History, surveys: SurveyHistory, bucket_of, group_of=lambda fact: None, voice: VoiceHistory | None = None,
    sla=(), **filters,
) -> dict:
    """``{(group, bucket): (values, counts)}`` of every ticket, survey, voice and SLA KPI (voice:
    feedback, QA, automatic QA, calls; SLA: sla_oracle outcomes; none if not given), facts filtered by ``filters`` (team,
    agent, channel), grouped by ``group_of(fact)`` and bucketed by ``bucket_of(moment)`` (None:
    left out)."""
    voice = voice or VoiceHistory()
    def keyed(items, moment_of):
        kept = [item for item in items if oracle.matches(item, **filters)]
        out = defaultdict(list)
        for item in kept:
            bucket = bucket_of(moment_of(item))
            if bucket is not None:
                out[(group_of(item), bucket)].append(item)
        return out

    closures = keyed(tickets.closures, lambda f: f.closed_at)
    firsts = keyed(tickets.first_responses, lambda f: f.at)
    reopens = keyed(tickets.reopens, lambda f: f.at)
    waits = keyed(tickets.next_responses, lambda f: f.at)
    invitations = keyed(surveys.invitations, lambda f: f.invited_at)
    answers = keyed(surveys.answers, lambda f: f.at)
    credits = keyed(surveys.credits, lambda f: f.at)
    voice_facts = {
        name: keyed(getattr(voice, name), lambda f: f.at) for name in ("opinions", "resolutions", "reviews", "autoqa", "calls")
    }
    sla_facts = keyed(sla, lambda f: f.at)
    result = {}
    keys = {*closures, *firsts, *reopens, *waits, *invitations, *answers, *credits, *sla_facts}
    for key in keys | {k for facts in voice_facts.values() for k in facts}:
        part = History(
            closures=closures.get(key, []), first_responses=firsts.get(key, []), reopens=reopens.get(key, []),
            next_responses=waits.get(key, []),
        )
        values, counts = oracle.kpis(part, *EVERYTHING)
        spart = SurveyHistory(invitations=invitations.get(key, []), answers=answers.get(key, []), credits=credits.get(key, []))
        survey_values, survey_counts = survey_oracle.survey_kpis(spart, *EVERYTHING)
        vpart = VoiceHistory(**{name: facts.get(key, []) for name, facts in voice_facts.items()})
        voice_values, voice_counts = voice_oracle.voice_kpis(vpart, *EVERYTHING, counts["tickets_closed"])
        sla_values, sla_counts = sla_oracle.sla_kpis(sla_facts.get(key, []), *EVERYTHING)
        result[key] = (
            {**values, **sla_values, **survey_values, **voice_values}, {**counts, **sla_counts, **survey_counts, **voice_counts}
        )
    return result


def assert_value(got, want, metric: str, context: str = "") -> None:
    """Exact, except percentiles: within the sketch's 1 % relative error."""
    if want is None or metric not in oracle.PERCENTILES:
        assert got == want, f"{context} {metric}: got {got!r}, want {want!r}"
    else:
        assert got is not None and abs(got - want) <= 0.01 * want + 1e-9, f"{context} {metric}: got {got!r}, want {want!r}"
