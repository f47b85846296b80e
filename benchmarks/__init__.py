"""Synchrony's benchmarks: `make bench` (see benchmarks/README.md). Not tests."""
