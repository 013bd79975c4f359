from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, strategies as st
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from csq_common.bus import inbox
from csq_common.bus.models import InboxMessage
from csq_common.db import could_be_key, create_engine, sqlite_timestamp, sqlite_timestamps
from csq_common.events import CloudEvent


def _event(event_id: str) -> CloudEvent:
    return CloudEvent(id=event_id, source="t", type="ticket.closed", time=datetime(2026, 11, 20, 10, tzinfo=timezone.utc))


async def test_inbox_claims_each_event_once_across_and_within_batches(sessions):
    async with sessions() as session:
        first = await inbox.claim(session, "g", [("t", _event("a")), ("t", _event("b")), ("t", _event("a"))])
        await session.commit()
    async with sessions() as session:
        second = await inbox.claim(session, "g", [("t", _event("b")), ("t", _event("c"))])
        other_group = await inbox.claim(session, "h", [("t", _event("a"))])
        await session.commit()
    assert [e.id for e in first] == ["a", "b"]
    assert [e.id for e in second] == ["c"]
    assert [e.id for e in other_group] == ["a"]


async def test_inbox_claim_rolls_back_with_the_effect(sessions):
    async with sessions() as session:
        await inbox.claim(session, "g", [("t", _event("a"))])
        await session.rollback()  # the effect failed: the claim must go with it
    async with sessions() as session:
        assert await inbox.claim(session, "g", [("t", _event("a"))]) != []


async def test_utc_datetimes_round_trip_as_aware_utc(sessions):
    shanghai = timezone(timedelta(hours=8))
    async with sessions() as session:
        session.add(InboxMessage(consumer_group="g", event_id="x", event_type="t", topic="t", received_at=datetime(2026, 11, 20, 18, tzinfo=shanghai)))
        await session.commit()
    async with sessions() as session:
        stored = await session.scalar(select(InboxMessage.received_at))
    assert stored == datetime(2026, 11, 20, 10, tzinfo=timezone.utc) and stored.utcoffset() == timedelta(0)


async def test_naive_datetimes_are_refused(sessions):
    async with sessions() as session:
        session.add(InboxMessage(consumer_group="g", event_id="x", event_type="t", topic="t", received_at=datetime(2026, 11, 20)))
        with pytest.raises(Exception, match="naive datetime"):
            await session.flush()



_ZONES = st.sampled_from([timezone.utc, timezone(timedelta(hours=5, minutes=45)), timezone(timedelta(hours=-9, minutes=-30))])


@given(st.lists(st.one_of(st.none(), st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=_ZONES))))
def test_a_column_of_timestamps_is_stored_for_sqlite_as_each_one_alone(values):
    """The batch form (orjson, cut) gives what the one-at-a-time form gives, for every year, any
    offset, with and without microseconds, None kept in place."""
    assert sqlite_timestamps(values) == [None if value is None else sqlite_timestamp(value) for value in values]


def test_a_column_of_timestamps_with_a_naive_one_is_refused():
    with pytest.raises(ValueError, match="naive"):
        sqlite_timestamps([datetime(2026, 12, 7, tzinfo=timezone.utc), datetime(2026, 12, 7)])


def test_a_key_with_nul_too_long_or_empty_cannot_be_stored():
    assert could_be_key("T-1001", 200)
    assert could_be_key("x" * 36, 36)
    assert not could_be_key("x" * 37, 36)
    assert not could_be_key("T-\x00", 200)
    assert not could_be_key("", 200)


async def test_inbox_rows_written_on_the_driver_read_back_through_the_orm(sessions):
    before = datetime.now(timezone.utc)
    async with sessions() as session:
        await inbox.claim(session, "g", [("csq.tickets", _event("a"))])
        await session.commit()
    async with sessions() as session:
        row = (await session.execute(select(InboxMessage))).scalar_one()
    assert (row.consumer_group, row.event_id, row.event_type, row.topic) == ("g", "a", "ticket.closed", "csq.tickets")
    assert row.received_at.tzinfo is not None and before - timedelta(seconds=1) <= row.received_at <= datetime.now(timezone.utc)


async def _backend_pid(engine) -> int:
    async with engine.connect() as connection:
        return await connection.scalar(text("SELECT pg_backend_pid()"))


async def _terminate(database_url: str, pid: int) -> None:
    killer = create_engine(database_url)
    try:
        async with killer.connect() as connection:
            assert await connection.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        await killer.dispose()


async def test_a_pooled_connection_that_sat_idle_is_pinged_and_replaced_if_dead(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL connection pool (SQLite has no server to lose)")
    engine = create_engine(database_url, pool_size=1, idle_seconds=0)  # every checkout counts as idle
    try:
        pid = await _backend_pid(engine)
        await _terminate(database_url, pid)
        assert await _backend_pid(engine) != pid  # the dead one was found at checkout, not by the query
    finally:
        await engine.dispose()


async def test_a_recently_used_connection_is_trusted_and_one_failure_resets_the_pool(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL connection pool (SQLite has no server to lose)")
    engine = create_engine(database_url, pool_size=1, idle_seconds=3600)  # never pinged
    try:
        pid = await _backend_pid(engine)
        await _terminate(database_url, pid)
        with pytest.raises(DBAPIError):  # no round trip spent checking it: the statement finds out
            await _backend_pid(engine)
        assert await _backend_pid(engine) not in (pid, None)
    finally:
        await engine.dispose()


async def test_a_sqlite_connection_is_rolled_back_on_return_only_if_a_transaction_is_still_open(database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's pool reset (PostgreSQL's adapter rolls back only a transaction it holds)")
    engine = create_engine(database_url, pool_size=1)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE reset_probe (n integer)"))
        # A transaction SQLAlchemy does not know about (begun on the driver) is still rolled back
        # when the connection goes back to the pool, so the next user is not inside it.
        async with engine.connect() as connection:
            driver = (await connection.get_raw_connection()).driver_connection
            await driver.execute("BEGIN IMMEDIATE")
            await driver.execute("INSERT INTO reset_probe VALUES (1)")
            assert driver.in_transaction
        async with engine.begin() as connection:  # BEGIN IMMEDIATE again: no "within a transaction"
            driver = (await connection.get_raw_connection()).driver_connection
            assert await connection.scalar(text("SELECT count(*) FROM reset_probe")) == 0
            await connection.execute(text("INSERT INTO reset_probe VALUES (2)"))
        assert not driver.in_transaction  # committed, and nothing to roll back on return
        async with engine.connect() as connection:
            assert await connection.scalar(text("SELECT count(*) FROM reset_probe")) == 1
    finally:
        await engine.dispose()


async def test_transaction_commits_when_the_block_ends_and_rolls_back_when_it_raises(database_url):
    from sqlalchemy import text as sql_text

    from csq_common.db import session_factory, transaction

    engine = create_engine(database_url)
    sessions = session_factory(engine)
    try:
        async with engine.begin() as connection:
            await connection.execute(sql_text("CREATE TABLE transaction_probe (n integer)"))
        async with transaction(sessions) as session:
            await session.execute(sql_text("INSERT INTO transaction_probe VALUES (1)"))
        with pytest.raises(RuntimeError):
            async with transaction(sessions) as session:
                await session.execute(sql_text("INSERT INTO transaction_probe VALUES (2)"))
                raise RuntimeError("the unit of work failed")
        async with sessions() as session:
            assert (await session.execute(sql_text("SELECT n FROM transaction_probe"))).scalars().all() == [1]
    finally:
        await engine.dispose()
