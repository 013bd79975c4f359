"""Request bodies for POST /v1/deliveries."""

from __future__ import annotations

import uuid
from typing import Any

WRITER = {"Authorization": "Bearer writer-key"}
READER = {"Authorization": "Bearer reader-key"}
SURVEY_LINK = "https://survey.example.com/s/tok-123"


def invitation_variables(**overrides: Any) -> dict[str, Any]:
    variables = {
        "customer_name": "李雷",
        "survey_link": SURVEY_LINK,
        "expires_at": "2026-11-27T10:00:00Z",
        "one_click": {"question_prompt": "您对本次服务满意吗？", "min": 1, "max": 5, "low_label": "很不满意", "high_label": "非常满意"},
    }
    variables.update(overrides)
    return {k: v for k, v in variables.items() if v is not None}


def delivery_body(*, email: str = "li.lei@example.com", name: str | None = "李雷", locale: str = "zh-CN", **overrides: Any) -> dict[str, Any]:
    body = {
        "channel": "email",
        "to": {"email": email, **({"name": name} if name else {})},
        "locale": locale,
        "template": "survey_invitation",
        "variables": invitation_variables(),
        "idempotency_key": f"inv-{uuid.uuid4().hex[:12]}",
    }
    body.update(overrides)
    return body
