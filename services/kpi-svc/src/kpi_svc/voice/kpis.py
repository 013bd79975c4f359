"""The customer-voice, QA and call KPIs from summed counters, and the read kinds that hold them.

Each family is a kind of read.grouped (like ``tickets`` and ``surveys``): a counter table, its
counter columns and, for automatic QA, the ``check`` rows it reads. ``compliance_pct.<check>``
metrics are the kind ``compliance_pct.<check>`` (the check's rows of the automatic QA table); a
check name is a lowercase slug of at most 50 characters (the event contract refuses others), so
such a metric name is validated by its pattern rather than listed. ``complaint_per_100_closed``
reads two kinds, feedback and tickets, and divides complaints by ticket closures of the same
window and group.

- ``complaints`` = complaints received; ``praise_pct`` = 100 × praise / (praise + complaints)
- ``complaint_per_100_closed`` = 100 × complaints / ticket closures
- ``complaint_resolution_avg_seconds`` = mean resolved_at − received_at of complaints
- ``qa_score_avg`` = mean score of reviews counting for the agent that have one
- ``qa_fail_pct`` = 100 × reviews failed on a critical item / reviews counting for the agent
  (a review scored all N/A has no score but is a review: it is in this denominator)
- ``autoqa_score_avg`` = mean automatic QA score; ``compliance_pct.<check>`` = 100 × passed / checked
- ``calls_offered``; ``call_answer_pct`` / ``call_abandon_pct`` = 100 × answered / abandoned ÷ offered;
  ``asa_seconds`` = mean answered_at − offered_at of answered calls;
  ``call_service_level_pct`` = 100 × answered within the threshold / offered
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from csq_common.errors import InvalidInput
from csq_common.events import AUTOQA_CHECK_MAX, AUTOQA_CHECK_PATTERN
from kpi_svc.voice.models import (
    AUTOQA_COUNTER_COLUMNS,
    CALL_COUNTER_COLUMNS,
    FEEDBACK_COUNTER_COLUMNS,
    QA_COUNTER_COLUMNS,
    AutoQaAggregate,
    CallAggregate,
    FeedbackAggregate,
    QaAggregate,
)

FEEDBACK, QA, AUTOQA, CALLS = "feedback", "qa", "autoqa", "calls"
COMPLIANCE_PREFIX = "compliance_pct."
CHECK_SLUG = re.compile(AUTOQA_CHECK_PATTERN)
CROSS_METRIC = "complaint_per_100_closed"

FEEDBACK_METRICS = ("complaints", "praise_pct", "complaint_resolution_avg_seconds")
QA_METRICS = ("qa_score_avg", "qa_fail_pct")
AUTOQA_METRICS = ("autoqa_score_avg",)
CALL_METRICS = ("calls_offered", "call_answer_pct", "call_abandon_pct", "asa_seconds", "call_service_level_pct")
#: Every fixed-name metric of this module, in the order summaries and breakdowns list them
#: (``compliance_pct.<check>`` come after, one per check).
VOICE_METRICS = (*FEEDBACK_METRICS[:1], CROSS_METRIC, *FEEDBACK_METRICS[1:], *QA_METRICS, *AUTOQA_METRICS, *CALL_METRICS)
LOWER_IS_BETTER = frozenset(
    {"complaints", CROSS_METRIC, "complaint_resolution_avg_seconds", "qa_fail_pct", "call_abandon_pct", "asa_seconds"}
)


@dataclass(frozen=True)
class CounterKind:
    """A counter table read as a kind: its columns, and the ``check`` it reads (None: no such key)."""

    table: object
    columns: tuple[str, ...]
    checked: bool = False


KINDS = {
    FEEDBACK: CounterKind(FeedbackAggregate.__table__, FEEDBACK_COUNTER_COLUMNS),
    QA: CounterKind(QaAggregate.__table__, QA_COUNTER_COLUMNS),
    AUTOQA: CounterKind(AutoQaAggregate.__table__, AUTOQA_COUNTER_COLUMNS, checked=True),
    CALLS: CounterKind(CallAggregate.__table__, CALL_COUNTER_COLUMNS),
}
_KIND_OF = {
    **{m: FEEDBACK for m in FEEDBACK_METRICS}, **{m: QA for m in QA_METRICS},
    **{m: AUTOQA for m in AUTOQA_METRICS}, **{m: CALLS for m in CALL_METRICS},
}


def is_check(value: str) -> bool:
    return len(value) <= AUTOQA_CHECK_MAX and CHECK_SLUG.fullmatch(value) is not None


def compliance_check(metric: str) -> str | None:
    """The check of a well-formed ``compliance_pct.<check>`` metric name, else None."""
    if metric.startswith(COMPLIANCE_PREFIX):
        check = metric[len(COMPLIANCE_PREFIX):]
        if is_check(check):
            return check
    return None


def is_voice_metric(metric: str) -> bool:
    return metric in _KIND_OF or metric == CROSS_METRIC or compliance_check(metric) is not None


def kind_of(metric: str) -> str:
    """The kind holding ``metric`` (a voice metric other than the cross one): a family, or for
    ``compliance_pct.<check>`` the metric name itself (the automatic QA rows of that check)."""
    if compliance_check(metric) is not None:
        return metric
    return _KIND_OF[metric]


def split_kind(kind: str) -> tuple[CounterKind, str]:
    """``(counter kind, check read)`` of a kind name; the check is ``""`` (the score rows) for
    ``autoqa`` and the check's name for ``compliance_pct.<check>``."""
    check = compliance_check(kind)
    if check is not None:
        return KINDS[AUTOQA], check
    return KINDS[kind], ""


