"""Runs in the orchestrator process: plans the runs, spawns one worker per run, enforces the
timeout, watches memory from outside, and hands each record to the store the moment it
arrives; on a Dask cluster, the same per cell. Never imports a sampling library."""
