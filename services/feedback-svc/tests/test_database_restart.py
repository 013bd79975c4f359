"""PostgreSQL dropping every connection (a restart, a failover) while the service runs."""

import pytest
from sqlalchemy import text

from csq_common.db import create_engine
from tests.conftest import READER
from tests.webhooks.factories import closed_event


async def _drop_every_connection_to(database_url: str) -> int:
    admin = create_engine(database_url)
    try:
        async with admin.connect() as connection:
            dropped = await connection.scalar(
                text(
                    "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
            await connection.commit()
        return dropped
    finally:
        await admin.dispose()


async def _until_answered(send, *, attempts: int = 6):
    """Send like a client that honours 503 + Retry-After (without the wait); every answer is kept."""
    answers = []
    for _ in range(attempts):
        response = await send()
        answers.append(response)
        if response.status_code != 503:
            break
        assert response.headers["retry-after"] == "2" and response.json()["type"].endswith("/service-unavailable")
    return answers


async def test_requests_during_a_database_restart_get_a_retryable_503_until_it_is_back_never_a_500(
    client, post_webhook, database_url
):
    if not database_url.startswith("postgresql"):
        pytest.skip("needs a database server whose connections can drop")
    assert (await post_webhook(closed_event(event_id="crm-before", id="T-before"))).status_code == 202
    assert await _drop_every_connection_to(database_url) >= 1

    # The pooled connections were used a moment ago, so they are not pinged: a statement finds its
    # connection dead (once per dead connection at most; the pool is renewed). Such a request is
    # answered 503 with Retry-After; none is a 500, and a retry soon succeeds.
    reads = await _until_answered(lambda: client.get("/v1/tickets/T-before", headers=READER))
    assert [r.status_code for r in reads][-1] == 200 and all(r.status_code in (200, 503) for r in reads)

    await _drop_every_connection_to(database_url)
    # A webhook's group commit retries its batch once on a fresh connection; if that found a dead
    # one too, the CRM is told 503 and its retry is accepted. Nothing is lost or stored twice.
    posts = await _until_answered(lambda: post_webhook(closed_event(event_id="crm-after", id="T-after")))
    assert [r.status_code for r in posts][-1] == 202 and all(r.status_code in (202, 503) for r in posts)
    again = await _until_answered(lambda: client.get("/v1/tickets/T-after", headers=READER))
    assert again[-1].status_code == 200 and again[-1].json()["last_event_type"] == "ticket.closed"
