"""Pending deltas and their roll-up: a read is the same before, during and after any roll-up."""

import asyncio
import random
from datetime import datetime, timedelta, timezone

import numpy as np
from prometheus_client import REGISTRY
from sqlalchemy import func, select

from csq_testing import wait_until
from kpi_svc.aggregates import fold, sketch
from kpi_svc.aggregates.buckets import floor_to
from kpi_svc.aggregates.models import COUNTER_COLUMNS, TicketAggregate, TicketDelta
from kpi_svc.aggregates.rollup import METRICS, BatchAggregate, RollupWorker, fold_pending
from kpi_svc.aggregates.service import quarter_index, quarter_start
from kpi_svc.consumers import handle_events
from tests.aggregates.test_service import FILTERS, WINDOWS, as_filters, fold_all, summary
from tests.factories import generate


async def count(sessions, model) -> int:
    async with sessions() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def pending_history(sessions, seed: int, tickets: int):
    """A generated history applied in one consumer transaction and not rolled up yet."""
    history = generate(random.Random(seed), tickets)
    async with sessions() as session:
        await handle_events(session, history.events)
        await session.commit()
    return history


async def every_summary(sessions):
    return [(await summary(sessions, start, end, as_filters(f))).values for start, end in WINDOWS for f in FILTERS]


def test_quarter_index_is_the_utc_quarter_hour_in_any_offset():
    rng = random.Random(4)
    origin = datetime(1960, 1, 1, tzinfo=timezone.utc)
    for _ in range(5000):
        ts = origin + timedelta(microseconds=rng.randrange(10**17))
        ts = ts.astimezone(timezone(timedelta(minutes=rng.choice([0, 330, 345, -570, 840]))))
        assert quarter_start(quarter_index(ts)) == floor_to(ts, "q15")


async def test_folding_in_any_pieces_never_changes_a_read(sessions):
    rng = random.Random(8)
    history = await pending_history(sessions, 8, 200)
    pending = await count(sessions, TicketDelta)
    assert pending > 100 and await count(sessions, TicketAggregate) == 0
    before = await every_summary(sessions)

    async with sessions() as session:  # a roll-up that rolls back leaves everything pending
        assert await fold_pending(session, limit=50) == 50
        await session.rollback()
    assert await count(sessions, TicketDelta) == pending

    moved = 0
    while True:
        async with sessions() as session:
            step = await fold_pending(session, limit=rng.randrange(1, 60))
            await session.commit()
        if not step:
            break
        moved += step
        if rng.random() < 0.3:
            assert await every_summary(sessions) == before
    assert moved == pending and await count(sessions, TicketDelta) == 0
    assert await every_summary(sessions) == before
    assert before[0]["tickets_closed"] == len(history.closures)


async def test_concurrent_roll_ups_move_each_delta_once(sessions):
    """Two replicas' roll-ups at once (on PostgreSQL they take disjoint rows with SKIP LOCKED and
    then take turns on the aggregates; on SQLite the write lock serialises them)."""
    await pending_history(sessions, 21, 150)
    before = await every_summary(sessions)

    async def roll_up() -> int:
        moved = 0
        while True:
            async with sessions() as session:
                step = await fold_pending(session, limit=40)
                await session.commit()
            if not step:
                return moved
            moved += step

    pending = await count(sessions, TicketDelta)
    assert sum(await asyncio.gather(roll_up(), roll_up())) == pending
    assert await every_summary(sessions) == before


async def test_the_worker_drains_the_backlog_and_reports_it(sessions):
    await pending_history(sessions, 3, 80)
    before = await every_summary(sessions)
    worker = RollupWorker(sessions, batch_size=100, poll_seconds=0.05)
    worker.start()
    try:
        async def drained():
            return await count(sessions, TicketDelta) == 0 and REGISTRY.get_sample_value("csq_kpi_rollup_backlog") == 0

        await wait_until(drained, timeout=30, message="deltas rolled up")
    finally:
        await worker.stop()
    assert await every_summary(sessions) == before
    await fold_all(sessions)  # nothing left
    assert await count(sessions, TicketAggregate) > 0


