"""Tickets as last reported by the CRM, and the ticket events derived from their webhooks."""
