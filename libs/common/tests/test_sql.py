"""csq_common.sql: each set-based operation gives the same result on SQLite and PostgreSQL, in the
session's transaction, with values stored as SQLAlchemy itself stores them."""

import asyncio
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import JSON, BigInteger, Column, Integer, LargeBinary, MetaData, String, Table, bindparam, event, func, insert, select

from csq_common import sql
from csq_common.db import UtcDateTime

metadata = MetaData()
claims = Table(
    "sql_claims",
    metadata,
    Column("ticket_id", String(50), primary_key=True),
    Column("closed_at", UtcDateTime, primary_key=True),
    Column("note", String(50), nullable=True),
)
counters = Table(
    "sql_counters",
    metadata,
    Column("name", String(50), primary_key=True),
    Column("bucket", UtcDateTime, primary_key=True),
    Column("hits", Integer, nullable=False),
    Column("total", Integer, nullable=False),
    Column("blob", LargeBinary, nullable=False),
)
#: Integer columns that may be NULL (sent to PostgreSQL as array literals all the same).
caps = Table("sql_caps", metadata, Column("name", String(50), primary_key=True), Column("hits", Integer, nullable=False),
             Column("cap", BigInteger), Column("floor", Integer))
#: JSON beside a timestamp, written by the set-based operations and read back through SQLAlchemy.
documents = Table("sql_documents", metadata, Column("name", String(50), primary_key=True), Column("at", UtcDateTime),
                  Column("body", JSON))
jobs = Table("sql_jobs", metadata, Column("id", Integer, primary_key=True, autoincrement=False))
SHANGHAI = timezone(timedelta(hours=8))
T0 = datetime(2026, 11, 20, 10, 0, 0, 123456, tzinfo=timezone.utc)
COUNTER_COLUMNS = ("name", "bucket", "hits", "total", "blob")


@pytest.fixture
async def sessions(engine, sessions):
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    return sessions


async def all_rows(sessions, table) -> list[tuple]:
    async with sessions() as session:
        return [tuple(r) for r in await session.execute(select(table).order_by(*table.primary_key.columns))]


async def test_claim_new_returns_the_keys_not_stored_yet_and_stores_the_rows(sessions):
    async with sessions() as session:
        first = await sql.claim_new(session, claims, ("ticket_id", "closed_at", "note"), [("T-1", T0, "a"), ("T-2", T0, "b")])
        await session.commit()
    assert first == {("T-1", T0), ("T-2", T0)}
    later = T0 + timedelta(hours=1)
    async with sessions() as session:
        # the same instant in another zone is the same key; another closed_at is another closure
        second = await sql.claim_new(
            session, claims, ("ticket_id", "closed_at", "note"),
            [("T-1", T0.astimezone(SHANGHAI), "again"), ("T-1", later, "c"), ("T-3", T0, None)],
        )
        await session.commit()
    assert second == {("T-1", later), ("T-3", T0)}
    assert await all_rows(sessions, claims) == [
        ("T-1", T0, "a"), ("T-1", later, "c"), ("T-2", T0, "b"), ("T-3", T0, None),
    ]


async def test_claim_new_of_more_keys_than_one_statement_holds(sessions):
    keys = [(f"T-{n:05d}", T0 + timedelta(seconds=n)) for n in range(25_000)]
    async with sessions() as session:
        assert await sql.claim_new(session, claims, ("ticket_id", "closed_at"), keys[:100]) == set(keys[:100])
        assert await sql.claim_new(session, claims, ("ticket_id", "closed_at"), keys) == set(keys[100:])
        await session.commit()
    assert len(await all_rows(sessions, claims)) == 25_000


async def test_claim_new_needs_the_primary_key_first(sessions):
    async with sessions() as session:
        with pytest.raises(ValueError, match="primary key"):
            await sql.claim_new(session, claims, ("closed_at", "ticket_id"), [(T0, "T-1")])


async def test_a_claim_as_the_first_statement_rolls_back_with_the_session(sessions):
    async with sessions() as session:
        assert await sql.claim_new(session, claims, ("ticket_id", "closed_at"), [("T-1", T0)])
        await session.rollback()
    assert await all_rows(sessions, claims) == []


