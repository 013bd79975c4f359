"""``python -m kpi_svc.rebuild`` (``make kpi-rebuild``): replay the topics into a fresh database
and show that every KPI comes out identical to the live database's (see ``command``)."""
