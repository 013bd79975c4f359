"""survey-svc: customer satisfaction surveys."""
