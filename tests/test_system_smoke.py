"""The whole system starts from its migrations, every service is healthy and ready, and a service
killed with SIGKILL comes back ready. Runs once per database backend (see conftest.py)."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client.parser import text_string_to_metric_families

from devstack import SERVICES


@pytest.fixture(params=list(SERVICES))
def service(request) -> str:
    return request.param


def get(stack, name: str, path: str) -> httpx.Response:
    return httpx.get(f"{stack.url(name)}{path}", timeout=10)


def test_service_is_alive_and_ready_with_database_and_broker(stack, service):
    assert get(stack, service, "/healthz").json() == {"status": "ok"}
    ready = get(stack, service, "/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"database": "ok", "broker": "ok"}}


def test_metrics_are_prometheus_text_with_request_counters(stack, service):
    get(stack, service, "/healthz")
    response = get(stack, service, "/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    families = {family.name: family for family in text_string_to_metric_families(response.text)}
    healthz = [
        sample
        for sample in families["csq_http_requests"].samples
        if sample.name == "csq_http_requests_total" and sample.labels["route"] == "/healthz"
    ]
    assert healthz and healthz[0].labels["status"] == "200" and healthz[0].value >= 1


def test_openapi_document_names_the_service(stack, service):
    document = get(stack, service, "/openapi.json").json()
    assert document["info"]["title"] == f"CSQ {service}-svc"
    assert document["openapi"].startswith("3.")
    assert get(stack, service, "/docs").status_code == 200


def test_every_topic_exists_with_the_configured_partitions(stack):
    async def describe() -> dict[str, int]:
        admin = AIOKafkaAdminClient(bootstrap_servers=stack.bootstrap_servers)
        await admin.start()
        try:
            topics = await admin.describe_topics(stack.topics)
        finally:
            await admin.close()
        return {topic["topic"]: len(topic["partitions"]) for topic in topics}

    assert asyncio.run(describe()) == {topic: stack.partitions for topic in stack.topics}
    assert sorted(stack.topics) == sorted(f"csq.{d}" for d in ("tickets", "calls", "feedback", "surveys", "audits", "kpi", "notify", "dlq"))


def test_service_killed_with_sigkill_comes_back_ready(stack):
    before = stack.process("survey").pid
    assert stack.kill("survey") == -9
    with pytest.raises(httpx.ConnectError):
        get(stack, "survey", "/healthz")
    stack.start_service("survey")  # waits for /readyz 200: migrations at head, broker reconnected
    assert stack.process("survey").pid != before
    assert get(stack, "survey", "/readyz").json()["checks"] == {"database": "ok", "broker": "ok"}
    # The others did not notice.
    assert all(stack.readiness(name)[0] == 200 for name in SERVICES)


def test_paused_broker_shows_in_readyz_and_the_services_recover(stack):
    stack.pause_broker()  # SIGSTOP: connections stay open but nothing answers, like a hung broker
    try:
        # Asked again until it shows (a fresh CI run once got 200 from the first probe right after
        # the signal): the property is that a hung broker shows, within a few of readyz's 2 s pings.
        deadline = time.monotonic() + 20
        status, body = stack.readiness("feedback", timeout=15)
        while status != 503 and time.monotonic() < deadline:
            time.sleep(0.5)
            status, body = stack.readiness("feedback", timeout=15)
        assert status == 503
        assert '"broker":"unreachable"' in body and '"database":"ok"' in body
    finally:
        stack.resume_broker()
    stack.wait_ready(SERVICES, timeout=60)


def test_metrics_pass_promtool_lint(stack, service):
    """Debian's real ``promtool check metrics``: names, units, types and help follow Prometheus'
    conventions. CI installs the package; without it this is a loud skip, never a silent pass."""
    import os
    import shutil
    import subprocess

    promtool = shutil.which("promtool")
    if promtool is None:
        if os.environ.get("CI"):
            pytest.fail("promtool is missing in CI (Debian package prometheus)")
        pytest.skip("promtool not installed (Debian package prometheus): metrics lint SKIPPED")
    get(stack, service, "/healthz")
    text = get(stack, service, "/metrics").text
    result = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
