"""KPI aggregates: bucketed sums, counts and sketch bins of tickets (service.py) and surveys (surveys.py), written by the consumer."""
