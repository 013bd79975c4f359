"""KPI read: kpi-svc's ticket summary over 90 days and 1,000,000 closures (10 teams, 200 agents each
in one team, 5 channels) read from the aggregates (``kpi_svc.kpis.service.ticket_summary``) ÷ the
same figures computed by SQL over a raw per-ticket table with the indexes a DBA would add, on
PostgreSQL, measured in the same run, for all teams and for one team. Also checks the two agree.
Then a 200-agent ``breakdown`` (kpi_svc.read) over the same 90 days, checked against raw SQL per
agent (also over the 90 local days of Asia/Kathmandu, whose edges are 15-minute cells), and the
storage: the ticket aggregates' rows and bytes ÷ the raw closures' (``pg_total_relation_size``:
table, TOAST and indexes, of ``kpi_ticket_aggregates`` with ``kpi_ticket_quarters``, and of
``raw_tickets``).

    .venv/bin/python bench/kpi_read.py [--closures 1000000] [--calls 200] [--baseline-runs 10] [--reuse NAME]

``--reuse NAME`` (for iterating on the read path): use the database NAME, seeding it only if it is
not seeded yet with the same ``--closures``, and keep it after; drop it yourself
(``DROP DATABASE NAME``). Without it, a fresh database is seeded and dropped after the run.

Seeding (printed with its time): the 1M tickets are generated in Python and COPied into
``raw_tickets``; the aggregate rows are built from a staging copy of the same tickets whose sketch
bin keys were computed in Python with kpi-svc's own ``sketch.key``: one ``GROUPING SETS`` query for
the counters, one for the bins which it packs into the rows' sketch blobs (``string_agg`` of
``int4send(key) || int8send(count)``, kpi-svc's blob format), joined into ``kpi_ticket_aggregates``.
Before that, a sample of tickets is aggregated both by those queries and by kpi-svc's
``BatchAggregate`` + ``sketch.encode`` (what the consumer runs) and the two must be identical, row
for row and byte for byte, or the benchmark stops: the seeded table is exactly what the consumer
would have written. The days are then packed by kpi-svc's own packer (aggregates.pack: the
15-minute rows of each day moved into one packed row per row of a grouping set, as the service
does once a day is over) and the table is rewritten (``VACUUM FULL``); the reads and the storage
(both tables) are measured after that.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import asyncpg
from sqlalchemy import text

from csq_common.bus.migration import upgrade_to_head
from csq_common.db import create_engine, read_engine, session_factory, transaction
from csq_testing import POSTGRES_ADMIN_URL, create_postgres_database, drop_postgres_database, postgres_available

from kpi_svc.aggregates import sketch
from kpi_svc.aggregates.dimensions import TICKET_SETS
from kpi_svc.aggregates.models import COUNTER_COLUMNS
from kpi_svc.aggregates.pack import pack_next_day
from kpi_svc.aggregates.rollup import METRICS, BatchAggregate
from kpi_svc.aggregates.service import CellAggregate, duration_ms, quarter_start
from kpi_svc.kpis.service import KpiFilters, ticket_summary
from kpi_svc.read.service import breakdown
from kpi_svc.main import SERVICE_ROOT

TEAMS = [f"team-{n:02d}" for n in range(10)]
AGENTS = [(f"agent-{n:03d}", TEAMS[n % 10]) for n in range(200)]
CHANNELS = ["email", "chat", "phone", "social", "web"]
DAYS = 90
WINDOW_START = datetime(2026, 8, 1, tzinfo=timezone.utc)
WINDOW_END = WINDOW_START + timedelta(days=DAYS)
EPOCH0 = int(WINDOW_START.timestamp())
TEAM_FILTER = "team-03"

RAW_DDL = """
CREATE TABLE raw_tickets (
    ticket_id text PRIMARY KEY, team_id text NOT NULL, agent_id text NOT NULL, channel text NOT NULL,
    created_at timestamptz NOT NULL, first_response_at timestamptz, resolved_at timestamptz,
    closed_at timestamptz NOT NULL, handle_seconds integer, contact_count integer NOT NULL,
    reopen_count integer NOT NULL)
