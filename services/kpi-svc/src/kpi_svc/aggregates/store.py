"""Set-based writes shared by the ticket and survey aggregates: dedup claims and counter upserts.

PostgreSQL statements run on the session's own asyncpg connection (same transaction): whole
columns as arrays through ``unnest``, prepared once per connection by asyncpg, and no per-element
bind processing (SQLAlchemy's ARRAY would visit every element of every array). SQLite gets an
executemany of the same statements. Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone

from sqlalchemy import BigInteger, Column, LargeBinary, Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.db import UtcDateTime

# Rows per statement: keeps multi-row statements under both drivers' bound-parameter limits.
_CHUNK = 2000


def chunks(items: list, size: int = _CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _insert(session: AsyncSession):
    return pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert


async def driver_connection(session: AsyncSession):
    """The driver connection (asyncpg / aiosqlite) under the session's connection, in its transaction."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    return raw.driver_connection


def pg_type(column: Column) -> str:
    """The PostgreSQL element type of ``column``'s array in the ``unnest`` statements."""
    kind = column.type
    if isinstance(kind, UtcDateTime):
        return "timestamptz"
    if isinstance(kind, BigInteger):
        return "bigint"
    if isinstance(kind, LargeBinary):
        return "bytea"
    return "varchar"


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
    rows = sorted(set(keys))
    if not rows:
        return set()
    claimed: set[tuple] = set()
    if session.bind.dialect.name == "postgresql":  # column arrays through unnest, on the driver (see write)
        types = ", ".join(f"${n}::{pg_type(table.c[name])}[]" for n, name in enumerate(columns, 1))
        statement = (
            f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT * FROM unnest({types}) "
            f"ON CONFLICT DO NOTHING RETURNING {', '.join(columns)}"
        )
        driver = await driver_connection(session)
        for chunk in chunks(rows, 20_000):
            claimed.update(tuple(row) for row in await driver.fetch(statement, *(list(values) for values in zip(*chunk))))
        return claimed
    insert = _insert(session)
    returning = [table.c[name] for name in columns]
    for chunk in chunks(rows, 5000):
        statement = (
            insert(table)
            .values([dict(zip(columns, row)) for row in chunk])
            .on_conflict_do_nothing()
            .returning(*returning)
        )
        claimed.update(tuple(row) for row in await session.execute(statement))
    return claimed


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
    await driver.executemany(
        statement_sql, [(*row[:stamp], _sqlite_timestamp(row[stamp]), *row[stamp + 1 :]) for row in rows]
    )


def _sqlite_timestamp(ts: datetime) -> str:
    """A UTC datetime as SQLAlchemy stores it in SQLite (naive UTC, ``YYYY-MM-DD HH:MM:SS.ffffff``)."""
    ts = ts.astimezone(timezone.utc)
    return (
        f"{ts.year:04d}-{ts.month:02d}-{ts.day:02d} {ts.hour:02d}:{ts.minute:02d}:{ts.second:02d}.{ts.microsecond:06d}"
    )
