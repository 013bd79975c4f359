"""The survey journey on the running system, once in zh-CN and once in en (and per backend):

signed ``ticket.closed`` webhook → feedback-svc → survey-svc creates and sends the invitation →
notify-svc mails it to the stack's aiosmtpd sink → the test follows the one-click link in the
email → answers on the page in headless Chromium (Debian's, driven by Playwright) → kpi-svc's
summary shows the CSAT, NPS, CES and response rate of exactly those answers.

A screenshot of the filled page and of the thank-you page is kept per language under
``test-artifacts/`` (CSQ_TEST_ARTIFACTS overrides) for a person to look at.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest

from csq_common.settings import DEVELOPMENT_WEBHOOK_SECRET
from csq_testing import wait_until
from system import ADMIN, kpi_summary
from ticketgen import Webhook, iso, sign

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("CSQ_TEST_ARTIFACTS", Path(__file__).resolve().parents[1] / "test-artifacts"))
UTC = timezone.utc

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and os.environ.get("CI") != "true",
    reason="Debian's chromium is not installed (.ci/run installs it)",
)

SURVEY = {
    "name": "After-ticket CSAT",
    "default_language": "en",
    "languages": ["en", "zh-CN"],
    "questions": [
        {
            "key": "csat", "type": "csat", "dimension": "attitude",
            "texts": {
                "en": {"prompt": "How satisfied are you with our service?", "low_label": "Very unsatisfied", "high_label": "Very satisfied"},
                "zh-CN": {"prompt": "您对我们的服务满意吗？", "low_label": "非常不满意", "high_label": "非常满意"},
            },
        },
        {
            "key": "better", "type": "text", "dimension": "overall", "required": False,
            "show_if": {"question": "csat", "at_most": 3},
            "texts": {"en": {"prompt": "What could we have done better?"}, "zh-CN": {"prompt": "我们哪里可以做得更好？"}},
        },
        {
            "key": "nps", "type": "nps", "dimension": "overall",
            "texts": {
                "en": {"prompt": "How likely are you to recommend us to a friend?"},
                "zh-CN": {"prompt": "您向朋友推荐我们的可能性有多大？"},
            },
        },
        {
            "key": "ces", "type": "ces", "dimension": "problem_solving",
            "texts": {
                "en": {"prompt": "How easy was it to get your problem solved?"},
                "zh-CN": {"prompt": "解决您的问题有多容易？"},
            },
        },
    ],
}  # fmt: skip


@dataclass
class Answers:
    locale: str
    customer_name: str
    csat: int
    nps: int
    ces: int
    better: str | None
    thanks_text: str  # a phrase the thank-you page shows in this language

    @property
    def expected(self) -> dict:
        return {
            "csat_pct": 100.0 if self.csat >= 4 else 0.0,
            "nps": 100.0 if self.nps >= 9 else (-100.0 if self.nps <= 6 else 0.0),
            "ces_avg": float(self.ces),
            "survey_response_pct": 100.0,
        }


JOURNEYS = {
    "zh-CN": Answers("zh-CN", "李雷", csat=2, nps=6, ces=5, better="退款太慢了，希望能更快处理。", thanks_text="感谢您的反馈"),
    "en": Answers("en", "Lucy Smith", csat=5, nps=10, ces=2, better=None, thanks_text="Thank you"),
}


@pytest.fixture(params=list(JOURNEYS))
def journey(request) -> Answers:
    return JOURNEYS[request.param]


async def create_survey_and_campaign(survey_url: str, team: str) -> tuple[str, str]:
    async with httpx.AsyncClient(base_url=survey_url, headers=ADMIN, timeout=10) as client:
        created = await client.post("/v1/surveys", json=SURVEY)
        assert created.status_code == 201, created.text
        survey_id = created.json()["id"]
        published = await client.post(f"/v1/surveys/{survey_id}/publish")
        assert published.status_code in (200, 201), published.text
        campaign = await client.post(
            "/v1/campaigns",
            json={
                "name": f"after close {team}", "survey_id": survey_id, "trigger": "ticket_closed",
                "filters": {"team_ids": [team]}, "delivery": "email", "delay_seconds": 0,
            },
        )  # fmt: skip
        assert campaign.status_code == 201, campaign.text
        return survey_id, campaign.json()["id"]


def closed_ticket(team: str, answers: Answers, address: str, closed_at: datetime) -> Webhook:
    ticket_id = f"T-{uuid.uuid4().hex[:10]}"
    return Webhook(
        event_id=f"crm-{uuid.uuid4().hex}",
        type="ticket.closed",
        occurred_at=closed_at,
        ticket={
            "id": ticket_id,
            "customer": {"id": f"C-{uuid.uuid4().hex[:8]}", "email": address, "name": answers.customer_name, "locale": answers.locale},
            "agent_id": f"{team}-agent", "team_id": team, "channel": "email", "priority": "normal",
            "subject": "退款进度" if answers.locale == "zh-CN" else "Refund status", "status": "closed",
            "created_at": iso(closed_at - timedelta(hours=2)), "first_response_at": iso(closed_at - timedelta(hours=1)),
            "resolved_at": iso(closed_at - timedelta(minutes=5)), "closed_at": iso(closed_at),
            "handle_seconds": 300, "reopen_count": 0, "contact_count": 1, "tags": ["refund"],
        },
    )  # fmt: skip


async def wait_for_mail(mail_dir: Path, address: str, timeout: float = 60) -> email.message.EmailMessage:
    def find():
        for path in sorted(mail_dir.glob("*.eml")) if mail_dir.exists() else []:
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if address in str(message["To"]):
                return message
        return None

    return await wait_until(find, timeout=timeout, interval=0.2, message=f"an invitation email to {address}")


def one_click_link(message: email.message.EmailMessage, value: int) -> str:
    html = message.get_body(preferencelist=("html",)).get_content()
    links = re.findall(r'href="([^"]+/s/[^"?]+\?answer=(\d+))"', html)
    assert links, "the invitation email has no one-click answer links"
    chosen = [href for href, answer in links if int(answer) == value]
    assert chosen, f"no one-click link for {value} in {[a for _, a in links]}"
    return chosen[0].replace("&amp;", "&")


# Run in the page: inputs without a label, radio groups without a legend, and text whose
# contrast with its background is under WCAG AA's 4.5:1 (colours as the browser computed them).
ACCESSIBILITY_PROBLEMS = """() => {
  const problems = [];
  for (const input of document.querySelectorAll('input:not([type=hidden]), textarea, select')) {
    if (!input.labels || input.labels.length === 0) problems.push(`no label: ${input.name}=${input.value}`);
  }
  for (const radio of document.querySelectorAll('input[type=radio]')) {
    const fieldset = radio.closest('fieldset');
    if (!fieldset || !fieldset.querySelector('legend')) problems.push(`radio outside a fieldset with a legend: ${radio.name}`);
  }
  const rgb = (text) => (text.match(/[0-9.]+/g) || []).map(Number);
  const luminance = ([r, g, b]) => {
    const channel = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  };
  const background = (element) => {
    for (let node = element; node; node = node.parentElement) {
      const colour = rgb(getComputedStyle(node).backgroundColor);
      if (colour.length === 3 || (colour.length === 4 && colour[3] > 0)) return colour.slice(0, 3);
    }
    return [255, 255, 255];
  };
  for (const element of document.querySelectorAll('h1, h2, p, label, legend, button, a, span, small')) {
    if (!element.textContent.trim() || element.offsetParent === null) continue;
    const [fg, bg] = [luminance(rgb(getComputedStyle(element).color).slice(0, 3)), luminance(background(element))];
    const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    if (ratio < 4.5) problems.push(`contrast ${ratio.toFixed(2)}:1 for "${element.textContent.trim().slice(0, 30)}"`);
  }
  return problems;
}"""


async def answer_in_chromium(link: str, answers: Answers, shots: Path) -> str:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        try:
            page = await browser.new_page(viewport={"width": 390, "height": 844}, locale=answers.locale)
            response = await page.goto(link)
            assert response is not None and response.status == 200
            assert await page.get_attribute("html", "lang") == answers.locale
            # The one-click answer is pre-selected, not yet recorded.
            assert await page.locator(f'input[name="csat"][value="{answers.csat}"]').is_checked()
            assert await page.evaluate(ACCESSIBILITY_PROBLEMS) == []
            await page.locator(f'input[name="nps"][value="{answers.nps}"]').check()
            # CES by keyboard only: focus the group's first value, arrow keys move the choice.
            await page.locator('input[name="ces"][value="1"]').focus()
            for _ in range(answers.ces - 1):
                await page.keyboard.press("ArrowRight")
            assert await page.locator(f'input[name="ces"][value="{answers.ces}"]').is_checked()
            if answers.better:
                await page.locator('textarea[name="better"]').fill(answers.better)
            await page.screenshot(path=str(shots / f"survey-{answers.locale}.png"), full_page=True)
            # Submit by keyboard too: Enter on the focused submit button.
            await page.locator('button[type="submit"], input[type="submit"]').first.focus()
            async with page.expect_navigation():
                await page.keyboard.press("Enter")
            body = await page.locator("body").inner_text()
            await page.screenshot(path=str(shots / f"thanks-{answers.locale}.png"), full_page=True)
            # The same link again: already answered, nothing recorded twice.
            again = await page.goto(link)
            assert again is not None and again.status == 409
            return body
        finally:
            await browser.close()


async def test_ticket_closed_to_answered_survey_shows_in_kpis(stack, journey: Answers):
    team = f"team-{journey.locale.lower()}-{uuid.uuid4().hex[:6]}"
    address = f"customer-{uuid.uuid4().hex[:8]}@example.com"
    await create_survey_and_campaign(stack.url("survey"), team)
    closed_at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)

    hook = closed_ticket(team, journey, address, closed_at)
    body = hook.body()
    async with httpx.AsyncClient(base_url=stack.url("feedback"), timeout=10) as client:
        accepted = await client.post("/v1/webhooks/tickets", content=body, headers=sign(DEVELOPMENT_WEBHOOK_SECRET, body))
    assert accepted.status_code == 202, accepted.text

    message = await wait_for_mail(stack.mail_dir, address)
    subject = str(message["Subject"])
    if journey.locale == "zh-CN":
        assert re.search(r"[\u4e00-\u9fff]", subject), subject
    link = one_click_link(message, journey.csat)

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    thanks = await answer_in_chromium(link, journey, ARTIFACTS)
    assert journey.thanks_text in thanks

    window = (closed_at - timedelta(days=1), datetime.now(UTC) + timedelta(days=1))

    async def survey_kpis():
        summary = await kpi_summary(stack.url("kpi"), *window, team=team)
        values = summary["values"]
        return values if values.get("csat_pct") is not None and values.get("survey_response_pct") is not None else None

    values = await wait_until(survey_kpis, timeout=60, interval=0.2, message="survey KPIs in kpi-svc")
    assert {name: values[name] for name in journey.expected} == journey.expected
    # Only the CSAT question is tagged `attitude`: the dimension filter keeps CSAT, drops NPS/CES.
    by_dimension = (await kpi_summary(stack.url("kpi"), *window, team=team, dimension="attitude"))["values"]
    assert by_dimension["csat_pct"] == journey.expected["csat_pct"]
    assert by_dimension["nps"] is None and by_dimension["ces_avg"] is None
