"""What the running service writes to its log when an answer cannot be stored: neither the link's
one-time token nor the customer's free-text answer, on either answer route."""

import orjson
from sqlalchemy import text

from csq_common.db import is_sqlite
from tests.responses.factories import setup
from tests.responses.test_page import csrf_of

PLANTED_ANSWER = "planted-answer-7f3a9c"


async def refuse_planted_answers(app, database_url: str) -> None:
    """Make storing an answer that holds the planted text fail inside the database, the way a
    constraint would, so the error carries the row's values (dialect-specific, test only)."""
    if is_sqlite(database_url):
        statement = (
            "CREATE TRIGGER planted_failure BEFORE INSERT ON response_answers "
            "WHEN NEW.text LIKE 'planted-%' BEGIN SELECT RAISE(ABORT, 'planted failure'); END"
        )
    else:
        statement = "ALTER TABLE response_answers ADD CONSTRAINT planted_failure CHECK (text NOT LIKE 'planted-%') NOT VALID"
    async with app.state.sessions() as session:
        await session.execute(text(statement))
        await session.commit()


def log_lines(output: str) -> list[dict]:
    return [orjson.loads(line) for line in output.splitlines() if line.startswith("{")]


async def test_a_failed_answer_logs_neither_the_token_nor_the_answer(capsys, client, database_url):
    _, page_token, version = await setup(client.app)
    _, api_token, _ = await setup(client.app)
    await refuse_planted_answers(client.app, database_url)

    # q1 = 2 shows the free-text follow-up q2, which carries the planted answer.
    field = csrf_of((await client.get(f"/s/{page_token}")).text)
    page = await client.post(f"/s/{page_token}", data={"q1": "2", "q2": PLANTED_ANSWER, "q3": "9", "q4": "fast", "q5": "8", "csrf": field})
    api = await client.post(
        f"/v1/public/responses/{api_token}", json={"answers": {"q1": 2, "q2": PLANTED_ANSWER, "q3": 9, "q4": "fast", "q5": 8}}
    )
    assert page.status_code == 500 and api.status_code == 500, (page.text, api.text)

    output = capsys.readouterr().out
    failures = [line for line in log_lines(output) if line.get("message") == "http.unhandled_error"]
    assert len(failures) == 2  # both failures were logged, with the error, and captured here
    assert all("planted failure" in line["exception"] or "planted_failure" in line["exception"] for line in failures)
    assert {line["path"] for line in failures} == {"/s/<redacted>", "/v1/public/responses/<redacted>"}
    for planted in (page_token, api_token, PLANTED_ANSWER):
        assert planted not in output
