from tests.campaigns.conftest import sessions, svc_settings  # noqa: F401  (the same database fixtures)
