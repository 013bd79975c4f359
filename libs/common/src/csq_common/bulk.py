"""Kept for ``csq_common.bus.outbox`` until its statements move into :mod:`csq_common.sql`."""

from csq_common.sql import BulkInsert

__all__ = ["BulkInsert"]
