"""survey.invited → delivery request: the first invitation's mapping is pure (no app, no database,
no broker); then accept_invitation queueing it, and its reminder (from the invitation delivery), on
the database."""

from datetime import timedelta

import pytest

from csq_common.db import utcnow
from csq_common.sealing import DEVELOPMENT_PRIVATE_KEY, DEVELOPMENT_PUBLIC_KEY, generate_keypair, seal
from notify_svc.deliveries import invitations, service
from notify_svc.deliveries.invitations import UndeliverableInvitation, delivery_request, locale_for
from notify_svc.deliveries.templates import render
from tests.deliveries.factories import ONE_CLICK, SURVEY_LINK, sealed_invitation, sealed_survey_link, survey_invited


def request_for(invited):
    return delivery_request(invited, private_key=DEVELOPMENT_PRIVATE_KEY)


def test_a_first_invitation_in_chinese_with_its_one_click_question():
    invited = survey_invited(invitation_id="inv-1", locale="zh-CN")
    request = request_for(invited)
    assert (request.channel, request.template, request.locale) == ("email", "survey_invitation", "zh-CN")
    assert request.idempotency_key == "survey.invited:inv-1:invitation"
    assert (request.to.email, request.to.name) == ("li.lei@example.com", "李雷")
    assert request.variables == {
        "survey_link": SURVEY_LINK,
        "expires_at": invited.expires_at.isoformat(),
        "customer_name": "李雷",
        "one_click": {"question_prompt": ONE_CLICK["prompt"], "min": 1, "max": 5, "low_label": "很不满意", "high_label": "非常满意"},
    }
    rendered = render(request.template, request.locale, request.variables)
    assert rendered.subject == "请评价我们的服务"
    assert all(f"{SURVEY_LINK}?answer={value}" in rendered.text for value in range(1, 6))


def test_an_english_invitation_without_a_one_click_question_or_a_name():
    sealed = sealed_invitation(email="ann@example.com", name=None, customer_name=None, locale="en")
    invited = survey_invited(invitation_id="inv-2", locale="en", one_click=None, sealed_message=sealed)
    request = request_for(invited)
    assert (request.template, request.locale, request.idempotency_key) == ("survey_invitation", "en", "survey.invited:inv-2:invitation")
    assert (request.to.email, request.to.name) == ("ann@example.com", None)
    assert request.variables == {"survey_link": SURVEY_LINK, "expires_at": invited.expires_at.isoformat()}
    rendered = render(request.template, request.locale, request.variables)
    assert rendered.text.startswith("Hello,") and "answer=" not in rendered.text


def test_the_invitation_and_its_reminder_have_different_keys_and_a_redelivery_the_same():
    first = survey_invited(invitation_id="inv-3")
    again = survey_invited(invitation_id="inv-3", sealed_message=sealed_invitation(), sealed_link=sealed_survey_link())  # other bytes
    assert request_for(first).idempotency_key == request_for(again).idempotency_key == "survey.invited:inv-3:invitation"
    assert invitations.idempotency_key("inv-3", reminder=True) == "survey.invited:inv-3:reminder"


def test_a_reminder_is_not_mapped_without_the_invitation_delivery():
    with pytest.raises(ValueError, match="reminder_request"):
        request_for(survey_invited(reminder=True))


@pytest.mark.parametrize(
    ("given", "expected"),
    [("zh-CN", "zh-CN"), ("zh-cn", "zh-CN"), ("zh_CN", "zh-CN"), ("en", "en"), ("en-GB", "en"), ("zh-TW", "en"), ("fr", "en"), ("", "en")],
)
def test_the_locale_is_zh_cn_or_else_english(given, expected):
    assert locale_for(given) == expected
    assert request_for(survey_invited(locale=given)).locale == expected


def test_one_click_labels_are_optional():
    scale = {"question_id": "q-nps", "prompt": "How likely are you to recommend us?", "min": 0, "max": 10}
    request = request_for(survey_invited(one_click=scale, locale="en"))
    assert request.variables["one_click"] == {"question_prompt": scale["prompt"], "min": 0, "max": 10, "low_label": None, "high_label": None}
    assert f"{SURVEY_LINK}?answer=10" in render(request.template, request.locale, request.variables).text


def test_a_link_invitation_needs_no_delivery():
    assert request_for(survey_invited(delivery="link", sealed_message="", sealed_link=None)) is None


_, OTHER_PUBLIC_KEY = generate_keypair()
POISON = [
    ({"sealed_message": "garbage!"}, "sealed_message cannot be opened"),
    ({"sealed_message": sealed_invitation(public_key=OTHER_PUBLIC_KEY)}, "sealed_message cannot be opened"),
    ({"sealed_message": ""}, "sealed_message is empty"),
    ({"sealed_message": None}, "sealed_message is empty"),
    ({"sealed_message": seal({"hi": 1}, DEVELOPMENT_PUBLIC_KEY)}, "sealed_message is not a recipient (to: Field required"),
    ({"sealed_message": sealed_survey_link()}, "sealed_message is not a recipient (to: Field required"),
    ({"sealed_message": sealed_invitation(email="not-an-address")}, "invalid recipient (to.email:"),
    ({"sealed_message": sealed_invitation(name="x\r\nBcc: spy@example.com")}, "invalid recipient (to.name:"),
    ({"sealed_link": None}, "sealed_link is empty"),
    ({"sealed_link": ""}, "sealed_link is empty"),
    ({"sealed_link": "garbage!"}, "sealed_link cannot be opened"),
    ({"sealed_link": sealed_survey_link(public_key=OTHER_PUBLIC_KEY)}, "sealed_link cannot be opened"),
    ({"sealed_link": sealed_invitation()}, "sealed_link is not a survey link (survey_link: Field required"),
    ({"sealed_link": sealed_survey_link(survey_link="http://survey.example.com/s/t")}, "invalid survey_invitation variables (survey_link:"),
    ({"invitation_id": "i" * 190}, "invalid delivery (idempotency_key:"),
]


