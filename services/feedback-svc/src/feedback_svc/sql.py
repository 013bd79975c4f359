"""SQL helpers both backends need the same way."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession


async def insert_unless_exist(session: AsyncSession, table: Table, rows: list[dict[str, Any]], *, key: str) -> set[Any]:
    """INSERT … ON CONFLICT DO NOTHING of many rows: the ``key`` values actually inserted.

    One cached statement executed for all rows (SQLAlchemy's "insertmanyvalues" sends them as a
    few multi-row INSERTs with RETURNING), so no per-batch statement is built or compiled.

    Race-safe without a savepoint: on PostgreSQL a concurrent uncommitted insert of the same key
    makes this wait for that transaction, then leave the row out if it committed. Every row must
    have the same keys; ``rows`` must not repeat a ``key`` value.
    """
    if not rows:
        return set()
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    statement = insert(table).on_conflict_do_nothing(index_elements=[key]).returning(table.c[key])
    return set((await session.execute(statement, rows)).scalars())
