from csq_common.bus.migration import run_env
from csq_common.db import Base

import feedback_svc.models  # noqa: F401  (registers the service's tables on Base.metadata)

run_env(Base.metadata)
