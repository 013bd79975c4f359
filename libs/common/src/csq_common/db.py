"""Async SQLAlchemy engine and sessions for SQLite (WAL) and PostgreSQL.

Every service declares its models on :class:`Base`; the outbox and inbox tables live on it too,
so one metadata per service process holds everything its migrations create.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from datetime import datetime, timezone


import asyncpg
import orjson
from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.exc import InterfaceError as SAInterfaceError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

from csq_common.sqlite import create_sqlite_engine

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UtcDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on both backends (SQLite stores naive text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        # SQLite's DATETIME stores the fields without the offset: UTC first, on both databases
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def could_be_key(value: str, max_length: int) -> bool:
    """Could ``value`` (a path parameter, say) be a stored key of at most ``max_length``
    characters? Checked before a lookup: PostgreSQL refuses NUL in text parameters outright,
    and a longer value cannot match, so either is simply "not found"."""
    return 0 < len(value) <= max_length and "\x00" not in value


# SQLSTATE prefixes of a server that is away, starting, stopping or out of connections (not of a
# wrong statement): 08 connection exception, 57P operator intervention, 53300 too many connections.
_UNAVAILABLE_SQLSTATES = ("08", "57P", "53300")
# What SQLite says when another connection holds the lock past the busy timeout.
_SQLITE_BUSY = ("database is locked", "database table is locked")


def database_unavailable(exc: BaseException) -> bool:
    """True if ``exc`` says the database cannot be used right now (retry later), not that what was
    asked of it is wrong: a lost or refused connection, a server restarting, SQLite still locked
    after its busy timeout. The one rule for the consumers' retries and the HTTP 503.

    Looks at the error SQLAlchemy raised, the driver's own error under it, and errors raised by
    statements sent straight to the driver connection (asyncpg, aiosqlite), which SQLAlchemy never
    sees: by SQLSTATE where there is one, else by the driver's connection error classes."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if _unavailable_by_itself(exc):
            return True
        exc = getattr(exc, "orig", None) or exc.__cause__
    return False


def _unavailable_by_itself(exc: BaseException) -> bool:
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, SAInterfaceError):  # SQLAlchemy's: the connection, not the statement
        return True
    sqlstate = getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None)
    if isinstance(sqlstate, str) and sqlstate.startswith(_UNAVAILABLE_SQLSTATES):
        return True
    # asyncpg: "connection was closed in the middle of operation", "connection is closed",
    # "cannot perform operation: another operation is in progress" after a lost connection.
    if isinstance(exc, (asyncpg.exceptions.InterfaceError, asyncpg.exceptions.ConnectionDoesNotExistError)):
        return True
    if isinstance(exc, sqlite3.OperationalError) or type(exc).__name__ == "OperationalError":
        return any(phrase in str(exc) for phrase in _SQLITE_BUSY)
    # The socket's own errors when the server cannot be reached or drops the connection.
    return isinstance(exc, (ConnectionError, TimeoutError))


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def sqlite_timestamp(ts: datetime) -> str:
    """A UTC datetime as :class:`UtcDateTime` stores it in SQLite (naive UTC text,
    ``YYYY-MM-DD HH:MM:SS.ffffff``), for statements run on the driver connection."""
    if ts.tzinfo is not timezone.utc:
        ts = ts.astimezone(timezone.utc)
    return ts.isoformat(" ", "microseconds")[:-6]  # without its "+00:00"


