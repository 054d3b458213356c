"""Independent minimal scripts, one function per backend, to cross-check samplerbench.

Each does what a user would write from the library's own docs, with the same settings as the
default comparison (4 chains x 1000 + 1000, target accept 0.8, float64), and prints one JSON
line: end-to-end seconds (model build to ArviZ data) and, where the library splits it, compile
and sampling seconds. It deliberately shares no code with samplerbench except the model's data.

    benchmarks/run_minimal.sh [N] [REPEATS]   # cold caches per run, like --cache cold
"""

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from models.linear_regression.data import generate  # noqa: E402

STAN = (Path(__file__).resolve().parent.parent / "models" / "linear_regression" / "model.stan").read_text()


def pymc_model(data):
    import pymc as pm

    with pm.Model() as model:
        sigma = pm.HalfCauchy("sigma", 10.0)
        intercept = pm.Normal("intercept", 0.0, 20.0)
        slope = pm.Normal("slope", 0.0, 20.0)
        pm.Normal("y", intercept + slope * data["x"], sigma, observed=data["y"])
    return model


def run_pystan(data):
    import arviz_base  # arviz 1.x re-exports every converter but from_pystan
    import stan

    t0 = time.perf_counter()
    posterior = stan.build(STAN, data={k: (v.tolist() if hasattr(v, "tolist") else v) for k, v in data.items()}, random_seed=int(time.time()))
    t1 = time.perf_counter()
    fit = posterior.sample(num_chains=4, num_warmup=1000, num_samples=1000)
    t2 = time.perf_counter()
    arviz_base.from_pystan(posterior=fit, posterior_model=posterior)
    return {"compile_s": t1 - t0, "sampling_s": t2 - t1, "end_to_end_s": time.perf_counter() - t0}


def run_pymc_with(nuts_sampler):
    def run(data):
        import pymc as pm

        t0 = time.perf_counter()
        idata = pm.sample(model=pymc_model(data), nuts_sampler=nuts_sampler, chains=4, tune=1000, draws=1000,
                          progressbar=False, compute_convergence_checks=False)
        e2e = time.perf_counter() - t0
        attrs = dict(idata.posterior.attrs) | dict(idata.sample_stats.attrs)
        return {"end_to_end_s": e2e, "pymc_sampling_time_s": attrs.get("sampling_time")}

    return run


def run_numpyro(data):
    import arviz
    import jax
    import numpyro
    import numpyro.distributions as dist
    from numpyro.infer import MCMC, NUTS

    def model(x, y):
        sigma = numpyro.sample("sigma", dist.HalfCauchy(10.0))
        intercept = numpyro.sample("intercept", dist.Normal(0.0, 20.0))
        slope = numpyro.sample("slope", dist.Normal(0.0, 20.0))
        numpyro.sample("y", dist.Normal(intercept + slope * x, sigma), obs=y)

    t0 = time.perf_counter()
    mcmc = MCMC(NUTS(model), num_warmup=1000, num_samples=1000, num_chains=4, progress_bar=False)
    mcmc.run(jax.random.PRNGKey(int(time.time())), data["x"], data["y"])
    jax.block_until_ready(mcmc.get_samples())
    t1 = time.perf_counter()
    arviz.from_numpyro(mcmc)
    return {"run_s": t1 - t0, "end_to_end_s": time.perf_counter() - t0}


def run_numpyro_aot(data, seed=None):
    """A third measurement of NumPyro's sampling (issue 25): the chain program compiled ahead of
    time (``jax.pmap(...).lower(...).compile()``, the program ``MCMC.run`` maps over chains) and
    executed alone, blocked on its result. With the seed of a samplerbench run it samples the
    same chains (its kept draws' step count says so), so the two times describe the same work."""
    from functools import partial

    import jax
    import numpyro
    import numpyro.distributions as dist
    from numpyro.infer import MCMC, NUTS

    def model(x, y):
        sigma = numpyro.sample("sigma", dist.HalfCauchy(10.0))
        intercept = numpyro.sample("intercept", dist.Normal(0.0, 20.0))
        slope = numpyro.sample("slope", dist.Normal(0.0, 20.0))
        numpyro.sample("y", dist.Normal(intercept + slope * x, sigma), obs=y)

    mcmc = MCMC(NUTS(model, target_accept_prob=0.8, max_tree_depth=10), num_warmup=1000, num_samples=1000,
                num_chains=4, chain_method="parallel", progress_bar=False)
    args = (data["x"], data["y"])
    mcmc._args, mcmc._kwargs = args, {}  # what MCMC.run sets before it maps the chains
    chain = partial(mcmc._single_chain_mcmc, args=args, kwargs={}, remove_sites=(),
                    collect_fields=("z", "diverging", "num_steps", "energy", "accept_prob"))
    keys = jax.random.split(jax.random.PRNGKey(int(time.time()) if seed is None else seed), 4)
    t0 = time.perf_counter()
    compiled = jax.pmap(chain).lower((keys, None, None)).compile()
    t1 = time.perf_counter()
    states, _ = compiled((keys, None, None))
    jax.block_until_ready(states)
    t2 = time.perf_counter()
    return {"compile_s": t1 - t0, "execute_s": t2 - t1, "kept_grad_evals": int(states["num_steps"].sum())}


def _finished(sampler) -> bool:
    try:
        return sampler.is_finished
    except TimeoutError:  # nutpie 0.16 raises this from is_finished while chains still run
        return False


def run_nutpie(data):
    import nutpie

    t0 = time.perf_counter()
    compiled = nutpie.compile_pymc_model(pymc_model(data))
    t1 = time.perf_counter()
    # Non-blocking, to see when the chains are done apart from building the DataTree.
    sampler = nutpie.sample(compiled, chains=4, tune=1000, draws=1000, progress_bar=False, blocking=False)
    while not _finished(sampler):
        time.sleep(0.001)
    t2 = time.perf_counter()
    sampler.wait()
    t3 = time.perf_counter()
    return {"compile_s": t1 - t0, "sampling_s": t2 - t1, "output_s": t3 - t2, "end_to_end_s": t3 - t0}


RUNNERS = {
    "pystan": run_pystan,
    "pymc": run_pymc_with("pymc"),
    "pymc-numpyro": run_pymc_with("numpyro"),
    "pymc-blackjax": run_pymc_with("blackjax"),
    "numpyro": run_numpyro,
    "numpyro-aot": run_numpyro_aot,
    "nutpie": run_nutpie,
}

if __name__ == "__main__":
    backend, n = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    seed = json.loads((Path(__file__).resolve().parent.parent / "models" / "linear_regression" / "info.json").read_text())["data_seed"]
    extra = {"seed": int(sys.argv[3])} if len(sys.argv) > 3 else {}  # numpyro-aot: a run's sampling seed
    print(json.dumps({"backend": backend, "n": n, **RUNNERS[backend](generate(n, seed=seed), **extra)}))
