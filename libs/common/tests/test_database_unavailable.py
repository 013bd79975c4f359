"""One rule for "the database cannot be used right now": the consumers retry on it and the HTTP
side answers 503 on it, for errors from SQLAlchemy and from statements sent to the driver."""

import contextlib

import asyncpg
import pytest
from sqlalchemy import text

from csq_common.db import create_engine, database_unavailable, session_factory
from csq_common.sql import driver_connection
from csq_testing import POSTGRES_ADMIN_URL


async def _terminate_backend(pid: int) -> None:
    admin = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        await admin.execute("SELECT pg_terminate_backend($1, 5000)", pid)  # waits until it is gone
    finally:
        await admin.close()


async def test_a_terminated_postgres_backend_is_unavailable_through_the_driver_and_through_sqlalchemy(
    db_backend, database_url
):
    if db_backend != "postgres":
        pytest.skip("pg_terminate_backend is PostgreSQL's")
    engine = create_engine(database_url)
    try:
        for path in ("driver", "sqlalchemy"):
            session = session_factory(engine)()
            try:
                driver = await driver_connection(session)
                await _terminate_backend(await driver.fetchval("SELECT pg_backend_pid()"))
                with pytest.raises(Exception) as raised:
                    if path == "driver":
                        await driver.fetchval("SELECT 1")
                    else:
                        await session.execute(text("SELECT 1"))
                assert database_unavailable(raised.value), f"{path}: {raised.value!r}"
            finally:
                with contextlib.suppress(Exception):  # its connection is gone: closing may fail too
                    await session.invalidate()
                with contextlib.suppress(Exception):
                    await session.close()
    finally:
        await engine.dispose()


def test_server_states_are_unavailable_by_sqlstate_and_a_wrong_statement_is_not():
    assert database_unavailable(asyncpg.exceptions.AdminShutdownError("terminating connection"))  # 57P01
    assert database_unavailable(asyncpg.exceptions.CannotConnectNowError("the database system is starting up"))  # 57P03
    assert database_unavailable(asyncpg.exceptions.TooManyConnectionsError("too many clients"))  # 53300
    assert database_unavailable(asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed"))  # 08003
    assert not database_unavailable(asyncpg.exceptions.UniqueViolationError("duplicate key"))  # 23505
    assert not database_unavailable(asyncpg.exceptions.UndefinedColumnError("no such column"))  # 42703
