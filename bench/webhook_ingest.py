"""Webhook ingest: signed ticket webhooks per second through feedback-svc (validate, verify the
signature, persist, outbox) ÷ a bare FastAPI endpoint with a 3-field pydantic body, same uvicorn
settings, same load generator, measured in the same run. Also p50/p99 latency.

    .venv/bin/python bench/webhook_ingest.py [--requests 4000] [--backend sqlite|postgres]
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

sys.path.insert(0, str(Path(__file__).resolve().parent))

from loadgen import build_request, run_load  # noqa: E402
from procs import uvicorn_process  # noqa: E402

from csq_common.bus.kafka import ensure_topics  # noqa: E402
from csq_common.testing import Broker, create_postgres_database, drop_postgres_database, postgres_available  # noqa: E402

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


async def measure(port: int, count: int, concurrency: int):
    run = uuid.uuid4().hex[:8]
    await run_load("127.0.0.1", port, webhook_requests(port, 300, run + "w"), concurrency)  # warm-up
    result = await run_load("127.0.0.1", port, webhook_requests(port, count, run), concurrency)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=4000)
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
        env = {"KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers, "CSQ_WEBHOOK_SECRET": SECRET, "FEEDBACK_DATABASE_URL": database_url, "LOG_LEVEL": "WARNING"}
        with uvicorn_process("baseline_app:app", {"PYTHONPATH": str(Path(__file__).parent)}, factory=False, log=workdir / "baseline.log", ready_path=None) as base_port:
            baseline = asyncio.run(measure(base_port, args.requests, args.concurrency))
        with uvicorn_process("feedback_svc.main:create_app", env, factory=True, log=workdir / "feedback.log") as svc_port:
            service = asyncio.run(measure(svc_port, args.requests, args.concurrency))
        bad = {s: n for s, n in service.statuses.items() if s != 202}
        if bad:
            raise SystemExit(f"feedback-svc answered {bad} (expected only 202); see {workdir}/feedback.log")
        ratio = service.per_second / baseline.per_second
        print(
            f"webhook_ingest[{args.backend}]: ratio {ratio:.2f} (target >= 0.5) — feedback-svc {service.per_second:.0f} req/s "
            f"(p50 {service.percentile(0.5) * 1000:.1f} ms, p99 {service.percentile(0.99) * 1000:.1f} ms) vs bare FastAPI "
            f"{baseline.per_second:.0f} req/s (p50 {baseline.percentile(0.5) * 1000:.1f} ms, p99 {baseline.percentile(0.99) * 1000:.1f} ms); "
            f"{args.requests} requests, concurrency {args.concurrency}"
        )
    finally:
        broker.stop()
        if args.backend == "postgres":
            asyncio.run(drop_postgres_database(database_url))


if __name__ == "__main__":
    main()