async def test_add_to_counters_adds_the_added_columns_and_replaces_the_replaced_ones(sessions):
    columns = COUNTER_COLUMNS
    async with sessions() as session:
        await sql.add_to_counters(session, counters, columns, [("a", T0, 1, 10, b"x")], added=("hits", "total"))
        await session.commit()
    async with sessions() as session:
        await sql.add_to_counters(
            session, counters, columns,
            [("a", T0.astimezone(SHANGHAI), 2, 5, b"y"), ("b", T0, 7, 0, b"z")],
            added=("hits", "total"), replaced=("blob",),
        )
        await sql.add_to_counters(session, counters, columns, [("a", T0, 1, 1, b"ignored")], added=("hits", "total"))
        await session.commit()
    assert await all_rows(sessions, counters) == [("a", T0, 4, 16, b"y"), ("b", T0, 7, 0, b"z")]


async def test_add_columns_to_counters_is_add_to_counters_given_column_by_column(sessions):
    columns = COUNTER_COLUMNS
    async with sessions() as session:
        await sql.add_columns_to_counters(session, counters, columns, [["a"], [T0], [1], [10], [b"x"]], added=("hits", "total"))
        await session.commit()
    async with sessions() as session:
        await sql.add_columns_to_counters(
            session, counters, columns,
            [["a", "b"], [T0.astimezone(SHANGHAI), T0], [2, 7], [5, 0], [b"y", b"z"]],
            added=("hits", "total"), replaced=("blob",),
        )
        await sql.add_columns_to_counters(session, counters, columns, [["a"], [T0], [1], [1], [b"ignored"]], added=("hits", "total"))
        await sql.add_columns_to_counters(session, counters, columns, [[], [], [], [], []], added=("hits",))
        await session.commit()
    assert await all_rows(sessions, counters) == [("a", T0, 4, 16, b"y"), ("b", T0, 7, 0, b"z")]


async def test_add_to_counters_replaces_integers_with_nulls_among_them(sessions):
    columns = ("name", "hits", "cap", "floor")
    async with sessions() as session:
        await sql.add_to_counters(session, caps, columns, [("a", 1, 5, None), ("b", 1, None, None)], added=("hits",))
        await sql.add_to_counters(
            session, caps, columns, [("a", 1, None, 3), ("b", 1, 2**40, None)], added=("hits",), replaced=("cap", "floor")
        )
        await session.commit()
    assert await all_rows(sessions, caps) == [("a", 2, None, 3), ("b", 2, 2**40, None)]


async def test_json_and_timestamps_written_by_add_to_counters_read_back_as_sqlalchemy_reads_them(sessions):
    late = datetime(999, 1, 2, 3, 4, 5, tzinfo=SHANGHAI)  # a three-digit year, in another zone
    bodies = {
        "a": [["2026-11-20T10:00:00+00:00", "open"], ["2026-11-20T10:00:00.5+00:00", "待处理"]],
        "b": {"tags": ["投诉", "repair"], "huge": 2**70, "nested": [None, True, 1.5]},
        "c": None,
    }
    async with sessions() as session:
        await sql.add_to_counters(
            session, documents, ("name", "at", "body"),
            [("a", T0, bodies["a"]), ("b", late, bodies["b"]), ("c", T0.replace(microsecond=0), None)],
            added=(), replaced=("at", "body"),
        )
        # a datetime inside JSON is written as RFC 3339, as datetime.isoformat gives it
        await sql.add_to_counters(
            session, documents, ("name", "at", "body"), [("d", T0, [[T0, "open"], [late, "closed"]])], added=(), replaced=("body",)
        )
        await session.commit()
    assert await all_rows(sessions, documents) == [
        ("a", T0, bodies["a"]),
        ("b", late, bodies["b"]),
        ("c", T0.replace(microsecond=0), None),
        ("d", T0, [[T0.isoformat(), "open"], [late.isoformat(), "closed"]]),
    ]
    async with sessions() as session:  # stored as SQLAlchemy stores them: its own comparisons find them
        found = await session.scalars(select(documents.c.name).where(documents.c.at.in_([late, T0.replace(microsecond=0)])))
        assert sorted(found) == ["b", "c"]


#: Strings a CRM may send that an array literal must escape, or must not take for NULL.
AWKWARD = ['he said "hi"', "C:\\tickets\\", "two\nlines\ttab", "{braces}, commas", "  padded  ", "", "NULL", "null", "李雷 的工单",
           "\u0001", "emoji 🎧"]


