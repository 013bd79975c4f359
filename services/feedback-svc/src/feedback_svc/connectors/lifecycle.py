"""Merging a vendor's change into the ticket CSQ keeps, and the lifecycle it implies (pure).

Vendors push changes, not snapshots, and Zendesk fans one action out into several events in no
guaranteed order. Each field therefore remembers the event time of the change that set it: a
change older than that leaves the field alone, so a late event never moves a ticket backwards.
The lifecycle events follow from the status before and after (DESIGN.md "CRM connectors").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from feedback_svc.connectors.mapping import DONE, VendorChange
from feedback_svc.tickets.schemas import ReportedTicket

CREATED = "ticket.created"
ASSIGNED = "ticket.assigned"
RESOLVED = "ticket.resolved"
CLOSED = "ticket.closed"
REOPENED = "ticket.reopened"


@dataclass(frozen=True)
class Outcome:
    """The merged ticket, the events it publishes (in order) and the fields' new event times."""

    snapshot: ReportedTicket
    event_types: list[str]
    field_times: dict[str, datetime]
    changed: bool


def apply(stored: ReportedTicket | None, field_times: dict[str, datetime], change: VendorChange) -> Outcome:
    """Merge ``change`` into ``stored`` (None: a ticket not seen before) field by field."""
    at = change.occurred_at
    row: dict[str, Any] = stored.model_dump() if stored is not None else {"id": change.ticket_id, "status": None}
    times = dict(field_times)
    before = dict(row)
    lifecycle: list[str] = []
    if stored is None:
        row["created_at"] = change.fields.get("created_at") or at
        if change.message is not None and change.message.sent_at < row["created_at"]:
            row["created_at"] = change.message.sent_at

    previous_status = row.get("status")
    for name, value in change.fields.items():
        if name == "created_at" and stored is not None:
            continue  # a ticket's creation time is fixed by its first report
        last = times.get(name)
        if last is not None and at < last:
            continue  # a later change of this field is already applied
        times[name] = at
        row[name] = value

    new_status = row.get("status")
    if new_status != previous_status:
        was_done = previous_status in DONE
        if new_status in DONE and not was_done:
            # Solved or resolved (or closed straight from open): resolved and closed at once.
            row["resolved_at"] = row["closed_at"] = max(at, row["created_at"])
            lifecycle += [RESOLVED, CLOSED]
        elif was_done and new_status not in DONE and new_status is not None:
            row["reopen_count"] = row.get("reopen_count", 0) + 1
            row["resolved_at"] = row["closed_at"] = None
            lifecycle.append(REOPENED)
        # resolved -> closed (the vendor's own later "closed") changes no KPI: no event.
    assigned = stored is not None and row.get("agent_id") is not None and row.get("agent_id") != before.get("agent_id")
    events = ([CREATED] if stored is None else []) + ([ASSIGNED] if assigned else []) + lifecycle

    message = change.message
    if message is not None and message.is_public_agent_reply:
        sent_at = max(message.sent_at, row["created_at"])
        first = row.get("first_response_at")
        if first is None or sent_at < first:
            row["first_response_at"] = sent_at  # the earliest public agent reply, whatever the arrival order

    snapshot = ReportedTicket.model_validate(row)
    return Outcome(snapshot=snapshot, event_types=events, field_times=times, changed=row != before or stored is None)
