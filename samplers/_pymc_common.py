"""Helpers shared by the backends that start from the PyMC model."""

from __future__ import annotations

from contextlib import ExitStack, contextmanager

# PyTensor 3 links with numba and imports its numba backend at the first compile: import it in
# the import phase, or the first compile inside end-to-end pays for the import.
PYMC_IMPORTS = ("pytensor.link.numba.linker", "pytensor.link.numba.dispatch", "pymc.printing")


@contextmanager
def pytensor_compiles_are_compile_time(clock):
    """Count PyTensor graph rewriting (FunctionMaker init), linking (FunctionMaker.create)
    and numba's lazy JIT compilation at a function's first call as compile time, wherever
    PyMC triggers them. (PyTensor 3 links with numba by default, and numba compiles on the
    first call, i.e. inside ``pm.sample``.) Compilation inside PyMC's chain worker
    processes, if any, cannot be seen from here and stays in the sampling time."""
    from numba.core.dispatcher import _DispatcherBase
    from pytensor.compile.maker import FunctionMaker

    with ExitStack() as stack:
        stack.enter_context(clock.compile_calls(FunctionMaker, "__init__"))
        stack.enter_context(clock.compile_calls(FunctionMaker, "create"))
        stack.enter_context(clock.compile_calls(_DispatcherBase, "_compile_for_args"))
        yield


def sample_kwargs(settings, **extra) -> dict:
    """The ``pm.sample`` keywords shared by every PyMC-driven row."""
    kwargs = dict(
        draws=settings.draws,
        tune=settings.tune,
        chains=settings.chains,
        target_accept=settings.target_accept,
        random_seed=settings.seed,
        progressbar=False,
        compute_convergence_checks=False,  # diagnostics are computed outside the timed code
        idata_kwargs={"log_likelihood": False},
    )
    kwargs.update(extra)
    return kwargs


def reported_sampling_time(idata) -> float | None:
    """PyMC's own ``sampling_time`` attribute (includes JIT compilation for JAX samplers)."""
    for group in ("sample_stats", "posterior"):
        try:
            value = idata[group].attrs.get("sampling_time")
        except KeyError:
            continue
        if value is not None:
            return float(value)
    return None
