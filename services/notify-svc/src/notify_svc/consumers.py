"""What notify-svc reads: thin adapters from CloudEvents to the service functions.

``survey.invited`` (on ``surveys``) becomes an email delivery through
:func:`notify_svc.deliveries.invitations.accept_invitation`; an event that cannot (a payload that
fails validation, a sealed recipient or link that is missing or does not open, a bad recipient, a
reminder with no invitation delivery to remind of) raises, so the runner
isolates it, dead-letters it and applies the rest of the batch. ``feedback.replied`` (on
``feedback``) becomes the reply's email through :func:`notify_svc.deliveries.replies.accept_reply`
(poison is dead-lettered the same way; a reply without an address is skipped). ``customer.erased``
(on ``feedback``) clears that customer's deliveries. Every other type (the rest of
``feedback``, and the ``kpi`` and ``audits`` domains, whose escalations arrive with their issue)
is only recorded in the inbox by the runner.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from csq_common.db import utcnow
from csq_common.events import CloudEvent, CustomerErased, FeedbackReplied, SurveyInvited, parse_data
from csq_common.runtime import ConsumerSpec
from notify_svc.deliveries import erasure, invitations, replies
from notify_svc.settings import Settings

GROUP = "notify-svc"
DOMAINS = ("surveys", "kpi", "audits", "feedback")


def consumers(settings: Settings) -> list[ConsumerSpec]:
    async def handle_events(session: AsyncSession, events: list[CloudEvent]) -> None:
        for event in events:
            if event.type == SurveyInvited.event_type:
                await invitations.accept_invitation(
                    session,
                    parse_data(event),
                    private_key=settings.recipient_private_key,
                    mail_from=settings.mail_from,
                    now=utcnow(),
                )
            elif event.type == FeedbackReplied.event_type:
                await replies.accept_reply(
                    session,
                    parse_data(event),
                    private_key=settings.recipient_private_key,
                    mail_from=settings.mail_from,
                    now=utcnow(),
                )
            elif event.type == CustomerErased.event_type:
                erased: CustomerErased = parse_data(event)
                await erasure.erase_customer(session, erased.customer_id, now=utcnow())

    return [ConsumerSpec(group=GROUP, domains=DOMAINS, handler=handle_events)]