"""
RAW_INDEXES = (
    "CREATE INDEX ix_raw_closed ON raw_tickets (closed_at)",
    "CREATE INDEX ix_raw_team_closed ON raw_tickets (team_id, closed_at)",
    "CREATE INDEX ix_raw_first_response ON raw_tickets (first_response_at)",
    "CREATE INDEX ix_raw_team_first_response ON raw_tickets (team_id, first_response_at)",
)
FACTS_DDL = """
CREATE UNLOGGED TABLE {name} (
    team_id text, agent_id text, channel text, closed_epoch bigint, fr_epoch bigint, res_ms bigint,
    frt_ms bigint, aht_count integer, aht_ms bigint, fcr integer, res_bin integer, frt_bin integer)
"""
FACT_COLUMNS = ("team_id", "agent_id", "channel", "closed_epoch", "fr_epoch", "res_ms", "frt_ms", "aht_count", "aht_ms", "fcr", "res_bin", "frt_bin")

# One closure observation at closed_at and one first-response observation at first_response_at per
# ticket, counted at every resolution (q15, hour, day, UTC calendar month) in the grouping sets
# kpi-svc stores at that resolution (kpi_svc.aggregates.dimensions.TICKET_SETS). step 0 = the calendar month (not a fixed width).
_LEVELS = "(VALUES ('q15', 900), ('hour', 3600), ('day', 86400), ('month', 0)) AS l(resolution, step)"
_BUCKET = (
    "CASE WHEN l.step = 0 THEN extract(epoch FROM date_trunc('month', to_timestamp(o.at), 'UTC'))::bigint "
    "ELSE o.at / l.step * l.step END"
)
_DIMS = (
    "CASE WHEN grouping(o.team_id) = 1 THEN '*' ELSE o.team_id END AS team_id, "
    "CASE WHEN grouping(o.agent_id) = 1 THEN '*' ELSE o.agent_id END AS agent_id, "
    "CASE WHEN grouping(o.channel) = 1 THEN '*' ELSE o.channel END AS channel"
)
_SETS = "GROUPING SETS ((o.team_id, o.agent_id, o.channel), (o.team_id, o.agent_id), (o.team_id), (), (o.channel), (o.team_id, o.channel))"
# Only the (resolution, grouping set) rows kpi-svc stores (dimensions.TICKET_SETS) are kept.
LAYOUT = " OR ".join(
    f"(resolution = '{resolution}' AND "
    + " AND ".join(f"{name} {'<>' if keep else '='} '*'" for name, keep in zip(("team_id", "agent_id", "channel"), kept))
    + ")"
    for resolution, sets in TICKET_SETS.items()
    for kept in sets
)
KEYS = "resolution, bucket_start, team_id, agent_id, channel"
# The counters the seeded tickets leave at zero (no calendar, no messages, no repeat contacts), as
# the consumer counts them for such tickets; in COUNTER_COLUMNS order after frt_sum_ms.
_NOT_SEEDED = ", ".join(f"0::bigint AS {c}" for c in COUNTER_COLUMNS[COUNTER_COLUMNS.index("frt_sum_ms") + 1 :])
COUNTERS_SELECT = f"""
SELECT * FROM (
SELECT o.resolution, to_timestamp(o.bucket) AS bucket_start, {_DIMS},
       {", ".join(f"sum(o.{c})::bigint AS {c}" for c in COUNTER_COLUMNS)}
FROM (
    SELECT l.resolution, {_BUCKET} AS bucket, o.* FROM (
        SELECT team_id, agent_id, channel, closed_epoch AS at, 1 AS closures, 1 AS resolution_count,
               res_ms AS resolution_sum_ms, aht_count, aht_ms AS aht_sum_ms, fcr AS fcr_count, 0 AS reopens,
               0 AS frt_count, 0::bigint AS frt_sum_ms, {_NOT_SEEDED} FROM {{facts}}
        UNION ALL
        SELECT team_id, agent_id, channel, fr_epoch, 0, 0, 0, 0, 0, 0, 0, 1, frt_ms, {_NOT_SEEDED} FROM {{facts}}
    ) o CROSS JOIN {_LEVELS}
) o
GROUP BY o.resolution, o.bucket, {_SETS}
) stored WHERE {LAYOUT}
"""
# The bins of every row, then per row one blob per metric in kpi_svc.aggregates.sketch's format:
# (int32 key, int64 count) pairs, big-endian, sorted by key (int4send / int8send are big-endian).
_BINS_SELECT = f"""
SELECT o.resolution, to_timestamp(o.bucket) AS bucket_start, {_DIMS}, o.metric, o.bin_key, count(*) AS n
FROM (
    SELECT l.resolution, {_BUCKET} AS bucket, o.* FROM (
        SELECT team_id, agent_id, channel, closed_epoch AS at, 'resolution' AS metric, res_bin AS bin_key FROM {{facts}}
        UNION ALL
        SELECT team_id, agent_id, channel, fr_epoch, 'frt', frt_bin FROM {{facts}}
    ) o CROSS JOIN {_LEVELS}
) o
GROUP BY o.resolution, o.bucket, o.metric, o.bin_key, {_SETS}
"""
SKETCHES_SELECT = f"""
SELECT {KEYS},
       coalesce(string_agg(int4send(bin_key) || int8send(n), ''::bytea ORDER BY bin_key) FILTER (WHERE metric = 'frt'), ''::bytea) AS frt_sketch,
       coalesce(string_agg(int4send(bin_key) || int8send(n), ''::bytea ORDER BY bin_key) FILTER (WHERE metric = 'resolution'), ''::bytea) AS resolution_sketch
