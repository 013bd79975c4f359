"""Old feedback texts and identities are cleared by the service's retention; counts stay."""

from datetime import timedelta

from sqlalchemy import select

from csq_common.db import utcnow
from feedback_svc.feedback.models import FeedbackItem
from tests.feedback.factories import add_item


async def test_old_feedback_loses_its_text_and_customer_but_keeps_what_the_analysis_counts(client):
    now = utcnow()
    async with client.app.state.sessions() as session:
        old = await add_item(session, received_at=(now - timedelta(days=731)).isoformat(), kind="complaint", category="delivery",
                             channel="social", text="快递丢了，电话13800138000", customer_id="C-9", customer_name="李雷",
                             customer_email="li.lei@example.com", attachments=["https://img.example.com/1.jpg"])
        recent = await add_item(session, received_at=(now - timedelta(days=729)).isoformat(), kind="praise", category="attitude",
                                channel="chat", text="客服态度很好", customer_id="C-9")
        old_id, recent_id = old.id, recent.id
        await session.commit()

    await client.app.state.retention.run_until_done()

    async with client.app.state.sessions() as session:
        rows = {row.id: row for row in (await session.execute(select(FeedbackItem))).scalars()}
    cleared = rows[old_id]
    assert (cleared.text, cleared.attachments, cleared.customer_id, cleared.customer_name, cleared.customer_email) == ("", [], None, None, None)
    assert (cleared.kind, cleared.category, cleared.channel) == ("complaint", "delivery", "social")
    assert (rows[recent_id].text, rows[recent_id].customer_id) == ("客服态度很好", "C-9")
