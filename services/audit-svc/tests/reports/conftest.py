import pytest

from tests.reports.programme import all_na_definition, store
from tests.scorecards.factories import published


@pytest.fixture
async def generated(client):
    """The generated programme of tests/reports/programme.py, stored in the app's database."""
    body = all_na_definition()
    card = await published(client, body)
    return await store(client.app.state.sessions, card, body)
