"""Algorithms beyond NUTS (issue 26): the error-against-work metric checked from outside its own
code, the gradient counts of MCLMC against what the compiled program computes, and the
approximate and biased methods named beside the winner, never as it. Real runs, tiny settings."""

from __future__ import annotations

import json
from pathlib import Path
import re

import numpy as np
import pytest

import models
import samplers
from samplerbench.analysis.error_trace import LOW_ERROR, trace
from tests.conftest import TINY, tiny_run

ICG = "ill_conditioned_gaussian"


def _in_process(backend, model: str, seed: int, **settings):
    """One run of a backend in this process (the worker's steps, without its timing), for a test
    that needs the run's draws themselves, which a record does not keep."""
    import jax

    from samplerbench.measure.timing import RunClock

    jax.config.update("jax_enable_x64", True)  # PROTOCOL: float64, as in the worker
    spec = models.get(model)
    data = spec.generate_data(0)
    output = backend.run(spec, data, samplers.RunSettings(seed=seed, **settings), RunClock())
    return spec, data, output


def _scored(spec, data, output, parameters):
    from samplerbench.analysis.accuracy import score_run
    from samplerbench.measure.diagnostics import quality

    result = quality(output.idata, parameters, 1.0, output.warmup_grad_evals, output.warmup_iterations)
    return result, score_run(spec, data, result["posterior"])


@pytest.fixture(scope="module")
def mclmc_runs():
    """Unadjusted MCLMC on the 100-dimensional Gaussian, as users call it and with its tuned step
    size multiplied by 6 (a deliberately biased chain)."""
    from samplers.blackjax_mclmc import MCLMCBackend

    as_tuned = _in_process(MCLMCBackend(), ICG, seed=11, chains=2, draws=400)
    large = MCLMCBackend()
    large.step_size_factor = 6.0
    return as_tuned, _in_process(large, ICG, seed=11, chains=2, draws=1000)


def test_error_trace_equals_numpy_on_the_runs_own_draws_and_the_closed_form_moments(mclmc_runs):
    """b² recomputed here from the draws and Σ = L Lᵀ (not from the reference file, nor from
    data.py's exact_moments), at every point of the trace, and the gradients to b² < 0.01."""
    from samplerbench.analysis.accuracy import find

    spec, data, output = mclmc_runs[0]
    draws = np.asarray(output.idata["posterior"].to_dataset()["x"].values)  # chains × draws × 100
    steps = np.asarray(output.idata["sample_stats"].to_dataset()["n_steps"].values)
    variance = np.diag(np.asarray(data["L"]) @ np.asarray(data["L"]).T)
    chains, length, _ = draws.shape
    k = np.arange(1, length + 1)[:, None]
    mean_x = np.cumsum(draws.sum(axis=0), axis=0) / (chains * k)
    mean_x2 = np.cumsum((draws ** 2).sum(axis=0), axis=0) / (chains * k)
    b2_x = mean_x ** 2 / variance
    b2_x2 = (mean_x2 - variance) ** 2 / (2 * variance ** 2)
    expected = np.maximum(b2_x.max(axis=1), b2_x2.max(axis=1))

    record = {"grad_evals_warmup": output.warmup_grad_evals, "grad_evals": int(steps.sum()),
              "warmup_s": 1.0, "draws_s": 2.0, "sampling_s": 3.0}
    out = trace({"x": draws}, steps, record, find(spec, models.data_sha256(data))[1])
    assert out["b2_functions"] == ["x", "x2"] and out["b2_elements"] == 100
    assert out["b2_max_final"] == pytest.approx(expected[-1], rel=1e-9)
    for point in out["error_trace"]:
        assert point["b2_max"] == pytest.approx(expected[point["draws"] - 1], rel=1e-9), point
        assert point["b2_avg_x2"] == pytest.approx(b2_x2[point["draws"] - 1].mean(), rel=1e-9)
    cumulative = output.warmup_grad_evals + np.cumsum(steps.sum(axis=0))
    above = np.flatnonzero(expected >= LOW_ERROR)
    reached = None if len(above) and above[-1] == length - 1 else int(cumulative[above[-1] + 1 if len(above) else 0])
    assert out["grads_to_low_error"] == reached
    # The seconds: the warmup's second in proportion to its gradients, then the draws' two.
    last = out["error_trace"][-1]
    assert last["sampling_s"] == pytest.approx(3.0) and last["grad_evals"] == output.warmup_grad_evals + steps.sum()


