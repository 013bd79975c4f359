"""POST /v1/customers/{id}/erase: the identity leaves the tickets, customer.erased is published."""

from datetime import datetime, timedelta

from sqlalchemy import insert, select

from csq_common.db import utcnow
from feedback_svc.tickets.models import Ticket
from feedback_svc.webhooks.models import WebhookReceipt
from tests.conftest import READER
from csq_testing.topics import published
from tests.webhooks.factories import closed_event, ticket_event

ADMIN = {"Authorization": "Bearer admin-key"}


async def test_erasing_a_customer_clears_their_tickets_and_publishes_customer_erased(client, post_webhook, settings):
    for payload in (
        closed_event(event_id="crm-a", id="T-1"),
        ticket_event(event_id="crm-b", id="T-2"),
        ticket_event(event_id="crm-c", id="T-3", customer={"id": "C-other", "email": "other@example.com", "name": "韩梅梅"}),
    ):
        assert (await post_webhook(payload)).status_code == 202

    response = await client.post("/v1/customers/C-9/erase", headers=ADMIN)

    assert response.status_code == 202, response.text
    body = response.json()
    assert body["customer_id"] == "C-9" and body["tickets_anonymised"] == 2
    async with client.app.state.sessions() as session:
        rows = {row.id: row for row in (await session.execute(select(Ticket))).scalars()}
    for ticket_id in ("T-1", "T-2"):
        assert (rows[ticket_id].customer_id, rows[ticket_id].customer_email, rows[ticket_id].customer_name) == (None, None, None)
        assert rows[ticket_id].agent_id is not None  # what KPIs and audits need stays
    assert rows["T-3"].customer_email == "other@example.com"  # another customer is untouched
    ticket = (await client.get("/v1/tickets/T-1", headers=READER)).json()
    assert "li.lei@example.com" not in str(ticket) and "李雷" not in str(ticket)

    events = await published(client.app, settings, "feedback")
    assert [(key, event.type, event.data["customer_id"]) for key, event in events] == [("C-9", "customer.erased", "C-9")]
    assert datetime.fromisoformat(events[0][1].data["requested_at"]) == datetime.fromisoformat(body["requested_at"])


async def test_erasure_takes_the_admin_scope_and_a_sane_id(client):
    assert (await client.post("/v1/customers/C-9/erase", headers=READER)).status_code == 403
    assert (await client.post("/v1/customers/C-9/erase")).status_code == 401
    refused = await client.post("/v1/customers/" + "x" * 201 + "/erase", headers=ADMIN)
    assert refused.status_code == 422 and "customer_id" in refused.text
    namespaced = await client.post("/v1/customers/zendesk:C/9/erase", headers=ADMIN)
    assert namespaced.status_code == 202 and namespaced.json()["customer_id"] == "zendesk:C/9"


async def test_old_webhook_receipts_and_inbox_rows_go_with_the_service_retention(client, settings):
    now = utcnow()
    async with client.app.state.sessions() as session:
        await session.execute(
            insert(WebhookReceipt.__table__),
            [
                {"event_id": "old", "event_type": "ticket.closed", "ticket_id": "T-1", "occurred_at": now, "received_at": now - timedelta(days=31)},
                {"event_id": "recent", "event_type": "ticket.closed", "ticket_id": "T-1", "occurred_at": now, "received_at": now - timedelta(days=29)},
            ],
        )
        await session.commit()
    await client.app.state.retention.run_until_done()
    async with client.app.state.sessions() as session:
        assert set((await session.execute(select(WebhookReceipt.event_id))).scalars()) == {"recent"}
