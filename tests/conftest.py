"""Whole-system fixtures: the real broker and the five services as processes (scripts/devstack.py).

``stack`` is session-scoped and parametrized by database backend (``CSQ_TEST_BACKENDS``,
``sqlite,postgres`` by default): every test that takes it runs once against an all-SQLite system
and once against an all-PostgreSQL one (one database per service, dropped afterwards). PostgreSQL
down means those runs are skipped loudly, or fail when ``CSQ_REQUIRE_POSTGRES=1`` (CI).
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from devstack import SERVICES, Stack  # noqa: E402

from csq_common.settings import DEVELOPMENT_API_KEYS, DEVELOPMENT_WEBHOOK_SECRET  # noqa: E402
from csq_testing import (  # noqa: E402
    create_postgres_database,
    drop_postgres_database,
    free_port,
    postgres_available,
    test_backends,
    TEST_SESSION_TIMEOUT_MS,
)

# A restarted consumer rejoins its group only once the broker has expired the killed member, so
# whole-system tests use a short session timeout to keep restarts quick.
SESSION_TIMEOUT_MS = str(TEST_SESSION_TIMEOUT_MS)
VENDOR_ENV = {
    "FEEDBACK_ZENDESK_SIGNING_SECRET": "sys-zendesk-signing-secret",
    "FEEDBACK_FRESHDESK_BASIC_AUTH": "csq-hook:sys-freshdesk-password",
    "FEEDBACK_CHATWOOT_SECRET": "sys-chatwoot-secret",
}


def require_postgres() -> None:
    if postgres_available():
        return
    if os.environ.get("CSQ_REQUIRE_POSTGRES") == "1":
        pytest.fail("PostgreSQL at 127.0.0.1:5432 does not answer and CSQ_REQUIRE_POSTGRES=1")
    pytest.skip("PostgreSQL at 127.0.0.1:5432 does not answer: whole-system PostgreSQL variant SKIPPED")


@pytest.fixture(scope="session", params=test_backends())
def stack_backend(request) -> str:
    if request.param not in ("sqlite", "postgres"):
        raise ValueError(f"unknown backend {request.param!r} in CSQ_TEST_BACKENDS")
    if request.param == "postgres":
        require_postgres()
    return request.param


@pytest.fixture(scope="session")
def stack(stack_backend: str, tmp_path_factory) -> Iterator[Stack]:
    """The whole system on free ports, its own var dir (logs in ``<var>/log/<name>.log``)."""
    var_dir = tmp_path_factory.mktemp(f"stack-{stack_backend}")
    databases: dict[str, str] = {}
    try:
        if stack_backend == "postgres":
            run = uuid.uuid4().hex[:8]
            for name in SERVICES:
                databases[name] = asyncio.run(create_postgres_database(f"csq_sys_{run}_{name}"))
        instance = Stack(
            broker_port=free_port(),
            ports={name: free_port() for name in SERVICES},
            database_urls=databases,
            var_dir=var_dir,
            env={
                "KAFKA_SESSION_TIMEOUT_MS": SESSION_TIMEOUT_MS,
                "LOG_LEVEL": "INFO",
                # Small consumer batches, so a SIGKILL in the fault tests lands between and inside them.
                "CSQ_CONSUMER_BATCH_SIZE": "50",
                # Pinned, so a developer's shell cannot change what the tests authenticate with.
                "CSQ_ENV": "development",
                "CSQ_API_KEYS": DEVELOPMENT_API_KEYS,
                "CSQ_WEBHOOK_SECRET": DEVELOPMENT_WEBHOOK_SECRET,
                # The CRM connectors (test_system_connectors.py), configured as a CRM would be.
                **VENDOR_ENV,
            },
            ready_timeout=90,
        )
        with instance:
            yield instance
    finally:
        for url in databases.values():
            asyncio.run(drop_postgres_database(url))


@pytest.fixture(autouse=True)
def _stack_left_whole(request) -> Iterator[None]:
    """After each test that used the shared stack, put back any process a (failed) fault test
    left stopped, killed or paused, so one test's failure does not cascade into the next."""
    stack = request.getfixturevalue("stack") if "stack" in request.fixturenames else None
    yield
    if stack is not None:
        restarted = stack.ensure_running()
        if restarted:
            print(f"\n[stack] restarted after {request.node.name}: {', '.join(restarted)}")