def sqlite_timestamps(values: Sequence[datetime | None]) -> list[str | None]:
    """:func:`sqlite_timestamp` of each of ``values`` (None stays None; a naive one raises
    ``ValueError``). orjson writes them all in one call, as RFC 3339 with ``Z``, which is cut
    into the stored form: a few times faster than a ``isoformat`` each, which a consumer batch
    of thousands of rows notices."""
    utc = [value if value is None or value.tzinfo is timezone.utc else _utc_of_aware(value) for value in values]
    try:
        texts = orjson.loads(orjson.dumps(utc, option=orjson.OPT_UTC_Z))
    except TypeError:  # not all plain datetimes (a subclass orjson does not take): one by one
        return [None if value is None else sqlite_timestamp(value) for value in utc]
    return [
        text if text is None
        else f"{text[:10]} {text[11:26]}" if len(text) == 27
        else f"{text[:10]} {text[11:19]}.000000" if len(text) == 20
        else sqlite_timestamp(value)  # a year orjson does not write with four digits
        for text, value in zip(texts, utc)
    ]


def _utc_of_aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return value.astimezone(timezone.utc)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def create_engine(url: str, *, pool_size: int = 10, read_only: bool = False, idle_seconds: float = 5.0) -> AsyncEngine:
    """``read_only`` (SQLite): plain deferred BEGIN, so readers never queue behind writers.
    ``idle_seconds`` (PostgreSQL): pooled connections idle that long are pinged before use."""
    if is_sqlite(url):
        return create_sqlite_engine(url, read_only=read_only)
    # hide_parameters: error text never carries bound values (customer data) into logs or dead letters.
    engine = create_async_engine(url, pool_size=pool_size, max_overflow=pool_size, hide_parameters=True)
    _ping_when_idle(engine, idle_seconds)
    return engine


def _ping_when_idle(engine: AsyncEngine, idle_seconds: float) -> None:
    """Pessimistic disconnect handling without a round trip per checkout (``pool_pre_ping`` costs
    one to three on every request: a third of a KPI read). A connection that sat in the pool for
    ``idle_seconds`` or more is pinged when checked out, and a dead one replaced (SQLAlchemy
    retries the checkout on ``DisconnectionError``). One used more recently is trusted: if the
    server went away in those seconds, its next statement fails once, SQLAlchemy invalidates the
    whole pool, and the checkouts after that reconnect."""

    @event.listens_for(engine.sync_engine, "connect")
    @event.listens_for(engine.sync_engine, "checkin")
    def _idle_from_now(dbapi_connection, record):  # pragma: no cover - driver hook
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, proxy):  # pragma: no cover - driver hook
        if time.monotonic() - record.info.get("idle_since", 0.0) < idle_seconds:
            return
        try:
            dbapi_connection.ping()
        except Exception as exc:
            raise DisconnectionError(f"idle connection found dead: {exc!r}") from exc


def read_engine(engine: AsyncEngine, *, autocommit: bool = False) -> AsyncEngine:
    """The engine of a service's read-only sessions. SQLite: a second engine whose plain deferred
    BEGIN never queues behind the writers. PostgreSQL: the same pool; with ``autocommit``, every
    statement runs on its own (its own snapshot) without BEGIN/ROLLBACK, and the pool's pre-ping
    needs no transaction either: four round trips fewer per request, for services whose reads are
    each one statement."""
    if engine.dialect.name == "sqlite":
        return create_engine(engine.url.render_as_string(hide_password=False), read_only=True)
    return engine.execution_options(isolation_level="AUTOCOMMIT") if autocommit else engine


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=True)


@asynccontextmanager
async def transaction(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One unit of work: a session that commits once when the block ends and rolls back if it
    raises (or, when the database went away, drops the connection instead of pooling it). Every
    commit point (a request, a consumer batch, a worker's round) goes through it."""
    async with factory() as session:
        try:
            yield session
            await session.commit()
        except BaseException as exc:
            if isinstance(exc, Exception) and database_unavailable(exc):
                # The connection may be dead without SQLAlchemy knowing (an error from a statement
                # sent on the driver connection): never hand it back to the pool.
                with suppress(Exception):  # closing a lost connection may fail too
                    await session.invalidate()
            else:
                await session.rollback()
            raise


async def transactional_session(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """The request's session (a FastAPI dependency): :func:`transaction` around the request."""
    async with transaction(factory) as session:
        yield session
