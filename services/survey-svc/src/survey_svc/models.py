"""survey-svc's tables, imported here so migrations/env.py sees them all on Base.metadata."""

from csq_common.bus import models as bus_models  # noqa: F401
from survey_svc.surveys import models as survey_models  # noqa: F401
from survey_svc.campaigns import models as campaign_models  # noqa: F401
from survey_svc.responses import models as response_models  # noqa: F401
