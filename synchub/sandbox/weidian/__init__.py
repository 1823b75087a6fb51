"""Weidian (微店) as the sandbox simulates it."""
