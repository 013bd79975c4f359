"""Domain errors of campaigns and invitations (rendered as problem+json by csq_common)."""

from __future__ import annotations

from csq_common.errors import Conflict, NotFound


class CampaignNotFound(NotFound):
    type = "https://csq.dev/problems/campaign-not-found"
    title = "Campaign not found"

    def __init__(self, campaign_id: str) -> None:
        super().__init__(f"no campaign with id {campaign_id!r}")


class CampaignEnded(Conflict):
    type = "https://csq.dev/problems/campaign-ended"
    title = "Campaign ended"

    def __init__(self, campaign_id: str) -> None:
        super().__init__(f"campaign {campaign_id!r} has ended and cannot be changed")


class CampaignNotInviting(Conflict):
    """Recipients posted to a campaign that is not an active ``explicit`` one."""

    type = "https://csq.dev/problems/campaign-not-inviting"
    title = "Campaign does not take recipients"


class InvitationNotFound(NotFound):
    type = "https://csq.dev/problems/invitation-not-found"
    title = "Invitation not found"

    def __init__(self, invitation_id: str) -> None:
        super().__init__(f"no invitation with id {invitation_id!r}")


class InvitationNotLinkable(Conflict):
    type = "https://csq.dev/problems/invitation-not-linkable"
    title = "No link for this invitation"
