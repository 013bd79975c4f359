from csq_testing import published_and_recorded, ready, wait_until


async def test_health_ready_metrics_and_docs(client):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    await wait_until(lambda: ready(client), message="readyz 200")
    assert (await client.get("/readyz")).json()["checks"] == {"database": "ok", "broker": "ok"}
    assert "csq_http_requests_total" in (await client.get("/metrics")).text
    assert (await client.get("/openapi.json")).json()["info"]["title"] == "CSQ notify-svc"


async def test_consumer_records_each_event_once_in_its_inbox(client, settings):
    rows = await published_and_recorded(client.app, settings, domain="surveys", group="notify-svc")
    assert rows == [("evt-1", "test.first"), ("evt-2", "test.later")]
