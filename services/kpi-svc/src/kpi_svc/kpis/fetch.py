"""Running the summaries' cached statements: on PostgreSQL as prepared statements on asyncpg."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.db import driver_connection


@lru_cache(maxsize=1024)
def _pg_sql(statement, dialect) -> tuple[str, tuple[str, ...], dict]:
    """A cached statement compiled once for PostgreSQL: its SQL ($n parameters), the bind names in
    that order, and the values of the binds the statement holds itself."""
    compiled = statement.compile(dialect=dialect)
    return compiled.string, tuple(compiled.positiontup), dict(compiled.params)


async def fetch_rows(session: AsyncSession, statement, params: dict) -> Sequence[Sequence]:
    """The rows of a cached summary statement. On PostgreSQL it runs as a prepared statement on the
    asyncpg connection, because SQLAlchemy's work per execution (cache lookup, bind and result
    processing) costs more than this small indexed query itself (docs/benchmarks.md)."""
    if session.bind.dialect.name != "postgresql":
        return (await session.execute(statement, params)).all()
    sql, names, fixed = _pg_sql(statement, session.bind.dialect)
    driver = await driver_connection(session, transaction=False)
    values = {**fixed, **params}
    return await driver.fetch(sql, *(values[name] for name in names))
