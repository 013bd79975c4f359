"""Grouped and bucketed KPI reads: series, breakdowns, peak hours and leaderboards."""
