"""The reply to a feedback item on the running system, in zh-CN and en (and per backend):

``POST /v1/feedback`` → triage → reply (feedback-svc) → ``feedback.replied`` → notify-svc mails it
to the stack's aiosmtpd sink → the test follows the email's "resolved" button to feedback-svc's
confirmation page and presses it (posts the page's form) → the item is confirmed.
"""

from __future__ import annotations

import email
import email.policy
import re
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from csq_testing import wait_until
from system import ADMIN

BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
CASES = {
    "zh-CN": {
        "text": "订单的退款申请提交一周了还没到账，客服也一直不回复，太失望了",
        "reply": "您好，非常抱歉让您久等。\n退款已于今天原路退回，预计1-3个工作日到账。",
        "name": "赵敏", "subject": "关于您反馈的问题，我们的答复", "button": "已解决", "thanks": "您已确认问题已解决",
    },
    "en": {
        "text": "I was charged twice for my order and nobody answered my emails for a week",
        "reply": "Dear Emma,\nwe refunded the second charge today; it shows on your statement within 3 days.",
        "name": "Emma Brown", "subject": "Our reply to your feedback", "button": "Yes, it is resolved",
        "thanks": "You confirmed that your issue is resolved",
    },
}  # fmt: skip


@pytest.fixture(params=list(CASES))
def locale(request) -> str:
    return request.param


async def wait_for_mail(mail_dir: Path, address: str, timeout: float = 60) -> email.message.EmailMessage:
    def find():
        for path in sorted(mail_dir.glob("*.eml")) if mail_dir.exists() else []:
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if address in str(message["To"]):
                return message
        return None

    return await wait_until(find, timeout=timeout, interval=0.2, message=f"the reply email to {address}")


async def test_a_reply_is_mailed_and_the_customer_confirms_it_on_the_page(stack, locale):
    case = CASES[locale]
    address = f"customer-{uuid.uuid4().hex[:10]}@example.com"
    # The first item waits for the classifiers to load (jieba, SnowNLP): a generous timeout.
    async with httpx.AsyncClient(base_url=stack.url("feedback"), timeout=60) as client:
        created = await client.post(
            "/v1/feedback",
            json={
                "source": "email", "channel": "email", "text": case["text"], "language": locale,
                "customer": {"id": f"C-{uuid.uuid4().hex[:8]}", "name": case["name"], "email": address},
            },
            headers=ADMIN,
        )  # fmt: skip
        assert created.status_code == 201, created.text
        item_id = created.json()["id"]
        for action, body in (("triage", {"team_id": "care-sys", "assignee_id": "U-1"}), ("reply", {"text": case["reply"], "agent_id": "A-1"})):
            response = await client.post(f"/v1/feedback/{item_id}/{action}", json=body, headers=ADMIN)
            assert response.status_code == 200, response.text

        message = await wait_for_mail(stack.mail_dir, address)
        assert message["Subject"] == case["subject"]
        text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
        assert case["reply"] in text
        page_html = message.get_body(("html",)).get_content()
        links = [href.replace("&amp;", "&") for href in re.findall(r'href="([^"]+)"', page_html)]
        [resolved_link] = [link for link in links if link.endswith("?answer=resolved")]
        # The stack sets FEEDBACK_PUBLIC_BASE_URL to its own feedback-svc: the link is followed as is.
        parts = urlsplit(resolved_link)
        assert resolved_link.startswith(stack.url("feedback") + "/v1/public/feedback/")

        opened = await client.get(resolved_link, headers=BROWSER)
        assert opened.status_code == 200 and opened.headers["content-type"].startswith("text/html")
        assert f'<html lang="{locale}">' in opened.text and case["button"] in opened.text
        action = re.search(r'<form method="post" action="([^"]+)"', opened.text).group(1)
        assert (await client.get(f"/v1/feedback/{item_id}", headers=ADMIN)).json()["status"] == "replied"

        answered = await client.post(action, content=b"resolved=true", headers={**BROWSER, "Content-Type": "application/x-www-form-urlencoded"})
        assert answered.status_code == 200 and case["thanks"] in answered.text
        item = (await client.get(f"/v1/feedback/{item_id}", headers=ADMIN)).json()
        assert (item["status"], item["customer_confirmed"]) == ("confirmed", True)
        assert (await client.get(parts.path, headers=BROWSER)).status_code == 404  # the link worked once
