"""Conditional scorecards: which published scorecard applies to a ticket's channel, team and tags."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from audit_svc.scorecards.errors import NoApplicableScorecard
from audit_svc.scorecards.models import Scorecard, ScorecardVersion
from audit_svc.scorecards.service import CONVERSATION


def specificity(selection: dict, *, channel: str | None, team_id: str | None, tags: list[str]) -> int | None:
    """How many criteria of ``selection`` the ticket meets (None if it fails one). An empty
    criterion matches anything and counts nothing; tags match when any tag is listed."""
    matched = 0
    for listed, matches in (
        (selection.get("channels") or [], lambda listed: channel in listed),
        (selection.get("team_ids") or [], lambda listed: team_id in listed),
        (selection.get("tags") or [], lambda listed: any(tag in listed for tag in tags)),
    ):
        if listed:
            if not matches(listed):
                return None
            matched += 1
    return matched


async def applicable_scorecard(session: AsyncSession, *, channel: str | None, team_id: str | None, tags: list[str]) -> ScorecardVersion:
    """The published version of the active scorecard whose selection rule matches and is the most
    specific: most criteria set (channel, team, tags) wins; among equals the team criterion
    outranks tags, tags outrank channel; then the most recently published wins, so a newer
    scorecard for the same scope takes over. A scorecard with an empty rule is the fallback."""
    statement = (
        select(Scorecard, ScorecardVersion)
        .join(ScorecardVersion, (ScorecardVersion.scorecard_id == Scorecard.id) & (ScorecardVersion.version == Scorecard.published_version))
        .where(Scorecard.retired.is_(False), Scorecard.published_version.is_not(None))
    )
    best: tuple | None = None
    for card, version in (await session.execute(statement)).all():
        if version.definition.get("use", CONVERSATION) != CONVERSATION:
            continue
        selection = version.definition.get("selection") or {}
        matched = specificity(selection, channel=channel, team_id=team_id, tags=tags)
        if matched is None:
            continue
        rank = (matched, bool(selection.get("team_ids")), bool(selection.get("tags")), card.published_at, card.id)
        if best is None or rank > best[0]:
            best = (rank, version)
    if best is None:
        raise NoApplicableScorecard()
    return best[1]
