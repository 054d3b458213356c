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


def _float64_jax():
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
    jax = _float64_jax()
    from numpyro.infer.util import constrain_fn, initialize_model

    model = spec.numpyro_model()
    points = []
    for i in range(count):
        info = initialize_model(jax.random.PRNGKey(seed + i), model, model_args=(data,))
        values = constrain_fn(model, (data,), {}, info.param_info.z, return_deterministic=False)
        points.append({name: np.asarray(value, dtype=float) for name, value in values.items()})
    return points


def numpyro_logp(spec, data, points, jacobian: bool) -> np.ndarray:
    _float64_jax()
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
    """A constrained point as PyMC's value variables (each through its transform), by value-variable name."""
    values = {}
    for rv in pm_model.free_RVs:
        value = np.asarray(point[rv.name], dtype=float)
        transform = pm_model.rvs_to_transforms.get(rv)
        if transform is not None:
            value = np.asarray(transform.forward(value, *rv.owner.inputs).eval())
        values[pm_model.rvs_to_values[rv].name] = value
    return values


def pymc_logp(spec, data, points, jacobian: bool) -> np.ndarray:
    pm_model = spec.pymc_builder()(data)
    logp = pm_model.compile_logp(jacobian=jacobian)
    return np.array([float(logp(pymc_values(pm_model, point))) for point in points])


def stan_logp(spec, data, points, jacobian: bool) -> np.ndarray:
    import stan

    from samplers.base import stan_data
    posterior = stan.build(spec.stan_code(), data=stan_data(data), random_seed=1)
    sys.stderr.write("\n")  # PyStan's "Building..." progress line ends without a newline
    sys.stderr.flush()
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


# --- gradients ----------------------------------------------------------------------------
# posteriordb's rule for a port of a model: its gradient matches Stan's, not only its value.
GRADIENT_RTOL = 1e-5
GRADIENT_ATOL = 1e-6
TRANSFORM_RTOL = 1e-8


@dataclass
class Unconstrained:
    """One language's view of the points: per sampled parameter, its unconstrained values and
    the gradient of the log density (log-Jacobian included) there, arrays of shape (points, size)."""

    values: dict[str, np.ndarray]
    gradients: dict[str, np.ndarray]
    unmapped: dict[str, str]  # parameter -> why its coordinates cannot be matched by name


def numpyro_gradients(spec, data, points) -> Unconstrained:
    jax = _float64_jax()
    from numpyro.infer.util import potential_energy, unconstrain_fn

    model = spec.numpyro_model()
    grad = jax.grad(lambda z: -potential_energy(model, (data,), {}, z))
    values: dict[str, list] = {}
    gradients: dict[str, list] = {}
    for point in points:
        z = unconstrain_fn(model, (data,), {}, point)
        g = grad(z)
        for name in z:
            values.setdefault(name, []).append(np.ravel(np.asarray(z[name], dtype=float)))
            gradients.setdefault(name, []).append(np.ravel(np.asarray(g[name], dtype=float)))
    return Unconstrained({k: np.array(v) for k, v in values.items()},
                         {k: np.array(v) for k, v in gradients.items()}, {})


def pymc_gradients(spec, data, points) -> Unconstrained:
    pm_model = spec.pymc_builder()(data)
    dlogp = pm_model.compile_dlogp(jacobian=True)
    value_vars = pm_model.value_vars
    names = [pm_model.values_to_rvs[v].name for v in value_vars]
    values: dict[str, list] = {}
    gradients: dict[str, list] = {}
    for point in points:
        inputs = pymc_values(pm_model, point)
        for rv in pm_model.free_RVs:
            values.setdefault(rv.name, []).append(np.ravel(inputs[pm_model.rvs_to_values[rv].name]))
        flat = np.asarray(dlogp(inputs), dtype=float)
        start = 0
        for var, name in zip(value_vars, names):
            size = int(np.size(inputs[var.name]))
            gradients.setdefault(name, []).append(flat[start:start + size])
            start += size
    return Unconstrained({k: np.array(v) for k, v in values.items()},
                         {k: np.array(v) for k, v in gradients.items()}, {})


def stan_gradients(spec, data, points) -> Unconstrained:
    """Stan's unconstrained vector holds the parameters block in declaration order, each
    flattened column-major; PyStan's ``param_names`` and ``dims`` list them in that order."""
    import stan

    from samplers.base import stan_data
    posterior = stan.build(spec.stan_code(), data=stan_data(data), random_seed=1)
    sys.stderr.write("\n")
    sys.stderr.flush()
    sampled = set(points[0])
    layout = [(name, dims) for name, dims in zip(posterior.param_names, posterior.dims) if name in sampled]
    sizes = [int(np.prod(dims)) if dims else 1 for _, dims in layout]
    values: dict[str, list] = {}
    gradients: dict[str, list] = {}
    unmapped: dict[str, str] = {}
    for point in points:
        constrained = {name: np.asarray(value, dtype=float).tolist() for name, value in point.items()}
        unconstrained = np.asarray(posterior.unconstrain_pars(constrained), dtype=float)
        if len(unconstrained) != sum(sizes):
            return Unconstrained({}, {}, {name: (
                f"Stan's unconstrained vector has {len(unconstrained)} coordinates where the parameters "
                f"{[n for n, _ in layout]} have {sum(sizes)} constrained values (a simplex, Cholesky factor or "
                "other transform that changes the size): coordinates cannot be matched by name") for name, _ in layout})
        grad = np.asarray(posterior.grad_log_prob(unconstrained.tolist()), dtype=float)
        start = 0
        for (name, dims), size in zip(layout, sizes):
            # column-major in Stan, row-major in NumPy: reorder so element i is the same in both
            order = np.arange(size).reshape(dims, order="F").ravel() if dims else np.arange(1)
            values.setdefault(name, []).append(unconstrained[start:start + size][order])
            gradients.setdefault(name, []).append(grad[start:start + size][order])
            start += size
    return Unconstrained({k: np.array(v) for k, v in values.items()},
                         {k: np.array(v) for k, v in gradients.items()}, unmapped)


