"""Servers that tests and benchmarks start for real on 127.0.0.1 (free ports, temporary folders)."""
