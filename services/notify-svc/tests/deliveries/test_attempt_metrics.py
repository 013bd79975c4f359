"""Every recorded delivery attempt is counted by outcome on /metrics (the alert rules in
deploy/prometheus/csq-rules.yml read csq_notify_delivery_attempts_total)."""

from prometheus_client.parser import text_string_to_metric_families

from csq_testing import wait_until
from tests.deliveries.factories import READER, WRITER, delivery_body


async def attempts(client) -> dict[str, float]:
    text = (await client.get("/metrics")).text
    counts: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "csq_notify_delivery_attempts_total" and sample.labels["template"] == "survey_invitation":
                counts[sample.labels["outcome"]] = sample.value
    return counts


async def test_delivered_and_failed_attempts_are_counted(smtp, client):
    before = await attempts(client)
    smtp.collector.refuse["nobody@example.com"] = "550 no such user"
    ok = (await client.post("/v1/deliveries", json=delivery_body(idempotency_key="m-ok"), headers=WRITER)).json()
    bad = (await client.post("/v1/deliveries", json=delivery_body(email="nobody@example.com", idempotency_key="m-bad"), headers=WRITER)).json()

    async def both_settled():
        states = [(await client.get(f"/v1/deliveries/{d['id']}", headers=READER)).json()["status"] for d in (ok, bad)]
        return states if states == ["delivered", "failed"] else None

    await wait_until(both_settled, message="one delivered, one failed")
    after = await attempts(client)
    assert after.get("delivered", 0) - before.get("delivered", 0) == 1
    assert after.get("failed", 0) - before.get("failed", 0) == 1
