"""The customer's confirmation page for a browser: the emailed link opens an HTML page in the item's
language with the reply escaped; the email's ``?answer=`` only highlights a button; the page's form
records the answer once; unknown links and bad forms are pages, never a 5xx."""

from __future__ import annotations

import html
import re

from tests.conftest import READER
from tests.feedback.factories import EN_RUDE_BILLING, WRITER, feedback_payload
from tests.feedback.test_workflow import link_token, step

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
FORM = {**BROWSER, "Content-Type": "application/x-www-form-urlencoded"}
REPLY_ZH = "李先生您好：\n您反映的<退款延迟>问题已处理，款项今天退回 & 请查收。"


async def replied_item(client, settings, reply: str = REPLY_ZH, **payload):
    item = (await client.post("/v1/feedback", json=feedback_payload(**payload), headers=WRITER)).json()
    await step(client, item["id"], "triage", {"team_id": "care-sh", "assignee_id": "U-12"})
    await step(client, item["id"], "reply", {"text": reply, "agent_id": "A-7"})
    token, _ = await link_token(client, settings)
    return item, token


async def stored(client, item_id):
    return (await client.get(f"/v1/feedback/{item_id}", headers=READER)).json()


def button_classes(page: str) -> dict[str, str]:
    return dict((value, cls) for value, cls in re.findall(r'name="resolved" value="(true|false)" class="([^"]+)"', page))


async def test_the_link_opens_a_chinese_page_and_the_form_reopens_the_item_once(client, settings):
    item, token = await replied_item(client, settings)

    opened = await client.get(f"/v1/public/feedback/{token}", params={"answer": "not_resolved"}, headers=BROWSER)
    assert opened.status_code == 200 and opened.headers["content-type"].startswith("text/html")
    page = opened.text
    assert '<html lang="zh-CN">' in page and "您的问题是否已经解决？" in page
    assert html.escape(REPLY_ZH, quote=False) in page and "<退款延迟>" not in page
    assert f'action="/v1/public/feedback/{token}/answer"' in page
    assert button_classes(page) == {"true": "yes", "false": "no chosen"}
    assert opened.headers["referrer-policy"] == "no-referrer" and "li.lei" not in page
    assert (await stored(client, item["id"]))["status"] == "replied"  # opening the link records nothing

    answered = await client.post(f"/v1/public/feedback/{token}/answer", content="resolved=false&comment=钱还没到账".encode(), headers=FORM)
    assert answered.status_code == 200 and "问题尚未解决" in answered.text
    after = await stored(client, item["id"])
    assert (after["status"], after["customer_confirmed"], after["customer_comment"], after["reopen_count"]) == ("reopened", False, "钱还没到账", 1)

    again = await client.post(f"/v1/public/feedback/{token}/answer", content=b"resolved=true", headers=FORM)
    assert again.status_code == 404 and "Link not valid" in again.text  # no Accept-Language: English
    assert (await client.get(f"/v1/public/feedback/{token}", headers=BROWSER)).status_code == 404
    assert (await stored(client, item["id"]))["status"] == "reopened"


async def test_an_english_item_is_confirmed_from_the_page(client, settings):
    reply = "Dear Ann,\nwe refunded the double charge today."
    item, token = await replied_item(client, settings, reply=reply, text=EN_RUDE_BILLING, channel="email", customer={"id": "C-3", "name": "Ann", "email": "ann@example.com"})
    page = (await client.get(f"/v1/public/feedback/{token}", params={"answer": "resolved"}, headers=BROWSER)).text
    assert '<html lang="en">' in page and "Has your issue been resolved?" in page and reply in page
    assert button_classes(page) == {"true": "yes chosen", "false": "no"}

    answered = await client.post(f"/v1/public/feedback/{token}/answer", content=b"resolved=true&comment=", headers=FORM)
    assert answered.status_code == 200 and "You confirmed that your issue is resolved" in answered.text
    after = await stored(client, item["id"])
    assert (after["status"], after["customer_confirmed"], after["customer_comment"]) == ("confirmed", True, None)


async def test_bad_forms_unknown_links_and_api_clients(client, settings):
    item, token = await replied_item(client, settings)
    for body in (b"", b"resolved=maybe", b"comment=hi"):
        refused = await client.post(f"/v1/public/feedback/{token}/answer", content=body, headers=FORM)
        assert refused.status_code == 422 and "请选择一个答案" in refused.text
    json_body = await client.post(f"/v1/public/feedback/{token}/answer", json={"resolved": True}, headers=BROWSER)
    assert json_body.status_code == 422  # the form route takes forms only
    assert (await stored(client, item["id"]))["status"] == "replied"

    unknown = await client.get("/v1/public/feedback/made-up-token", headers={**BROWSER, "Accept-Language": "zh-CN,zh;q=0.9"})
    assert unknown.status_code == 404 and "链接无效" in unknown.text and unknown.headers["content-type"].startswith("text/html")
    unknown_en = await client.post("/v1/public/feedback/made-up-token/answer", content=b"resolved=true", headers=FORM)
    assert unknown_en.status_code == 404 and "Link not valid" in unknown_en.text

    # An API client still gets JSON, and ?answer is checked.
    api = await client.get(f"/v1/public/feedback/{token}", params={"answer": "resolved"})
    assert api.status_code == 200 and api.json()["reply_text"] == REPLY_ZH
    wrong = await client.get(f"/v1/public/feedback/{token}", params={"answer": "maybe"}, headers=BROWSER)
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "answer"
