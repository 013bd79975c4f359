"""SQL helpers both backends need the same way."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession


async def insert_unless_exists(session: AsyncSession, model: type, values: dict[str, Any], *, key: str) -> bool:
    """INSERT … ON CONFLICT DO NOTHING: True if the row was inserted, False if ``key`` existed.

    Race-safe without a savepoint: on PostgreSQL a concurrent uncommitted insert of the same key
    makes this wait for that transaction, then report False if it committed.
    """
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    statement = insert(model).values(**values).on_conflict_do_nothing(index_elements=[key]).returning(getattr(model, key))
    return (await session.execute(statement)).first() is not None
