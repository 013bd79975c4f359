"""Tables of the customer-voice, QA and call KPIs (see voice/apply.py for the apply rules).

One counter table per family, shaped like ``kpi_survey_aggregates``: integer counters per
(resolution, bucket, team, agent, channel) at the four resolutions and the five grouping sets
(aggregates.dimensions), added to with set-based upserts. ``kpi_autoqa_aggregates`` has one more
key, ``check_name``: ``""`` rows hold the scores, ``<check>`` rows the passed/checked counts of that
check. Scores are counted in millionths of a point and durations in microseconds, so sums are
exact integers.

Dedupe and replacement:
- ``kpi_counted_feedback`` / ``kpi_counted_calls``: what has been counted (a redelivery counts once);
  the feedback claim also keeps the item's channel, which ``feedback.resolved`` does not carry.
- ``kpi_voice_replaced``: the contribution currently counted for one replaceable fact (a QA
  review, an automatic QA score, a complaint's resolution, a corrected item's kind), with its
  version; a newer version subtracts it and adds its own, an older or equal one changes nothing.
  ``resolution_held`` rows keep the resolution of an item that is not a complaint now, uncounted
  (voice/reclass.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from csq_common.db import Base, UtcDateTime
from kpi_svc.aggregates.models import DIM

CHECK_MAX = 50  # csq_common.events.AUTOQA_CHECK_MAX
OVERALL = ""  # the ``check_name`` of the automatic QA score rows


def _agent_index(name: str, *columns: str) -> Index:
    return Index(
        name, "agent_id", *columns, "resolution", "bucket_start",
        postgresql_where=text("agent_id <> '*'"), sqlite_where=text("agent_id <> '*'"),
    )


class _Cells:
    resolution: Mapped[str] = mapped_column(String(8), primary_key=True)
    team_id: Mapped[str] = mapped_column(String(DIM), primary_key=True)
    agent_id: Mapped[str] = mapped_column(String(DIM), primary_key=True)
    channel: Mapped[str] = mapped_column(String(50), primary_key=True)
    bucket_start: Mapped[datetime] = mapped_column(UtcDateTime, primary_key=True)


class FeedbackAggregate(_Cells, Base):
    """Complaints and praise by ``received_at``; complaint resolutions by ``resolved_at``."""

    __tablename__ = "kpi_feedback_aggregates"
    __table_args__ = (_agent_index("ix_kpi_feedback_aggregates_agent"),)

    complaints: Mapped[int] = mapped_column(BigInteger, default=0)
    praise: Mapped[int] = mapped_column(BigInteger, default=0)
    complaints_resolved: Mapped[int] = mapped_column(BigInteger, default=0)
    complaint_resolution_sum_us: Mapped[int] = mapped_column(BigInteger, default=0)


FEEDBACK_COUNTER_COLUMNS = ("complaints", "praise", "complaints_resolved", "complaint_resolution_sum_us")


class QaAggregate(_Cells, Base):
    """QA reviews that count for the agent, by ``reviewed_at`` (the latest version of each)."""

    __tablename__ = "kpi_qa_aggregates"
    __table_args__ = (_agent_index("ix_kpi_qa_aggregates_agent"),)

    reviews: Mapped[int] = mapped_column(BigInteger, default=0)
    reviews_failed: Mapped[int] = mapped_column(BigInteger, default=0)
    reviews_scored: Mapped[int] = mapped_column(BigInteger, default=0)
    review_score_sum_micro: Mapped[int] = mapped_column(BigInteger, default=0)


QA_COUNTER_COLUMNS = ("reviews", "reviews_failed", "reviews_scored", "review_score_sum_micro")


class AutoQaAggregate(_Cells, Base):
    """Automatic QA by the ticket's ``closed_at`` (the latest ruleset version per ticket)."""

    __tablename__ = "kpi_autoqa_aggregates"
    __table_args__ = (_agent_index("ix_kpi_autoqa_aggregates_agent", "check_name"),)

    check_name: Mapped[str] = mapped_column(String(CHECK_MAX), primary_key=True)
    scored: Mapped[int] = mapped_column(BigInteger, default=0)
    score_sum_micro: Mapped[int] = mapped_column(BigInteger, default=0)
    checked: Mapped[int] = mapped_column(BigInteger, default=0)
    passed: Mapped[int] = mapped_column(BigInteger, default=0)


AUTOQA_COUNTER_COLUMNS = ("scored", "score_sum_micro", "checked", "passed")


class CallAggregate(_Cells, Base):
    """Inbound calls by ``offered_at`` (channel ``phone``)."""

    __tablename__ = "kpi_call_aggregates"
    __table_args__ = (_agent_index("ix_kpi_call_aggregates_agent"),)

    offered: Mapped[int] = mapped_column(BigInteger, default=0)
    answered: Mapped[int] = mapped_column(BigInteger, default=0)
    abandoned: Mapped[int] = mapped_column(BigInteger, default=0)
    answer_wait_sum_us: Mapped[int] = mapped_column(BigInteger, default=0)
    answered_in_level: Mapped[int] = mapped_column(BigInteger, default=0)


CALL_COUNTER_COLUMNS = ("offered", "answered", "abandoned", "answer_wait_sum_us", "answered_in_level")


class CountedFeedback(Base):
    """Complaints and praise already counted, with the channel they came in by."""

    __tablename__ = "kpi_counted_feedback"

    feedback_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(50))


class CountedCall(Base):
    __tablename__ = "kpi_counted_calls"

    call_id: Mapped[str] = mapped_column(String(200), primary_key=True)


class ReplacedFact(Base):
    """The contribution counted for one replaceable fact: ``family`` (review, autoqa, resolution,
    kind, resolution_held)
    and its id; ``version`` orders its versions; ``at_us`` is its bucket time in microseconds since
    the epoch; ``amounts`` the counters it added, ``check:column=amount`` separated by ``,``
    (``check`` empty but for automatic QA's check rows)."""

    __tablename__ = "kpi_voice_replaced"

    family: Mapped[str] = mapped_column(String(16), primary_key=True)
    fact_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)
    at_us: Mapped[int] = mapped_column(BigInteger)
    team_id: Mapped[str] = mapped_column(String(DIM))
    agent_id: Mapped[str] = mapped_column(String(DIM))
    channel: Mapped[str] = mapped_column(String(50))
    amounts: Mapped[str] = mapped_column(Text)
