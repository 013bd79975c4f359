"""kpi-svc's tables, imported here so Alembic's env.py sees them all on Base.metadata."""

from csq_common.bus import models as bus_models  # noqa: F401
from kpi_svc.aggregates import models as aggregate_models  # noqa: F401
from kpi_svc.calendars import models as calendar_models  # noqa: F401
from kpi_svc.people import models as people_models  # noqa: F401
from kpi_svc.conversations import models as conversation_models  # noqa: F401
from kpi_svc.sla import models as sla_models  # noqa: F401
from kpi_svc.targets import models as target_models  # noqa: F401
from kpi_svc.voice import models as voice_models  # noqa: F401
