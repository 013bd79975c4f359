"""feedback-svc's tables, imported here so migrations/env.py sees them all on Base.metadata."""

from csq_common.bus import models as bus_models  # noqa: F401
from feedback_svc.connectors import models as connector_models  # noqa: F401
from feedback_svc.rejections import models as rejection_models  # noqa: F401
from feedback_svc.calls import models as call_models  # noqa: F401
from feedback_svc.messages import models as message_models  # noqa: F401
from feedback_svc.classification import models as classification_models  # noqa: F401
from feedback_svc.feedback import models as feedback_models  # noqa: F401
from feedback_svc.suggestions import models as suggestion_models  # noqa: F401
from feedback_svc.tickets import models as ticket_models  # noqa: F401
from feedback_svc.webhooks import models as webhook_models  # noqa: F401
