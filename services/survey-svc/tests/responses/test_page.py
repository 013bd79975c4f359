"""The answer page /s/{token} over HTTP: languages, one-click pre-selection, CSRF, states."""

import re
from datetime import timedelta

from csq_common.db import utcnow
from tests.responses.factories import CSAT_PROMPT_EN, FOLLOW_UP_ZH, NPS_PROMPT_ZH, more_invitations, setup
from tests.responses.helpers import answered_events, invitation_row, nothing_recorded, responses_of
from tests.surveys.factories import CSAT_PROMPT_ZH

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
GOOD_FORM = {"q1": "5", "q2": "", "q3": "9", "q4": "fast", "q5": "8", "q7": ""}


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]{64})"', html).group(1)


def checked_values(html: str, name: str) -> list[str]:
    return re.findall(rf'<input type="(?:radio|checkbox)" id="[^"]+" name="{name}" value="([^"]+)" checked>', html)


def assert_page_headers(response) -> None:
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp and "script-src" not in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-store"


async def test_renders_in_the_invitation_language_and_switches(client):
    invitation, token, version = await setup(client.app, locale="zh-CN")
    page = await client.get(f"/s/{token}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert_page_headers(page)
    html = page.text
    assert '<html lang="zh-CN">' in html and CSAT_PROMPT_ZH in html and NPS_PROMPT_ZH in html and FOLLOW_UP_ZH in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "<script" not in html and "提交" in html
    # Scales are radio groups in a fieldset with a legend and the end labels; every input has a label.
    assert re.search(r'<fieldset class="question scale" id="q-q1" aria-describedby="ends-q1">\s*<legend', html)
    assert "1 = 非常不满意" in html and "5 = 非常满意" in html
    inputs = re.findall(r'<(?:input|textarea) [^>]*id="([^"]+)"', html)
    assert inputs and all(f'for="{input_id}"' in html for input_id in inputs)
    assert len(re.findall(r'name="q3" value="\d+"', html)) == 11  # NPS 0..10
    # The follow-up is always there without JavaScript, marked with its condition.
    assert "如果您在第 1 题中选择 3 或更低，此题必答；否则请留空。" in html
    # Language links, and the cookie of the CSRF scheme.
    assert 'href="?lang=en"' in html
    cookie = page.headers["set-cookie"]
    assert "csq_survey_csrf=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/s/" in cookie

    english = await client.get(f"/s/{token}", params={"lang": "en"})
    assert english.status_code == 200 and '<html lang="en">' in english.text and CSAT_PROMPT_EN in english.text
    assert CSAT_PROMPT_ZH not in english.text and "Submit" in english.text and 'href="?lang=zh-CN"' in english.text
    assert "Required if you chose 3 or lower for question 1; otherwise leave it blank." in english.text
    [(_, en_token)] = await more_invitations(client.app, version, {"locale": "en"})
    assert CSAT_PROMPT_EN in (await client.get(f"/s/{en_token}")).text

    css = await client.get("/s/assets/survey.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css") and ":focus-visible" in css.text
    assert await nothing_recorded(client.app, invitation.id)


async def test_one_click_answer_preselects_and_records_nothing(client):
    invitation, token, _ = await setup(client.app)
    page = await client.get(f"/s/{token}", params={"answer": "4"})
    assert page.status_code == 200
    assert checked_values(page.text, "q1") == ["4"] and checked_values(page.text, "q3") == []
    assert 'href="?lang=en&amp;answer=4"' in page.text  # switching language keeps the pre-selection
    for ignored in ("6", "0", "-1", "abc", "4.5"):
        page = await client.get(f"/s/{token}", params={"answer": ignored})
        assert page.status_code == 200 and checked_values(page.text, "q1") == []
    # A mail scanner following every link of the email counts for nothing.
    for value in range(1, 6):
        await client.get(f"/s/{token}", params={"answer": str(value)})
    assert await nothing_recorded(client.app, invitation.id)


async def test_post_without_a_valid_csrf_field_is_403_and_records_nothing(client):
    invitation, token, version = await setup(client.app)
    [(_, other_token)] = await more_invitations(client.app, version, {})
    page = await client.get(f"/s/{token}")
    field = csrf_of(page.text)
    other_field = csrf_of((await client.get(f"/s/{other_token}")).text)

    attempts = [
        GOOD_FORM,  # no field
        {**GOOD_FORM, "csrf": "0" * 64},  # a wrong one
        {**GOOD_FORM, "csrf": other_field},  # another survey's
    ]
    for form in attempts:
        refused = await client.post(f"/s/{token}", data=form)
        assert refused.status_code == 403 and "Please try again" in refused.text
        assert_page_headers(refused)
    # The right field without the cookie (a cross-site POST carries no SameSite=Strict cookie).
    cookies = dict(client.cookies)
    client.cookies.clear()
    refused = await client.post(f"/s/{token}", data={**GOOD_FORM, "csrf": field})
    assert refused.status_code == 403
    # A JSON body is no form.
    client.cookies.update(cookies)
    assert (await client.post(f"/s/{token}", json={**GOOD_FORM, "csrf": field})).status_code == 403
    assert await nothing_recorded(client.app, invitation.id)


async def test_invalid_form_shows_the_page_again_with_errors_and_keeps_the_answers(client):
    invitation, token, _ = await setup(client.app, locale="en")
    field = csrf_of((await client.get(f"/s/{token}")).text)
    form = {"csrf": field, "q1": "2", "q2": "   ", "q3": "9", "q4": "medium", "q6": ["polite", "quick"], "q7": "3"}
    again = await client.post(f"/s/{token}?lang=en", data=form)
    assert again.status_code == 422
    assert_page_headers(again)
    html = again.text
    # Each bad question has its message beside it, announced and tied to its input.
    assert '<p class="error" id="err-q2" role="alert">is required</p>' in html  # shown follow-up (q1 ≤ 3)
    assert '<p class="error" id="err-q4" role="alert">must be one of the choices: fast, slow</p>' in html
    assert '<p class="error" id="err-q5" role="alert">is required</p>' in html
    assert 'aria-describedby="err-q2 note-q2"' in html and 'id="q-q5" aria-describedby="err-q5"' in html
    assert 'name="q5" value="1" aria-invalid="true"' in html and 'name="q1" value="1">' in html
    assert "err-q1" not in html and "err-q3" not in html
    # The answers are kept.
    assert checked_values(html, "q1") == ["2"] and checked_values(html, "q3") == ["9"] and checked_values(html, "q7") == ["3"]
    assert checked_values(html, "q6") == ["polite", "quick"]
    assert await nothing_recorded(client.app, invitation.id)

    chinese = await client.post(f"/s/{token}?lang=zh-CN", data={"csrf": field, "q1": "9"})
    assert chinese.status_code == 422 and "请选择 1 到 5 之间的数值" in chinese.text and "此题为必答题" in chinese.text


async def test_valid_post_records_thanks_and_a_second_post_is_already_answered(client):
    invitation, token, _ = await setup(client.app)
    field = csrf_of((await client.get(f"/s/{token}", params={"answer": "5"})).text)
    # q1 = 5 hides the follow-up: what was typed into it anyway is ignored.
    form = {**GOOD_FORM, "csrf": field, "q2": "ignored", "q6": ["expert", "quick"]}
    done = await client.post(f"/s/{token}", data=form)
    assert done.status_code == 303 and done.headers["location"] == f"/s/{token}/thanks?lang=zh-CN"
    assert_page_headers(done)
    thanks = await client.get(done.headers["location"])
    assert thanks.status_code == 200 and "感谢您的反馈！" in thanks.text and '<html lang="zh-CN">' in thanks.text
    assert_page_headers(thanks)

    [(response, rows)] = await responses_of(client.app, invitation.id)
    assert response.response_channel == "web" and response.locale == "zh-CN"
    assert {key: row.number if row.number is not None else row.choices for key, row in rows.items()} == {
        "q1": 5, "q3": 9, "q4": ["fast"], "q5": 8, "q6": ["expert", "quick"]
    }
    [(_, event)] = await answered_events(client.app)
    assert event.data["response_channel"] == "web"
    assert [(a["question_id"], a["value"]) for a in event.data["answers"]] == [("q1", 5), ("q3", 9), ("q5", 8)]
    assert (await invitation_row(client.app, invitation.id)).status == "answered"

    second = await client.post(f"/s/{token}", data=form)
    assert second.status_code == 409 and "问卷已提交" in second.text
    assert_page_headers(second)
    assert (await client.get(f"/s/{token}")).status_code == 409
    assert len(await responses_of(client.app, invitation.id)) == 1 and len(await answered_events(client.app)) == 1


async def test_state_pages_look_the_same_whatever_the_token_matched(client):
    invitation, token, version = await setup(client.app)
    made = await more_invitations(
        client.app, version,
        {"status": "scheduled", "locale": "zh-CN"}, {"status": "cancelled", "locale": "zh-CN"},
        {"status": "sent", "locale": "zh-CN", "expires_at": utcnow() - timedelta(seconds=1)},
    )
    (_, scheduled), (_, cancelled), (_, lapsed) = made
    pages = []
    for link in ("B" * 43, scheduled, cancelled):
        for path in (f"/s/{link}", f"/s/{link}/thanks"):
            page = await client.get(path)
            assert page.status_code == 404
            assert_page_headers(page)
            pages.append(page.text)
    assert len(set(pages)) == 1 and "Survey link not valid" in pages[0] and '<html lang="en">' in pages[0]
    assert "B" * 43 not in pages[0]
    zh = await client.get(f"/s/{scheduled}", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"})
    assert zh.status_code == 404 and "问卷链接无效" in zh.text and '<html lang="zh-CN">' in zh.text
    assert (await client.get(f"/s/{'C' * 43}", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"})).text == zh.text
    assert "Survey link not valid" in (await client.get(f"/s/{scheduled}?lang=en", headers={"Accept-Language": "zh-CN"})).text

    expired = await client.get(f"/s/{lapsed}")
    assert expired.status_code == 410 and "问卷已关闭" in expired.text  # the invitation's language
    assert "Survey closed" in (await client.get(f"/s/{lapsed}?lang=en")).text
    # Not answered yet: the thanks page sends the customer back to the survey.
    back = await client.get(f"/s/{token}/thanks")
    assert back.status_code == 303 and back.headers["location"] == f"/s/{token}"
    assert await nothing_recorded(client.app, invitation.id)
