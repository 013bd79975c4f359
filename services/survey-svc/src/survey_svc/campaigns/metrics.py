"""Prometheus metrics of campaigns and invitations (registered once, on import)."""

from prometheus_client import Counter

DECISIONS = Counter(
    "csq_survey_invitation_decisions_total",
    "Invitation decisions: scheduled, or why none was made (filtered, too_old, sampled_out, throttled, no_email, duplicate, survey_retired)",
    ["outcome"],
)
SENT = Counter("csq_survey_invitations_sent_total", "Invitations sent, reminders and expiries by the scheduler", ["kind"])
