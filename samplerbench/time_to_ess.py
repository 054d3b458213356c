"""Time to a target ESS, from one run record's own fields (PROTOCOL, "Time to a target ESS").

    time_to_ess_s(T) = import_s + compile_s + warmup_s + rest_s + T / draws_ess_per_s

- ``warmup_s`` and ``draws_s`` split ``sampling_s``: in the proportion the library reports
  for its two phases where it does (CmdStan's per-chain warm-up and sampling seconds),
  otherwise in proportion to the gradients spent in each phase (``phase_split`` says which).
- ``rest_s = end_to_end_s - compile_s - sampling_s``: building the model, handing data over,
  building the ArviZ output; a fixed cost like compilation.
- ``draws_ess_per_s = ess_bulk_min / draws_s``: the rate at which the slowest parameter gains
  bulk ESS once warmup is over. Reaching T means drawing T / rate seconds, more or fewer
  draws than this run kept (ESS grows linearly with the number of draws of a mixed chain).

The interpreter's own start is not counted (the same for every backend). Records without
the fields (older samplerbench versions) give missing values, never zero.
"""

from __future__ import annotations

import math

DEFAULT_ESS_TARGETS = (400, 1000, 10000)
HEADLINE_TARGET = 1000  # the verdict's "good posterior"

# phase_split values
REPORTED = "reported"
GRADIENTS = "gradients"


def _number(value) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return math.nan
    return value


def split_sampling(record: dict, reported_fraction: float | None = None) -> dict:
    """``warmup_s``, ``draws_s`` and ``phase_split`` for a record (missing when it lacks the
    fields). ``reported_fraction``: the warmup share of the library's own phase timings."""
    sampling_s = _number(record.get("sampling_s"))
    if reported_fraction is not None and 0 <= reported_fraction <= 1 and sampling_s == sampling_s:
        fraction, how = reported_fraction, REPORTED
    else:
        warmup = _number(record.get("grad_evals_warmup"))
        total = _number(record.get("grad_evals_total"))
        if not (total > 0 and warmup == warmup and sampling_s == sampling_s):
            return {"warmup_s": None, "draws_s": None, "phase_split": None}
        fraction, how = warmup / total, GRADIENTS
    return {"warmup_s": sampling_s * fraction, "draws_s": sampling_s * (1 - fraction), "phase_split": how}


def fixed_s(record: dict) -> float:
    """Seconds that do not depend on how much ESS is wanted: import, compile, warmup and the
    rest of end-to-end (NaN when a field is missing)."""
    import_s, compile_s, e2e = (_number(record.get(k)) for k in ("import_s", "compile_s", "end_to_end_s"))
    sampling_s = _number(record.get("sampling_s"))
    warmup_s = _number(record.get("warmup_s"))
    rest_s = e2e - compile_s - sampling_s
    rest_s = 0.0 if -1e-3 < rest_s < 0 else rest_s  # clock resolution; NaN stays NaN
    return import_s + compile_s + warmup_s + rest_s


def draws_ess_per_s(record: dict) -> float:
    draws_s = _number(record.get("draws_s"))
    ess = _number(record.get("ess_bulk_min"))
    return ess / draws_s if draws_s > 0 and ess > 0 else math.nan


def time_to_ess_s(record: dict, target: float) -> float:
    """Seconds from the start of the user's process until the slowest parameter has
    ``target`` bulk ESS (module docstring)."""
    rate = draws_ess_per_s(record)
    return fixed_s(record) + target / rate if rate == rate else math.nan


def time_to_low_error_s(record: dict) -> float:
    """Seconds from the start of the user's process until the error against the reference stays
    below 0.01 (samplerbench.analysis.error_trace): import, compile and the rest of end-to-end,
    plus the seconds into the sampling window at that point (warmup included). Not extrapolated:
    NaN when the run never got there."""
    import_s, compile_s, e2e, sampling_s = (_number(record.get(k)) for k in
                                            ("import_s", "compile_s", "end_to_end_s", "sampling_s"))
    rest_s = e2e - compile_s - sampling_s
    rest_s = 0.0 if -1e-3 < rest_s < 0 else rest_s
    return import_s + compile_s + rest_s + _number(record.get("low_error_sampling_s"))


def derived_columns(record: dict, targets=DEFAULT_ESS_TARGETS) -> dict:
    """The columns a report adds to a run: the split (derived from gradients for records that
    do not carry it), the fixed cost, the draws' rate and the time to each target."""
    out = {}
    if record.get("draws_s") is None or record.get("warmup_s") is None:
        out.update(split_sampling(record))
    merged = {**record, **out}
    out["fixed_s"] = fixed_s(merged)
    out["draws_ess_per_s"] = draws_ess_per_s(merged)
    for target in targets:
        out[time_to_ess_column(target)] = time_to_ess_s(merged, target)
    out["time_to_low_error_s"] = time_to_low_error_s(merged)
    return out


def headline_target(targets) -> int:
    """The target the verdict and the unstable flag use: 1 000 when asked for, else the first."""
    return HEADLINE_TARGET if HEADLINE_TARGET in targets else targets[0]


def ess_targets_of(header: dict) -> tuple[int, ...]:
    """The targets a sweep asked for (--ess-targets), the defaults for sweeps that predate them."""
    return tuple((header or {}).get("config", {}).get("ess_targets") or DEFAULT_ESS_TARGETS)


def time_to_ess_column(target: float) -> str:
    return f"time_to_ess_{int(target)}_s"


def break_even_ess(fixed_a: float, rate_a: float, fixed_b: float, rate_b: float) -> float:
    """The ESS at which backends a and b take equal time (NaN if their lines never cross at a
    positive ESS): fixed_a + T / rate_a = fixed_b + T / rate_b."""
    slope = 1 / rate_a - 1 / rate_b
    if not (slope == slope) or slope == 0:
        return math.nan
    crossing = (fixed_b - fixed_a) / slope
    return crossing if crossing > 0 else math.nan
