"""Batches of simulation runs on existing engines: Monte Carlo and sweeps on Ray (``executor``), the
stress library (``stress``), optuna studies in an RDB (``optimize``) and walk-forward analysis."""