FROM ({_BINS_SELECT}) b
WHERE {LAYOUT}
GROUP BY {KEYS}
"""
AGG_COLUMNS = f"{KEYS}, " + ", ".join(COUNTER_COLUMNS) + ", frt_sketch, resolution_sketch"
# Both halves staged side by side (two connections), then joined into the real table.
STAGE_COUNTERS = "CREATE UNLOGGED TABLE seed_counters AS " + COUNTERS_SELECT.format(facts="seed_facts")
STAGE_SKETCHES = "CREATE UNLOGGED TABLE seed_sketches AS " + SKETCHES_SELECT.format(facts="seed_facts")
FILL = f"""
INSERT INTO kpi_ticket_aggregates ({AGG_COLUMNS})
SELECT c.*, coalesce(s.frt_sketch, ''::bytea), coalesce(s.resolution_sketch, ''::bytea)
FROM seed_counters c LEFT JOIN seed_sketches s USING ({KEYS})
"""
# The migration's keys and indexes, dropped for the bulk load and rebuilt identically after it.
REBUILD = (
    "ALTER TABLE kpi_ticket_aggregates ADD CONSTRAINT pk_kpi_ticket_aggregates PRIMARY KEY (resolution, team_id, agent_id, channel, bucket_start)",
    "CREATE INDEX ix_kpi_ticket_aggregates_agent ON kpi_ticket_aggregates (agent_id, resolution, bucket_start) WHERE agent_id <> '*'",
    "CREATE INDEX ix_kpi_ticket_aggregates_q15 ON kpi_ticket_aggregates (bucket_start) WHERE resolution = 'q15'",
    "CREATE INDEX ix_kpi_ticket_aggregates_team_agent ON kpi_ticket_aggregates (resolution, bucket_start) WHERE channel = '*' AND agent_id <> '*'",
)
DROP = (
    "ALTER TABLE kpi_ticket_aggregates DROP CONSTRAINT pk_kpi_ticket_aggregates",
    "DROP INDEX ix_kpi_ticket_aggregates_agent",
    "DROP INDEX ix_kpi_ticket_aggregates_q15",
    "DROP INDEX ix_kpi_ticket_aggregates_team_agent",
)


def generate(count: int, seed: int = 11):
    """``count`` closed tickets, closed_at uniform over the 90 days; (raw rows, fact rows)."""
    rng = random.Random(seed)
    raw, facts = [], []
    at = datetime.fromtimestamp
    utc = timezone.utc
    for n in range(count):
        agent, team = AGENTS[rng.randrange(200)]
        channel = CHANNELS[rng.randrange(5)]
        closed = EPOCH0 + rng.randrange(DAYS * 86400)
        resolution_s = int(rng.lognormvariate(8.5, 1.3)) + 60
        created = closed - resolution_s
        frt_s = min(resolution_s, int(rng.lognormvariate(6.0, 1.0)) + 5)
        first_response = created + frt_s
        resolved = closed - rng.randrange(600)
        if resolved < created:
            resolved = closed
        handle = None if rng.random() < 0.05 else rng.randrange(30, 3600)
        contacts = 1 if rng.random() < 0.7 else rng.randrange(2, 5)
        reopened = 0 if rng.random() < 0.85 else 1
        res_ms = (resolved - created) * 1000
        frt_ms = frt_s * 1000
        raw.append((f"T-{n:07d}", team, agent, channel, at(created, utc), at(first_response, utc), at(resolved, utc), at(closed, utc), handle, contacts, reopened))
        facts.append(
            (team, agent, channel, closed, first_response, res_ms, frt_ms, 0 if handle is None else 1, 0 if handle is None else handle * 1000,
             int(contacts == 1 and reopened == 0), sketch.key(res_ms / 1000), sketch.key(frt_ms / 1000))
        )
    return raw, facts


def consumer_aggregate(raw_rows) -> BatchAggregate:
    """What kpi-svc computes for these tickets (one closure + one first response each): the
    consumer's pending cells, folded into aggregate rows as the roll-up does."""
    cells = CellAggregate()
    for ticket_id, team, agent, channel, created, first_response, resolved, closed, handle, contacts, reopened in raw_rows:
        snapshot = SimpleNamespace(
            id=ticket_id, team_id=team, agent_id=agent, channel=channel, created_at=created, first_response_at=first_response,
            resolved_at=resolved, closed_at=closed, handle_seconds=handle, contact_count=contacts, reopen_count=reopened,
        )
        cells.add_closure(snapshot, closed)
        cells.add_first_response(snapshot, first_response)
    batch = BatchAggregate()
    for (quarter, team, agent, channel), (counters, frt_bins, resolution_bins) in cells.cells.items():
        batch.add_cell(quarter_start(quarter), team, agent, channel, counters, frt_bins, resolution_bins)
    return batch


