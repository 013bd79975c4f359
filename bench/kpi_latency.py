"""Event to visible: how long after a ticket closure is acknowledged by the broker the KPI summary
counts it, at a steady rate (the issue's target: p99 ≤ 1 s at 1,000 events/s for 5 minutes).

kpi-svc runs as its own uvicorn process (as `make run` starts it) against a Tansu broker with
three partitions. This process sends ``ticket.closed`` events at ``--rate`` per second for
``--seconds``, each closing a new ticket now, and polls ``GET /v1/kpis/summary`` every
``--probe-ms`` for ``tickets_closed``. The k-th closure counts as visible at the first probe
that answers with at least k: with three partitions consumed side by side the count is not in
send order, so this is the delay of the count behind what was sent (the figure a supervisor
sees), read to within one probe interval. The baseline, measured in the same run from the same
records: a bare aiokafka consumer (no database) in this process, the time from the broker's
acknowledgement to the record's arrival. One line per backend:

    .venv/bin/python bench/kpi_latency.py [--rate 1000] [--seconds 300] [--backend sqlite|postgres|both]
                                          [--sla-policy] [--episodes-over-ms 800]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from csq_common.bus.kafka import ensure_topics
from csq_common.events import TicketClosed, TicketSnapshot, make_event
from csq_common.settings import DEVELOPMENT_API_KEYS
from csq_testing import Broker, create_postgres_database, drop_postgres_database, postgres_available

sys.path.insert(0, str(Path(__file__).parent))
from procs import uvicorn_process  # noqa: E402

READ_KEY = DEVELOPMENT_API_KEYS.split(",")[1].split(":")[0]
ADMIN_KEY = DEVELOPMENT_API_KEYS.split(",")[0].split(":")[0]
SLA_POLICY = {"name": "标准", "priorities": [], "tags": [], "first_response_seconds": 3600, "resolution_seconds": 8 * 3600,
              "business_hours": False, "paused_statuses": ["pending"]}
TOPICS = ["csq.tickets", "csq.surveys", "csq.feedback", "csq.audits", "csq.calls", "csq.dlq"]
TEAMS = [f"team-{n:02d}" for n in range(10)]
CHANNELS = ["email", "chat", "phone", "social", "web"]
TICK_SECONDS = 0.01


def closure(n: int, now: datetime) -> tuple[bytes, bytes]:
    agent = n % 200
    ticket = TicketSnapshot(
        id=f"L-{n:08d}",
        customer={"id": f"C-{n % 5000}", "email": "li.lei@example.com", "name": "李雷", "locale": "zh-CN"},
        agent_id=f"agent-{agent:03d}", team_id=TEAMS[agent % 10], channel=CHANNELS[n % 5], priority="normal",
        subject="退款进度查询", status="closed", created_at=now - timedelta(minutes=30),
        first_response_at=now - timedelta(minutes=25), resolved_at=now, closed_at=now, handle_seconds=600,
        reopen_count=0, contact_count=1, tags=["refund"],
    )
    event = make_event(TicketClosed(ticket=ticket, occurred_at=now), source="bench/crm", subject=ticket.id, time=now)
    return ticket.id.encode(), event.to_bytes()


async def send_steadily(bootstrap: str, rate: int, seconds: float, acked: list[float]) -> None:
    """Send ``rate`` closures a second in ticks of 10 ms; ``acked[k]`` = when the k-th was acknowledged."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks=1, linger_ms=0)
    await producer.start()
    try:
        started = time.monotonic()
        total = int(rate * seconds)
        sent = 0
        pending = []
        while sent < total:
            due = min(total, int((time.monotonic() - started) * rate) + 1)
            now = datetime.now(timezone.utc)
            for n in range(sent, due):
                key, value = closure(n, now)
                future = await producer.send("csq.tickets", value=value, key=key)
                future.add_done_callback(lambda _f: acked.append(time.monotonic()))
                pending.append(future)
            sent = due
            await asyncio.sleep(TICK_SECONDS)
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


async def probe(port: int, window: tuple[str, str], until_count: int, every: float, seen: list[tuple[float, int]], deadline: float) -> None:
    """Poll the summary until it counts ``until_count`` closures; ``seen`` gets (answer time, count)."""
    params = {"from": window[0], "to": window[1]}
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {READ_KEY}"}) as client:
        while time.monotonic() < deadline:
            response = await client.get("/v1/kpis/summary", params=params, timeout=10)
            response.raise_for_status()
            count = response.json()["values"]["tickets_closed"] or 0
            seen.append((time.monotonic(), count))
            if count >= until_count:
                return
            await asyncio.sleep(every)
    raise SystemExit(f"the summary counted {seen[-1][1] if seen else 0} of {until_count} closures by the deadline")


async def raw_arrivals(bootstrap: str, count: int, arrived: list[float], ready: asyncio.Event) -> None:
    """The baseline: a bare consumer's arrival time per record (no decoding, no database)."""
    consumer = AIOKafkaConsumer(
        "csq.tickets", bootstrap_servers=bootstrap, group_id=f"raw-{uuid.uuid4().hex[:8]}", auto_offset_reset="latest",
        session_timeout_ms=6000,
    )
    await consumer.start()
    try:
        while not consumer.assignment():
            await consumer.getmany(timeout_ms=100)
        for partition in consumer.assignment():
            await consumer.seek_to_end(partition)
        ready.set()
        while len(arrived) < count:
            batches = await consumer.getmany(timeout_ms=200)
            now = time.monotonic()
            arrived.extend(now for records in batches.values() for _ in records)
    finally:
        await consumer.stop()


