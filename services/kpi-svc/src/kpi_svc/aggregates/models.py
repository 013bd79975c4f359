"""Tables of the KPI aggregates (tickets; surveys at the end of the file).

- ``kpi_ticket_aggregates``: sums and counts per (resolution, bucket, team, agent, channel), and
  the row's two quantile sketches (FRT and resolution times) as compact blobs of logarithmic bin
  counts (see sketch.py: sorted (int32 key, int64 count) pairs; ``b""`` when empty). Durations are
  integer milliseconds so sums are exact; averages are computed at read time; sketches are merged
  at read time by adding bin counts. Dimension value ``*`` is the wildcard of a precomputed
  grouping set; which sets each resolution stores: dimensions.TICKET_SETS.
- ``kpi_ticket_deltas``: what the consumer has counted and the roll-up has not yet folded into
  the aggregates: one row per batch and finest cell (15-minute bucket × team × agent × channel),
  same counters and sketch blobs. Reads add the pending deltas of their window to the tiles, so a
  KPI is current the moment its batch commits (see rollup.py).
- ``kpi_ticket_quarters``: the 15-minute level of days that are over. A cell is a ``q15`` row of
  ``kpi_ticket_aggregates`` while its UTC day is recent; once the day has ended, the packer
  (pack.py) moves the day's cells of each (team, agent, channel) row of a grouping set into one
  ``quarters`` blob (quarters.py), so that a sparse cell does not cost a row. Reads take both. A
  table of its own, so that the blobs do not widen the aggregate rows every read scans.
- ``kpi_counted_*``: what has already been counted, so that the same closure, first response or
  reopen delivered again (even under a new event id) counts once.

The primary keys lead with the dimensions, so reading one grouping set over a window is a range
scan on ``bucket_start`` under an exact key prefix. A partial ``agent_id`` index over the rows with
an agent serves agent filters; a partial ``bucket_start`` index over the 15-minute rows (which
are full rows only) serves the reads that sum them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column

from csq_common.bus.models import BigId
from csq_common.db import Base, UtcDateTime

DIM = 200  # same bound as TicketSnapshot's team_id / agent_id


class TicketAggregate(Base):
    __tablename__ = "kpi_ticket_aggregates"
    __table_args__ = (
        Index(
            "ix_kpi_ticket_aggregates_agent",
            "agent_id",
            "resolution",
            "bucket_start",
            postgresql_where=text("agent_id <> '*'"),
            sqlite_where=text("agent_id <> '*'"),
        ),
        # the 15-minute rows (full dimensions only) by time, for reads of any filter
        Index(
            "ix_kpi_ticket_aggregates_q15",
            "bucket_start",
            postgresql_where=text("resolution = 'q15'"),
            sqlite_where=text("resolution = 'q15'"),
        ),
        # the (team, agent) rows of days and months, for a per-agent breakdown: without it a read
        # of them walks the primary key over every full row of the window's days as well
        Index(
            "ix_kpi_ticket_aggregates_team_agent",
            "resolution",
            "bucket_start",
            postgresql_where=text("channel = '*' AND agent_id <> '*'"),
            sqlite_where=text("channel = '*' AND agent_id <> '*'"),
        ),
    )

    resolution: Mapped[str] = mapped_column(String(8), primary_key=True)
    team_id: Mapped[str] = mapped_column(String(DIM), primary_key=True)
    agent_id: Mapped[str] = mapped_column(String(DIM), primary_key=True)
    channel: Mapped[str] = mapped_column(String(50), primary_key=True)
    bucket_start: Mapped[datetime] = mapped_column(UtcDateTime, primary_key=True)
    closures: Mapped[int] = mapped_column(BigInteger, default=0)
    resolution_count: Mapped[int] = mapped_column(BigInteger, default=0)
    resolution_sum_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    aht_count: Mapped[int] = mapped_column(BigInteger, default=0)
    aht_sum_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    fcr_count: Mapped[int] = mapped_column(BigInteger, default=0)
    reopens: Mapped[int] = mapped_column(BigInteger, default=0)
    frt_count: Mapped[int] = mapped_column(BigInteger, default=0)
    frt_sum_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    frt_bh_count: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    frt_bh_sum_ms: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    resolution_bh_count: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    resolution_bh_sum_ms: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    next_response_count: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    next_response_sum_ms: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    repeat_contacts: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    frt_sketch: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    resolution_sketch: Mapped[bytes] = mapped_column(LargeBinary, default=b"")


COUNTER_COLUMNS = (
    "closures",
    "resolution_count",
    "resolution_sum_ms",
    "aht_count",
    "aht_sum_ms",
    "fcr_count",
    "reopens",
    "frt_count",
    "frt_sum_ms",
    # business-hours variants, next response and repeat contacts (see conversations/)
    "frt_bh_count",
    "frt_bh_sum_ms",
    "resolution_bh_count",
    "resolution_bh_sum_ms",
    "next_response_count",
    "next_response_sum_ms",
    "repeat_contacts",
)
SKETCH_COLUMNS = ("frt_sketch", "resolution_sketch")  # the metrics FRT and RESOLUTION, in that order


class TicketDelta(Base):
    __tablename__ = "kpi_ticket_deltas"
    __table_args__ = (Index("ix_kpi_ticket_deltas_bucket_start", "bucket_start"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    bucket_start: Mapped[datetime] = mapped_column(UtcDateTime)  # a 15-minute bucket
    team_id: Mapped[str] = mapped_column(String(DIM))
    agent_id: Mapped[str] = mapped_column(String(DIM))
    channel: Mapped[str] = mapped_column(String(50))
    closures: Mapped[int] = mapped_column(BigInteger)
    resolution_count: Mapped[int] = mapped_column(BigInteger)
    resolution_sum_ms: Mapped[int] = mapped_column(BigInteger)
    aht_count: Mapped[int] = mapped_column(BigInteger)
    aht_sum_ms: Mapped[int] = mapped_column(BigInteger)
    fcr_count: Mapped[int] = mapped_column(BigInteger)
    reopens: Mapped[int] = mapped_column(BigInteger)
    frt_count: Mapped[int] = mapped_column(BigInteger)
    frt_sum_ms: Mapped[int] = mapped_column(BigInteger)
    frt_bh_count: Mapped[int] = mapped_column(BigInteger, server_default="0")
    frt_bh_sum_ms: Mapped[int] = mapped_column(BigInteger, server_default="0")
    resolution_bh_count: Mapped[int] = mapped_column(BigInteger, server_default="0")
    resolution_bh_sum_ms: Mapped[int] = mapped_column(BigInteger, server_default="0")
    next_response_count: Mapped[int] = mapped_column(BigInteger, server_default="0")
    next_response_sum_ms: Mapped[int] = mapped_column(BigInteger, server_default="0")
    repeat_contacts: Mapped[int] = mapped_column(BigInteger, server_default="0")
    frt_sketch: Mapped[bytes] = mapped_column(LargeBinary)
    resolution_sketch: Mapped[bytes] = mapped_column(LargeBinary)


class TicketQuarters(Base):
    """One UTC day's packed 15-minute cells of one row of a grouping set (see quarters.py)."""

    __tablename__ = "kpi_ticket_quarters"

    bucket_start: Mapped[datetime] = mapped_column(UtcDateTime, primary_key=True)  # the day
    team_id: Mapped[str] = mapped_column(String(DIM), primary_key=True)
    agent_id: Mapped[str] = mapped_column(String(DIM), primary_key=True)
    channel: Mapped[str] = mapped_column(String(50), primary_key=True)
    quarters: Mapped[bytes] = mapped_column(LargeBinary)


