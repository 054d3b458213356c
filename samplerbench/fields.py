"""Field names of a run record that several modules need: one place for each list."""

# Every record carries every timing field (null = not measured), in this order in tables.
TIMING_FIELDS = ("import_s", "compile_s", "sampling_s", "end_to_end_s", "process_s")

QUALITY = ("ess_bulk_min", "ess_tail_min", "rhat_max", "divergences", "grad_evals", "grad_evals_warmup",
           "grad_evals_total", "ess_per_s", "us_per_grad", "ess_per_1k_grad")
KEYS = ["model", "n", "cache", "sampler"]
