"""SQLite forms of the operations of :mod:`csq_common.sql` (aiosqlite).

SQLite runs in process, so there are no round trips to save: rows go as one ``executemany`` (one
hop to the connection's thread), and a batch's keys are matched against a table as one JSON array
(``json_each``) joined on the key columns. Values are written in the storage format SQLAlchemy
uses for the column types, so the ORM reads them back unchanged: ``UtcDateTime`` as naive UTC
text, JSON as its text, booleans as 0/1. The writer holds the database's lock for its whole
transaction (BEGIN IMMEDIATE), so a read followed by a write here cannot race another writer.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import JSON, Boolean, Column, Row, Select, Table
from sqlalchemy.dialects.sqlite import insert
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.db import UtcDateTime, sqlite_timestamp, sqlite_timestamps
from csq_common.sql.encoding import Converters, converted, each_distinct, json_texts

#: Rows per multi-row statement: keeps ``rows × columns`` under SQLite's bound-parameter limit (32766).
ROWS_PER_STATEMENT = 500
#: Keys per ``json_each`` array.
KEYS_PER_STATEMENT = 50_000
#: No named locks: the one write transaction at a time is SQLite's only lock.
TRANSACTION_LOCKS = False


async def driver_connection(session: AsyncSession, *, transaction: bool = True):
    """The aiosqlite connection under the session's, inside its transaction (csq_common.sqlite
    sends BEGIN when the connection begins)."""
    connection = await session.connection()
    return (await connection.get_raw_connection()).driver_connection


def _stamp(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return sqlite_timestamp(value)


def _flag(value: bool) -> int:
    return int(bool(value))


@lru_cache(maxsize=256)
def _converters(table: Table, columns: tuple[str, ...]) -> Converters:
    converters: Converters = []
    for index, name in enumerate(columns):
        kind = table.c[name].type
        if isinstance(kind, UtcDateTime):
            converters.append((index, sqlite_timestamps))
        elif isinstance(kind, JSON):
            converters.append((index, json_texts))
        elif isinstance(kind, Boolean):
            converters.append((index, each_distinct(_flag)))
    return converters


def _stored(table: Table, columns: tuple[str, ...], rows: Sequence[Sequence[Any]]) -> list[Sequence[Any]]:
    return converted(rows, _converters(table, columns))


@lru_cache(maxsize=256)
def _insert_sql(table: Table, columns: tuple[str, ...], rows: int, skip_conflicts_on: str | None, returning: str | None) -> str:
    one = "(" + ", ".join("?" for _ in columns) + ")"
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES " + ", ".join([one] * rows)
    if skip_conflicts_on:
        sql += f" ON CONFLICT ({skip_conflicts_on}) DO NOTHING"
    return sql + (f" RETURNING {returning}" if returning else "")


async def insert_many(
    session: AsyncSession,
    table: Table,
    columns: tuple[str, ...],
    rows: Sequence[Sequence[Any]],
    skip_conflicts_on: str | None,
    returning: str | None,
) -> list[Any]:
    values = _stored(table, columns, rows)
    driver = await driver_connection(session)
    if not returning:
        await driver.executemany(_insert_sql(table, columns, 1, skip_conflicts_on, None), values)
        return []
    # executemany returns nothing: multi-row statements, so RETURNING gives every inserted row
    returned: list[Any] = []
    for start in range(0, len(values), ROWS_PER_STATEMENT):
        chunk = values[start : start + ROWS_PER_STATEMENT]
        sql = _insert_sql(table, columns, len(chunk), skip_conflicts_on, returning)
        returned.extend(row[0] for row in await driver.execute_fetchall(sql, [value for row in chunk for value in row]))
    return returned


@lru_cache(maxsize=256)
def _matching_sql(table: Table, key_columns: tuple[str, ...], columns: tuple[str, ...]) -> str:
    on = " AND ".join(f"t.{name} = j.value ->> {index}" for index, name in enumerate(key_columns))
    return f"SELECT {', '.join(f't.{name}' for name in columns)} FROM json_each(?) AS j JOIN {table.name} AS t ON {on}"


async def _matching(driver, table: Table, key_columns: tuple[str, ...], columns: tuple[str, ...], stored_keys: list) -> list:
    """The ``columns`` of the rows whose ``key_columns`` equal one of ``stored_keys`` (stored form)."""
    sql = _matching_sql(table, key_columns, columns)
    rows: list = []
    for start in range(0, len(stored_keys), KEYS_PER_STATEMENT):
        chunk = stored_keys[start : start + KEYS_PER_STATEMENT]
        cursor = await driver.execute(sql, (orjson.dumps(chunk).decode(),))
        rows.extend(await cursor.fetchall())
        await cursor.close()
    return rows


async def claim_new(
    session: AsyncSession, table: Table, columns: tuple[str, ...], rows: list[Sequence[Any]], width: int
) -> set[tuple]:
    key_columns = columns[:width]
    values = _stored(table, columns, rows)
    by_stored_key = {tuple(stored[:width]): (stored, tuple(row[:width])) for stored, row in zip(values, rows)}
    driver = await driver_connection(session)
    for existing in await _matching(driver, table, key_columns, key_columns, list(by_stored_key)):
        by_stored_key.pop(tuple(existing), None)
    await driver.executemany(_insert_sql(table, columns, 1, None, None), [stored for stored, _ in by_stored_key.values()])
    return {key for _, key in by_stored_key.values()}


@lru_cache(maxsize=256)
def _counters_sql(table: Table, columns: tuple[str, ...], added: tuple[str, ...], replaced: tuple[str, ...]) -> str:
    updates = [f"{name} = {table.name}.{name} + excluded.{name}" for name in added]
    updates += [f"{name} = excluded.{name}" for name in replaced]
    return (
        f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)}) "
        f"ON CONFLICT ({', '.join(table.primary_key.columns.keys())}) DO UPDATE SET {', '.join(updates)}"
    )


async def add_to_counters(
    session: AsyncSession,
    table: Table,
    columns: tuple[str, ...],
    rows: Sequence[Sequence[Any]],
    added: tuple[str, ...],
    replaced: tuple[str, ...],
) -> None:
    driver = await driver_connection(session)
    await driver.executemany(_counters_sql(table, columns, added, replaced), _stored(table, columns, rows))


async def add_columns_to_counters(
    session: AsyncSession,
    table: Table,
    columns: tuple[str, ...],
    arrays: list[list[Any]],
    added: tuple[str, ...],
    replaced: tuple[str, ...],
) -> None:
    arrays = list(arrays)
    for index, convert in _converters(table, columns):
        arrays[index] = convert(arrays[index])
    driver = await driver_connection(session)
    await driver.executemany(_counters_sql(table, columns, added, replaced), list(zip(*arrays)))


async def rows_by_keys(
    session: AsyncSession, table: Table, key_columns: tuple[str, ...], columns: tuple[str, ...], keys: list[tuple]
) -> dict[tuple, tuple]:
    width = len(key_columns)
    by_stored_key = {tuple(stored): key for stored, key in zip(_stored(table, key_columns, keys), keys)}
    driver = await driver_connection(session)
    found: dict[tuple, tuple] = {}
    for row in await _matching(driver, table, key_columns, (*key_columns, *columns), list(by_stored_key)):
        found[by_stored_key[tuple(row[:width])]] = tuple(row[width:])
    return found


@lru_cache(maxsize=64)
def _in_range_sql(table: Table, equal: tuple[str, ...], unequal: tuple[str, ...], between: str) -> str:
    conditions = [f"t.{name} = j.value ->> {i}" for i, name in enumerate(equal)]
    conditions += [f"t.{name} != j.value ->> {len(equal) + i}" for i, name in enumerate(unequal)]
    low = len(equal) + len(unequal)
    conditions += [f"t.{between} >= j.value ->> {low}", f"t.{between} < j.value ->> {low + 1}"]
    return f"SELECT j.key FROM json_each(?) AS j WHERE EXISTS (SELECT 1 FROM {table.name} AS t WHERE {' AND '.join(conditions)})"


async def positions_with_row_in_range(
    session: AsyncSession, table: Table, equal: tuple[str, ...], unequal: tuple[str, ...], between: str, probes: list[tuple]
) -> list[int]:
    sql = _in_range_sql(table, equal, unequal, between)
    stored = _stored(table, (*equal, *unequal, between, between), probes)
    driver = await driver_connection(session)
    found: list[int] = []
    for offset in range(0, len(stored), KEYS_PER_STATEMENT):
        cursor = await driver.execute(sql, (orjson.dumps(stored[offset : offset + KEYS_PER_STATEMENT]).decode(),))
        found.extend(offset + row[0] for row in await cursor.fetchall())
        await cursor.close()
    return found


async def select_for_keys(session: AsyncSession, statement: Select, key_column: Column, keys: list[Any]) -> list[Row]:
    rows: list[Row] = []
    for start in range(0, len(keys), ROWS_PER_STATEMENT):  # SQLite plans key IN (…) as index probes
        rows += (await session.execute(statement.where(key_column.in_(keys[start : start + ROWS_PER_STATEMENT])))).all()
    return rows


async def lock_out_other_writers(session: AsyncSession, table: Table) -> None:
    """Nothing to do: the session's write transaction (BEGIN IMMEDIATE) excludes other writers."""