async def verify_seeding_query(connection: asyncpg.Connection, raw_sample, fact_sample) -> None:
    """The seeding queries must give, row for row and byte for byte, what BatchAggregate + the
    writer's encoding give."""
    await connection.execute(FACTS_DDL.format(name="seed_sample"))
    await connection.copy_records_to_table("seed_sample", records=fact_sample, columns=FACT_COLUMNS)
    counters = {
        (r[0], r[1], r[2], r[3], r[4]): [int(v) for v in r[5:]] for r in await connection.fetch(COUNTERS_SELECT.format(facts="seed_sample"))
    }
    sketches = {(r[0], r[1], r[2], r[3], r[4]): (bytes(r[5]), bytes(r[6])) for r in await connection.fetch(SKETCHES_SELECT.format(facts="seed_sample"))}
    await connection.execute("DROP TABLE seed_sample")
    expected = consumer_aggregate(raw_sample)
    expected_sketches = {
        row: tuple(sketch.encode(expected.bins.get((row, metric), {})) for metric in METRICS) for row in expected.counters
    }
    got_sketches = {row: sketches.get(row, (b"", b"")) for row in counters}
    if counters != expected.counters or got_sketches != expected_sketches or not set(sketches) <= set(counters):
        raise SystemExit(
            f"kpi_read: seeding query disagrees with BatchAggregate (counters {len(counters)} vs {len(expected.counters)} rows, "
            f"sketches {len(sketches)} rows, {sum(a != b for a, b in zip(sorted(got_sketches.items()), sorted(expected_sketches.items())))} differ)"
        )


async def _stage(dsn: str, statement: str) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute("SET work_mem = '1GB'; SET maintenance_work_mem = '1GB'; SET synchronous_commit = off")
        await connection.execute(statement)
    finally:
        await connection.close()