def delays(sent: list[float], visible: list[tuple[float, int]]) -> list[float]:
    """Per record k: the first answer time counting ≥ k+1, minus the k-th acknowledgement."""
    out, index = [], 0
    for k, at in enumerate(sorted(sent)):
        while visible[index][1] < k + 1:
            index += 1
        out.append(max(0.0, visible[index][0] - at))
    return out


def slow_episodes(visible: list[float], rate: int, over: float) -> list[tuple[float, float, float]]:
    """(first send second into the run, seconds, worst delay) of each run of records seen later
    than ``over`` seconds: their spacing tells a periodic pause from a backlog."""
    episodes: list[list[float]] = []
    for k, delay in enumerate(visible):
        at = k / rate
        if delay <= over:
            continue
        if episodes and at - episodes[-1][1] <= 1.0 / rate * 2:
            episodes[-1][1], episodes[-1][2] = at, max(episodes[-1][2], delay)
        else:
            episodes.append([at, at, delay])
    return [(start, end - start, worst) for start, end, worst in episodes]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def measure(port: int, bootstrap: str, rate: int, seconds: float, every: float):
    total = int(rate * seconds)
    start = datetime.now(timezone.utc) - timedelta(hours=1)
    window = (start.isoformat(), (start + timedelta(hours=2) + timedelta(seconds=seconds)).isoformat())
    acked: list[float] = []
    seen: list[tuple[float, int]] = []
    arrived: list[float] = []
    ready = asyncio.Event()
    raw = asyncio.create_task(raw_arrivals(bootstrap, total, arrived, ready))
    await asyncio.wait_for(ready.wait(), 60)
    deadline = time.monotonic() + seconds + 300
    prober = asyncio.create_task(probe(port, window, total, every, seen, deadline))
    await send_steadily(bootstrap, rate, seconds, acked)
    await prober
    await asyncio.wait_for(raw, 60)
    raw_delays = [max(0.0, a - s) for s, a in zip(sorted(acked), sorted(arrived))]
    return delays(acked, seen), raw_delays, len(seen)


def run_backend(backend: str, args) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="csq-bench-latency-"))
    broker = Broker(log_path=workdir / "tansu.log").start()
    database_url = f"sqlite+aiosqlite:///{workdir / 'kpi.db'}"
    if backend == "postgres":
        if not postgres_available():
            raise SystemExit("PostgreSQL does not answer at 127.0.0.1:5432")
        database_url = asyncio.run(create_postgres_database())
    try:
        asyncio.run(ensure_topics(broker.bootstrap_servers, TOPICS, 3))
        env = {
            "CSQ_ENV": "development", "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers, "KPI_DATABASE_URL": database_url,
            "LOG_LEVEL": "WARNING",
        }
        with uvicorn_process("kpi_svc.main:create_app", env, factory=True, log=workdir / "kpi.log") as server:
            time.sleep(5)  # the consumer group forms (a join takes seconds on Tansu) before the clock starts
            if args.sla_policy:
                response = httpx.post(
                    f"http://127.0.0.1:{server.port}/v1/sla-policies", json=SLA_POLICY,
                    headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=30,
                )
                response.raise_for_status()
            visible, raw, probes = asyncio.run(measure(server.port, broker.bootstrap_servers, args.rate, args.seconds, args.probe_ms / 1000))
        p50, p99, worst = percentile(visible, 0.5), percentile(visible, 0.99), max(visible)
        raw_p99 = percentile(raw, 0.99)
        print(
            f"kpi_latency[{backend}]: event to visible in the summary p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms "
            f"(target <= 1000 ms: {'met' if p99 <= 1.0 else 'NOT met'}), max {worst * 1000:.0f} ms; "
            f"bare aiokafka delivery p50 {percentile(raw, 0.5) * 1000:.0f} ms, p99 {raw_p99 * 1000:.0f} ms "
            f"(ratio of p99s {p99 / max(raw_p99, 1e-3):.1f}); {len(visible)} closures at {args.rate}/s for {args.seconds:.0f} s, "
            f"{probes} summary probes every {args.probe_ms} ms{'; an SLA policy covering every ticket' if args.sla_policy else ''}",
            flush=True,
        )
        if args.episodes_over_ms:
            episodes = slow_episodes(visible, args.rate, args.episodes_over_ms / 1000)
            listed = ", ".join(f"{start:.1f} s (+{length:.1f} s, worst {worst * 1000:.0f} ms)" for start, length, worst in episodes[:30])
            print(f"kpi_latency[{backend}]: {len(episodes)} runs of closures seen later than {args.episodes_over_ms} ms, by send time: {listed}", flush=True)
    finally:
        broker.stop()
        if backend == "postgres":
            asyncio.run(drop_postgres_database(database_url))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=int, default=1000, help="closures per second")
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--probe-ms", type=int, default=50, help="summary poll interval (the resolution of the figure)")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument(
        "--sla-policy", action="store_true",
        help="create one SLA policy covering every ticket first, so kpi-svc keeps SLA timers as in a real deployment",
    )
    parser.add_argument(
        "--episodes-over-ms", type=int, default=0,
        help="also list when (seconds into the run) the closures seen later than this were sent (a diagnostic)",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    for backend in ("sqlite", "postgres") if args.backend == "both" else (args.backend,):
        run_backend(backend, args)


if __name__ == "__main__":
    main()
