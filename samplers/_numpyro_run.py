"""NumPyro's ``MCMC.run`` as the sampling window, for every row that samples with NumPyro.

Used by the native ``numpyro`` row and by ``pymc-numpyro`` (PyMC calls ``MCMC.run`` inside
``pm.sample``), so both rows measure the same span of the same library:

- The window is ``MCMC.run`` plus ``jax.block_until_ready`` on the chains' states, with the
  library's own collection (the kept draws only). What PyMC does after ``MCMC.run`` (copying
  draws and sample stats, which compiles small XLA programs while chains may still be running)
  is outside it, in the rest of end-to-end.
- The moment the ``pmap`` over chains returns (dispatched, device still busy) is noted: a
  compile after it overlaps sampling and is not subtracted (PROTOCOL).
- Warmup gradients: NumPyro keeps per-iteration ``num_steps`` only for the kept draws, and
  collecting the warmup too (``MCMC._set_collection_params``, the switch
  ``MCMC.warmup(collect_warmup=True)`` uses) changes the timed program. So the timed run keeps
  NumPyro's default, and ``count_warmup`` (called by the worker after end-to-end, outside every
  timing) repeats the same ``MCMC.run`` with the same key and arguments, collecting from
  iteration 0; its steps are summed in NumPy on the host. Its kept part must equal the timed
  run's step for step, or it counted another chain (``replay_identical``).
"""

from __future__ import annotations

from contextlib import ExitStack, contextmanager

from samplers.base import WarmupCount, replay_steps_identical

COUNT_METHOD = ("untimed counting run: the same MCMC.run, key and arguments, collecting from "
                "iteration 0 (NumPyro keeps no warmup step counts by default)")


class WarmupReplay:
    """Remembers the timed ``MCMC.run`` so that it can be repeated, untimed, to count."""

    def __init__(self) -> None:
        self._call = None

    def remember(self, mcmc, original_run, args, kwargs) -> None:
        self._call = (mcmc, original_run, args, kwargs)

    def count(self) -> WarmupCount:
        import numpy as np

        mcmc, original_run, args, kwargs = self._call
        timed_steps = np.asarray(mcmc._states["num_steps"])  # the kept draws, chains × draws
        kept = (mcmc._states, mcmc._states_flat, mcmc._last_state)
        tune, total = mcmc.num_warmup, mcmc.num_warmup + mcmc.num_samples
        mcmc._set_collection_params(0, total, total, "sample")
        try:
            original_run(mcmc, *args, **kwargs)
            steps = np.asarray(mcmc._states["num_steps"])  # to the host first, then NumPy
        finally:
            mcmc._states, mcmc._states_flat, mcmc._last_state = kept
        return WarmupCount(grad_evals=int(steps[:, :tune].sum()), iterations=tune, method=COUNT_METHOD,
                           replay_identical=replay_steps_identical(timed_steps, steps[:, tune:]))


@contextmanager
def mcmc_run_is_the_sampling_window(clock, replay: WarmupReplay):
    import jax
    import numpyro.infer.mcmc as mcmc_module
    from numpyro.infer import MCMC

    def make_run(original_run):
        def run(self, *args, **kwargs):
            with clock.sampling():
                original_run(self, *args, **kwargs)
                clock.blocked(self._states, jax.block_until_ready)
            replay.remember(self, original_run, args, kwargs)

        return run

    def make_pmap(original_pmap):
        def pmap(fun, *args, **kwargs):
            mapped = original_pmap(fun, *args, **kwargs)

            def dispatch(*call_args, **call_kwargs):
                out = mapped(*call_args, **call_kwargs)
                clock.device_dispatched()
                return out

            return dispatch

        return pmap

    with ExitStack() as stack:
        stack.enter_context(clock.wrapped(MCMC, "run", make_run))
        stack.enter_context(clock.wrapped(mcmc_module, "pmap", make_pmap))
        yield
