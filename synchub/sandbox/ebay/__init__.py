"""eBay Sell APIs simulator: OAuth user tokens, Fulfillment, Inventory and Finances APIs."""
