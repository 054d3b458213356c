"""Check a model folder before timing it: ``python scripts/check_model.py <name or folder>``.

1. the folder has a model file (any of the three languages; the repo's own models all five
   files), a valid ``info.json`` if any, files stanc and Python can read, the functions
   samplerbench calls, and data that fit ``model.stan``;
2. the versions it has use the same parameter names;
3. their log densities differ only by a constant, and their gradients on the unconstrained
   space agree parameter by parameter (``samplerbench.tools.logdensity``; a language that alone
   differs is named, with the parameters whose partial derivatives differ); with one
   language there is nothing to compare, and the check says so;
4. a tiny sampling run succeeds on every available backend of the model's languages, each in
   a fresh process, and the backends' posterior means agree.
Every problem is reported with what to fix.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import models
from samplerbench.fields import MCMC
from samplerbench.measure.parameters import numpyro_trace

FILE_PURPOSE = {
    "info.json": 'the model\'s info: {"parameters": [...], "n_meaning": "...", "data_seed": 0}',
    "model.stan": "the Stan version",
    "pymc_model.py": "the PyMC version, with build(data) -> pm.Model",
    "numpyro_model.py": "the NumPyro version, with model(data)",
    "data.py": "the data generator, with generate(n, seed) -> dict shared by all three versions",
}


@dataclass
class CheckResult:
    model: str
    problems: list[str] = field(default_factory=list)
    passed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def text(self) -> str:
        """What check_model.py and new_model.py print: the verdict, what passed, what to fix."""
        return "\n".join([f"\n{self.model}: {'OK' if self.ok else 'PROBLEMS'}",
                          *(f"  ok: {line}" for line in self.passed), *(f"  FIX: {line}" for line in self.problems)])


def check_files(folder: Path) -> list[str]:
    """The files a model folder needs: one language file (the repo's own models have all three
    and a generator, which the cross-language checks and reference posteriors stand on), and a
    valid info.json where there is one."""
    problems = []
    if not folder.is_dir():
        return [f"{folder} is not a folder: make a folder holding one or more of "
                f"{', '.join(models.LANGUAGE_FILES.values())} (and its data: data.json, or data.py)"]
    if not any((folder / f).exists() for f in models.LANGUAGE_FILES.values()):
        problems.append(f"{folder} has no model file: write one or more of " + ", ".join(
            f"{f} ({FILE_PURPOSE[f]})" for f in models.LANGUAGE_FILES.values()))
    info_file = folder / "info.json"
    if info_file.exists():
        try:
            info = json.loads(info_file.read_text())
        except json.JSONDecodeError as err:
            return problems + [f"{folder.name}/info.json is not valid JSON: {err}"]
        if "parameters" in info and (not isinstance(info["parameters"], list) or not info["parameters"]):
            problems.append(f'{folder.name}/info.json: "parameters" must list the parameters to report (or leave '
                            "it out: every sampled parameter is reported)")
        if (folder / "data.py").exists() and not (info.get("n_meaning") or info.get("n_scales")):
            problems.append(f'{folder.name}/info.json needs "n_meaning": a sentence saying what --n sets '
                            '(e.g. "number of observations"), or "nothing"')
    elif (folder / "data.py").exists():
        problems.append(f"{folder.name}/info.json is missing: a model with a data generator (data.py) needs one "
                        f"saying what --n sets: {FILE_PURPOSE['info.json']}")
    return problems


def parameter_names(spec, data) -> dict[str, dict[str, set[str]]]:
    """Per language the model has: the sampled parameters and every reportable name."""
    names = {}
    if "numpyro" in spec.languages:
        trace = numpyro_trace(spec, data)
        sampled = {n for n, s in trace.items() if s["type"] == "sample" and not s["is_observed"]}
        names["numpyro"] = {"sampled": sampled, "all": sampled | {n for n, s in trace.items() if s["type"] == "deterministic"}}
    if "pymc" in spec.languages:
        pm_model = spec.pymc_builder()(data)
        sampled = {rv.name for rv in pm_model.free_RVs}
        names["pymc"] = {"sampled": sampled, "all": sampled | {d.name for d in pm_model.deterministics}}
    if "stan" in spec.languages:
        declared = spec.stan_info()  # stanc's own list: no compile needed
        sampled = set(declared["parameters"])
        names["stan"] = {"sampled": sampled, "all": sampled | set(declared["transformed parameters"])
                         | set(declared["generated quantities"])}
    return names


def check_names(spec, names) -> list[str]:
    problems = []
    if "pymc" in names and "numpyro" in names and names["pymc"]["sampled"] != names["numpyro"]["sampled"]:
        problems.append(
            f"sampled parameters differ: PyMC has {sorted(names['pymc']['sampled'])}, NumPyro has "
            f"{sorted(names['numpyro']['sampled'])}: use the same names in every language")
    python = next((lang for lang in ("numpyro", "pymc") if lang in names), None)
    missing_in_stan = names[python]["sampled"] - names["stan"]["all"] if python and "stan" in names else set()
    if missing_in_stan:
        problems.append(f"Stan declares no parameter named {sorted(missing_in_stan)}: use the same "
                        "names as the PyMC and NumPyro versions")
    for param in spec.parameters:
        for lang in names:
            if param not in names[lang]["all"]:
                problems.append(f"reported parameter {param!r} (info.json) is missing in the {lang} "
                                "version: declare it (as a parameter, transformed parameter or deterministic)")
    return problems


def check(name_or_folder: str, n: int = 50, sample: bool = True, samplers_to_run=None,
          log=print) -> CheckResult:
    folder = Path(name_or_folder) if models.is_model_folder(Path(name_or_folder)) or "/" in name_or_folder \
        else models.MODELS_DIR / name_or_folder
    result = CheckResult(model=folder.name)
    result.problems += check_files(folder)
    if result.problems:
        return result
    try:
        spec = models.load_folder(folder)
        result.problems += models.file_problems(spec)
        data = spec.generate_data(n)
    except models.ModelFileError as err:
        result.problems.append(str(err))
    if result.problems:
        return result
    languages = ", ".join(models.LANGUAGE_FILES[lang] for lang in spec.languages)
    result.passed.append(f"the files are there ({languages}; data: {spec.data_description()}) and readable")
    log(f"[{folder.name}] files ok: {languages}; data: {spec.data_description()}")
    try:
        names = parameter_names(spec, data)
    except Exception as err:  # noqa: BLE001 - a model that does not build is a finding
        result.problems.append(f"a version does not build: {type(err).__name__}: {err}")
        return result
    name_problems = check_names(spec, names)
    result.problems += name_problems
    if name_problems:
        return result
    if len(spec.languages) == 1:
        result.passed.append(f"one language ({spec.languages[0]}): no other version to compare names, log "
                             "densities or gradients with; the backends of that language are compared below")
        log(f"[{folder.name}] one language: the cross-language checks have nothing to compare")
    else:
        result.passed.append(f"parameter names match across {', '.join(spec.languages)}")
        log(f"[{folder.name}] parameter names ok")

        from samplerbench.tools import gradients as gradient_check, logdensity

        for jacobian in (True, False):
            comparison = logdensity.compare(spec, n=n, jacobian=jacobian, languages=spec.languages)
            (result.passed if comparison.agree else result.problems).append(comparison.explain())
            log(f"[{folder.name}] {comparison.explain()}")
        gradients = gradient_check.compare_gradients(spec, n=n, languages=spec.languages)
        (result.passed if gradients.agree else result.problems).append(gradients.explain())
        log(f"[{folder.name}] {gradients.explain()}")
    if result.problems or not sample:
        return result

    result.problems += check_sampling(spec, n, samplers_to_run, result, log)
    return result


def check_sampling(spec, n: int, samplers_to_run, result: CheckResult, log) -> list[str]:
    """A tiny run on every available backend of the default sweep in the model's languages (or those
    named); the posteriors of the ``mcmc`` rows must agree. An approximate or biased row that
    differs is said, not a problem: its kind allows it, and it is no witness of the translation."""
    import samplers
    from samplerbench.sweep.config import SweepConfig
    from samplerbench.sweep.spawn import measure_one, probe_availability
    from samplerbench.analysis.statistics import summarize

    folder = spec.folder
    names = [name for name in samplers_to_run or samplers.default_names()
             if samplers.get(name).language in spec.languages]
    availability = probe_availability(names)
    cfg = SweepConfig(models=[str(folder)], samplers=names, ns=[n], runs=1, cache="cold", chains=2, tune=200,
                      draws=200)  # tiny, cold: a check of the model, not a measurement
    root = Path(tempfile.mkdtemp(prefix="samplerbench-check-"))
    (root / "work").mkdir()
    problems, records = [], []
    for sampler in names:
        if availability.get(sampler):
            log(f"[{folder.name}] {sampler}: skipped ({availability[sampler]})")
            continue
        record = measure_one(str(folder), sampler, n, 1, cfg, root / "cache" / sampler, root / "work", root / "logs")
        if record["status"] != "ok":
            problems.append(f"tiny sampling run failed on {sampler}: {record['reason']} (log: {record.get('log')})")
            log(f"[{folder.name}] {sampler}: FAILED {record['reason']}")
            continue
        log(f"[{folder.name}] {sampler}: ok (tiny run, {cfg.chains} × ({cfg.tune} + {cfg.draws}): ESS bulk "
            f"{record['ess_bulk_min']:.0f}, R-hat {record['rhat_max']:.3f}; the R-hat ≤ 1.01 and ESS ≥ 400 "
            "warnings of full runs do not apply to runs this short)")
        records.append(record)
    if len(records) >= 2:
        table = summarize(records).table
        exact = {name for name in names if samplers.get(name).kind == MCMC}
        for _, row in table.iterrows():
            if row["disagreement"] and row["sampler"] in exact:
                problems.append(f"{row['sampler']}'s posterior disagrees with the other backends: {row['disagreement']}")
            elif row["disagreement"]:
                result.passed.append(f"{row['sampler']} ({samplers.get(row['sampler']).kind}) differs from the MCMC "
                                     "rows in its tiny run: its kind allows that (it is judged by its error against "
                                     "a reference), and it is no witness of the translation")
        if not any(row["disagreement"] for _, row in table.iterrows() if row["sampler"] in exact):
            result.passed.append(f"tiny runs on {len(records)} backends agree on the posterior means")
    if records:
        result.passed.append(f"tiny sampling runs ok on: {', '.join(r['sampler'] for r in records)}")
    return problems
