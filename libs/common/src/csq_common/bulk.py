"""Many-row INSERTs on the session's own driver connection (same transaction), for hot batch writers.

SQLAlchemy spends more Python per row than the database spends storing it: bind processing of
every value, "insertmanyvalues" batching, result processing, and on aiosqlite a thread hop for
each of cursor(), execute(), fetchall() and close(). A :class:`BulkInsert` sends one constant
statement per batch instead:

- PostgreSQL (asyncpg): ``INSERT … SELECT … FROM unnest($1::type[], …)``, one array per column,
  prepared once per connection by asyncpg, one round trip;
- SQLite (aiosqlite): one multi-row ``INSERT … VALUES (…), (…)`` (with ``RETURNING``) or one
  ``executemany`` (without), one hop to the connection's thread.

Values are written in the storage format SQLAlchemy itself uses for the column types (so the ORM
reads them back unchanged): ``UtcDateTime`` as naive UTC text on SQLite, JSON as ``json.dumps``
text, booleans as 0/1. Nothing here commits.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, Integer, LargeBinary, Table
from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.db import UtcDateTime, driver_connection, sqlite_timestamp

# Rows per SQLite statement: keeps ``rows × columns`` under SQLite's bound-parameter limit (32766).
_SQLITE_ROWS_PER_STATEMENT = 500


def pg_array_type(kind) -> str:
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


_MISSING = object()


def _json_text(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


def _sqlite_stamp_or_none(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return sqlite_timestamp(value)


def _pg_stamp_or_none(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return value


def _sqlite_bool(value: bool | None) -> int | None:
    return None if value is None else int(bool(value))


class BulkInsert:
    """``INSERT INTO table (columns) … [ON CONFLICT (key) DO NOTHING] [RETURNING returning]``.

    Rows are tuples in ``columns`` order. :meth:`execute` returns the ``returning`` values of the
    rows actually inserted (an empty list without ``returning``). The statement text is built
    once per dialect; the column types decide how each value is sent.
    """

    def __init__(
        self, table: Table, columns: Sequence[str], *, skip_conflicts_on: str | None = None, returning: str | None = None
    ) -> None:
        self._table = table
        self._columns = tuple(columns)
        self._conflict = skip_conflicts_on
        self._returning = returning
        kinds = [table.c[name].type for name in self._columns]
        self._is_json = [isinstance(kind, JSON) for kind in kinds]
        self._pg_types = [pg_array_type(kind) for kind in kinds]
        self._pg_convert = self._converters(kinds, sqlite=False)
        self._sqlite_convert = self._converters(kinds, sqlite=True)
        self._pg_sql: str | None = None
        self._sqlite_sql: dict[int, str] = {}

    @staticmethod
    def _converters(kinds, *, sqlite: bool) -> list[tuple[int, Callable[[Any], Any]]]:
        converters = []
        for index, kind in enumerate(kinds):
            if isinstance(kind, UtcDateTime):
                converters.append((index, _sqlite_stamp_or_none if sqlite else _pg_stamp_or_none))
            elif isinstance(kind, JSON):
                converters.append((index, _json_text))
            elif sqlite and isinstance(kind, Boolean):
                converters.append((index, _sqlite_bool))
        return converters

    def _tail(self) -> str:
        tail = f" ON CONFLICT ({self._conflict}) DO NOTHING" if self._conflict else ""
        return tail + (f" RETURNING {self._returning}" if self._returning else "")

    def _pg_statement(self) -> str:
        if self._pg_sql is None:
            names = ", ".join(self._columns)
            selected = ", ".join(f"{name}::json" if is_json else name for name, is_json in zip(self._columns, self._is_json))
            arrays = ", ".join(f"${n}::{kind}[]" for n, kind in enumerate(self._pg_types, 1))
            self._pg_sql = (
                f"INSERT INTO {self._table.name} ({names}) SELECT {selected} FROM unnest({arrays}) AS u({names})"
                + self._tail()
            )
        return self._pg_sql

    def _sqlite_statement(self, rows: int) -> str:
        statement = self._sqlite_sql.get(rows)
        if statement is None:
            one = "(" + ", ".join("?" for _ in self._columns) + ")"
            statement = f"INSERT INTO {self._table.name} ({', '.join(self._columns)}) VALUES " + ", ".join([one] * rows)
            statement = self._sqlite_sql[rows] = statement + self._tail()
        return statement

    @staticmethod
    def _converted(rows: Sequence[Sequence[Any]], converters) -> list[list[Any]]:
        if not converters:
            return [list(row) for row in rows]
        # A batch repeats values (its own clock, a ticket's timestamps in each of its events):
        # each distinct one is converted once. Keyed by type too, so that 1 and True stay apart.
        done: dict[tuple[Any, type, Callable], Any] = {}
        out = []
        for row in rows:
            values = list(row)
            for index, convert in converters:
                value = values[index]
                if value is None:
                    continue
                try:
                    key = (value, type(value), convert)
                    converted = done.get(key, _MISSING)
                except TypeError:  # unhashable (a JSON list): convert it every time
                    values[index] = convert(value)
                    continue
                if converted is _MISSING:
                    converted = done[key] = convert(value)
                values[index] = converted
            out.append(values)
        return out

    async def execute(self, session: AsyncSession, rows: Sequence[Sequence[Any]]) -> list[Any]:
        if not rows:
            return []
        driver = await driver_connection(session)
        if session.bind.dialect.name == "postgresql":
            columns = [list(values) for values in zip(*self._converted(rows, self._pg_convert))]
            if self._returning:
                return [record[0] for record in await driver.fetch(self._pg_statement(), *columns)]
            await driver.execute(self._pg_statement(), *columns)
            return []
        values = self._converted(rows, self._sqlite_convert)
        if not self._returning:
            await driver.executemany(self._sqlite_statement(1), values)
            return []
        returned: list[Any] = []
        for start in range(0, len(values), _SQLITE_ROWS_PER_STATEMENT):
            chunk = values[start : start + _SQLITE_ROWS_PER_STATEMENT]
            flat = [value for row in chunk for value in row]
            returned.extend(row[0] for row in await driver.execute_fetchall(self._sqlite_statement(len(chunk)), flat))
        return returned