async def seed(dsn: str, closures: int) -> dict[str, float]:
    timings: dict[str, float] = {}
    started = time.perf_counter()
    raw, facts = generate(closures)
    timings["generate"] = time.perf_counter() - started
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute("SET work_mem = '1GB'; SET maintenance_work_mem = '1GB'; SET synchronous_commit = off")
        mark = time.perf_counter()
        await verify_seeding_query(connection, raw[:3000], facts[:3000])
        timings["verify"] = time.perf_counter() - mark

        mark = time.perf_counter()
        await connection.execute(RAW_DDL)
        await connection.copy_records_to_table("raw_tickets", records=raw, columns=("ticket_id", "team_id", "agent_id", "channel", "created_at", "first_response_at", "resolved_at", "closed_at", "handle_seconds", "contact_count", "reopen_count"))
        for statement in RAW_INDEXES:
            await connection.execute(statement)
        await connection.execute(FACTS_DDL.format(name="seed_facts"))
        await connection.copy_records_to_table("seed_facts", records=facts, columns=FACT_COLUMNS)
        del raw, facts
        timings["copy raw"] = time.perf_counter() - mark

        mark = time.perf_counter()
        for statement in DROP:
            await connection.execute(statement)
        # Counters and sketches are staged side by side on two connections (one GROUPING SETS query
        # each), joined into the table, then the migration's keys and indexes; ANALYZE for the planner.
        await asyncio.gather(_stage(dsn, STAGE_COUNTERS), _stage(dsn, STAGE_SKETCHES))
        await connection.execute(FILL)
        for statement in REBUILD:
            await connection.execute(statement)
        await connection.execute("DROP TABLE seed_counters, seed_sketches, seed_facts")
        await connection.execute("ANALYZE kpi_ticket_aggregates")
        await connection.execute("ANALYZE raw_tickets")
        timings["aggregate"] = time.perf_counter() - mark
        timings["rows"] = await connection.fetchval("SELECT count(*) FROM kpi_ticket_aggregates")
        timings["sketch MB"] = await connection.fetchval(
            "SELECT (sum(octet_length(frt_sketch) + octet_length(resolution_sketch)) / 1e6)::float8 FROM kpi_ticket_aggregates"
        )
    finally:
        await connection.close()
    timings["total"] = time.perf_counter() - started
    return timings


# ---- the two readers ------------------------------------------------------------------------------

RESOLUTION_EXPR = "extract(epoch FROM coalesce(resolved_at, closed_at) - created_at)"
FRT_EXPR = "extract(epoch FROM first_response_at - created_at)"
RAW_CLOSURES = f"""
SELECT count(*), avg({RESOLUTION_EXPR}), percentile_cont(0.9) WITHIN GROUP (ORDER BY {RESOLUTION_EXPR}),
       avg(handle_seconds), 100.0 * avg((contact_count = 1 AND reopen_count = 0)::int)
FROM raw_tickets WHERE closed_at >= :start AND closed_at < :end {{team}}
"""
RAW_FRT = f"""
SELECT count(*), avg({FRT_EXPR}), percentile_cont(0.5) WITHIN GROUP (ORDER BY {FRT_EXPR}),
       percentile_cont(0.9) WITHIN GROUP (ORDER BY {FRT_EXPR})
FROM raw_tickets WHERE first_response_at >= :start AND first_response_at < :end {{team}}
"""


async def raw_summary(sessions, team: str | None) -> dict[str, float]:
    clause = "AND team_id = :team" if team else ""
    params = {"start": WINDOW_START, "end": WINDOW_END, **({"team": team} if team else {})}
    async with sessions() as session:
        closed, res_avg, res_p90, aht, fcr = (await session.execute(text(RAW_CLOSURES.format(team=clause)), params)).one()
        frt_n, frt_avg, frt_p50, frt_p90 = (await session.execute(text(RAW_FRT.format(team=clause)), params)).one()
    return {
        "tickets_closed": closed, "resolution_avg_seconds": float(res_avg), "resolution_p90_seconds": res_p90, "aht_seconds": float(aht),
        "fcr_pct": float(fcr), "frt_count": frt_n, "frt_avg_seconds": float(frt_avg), "frt_p50_seconds": frt_p50, "frt_p90_seconds": frt_p90,
    }


async def svc_summary(sessions, team: str | None):
    async with sessions() as session:
        return await ticket_summary(session, start=WINDOW_START, end=WINDOW_END, filters=KpiFilters(team_id=team))


