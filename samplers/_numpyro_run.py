"""NumPyro's ``MCMC.run`` as the sampling window, for every row that samples with NumPyro.

Used by the native ``numpyro`` row and by ``pymc-numpyro`` (PyMC calls ``MCMC.run`` inside
``pm.sample``), so both rows measure the same span of the same library:

- The window is ``MCMC.run`` plus ``jax.block_until_ready`` on the chains' states. What PyMC
  does after ``MCMC.run`` (copying draws and sample stats, which compiles small XLA programs
  while chains may still be running) is outside it, in the rest of end-to-end.
- The moment the ``pmap`` over chains returns (dispatched, device still busy) is noted: a
  compile after it overlaps sampling and is not subtracted (PROTOCOL).
- Warmup gradients: NumPyro keeps per-iteration ``num_steps`` only for the kept draws. The
  run is told to collect from iteration 0 (``MCMC._set_collection_params``, the switch
  ``MCMC.warmup(collect_warmup=True)`` uses); after the window the warmup iterations' steps
  are summed and the warmup part is cut off, so the caller sees exactly the kept draws.
  Collecting warmup states costs one extra write of the state per warmup iteration.
"""

from __future__ import annotations

from contextlib import ExitStack, contextmanager
from dataclasses import dataclass


@dataclass
class WarmupCount:
    """Filled after the run: leapfrog steps summed over the warmup iterations of every chain."""

    grad_evals: int | None = None
    iterations: int | None = None


@contextmanager
def mcmc_run_is_the_sampling_window(clock, warmup: WarmupCount):
    import jax
    import numpy as np
    import numpyro.infer.mcmc as mcmc_module
    from numpyro.infer import MCMC

    def make_run(original_run):
        def run(self, *args, **kwargs):
            total = self.num_warmup + self.num_samples
            self._set_collection_params(0, total, total, "sample")
            with clock.sampling():
                original_run(self, *args, **kwargs)
                clock.blocked(self._states, jax.block_until_ready)
            # Outside the window: count the warmup's gradients, keep only the kept draws.
            tune = self.num_warmup
            steps = self._states.get("num_steps")
            if steps is not None:
                warmup.grad_evals = int(np.asarray(steps)[:, :tune].sum())
                warmup.iterations = tune
            self._states = jax.tree.map(lambda x: x[:, tune:], self._states)
            self._states_flat = None

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
