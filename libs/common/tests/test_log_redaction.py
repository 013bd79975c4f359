"""No customer value reaches the logs or a dead letter's error: events whose values the database
refuses (through SQLAlchemy, and straight through the driver as the hot paths write) and an event
that is not a CloudEvent all go to the DLQ (real broker, real database) while the JSON log lines
are captured."""

import asyncio
import logging
from datetime import datetime, timezone

import orjson
import pytest
from aiokafka import AIOKafkaConsumer
from sqlalchemy import text

from csq_common import logging as csq_logging
from csq_common.bus.consumer import ConsumerRunner
from csq_common.bus.kafka import BrokerProducer, ensure_topics
from csq_common.db import is_sqlite
from csq_common.sql import driver_connection
from csq_common.events import CloudEvent
from csq_common.settings import BaseServiceSettings
from csq_testing import TEST_SESSION_TIMEOUT_MS, wait_until

PLANTED = {"email": "planted.customer@example.com", "name": "Planted Customername", "answer": "planted free-text answer"}


@pytest.fixture
async def people(engine):
    """A table that refuses the planted rows the way a constraint does, so the database's error
    is about (and, unredacted, quotes) the values of the event."""
    async with engine.begin() as connection:
        await connection.execute(
            text("CREATE TABLE people (email VARCHAR(200), name VARCHAR(200), answer TEXT, CHECK (email NOT LIKE 'planted%'))")
        )


async def _dead_letters(bootstrap: str, topic: str, expected: int) -> list[dict]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    try:
        letters: list[dict] = []
        deadline = asyncio.get_running_loop().time() + 20
        while len(letters) < expected and asyncio.get_running_loop().time() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            letters += [orjson.loads(record.value) for records in batch.values() for record in records]
        return letters
    finally:
        await consumer.stop()


async def _insert_through_the_driver(session, person: dict) -> None:
    """The way the set-based hot paths write: the driver's own errors (asyncpg's carry a DETAIL
    with the failing row) never pass through SQLAlchemy's ``hide_parameters``."""
    driver = await driver_connection(session)
    values = (person["email"], person["name"], person["answer"])
    if is_sqlite(str(session.bind.url)):
        await driver.execute("INSERT INTO people (email, name, answer) VALUES (?, ?, ?)", values)
    else:
        await driver.execute("INSERT INTO people (email, name, answer) VALUES ($1, $2, $3)", *values)


async def test_dead_letters_and_logs_carry_no_planted_value(capsys, people, sessions, broker, topic_prefix):
    csq_logging.configure("INFO", service="test")
    settings = BaseServiceSettings(environment="development", kafka_bootstrap_servers=broker.bootstrap_servers, topic_prefix=topic_prefix)
    things, dlq = settings.topic("things"), settings.topic("dlq")
    await ensure_topics(settings.kafka_bootstrap_servers, [things, dlq], 1)

    async def handler(session, events):
        for event in events:
            if event.type == "test.person.raw":
                await _insert_through_the_driver(session, event.data)
            else:
                await session.execute(text("INSERT INTO people (email, name, answer) VALUES (:email, :name, :answer)"), event.data)

    when = datetime(2026, 11, 20, tzinfo=timezone.utc)
    refused = CloudEvent(id="e1", source="test", type="test.person", time=when, data=PLANTED)
    refused_by_the_driver = CloudEvent(id="e2", source="test", type="test.person.raw", time=when, data=PLANTED)
    not_an_event = orjson.dumps({"id": "e3", "source": "test", "data": PLANTED})  # no type, no time
    producer = BrokerProducer(settings)
    producer.start()
    runner = ConsumerRunner(
        group="g-redaction", topics=[things], handler=handler, sessions=sessions, producer=producer, dlq_topic=dlq,
        bootstrap_servers=settings.kafka_bootstrap_servers, batch_size=50, max_retries=1, session_timeout_ms=TEST_SESSION_TIMEOUT_MS,
        retry_base_seconds=0.01,
    )  # fmt: skip
    try:
        await wait_until(lambda: producer.connected, message="producer connected")
        for value in (refused.to_bytes(), refused_by_the_driver.to_bytes(), not_an_event):
            await producer.send_and_wait(things, value, key=b"customer")
        runner.start()
        letters = await _dead_letters(settings.kafka_bootstrap_servers, dlq, 3)
    finally:
        await runner.stop()
        await producer.stop()

    assert len(letters) == 3
    [invalid] = [letter["error"] for letter in letters if letter["error"].startswith("invalid CloudEvent")]
    refusals = [letter["error"] for letter in letters if letter["error"] != invalid]
    assert "type" in invalid and len(refusals) == 2
    assert all("check constraint" in error.lower() for error in refusals)  # the database's errors, kept
    output = capsys.readouterr().out
    lines = [orjson.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert sum(line["message"] == "consumer.dead_lettered" for line in lines) == 3  # the logs were captured
    # The record itself rides in value_base64 by design (it is what is replayed); nothing else,
    # the error included, may copy its values.
    without_record = orjson.dumps([{k: v for k, v in letter.items() if k != "value_base64"} for letter in letters]).decode()
    for planted in PLANTED.values():
        assert planted not in without_record
        assert planted not in output


def test_an_access_log_line_has_the_token_of_the_path_redacted(capsys):
    csq_logging.configure("INFO", service="test")
    token = "planted-token-Qk3v9"
    # uvicorn's access log format; its records go through the same JSON handler as ours.
    logging.getLogger("uvicorn.access").warning('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", f"/s/{token}?lang=en", "1.1", 200)
    logging.getLogger("uvicorn.error").warning("link https://survey.example.com/v1/public/responses/%s", token)
    lines = [orjson.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert [line["message"] for line in lines] == [
        '127.0.0.1:5000 - "GET /s/<redacted>?lang=en HTTP/1.1" 200',
        "link https://survey.example.com/v1/public/responses/<redacted>",
    ]


@pytest.mark.parametrize(
    ("error", "kept"),
    [
        # What asyncpg raises on the raw driver paths (its own message format).
        ("invalid input for query argument $2: ['planted@example.com', 'x'] (expected str, got list)", "query argument $2"),
        ('invalid input syntax for type uuid: "planted-value"', "for type uuid"),
        ("1 validation error for Ticket\nemail\n  value is not an email [type=value_error, input_value='planted', input_type=str]", "email"),
    ],
)
def test_values_quoted_by_driver_and_validator_errors_are_redacted(error, kept):
    redacted = csq_logging.redact(error)
    assert "planted" not in redacted and kept in redacted
