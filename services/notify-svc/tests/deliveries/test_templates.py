"""Rendering is pure: no app, no database."""

import re

import pytest
from pydantic import ValidationError

from notify_svc.deliveries.templates import render, with_query
from tests.deliveries.factories import SURVEY_LINK, invitation_variables

HOSTILE = '<script>alert("x")</script> & <a href="https://evil.example">Bob</a>'


def hrefs(html: str) -> list[str]:
    return [href.replace("&amp;", "&") for href in re.findall(r'href="([^"]+)"', html)]


def test_english_invitation_text_and_html_with_one_click_links():
    scale = {"question_prompt": "How satisfied are you?", "min": 1, "max": 5, "low_label": "Very unsatisfied", "high_label": "Very satisfied"}
    rendered = render("survey_invitation", "en", invitation_variables(customer_name="Li Lei", one_click=scale))
    assert rendered.subject == "How did we do? Rate our service"
    links = [f"{SURVEY_LINK}?answer={value}" for value in range(1, 6)]
    assert rendered.text.startswith("Dear Li Lei,\n\n")
    assert "How satisfied are you?" in rendered.text and "(1 = Very unsatisfied, 5 = Very satisfied)" in rendered.text
    for value, link in zip(range(1, 6), links):
        assert f"  {value}: {link}\n" in rendered.text
    assert f"Open the survey: {SURVEY_LINK}" in rendered.text
    assert "27 November 2026, 10:00 (UTC)" in rendered.text
    assert hrefs(rendered.html) == [*links, SURVEY_LINK]
    assert '<html lang="en">' in rendered.html and "Dear Li Lei," in rendered.html


def test_chinese_invitation_is_all_chinese_with_an_nps_scale_in_the_customers_zone():
    scale = {"question_prompt": "您向朋友推荐我们的可能性有多大？", "min": 0, "max": 10, "low_label": "完全不可能", "high_label": "非常可能"}
    variables = invitation_variables(one_click=scale, time_zone="Asia/Shanghai")
    rendered = render("survey_invitation", "zh-CN", variables)
    assert rendered.subject == "请评价我们的服务"
    assert rendered.text.startswith("李雷，您好：\n\n")
    assert "2026年11月27日 18:00（Asia/Shanghai）" in rendered.text
    assert "打开问卷：" in rendered.text and "提交页面后才会记录" in rendered.text
    links = [f"{SURVEY_LINK}?answer={value}" for value in range(0, 11)]
    assert all(f"  {value}：{link}\n" in rendered.text for value, link in zip(range(0, 11), links))
    assert hrefs(rendered.html) == [*links, SURVEY_LINK]
    assert '<html lang="zh-CN">' in rendered.html and ">打开问卷</a>" in rendered.html
    # No English sentence slipped into the Chinese mail (URLs and the zone name aside).
    prose = re.sub(r"https://\S+|Asia/Shanghai", "", rendered.text)
    assert not re.search(r"[A-Za-z]{3,}", prose), prose


def test_without_a_name_or_a_scale_the_mail_still_reads_well():
    for locale, greeting in (("en", "Hello,"), ("zh-CN", "您好：")):
        rendered = render("survey_invitation", locale, invitation_variables(customer_name=None, one_click=None))
        assert rendered.text.startswith(greeting + "\n\n")
        assert "answer=" not in rendered.text and "answer=" not in rendered.html


def test_everything_the_caller_provides_is_escaped_in_html():
    scale = {"question_prompt": HOSTILE, "min": 1, "max": 3, "low_label": "<b>low</b>", "high_label": "\"high\" & 'mighty'"}
    rendered = render("survey_invitation", "en", invitation_variables(customer_name=HOSTILE, one_click=scale))
    assert "<script>" not in rendered.html and "<b>low</b>" not in rendered.html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;a href=&#34;https://evil.example&#34;&gt;Bob&lt;/a&gt;" in rendered.html
    assert "evil.example" not in " ".join(hrefs(rendered.html))
    assert rendered.text.startswith(f"Dear {HOSTILE},")  # plain text is not HTML: kept as written
    assert "<b>" not in rendered.subject


def test_links_keep_an_existing_query_string():
    assert with_query("https://s.example/s/t?lang=en", answer=3) == "https://s.example/s/t?lang=en&answer=3"
    assert with_query("https://s.example/s/t?answer=9", answer=3) == "https://s.example/s/t?answer=3"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"survey_link": None}, "survey_link"),
        ({"survey_link": "http://survey.example.com/s/t"}, "survey_link"),
        ({"survey_link": "javascript:alert(1)"}, "survey_link"),
        ({"expires_at": "2026-11-27T10:00:00"}, "expires_at"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"customer_name": "Li\r\nBcc: x@example.com"}, "customer_name"),
        ({"one_click": {"question_prompt": "q", "min": 5, "max": 1}}, "one_click"),
        ({"unexpected": 1}, "unexpected"),
    ],
)
def test_bad_variables_are_refused_naming_the_field(change, field):
    variables = {k: v for k, v in {**invitation_variables(), **change}.items() if v is not None}
    with pytest.raises(ValidationError) as raised:
        render("survey_invitation", "en", variables)
    assert raised.value.errors()[0]["loc"][0] == field


def test_http_links_are_allowed_only_to_a_loopback_host():
    rendered = render("survey_invitation", "en", invitation_variables(survey_link="http://127.0.0.1:8002/s/t"))
    assert "http://127.0.0.1:8002/s/t?answer=1" in rendered.text


@pytest.mark.parametrize(
    ("locale", "subject", "opening", "closing"),
    [
        ("en", "Reminder: how did we do?", "A short reminder:", "If you have already answered, please ignore this email."),
        ("zh-CN", "提醒：请评价我们的服务", "温馨提醒：", "如您已完成评价，请忽略此邮件。"),
    ],
)
def test_the_reminder_says_so_and_keeps_the_one_click_row(locale, subject, opening, closing):
    rendered = render("survey_reminder", locale, invitation_variables())
    assert rendered.subject == subject
    assert opening in rendered.text and closing in rendered.text and opening in rendered.html
    links = [f"{SURVEY_LINK}?answer={value}" for value in range(1, 6)]
    assert all(link in rendered.text for link in links)
    assert hrefs(rendered.html) == [*links, SURVEY_LINK]
    assert f'<html lang="{locale}">' in rendered.html and f"<title>{subject}</title>" in rendered.html
    if locale == "zh-CN":
        prose = re.sub(r"https://\S+|UTC", "", rendered.text)
        assert not re.search(r"[A-Za-z]{3,}", prose), prose
