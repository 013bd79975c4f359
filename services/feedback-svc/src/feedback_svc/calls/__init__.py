"""Call-centre records: one call detail record per call, from the CTI's signed webhook, published as ``call.completed``."""
