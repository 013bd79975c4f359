"""The migrations build exactly the tables the models declare, on both backends."""

from csq_testing import migration_differences
from feedback_svc import models  # noqa: F401  (registers every table on Base.metadata)
from feedback_svc.main import SERVICE_ROOT


async def test_alembic_head_matches_the_models(empty_database_url):
    differences, names = await migration_differences(empty_database_url, SERVICE_ROOT)
    assert differences == []
    assert {"tickets", "outbox", "inbox"} <= names