def test_mclmc_gradients_per_step_are_what_the_compiled_program_computes():
    """The integrator's gradients per step (from its coefficients) against the compiled XLA program
    of one MCLMC step: a log density with one sin term puts one cosine in the program per gradient.
    (BlackJAX 1.5's kernel calls its integrator twice and keeps the second result; the first is dead
    code that JAX removes, so a counter inside the log density, which keeps it alive, would count
    double.) And the tuner's own count of its steps against the kernel calls it really made."""
    import inspect

    import blackjax
    import jax
    import jax.numpy as jnp

    from samplers.blackjax_mclmc import gradients_per_step, tuning_steps

    jax.config.update("jax_enable_x64", True)

    def logdensity(x):
        return -0.5 * jnp.sum(x ** 2) + 1e-3 * jnp.sum(jnp.sin(x))

    integrator = inspect.signature(blackjax.mcmc.mclmc.as_top_level_api).parameters["integrator"].default
    key = jax.random.PRNGKey(0)
    state = blackjax.mcmc.mclmc.init(position=jnp.ones(5), logdensity_fn=logdensity, rng_key=key)
    for name in ("isokinetic_velocity_verlet", "isokinetic_mclachlan", "isokinetic_omelyan"):
        chosen = getattr(blackjax.mcmc.integrators, name)
        step = blackjax.mclmc(logdensity, L=1.0, step_size=0.1, integrator=chosen).step
        program = jax.jit(step).lower(key, state).compile().as_text()
        assert len(re.findall(r"\bcosine\(", program)) == gradients_per_step(chosen), name
    assert gradients_per_step(integrator) == 2  # BlackJAX 1.5's default: McLachlan

    calls = []

    def counted_kernel(inverse_mass_matrix):
        inner = blackjax.mcmc.mclmc.build_kernel(logdensity_fn=logdensity, integrator=integrator,
                                                 inverse_mass_matrix=inverse_mass_matrix)

        def kernel(**kwargs):
            jax.debug.callback(lambda: calls.append(1))
            return inner(**kwargs)

        return kernel

    for num_steps in (150, 200):
        calls.clear()
        _, _, reported = blackjax.mclmc_find_L_and_step_size(mclmc_kernel=counted_kernel, num_steps=num_steps,
                                                             state=state, rng_key=key)
        jax.effects_barrier()
        assert len(calls) == tuning_steps(num_steps, blackjax.mclmc_find_L_and_step_size), num_steps
    # BlackJAX 1.5's own count is one short at 200 (its preconditioner runs round(20 / 3) = 7
    # steps and counts 20 // 3 = 6): why the backend does not take it.
    assert (len(calls), reported) == (67, 66)


def test_mclmc_record_counts_its_tuning_and_its_steps(availability, tiny_record):
    """The worker's record: gradients = chains × (1 at init + tuning steps × 2) + chains × draws × 2,
    from the library's own returned tuning count; the settings that reach it, and those that do
    not apply to it, said."""
    if availability["blackjax-mclmc"]:
        pytest.skip(availability["blackjax-mclmc"])
    record = tiny_record("blackjax-mclmc")
    assert record["status"] == "ok", record.get("reason")
    assert record["method_kind"] == "mcmc-biased"
    chains, draws = TINY["chains"], TINY["draws"]
    assert (record["posterior_chains"], record["posterior_draws"]) == (chains, draws)
    tuning = round(0.1 * draws) + round(0.1 * draws) + round(0.1 * draws) // 3 + round(0.1 * draws)
    assert record["warmup_iterations_seen"] == tuning
    assert record["grad_evals"] == chains * draws * 2
    assert record["grad_evals_warmup"] == chains * (1 + tuning * 2)
    assert record["settings_not_used"] == ["tune", "target_accept", "max_treedepth"]
    assert record["library_calls"]["blackjax.mclmc_find_L_and_step_size"] == {"num_steps": draws}


