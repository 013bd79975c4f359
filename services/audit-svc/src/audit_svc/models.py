"""audit-svc's tables. Only the bus tables so far; scorecards, audit plans, samples, reviews and
findings come with their issues."""

from csq_common.bus import models as bus_models  # noqa: F401