def agree(raw: dict[str, float], summary) -> list[str]:
    values = summary.values
    problems = []
    if values["tickets_closed"] != raw["tickets_closed"]:
        problems.append(f"tickets_closed {values['tickets_closed']} != {raw['tickets_closed']}")
    if summary.counts["frt_avg_seconds"] != raw["frt_count"]:
        problems.append(f"first responses {summary.counts['frt_avg_seconds']} != {raw['frt_count']}")
    for name in ("resolution_avg_seconds", "aht_seconds", "fcr_pct", "frt_avg_seconds"):
        if abs(values[name] - raw[name]) > 1e-9 * max(1.0, abs(raw[name])):
            problems.append(f"{name} {values[name]!r} != {raw[name]!r}")
    worst = 0.0
    for name in ("resolution_p90_seconds", "frt_p50_seconds", "frt_p90_seconds"):
        error = abs(values[name] - raw[name]) / raw[name]
        worst = max(worst, error)
        if error > 0.01:
            problems.append(f"{name} {values[name]:.1f} vs {raw[name]:.1f} ({100 * error:.2f} % off)")
    raw["worst_percentile_error"] = worst
    return problems


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


SEEDED_DDL = "CREATE TABLE bench_seeded (closures bigint NOT NULL)"


async def _reusable(name: str, closures: int) -> tuple[str, bool]:
    """(url, already seeded with ``closures``) of the database ``name``, created if missing."""
    admin = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
    finally:
        await admin.close()
    if not exists:
        return await create_postgres_database(name), False
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    connection = await asyncpg.connect(url)
    try:
        if await connection.fetchval("SELECT to_regclass('bench_seeded') IS NOT NULL"):
            if await connection.fetchval("SELECT closures FROM bench_seeded") == closures:
                return url.replace("postgresql://", "postgresql+asyncpg://"), True
    finally:
        await connection.close()
    raise SystemExit(f"kpi_read: database {name} exists but is not seeded with {closures:,} closures; drop it first")


async def run(args) -> None:
    if not postgres_available():
        raise SystemExit("PostgreSQL does not answer at 127.0.0.1:5432")
    if args.reuse:
        url, seeded = await _reusable(args.reuse, args.closures)
    else:
        url, seeded = await create_postgres_database(), False
    engine = create_engine(url)
    try:
        if seeded:
            print(f"kpi_read: reusing database {args.reuse}, seeded with {args.closures:,} closures", flush=True)
        else:
            await upgrade_to_head(engine, SERVICE_ROOT)
            await _seed_and_report(url, args)
        # as a service does once started (csq_common.runtime): what is allocated so far lives as long
        # as the process, so full collections during the reads do not walk it again
        gc.collect()
        gc.freeze()
        await _measure(engine, args)
        await _measure_breakdown(engine, args)
        await _measure_storage(engine, args)
    finally:
        await engine.dispose()
        if args.reuse or args.keep:
            print(f"kept database {url}", file=sys.stderr)
        else:
            await drop_postgres_database(url)


async def _seed_and_report(url: str, args) -> None:
    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    timings = await seed(dsn, args.closures)
    print(
        f"kpi_read: seeded {args.closures:,} closures in {timings['total']:.0f} s (generate {timings['generate']:.0f} s, "
        f"check vs BatchAggregate {timings['verify']:.1f} s, raw COPY+indexes {timings['copy raw']:.0f} s, aggregates + keys "
        f"{timings['aggregate']:.0f} s): {timings['rows']:,} aggregate rows (sketches inside them: "
        f"{timings['sketch MB']:.0f} MB of blobs, no sketch bin rows)",
        flush=True,
    )
    await _pack_every_day(url, dsn)
    if args.reuse:  # marked only once fully seeded, so an interrupted seeding is not reused
        connection = await asyncpg.connect(dsn)
        try:
            await connection.execute(SEEDED_DDL)
            await connection.execute("INSERT INTO bench_seeded VALUES ($1)", args.closures)
        finally:
            await connection.close()


async def _pack_every_day(url: str, dsn: str) -> None:
    """The days are long over: kpi-svc's packer (aggregates.pack) moves their 15-minute rows into
    kpi_ticket_quarters, as the running service does two hours after a day ends; then ``VACUUM FULL``,
    so that the storage measured is the data's, not the deleted rows' space awaiting reuse."""
    engine = create_engine(url)
    sessions = session_factory(engine)
    started, rows, days = time.perf_counter(), 0, 0
    try:
        while True:
            async with transaction(sessions) as session:
                packed = await pack_next_day(session, before=WINDOW_END + timedelta(days=2))
            if not packed:
                break
            rows, days = rows + packed, days + 1
    finally:
        await engine.dispose()
    elapsed = time.perf_counter() - started
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute("VACUUM FULL kpi_ticket_aggregates")
        await connection.execute("ANALYZE kpi_ticket_aggregates")
        await connection.execute("ANALYZE kpi_ticket_quarters")
        left = await connection.fetchval("SELECT count(*) FROM kpi_ticket_aggregates")
        packed_rows = await connection.fetchval("SELECT count(*) FROM kpi_ticket_quarters")
    finally:
        await connection.close()
    print(
        f"kpi_read: packed {rows:,} 15-minute rows of {days} days into {packed_rows:,} rows in {elapsed:.0f} s "
        f"({elapsed / max(rows, 1) * 1e6:.0f} µs a row); VACUUM FULL: {left:,} aggregate rows left",
        flush=True,
    )


