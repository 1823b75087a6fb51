"""Stock in step across channels: available-to-sell, reservations, delta pushes, drift, alerts."""
