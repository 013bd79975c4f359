"""Set-based writes shared by the ticket and survey aggregates: dedup claims and counter upserts.

PostgreSQL statements run on the session's own asyncpg connection (same transaction): whole
columns as arrays through ``unnest``, prepared once per connection by asyncpg, and no per-element
bind processing (SQLAlchemy's ARRAY would visit every element of every array). SQLite gets an
executemany of the same statements. Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

import orjson
from sqlalchemy import Column, Table
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.bulk import pg_array_type
from csq_common.db import UtcDateTime, driver_connection, sqlite_timestamp

# Rows per statement: keeps multi-row statements under both drivers' bound-parameter limits.
_CHUNK = 2000


def sqlite_stamps() -> Callable[[datetime], str]:
    """``sqlite_timestamp`` memoised for one batch: its rows share a few thousand bucket starts."""
    memo: dict[datetime, str] = {}

    def stamp(ts: datetime) -> str:
        text = memo.get(ts)
        if text is None:
            text = memo[ts] = sqlite_timestamp(ts)
        return text

    return stamp


def chunks(items: list, size: int = _CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def pg_type(column: Column) -> str:
    """The PostgreSQL element type of ``column``'s array in the ``unnest`` statements."""
    return pg_array_type(column.type)


def _pg_upsert(table: Table, columns: tuple[str, ...], added: tuple[str, ...], replaced: tuple[str, ...]) -> str:
    keys = ", ".join(table.primary_key.columns.keys())
    updates = [f"{name} = {table.name}.{name} + excluded.{name}" for name in added]
    updates += [f"{name} = excluded.{name}" for name in replaced]
    return (
        f"INSERT INTO {table.name} ({', '.join(columns)}) "
        f"SELECT * FROM unnest({', '.join(f'${n}::{pg_type(table.c[name])}[]' for n, name in enumerate(columns, 1))}) "
        f"ON CONFLICT ({keys}) DO UPDATE SET {', '.join(updates)}"
    )


async def claim_new(session: AsyncSession, table: Table, columns: tuple[str, ...], keys: Iterable[tuple]) -> set[tuple]:
    """Insert ``keys`` into a dedup table; return those that were not there yet."""
    if session.bind.dialect.name != "postgresql":
        return await _sqlite_claim_new(session, table, columns, set(keys))
    rows = sorted(set(keys))  # one lock order for every replica's transaction
    if not rows:
        return set()
    claimed: set[tuple] = set()
    types = ", ".join(f"${n}::{pg_type(table.c[name])}[]" for n, name in enumerate(columns, 1))
    statement = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT * FROM unnest({types}) "
        f"ON CONFLICT DO NOTHING RETURNING {', '.join(columns)}"
    )
    driver = await driver_connection(session)
    for chunk in chunks(rows, 20_000):
        claimed.update(tuple(row) for row in await driver.fetch(statement, *(list(values) for values in zip(*chunk))))
    return claimed


async def _sqlite_claim_new(session: AsyncSession, table: Table, columns: tuple[str, ...], keys: set[tuple]) -> set[tuple]:
    """SQLite: which of ``keys`` exist (the batch's keys as one JSON array joined to the primary
    key), then an executemany of the others. The writer holds the database's write lock for the
    whole transaction (BEGIN IMMEDIATE), so the two steps cannot race."""
    if not keys:
        return set()
    stamps = [isinstance(table.c[name].type, UtcDateTime) for name in columns]
    stored = {tuple(sqlite_timestamp(v) if stamp else v for v, stamp in zip(key, stamps)): key for key in keys}
    on = " AND ".join(f"t.{name} = j.value ->> {index}" for index, name in enumerate(columns))
    driver = await driver_connection(session)
    cursor = await driver.execute(
        f"SELECT {', '.join(f't.{name}' for name in columns)} FROM json_each(?) AS j JOIN {table.name} AS t ON {on}",
        (orjson.dumps(list(stored)).decode(),),
    )
    for row in await cursor.fetchall():
        stored.pop(tuple(row), None)
    await cursor.close()
    await driver.executemany(
        f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})", list(stored)
    )
    return set(stored.values())


async def upsert(
    session: AsyncSession,
    table: Table,
    columns: tuple[str, ...],
    added: tuple[str, ...],
    replaced: tuple[str, ...],
    rows: list[tuple],
) -> None:
    """``INSERT … ON CONFLICT (pk) DO UPDATE SET col = table.col + excluded.col`` for the ``added``
    columns and ``col = excluded.col`` for the ``replaced`` ones.

    PostgreSQL gets one statement per chunk whose rows travel as one array per column
    (``SELECT … FROM unnest(…)``): a constant statement asyncpg prepares once, one round trip.
    SQLite (in process, no round trips) gets an executemany of the same upsert.
    """

    if session.bind.dialect.name == "postgresql":
        statement = _pg_upsert(table, columns, added, replaced)
        driver = await driver_connection(session)
        for chunk in chunks(rows, 20_000):
            await driver.execute(statement, *(list(values) for values in zip(*chunk)))
        return
    # SQLite: an executemany on the driver connection (same transaction), the timestamps written in
    # SQLAlchemy's SQLite storage format (what UtcDateTime stores), skipping per-value bind processing.
    stamp = columns.index("bucket_start")
    updates_sql = [f"{name} = {table.name}.{name} + excluded.{name}" for name in added]
    updates_sql += [f"{name} = excluded.{name}" for name in replaced]
    statement_sql = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)}) "
        f"ON CONFLICT ({', '.join(table.primary_key.columns.keys())}) DO UPDATE SET {', '.join(updates_sql)}"
    )
    driver = await driver_connection(session)
    text = sqlite_stamps()
    await driver.executemany(statement_sql, [(*row[:stamp], text(row[stamp]), *row[stamp + 1 :]) for row in rows])
