"""``GET /v1/audits/report``: the audit programme's figures over a window, filtered by plan,
method, team, agent, scorecard or category, with a weekly or monthly series in a time zone."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.db import could_be_key, utcnow
from csq_common.errors import InvalidInput
from audit_svc.plans.models import AuditPlan
from audit_svc.reports.actions import action_figures
from audit_svc.reports.coverage import coverage, plan_view
from audit_svc.reports.filters import ReportFilters
from audit_svc.reports.review_figures import review_sections
from audit_svc.reports.window import Window, buckets, zone


async def audit_report(
    session: AsyncSession, window: Window, filters: ReportFilters, *, interval: str, tz_name: str, now=None
) -> dict[str, Any]:
    tz = zone(tz_name)
    plan = None
    if filters.plan_id is not None:
        plan = await session.get(AuditPlan, filters.plan_id) if could_be_key(filters.plan_id, 36) else None
        if plan is None:
            raise InvalidInput("plan_id", f"{filters.plan_id!r} is not an audit plan")
    series_buckets = buckets(window, tz, interval)
    reviews = await review_sections(session, window, filters, series_buckets, tz)
    return {
        "from": window.start, "to": window.end, "interval": interval, "tz": tz.key, "filters": filters.as_dict(),
        "plan": plan_view(plan),
        **reviews,
        "coverage": await coverage(session, window, filters, plan),
        "actions": await action_figures(session, filters, now=now or utcnow()),
    }
