"""Is the same model really the same in Stan, PyMC and NumPyro?

Evaluates the three log densities at the same points and checks that they differ only by a
constant (Stan's ``~`` drops normalising constants). Points are drawn in NumPyro's
unconstrained space (uniform in [-2, 2]) and mapped to constrained values; each language then
maps them into its own unconstrained space and evaluates its log density there, with the
log-Jacobian of the transform (``jacobian=True``) or without it (the density of the
constrained values). This imports all three libraries: use it in tests and checks, never
inside a timed run.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np

LANGUAGES = ("stan", "pymc", "numpyro")


def float64_jax():
    import jax

    jax.config.update("jax_enable_x64", True)  # PROTOCOL: float64 everywhere
    return jax


def constrained_points(spec, data: dict, count: int = 6, seed: int = 0) -> list[dict[str, np.ndarray]]:
    """``count`` points of the parameter space (constrained values by name): NumPyro's random
    initial points, or PyMC's jittered initial points for a model without a NumPyro version."""
    if "numpyro" not in spec.languages:
        from pymc.initial_point import make_initial_point_fn

        pm_model = spec.pymc_builder()(data)
        point_fn = make_initial_point_fn(model=pm_model, jitter_rvs=set(pm_model.free_RVs), return_transformed=False)
        return [{name: np.asarray(value, dtype=float) for name, value in point_fn(seed + i).items()}
                for i in range(count)]
    from samplerbench.measure.parameters import numpyro_initial_point

    model = spec.numpyro_model()
    return [{name: np.asarray(value, dtype=float) for name, value in numpyro_initial_point(model, data, seed + i).items()}
            for i in range(count)]


def numpyro_logp(spec, data, points, jacobian: bool) -> np.ndarray:
    float64_jax()
    from numpyro.infer.util import log_density, potential_energy, unconstrain_fn

    model = spec.numpyro_model()
    out = []
    for point in points:
        if jacobian:
            z = unconstrain_fn(model, (data,), {}, point)
            out.append(-float(potential_energy(model, (data,), {}, z)))
        else:
            out.append(float(log_density(model, (data,), {}, point)[0]))
    return np.array(out)


def pymc_values(pm_model, point: dict) -> dict[str, np.ndarray]:
    """A constrained point as PyMC's value variables (each through its transform), by value-variable name.
    A bound that depends on another parameter (garch's beta1 < 1 - alpha1) is evaluated at that
    parameter's value in the point: the transform's inputs have every random variable replaced by
    its point value (evaluated as they stood, they drew a random alpha1, and the point was wrong)."""
    import pytensor.tensor as pt
    from pytensor.graph.replace import graph_replace

    at_point = {rv: pt.as_tensor(np.asarray(point[rv.name], dtype=rv.dtype)) for rv in pm_model.free_RVs}
    values = {}
    for rv in pm_model.free_RVs:
        value = np.asarray(point[rv.name], dtype=float)
        transform = pm_model.rvs_to_transforms.get(rv)
        if transform is not None:
            forward = transform.forward(value, *rv.owner.inputs)
            value = np.asarray(graph_replace(forward, at_point, strict=False).eval())
        values[pm_model.rvs_to_values[rv].name] = value
    return values


def pymc_logp(spec, data, points, jacobian: bool) -> np.ndarray:
    pm_model = spec.pymc_builder()(data)
    logp = pm_model.compile_logp(jacobian=jacobian)
    return np.array([float(logp(pymc_values(pm_model, point))) for point in points])


def stan_posterior(spec, data, random_seed: int = 1):
    """The model built by PyStan on these data: its log density and gradient here, the
    reference's long runs in ``tools/reference.py``."""
    import stan

    from samplers.base import stan_data
    posterior = stan.build(spec.stan_code(), data=stan_data(data), random_seed=random_seed)
    sys.stderr.write("\n")  # PyStan's "Building..." progress line ends without a newline
    sys.stderr.flush()
    return posterior


def stan_logp(spec, data, points, jacobian: bool) -> np.ndarray:
    posterior = stan_posterior(spec, data)
    out = []
    for point in points:
        constrained = {name: np.asarray(value, dtype=float).tolist() for name, value in point.items()}
        unconstrained = posterior.unconstrain_pars(constrained)
        out.append(float(posterior.log_prob(unconstrained, adjust_transform=jacobian)))
    return np.array(out)


EVALUATORS = {"stan": stan_logp, "pymc": pymc_logp, "numpyro": numpyro_logp}


def odd_one_out(agrees: dict[tuple[str, str], bool]) -> str | None:
    """The one language that disagrees with two others which agree with each other, or None.

    ``agrees`` maps each pair of languages to whether they agree."""
    langs = sorted({lang for pair in agrees for lang in pair})
    if len(langs) < 3:
        return None
    for lang in langs:
        others = [o for o in langs if o != lang]
        mine = [agrees.get((lang, o), agrees.get((o, lang))) for o in others]
        theirs = [agrees.get((a, b), agrees.get((b, a))) for i, a in enumerate(others) for b in others[i + 1:]]
        if not any(mine) and all(theirs):
            return lang
    return None


def _culprit_sentence(agrees: dict[tuple[str, str], bool]) -> str:
    odd = odd_one_out(agrees)
    if odd is None:
        return ""
    others = sorted({lang for pair in agrees for lang in pair} - {odd})
    return f"{odd} differs from {' and '.join(others)}, which agree with each other"


@dataclass
class Comparison:
    jacobian: bool
    logps: dict[str, np.ndarray]
    spreads: dict[str, float]  # "pymc - stan" -> max - min of the differences over the points
    tolerance: float

    @property
    def agree(self) -> bool:
        return all(spread <= self.tolerance for spread in self.spreads.values())

    def culprit(self) -> str | None:
        """The language whose log density alone differs from the others' (by more than a constant)."""
        return odd_one_out({tuple(pair.split(" - ")): spread <= self.tolerance
                            for pair, spread in self.spreads.items()})

    def explain(self) -> str:
        bad = [f"{pair}: differences vary by {spread:.3g}" for pair, spread in self.spreads.items()
               if spread > self.tolerance]
        kind = "with the log-Jacobian" if self.jacobian else "of the constrained values"
        if not bad:
            return f"log densities {kind} differ by a constant in every pair"
        odd = _culprit_sentence({tuple(pair.split(" - ")): spread <= self.tolerance
                                 for pair, spread in self.spreads.items()})
        return (f"log densities {kind} do not differ by a constant ({'; '.join(bad)}; tolerance "
                f"{self.tolerance:.1g}){': ' + odd if odd else ''}: a prior, likelihood or transform "
                "differs between the languages")


def compare(spec, n: int = 50, count: int = 6, jacobian: bool = True, languages=LANGUAGES) -> Comparison:
    data = spec.generate_data(n)
    points = constrained_points(spec, data, count)
    logps = {lang: EVALUATORS[lang](spec, data, points, jacobian) for lang in languages}
    spreads = {}
    scale = 1.0 + max(float(np.max(np.abs(v))) for v in logps.values())
    # Every pair (each against the first language, then the others among themselves), so a
    # language that alone differs can be named.
    for i, first in enumerate(languages):
        for lang in languages[i + 1:]:
            diff = logps[lang] - logps[first]
            spreads[f"{lang} - {first}"] = float(np.max(diff) - np.min(diff))
    return Comparison(jacobian=jacobian, logps=logps, spreads=spreads, tolerance=1e-8 * scale)
