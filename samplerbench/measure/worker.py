"""One measured run in a fresh process: ``python -m samplerbench.measure.worker CONFIG.json RESULT.json``.

The orchestrator starts this process with the environment already set (caches, XLA host
devices, float64), and reads back exactly one JSON record. Only this process imports the
backend's libraries.
"""

from __future__ import annotations

import time

PROCESS_WORK_START = time.perf_counter()  # "start of the process's work" (PROTOCOL)

import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import traceback  # noqa: E402

# samplerbench installs Dask for --cluster only (the orchestrator's side). Where dask can be
# imported, xarray imports dask.array (233 modules, 0.5 s here) the first time ArviZ builds an
# InferenceData: inside end-to-end, in every backend's run. No measured library needs it, so
# this process hides it (``find_spec`` answers None, ``import`` fails), as in the environment
# the numbers were measured in before --cluster existed.
HIDDEN_MODULES = ("dask", "distributed")
for _name in HIDDEN_MODULES:
    sys.modules.setdefault(_name, None)

from samplerbench.fields import APPROXIMATE, FLOOR, WATCHED_LIBRARIES  # noqa: E402
from samplerbench.run_record import RECORD_VERSION  # noqa: E402  (no sampling library: nothing to time)


def _versions(distributions) -> dict:
    from samplerbench.environment import library_versions

    return library_versions(("numpy", "arviz", "arviz-base", "arviz-stats", *distributions))


