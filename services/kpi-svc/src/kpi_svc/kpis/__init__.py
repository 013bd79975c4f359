"""KPI reads: the summary endpoint over the aggregates."""
