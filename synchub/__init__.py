"""synchub: an integration hub for commerce."""
