"""Field names of a run record that several modules need: one place for each list."""

# Every record carries every timing field (null = not measured), in this order in tables.
TIMING_FIELDS = ("import_s", "compile_s", "sampling_s", "end_to_end_s", "process_s")

QUALITY = ("ess_bulk_min", "ess_tail_min", "rhat_max", "divergences", "grad_evals", "grad_evals_warmup",
           "grad_evals_total", "ess_per_s", "us_per_grad", "ess_per_1k_grad")
KEYS = ["model", "n", "cache", "sampler"]

# Per-run numbers aggregated like the timings (min / median / max): the sampling window split
# into its phases, the fixed cost and the draws' ESS rate of time to ESS (time_to_ess.py), and
# the peak memory of the run's process tree (memory.py). Time-to-ESS columns are named per target.
# The error against the reference per work (analysis/error_trace.py): gradients until b² stays
# below 0.01, the seconds from process start to that point, and b²'s last value (its floor).
ERROR_DERIVED = ("grads_to_low_error", "time_to_low_error_s", "b2_max_final")
RUN_DERIVED = ("warmup_s", "draws_s", "fixed_s", "draws_ess_per_s", "peak_pss_mib", *ERROR_DERIVED)

# The status of a (model, backend) whose language the model is not written in: planned, never
# run, neither skipped (the backend could run here) nor failed.
NOT_APPLICABLE = "not applicable"
# Statuses that say a backend was not measured at all (no ok run is missing by accident).
UNMEASURED = ("skipped", NOT_APPLICABLE)

# Libraries whose import inside end-to-end would be import time counted as compile or sampling,
# and which the availability check (harness time, before import_s) must not import.
WATCHED_LIBRARIES = ("pymc", "pytensor", "numba", "llvmlite", "jax", "jaxlib", "numpyro", "blackjax",
                     "nutpie", "stan", "httpstan", "cmdstanpy", "bridgestan", "pandas", "scipy", "arviz_base",
                     "xarray", "dask")

# The gradient floor's one spelling: its sampler name in tables and its record kind.
FLOOR = "gradient-floor"

# What kind of method a backend runs (its class's ``kind``; PROTOCOL, "Which algorithm"): MCMC,
# exact in the limit; MCMC biased by its step size (unadjusted MCLMC); an approximation (a fit,
# then independent draws from it: Pathfinder, ADVI). Only MCMC may win a sentence on ESS or on
# error; the others are named beside the winner, never as it.
MCMC, MCMC_BIASED, APPROXIMATE = "mcmc", "mcmc-biased", "approximate"
METHOD_KINDS = (MCMC, MCMC_BIASED, APPROXIMATE)
# How a sentence names a kind that may not win (the verdict, the agreement vote).
KIND_WORDS = {MCMC_BIASED: "MCMC biased by its step size (mcmc-biased)",
              APPROXIMATE: "an approximation (approximate)"}
KIND_MEANINGS = (f"{MCMC}: exact in the limit, may win; {MCMC_BIASED}: no accept/reject step, biased by its step "
                 f"size; {APPROXIMATE}: a fit, then independent draws from it. Only {MCMC} can be named a "
                 "winner; the others are judged by their error against the reference, named beside it")
