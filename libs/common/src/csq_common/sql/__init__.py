"""Set-based SQL, written once per database: the operations services run on many rows at a time.

Each operation has a PostgreSQL form (``postgres.py``: whole columns as arrays through ``unnest``,
run on the session's asyncpg connection as statements asyncpg prepares once) and a SQLite form
(``sqlite.py``: executemany / ``json_each`` on the aiosqlite connection), side by side with the
same signatures; this module picks one by the session's dialect, the only place that does. Every
operation runs in the caller's transaction and nothing here commits. Rows are tuples in the order
of the ``columns`` given; values are what the ORM would take (aware datetimes for ``UtcDateTime``,
Python objects for JSON) and are stored as SQLAlchemy itself stores them.

To add an operation: write it in both backend modules with the same signature, then expose it here
through :func:`backend`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from types import ModuleType
from typing import Any

from sqlalchemy import Column, LargeBinary, Row, Select, Table
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from csq_common.sql import postgres, sqlite

__all__ = [
    "BulkInsert",
    "add_columns_to_counters",
    "add_to_counters",
    "backend",
    "claim_new",
    "concat_blobs",
    "driver_connection",
    "fetch_prepared",
    "insert_many",
    "insert_unless_exist",
    "lock_out_other_writers",
    "positions_with_row_in_range",
    "rows_by_keys",
    "select_for_keys",
    "set_where_ids",
    "snapshot_reads",
    "transaction_lock",
    "transaction_locks_available",
    "try_transaction_lock",
]

_BACKENDS = {"postgresql": postgres, "sqlite": sqlite}


def backend(session: AsyncSession) -> ModuleType:
    """The module holding this session's database's form of every operation."""
    return _BACKENDS[session.bind.dialect.name]


async def driver_connection(session: AsyncSession, *, transaction: bool = True):
    """The driver connection (asyncpg / aiosqlite) under the session's connection, inside the
    session's transaction (``transaction=False``: for one read that needs none)."""
    return await backend(session).driver_connection(session, transaction=transaction)


async def insert_many(
    session: AsyncSession,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    skip_conflicts_on: str | None = None,
    returning: str | None = None,
) -> list[Any]:
    """``INSERT INTO table (columns) … [ON CONFLICT (skip_conflicts_on) DO NOTHING] [RETURNING
    returning]``: the ``returning`` values of the rows actually inserted (``[]`` without it)."""
    if not rows:
        return []
    return await backend(session).insert_many(session, table, tuple(columns), rows, skip_conflicts_on, returning)


class BulkInsert:
    """One :func:`insert_many` statement kept as a value, for writers that run it per batch."""

    def __init__(
        self, table: Table, columns: Sequence[str], *, skip_conflicts_on: str | None = None, returning: str | None = None
    ) -> None:
        self.table = table
        self.columns = tuple(columns)
        self.skip_conflicts_on = skip_conflicts_on
        self.returning = returning

    async def execute(self, session: AsyncSession, rows: Sequence[Sequence[Any]]) -> list[Any]:
        return await insert_many(
            session, self.table, self.columns, rows, skip_conflicts_on=self.skip_conflicts_on, returning=self.returning
        )


