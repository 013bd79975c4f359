from __future__ import annotations

from csq_common.errors import NotFound


class DeliveryNotFound(NotFound):
    type = "https://csq.dev/problems/delivery-not-found"
    title = "Delivery not found"

    def __init__(self, delivery_id: str) -> None:
        super().__init__(f"no delivery with id {delivery_id!r}")
