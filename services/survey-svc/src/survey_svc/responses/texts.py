"""Every text of the answer page, in zh-CN and en (the question texts come from the survey)."""

from __future__ import annotations

LANGUAGES = ("zh-CN", "en")
LANGUAGE_NAMES = {"zh-CN": "中文", "en": "English"}

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "language": "Language",
        "required": "required",
        "optional": "optional",
        "submit": "Submit",
        "choose_all": "Choose all that apply.",
        "follow_up": "Answer only if you chose {at_most} or lower for question {number} (optional).",
        "follow_up_required": "Required if you chose {at_most} or lower for question {number}; otherwise leave it blank.",
        "fix_errors": "Some answers need your attention:",
        "intro": "Thank you for taking a moment to tell us about your experience.",
        "not_found_title": "Survey link not valid",
        "not_found_body": "This survey link is not valid. Please check that you opened the whole link from your message.",
        "answered_title": "Already answered",
        "answered_body": "This survey has already been answered. Thank you for your feedback!",
        "expired_title": "Survey closed",
        "expired_body": "This survey link has expired and no longer accepts answers.",
        "thanks_title": "Thank you!",
        "thanks_body": "Your answers have been recorded. We appreciate your feedback.",
        "forbidden_title": "Please try again",
        "forbidden_body": "We could not verify the form, so nothing was recorded. Please reopen the survey and answer again.",
        "reopen": "Reopen the survey",
    },
    "zh-CN": {
        "language": "语言",
        "required": "必答",
        "optional": "选答",
        "submit": "提交",
        "choose_all": "可多选。",
        "follow_up": "仅当您在第 {number} 题中选择 {at_most} 或更低时回答（选答）。",
        "follow_up_required": "如果您在第 {number} 题中选择 {at_most} 或更低，此题必答；否则请留空。",
        "fix_errors": "以下回答需要修改：",
        "intro": "感谢您抽出时间告诉我们您的服务体验。",
        "not_found_title": "问卷链接无效",
        "not_found_body": "此问卷链接无效。请确认您打开的是邮件或消息中的完整链接。",
        "answered_title": "问卷已提交",
        "answered_body": "此问卷已经填写过了。感谢您的反馈！",
        "expired_title": "问卷已关闭",
        "expired_body": "此问卷链接已过期，不再接受回答。",
        "thanks_title": "感谢您的反馈！",
        "thanks_body": "您的回答已提交。感谢您帮助我们改进服务。",
        "forbidden_title": "请重试",
        "forbidden_body": "无法验证表单，因此未记录任何内容。请重新打开问卷并再次作答。",
        "reopen": "重新打开问卷",
    },
}


def from_accept_language(header: str | None) -> str | None:
    """The first of our languages the browser asks for (``zh*`` → zh-CN, ``en*`` → en)."""
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        tag = tag.strip().lower()
        language = "zh-CN" if tag.startswith("zh") else "en" if tag.startswith("en") else None
        if language and quality > 0:
            ranked.append((-quality, position, language))
    return min(ranked)[2] if ranked else None