def test_mclmc_with_a_too_large_step_is_reported_biased(mclmc_runs):
    """The tuned step size × 6: the draws' variances are off, and the accuracy score says biased
    (not accurate, not merely inconclusive); its error never gets below the line."""
    from samplerbench.analysis.accuracy import find

    spec, data, output = mclmc_runs[1]
    _, scored = _scored(spec, data, output, ["x"])
    assert scored["accuracy"] == "biased", scored["accuracy_worst"]
    steps = np.asarray(output.idata["sample_stats"].to_dataset()["n_steps"].values)
    record = {"grad_evals_warmup": output.warmup_grad_evals, "grad_evals": int(steps.sum()),
              "warmup_s": 1.0, "draws_s": 1.0, "sampling_s": 2.0}
    draws = np.asarray(output.idata["posterior"].to_dataset()["x"].values)
    out = trace({"x": draws}, steps, record, find(spec, models.data_sha256(data))[1])
    assert out["grads_to_low_error"] is None and out["b2_max_final"] > LOW_ERROR


@pytest.fixture(scope="module")
def icg_sweep(availability):
    """Mean-field ADVI, full-rank ADVI and NumPyro's NUTS on the 100-dimensional Gaussian, one
    tiny cold run each through the real worker."""
    for name in ("advi", "numpyro"):
        if availability[name]:
            pytest.skip(availability[name])
    return {name: tiny_run(name, model=ICG) for name in ("advi", "numpyro")}


def test_mean_field_advi_has_an_error_floor_on_x_squared_and_never_wins(icg_sweep):
    """Mean-field ADVI on a strongly correlated Gaussian underestimates the variances (the known
    failure): its means are close (b² of x small), its x² error stays far above 0.01, the score
    calls it biased, and no sentence of the verdict names it the winner."""
    from samplerbench.analysis.statistics import summarize
    from samplerbench.analysis.verdict import model_verdict
    from samplerbench.views.tables import error_table

    advi = icg_sweep["advi"]
    assert advi["status"] == "ok", advi.get("reason")
    assert advi["method_kind"] == "approximate" and advi["grad_evals"] == 0
    assert advi["grad_evals_total"] == advi["grad_evals_warmup"] == 10_000  # PyMC's default n, its own count
    (point,) = advi["error_trace"]
    assert point["b2_max_x2"] > 0.05 > 0.01 and point["b2_max_x"] < point["b2_max_x2"] / 10, point
    assert advi["grads_to_low_error"] is None
    assert advi["accuracy"] == "biased" and "sd -" in advi["accuracy_worst"], advi["accuracy_worst"]

    records = [{**record, "run": 1} for record in icg_sweep.values()]
    summary = summarize(records, samplers.names())
    sentences = model_verdict(summary, ICG, records[0]["n"])
    assert sentences and not any("**advi** reaches" in s or "**advi** gets there" in s or "**advi** gains" in s
                                 for s in sentences), sentences
    low_error = [s for s in sentences if f"b² < {LOW_ERROR:g}" in s]
    assert low_error and "**advi** (approximate) never" in low_error[0], low_error
    table = error_table(summary.table)
    assert table.loc[table["backend"] == "advi", "gradients to b² < 0.01"].item() == "never"


