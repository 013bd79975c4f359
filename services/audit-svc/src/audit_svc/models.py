"""audit-svc's tables, imported here so migrations/env.py sees them all on Base.metadata."""

from csq_common.bus import models as bus_models  # noqa: F401
from audit_svc.scorecards import models as scorecard_models  # noqa: F401
