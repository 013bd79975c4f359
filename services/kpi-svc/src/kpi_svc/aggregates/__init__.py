"""Ticket KPI aggregates: bucketed sums and counts plus sketch bins, written by the consumer."""
