"""Magento 2's REST API as the sandbox simulates it (store, orders, MSI, shipments)."""
