"""CRM ticket webhooks: signature check, body limits, receipts, mapping onto ticket events."""