def test_mams_tuning_count_is_the_integration_steps_its_kernel_ran():
    """The tuner's returned num_tuning_integrator_steps against the integration steps of every
    proposal its kernel really made (a callback on the kernel's own info), and its proposals
    against ``tuning_iterations``."""
    import blackjax
    import jax
    import jax.numpy as jnp

    from samplers.blackjax_mams import random_steps, tuning_iterations

    jax.config.update("jax_enable_x64", True)

    def logdensity(x):
        return -0.5 * jnp.sum((x / jnp.linspace(1.0, 3.0, 5)) ** 2)

    mams = blackjax.mcmc.adjusted_mclmc_dynamic
    integrator = blackjax.mcmc.integrators.isokinetic_mclachlan
    steps_seen = []

    def kernel(rng_key, state, avg_num_integration_steps, step_size, inverse_mass_matrix):
        new_state, info = mams.build_kernel(integrator=integrator, integration_steps_fn=random_steps(
            avg_num_integration_steps), inverse_mass_matrix=inverse_mass_matrix)(
            rng_key=rng_key, state=state, step_size=step_size, logdensity_fn=logdensity)
        jax.debug.callback(lambda n: steps_seen.append(int(n)), info.num_integration_steps)
        return new_state, info

    key = jax.random.PRNGKey(3)
    state = mams.init(position=jnp.ones(5), logdensity_fn=logdensity, random_generator_arg=key)
    _, _, reported = blackjax.adjusted_mclmc_find_L_and_step_size(mclmc_kernel=kernel, num_steps=200, state=state,
                                                                  rng_key=key, target=0.9)
    jax.effects_barrier()
    assert len(steps_seen) == tuning_iterations(200, blackjax.adjusted_mclmc_find_L_and_step_size) == 60
    assert int(reported) == sum(steps_seen) > len(steps_seen)


def test_mams_settings_reach_the_library_and_its_gradients_are_counted(availability):
    """Target acceptance 0.6 against 0.9 reaches the tuner (the draws' mean acceptance follows),
    chains × draws as asked, gradients per draw = 2 × integration steps, the tuning's proposals."""
    if availability["blackjax-mams"]:
        pytest.skip(availability["blackjax-mams"])
    low = tiny_run("blackjax-mams", target_accept=0.6, draws=600)
    high = tiny_run("blackjax-mams", target_accept=0.9, draws=600)
    for record in (low, high):
        assert record["status"] == "ok", record.get("reason")
        assert record["method_kind"] == "mcmc"
        assert (record["posterior_chains"], record["posterior_draws"]) == (TINY["chains"], 600)
        assert record["warmup_iterations_seen"] == 180
        # Each proposal runs ceil(U × rescale(L / step size)) integration steps: at least one while
        # the tuned L is at least the step size, none (a chain that never moves) where the tuner
        # returned a step size above L (BlackJAX's rescale gives 0; seen once on CI, 1330
        # gradients for 1200 draws). The chains that can move are read from the run's own note.
        tuned = next(note for note in record["notes"] if "tuned L" in note)
        L, step = (np.array(json.loads(v)) for v in re.search(r"tuned L (\[.*?\]), step size (\[.*?\])", tuned).groups())
        assert record["grad_evals"] % 2 == 0 and record["grad_evals"] >= 2 * 600 * int((L >= step).sum()), tuned
        assert record["grad_evals_warmup"] > TINY["chains"] * 180 * 2
        assert record["settings_not_used"] == ["tune", "max_treedepth"]
        assert record["library_calls"]["blackjax.adjusted_mclmc_find_L_and_step_size"]["target"] == (
            0.6 if record is low else 0.9)
    # Short tunings overshoot a low target (60 proposals: 0.79 and 0.93 for 0.6, 0.99 for 0.9).
    assert low["acceptance_mean"] < high["acceptance_mean"] and high["acceptance_mean"] > 0.8, (
        low["acceptance_mean"], high["acceptance_mean"])


