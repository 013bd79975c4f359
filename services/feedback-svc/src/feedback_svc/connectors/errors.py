from __future__ import annotations

from csq_common.errors import NotFound


class VendorNotConfigured(NotFound):
    """The vendor's credentials are not set: the route does not exist for this deployment."""

    type = "https://csq.dev/problems/vendor-not-configured"
    title = "Vendor not configured"

    def __init__(self, source: str, setting: str) -> None:
        super().__init__(f"the {source} connector is not configured (set {setting})")
