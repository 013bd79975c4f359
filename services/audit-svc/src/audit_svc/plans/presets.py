"""The sampling presets of the service standard: how often and how much a plan samples."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Preset:
    frequency: str
    rate: Decimal
    #: The most agents the plan's scope may hold (None: any number).
    max_agents: int | None = None


PRESETS: dict[str, Preset] = {
    "standard_weekly": Preset(frequency="weekly", rate=Decimal("0.10")),
    "small_team_monthly": Preset(frequency="monthly", rate=Decimal("0.30"), max_agents=20),
    "large_team_weekly": Preset(frequency="weekly", rate=Decimal("0.15")),
}