def test_the_evaluation_counter_counts_values_and_gradients_apart():
    """The counter Pathfinder's counting run uses, on programs whose evaluations are known: one
    value-and-gradient, a batch of 7 values, a batch of 5 gradients, 4 loop iterations × 2 rows."""
    import jax
    import jax.numpy as jnp

    from samplers.blackjax_pathfinder import counting_log_density

    jax.config.update("jax_enable_x64", True)
    counted, counts = counting_log_density(lambda x: -0.5 * jnp.sum(x ** 2))
    value, gradient = jax.jit(jax.value_and_grad(counted))(jnp.ones(3))
    assert (float(value), gradient.tolist()) == (-1.5, [-1.0, -1.0, -1.0])
    jax.jit(jax.vmap(counted))(jnp.ones((7, 3)))
    jax.jit(jax.vmap(jax.grad(counted)))(jnp.ones((5, 3)))
    loop = jax.vmap(lambda x: jax.lax.fori_loop(0, 4, lambda _, y: y + 0.1 * jax.grad(counted)(y), x))
    jax.jit(loop)(jnp.ones((2, 3)))
    assert counts == {"value": 7, "gradient": 1 + 5 + 8}


def test_chees_gradients_are_what_the_compiled_program_computes(monkeypatch):
    """ChEES's count (the library's num_integration_steps of its warmup and of every draw, plus one
    per chain at init) against the gradients the compiled program evaluates (a host counter in the
    log density); 16 chains however few are asked, the draws asked split over them."""
    import samplers.blackjax_chees as chees
    from samplers.blackjax_pathfinder import counting_log_density

    counters, prepare = [], chees.prepare

    def counted_prepare(*args):
        key, kwargs, logdensity, *rest = prepare(*args)
        counted, counts = counting_log_density(logdensity)
        counters.append(counts)
        return (key, kwargs, counted, *rest)

    monkeypatch.setattr(chees, "prepare", counted_prepare)
    _, _, output = _in_process(chees.ChEESBackend(), "linear_regression", seed=5, chains=2, tune=60, draws=80)
    import jax

    jax.effects_barrier()
    steps = np.asarray(output.idata["sample_stats"].to_dataset()["n_steps"].values)
    assert steps.shape == (chees.CHEES_CHAINS, 10) and steps.min() >= 1
    assert counters[0] == {"value": 0, "gradient": output.warmup_grad_evals + int(steps.sum())}
    assert output.warmup_grad_evals > chees.CHEES_CHAINS * 60


def test_pathfinder_counts_its_lbfgs_gradients_and_its_elbo_evaluations_apart():
    """The counting run's density evaluations are exactly BlackJAX's design (each path: an ELBO
    estimate of num_samples draws at each of maxiter + 1 points, and num_samples for the pool,
    read from its signature); its gradients at least an initial one and two per L-BFGS iteration
    tried; it replays the timed run's draws; its kind is approximate."""
    import inspect

    from blackjax.vi.multipathfinder import multi_approximate

    from samplers.blackjax_pathfinder import PathfinderBackend

    backend = PathfinderBackend()
    _, _, output = _in_process(backend, "linear_regression", seed=5, chains=3, draws=100)
    counted = output.count_warmup()
    defaults = {name: p.default for name, p in inspect.signature(multi_approximate).parameters.items()}
    assert counted.density_evals == 3 * (defaults["maxiter"] + 2) * defaults["num_samples"]
    assert 3 * (1 + 2) <= counted.grad_evals <= 3 * (1 + defaults["maxiter"] * (2 + defaults["maxls"]))
    assert counted.replay_identical is True
    assert backend.kind == "approximate" and output.draws_grad_evals == 0
    assert output.idata["posterior"].to_dataset()["slope"].shape == (3, 100)


