"""Simulated endpoint services for the local runner, driven by a scenario (CONTRACT §3)."""