@pytest.mark.parametrize(("change", "problem"), POISON)
def test_an_invitation_that_cannot_be_delivered_raises_without_revealing_the_recipient_or_link(change, problem):
    invited = survey_invited(**{"invitation_id": "inv-poison", **change})
    with pytest.raises(UndeliverableInvitation) as raised:
        request_for(invited)
    message = str(raised.value)
    assert message.startswith(f"survey.invited for invitation {invited.invitation_id!r} cannot be delivered: "), message
    assert problem in message, message
    for secret in ("li.lei@", "not-an-address", "spy@", "survey.example.com", "tok-123"):
        assert secret not in message, message


# ---- accept_invitation: on the database (both backends) -----------------------------------------


class RecordingLog:
    def __init__(self) -> None:
        self.lines: list[tuple[str, dict]] = []

    def info(self, event: str, **fields) -> None:
        self.lines.append((event, fields))


async def test_accepting_queues_once_per_invitation_and_kind_and_skips_dead_links(client, monkeypatch):
    app = client.app
    await app.state.delivery_sender.stop()  # only the queue matters here
    log = RecordingLog()
    monkeypatch.setattr(invitations, "log", log)
    now = utcnow()

    async def accept(invited):
        async with app.state.sessions() as session:
            accepted = await invitations.accept_invitation(
                session, invited, private_key=DEVELOPMENT_PRIVATE_KEY, mail_from="CSQ <no-reply@csq.local>", now=now
            )
            await session.commit()
        return accepted

    invited = survey_invited(invitation_id="inv-db")
    first = await accept(invited)
    again = await accept(invited.model_copy(update={"sealed_message": sealed_invitation(), "sealed_link": sealed_survey_link()}))
    # The reminder carries nothing sealed: it goes to whom, and with what, the invitation went.
    reminder_event = invited.model_copy(update={"reminder": True, "sealed_message": None, "sealed_link": None})
    reminder = await accept(reminder_event)
    assert (first.created, again.created, reminder.created) == (True, False, True)
    assert again.delivery.id == first.delivery.id != reminder.delivery.id
    assert (first.delivery.status, first.delivery.recipient_email) == ("queued", "li.lei@example.com")
    assert (reminder.delivery.template, reminder.delivery.idempotency_key) == ("survey_reminder", "survey.invited:inv-db:reminder")
    assert (reminder.delivery.recipient_email, reminder.delivery.recipient_name, reminder.delivery.locale) == ("li.lei@example.com", "李雷", "zh-CN")
    assert reminder.delivery.variables == first.delivery.variables and reminder.delivery.variables["survey_link"] == SURVEY_LINK
    assert reminder.delivery.subject != first.delivery.subject
    assert (await accept(reminder_event)).delivery.id == reminder.delivery.id  # redelivered: nothing new
    assert await accept(survey_invited(delivery="link", sealed_message="")) is None
    assert await accept(survey_invited(expires_at=now - timedelta(seconds=1))) is None

    async with app.state.sessions() as session:
        assert len((await service.list_deliveries(session, status=None, limit=10, cursor=None)).items) == 2
    # What is logged: ids and the template, never the address or the link.
    assert [event for event, _ in log.lines] == [
        "invitation.delivery_queued", "invitation.delivery_known", "invitation.delivery_queued", "invitation.delivery_known",
        "invitation.expired_before_delivery",
    ]  # fmt: skip
    for _, fields in log.lines:
        assert set(fields) <= {"delivery_id", "invitation_id", "template", "reminder"}


async def test_an_english_reminder_reuses_the_invitation_delivery_and_none_without_it_is_undeliverable(client, monkeypatch):
    app = client.app
    await app.state.delivery_sender.stop()
    now = utcnow()

    async def accept(invited):
        async with app.state.sessions() as session:
            accepted = await invitations.accept_invitation(
                session, invited, private_key=DEVELOPMENT_PRIVATE_KEY, mail_from="CSQ <no-reply@csq.local>", now=now
            )
            await session.commit()
        return accepted

    sealed = sealed_invitation(email="ann@example.com", name=None, customer_name=None, locale="en")
    await accept(survey_invited(invitation_id="inv-en", locale="en", one_click=None, sealed_message=sealed))
    reminder = (await accept(survey_invited(invitation_id="inv-en", locale="en", one_click=None, reminder=True))).delivery
    assert (reminder.template, reminder.locale, reminder.recipient_email, reminder.recipient_name) == ("survey_reminder", "en", "ann@example.com", None)
    assert reminder.variables == {"survey_link": SURVEY_LINK, "expires_at": reminder.variables["expires_at"]}
    assert reminder.subject == "Reminder: how did we do?"
    assert reminder.text_body.startswith("Hello,") and "answer=" not in reminder.text_body

    # A reminder of an invitation notify-svc never delivered: undeliverable (dead-lettered).
    with pytest.raises(UndeliverableInvitation) as raised:
        await accept(survey_invited(invitation_id="inv-never", reminder=True))
    assert "invitation 'inv-never' cannot be delivered" in str(raised.value) and "no invitation delivery to remind of" in str(raised.value)
    async with app.state.sessions() as session:
        keys = {d.idempotency_key for d in (await service.list_deliveries(session, status=None, limit=10, cursor=None)).items}
    assert keys == {"survey.invited:inv-en:invitation", "survey.invited:inv-en:reminder"}
