"""Runs inside the measured worker process only (``python -m samplerbench.measure.worker``).

The clock, the diagnostics, the gradient floor: everything that imports a sampling library or
happens between a run's first and last timestamp. Nothing here imports pandas, SQLite, Dask or
a view; a test starts the worker's modules in a fresh interpreter and checks it.
"""
