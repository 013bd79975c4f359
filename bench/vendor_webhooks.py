"""Vendor webhooks against the generic one: the same tickets created through a vendor route
(``--vendor zendesk|freshdesk|chatwoot``, each signed as its vendor signs) and through
``POST /v1/webhooks/tickets``, on one feedback-svc, loaded in turn round after round by the same
load generator. Prints the ratio vendor req/s ÷ generic req/s (median of the rounds).

    .venv/bin/python bench/vendor_webhooks.py [--vendor zendesk] [--requests 2000] [--rounds 3] [--backend sqlite|postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from loadgen import build_request, run_load  # noqa: E402
from procs import uvicorn_process  # noqa: E402
from webhook_ingest import SECRET  # noqa: E402

from csq_common.bus.kafka import ensure_topics  # noqa: E402
from csq_testing import Broker, create_postgres_database, drop_postgres_database, postgres_available  # noqa: E402

VENDOR_SECRET = "bench-vendor-secret"
FRESHDESK_AUTH = "bench:bench-password"


def generic(n: int, run: str) -> tuple[str, bytes, dict[str, str]]:
    body = json.dumps({
        "event_id": f"{run}-{n}", "type": "ticket.created", "occurred_at": "2026-11-20T08:00:00Z",
        "ticket": {"id": f"T-{run}-{n}", "customer": {"id": f"C-{n}", "locale": "zh-CN"}, "agent_id": f"A-{n % 200}",
                   "team_id": f"team-{n % 10}", "channel": "email", "priority": "normal", "subject": "订单迟迟未发货",
                   "status": "open", "created_at": "2026-11-20T08:00:00Z", "tags": ["发货"]},
    }, ensure_ascii=False).encode()
    now = str(int(time.time()))
    signature = hmac.new(SECRET.encode(), f"{now}.".encode() + body, hashlib.sha256).hexdigest()
    return "/v1/webhooks/tickets", body, {"X-CSQ-Timestamp": now, "X-CSQ-Signature": f"v1={signature}"}


def zendesk(n: int, run: str) -> tuple[str, bytes, dict[str, str]]:
    body = json.dumps({
        "type": "zen:event-type:ticket.created", "id": f"{run}-{n}", "time": "2026-11-20T08:00:00Z", "account_id": 1,
        "subject": f"zen:ticket:{run}{n}", "zendesk_event_version": "2022-11-06", "event": {},
        "detail": {"id": f"{run}{n}", "status": "NEW", "priority": "NORMAL", "group_id": f"{n % 10}",
                   "assignee_id": f"{n % 200}", "requester_id": f"{n}", "subject": "订单迟迟未发货",
                   "created_at": "2026-11-20T08:00:00Z", "via": {"channel": "email"}, "tags": ["发货"]},
    }, ensure_ascii=False).encode()
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    digest = hmac.new(VENDOR_SECRET.encode(), stamp.encode() + body, hashlib.sha256).digest()
    return "/v1/webhooks/zendesk", body, {
        "X-Zendesk-Webhook-Signature-Timestamp": stamp, "X-Zendesk-Webhook-Signature": base64.b64encode(digest).decode(),
    }


def freshdesk(n: int, run: str) -> tuple[str, bytes, dict[str, str]]:
    body = json.dumps({"freshdesk_webhook": {
        "ticket_id": f"{run}{n}", "ticket_subject": "发票抬头开错了", "ticket_status": "Open", "ticket_priority": "Medium",
        "ticket_source": "Email", "ticket_group_name": f"财务组{n % 10}", "ticket_agent_email": f"agent{n % 200}@example.com",
        "ticket_tags": "发票", "requester_name": "韩梅梅", "requester_email": "han.meimei@example.com",
        "triggered_event": "{ticket_action:created}",
    }}, ensure_ascii=False).encode()
    return "/v1/webhooks/freshdesk", body, {"Authorization": "Basic " + base64.b64encode(FRESHDESK_AUTH.encode()).decode()}


def chatwoot(n: int, run: str) -> tuple[str, bytes, dict[str, str]]:
    body = json.dumps({
        "event": "conversation_created", "id": f"{run}{n}", "status": "open", "priority": "medium",
        "channel": "Channel::WebWidget", "created_at": 1795161600, "updated_at": 1795161600.0, "labels": ["退货"],
        "meta": {"sender": {"id": n, "name": "张伟", "type": "contact"}, "assignee": {"id": n % 200, "type": "user"},
                 "team": {"id": n % 10, "name": "售后组"}},
    }, ensure_ascii=False).encode()
    now = str(int(time.time()))
    digest = hmac.new(VENDOR_SECRET.encode(), f"{now}.".encode() + body, hashlib.sha256).hexdigest()
    return "/v1/webhooks/chatwoot", body, {"X-Chatwoot-Timestamp": now, "X-Chatwoot-Signature": f"sha256={digest}"}


VENDORS = {"zendesk": zendesk, "freshdesk": freshdesk, "chatwoot": chatwoot}


def requests_for(make, port: int, count: int, run: str) -> list[bytes]:
    built = []
    for n in range(count):
        path, body, headers = make(n, run)
        built.append(build_request("127.0.0.1", port, path, body, {"Content-Type": "application/json", **headers}))
    return built


async def measure(make, port: int, count: int, concurrency: int):
    run = uuid.uuid4().hex[:8]
    await run_load("127.0.0.1", port, requests_for(make, port, 100, run + "w"), concurrency)  # warm-up
    return await run_load("127.0.0.1", port, requests_for(make, port, count, run), concurrency)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--vendor", choices=list(VENDORS), default="zendesk")
    parser.add_argument("--requests", type=int, default=2000, help="per round and route")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="csq-bench-vendor-"))
    broker = Broker(log_path=workdir / "tansu.log").start()
    database_url = f"sqlite+aiosqlite:///{workdir / 'feedback.db'}"
    if args.backend == "postgres":
        if not postgres_available():
            raise SystemExit("PostgreSQL does not answer at 127.0.0.1:5432")
        database_url = asyncio.run(create_postgres_database())
    try:
        asyncio.run(ensure_topics(broker.bootstrap_servers, ["csq.tickets", "csq.dlq"], 3))
        env = {
            "CSQ_ENV": "development", "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers, "CSQ_WEBHOOK_SECRET": SECRET,
            "FEEDBACK_DATABASE_URL": database_url, "LOG_LEVEL": "WARNING",
            "FEEDBACK_ZENDESK_SIGNING_SECRET": VENDOR_SECRET, "FEEDBACK_CHATWOOT_SECRET": VENDOR_SECRET,
            "FEEDBACK_FRESHDESK_BASIC_AUTH": FRESHDESK_AUTH,
        }
        with uvicorn_process("feedback_svc.main:create_app", env, factory=True, log=workdir / "feedback.log") as server:
            rounds = []
            for _ in range(args.rounds):
                base = asyncio.run(measure(generic, server.port, args.requests, args.concurrency))
                vendor = asyncio.run(measure(VENDORS[args.vendor], server.port, args.requests, args.concurrency))
                for name, result in (("generic", base), (args.vendor, vendor)):
                    bad = {s: n for s, n in result.statuses.items() if s != 202}
                    if bad:
                        raise SystemExit(f"{name} route answered {bad} (expected only 202); see {workdir}/feedback.log")
                rounds.append((vendor.per_second / base.per_second, vendor, base))
        ratio, vendor, base = sorted(rounds, key=lambda r: r[0])[len(rounds) // 2]
        print(
            f"vendor_webhooks[{args.vendor}, {args.backend}]: ratio {ratio:.2f} (median of {len(rounds)} alternating rounds: "
            f"{', '.join(f'{r[0]:.2f}' for r in rounds)}) — {args.vendor} {vendor.per_second:.0f} req/s "
            f"(p50 {vendor.percentile(0.5) * 1000:.1f} ms, p99 {vendor.percentile(0.99) * 1000:.1f} ms) vs generic "
            f"{base.per_second:.0f} req/s (p50 {base.percentile(0.5) * 1000:.1f} ms, p99 {base.percentile(0.99) * 1000:.1f} ms); "
            f"{args.requests} requests a round, concurrency {args.concurrency}"
        )
    finally:
        broker.stop()
        if args.backend == "postgres":
            asyncio.run(drop_postgres_database(database_url))


if __name__ == "__main__":
    main()
