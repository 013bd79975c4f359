"""feedback-svc: CRM ticket webhooks, feedback intake and triage."""
