"""kpi-svc: real-time KPIs, targets, SLA timers."""
