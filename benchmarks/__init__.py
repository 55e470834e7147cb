"""Measurement scripts (run by hand; their numbers go in the README)."""
