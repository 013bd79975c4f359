"""audit-svc's tables, imported here so migrations/env.py sees them all on Base.metadata."""

from csq_common.bus import models as bus_models  # noqa: F401
from audit_svc.scorecards import models as scorecard_models  # noqa: F401
from audit_svc.reviews import models as review_models  # noqa: F401
from audit_svc.calibration import models as calibration_models  # noqa: F401
from audit_svc.disputes import models as dispute_models  # noqa: F401
from audit_svc.tickets import models as ticket_models  # noqa: F401
from audit_svc.plans import models as plan_models  # noqa: F401
from audit_svc.sampling import models as sampling_models  # noqa: F401
from audit_svc.findings import models as finding_models  # noqa: F401
from audit_svc.grades import models as grade_models  # noqa: F401
