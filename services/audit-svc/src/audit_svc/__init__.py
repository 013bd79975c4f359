"""audit-svc: QA audits, scorecards, reviews, findings."""
