"""HTTP plumbing shared by the services: auth, problem+json, health, metrics, app factory."""