async def _measure(engine, args) -> None:
    # kpi-svc's read sessions (autocommit, as its app builds them), for the raw SQL as well
    sessions = session_factory(read_engine(engine, autocommit=True))
    for label, team in (("all teams", None), (f"team_id={TEAM_FILTER}", TEAM_FILTER)):
        raw = await raw_summary(sessions, team)  # warm-up (and the reference figures)
        baseline = []
        for _ in range(args.baseline_runs):
            started = time.perf_counter()
            await raw_summary(sessions, team)
            baseline.append(time.perf_counter() - started)
        for _ in range(20):
            summary = await svc_summary(sessions, team)
        measured = []
        for _ in range(args.calls):
            started = time.perf_counter()
            await svc_summary(sessions, team)
            measured.append(time.perf_counter() - started)
        problems = agree(raw, summary)
        if problems:
            raise SystemExit(f"kpi_read[postgres, {label}]: summary DISAGREES with raw SQL: " + "; ".join(problems))
        p50, p99 = percentile(measured, 0.5) * 1000, percentile(measured, 0.99) * 1000
        raw_p50 = statistics.median(baseline) * 1000
        print(
            f"kpi_read[postgres, {label}]: ratio {raw_p50 / p50:.0f}x faster (target >= 100x) — summary p50 {p50:.1f} ms "
            f"p99 {p99:.1f} ms (target p99 <= 20 ms) vs raw SQL p50 {raw_p50:.0f} ms; {args.closures:,} closures, {DAYS} days; "
            f"agrees with raw SQL (tickets_closed {summary.values['tickets_closed']:,} equal, averages equal, "
            f"percentiles within {100 * raw['worst_percentile_error']:.2f} %)",
            flush=True,
        )


RAW_BREAKDOWN = """
SELECT agent_id, count(*), avg(EXTRACT(EPOCH FROM (coalesce(resolved_at, closed_at) - created_at))),
       100.0 * count(*) FILTER (WHERE contact_count = 1 AND reopen_count = 0) / count(*)
FROM raw_tickets WHERE closed_at >= :start AND closed_at < :end GROUP BY agent_id
"""


NO_PERCENTILES = "tickets_closed,frt_avg_seconds,resolution_avg_seconds,aht_seconds,fcr_pct,reopen_pct"


class FullCollections:
    """The garbage collector's full (generation 2) collections while it is active: how many and
    the longest, in seconds. One stops the event loop for the whole heap, so a breakdown call it
    lands in shows it in the p99."""

    def __init__(self) -> None:
        self.pauses: list[float] = []
        self._started = 0.0

    def _callback(self, phase: str, info: dict) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses.append(time.perf_counter() - self._started)

    def __enter__(self) -> "FullCollections":
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc) -> None:
        gc.callbacks.remove(self._callback)

    def summary(self) -> str:
        longest = f", longest {max(self.pauses) * 1000:.0f} ms" if self.pauses else ""
        return f"{len(self.pauses)} full gc collection(s) during the calls{longest}"


#: A zone 5 h 45 min ahead of UTC: its local days start at 18:15 UTC, so a breakdown over them
#: reads the 15-minute cells at both ends of the window (packed into their day rows here).
KATHMANDU = (WINDOW_START - timedelta(hours=5, minutes=45), WINDOW_END - timedelta(hours=5, minutes=45))


