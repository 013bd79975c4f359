"""KPI targets: thresholds on a metric for a scope and window, evaluated in the background with
hysteresis; kpi.target_breached / kpi.target_recovered once per state change."""