async def claim_new(session: AsyncSession, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> set[tuple]:
    """Insert those of ``rows`` whose primary key is not in ``table`` yet; return their keys.

    The primary key columns lead ``columns`` (the rest are stored with a new row, never compared);
    a key is the tuple of a row's leading values. ``rows`` must not repeat a key. Safe against
    concurrent claims of the same key: on PostgreSQL a row inserted meanwhile by another
    transaction is waited for, then left out; on SQLite the writer holds the database's lock.
    """
    rows = list(rows)
    if not rows:
        return set()
    width = len(table.primary_key.columns)
    if tuple(columns[:width]) != tuple(table.primary_key.columns.keys()):
        raise ValueError(f"the primary key of {table.name} must lead the columns given")
    return await backend(session).claim_new(session, table, tuple(columns), rows, width)


async def add_to_counters(
    session: AsyncSession,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    added: Sequence[str],
    replaced: Sequence[str] = (),
) -> None:
    """Upsert on the primary key: a new row is inserted as given; an existing one gets
    ``col = col + new`` for the ``added`` columns and ``col = new`` for the ``replaced`` ones.
    Give the rows in key order, so that concurrent writers lock rows in one order (no deadlock);
    ``rows`` must not repeat a key."""
    if rows:
        await backend(session).add_to_counters(session, table, tuple(columns), rows, tuple(added), tuple(replaced))


async def add_columns_to_counters(
    session: AsyncSession,
    table: Table,
    columns: Sequence[str],
    arrays: Sequence[list[Any]],
    *,
    added: Sequence[str],
    replaced: Sequence[str] = (),
) -> None:
    """:func:`add_to_counters` with the rows given column by column (one list per column, all of
    one length), for callers that hold columns (numpy): no row tuples built on the way."""
    if arrays and len(arrays[0]):
        await backend(session).add_columns_to_counters(session, table, tuple(columns), list(arrays), tuple(added), tuple(replaced))


async def rows_by_keys(
    session: AsyncSession, table: Table, key_columns: Sequence[str], columns: Sequence[str], keys: Iterable[tuple]
) -> dict[tuple, tuple]:
    """``{key: values of columns}`` for those of ``keys`` (tuples of ``key_columns``) stored in
    ``table``, read in one statement per large chunk (keys equal to those given)."""
    keys = list(keys)
    if not keys:
        return {}
    return await backend(session).rows_by_keys(session, table, tuple(key_columns), tuple(columns), keys)


async def select_for_keys(session: AsyncSession, statement: Select, key_column: Column, keys: Iterable[Any]) -> list[Row]:
    """The rows ``statement`` gives with ``key_column`` equal to one of ``keys``, read as
    ``session.execute`` reads them (typed), in chunks. ``statement`` may order and lock its rows
    (``with_for_update``); the keys are taken in sorted order, so concurrent callers lock alike.

    On PostgreSQL each key is one index probe (``unnest`` + ``LATERAL``): a prepared ``key IN ($1,
    …, $500)`` may be planned generically, as a scan comparing every row with every key (tenths of
    a second per 500 keys on a table of 10,000 tickets), and a plain join as a scan of the table."""
    keys = sorted(set(keys))
    if not keys:
        return []
    return await backend(session).select_for_keys(session, statement, key_column, keys)


async def positions_with_row_in_range(
    session: AsyncSession,
    table: Table,
    *,
    equal: Sequence[str],
    unequal: Sequence[str] = (),
    between: str,
    probes: Sequence[tuple],
) -> list[int]:
    """The positions in ``probes`` of those for which ``table`` has a row matching them, in one
    statement per large chunk. A probe is the values of the ``equal`` columns, then of the
    ``unequal`` columns, then ``low`` and ``high``; a row matches when its ``equal`` columns are
    equal to the probe's, its ``unequal`` columns differ and ``low <= between < high``. Each probe
    is looked up on its own (it stops at the first matching row), so an index on
    ``(*equal, between)`` makes it one range lookup however large the table and however many rows
    share the probe's ``equal`` values."""
    probes = list(probes)
    if not probes:
        return []
    return await backend(session).positions_with_row_in_range(session, table, tuple(equal), tuple(unequal), between, probes)


async def lock_out_other_writers(session: AsyncSession, table: Table) -> None:
    """Until the transaction ends, no other transaction writes ``table``; readers are not blocked
    (PostgreSQL ``SHARE ROW EXCLUSIVE``; SQLite's write transaction already holds the database)."""
    await backend(session).lock_out_other_writers(session, table)


def skip_locked(statement: Select) -> Select:
    """``statement`` taking row locks that other transactions skip (``FOR UPDATE SKIP LOCKED``), so
    that replicas claim disjoint rows. SQLite, whose writer holds the whole database, compiles it
    without the clause."""
    return statement.with_for_update(skip_locked=True)


async def fetch_prepared(session: AsyncSession, statement, params: dict) -> Sequence[Sequence]:
    """The rows of a cached read statement (one built once, its values all bind parameters).
    PostgreSQL runs it as a prepared statement on the asyncpg connection, without SQLAlchemy's
    per-execution work; SQLite through the session. Values come back as the driver gives them."""
    return await backend(session).fetch_prepared(session, statement, params)


async def insert_unless_exist(session: AsyncSession, table: Table, rows: list[dict[str, Any]], *, key: str) -> set[Any]:
    """``INSERT … ON CONFLICT (key) DO NOTHING RETURNING key`` of a few rows given as dicts, through
    SQLAlchemy (one cached statement): the ``key`` values actually inserted. Every row has the same
    keys; ``rows`` must not repeat a ``key`` value."""
    if not rows:
        return set()
    return await backend(session).insert_unless_exist(session, table, rows, key)


async def set_where_ids(session: AsyncSession, table: Table, ids: Sequence[int], values: dict[str, Any]) -> None:
    """``UPDATE table SET values WHERE id IN ids`` on the driver connection, in the caller's
    transaction: one statement (``= ANY`` of an array on PostgreSQL, chunks of ``IN`` on SQLite)."""
    if ids:
        await backend(session).set_where_ids(session, table, list(ids), values)


async def transaction_lock(session: AsyncSession, name: int, *, shared: bool = False) -> None:
    """Wait for the named lock and hold it until the transaction ends: ``shared`` holders run side
    by side, an exclusive holder alone (PostgreSQL advisory locks; on SQLite, where a write
    transaction already runs alone, nothing to take). Taken first, before the rows two kinds of
    writers would lock in different orders, it keeps them from deadlocking."""
    await backend(session).transaction_lock(session, name, shared)


def transaction_locks_available(session: AsyncSession) -> bool:
    """Whether the database has locks that a transaction takes by name and that block no writer
    (PostgreSQL's advisory locks): only then can a worker hold a turn for the length of a round
    that also waits on something else, such as a broker."""
    return backend(session).TRANSACTION_LOCKS


async def try_transaction_lock(session: AsyncSession, name: int) -> bool:
    """Take the lock ``name`` (an int64) until the transaction ends, without waiting: False if
    another transaction holds it. Only where :func:`transaction_locks_available`."""
    return await backend(session).try_transaction_lock(session, name)


async def snapshot_reads(session: AsyncSession) -> None:
    """Make every read of the session's (new) transaction see one snapshot of the database, so a
    scan in several statements is consistent while writers go on: PostgreSQL ``REPEATABLE READ
    READ ONLY`` (the transaction's first statement); SQLite's read transaction already keeps the
    snapshot of its first read until it ends."""
    await backend(session).snapshot_reads(session)


class concat_blobs(FunctionElement):
    """Aggregate: the concatenation of a binary column's values over a group, in no particular
    order (``b""`` when the group has none), for formats where a concatenation of values is itself
    a value (kpi-svc's sketch blobs). An expression rather than an operation, so that a cached
    statement can hold it; each database compiles it to its own form (PostgreSQL ``string_agg``,
    SQLite ``group_concat``)."""

    type = LargeBinary()
    name = "concat_blobs"
    inherit_cache = True


compiles(concat_blobs, "postgresql")(postgres.compile_concat_blobs)
compiles(concat_blobs, "sqlite")(sqlite.compile_concat_blobs)