async def _measure_breakdown(engine, args) -> None:
    """A supervisor's table: the ticket KPIs of each of the 200 agents over the 90 days, one
    ``breakdown`` call (kpi_svc.read.service), checked against raw SQL grouped by agent; with
    every metric, then with the metrics that need no percentile sketch; then every metric over the
    90 local days of Asia/Kathmandu."""
    sessions = session_factory(read_engine(engine, autocommit=True))
    utc = (WINDOW_START, WINDOW_END)
    runs = (("every metric", None, utc), ("no percentiles", NO_PERCENTILES, utc), ("every metric, Asia/Kathmandu days", None, KATHMANDU))
    for label, metrics, (start, end) in runs:
        async with sessions() as session:
            raw = {row[0]: row[1:] for row in (await session.execute(text(RAW_BREAKDOWN), {"start": start, "end": end}))}

        async def call():
            async with sessions() as session:
                return await breakdown(session, start=start, end=end, by="agent_id", metrics=metrics, limit=1000)

        for _ in range(5):
            result = await call()
        measured = []
        with FullCollections() as collections:
            for _ in range(max(20, args.calls // 4)):
                started = time.perf_counter()
                await call()
                measured.append(time.perf_counter() - started)
        problems = []
        if {row.key for row in result.rows} != set(raw):
            problems.append(f"{len(result.rows)} agents vs {len(raw)} in raw SQL")
        for row in result.rows:
            closed, resolution, fcr = raw.get(row.key, (None, None, None))
            if row.values["tickets_closed"] != closed or abs(row.values["resolution_avg_seconds"] - float(resolution)) > 1e-6 * float(resolution) \
                    or abs(row.values["fcr_pct"] - float(fcr)) > 1e-9 * max(1.0, float(fcr)):
                problems.append(f"agent {row.key}: {row.values['tickets_closed']} closures vs {closed}")
        if problems:
            raise SystemExit(f"kpi_read[postgres, breakdown, {label}]: DISAGREES with raw SQL: " + "; ".join(problems[:5]))
        p50, p99 = percentile(measured, 0.5) * 1000, percentile(measured, 0.99) * 1000
        print(
            f"kpi_read[postgres, breakdown by agent_id, {label}]: {len(result.rows)} agents x {len(result.rows[0].values)} metrics "
            f"over {DAYS} days in one call: p50 {p50:.1f} ms p99 {p99:.1f} ms (target p99 <= 100 ms; {collections.summary()}); "
            f"agrees with raw SQL (closures, resolution average and FCR per agent)",
            flush=True,
        )


STORAGE = """
SELECT (SELECT count(*) FROM kpi_ticket_aggregates) + (SELECT count(*) FROM kpi_ticket_quarters),
       pg_total_relation_size('kpi_ticket_aggregates') + pg_total_relation_size('kpi_ticket_quarters'),
       (SELECT sum(octet_length(frt_sketch) + octet_length(resolution_sketch)) FROM kpi_ticket_aggregates),
       (SELECT sum(octet_length(quarters)) FROM kpi_ticket_quarters),
       (SELECT count(*) FROM raw_tickets), pg_total_relation_size('raw_tickets')
"""


async def _measure_storage(engine, args) -> None:
    """The aggregates' rows and bytes (table, TOAST and indexes; the aggregate rows and the packed
    15-minute days) ÷ the raw closures' rows and bytes."""
    sessions = session_factory(read_engine(engine, autocommit=True))
    async with sessions() as session:
        rows, size, blobs, packed, raw_rows, raw_size = (await session.execute(text(STORAGE))).one()
    print(
        f"kpi_read[postgres, storage]: aggregates / raw closures: rows {rows / raw_rows:.2f}, bytes {size / raw_size:.2f} "
        f"(target < 1 each) — {rows:,} aggregate rows, {size / 1e6:.0f} MB (sketch blobs {(blobs or 0) / 1e6:.0f} MB, packed "
        f"15-minute cells {(packed or 0) / 1e6:.0f} MB) vs "
        f"{raw_rows:,} raw closures, {raw_size / 1e6:.0f} MB (pg_total_relation_size: table, TOAST and indexes)",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--closures", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--baseline-runs", type=int, default=10)
    parser.add_argument("--keep", action="store_true", help="keep the database (for EXPLAIN ANALYZE)")
    parser.add_argument("--reuse", metavar="NAME", help="use database NAME, seeded only if not yet; kept after")
    args = parser.parse_args()
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