async def test_awkward_strings_and_timestamps_round_trip_through_every_set_based_write_and_lookup(sessions):
    """Text, integers and timestamps go to PostgreSQL as array literals: each value comes back as
    given, whatever it holds, on both databases."""
    rows = [(text, T0 + timedelta(microseconds=n), None if n % 2 else text) for n, text in enumerate(AWKWARD)]
    later = (T0 + timedelta(hours=1)).astimezone(SHANGHAI)
    async with sessions() as session:
        await sql.insert_many(session, claims, ("ticket_id", "closed_at", "note"), rows)
        claimed = await sql.claim_new(session, claims, ("ticket_id", "closed_at"), [(text, later) for text in AWKWARD] + [rows[0][:2]])
        found = await sql.rows_by_keys(session, claims, ("ticket_id", "closed_at"), ("note",), [row[:2] for row in rows])
        in_range = await sql.positions_with_row_in_range(
            session, claims, equal=("ticket_id",), between="closed_at", probes=[(text, T0, T0 + timedelta(seconds=1)) for text in AWKWARD]
        )
        counted = [(text, True if n == 0 else 1, 2**40, None) for n, text in enumerate(AWKWARD)]  # True counts as 1
        await sql.add_to_counters(session, caps, ("name", "hits", "cap", "floor"), counted, added=("hits",))
        await session.commit()
    assert claimed == {(text, later) for text in AWKWARD}
    assert found == {row[:2]: (row[2],) for row in rows}
    assert sorted(in_range) == list(range(len(AWKWARD)))
    assert sorted(await all_rows(sessions, claims)) == sorted([*rows, *((text, later, None) for text in AWKWARD)])
    assert sorted(await all_rows(sessions, caps)) == sorted((text, 1, 2**40, None) for text in AWKWARD)


async def test_positions_with_row_in_range_match_equal_unequal_and_half_open_range(sessions):
    rows = [("a", T0, "x"), ("a", T0 + timedelta(hours=1), "y"), ("b", T0, "z")]  # (ticket_id, closed_at, note)
    async with sessions() as session:
        await sql.insert_many(session, claims, ("ticket_id", "closed_at", "note"), rows)
        probes = [
            ("a", "x", T0, T0 + timedelta(seconds=1)),  # only a's own note-x row in range: unequal excludes it
            ("a", "q", T0.astimezone(SHANGHAI), T0 + timedelta(microseconds=1)),  # low is inclusive, in any zone
            ("a", "q", T0 - timedelta(hours=1), T0),  # high is exclusive
            ("b", "q", T0 - timedelta(hours=1), T0 + timedelta(hours=1)),
            ("c", "q", T0 - timedelta(hours=1), T0 + timedelta(hours=1)),  # no such ticket
            ("a", "x", T0, T0 + timedelta(hours=2)),  # a's note-y row
        ]
        found = await sql.positions_with_row_in_range(
            session, claims, equal=("ticket_id",), unequal=("note",), between="closed_at", probes=probes
        )
        assert sorted(found) == [1, 3, 5]
        assert await sql.positions_with_row_in_range(session, claims, equal=("ticket_id",), between="closed_at", probes=[]) == []


async def test_positions_with_row_in_range_of_more_probes_than_one_statement_holds(sessions):
    async with sessions() as session:
        await sql.insert_many(session, claims, ("ticket_id", "closed_at"), [("T-7", T0)])
        probes = [("T-7" if n % 3 == 0 else "T-8", T0 - timedelta(seconds=n % 2), T0 + timedelta(seconds=1)) for n in range(60_000)]
        found = await sql.positions_with_row_in_range(session, claims, equal=("ticket_id",), between="closed_at", probes=probes)
    assert sorted(found) == [n for n in range(60_000) if n % 3 == 0]


async def test_select_for_keys_reads_typed_rows_of_the_keys_given_ordered_and_locked(sessions):
    rows = [("T-1", T0, "a"), ("T-1", T0 + timedelta(hours=1), "b"), ("T-2", T0, "c"), ("T-3", T0, "d")]
    async with sessions() as session:
        await sql.insert_many(session, claims, ("ticket_id", "closed_at", "note"), rows)
        statement = select(claims.c.ticket_id, claims.c.closed_at, claims.c.note).order_by(claims.c.closed_at).with_for_update()
        found = await sql.select_for_keys(session, statement, claims.c.ticket_id, ["T-3", "T-1", "T-9", "T-1"])
        assert sorted(tuple(row) for row in found) == [rows[0], rows[1], rows[3]]  # aware UTC datetimes back
        assert [row.note for row in found if row.ticket_id == "T-1"] == ["a", "b"]  # the statement's own order
        assert await sql.select_for_keys(session, statement, claims.c.ticket_id, []) == []