GRADIENT_EVALUATORS = {"stan": stan_gradients, "pymc": pymc_gradients, "numpyro": numpyro_gradients}


@dataclass
class GradientComparison:
    """Per parameter, which pairs of languages have the same partial derivatives (rtol 1e-5,
    atol 1e-6, posteriordb's rule) at every point."""

    languages: tuple[str, ...]
    agrees: dict[str, dict[tuple[str, str], bool]]  # parameter -> (lang a, lang b) -> agree
    largest: dict[str, dict[tuple[str, str], tuple[float, str]]]  # parameter -> pair -> (|diff|, element)
    unmapped: dict[str, str]  # parameter -> why it was not compared

    @property
    def agree(self) -> bool:
        return not self.unmapped and all(all(p.values()) for p in self.agrees.values())

    def culprits(self) -> dict[str, list[str]]:
        """language -> the parameters on which it alone differs from the others."""
        out: dict[str, list[str]] = {}
        for param, pairs in self.agrees.items():
            odd = odd_one_out(pairs)
            if odd:
                out.setdefault(odd, []).append(param)
        return out

    def problems(self) -> list[str]:
        out = [f"cannot compare the gradient of {param!r}: {why}" for param, why in self.unmapped.items()]
        culprits = self.culprits()
        for lang, params in culprits.items():
            others = " and ".join(sorted(set(self.languages) - {lang}))
            detail = []
            for param in params:
                size, element = max(v for pair, v in self.largest[param].items() if lang in pair)
                detail.append(f"{element} (largest difference {size:.3g})")
            out.append(f"gradients: {lang} differs from {others}, which agree with each other, in the partial "
                       f"derivatives of {', '.join(repr(p) for p in params)}: {'; '.join(detail)}: check the "
                       f"prior or likelihood of {' and '.join(params)} in the {lang} version")
        named = {p for params in culprits.values() for p in params}
        for param, pairs in self.agrees.items():
            if param in named or all(pairs.values()):
                continue
            bad = [f"{a} vs {b} (largest difference {self.largest[param][(a, b)][0]:.3g} at "
                   f"{self.largest[param][(a, b)][1]})" for (a, b), ok in pairs.items() if not ok]
            out.append(f"gradients of {param!r} differ: {'; '.join(bad)}")
        return out

    def explain(self) -> str:
        if self.agree:
            params = ", ".join(self.agrees)
            return (f"gradients on the unconstrained space agree in every pair ({params}; rtol "
                    f"{GRADIENT_RTOL:g}, atol {GRADIENT_ATOL:g})")
        return "; ".join(self.problems())


def compare_gradients(spec, n: int = 50, count: int = 6, languages=LANGUAGES) -> GradientComparison:
    """The gradients of the log density (Jacobian included) of every language at the same
    points, matched by parameter name; a parameter is compared only where every language maps
    its constrained value to the same unconstrained one (the same transform)."""
    data = spec.generate_data(n)
    points = constrained_points(spec, data, count)
    views = {lang: GRADIENT_EVALUATORS[lang](spec, data, points) for lang in languages}
    unmapped: dict[str, str] = {}
    for lang, view in views.items():
        for param, why in view.unmapped.items():
            unmapped.setdefault(param, f"{lang}: {why}")
    params = [p for p in points[0] if p not in unmapped]
    for param in params:
        missing = [lang for lang, view in views.items() if param not in view.gradients]
        if missing:
            unmapped[param] = f"no parameter of that name in the {' and '.join(missing)} version"
            continue
        first = languages[0]
        for lang in languages[1:]:
            a, b = views[first].values[param], views[lang].values[param]
            if a.shape != b.shape or not np.allclose(a, b, rtol=TRANSFORM_RTOL, atol=TRANSFORM_RTOL):
                unmapped[param] = (f"{first} and {lang} map it to different unconstrained values (another "
                                   "transform, or another element order): use the same constraint in every language")
                break
    agrees: dict[str, dict[tuple[str, str], bool]] = {}
    largest: dict[str, dict[tuple[str, str], tuple[float, str]]] = {}
    for param in (p for p in params if p not in unmapped):
        agrees[param], largest[param] = {}, {}
        for i, a in enumerate(languages):
            for b in languages[i + 1:]:
                ga, gb = views[a].gradients[param], views[b].gradients[param]
                close = np.isclose(ga, gb, rtol=GRADIENT_RTOL, atol=GRADIENT_ATOL)
                diff = np.abs(ga - gb)
                worst = int(np.argmax(diff.max(axis=0)))
                element = param if ga.shape[1] == 1 else f"{param}[{worst}]"
                agrees[param][(a, b)] = bool(close.all())
                largest[param][(a, b)] = (float(diff.max()), element)
    return GradientComparison(tuple(languages), agrees, largest, unmapped)
