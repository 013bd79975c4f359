"""SQLite: what the service commits reaches the database file by its background checkpoints (no
commit checkpoints on its way), and a stopped service leaves the database file whole."""

from pathlib import Path

import orjson
import pytest
from sqlalchemy.engine import make_url

from csq_testing import rows_in_database_file, running_app, wait_until
from feedback_svc.main import create_app
from tests.conftest import WEBHOOK_URL, signed_headers
from tests.webhooks.factories import closed_event


async def test_committed_webhooks_reach_the_database_file_and_the_log_is_gone_after_stop(settings, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("the write-ahead log and its checkpoints are SQLite's")
    path = Path(make_url(database_url).database)
    app = create_app(settings)
    async with running_app(app, ensure_topics_for=settings) as client:
        for n in range(3):
            body = orjson.dumps(closed_event(event_id=f"crm-file-{n}", id=f"T-file-{n}"))
            assert (await client.post(WEBHOOK_URL, content=body, headers=signed_headers(body))).status_code == 202
        # The three commits wrote far fewer pages than any automatic checkpoint waits for: only
        # the service's checkpointer can have copied them.
        await wait_until(lambda: rows_in_database_file(path, "webhook_receipts") == 3, timeout=10, message="receipts in the file")
    assert not path.with_name(path.name + "-wal").exists() or path.with_name(path.name + "-wal").stat().st_size == 0
    assert rows_in_database_file(path, "webhook_receipts") == 3
