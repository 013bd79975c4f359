"""Webhook ingest: signed ticket webhooks per second through feedback-svc (validate, verify the
signature, persist, outbox) ÷ a bare FastAPI endpoint with a 3-field pydantic body, same uvicorn
settings, same load generator, measured in the same run. Also p50/p99 latency, each server's CPU
time per request (less sensitive than req/s to other work on the machine) and, for feedback-svc,
how many events each group-committed transaction held.

    .venv/bin/python bench/webhook_ingest.py [--requests 4000] [--rounds 3] [--backend sqlite|postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from loadgen import build_request, run_load  # noqa: E402
from procs import uvicorn_process  # noqa: E402

from csq_common.bus.kafka import ensure_topics  # noqa: E402
from csq_testing import Broker, create_postgres_database, drop_postgres_database, postgres_available  # noqa: E402

SECRET = "bench-secret"


def webhook_requests(port: int, count: int, run: str) -> list[bytes]:
    requests = []
    now = int(time.time())
    for n in range(count):
        body = json.dumps(
            {
                "event_id": f"{run}-{n}",
                "type": "ticket.closed",
                "occurred_at": "2026-11-20T10:00:00Z",
                "ticket": {
                    "id": f"T-{run}-{n}",
                    "customer": {"id": f"C-{n}", "email": "li.lei@example.com", "name": "李雷", "locale": "zh-CN"},
                    "agent_id": f"A-{n % 200}", "team_id": f"team-{n % 10}", "channel": "email", "priority": "normal",
                    "subject": "退款进度", "status": "closed",
                    "created_at": "2026-11-20T08:00:00Z", "first_response_at": "2026-11-20T08:12:00Z",
                    "resolved_at": "2026-11-20T09:40:00Z", "closed_at": "2026-11-20T10:00:00Z",
                    "handle_seconds": 540, "reopen_count": 0, "contact_count": 1, "tags": ["refund"],
                },
            },
            ensure_ascii=False,
        ).encode()
        signature = hmac.new(SECRET.encode(), f"{now}.".encode() + body, hashlib.sha256).hexdigest()
        headers = {"Content-Type": "application/json", "X-CSQ-Timestamp": str(now), "X-CSQ-Signature": f"v1={signature}"}
        requests.append(build_request("127.0.0.1", port, "/v1/webhooks/tickets", body, headers))
    return requests


async def measure(server, count: int, concurrency: int):
    """The load result and the server's CPU microseconds per measured request."""
    run = uuid.uuid4().hex[:8]
    await run_load("127.0.0.1", server.port, webhook_requests(server.port, 300, run + "w"), concurrency)  # warm-up
    requests = webhook_requests(server.port, count, run)
    cpu_before = server.cpu_seconds()
    result = await run_load("127.0.0.1", server.port, requests, concurrency)
    return result, (server.cpu_seconds() - cpu_before) / count * 1e6


def batch_sizes(port: int) -> tuple[float, float]:
    """(transactions, events) of feedback-svc's webhook group commit so far, from /metrics."""
    values = {}
    for line in httpx.get(f"http://127.0.0.1:{port}/metrics").text.splitlines():
        name, _, value = line.partition(" ")
        if name in ("csq_webhook_batch_size_count", "csq_webhook_batch_size_sum"):
            values[name] = float(value)
    return values.get("csq_webhook_batch_size_count", 0.0), values.get("csq_webhook_batch_size_sum", 0.0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=4000, help="per round and server")
    parser.add_argument("--rounds", type=int, default=3, help="baseline and feedback-svc are loaded in turn this many times")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="csq-bench-"))
    broker = Broker(log_path=workdir / "tansu.log").start()
    database_url = f"sqlite+aiosqlite:///{workdir / 'feedback.db'}"
    if args.backend == "postgres":
        if not postgres_available():
            raise SystemExit("PostgreSQL does not answer at 127.0.0.1:5432")
        database_url = asyncio.run(create_postgres_database())
    try:
        asyncio.run(ensure_topics(broker.bootstrap_servers, ["csq.tickets", "csq.dlq"], 3))
        env = {"CSQ_ENV": "development", "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers, "CSQ_WEBHOOK_SECRET": SECRET, "FEEDBACK_DATABASE_URL": database_url, "LOG_LEVEL": "WARNING"}
        # Both servers stay up and are loaded in turn, round after round: the machine's slow and
        # fast phases (minutes long here) then fall on both alike, and the median ratio is the
        # figure (a single pair of runs minutes apart varied by ±20 %).
        with (
            uvicorn_process("baseline_app:app", {"PYTHONPATH": str(Path(__file__).parent)}, factory=False, log=workdir / "baseline.log", ready_path=None) as base_server,
            uvicorn_process("feedback_svc.main:create_app", env, factory=True, log=workdir / "feedback.log") as svc_server,
        ):
            transactions_before, events_before = batch_sizes(svc_server.port)
            rounds = []
            for _ in range(args.rounds):
                baseline, baseline_cpu = asyncio.run(measure(base_server, args.requests, args.concurrency))
                service, service_cpu = asyncio.run(measure(svc_server, args.requests, args.concurrency))
                bad = {s: n for s, n in service.statuses.items() if s != 202}
                if bad:
                    raise SystemExit(f"feedback-svc answered {bad} (expected only 202); see {workdir}/feedback.log")
                rounds.append((service.per_second / baseline.per_second, service, baseline, service_cpu, baseline_cpu))
            transactions_after, events_after = batch_sizes(svc_server.port)
        per_transaction = (events_after - events_before) / max(1.0, transactions_after - transactions_before)
        ratio, service, baseline, service_cpu, baseline_cpu = sorted(rounds, key=lambda r: r[0])[len(rounds) // 2]
        print(
            f"webhook_ingest[{args.backend}]: ratio {ratio:.2f} (target >= 0.5; median of {len(rounds)} alternating rounds: "
            f"{', '.join(f'{r[0]:.2f}' for r in rounds)}) — feedback-svc {service.per_second:.0f} req/s "
            f"(p50 {service.percentile(0.5) * 1000:.1f} ms, p99 {service.percentile(0.99) * 1000:.1f} ms) vs bare FastAPI "
            f"{baseline.per_second:.0f} req/s (p50 {baseline.percentile(0.5) * 1000:.1f} ms, p99 {baseline.percentile(0.99) * 1000:.1f} ms); "
            f"{args.requests} requests a round, concurrency {args.concurrency}; server CPU {service_cpu:.0f} vs {baseline_cpu:.0f} µs/request; "
            f"{per_transaction:.1f} events per transaction"
        )
    finally:
        broker.stop()
        if args.backend == "postgres":
            asyncio.run(drop_postgres_database(database_url))


if __name__ == "__main__":
    main()
