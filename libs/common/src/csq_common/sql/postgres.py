"""PostgreSQL forms of the operations of :mod:`csq_common.sql` (asyncpg).

Rows travel as one array per column (``SELECT … FROM unnest($1::type[], …)``): a constant
statement that asyncpg prepares once per connection, one round trip per chunk, and no per-value
bind processing in SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import (
    JSON, BigInteger, Boolean, Column, Float, Integer, LargeBinary, Row, Select, Table, bindparam, func, literal_column, select,
    text, true,
)
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.db import UtcDateTime
from csq_common.sql.encoding import json_text

#: Rows per statement: bounds one message's size (asyncpg sends each array whole).
CHUNK_ROWS = 20_000
#: Transaction-scoped advisory locks exist (pg_try_advisory_xact_lock).
TRANSACTION_LOCKS = True


async def driver_connection(session: AsyncSession, *, transaction: bool = True):
    """The asyncpg connection under the session's, inside the session's transaction.

    SQLAlchemy's asyncpg adapter sends BEGIN lazily, just before its own first statement, and
    commits only a transaction it began: a statement sent straight to asyncpg before any other
    would run autocommitted. So if asyncpg is not in a transaction yet, one statement goes through
    SQLAlchemy first, which makes the adapter begin (public API only: ``is_in_transaction``).
    """
    connection = await session.connection()
    driver = (await connection.get_raw_connection()).driver_connection
    if transaction and not driver.is_in_transaction():
        await connection.exec_driver_sql("SELECT 1")
    return driver


def array_type(kind) -> str:
    """The PostgreSQL element type of an ``unnest`` array for a column of SQLAlchemy type ``kind``."""
    if isinstance(kind, UtcDateTime):
        return "timestamptz"
    if isinstance(kind, Boolean):
        return "bool"
    if isinstance(kind, BigInteger):
        return "int8"
    if isinstance(kind, Integer):
        return "int4"
    if isinstance(kind, Float):
        return "float8"
    if isinstance(kind, LargeBinary):
        return "bytea"
    return "text"  # strings, and JSON as its text (cast back to json in the statement)


#: Element types sent as one array literal (text, cast in the statement) rather than element by
#: element: asyncpg's array encoder costs an ABC check or two per element, and its timestamps
#: microseconds of Python each; orjson writes a whole column in one call.
_LITERAL_TYPES = frozenset({"int8", "int4", "text", "timestamptz"})


@lru_cache(maxsize=256)
def _column_plan(table: Table, columns: tuple[str, ...]) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """Positions of the ``UtcDateTime`` columns (checked for naive values, which PostgreSQL would
    read in the session's time zone), of the JSON columns (sent as their text) and of the columns
    sent as array literals."""
    stamps = tuple(i for i, name in enumerate(columns) if isinstance(table.c[name].type, UtcDateTime))
    documents = tuple(i for i, name in enumerate(columns) if isinstance(table.c[name].type, JSON))
    literals = tuple(i for i, name in enumerate(columns) if array_type(table.c[name].type) in _LITERAL_TYPES)
    return stamps, documents, literals


def _arrays(table: Table, columns: Sequence[str]) -> str:
    """The statement's array parameters, ``$n::type[]`` (literals: ``$n::text::type[]``)."""
    kinds = [array_type(table.c[name].type) for name in columns]
    return ", ".join(f"${n}::text::{kind}[]" if kind in _LITERAL_TYPES else f"${n}::{kind}[]" for n, kind in enumerate(kinds, 1))


def _selected(table: Table, columns: tuple[str, ...]) -> str:
    return ", ".join(f"{name}::json" if isinstance(table.c[name].type, JSON) else name for name in columns)


def _column_arrays(table: Table, columns: tuple[str, ...], rows: Sequence[Sequence[Any]]) -> list[Any]:
    """``rows`` as the statement's arguments, one per column (see :func:`_sent_arrays`)."""
    return _sent_arrays(table, columns, [list(values) for values in zip(*rows)])


def _sent_arrays(table: Table, columns: tuple[str, ...], arrays: list[list[Any]]) -> list[Any]:
    """``arrays`` (one list per column) as sent: checked for naive datetimes, JSON as its text,
    integer, text and timestamp columns as array literals (:func:`array_literal`)."""
    stamps, documents, literals = _column_plan(table, columns)
    for index in stamps:
        if any(value is not None and value.tzinfo is None for value in arrays[index]):
            raise ValueError("naive datetime given to a UTC column")
    sent: list[Any] = list(arrays)
    for index in documents:
        sent[index] = [None if value is None else json_text(value) for value in arrays[index]]
    for index in literals:
        sent[index] = array_literal(sent[index])
    return sent


def array_literal(values: Sequence[Any]) -> str:
    """A PostgreSQL array literal of ``values`` (strings, integers, aware datetimes; None is NULL).

    orjson writes the list as JSON in one call, which is the literal with brackets for braces as
    long as no string needed a JSON escape (a JSON ``\n`` is a newline, an array's an ``n``) and
    no boolean stands for an integer (JSON's ``true``); otherwise every element is written by hand,
    strings quoted with PostgreSQL's own escaping."""
    try:
        written = orjson.dumps(values, option=orjson.OPT_UTC_Z)
    except TypeError:  # an integer beyond 64 bits, a type orjson does not write
        written = b"\\"
    if b"\\" not in written and b"true" not in written and b"false" not in written:
        return "{" + written[1:-1].decode() + "}"
    return "{" + ",".join("NULL" if value is None else _element(value) for value in values) + "}"


def _element(value: Any) -> str:
    if isinstance(value, int):  # True is 1, as asyncpg would send it
        return str(int(value))
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _chunks(rows: Sequence, size: int = CHUNK_ROWS):
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


@lru_cache(maxsize=256)
def _insert_sql(table: Table, columns: tuple[str, ...], skip_conflicts_on: str | None, returning: str | None) -> str:
    names = ", ".join(columns)
    sql = (
        f"INSERT INTO {table.name} ({names}) SELECT {_selected(table, columns)} "
        f"FROM unnest({_arrays(table, columns)}) AS u({names})"
    )
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
    sql = _insert_sql(table, columns, skip_conflicts_on, returning)
    driver = await driver_connection(session)
    returned: list[Any] = []
    for chunk in _chunks(rows):
        arrays = _column_arrays(table, columns, chunk)
        if returning:
            returned.extend(record[0] for record in await driver.fetch(sql, *arrays))
        else:
            await driver.execute(sql, *arrays)
    return returned


@lru_cache(maxsize=256)
def _claim_sql(table: Table, columns: tuple[str, ...], width: int) -> str:
    names = ", ".join(columns)
    return (
        f"INSERT INTO {table.name} ({names}) SELECT {_selected(table, columns)} "
        f"FROM unnest({_arrays(table, columns)}) AS u({names}) "
        f"ON CONFLICT DO NOTHING RETURNING {', '.join(columns[:width])}"
    )


async def claim_new(
    session: AsyncSession, table: Table, columns: tuple[str, ...], rows: list[Sequence[Any]], width: int
) -> set[tuple]:
    rows = sorted(rows, key=lambda row: tuple(row[:width]))  # one lock order for every replica
    sql = _claim_sql(table, columns, width)
    driver = await driver_connection(session)
    claimed: set[tuple] = set()
    for chunk in _chunks(rows):
        claimed.update(tuple(record) for record in await driver.fetch(sql, *_column_arrays(table, columns, chunk)))
    return claimed


@lru_cache(maxsize=256)
def _counters_sql(table: Table, columns: tuple[str, ...], added: tuple[str, ...], replaced: tuple[str, ...]) -> str:
    names = ", ".join(columns)
    arrays = _arrays(table, columns)
    updates = [f"{name} = {table.name}.{name} + excluded.{name}" for name in added]
    updates += [f"{name} = excluded.{name}" for name in replaced]
    return (
        f"INSERT INTO {table.name} ({names}) SELECT {_selected(table, columns)} "
        f"FROM unnest({arrays}) AS u({names}) "
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
    await add_columns_to_counters(session, table, columns, [list(values) for values in zip(*rows)], added, replaced)


async def add_columns_to_counters(
    session: AsyncSession,
    table: Table,
    columns: tuple[str, ...],
    arrays: list[list[Any]],
    added: tuple[str, ...],
    replaced: tuple[str, ...],
) -> None:
    sql = _counters_sql(table, columns, added, replaced)
    driver = await driver_connection(session)
    for start in range(0, len(arrays[0]), CHUNK_ROWS):
        await driver.execute(sql, *_sent_arrays(table, columns, [list(values[start : start + CHUNK_ROWS]) for values in arrays]))


@lru_cache(maxsize=256)
def _rows_by_keys_sql(table: Table, key_columns: tuple[str, ...], columns: tuple[str, ...]) -> str:
    # LATERAL … LIMIT 1: one index lookup per key. A plain join of a long array makes the planner
    # hash the whole table (a sequential scan of every stored row, whatever the table's size).
    keys = ", ".join(key_columns)
    matches = " AND ".join(f"t.{name} = k.{name}" for name in key_columns)
    return (
        f"SELECT {', '.join(f'k.{name}' for name in key_columns)}, {', '.join(f'hit.{name}' for name in columns)} "
        f"FROM unnest({_arrays(table, key_columns)}) AS k({keys}) "
        f"CROSS JOIN LATERAL (SELECT {', '.join(f't.{name}' for name in columns)} FROM {table.name} AS t "
        f"WHERE {matches} LIMIT 1) AS hit"
    )


async def rows_by_keys(
    session: AsyncSession, table: Table, key_columns: tuple[str, ...], columns: tuple[str, ...], keys: list[tuple]
) -> dict[tuple, tuple]:
    sql = _rows_by_keys_sql(table, key_columns, columns)
    width = len(key_columns)
    driver = await driver_connection(session)
    found: dict[tuple, tuple] = {}
    for chunk in _chunks(keys):
        for record in await driver.fetch(sql, *_column_arrays(table, key_columns, chunk)):
            found[tuple(record[:width])] = tuple(record[width:])
    return found


@lru_cache(maxsize=64)
def _in_range_sql(table: Table, equal: tuple[str, ...], unequal: tuple[str, ...], between: str) -> str:
    probe = (*equal, *unequal, between, between)
    names = [f"p{index}" for index in range(len(probe))]
    arrays = _arrays(table, probe)
    conditions = [f"t.{name} = u.{names[i]}" for i, name in enumerate(equal)]
    conditions += [f"t.{name} <> u.{names[len(equal) + i]}" for i, name in enumerate(unequal)]
    conditions += [f"t.{between} >= u.{names[-2]}", f"t.{between} < u.{names[-1]}"]
    # LATERAL … LIMIT 1: one index probe per probe row. With EXISTS the planner picks a hash
    # semi-join over the whole table once the array is long, whatever the table's size.
    return (
        f"SELECT u.n - 1 FROM unnest({arrays}) WITH ORDINALITY AS u({', '.join(names)}, n) "
        f"CROSS JOIN LATERAL (SELECT 1 FROM {table.name} AS t WHERE {' AND '.join(conditions)} LIMIT 1) AS hit"
    )


async def positions_with_row_in_range(
    session: AsyncSession, table: Table, equal: tuple[str, ...], unequal: tuple[str, ...], between: str, probes: list[tuple]
) -> list[int]:
    sql = _in_range_sql(table, equal, unequal, between)
    columns = (*equal, *unequal, between, between)
    driver = await driver_connection(session)
    found: list[int] = []
    for offset in range(0, len(probes), CHUNK_ROWS):
        arrays = _column_arrays(table, columns, probes[offset : offset + CHUNK_ROWS])
        found.extend(offset + record[0] for record in await driver.fetch(sql, *arrays))
    return found


async def select_for_keys(session: AsyncSession, statement: Select, key_column: Column, keys: list[Any]) -> list[Row]:
    probes = func.unnest(bindparam("keys", type_=ARRAY(key_column.type))).table_valued("key", with_ordinality="n").render_derived()
    # OFFSET 0 keeps the planner from pulling the subquery up into a join (a hash join over a scan
    # of the whole table): it stays one index probe per key, as rows_by_keys' LIMIT 1 does
    hit = statement.where(key_column == probes.c.key).offset(literal_column("0")).lateral("hit")
    joined = select(*hit.c).select_from(probes).join(hit, true()).order_by(probes.c.n)
    rows: list[Row] = []
    for chunk in _chunks(keys):
        rows += (await session.execute(joined, {"keys": chunk})).all()
    return rows


async def lock_out_other_writers(session: AsyncSession, table: Table) -> None:
    await session.execute(text(f"LOCK TABLE {table.name} IN SHARE ROW EXCLUSIVE MODE"))


@lru_cache(maxsize=1024)
def _compiled(statement, dialect) -> tuple[str, tuple[str, ...], dict]:
    """A statement compiled once: its SQL ($n parameters), the bind names in that order, and the
    values of the binds the statement holds itself."""
    compiled = statement.compile(dialect=dialect)
    return compiled.string, tuple(compiled.positiontup or ()), dict(compiled.params)


async def fetch_prepared(session: AsyncSession, statement, params: dict) -> Sequence[Sequence]:
    sql, names, fixed = _compiled(statement, session.bind.dialect)
    driver = await driver_connection(session, transaction=False)
    values = {**fixed, **params}
    return await driver.fetch(sql, *(values[name] for name in names))


async def insert_unless_exist(session: AsyncSession, table: Table, rows: list[dict[str, Any]], key: str) -> set[Any]:
    statement = insert(table).on_conflict_do_nothing(index_elements=[key]).returning(table.c[key])
    return set((await session.execute(statement, rows)).scalars())


async def set_where_ids(session: AsyncSession, table: Table, ids: list[int], values: dict[str, Any]) -> None:
    columns = list(values)
    assignments = ", ".join(f"{column} = ${number}" for number, column in enumerate(columns, 1))
    driver = await driver_connection(session)
    await driver.execute(
        f"UPDATE {table.name} SET {assignments} WHERE id = ANY(${len(columns) + 1}::int8[])", *values.values(), ids
    )


async def transaction_lock(session: AsyncSession, name: int, shared: bool) -> None:
    driver = await driver_connection(session)
    await driver.execute("SELECT pg_advisory_xact_lock_shared($1)" if shared else "SELECT pg_advisory_xact_lock($1)", name)


async def try_transaction_lock(session: AsyncSession, name: int) -> bool:
    driver = await driver_connection(session)
    return bool(await driver.fetchval("SELECT pg_try_advisory_xact_lock($1)", name))


async def snapshot_reads(session: AsyncSession) -> None:
    await session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))


def compile_concat_blobs(element, compiler, **kw) -> str:
    """:class:`csq_common.sql.concat_blobs`: ``string_agg`` of ``bytea`` with an empty separator
    (NULL over no rows, hence the ``coalesce``)."""
    return f"coalesce(string_agg({compiler.process(element.clauses, **kw)}, ''::bytea), ''::bytea)"