async def fetch_prepared(session: AsyncSession, statement, params: dict) -> Sequence[Sequence]:
    return (await session.execute(statement, params)).all()


async def insert_unless_exist(session: AsyncSession, table: Table, rows: list[dict[str, Any]], key: str) -> set[Any]:
    statement = insert(table).on_conflict_do_nothing(index_elements=[key]).returning(table.c[key])
    return set((await session.execute(statement, rows)).scalars())


async def set_where_ids(session: AsyncSession, table: Table, ids: list[int], values: dict[str, Any]) -> None:
    stored = [_stamp(value) if isinstance(value, datetime) else value for value in values.values()]
    assignments = ", ".join(f"{column} = ?" for column in values)
    driver = await driver_connection(session)
    for start in range(0, len(ids), KEYS_PER_STATEMENT // 10):
        chunk = ids[start : start + KEYS_PER_STATEMENT // 10]
        await driver.execute(
            f"UPDATE {table.name} SET {assignments} WHERE id IN (SELECT value FROM json_each(?))",
            [*stored, orjson.dumps(chunk).decode()],
        )


async def transaction_lock(session: AsyncSession, name: int, shared: bool) -> None:
    """Nothing to take: a write transaction (BEGIN IMMEDIATE) already runs alone."""


async def try_transaction_lock(session: AsyncSession, name: int) -> bool:
    raise NotImplementedError("SQLite has no named transaction locks (see transaction_locks_available)")


async def snapshot_reads(session: AsyncSession) -> None:
    return None  # a deferred transaction's reads share the snapshot of its first read (WAL)


def compile_concat_blobs(element, compiler, **kw) -> str:
    """:class:`csq_common.sql.concat_blobs`: ``group_concat`` joins its values as text, which in a
    UTF-8 database (SQLite's default, and every CSQ database) keeps a blob's bytes as they are,
    NULs and invalid UTF-8 included; the ``CAST`` gives the result back as a blob."""
    return f"coalesce(CAST(group_concat({compiler.process(element.clauses, **kw)}, x'') AS BLOB), x'')"