async def test_the_backlog_gauge_follows_every_round_while_it_drains(sessions):
    await pending_history(sessions, 5, 60)
    pending = await count(sessions, TicketDelta)
    worker = RollupWorker(sessions, batch_size=20, poll_seconds=3600)  # driven by hand, one round at a time
    assert await worker.work_once() is True  # a full batch came back: more is waiting
    assert REGISTRY.get_sample_value("csq_kpi_rollup_backlog") == pending - 20 == await count(sessions, TicketDelta)
    while await worker.work_once():
        assert REGISTRY.get_sample_value("csq_kpi_rollup_backlog") == await count(sessions, TicketDelta)
    assert REGISTRY.get_sample_value("csq_kpi_rollup_backlog") == 0


def test_the_vectorised_fold_gives_the_rows_sums_and_blobs_of_the_reference_fold():
    """fold.fold + fold.merged_blobs (what the roll-up runs) against BatchAggregate +
    sketch.merge_bins (one Python operation per row and bin): the same rows, counters and bytes,
    stored blobs included; wildcard-looking, empty and zero-bin dimensions among the cells."""
    rng = random.Random(12)
    names = ["", "a", "b", "\\*", "z"]
    cells, stored = [], {}
    for _ in range(400):
        quarter = quarter_start(rng.randrange(1_900_000, 1_900_000 + 96 * 70))  # about 70 days, month ends included
        counters = [rng.choice([0, 0, 1, 7, 2**40]) for _ in COUNTER_COLUMNS]
        bins = [{rng.choice([sketch.ZERO_KEY, *range(-40, 400, 7)]): rng.randrange(1, 5) for _ in range(rng.randrange(0, 4))} for _ in METRICS]
        cells.append((quarter, rng.choice(names), rng.choice(names), rng.choice(names), counters, bins))
    reference = BatchAggregate()
    for quarter, team, agent, channel, counters, (frt, resolution) in cells:
        reference.add_cell(quarter, team, agent, channel, counters, frt, resolution)
    for row in rng.sample(sorted(reference.counters), 300):  # some rows already hold bins
        stored[row] = tuple(sketch.encode({rng.randrange(-50, 500): rng.randrange(1, 9) for _ in range(rng.randrange(0, 5))}) for _ in METRICS)

    columns = list(zip(*cells))
    folded = fold.fold(
        columns[0], columns[1], columns[2], columns[3], np.array(columns[4], dtype=np.int64),
        [[sketch.encode(bins[metric]) for bins in columns[5]] for metric in range(len(METRICS))],
    )
    assert folded.keys == sorted(reference.counters, key=lambda key: (key[0], *key[2:], key[1]))
    assert dict(zip(folded.keys, folded.counters.tolist())) == reference.counters
    index = {key: position for position, key in enumerate(folded.keys)}
    owners = [index[key] for key in stored]
    stored_pairs = []
    for metric in range(len(METRICS)):
        owner, keys, counts = fold.pairs([blobs[metric] for blobs in stored.values()])
        stored_pairs.append((np.array(owners, dtype=np.int64)[owner], np.full(len(owner), metric), keys, counts))
    merged = fold.merged_blobs(
        len(folded.keys), len(METRICS), (folded.bin_rows, folded.bin_metrics, folded.bin_keys, folded.bin_counts),
        tuple(np.concatenate(part) for part in zip(*stored_pairs)),
    )
    for key, position in index.items():
        old = stored.get(key, (sketch.EMPTY,) * len(METRICS))
        expected = tuple(sketch.merge_bins(blob, reference.bins.get((key, metric))) for blob, metric in zip(old, METRICS))
        assert tuple(blobs[position] for blobs in merged) == expected