def check_metric_name(metric: str, field_name: str) -> None:
    if metric.startswith(COMPLIANCE_PREFIX) and compliance_check(metric) is None:
        raise InvalidInput(
            field_name, "compliance_pct.<check> takes a check name: a-z first, then a-z, 0-9, _ or -; at most 50 characters"
        )


def _ratio(numerator: int, denominator: int, scale: int = 1) -> float | None:
    """``scale × numerator / denominator`` rounded once to a float; None without observations."""
    return None if denominator == 0 else float(Fraction(numerator * scale, denominator))


def values_of(kind: str, sums: list[int] | None) -> tuple[dict, dict]:
    """``(values, counts)`` of every metric of ``kind`` from its summed counters (None: no data)."""
    counter_kind, check = split_kind(kind)
    c = dict(zip(counter_kind.columns, sums or [0] * len(counter_kind.columns)))
    if kind == FEEDBACK:
        opinions = c["praise"] + c["complaints"]
        return (
            {
                "complaints": c["complaints"],
                "praise_pct": _ratio(c["praise"], opinions, 100),
                "complaint_resolution_avg_seconds": _ratio(c["complaint_resolution_sum_us"], c["complaints_resolved"] * 1_000_000),
            },
            {"complaints": c["complaints"], "praise_pct": opinions, "complaint_resolution_avg_seconds": c["complaints_resolved"]},
        )
    if kind == QA:
        return (
            {
                "qa_score_avg": _ratio(c["review_score_sum_micro"], c["reviews_scored"] * 1_000_000),
                "qa_fail_pct": _ratio(c["reviews_failed"], c["reviews"], 100),
            },
            {"qa_score_avg": c["reviews_scored"], "qa_fail_pct": c["reviews"]},
        )
    if kind == AUTOQA:
        return (
            {"autoqa_score_avg": _ratio(c["score_sum_micro"], c["scored"] * 1_000_000)},
            {"autoqa_score_avg": c["scored"]},
        )
    if kind == CALLS:
        offered = c["offered"]
        return (
            {
                "calls_offered": offered,
                "call_answer_pct": _ratio(c["answered"], offered, 100),
                "call_abandon_pct": _ratio(c["abandoned"], offered, 100),
                "asa_seconds": _ratio(c["answer_wait_sum_us"], c["answered"] * 1_000_000),
                "call_service_level_pct": _ratio(c["answered_in_level"], offered, 100),
            },
            {
                "calls_offered": offered,
                "call_answer_pct": offered,
                "call_abandon_pct": offered,
                "asa_seconds": c["answered"],
                "call_service_level_pct": offered,
            },
        )
    return {kind: _ratio(c["passed"], c["checked"], 100)}, {kind: c["checked"]}


def cross_values(values: dict, counts: dict) -> tuple[dict, dict]:
    """``complaint_per_100_closed`` from the complaints and ticket closures already computed."""
    closures = counts["tickets_closed"]
    return {CROSS_METRIC: _ratio(counts["complaints"], closures, 100)}, {CROSS_METRIC: closures}


def summary_values(rows: dict[str, list], ticket_counts: dict) -> tuple[dict, dict]:
    """The summary's voice KPIs from each family's rows (``{kind: rows}``; automatic QA rows lead
    with their check name) and the ticket counts (for the complaints per 100 closures)."""
    values, counts = {}, {}
    checks: dict[str, list[int]] = {}
    for kind, kind_rows in rows.items():
        counter_kind = KINDS[kind]
        width = len(counter_kind.columns)
        if counter_kind.checked:
            for row in kind_rows:
                sums = checks.setdefault(row[0], [0] * width)
                for index in range(width):
                    sums[index] += row[1 + index]
            kind_values, kind_counts = values_of(kind, checks.get("", None))
        else:
            sums = [0] * width
            for row in kind_rows:
                for index in range(width):
                    sums[index] += row[index]
            kind_values, kind_counts = values_of(kind, sums)
        values.update(kind_values)
        counts.update(kind_counts)
    cross, cross_counts = cross_values(values, {**ticket_counts, **counts})
    values.update(cross)
    counts.update(cross_counts)
    checked = KINDS[AUTOQA].columns.index("checked")
    for check in sorted(name for name in checks if name and checks[name][checked]):
        check_values, check_counts = values_of(COMPLIANCE_PREFIX + check, checks[check])
        values.update(check_values)
        counts.update(check_counts)
    return {m: values[m] for m in (*VOICE_METRICS, *sorted(set(values) - set(VOICE_METRICS)))}, counts