class CountedClosure(Base):
    __tablename__ = "kpi_counted_closures"

    ticket_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    closed_at: Mapped[datetime] = mapped_column(UtcDateTime, primary_key=True)


class CountedFirstResponse(Base):
    __tablename__ = "kpi_counted_first_responses"

    ticket_id: Mapped[str] = mapped_column(String(200), primary_key=True)


class CountedReopen(Base):
    __tablename__ = "kpi_counted_reopens"

    ticket_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime, primary_key=True)


# ---- survey KPIs (see surveys.py) ---------------------------------------------------------------

ALL_DIMENSIONS = ""  # the ``dimension`` of rows that count every answer, and the response rate


class SurveyAggregate(Base):
    """Survey counters per (resolution, bucket, team, agent, channel, question dimension).

    ``dimension = ""`` rows hold every answer plus ``invited``/``answered`` (the response rate is
    not dimension-specific); ``dimension = <slug>`` rows hold only the answer counters of questions
    tagged with that slug (their ``invited``/``answered`` stay 0). Answers are bucketed by
    ``answered_at``, ``invited`` and ``answered`` by the invitation's ``invited_at``.
    """

    __tablename__ = "kpi_survey_aggregates"
    __table_args__ = (
        Index(
            "ix_kpi_survey_aggregates_agent",
            "agent_id",
            "dimension",
            "resolution",
            "bucket_start",
            postgresql_where=text("agent_id <> '*'"),
            sqlite_where=text("agent_id <> '*'"),
        ),
    )

    resolution: Mapped[str] = mapped_column(String(8), primary_key=True)
    team_id: Mapped[str] = mapped_column(String(DIM), primary_key=True)
    agent_id: Mapped[str] = mapped_column(String(DIM), primary_key=True)
    channel: Mapped[str] = mapped_column(String(50), primary_key=True)
    dimension: Mapped[str] = mapped_column(String(50), primary_key=True)
    bucket_start: Mapped[datetime] = mapped_column(UtcDateTime, primary_key=True)
    invited: Mapped[int] = mapped_column(BigInteger, default=0)
    answered: Mapped[int] = mapped_column(BigInteger, default=0)
    csat_answers: Mapped[int] = mapped_column(BigInteger, default=0)
    csat_satisfied: Mapped[int] = mapped_column(BigInteger, default=0)
    nps_answers: Mapped[int] = mapped_column(BigInteger, default=0)
    nps_promoters: Mapped[int] = mapped_column(BigInteger, default=0)
    nps_detractors: Mapped[int] = mapped_column(BigInteger, default=0)
    ces_answers: Mapped[int] = mapped_column(BigInteger, default=0)
    ces_sum: Mapped[int] = mapped_column(BigInteger, default=0)


SURVEY_COUNTER_COLUMNS = (
    "invited",
    "answered",
    "csat_answers",
    "csat_satisfied",
    "nps_answers",
    "nps_promoters",
    "nps_detractors",
    "ces_answers",
    "ces_sum",
)


class CountedInvitation(Base):
    """Invitations already counted as invited (a reminder or a re-published ``survey.invited`` is not)."""

    __tablename__ = "kpi_counted_invitations"

    invitation_id: Mapped[str] = mapped_column(String(200), primary_key=True)


class CountedResponse(Base):
    """Responses already counted (their answers and their credit towards the response rate)."""

    __tablename__ = "kpi_counted_responses"

    response_id: Mapped[str] = mapped_column(String(200), primary_key=True)


class CountedAnsweredInvitation(Base):
    """Invitations already counted as answered: a second response to one invitation adds its
    answers but never a second ``answered``, so the response rate cannot pass 100 %."""

    __tablename__ = "kpi_counted_answered_invitations"

    invitation_id: Mapped[str] = mapped_column(String(200), primary_key=True)
