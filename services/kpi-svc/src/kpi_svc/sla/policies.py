"""SLA policies: created, replaced and deleted by an admin, matched to tickets first by creation."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.errors import NotFound
from csq_common.pagination import newest_first
from kpi_svc.sla.models import SlaPolicy
from kpi_svc.sla.schemas import PolicyCreate


class PolicyNotFound(NotFound):
    def __init__(self, policy_id: str) -> None:
        super().__init__(f"no SLA policy {policy_id!r}")


def matches(policy: SlaPolicy, priority: str | None, tags: Sequence[str]) -> bool:
    """An empty list matches any ticket; otherwise the ticket's priority must be listed and at least
    one of its tags must be among the policy's."""
    if policy.priorities and priority not in policy.priorities:
        return False
    return not policy.tags or any(tag in policy.tags for tag in tags)


def first_match(policies: Sequence[SlaPolicy], priority: str | None, tags: Sequence[str]) -> SlaPolicy | None:
    """The first of ``policies`` (in creation order) that covers the ticket."""
    return next((policy for policy in policies if matches(policy, priority, tags)), None)


async def policies_in_order(session: AsyncSession) -> list[SlaPolicy]:
    return list((await session.execute(select(SlaPolicy).order_by(SlaPolicy.created_at, SlaPolicy.id))).scalars())


def _set_rules(policy: SlaPolicy, body: PolicyCreate, *, revision: int, updated_at: datetime | None) -> None:
    policy.name, policy.priorities, policy.tags = body.name, list(dict.fromkeys(body.priorities)), list(dict.fromkeys(body.tags))
    policy.first_response_seconds, policy.next_response_seconds = body.first_response_seconds, body.next_response_seconds
    policy.resolution_seconds, policy.business_hours = body.resolution_seconds, body.business_hours
    policy.paused_statuses = list(dict.fromkeys(body.paused_statuses))
    policy.revision, policy.updated_at = revision, updated_at


async def create_policy(session: AsyncSession, body: PolicyCreate, *, now: datetime) -> SlaPolicy:
    policy = SlaPolicy(id=str(uuid.uuid4()), created_at=now)
    _set_rules(policy, body, revision=1, updated_at=None)
    session.add(policy)
    await session.flush()
    return policy


async def get_policy(session: AsyncSession, policy_id: str, *, for_update: bool = False) -> SlaPolicy:
    """The policy; with ``for_update``, its row locked until the transaction ends (two changes of
    one policy take turns, each counting its own revision)."""
    policy = await session.get(SlaPolicy, policy_id, with_for_update=for_update)
    if policy is None:
        raise PolicyNotFound(policy_id)
    return policy


async def replace_policy(session: AsyncSession, policy_id: str, body: PolicyCreate, *, now: datetime) -> SlaPolicy:
    """The policy with every rule of ``body`` and its next revision; it keeps its id and its place
    in the order (creation)."""
    policy = await get_policy(session, policy_id, for_update=True)
    _set_rules(policy, body, revision=policy.revision + 1, updated_at=now)
    await session.flush()
    return policy


async def delete_policy(session: AsyncSession, policy_id: str) -> None:
    await session.delete(await get_policy(session, policy_id, for_update=True))
    await session.flush()


async def list_policies(session: AsyncSession, *, limit: int, cursor: str | None) -> tuple[list[SlaPolicy], str | None]:
    return await newest_first(session, select(SlaPolicy), SlaPolicy, limit=limit, cursor=cursor)
