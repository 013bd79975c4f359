"""The customer's confirmation page behind the emailed link, for a browser: server-rendered (Jinja2,
autoescaped), no JavaScript, in the item's language (zh-CN or en).

``GET /v1/public/feedback/{token}`` answers HTML when the client asks for it (a browser's
``Accept``), JSON otherwise (see ``workflow_router``); ``?answer=resolved|not_resolved`` from the
email's two buttons only highlights that answer, it records nothing (mail scanners follow links).
The page's form posts (form-encoded) to ``/v1/public/feedback/{token}/answer``, which records the
answer through the same :func:`workflow.customer_answer` as the JSON API and shows the outcome.
The token is the credential and works once, so there is nothing for a forged form to gain.
"""

from __future__ import annotations

import functools
from typing import Annotated, Any, Literal
from urllib.parse import parse_qs

import jinja2
from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from csq_common.db import utcnow
from csq_common.http.dependencies import SessionDep
from feedback_svc.feedback import workflow
from feedback_svc.feedback.errors import ConfirmationLinkUnknown, InvalidTransition
from feedback_svc.feedback.workflow_schemas import CustomerAnswer
from feedback_svc.settings import SettingsDep

router = APIRouter(prefix="/v1/public/feedback", tags=["feedback confirmation (public)"], include_in_schema=False)

Answer = Literal["resolved", "not_resolved"]
_STATUSES_ZH = {
    "new": "已收到", "triaged": "处理中", "in_progress": "处理中", "replied": "已答复", "resolved": "已解决",
    "confirmed": "已确认解决", "reopened": "重新处理中",
}  # fmt: skip
_STATUSES_EN = {
    "new": "received", "triaged": "being handled", "in_progress": "being handled", "replied": "replied",
    "resolved": "resolved", "confirmed": "confirmed as resolved", "reopened": "being handled again",
}  # fmt: skip
TEXTS: dict[str, dict[str, Any]] = {
    "zh-CN": {
        "title": "您的问题解决了吗？",
        "intro": "感谢您的反馈。我们的答复如下：",
        "status_label": "当前状态：",
        "statuses": _STATUSES_ZH,
        "question": "您的问题是否已经解决？",
        "press_to_send": "请点击下方按钮确认您的选择，点击后才会提交。",
        "comment_label": "补充说明（选填）：",
        "resolved": "已解决",
        "not_resolved": "未解决",
        "once": "此链接仅供您本人使用，只能提交一次。",
        "thanks_title": "感谢您的确认",
        "thanks_resolved": "您已确认问题已解决。感谢您的反馈！",
        "thanks_not_resolved": "我们已收到您的回复：问题尚未解决。我们会重新处理并尽快与您联系。",
        "unknown_title": "链接无效",
        "unknown_body": "此链接无效、已过期或已经使用过。如仍需帮助，请直接联系我们的客户服务。",
        "not_yet_title": "暂时无法确认",
        "not_yet_body": "我们仍在处理您的问题，答复后会再次通知您。",
        "invalid_title": "请选择一个答案",
        "invalid_body": "请返回上一页，点击“已解决”或“未解决”。",
    },
    "en": {
        "title": "Is your issue resolved?",
        "intro": "Thank you for your feedback. Here is our reply:",
        "status_label": "Status: ",
        "statuses": _STATUSES_EN,
        "question": "Has your issue been resolved?",
        "press_to_send": "Please press a button below to send your answer; nothing is sent until you do.",
        "comment_label": "Anything to add (optional):",
        "resolved": "Yes, it is resolved",
        "not_resolved": "No, it is not resolved",
        "once": "This link is for you only and works once.",
        "thanks_title": "Thank you",
        "thanks_resolved": "You confirmed that your issue is resolved. Thank you for your feedback!",
        "thanks_not_resolved": "We have your answer: the issue is not resolved. We will look at it again and get back to you soon.",
        "unknown_title": "Link not valid",
        "unknown_body": "This link is unknown, has expired or has already been used. If you still need help, please contact our customer service.",
        "not_yet_title": "Nothing to confirm yet",
        "not_yet_body": "We are still working on your issue and will write to you again when we have replied.",
        "invalid_title": "Please choose an answer",
        "invalid_body": "Please go back and press “Yes, it is resolved” or “No, it is not resolved”.",
    },
}
Token = Annotated[str, Path(min_length=1, max_length=200)]


@functools.cache
def _templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("feedback_svc.feedback", "page_templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def page_language(language: str | None, accept_language: str | None = None) -> str:
    """zh-CN for a Chinese item (or, without one, a browser that prefers Chinese), else en."""
    wanted = language or (accept_language or "").split(",")[0].strip()
    return "zh-CN" if wanted.lower().startswith("zh") else "en"


def wants_html(request: Request) -> bool:
    """A browser: ``text/html`` accepted and not after JSON (API clients send ``*/*`` or JSON)."""
    accept = request.headers.get("accept", "").lower()
    html_at, json_at = accept.find("text/html"), accept.find("application/json")
    return html_at >= 0 and (json_at < 0 or html_at < json_at)


def _html(template: str, http_status: int, **context: Any) -> HTMLResponse:
    response = HTMLResponse(_templates().get_template(template).render(**context), status_code=http_status)
    # The token is in the URL: keep it out of other sites' Referer headers and out of caches.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


def state_page(status: int, language: str, title_key: str, body_key: str) -> HTMLResponse:
    t = TEXTS[language]
    return _html("state.html", status, lang=language, title=t[title_key], body=t[body_key])


def unknown_link_page(request: Request) -> HTMLResponse:
    """The same page for every unknown, expired or used token (nothing about what it matched)."""
    return state_page(404, page_language(None, request.headers.get("accept-language")), "unknown_title", "unknown_body")


def confirmation_html(token: str, page: dict, answer: Answer | None) -> HTMLResponse:
    language = page_language(page["language"])
    t = TEXTS[language]
    return _html(
        "confirm.html", 200, lang=language, t=t, title=t["title"], reply_text=page["reply_text"], status=page["status"],
        action=f"/v1/public/feedback/{token}/answer", chosen=answer,
    )


async def _read_form(request: Request) -> dict[str, list[str]]:
    """The urlencoded body; anything else reads as an empty form (then refused as no answer)."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/x-www-form-urlencoded":
        return {}
    try:
        return parse_qs((await request.body()).decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=10)
    except ValueError:
        return {}


@router.post("/{token}/answer", response_class=HTMLResponse)
async def answer_form(token: Token, request: Request, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    """The page's form: ``resolved=true|false`` and an optional ``comment``; once."""
    now = utcnow()
    try:
        page = await workflow.confirmation_page(session, token, now=now)
    except ConfirmationLinkUnknown:
        return unknown_link_page(request)
    language = page_language(page["language"])
    form = await _read_form(request)
    try:
        answer = CustomerAnswer(
            resolved={"true": True, "false": False}[next(iter(form.get("resolved", [])), "")],
            comment=next(iter(form.get("comment", [])), "").strip() or None,
        )
    except (KeyError, ValidationError):
        return state_page(422, language, "invalid_title", "invalid_body")
    try:
        await workflow.customer_answer(session, token, answer, now=now, topic=settings.topic("feedback"))
    except ConfirmationLinkUnknown:
        return unknown_link_page(request)
    except InvalidTransition:
        await session.rollback()
        return state_page(409, language, "not_yet_title", "not_yet_body")
    return state_page(200, language, "thanks_title", "thanks_resolved" if answer.resolved else "thanks_not_resolved")
