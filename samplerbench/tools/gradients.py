"""Is the same model really the same in Stan, PyMC and NumPyro, to the gradient? At the points
``logdensity`` draws, each language's unconstrained values and the gradient of its log density
there (log-Jacobian included), matched by parameter name; a transform that changes a
parameter's size is named, not compared. Imports all three libraries: tests and checks only."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from samplerbench.tools.logdensity import (
    LANGUAGES, float64_jax, stan_posterior, constrained_points, odd_one_out, pymc_values,
)

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
    jax = float64_jax()
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
    posterior = stan_posterior(spec, data)
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