def _finite_or_none(value):
    """JSON has no NaN: missing numbers are written as null."""
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, dict):
        return {k: _finite_or_none(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite_or_none(v) for v in value]
    return value


def _last_line(err: BaseException) -> str:
    text = f"{type(err).__name__}: {err}".strip()
    return text.splitlines()[-1] if text else type(err).__name__




def _imported_libraries(new_modules: set[str]) -> list[str]:
    """Modules of the watched libraries first imported during end-to-end (should be none)."""
    return sorted(m for m in new_modules if m.split(".")[0] in WATCHED_LIBRARIES)


def _numerics_used(idata) -> dict:
    """What the worker really computed with: dtype of the draws, JAX's backend, PyTensor's floatX."""
    out = {"draws_dtype": None, "jax_backend": None, "pytensor_floatx": None}
    posterior = idata["posterior"].to_dataset()
    dtypes = sorted({str(posterior[name].dtype) for name in posterior.data_vars if posterior[name].dtype.kind == "f"})
    out["draws_dtype"] = ",".join(dtypes) or None
    if "jax" in sys.modules:
        out["jax_backend"] = sys.modules["jax"].default_backend()
    if "pytensor" in sys.modules:
        out["pytensor_floatx"] = sys.modules["pytensor"].config.floatX
    return out


def _count_warmup(output, record: dict) -> None:
    """The warmup gradients, where the backend needs an untimed counting run for them (the timed
    call kept the library's defaults): run here, after end-to-end closed, outside every timing;
    its seconds are recorded as harness time."""
    record["warmup_count_method"] = output.warmup_count_method
    if output.count_warmup is None:
        return
    start = time.perf_counter()
    counted = output.count_warmup()
    record["warmup_counting_s"] = time.perf_counter() - start
    record["warmup_count_replay_identical"] = counted.replay_identical
    if counted.density_evals is not None:
        record["density_evals"] = counted.density_evals
    output.warmup_grad_evals, output.warmup_iterations = counted.grad_evals, counted.iterations
    if counted.replay_identical is False:
        output.notes.append("the counting run did not repeat the timed run's chains (its kept draws' step "
                            "counts differ): the warmup gradient count is of another run of the same length")


def measure(config: dict, record: dict) -> None:
    """Fill ``record`` step by step, so a crash keeps the timings already taken."""
    import models
    import samplers
    from samplerbench.measure.timing import RunClock

    backend = samplers.get(config["sampler"])
    spec = models.get(config["model"])
    record["versions"] = _versions(backend.distributions)
    record["python"] = sys.version.split()[0]  # the worker's (`--python` may name another interpreter)
    record["model_sha256"] = spec.files_sha256()
    record.update(data_from=spec.data_description(), n_applies=spec.n_applies, n_meaning=spec.n_meaning)

    reason = backend.unavailable_reason()
    if reason:
        record.update(status="skipped", reason=reason)
        return

    # import_s is the backend's imports only: the availability check and the version lookups
    # above are the harness's (they count in harness_overhead_s).
    import_start = time.perf_counter()
    backend.import_libraries()
    import_done = time.perf_counter()
    record["import_s"] = import_done - import_start
    modules_before = set(sys.modules)

    data = spec.generate_data(config["n"])
    settings = samplers.RunSettings(**config["settings"])
    clock = RunClock()

    e2e_start = time.perf_counter()
    output = backend.run(spec, data, settings, clock)
    e2e_end = time.perf_counter()

    _record_timings(record, clock, e2e_start, e2e_end, output)
    record["imported_during_run"] = _imported_libraries(set(sys.modules) - modules_before)
    record.update(_numerics_used(output.idata))
    _count_warmup(output, record)
    _diagnose(record, spec, backend, data, output)
    from samplerbench.time_to_ess import split_sampling

    record.update(split_sampling(record, output.warmup_fraction_reported))
    _trace_error(record, spec, backend, data, output)
    record["status"] = "ok"


def _trace_error(record: dict, spec, backend, data: dict, output) -> None:
    """The error-against-work trace (samplerbench.analysis.error_trace), after every timing and
    the sampling split it needs; its seconds are harness time (``error_trace_s``)."""
    from samplerbench.analysis.error_trace import trace_run

    start = time.perf_counter()
    record.update(trace_run(spec, data, output.idata, record, approximate=backend.kind == APPROXIMATE))
    record["error_trace_s"] = time.perf_counter() - start


def _record_timings(record: dict, clock, e2e_start: float, e2e_end: float, output) -> None:
    """The clock's split of end-to-end into compile and sampling, and what the library was called with."""
    record["end_to_end_s"] = e2e_end - e2e_start
    record["compile_s"] = clock.compile_s(e2e_start, e2e_end)
    record["sampling_s"] = clock.sampling_s()
    record.update(clock.window_breakdown())
    record["backend_sampling_s"] = output.backend_sampling_s
    record["library_calls"] = output.library_calls
    record["library_defaults"] = output.library_defaults
    record["library_overrides"] = output.library_overrides
    record["chain_method"] = output.chain_method
    record["notes"] = output.notes


def _diagnose(record: dict, spec, backend, data: dict, output) -> None:
    """Quality (ESS, R-hat, divergences, gradients) and accuracy of the run, timed as diagnostics_s."""
    from samplerbench.analysis.accuracy import score_run
    from samplerbench.measure.diagnostics import quality
    from samplerbench.measure.parameters import reported_parameters, sampled_parameters

    diag_start = time.perf_counter()
    # info.json's parameters, or (a model without them) every sampled one of this language's version.
    # ESS and R-hat cover every sampled parameter, not only the reported ones (PROTOCOL).
    diagnosed = sampled_parameters(spec, backend.language, data)
    parameters, left_out = reported_parameters(spec, backend.language, data, sampled=diagnosed)
    record["language"] = backend.language
    record["method_kind"] = backend.kind
    record["settings_not_used"] = [name for name in ("chains", "tune", "draws", "target_accept", "max_treedepth")
                                   if name not in backend.settings_used]
    if left_out:
        record["parameters_note"] = left_out  # the report shows it under the model's heading
    record.update(quality(output.idata, parameters, record["sampling_s"],
                          output.warmup_grad_evals, output.warmup_iterations, diagnosed=diagnosed,
                          draws_grad_evals=output.draws_grad_evals))
    # Scored against the model's reference posterior for exactly this data, where one exists.
    record.update(score_run(spec, data, record["posterior"]))
    record["diagnostics_s"] = time.perf_counter() - diag_start


def measure_floor(config: dict, record: dict) -> None:
    import models
    from samplerbench.measure import floor

    spec = models.get(config["model"])
    record["versions"] = _versions(("jax", "jaxlib", "numpyro", "pymc", "pytensor", "numba"))
    record["model_sha256"] = spec.files_sha256()
    record.update(floor.measure(spec, spec.generate_data(config["n"]), seed=config["settings"]["seed"]))
    record["status"] = "ok"


def _die_with_parent() -> None:
    """Linux: SIGKILL this worker when the orchestrator dies (kill -9, crash), so an abandoned
    run does not compete for the cores with a resumed sweep. Set here rather than in a
    preexec_fn, which would make the parent fork (unsafe once a test process imported JAX)."""
    parent = int(os.environ.get("SAMPLERBENCH_PARENT_PID", "0"))
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
    except (OSError, AttributeError):
        return
    if parent and os.getppid() != parent:  # the parent died before the line above
        os._exit(1)


def main(argv: list[str]) -> int:
    _die_with_parent()
    config_path, result_path = argv[1], argv[2]
    with open(config_path) as fh:
        config = json.load(fh)
    record: dict = {"record_version": RECORD_VERSION, "status": "failed", "reason": ""}
    try:
        if config.get("kind") == FLOOR:
            measure_floor(config, record)
        else:
            measure(config, record)
    except BaseException as err:  # noqa: BLE001 - every failure becomes a record
        record.update(status="failed", reason=_last_line(err), traceback=traceback.format_exc())
    record["worker_done_s"] = time.perf_counter() - PROCESS_WORK_START
    from samplerbench.memory import high_water_mib

    record["worker_vm_hwm_mib"] = high_water_mib()  # the kernel's count; the orchestrator keeps it
    with open(result_path + ".tmp", "w") as fh:
        json.dump(_finite_or_none(record), fh, default=str)
    os.replace(result_path + ".tmp", result_path)
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip interpreter teardown (thread pools, JAX/httpstan atexit hooks): the record is
    # already on disk and teardown is not part of any measured interval.
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv)
