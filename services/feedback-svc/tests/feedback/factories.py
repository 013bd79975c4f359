"""Feedback items as clients send them, with real-looking Chinese and English texts."""

from __future__ import annotations

from typing import Any

ZH_SLOW_REPLY = "客服回复太慢了，等了三天都没人理"
EN_RUDE_BILLING = "The agent was rude and never solved my billing problem"
ZH_PRAISE = "非常感谢客服小王，态度很好，问题很快就解决了，给你们点赞！"
ZH_ESCALATION = "快递送错了地址还不给退款，再不处理我就打12315投诉，还要找媒体曝光"
EN_SUGGESTION = "I would suggest adding a live chat option in the app, it would be nice to reach someone faster"

WRITER = {"Authorization": "Bearer admin-key"}
ADMIN = {"Authorization": "Bearer admin-key"}


def feedback_payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "source": "weibo",
        "external_id": "wb-4890012",
        "channel": "social",
        "text": ZH_SLOW_REPLY,
        "customer": {"id": "C-9", "name": "李雷", "email": "li.lei@example.com", "phone": "+86 138 0013 8000"},
        "team_id": "care-sh",
        "agent_id": "A-7",
        "attachments": ["https://wx1.sinaimg.cn/large/screenshot.jpg"],
    }
    payload.update(overrides)
    return payload


async def add_item(session, *, received_at: str, kind: str, category: str, channel: str, text: str = "客服回复太慢", **fields: Any):
    """A stored feedback item with exactly these values (no classification): for analysis tests."""
    import uuid
    from datetime import datetime

    from feedback_svc.feedback.models import FeedbackItem

    def when(value):
        return None if value is None else datetime.fromisoformat(value.replace("Z", "+00:00"))

    received = when(received_at)
    item = FeedbackItem(
        id=str(uuid.uuid4()), source=fields.pop("source", "weibo"), channel=channel, text=text,
        language=fields.pop("language", "zh-CN"), attachments=fields.pop("attachments", []), tags=[], kind=kind, category=category,
        kind_given=True, predicted_kind=kind, predicted_category=category, reviewed=False, severity=2,
        priority="normal", fired_rules=[], status="resolved" if fields.get("resolved_at") else "new", reopen_count=0,
        received_at=received, created_at=received, updated_at=received,
        resolved_at=when(fields.pop("resolved_at", None)), **fields,
    )
    session.add(item)
    await session.flush()
    return item
