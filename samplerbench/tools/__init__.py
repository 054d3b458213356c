"""Model tools run from ``scripts/`` in their own process: checking a model folder (``check``),
comparing its log densities across languages (``logdensity``), computing reference posteriors
(``reference``). Unlike the orchestrator, they import sampling libraries themselves."""
