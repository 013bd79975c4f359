"""BulkInsert writes what SQLAlchemy itself would store, inside the session's transaction."""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import JSON, Boolean, Column, Float, Integer, LargeBinary, MetaData, String, Table, insert, select

from csq_common.sql import BulkInsert
from csq_common.db import UtcDateTime

metadata = MetaData()
things = Table(
    "bulk_things",
    metadata,
    Column("id", String(50), primary_key=True),
    Column("at", UtcDateTime, nullable=True),
    Column("flag", Boolean, nullable=False),
    Column("ratio", Float, nullable=True),
    Column("count", Integer, nullable=False),
    Column("tags", JSON, nullable=False),
    Column("blob", LargeBinary, nullable=False),
)
COLUMNS = ("id", "at", "flag", "ratio", "count", "tags", "blob")
CLAIM = BulkInsert(things, COLUMNS, skip_conflicts_on="id", returning="id")
PLAIN = BulkInsert(things, COLUMNS)
SHANGHAI = timezone(timedelta(hours=8))


@pytest.fixture
async def sessions(engine, sessions):
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    return sessions


def row(key: str, **overrides) -> tuple:
    values = {
        "id": key, "at": datetime(2026, 11, 20, 18, 30, 0, 123456, tzinfo=SHANGHAI), "flag": True, "ratio": 0.5,
        "count": 3, "tags": ["退款", "a\"b"], "blob": b"\x00\xffpayload",
    }
    values.update(overrides)
    return tuple(values[name] for name in COLUMNS)


async def stored(sessions) -> list[tuple]:
    async with sessions() as session:
        return [tuple(r) for r in await session.execute(select(things).order_by(things.c.id))]


async def test_rows_read_back_through_sqlalchemy_exactly_as_its_own_insert_stores_them(sessions):
    async with sessions() as session:
        assert sorted(await CLAIM.execute(session, [row("a"), row("b", at=None, flag=False, ratio=None, tags=[])])) == ["a", "b"]
        await session.execute(insert(things), [dict(zip(COLUMNS, row("c")))])  # SQLAlchemy's own path
        await session.commit()
    a, b, c = await stored(sessions)
    assert a[1:] == c[1:]
    assert a[1] == datetime(2026, 11, 20, 10, 30, 0, 123456, tzinfo=timezone.utc)
    assert b[1:] == (None, False, None, 3, [], b"\x00\xffpayload")


async def test_conflicting_rows_are_skipped_and_not_returned(sessions):
    async with sessions() as session:
        await CLAIM.execute(session, [row("a")])
        await session.commit()
    async with sessions() as session:
        assert await CLAIM.execute(session, [row("a", count=9), row("b")]) == ["b"]
        await session.commit()
    assert [(r[0], r[4]) for r in await stored(sessions)] == [("a", 3), ("b", 3)]


async def test_a_plain_insert_of_many_rows_returns_nothing(sessions):
    async with sessions() as session:
        assert await PLAIN.execute(session, [row(f"k{n:04d}") for n in range(1200)]) == []
        await session.commit()
    assert len(await stored(sessions)) == 1200


async def test_more_rows_than_one_statement_holds_are_all_claimed(sessions):
    async with sessions() as session:
        claimed = await CLAIM.execute(session, [row(f"k{n:04d}") for n in range(1200)])
        await session.commit()
    assert sorted(claimed) == [f"k{n:04d}" for n in range(1200)]


async def test_the_insert_rolls_back_with_the_session_even_as_its_first_statement(sessions):
    async with sessions() as session:
        await CLAIM.execute(session, [row("a")])  # the first statement of the transaction
        await session.rollback()
    async with sessions() as session:
        await PLAIN.execute(session, [row("b")])
        await session.rollback()
    assert await stored(sessions) == []


async def test_naive_datetimes_are_refused(sessions):
    async with sessions() as session:
        with pytest.raises(ValueError, match="naive datetime"):
            await CLAIM.execute(session, [row("a", at=datetime(2026, 11, 20))])


async def test_repeated_values_in_a_batch_are_stored_like_distinct_ones(sessions):
    same = datetime(2026, 11, 20, 10, tzinfo=timezone.utc)
    rows = [
        row("a", at=same, flag=True, count=1),
        row("b", at=same.astimezone(SHANGHAI), flag=True, count=1),
        row("c", at=same, flag=False, count=0),
    ]
    async with sessions() as session:
        await PLAIN.execute(session, rows)
        await session.commit()
    assert [(r[0], r[1], r[2], r[4]) for r in await stored(sessions)] == [
        ("a", same, True, 1), ("b", same, True, 1), ("c", same, False, 0),
    ]
