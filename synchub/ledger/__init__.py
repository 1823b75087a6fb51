"""The ledger: balanced double-entry journals from orders, refunds, fees and payouts;
exchange rates; settlement matching; the daily reconciliation report."""