async def test_select_for_keys_of_more_keys_than_one_statement_holds(sessions):
    async with sessions() as session:
        await sql.insert_many(session, claims, ("ticket_id", "closed_at"), [(f"T-{n}", T0) for n in range(0, 45_000, 7)])
        found = await sql.select_for_keys(session, select(claims.c.ticket_id), claims.c.ticket_id, [f"T-{n}" for n in range(45_000)])
    assert sorted(row.ticket_id for row in found) == sorted(f"T-{n}" for n in range(0, 45_000, 7))


async def test_select_for_keys_probes_the_index_once_per_key_under_a_generic_plan(sessions, database_url):
    """Why it exists: a prepared ``key IN ($1, …, $500)`` may get a generic plan, which scans every
    row and compares it with every key; the unnest + LATERAL form stays one index probe per key."""
    if not database_url.startswith("postgresql"):
        pytest.skip("a PostgreSQL plan")
    keys = [f"T-{n}" for n in range(0, 1000, 2)]
    async with sessions() as session:
        await sql.insert_many(session, claims, ("ticket_id", "closed_at"), [(f"T-{n}", T0) for n in range(20_000)])
        driver = await sql.driver_connection(session)
        await driver.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        sent = []
        engine = session.bind.sync_engine
        listener = lambda connection, cursor, statement, parameters, context, many: sent.append(statement)  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert len(await sql.select_for_keys(session, select(claims.c.ticket_id), claims.c.ticket_id, keys)) == 500
        finally:
            event.remove(engine, "before_cursor_execute", listener)

        async def plan(statement: str, *arguments) -> str:
            return "\n".join(row[0] for row in await driver.fetch("EXPLAIN " + statement, *arguments))

        probed = await plan(sent[-1], keys)
        listed = await plan(f"SELECT ticket_id FROM sql_claims WHERE ticket_id IN ({', '.join(f'${n}' for n in range(1, 501))})", *keys)
    assert "Index" in probed and "Seq Scan on sql_claims" not in probed, probed
    assert "Seq Scan on sql_claims" in listed, listed  # what the plain IN list costs under the same plan mode


async def test_rows_by_keys_finds_the_stored_rows_under_the_keys_given(sessions):
    async with sessions() as session:
        await sql.add_to_counters(
            session, counters, COUNTER_COLUMNS, [("a", T0, 1, 1, b"A"), ("b", T0, 2, 2, b"B")], added=("hits",)
        )
        found = await sql.rows_by_keys(
            session, counters, ("name", "bucket"), ("blob", "hits"), [("a", T0), ("b", T0 + timedelta(minutes=15)), ("c", T0)]
        )
    assert found == {("a", T0): (b"A", 1)}
    assert [type(v) for v in found] == [tuple]


async def test_skip_locked_claims_disjoint_rows_across_transactions(sessions, database_url):
    async with sessions() as session:
        await session.execute(insert(jobs), [{"id": n} for n in range(10)])
        await session.commit()
    oldest = sql.skip_locked(select(jobs.c.id).order_by(jobs.c.id).limit(4))
    async with sessions() as first:
        taken = list((await first.execute(oldest)).scalars())
        if database_url.startswith("sqlite"):
            assert taken == [0, 1, 2, 3]  # one writer at a time: nothing to skip, and no FOR UPDATE sent
            return
        async with sessions() as second:
            assert list((await second.execute(oldest)).scalars()) == [4, 5, 6, 7]
    assert taken == [0, 1, 2, 3]


async def test_lock_out_other_writers_makes_a_second_writer_wait_for_the_commit(sessions, database_url):
    async with sessions() as first:
        await sql.lock_out_other_writers(first, counters)
        await first.execute(insert(counters).values(name="a", bucket=T0, hits=1, total=1, blob=b""))

        async def second_writer():
            async with sessions() as second:
                await sql.lock_out_other_writers(second, counters)
                await sql.add_to_counters(second, counters, COUNTER_COLUMNS, [("a", T0, 1, 1, b"")], added=("hits",))
                await second.commit()

        waiting = asyncio.create_task(second_writer())
        await asyncio.sleep(0.3)
        assert not waiting.done()  # blocked by the first transaction's lock
        await first.commit()
    await asyncio.wait_for(waiting, 10)
    assert await all_rows(sessions, counters) == [("a", T0, 2, 1, b"")]