def test_pathfinder_record_carries_both_counts_and_the_report_says_the_density_evaluations(availability, tiny_record):
    """Through the worker: the L-BFGS gradients are the run's (warmup) gradients, its draws cost
    none, the density evaluations are their own field, and the cell's notes say them."""
    if availability["pathfinder"]:
        pytest.skip(availability["pathfinder"])
    from samplerbench.analysis.statistics import summarize
    from samplerbench.views.tables import density_note

    record = tiny_record("pathfinder")
    assert record["status"] == "ok", record.get("reason")
    assert record["method_kind"] == "approximate" and record["grad_evals"] == 0
    assert record["density_evals"] == TINY["chains"] * (30 + 2) * 200
    assert record["grad_evals_warmup"] >= TINY["chains"] * 3 and record["warmup_count_replay_identical"] is True
    frame = summarize([record]).frame
    note = density_note(frame, record["model"], record["n"], record["cache"])
    assert note[0].startswith(f"**pathfinder** also evaluated the log density {record['density_evals']:,.0f} times"), note


# The exact MCMC rows. Unadjusted MCLMC's tiny run tunes for 45 of its 150 steps and is still
# drifting (its b² rose from 0.08 to 0.3 before falling to 0.06): not a test of the trace.
TRACED_ROWS = [name for name in samplers.names() if samplers.get(name).kind == "mcmc"]


@pytest.mark.parametrize("sampler", TRACED_ROWS)
def test_the_error_falls_along_the_trace_of_every_mcmc_backend(sampler, availability, tiny_record):
    """b²_max (over the elements of x and x²) of each backend's shared tiny run on the linear
    regression (n = 60: a nearly Gaussian posterior whose reference is committed) falls along
    the trace: the geometric mean of its second half is below that of its first quarter, and its
    end is below half the highest of its first quarter. Flat or rising means the grid, the pooling
    over chains or a backend's order of draws is wrong (ChEES's scan hands draws first)."""
    if availability[sampler]:
        pytest.skip(availability[sampler])
    record = tiny_record(sampler)
    assert record["status"] == "ok", record.get("reason")
    points = record["error_trace"]
    assert points, "no error trace: the linear regression's reference at n = 60 was not found"
    b2 = np.array([p["b2_max"] for p in points])
    first, second_half = b2[: len(b2) // 4], b2[len(b2) // 2:]
    # Two chains of 150 draws are noisy: the worst of six b² at the end is about 0.01-0.02, and
    # NUTS on a Gaussian can reach that floor within ten draws, after which the trace is flat
    # noise (PyStan once fell 0.62 → 0.008 in four points and ended at 0.013: a log-log slope
    # over all points was +0.01, so a slope check failed a healthy trace). A lucky first draw
    # can start low (BlackJAX's once began at 0.04 and ended at 0.02). A flat or rising trace
    # still fails both checks.
    falls = np.log(second_half).mean() < np.log(first).mean()
    assert falls and b2[-1] < first.max() / 2, b2.round(4).tolist()


def test_an_approximation_that_differs_does_not_make_the_languages_disagree():
    """The committed Rosenbrock sweep (real runs): ADVI (pymc) and Pathfinder and MCLMC (numpyro)
    differ from the MCMC rows, as their kinds allow. The agreement vote must not call that "the
    languages disagree" (it did: only the MCMC rows are witnesses of a language), must not flag
    an MCMC row, and must say of each approximation that its kind allows the difference."""
    from samplerbench.analysis.statistics import agreement, records_frame
    from samplerbench.store.records import load_records

    records = [r for r in load_records(Path("reports/sample-which-algorithm.runs.jsonl"))
               if r.get("model") == "rosenbrock"]
    verdicts = agreement(records_frame(records, (1000,)))
    assert verdicts, "no ok rosenbrock runs in the committed sample"
    for cell, by_backend in verdicts.items():
        for name in ("numpyro", "nutpie", "nutpie-low-rank"):
            assert by_backend[name] == "", (cell, name, by_backend[name])
        assert not any("languages disagree" in why for why in by_backend.values()), (cell, by_backend)
        for name in ("advi", "pathfinder"):
            assert by_backend[name].startswith("an approximation (approximate): its posterior differs"), by_backend[name]
