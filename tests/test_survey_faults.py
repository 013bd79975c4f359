"""Survey invitations through faults on the running system: the broker paused while tickets
close, then survey-svc SIGKILLed as soon as the first invitation email arrives and restarted
(its consumer rereads what it had not committed, its relay republishes what it had not marked
sent). Every customer gets exactly one invitation email and kpi-svc counts every invitation once.

The scheduler sends a whole batch in one transaction, so the kill may land after every
invitation of this test is committed; what the test pins down is that nothing read, sent or
published again after the restart invites anyone twice."""

from __future__ import annotations

import email
import email.policy
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx

from csq_testing import wait_until
from system import ADMIN, kpi_summary, post_webhooks
from test_survey_journey import JOURNEYS, closed_ticket, create_survey_and_campaign

UTC = timezone.utc
CUSTOMERS = 24


def invitation_recipients(mail_dir: Path, domain: str) -> Counter:
    """How many emails each address at ``domain`` got (the sink keeps one .eml per message)."""
    counts: Counter = Counter()
    for path in mail_dir.glob("*.eml") if mail_dir.exists() else []:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for address in message["To"].addresses:
            if address.domain == domain:
                counts[address.addr_spec] += 1
    return counts


async def invitations_sent(survey_url: str, ticket_ids: list[str]) -> int:
    async with httpx.AsyncClient(base_url=survey_url, headers=ADMIN, timeout=10) as client:
        sent = 0
        for ticket_id in ticket_ids:
            page = (await client.get("/v1/invitations", params={"ticket_id": ticket_id})).json()
            sent += sum(1 for item in page["items"] if item["status"] == "sent")
        return sent


async def test_each_customer_gets_one_invitation_through_a_broker_pause_and_a_survey_svc_kill(stack):
    team = f"team-faults-{uuid.uuid4().hex[:6]}"
    domain = f"{uuid.uuid4().hex[:8]}.example.com"
    await create_survey_and_campaign(stack.url("survey"), team)
    closed_at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    hooks = [closed_ticket(team, JOURNEYS["en"], f"customer-{n}@{domain}", closed_at) for n in range(CUSTOMERS)]
    ticket_ids = [hook.ticket["id"] for hook in hooks]

    stack.pause_broker()
    try:
        statuses = await post_webhooks(stack.url("feedback"), hooks)
        assert statuses == {202: CUSTOMERS}
    finally:
        stack.resume_broker()

    # Kill survey-svc as soon as the first invitation is out.
    await wait_until(lambda: invitation_recipients(stack.mail_dir, domain) or None, timeout=60, interval=0.02, message="first invitation")
    stack.kill("survey")
    stack.start_service("survey")

    everyone = {f"customer-{n}@{domain}" for n in range(CUSTOMERS)}
    await wait_until(lambda: set(invitation_recipients(stack.mail_dir, domain)) == everyone or None, timeout=120, message="every invitation")
    assert await invitations_sent(stack.url("survey"), ticket_ids) == CUSTOMERS

    window = (closed_at - timedelta(days=1), datetime.now(UTC) + timedelta(days=1))

    async def invited_counted():
        counts = (await kpi_summary(stack.url("kpi"), *window, team=team))["counts"]
        return counts if counts["survey_response_pct"] == CUSTOMERS else None

    await wait_until(invited_counted, timeout=60, message=f"{CUSTOMERS} invitations in kpi-svc")
    # Whatever was redelivered after the kill has been applied by now: still one email each.
    assert invitation_recipients(stack.mail_dir, domain) == Counter({address: 1 for address in everyone})
    assert (await kpi_summary(stack.url("kpi"), *window, team=team))["counts"]["survey_response_pct"] == CUSTOMERS
