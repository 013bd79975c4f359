"""SQLite engines: write transactions take turns in the event loop, and always give them back;
commits leave the WAL checkpoints to the background checkpointer."""

import asyncio

import pytest
from sqlalchemy import text

from csq_common.db import create_engine, database_unavailable, read_engine, session_factory
from csq_common.sqlite import BACKSTOP_CHECKPOINT_PAGES, WAL_PAGES, WalCheckpointer, WriterTurns, wal_checkpointer
from csq_testing import rows_in_database_file


@pytest.fixture
async def writer(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'turns.db'}")
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE log (n integer)"))
    yield engine
    await engine.dispose()


async def test_concurrent_write_transactions_run_one_after_the_other_and_all_commit(writer):
    sessions = session_factory(writer)
    inside: list[int] = []
    overlaps: list[tuple[int, int]] = []

    async def write(n: int) -> None:
        async with sessions() as session:
            await session.execute(text("INSERT INTO log VALUES (:n)"), {"n": n})
            if inside:
                overlaps.append((inside[-1], n))
            inside.append(n)
            await asyncio.sleep(0.01)  # other writers are queued meanwhile, not inside SQLite
            inside.remove(n)
            await session.commit()

    await asyncio.wait_for(asyncio.gather(*(write(n) for n in range(8))), 30)
    assert overlaps == []  # never two write transactions at once
    async with writer.connect() as connection:
        assert sorted((await connection.execute(text("SELECT n FROM log"))).scalars()) == list(range(8))


async def test_the_turn_is_given_back_after_a_rollback_a_failed_statement_and_a_thrown_away_connection(writer):
    sessions = session_factory(writer)
    async with sessions() as session:
        await session.execute(text("INSERT INTO log VALUES (1)"))
        await session.rollback()
    async with sessions() as session:
        with pytest.raises(Exception):
            await session.execute(text("INSERT INTO nowhere VALUES (1)"))
    async with writer.connect() as connection:
        await connection.begin()
        await connection.execute(text("INSERT INTO log VALUES (2)"))
        await connection.invalidate()  # closed mid-transaction: SQLite rolls it back

    async def one_more() -> int:
        async with sessions() as session:
            await session.execute(text("INSERT INTO log VALUES (3)"))
            await session.commit()
            return await session.scalar(text("SELECT count(*) FROM log"))

    assert await asyncio.wait_for(one_more(), 10) == 1  # it got its turn; only its own row is there


async def test_a_turn_not_given_within_the_busy_timeout_is_database_is_locked():
    turns = WriterTurns(timeout=0.05)
    first, second = object(), object()
    await turns.take(first)
    await turns.take(first)  # the holder asking again waits for nothing
    with pytest.raises(Exception) as refused:
        await turns.take(second)
    assert "database is locked" in str(refused.value) and database_unavailable(refused.value)
    turns.give_back(second)  # not the holder: nothing happens
    assert turns.holder is first
    turns.give_back(first)
    await asyncio.wait_for(turns.take(second), 1)
    assert turns.holder is second


# ---- WAL checkpoints ------------------------------------------------------------------------------


async def test_commits_no_longer_checkpoint_and_the_checkpointer_copies_the_log_into_the_database(tmp_path):
    path = tmp_path / "wal.db"
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    checkpointer = WalCheckpointer(str(path))
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE log (n integer, padding blob)"))
        await checkpointer.work_once()  # the table itself is in the database file now
        sessions = session_factory(engine)
        for start in range(0, 3000, 100):  # ~2,000 pages: twice SQLite's default checkpoint threshold
            async with sessions() as session:
                await session.execute(
                    text("INSERT INTO log VALUES (:n, zeroblob(2000))"), [{"n": n} for n in range(start, start + 100)]
                )
                await session.commit()
        wal_pages = (path.parent / "wal.db-wal").stat().st_size // 4096
        assert 1000 < wal_pages < BACKSTOP_CHECKPOINT_PAGES
        assert rows_in_database_file(path, "log") == 0  # no commit checkpointed on its way

        await checkpointer.work_once()
        assert rows_in_database_file(path, "log") == 3000
        assert WAL_PAGES._value.get() >= 1000  # the log is copied, not yet restarted: its size shows
    finally:
        await checkpointer.stop()
        await engine.dispose()


async def test_every_connection_keeps_only_the_backstop_checkpoint(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'pragmas.db'}")
    reader = read_engine(engine)
    try:
        for each in (engine, reader):
            async with each.connect() as connection:
                assert await connection.scalar(text("PRAGMA wal_autocheckpoint")) == BACKSTOP_CHECKPOINT_PAGES
                assert await connection.scalar(text("PRAGMA journal_mode")) == "wal"
    finally:
        await reader.dispose()
        await engine.dispose()


async def test_a_checkpointer_is_only_for_a_sqlite_file(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'file.db'}")
    memory = create_engine("sqlite+aiosqlite:///:memory:")
    try:
        assert isinstance(wal_checkpointer(engine), WalCheckpointer)
        assert wal_checkpointer(memory) is None
    finally:
        await memory.dispose()
        await engine.dispose()
