"""What a timer adds to ``kpi_sla_aggregates`` (the ``sla`` read kind), kept exact by replacement.

A timer counts once it is measured: met, at ``stopped_at`` (one measured, one met); missed, at
``due_at`` (one measured); still running or paused past its ``due_at``: at ``due_at`` once the
notice worker has seen it past due (its clock decides; the consumer's does not), and then for as
long as it stays unmet with that due time.

Each timer row keeps what it adds now (``counted_at``, ``counted_met``, with the row's team, agent
and channel). Whoever rewrites a timer row (the consumer, a new policy or calendar, the notice
worker's breach pass) subtracts what the old row added and adds what the new one adds, in the
same transaction and under the row's lock, so the counters always equal the sum over the timers:
a late event that moves a due time, corrects a response time, reassigns the ticket or cancels the
timer (no policy covers it any more) moves or removes its count instead of leaving it behind.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kpi_svc.aggregates.dimensions import stored
from kpi_svc.sla.models import COUNTER_PREFIX, MET, MISSED, PAUSED, RUNNING, SLA_COUNTER_COLUMNS, SlaAggregate
from kpi_svc.voice.apply import Contribution, CounterBatch

Counted = tuple[datetime, bool] | None  # (bucket time, met), or not counted


def counted(
    state: str, due_at: datetime | None, stopped_at: datetime | None, *, now: datetime | None, before: Counted = None
) -> Counted:
    """What a timer in ``state`` adds, ``before`` being what it added until now. A running or paused
    timer past due counts only as of a ``now`` past it (the notice worker's), or if it already did."""
    if state == MET:
        return (stopped_at, True)
    if state == MISSED:
        return (due_at, False)
    if state in (RUNNING, PAUSED) and due_at is not None:
        if (now is not None and due_at <= now) or before == (due_at, False):
            return (due_at, False)
    return None


def counter_batch() -> CounterBatch:
    return CounterBatch(SlaAggregate, SLA_COUNTER_COLUMNS)


def add_counted(batch: CounterBatch, metric: str, dims: tuple[Any, Any, Any], value: Counted, sign: int = 1) -> None:
    """Add (``sign`` 1) or take back (-1) one timer's count of ``metric`` with its (team, agent,
    channel) as shown."""
    if value is None:
        return
    at, met = value
    prefix = COUNTER_PREFIX[metric]
    amounts = {("", f"{prefix}_measured"): 1, ("", f"{prefix}_met"): int(met)}
    team, agent, channel = dims
    batch.add(Contribution(at, stored(team), stored(agent), stored(channel), amounts), sign=sign)


def replace_counted(batch: CounterBatch, metric: str, old_dims, old: Counted, new_dims, new: Counted) -> None:
    """Move one timer's count from what its old row added to what its new row adds."""
    if (old_dims, old) == (new_dims, new):
        return
    add_counted(batch, metric, old_dims, old, sign=-1)
    add_counted(batch, metric, new_dims, new)