async def test_fetch_prepared_gives_the_rows_the_session_gives(sessions):
    async with sessions() as session:
        await sql.add_to_counters(
            session, counters, COUNTER_COLUMNS, [("a", T0, 1, 2, b"A"), ("b", T0, 3, 4, b"B")], added=("hits",)
        )
        await session.commit()
    statement = select(counters.c.name, counters.c.hits, counters.c.blob).where(
        counters.c.bucket >= bindparam("start"), counters.c.name != "b"
    )
    async with sessions() as session:
        rows = await sql.fetch_prepared(session, statement, {"start": T0})
        again = await sql.fetch_prepared(session, statement, {"start": T0 + timedelta(seconds=1)})
    assert [tuple(r) for r in rows] == [("a", 1, b"A")]
    assert list(again) == []


async def test_concat_blobs_joins_each_groups_blobs_byte_for_byte(sessions):
    # 4-byte pieces: NULs, bytes that are not UTF-8, and one empty blob; each group's result must
    # be its pieces in some order, every byte kept
    pieces = {"a": [b"\x00\x00\x00\x00", b"\xff\xfe\xc3\x28", b"", b"AB\x00C"], "b": [b"\x80\x81\x82\x83"], "c": [b""]}
    rows = [(name, T0 + timedelta(minutes=n), n, 0, blob) for name, blobs in pieces.items() for n, blob in enumerate(blobs)]
    async with sessions() as session:
        await sql.add_to_counters(session, counters, COUNTER_COLUMNS, rows, added=("hits",))
        await session.commit()
    grouped = select(counters.c.name, func.sum(counters.c.hits), sql.concat_blobs(counters.c.blob)).group_by(counters.c.name)
    nothing = select(sql.concat_blobs(counters.c.blob)).where(counters.c.name == bindparam("name"))
    async with sessions() as session:
        got = {name: (hits, blob) for name, hits, blob in await sql.fetch_prepared(session, grouped, {})}
        through_the_session = (await session.execute(grouped.order_by(counters.c.name))).all()
        empty = await sql.fetch_prepared(session, nothing, {"name": "none"})
    assert set(got) == set(pieces)
    for name, blobs in pieces.items():
        hits, blob = got[name]
        assert isinstance(blob, bytes) and hits == sum(range(len(blobs)))
        assert sorted(blob[i : i + 4] for i in range(0, len(blob), 4)) == sorted(b for b in blobs if b), name
    assert [(name, blob) for name, _, blob in through_the_session] == [(name, got[name][1]) for name in sorted(pieces)]
    assert [tuple(row) for row in empty] == [(b"",)]


async def test_insert_unless_exist_returns_the_keys_inserted(sessions):
    async with sessions() as session:
        assert await sql.insert_unless_exist(session, jobs, [{"id": 1}, {"id": 2}], key="id") == {1, 2}
        assert await sql.insert_unless_exist(session, jobs, [{"id": 2}, {"id": 3}], key="id") == {3}
        await session.commit()
    assert await all_rows(sessions, jobs) == [(1,), (2,), (3,)]


async def test_a_transaction_lock_held_exclusively_waits_for_the_shared_holders_and_shared_ones_run_side_by_side(db_backend, sessions):
    if db_backend != "postgres":
        pytest.skip("SQLite: a write transaction already runs alone; the lock is nothing to take")
    name = 0x7465737421
    async with sessions() as first, sessions() as second, sessions() as third:
        await sql.transaction_lock(first, name, shared=True)
        await asyncio.wait_for(sql.transaction_lock(second, name, shared=True), 5)  # shared beside shared
        exclusive = asyncio.create_task(sql.transaction_lock(third, name))
        await asyncio.sleep(0.3)
        assert not exclusive.done()  # waits for both shared holders
        await first.commit()
        await asyncio.sleep(0.3)
        assert not exclusive.done()
        await second.rollback()
        await asyncio.wait_for(exclusive, 5)
        await third.commit()
