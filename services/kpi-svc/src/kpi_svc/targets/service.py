"""What the target routes call: targets created, changed and deleted by an admin (each with its
state row), and their status as the evaluator last left it."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.errors import InvalidInput, NotFound
from csq_common.pagination import decode_time_cursor, encode_time_cursor, newest_first
from kpi_svc.read import service as read_service
from kpi_svc.read import zones
from kpi_svc.targets.models import PENDING, KpiTarget, KpiTargetState
from kpi_svc.targets.schemas import TargetCreate, TargetPatch, TargetRead, TargetStatus


class TargetNotFound(NotFound):
    def __init__(self, target_id: str) -> None:
        super().__init__(f"no KPI target {target_id!r}")


def check_metric(metric: str) -> str:
    """Any metric the series and breakdown offer (read.service.METRICS, read when called, so
    metrics added there are accepted without a change here)."""
    return read_service.check_metric(metric)


def check_zone(name: str) -> str:
    """``name`` if it is an IANA zone (else 422 naming ``tz``)."""
    zones.zone(name)
    return name


async def create_target(session: AsyncSession, body: TargetCreate, *, now: datetime) -> KpiTarget:
    target = KpiTarget(
        id=str(uuid.uuid4()), name=body.name, metric=check_metric(body.metric), team_id=body.team_id, agent_id=body.agent_id,
        channel=body.channel, threshold=body.threshold, direction=body.direction, window=body.window, tz=check_zone(body.tz),
        min_sample=body.min_sample, recovery_margin=body.recovery_margin, breach_after=body.breach_after,
        recover_after=body.recover_after, created_at=now, updated_at=now,
    )
    session.add(target)
    session.add(KpiTargetState(target_id=target.id, state=PENDING, since=now, alerted=False, streak=0, version=0))
    await session.flush()
    return target


async def get_target(session: AsyncSession, target_id: str) -> KpiTarget:
    target = await session.get(KpiTarget, target_id)
    if target is None:
        raise TargetNotFound(target_id)
    return target


async def update_target(session: AsyncSession, target_id: str, body: TargetPatch, *, now: datetime) -> KpiTarget:
    """Change the fields given. The state carries over (a breached target still needs a recovery
    to be published); the count of consecutive evaluations starts again and the version moves on,
    so an evaluation of the old definition in flight is not written."""
    target = await get_target(session, target_id)
    changes = body.model_dump(exclude_unset=True)
    for name in ("name", "metric", "threshold", "direction", "window", "tz", "min_sample", "recovery_margin", "breach_after", "recover_after"):
        if name in changes and changes[name] is None:
            raise InvalidInput(name, "may not be null")
    if "metric" in changes:
        check_metric(changes["metric"])
    if "tz" in changes:
        check_zone(changes["tz"])
    for name, value in changes.items():
        setattr(target, name, value)
    target.updated_at = now
    await session.execute(
        update(KpiTargetState).where(KpiTargetState.target_id == target_id).values(streak=0, version=KpiTargetState.version + 1)
    )
    await session.flush()
    return target


async def delete_target(session: AsyncSession, target_id: str) -> None:
    await get_target(session, target_id)
    await session.execute(delete(KpiTargetState).where(KpiTargetState.target_id == target_id))
    await session.execute(delete(KpiTarget).where(KpiTarget.id == target_id))


async def list_targets(session: AsyncSession, *, limit: int, cursor: str | None) -> tuple[list[KpiTarget], str | None]:
    return await newest_first(session, select(KpiTarget), KpiTarget, limit=limit, cursor=cursor)


def status_of(target: KpiTarget, state: KpiTargetState) -> TargetStatus:
    return TargetStatus(
        target=TargetRead.model_validate(target), state=state.state, since=state.since, alerted=state.alerted, value=state.value,
        count=state.count, window_start=state.window_start, window_end=state.window_end, last_evaluated_at=state.evaluated_at,
    )


async def statuses(
    session: AsyncSession, *, state: str | None, limit: int, cursor: str | None
) -> tuple[list[TargetStatus], str | None]:
    """Each target with its state, the oldest target first."""
    statement = select(KpiTarget, KpiTargetState).join(KpiTargetState, KpiTargetState.target_id == KpiTarget.id)
    if state:
        statement = statement.where(KpiTargetState.state == state)
    if cursor:
        created_at, target_id = decode_time_cursor(cursor)
        statement = statement.where(
            (KpiTarget.created_at > created_at) | ((KpiTarget.created_at == created_at) & (KpiTarget.id > target_id))
        )
    rows = list((await session.execute(statement.order_by(KpiTarget.created_at, KpiTarget.id).limit(limit + 1))).all())
    page = rows[:limit]
    next_cursor = encode_time_cursor(page[-1][0].created_at, page[-1][0].id) if len(rows) > limit else None
    return [status_of(target, row_state) for target, row_state in page], next_cursor
