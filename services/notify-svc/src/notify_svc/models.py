"""notify-svc's tables. Only the bus tables so far; policies and deliveries come with their issue."""

from csq_common.bus import models as bus_models  # noqa: F401
