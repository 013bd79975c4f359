"""notify-svc: escalation policies and delivery by email and webhooks."""
