"""Model discovery: every sub-folder of ``models/`` holding an ``info.json`` is a model.

A model folder holds the model in one or more languages (``model.stan``, ``pymc_model.py``
with ``build(data)``, ``numpyro_model.py`` with ``model(data)``), its data (a generator
``data.py`` with ``generate(n, seed)``, or a file: ``data.json`` in Stan's JSON data format,
or a CSV named in ``info.json``; or none) and, optionally, ``info.json`` (parameters to report,
what ``--n`` means, the data seed). The repo's own models have all three languages and a
generator; a user's model may have one language and a data file.
Nothing here imports a sampling library, so the orchestrator can use it freely.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

MODELS_DIR = Path(__file__).resolve().parent
# The model's file in each language a backend can run (a backend declares its ``language``).
LANGUAGE_FILES = {"stan": "model.stan", "pymc": "pymc_model.py", "numpyro": "numpyro_model.py"}
# What the repo's own models hold (three languages, a generator): the cross-language checks
# and the reference posteriors stand on them. A user's model needs only one language file.
REQUIRED_FILES = ("info.json", *LANGUAGE_FILES.values(), "data.py")
# The function each Python language file must define, called with the data dict.
ENTRY_POINTS = {"pymc": "build", "numpyro": "model"}
DATA_FILE = "data.json"  # Stan's JSON data format (what cmdstanpy writes)
SOURCE_FILE = "copied-from.json"  # in a folder made from one model file: the originals' paths
# With no "parameters" in info.json, every sampled parameter is reported, up to this many names
# (each with all its elements); a model with more says which ones it left out.
MAX_DEFAULT_PARAMETERS = 20


class ModelFileError(ValueError):
    """A model file that cannot be used; the message names the file and what is wrong."""


class UnknownNameError(KeyError):
    """An unknown model or sampler name; the message lists the valid ones (samplers reuse it)."""

    def __str__(self) -> str:  # KeyError quotes its message; we want plain text
        return str(self.args[0])


UnknownModelError = UnknownNameError


@dataclass(frozen=True)
class ModelSpec:
    name: str
    folder: Path
    parameters: tuple[str, ...]
    n_meaning: str  # a sentence: what --n means for this model ("number of observations", "nothing")
    data_seed: int
    info: dict = field(default_factory=dict, compare=False)

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages this folder has the model in, by its files (LANGUAGE_FILES)."""
        return tuple(lang for lang, filename in LANGUAGE_FILES.items() if (self.folder / filename).is_file())

    @property
    def stan_file(self) -> Path:
        return self.folder / LANGUAGE_FILES["stan"]

    def file(self, language: str) -> Path:
        return self.folder / LANGUAGE_FILES[language]

    @property
    def data_source(self) -> str:
        """Where the data come from: "generator" (data.py), "json" (data.json), "csv" (info.json's
        "csv") or "none" (the model has no data)."""
        if (self.folder / "data.py").is_file():
            return "generator"
        if "csv" in self.info:
            return "csv"
        if (self.folder / DATA_FILE).is_file():
            return "json"
        return "none"

    @property
    def n_applies(self) -> bool:
        """Whether --n changes the data: only a generator takes n (and eight schools' ignores it)."""
        return self.data_source == "generator" and not self.n_meaning.startswith("nothing")

    def stan_code(self) -> str:
        return self.stan_file.read_text()

    def _module(self, stem: str):
        """Load ``<folder>/<stem>.py`` by path, so a model folder can live anywhere."""
        module_name = f"_samplerbench_models.{self.name}_{abs(hash(str(self.folder)))}.{stem}"
        if module_name not in sys.modules:
            spec = importlib.util.spec_from_file_location(module_name, self.folder / f"{stem}.py")
            module = importlib.util.module_from_spec(spec)
            sys.modules[module_name] = module
            spec.loader.exec_module(module)
        return sys.modules[module_name]

    def generate_data(self, n: int) -> dict:
        """The data at size n; the seed comes from info.json only (``data_seed``). Data from a
        file are the same whatever n."""
        source = self.data_source
        if source == "generator":
            return self._module("data").generate(n, seed=self.data_seed)
        if source == "json":
            return read_json_data(self.folder / DATA_FILE)
        if source == "csv":
            return read_csv_data(self.folder, self.info["csv"])
        return {}

    def stan_info(self) -> dict:
        """stanc's ``--info`` of model.stan (data inputs, parameters), cached per process."""
        return stanc_info(self.stan_file)

    def sampled_parameters(self, language: str, data: dict) -> list[str]:
        """The names of the sampled parameters, in the model's order, as the given language's
        version declares them (imports that language's library, except for Stan)."""
        if language == "stan":
            return list(self.stan_info()["parameters"])
        if language == "pymc":
            return [rv.name for rv in self.pymc_builder()(data).free_RVs]
        return [name for name, site in self.numpyro_trace(data).items()
                if site["type"] == "sample" and not site["is_observed"]]

    def numpyro_trace(self, data: dict) -> dict:
        """The NumPyro model's sites, traced at an initial point rather than by sampling the
        priors (an improper prior, ImproperUniform or a factor, cannot be sampled)."""
        import jax
        import numpyro.handlers
        from numpyro.infer.util import constrain_fn, initialize_model

        jax.config.update("jax_enable_x64", True)
        model = self.numpyro_model()
        init = initialize_model(jax.random.PRNGKey(0), model, model_args=(data,))
        point = constrain_fn(model, (data,), {}, init.param_info.z, return_deterministic=False)
        return numpyro.handlers.trace(numpyro.handlers.substitute(
            numpyro.handlers.seed(model, 0), data=point)).get_trace(data)

    def reported_parameters(self, language: str, data: dict, sampled: list[str] | None = None) -> tuple[list[str], str]:
        """The parameters a run reports: info.json's "parameters", else every sampled parameter
        up to MAX_DEFAULT_PARAMETERS names; with a note when some were left out. ``sampled``:
        ``sampled_parameters(language, data)`` where the caller has it already."""
        if self.parameters:
            return list(self.parameters), ""
        names = sampled if sampled is not None else self.sampled_parameters(language, data)
        if len(names) <= MAX_DEFAULT_PARAMETERS:
            return names, ""
        return names[:MAX_DEFAULT_PARAMETERS], (
            f"reported the first {MAX_DEFAULT_PARAMETERS} of {len(names)} sampled parameters (left out: "
            f"{', '.join(names[MAX_DEFAULT_PARAMETERS:MAX_DEFAULT_PARAMETERS + 5])}"
            f"{', ...' if len(names) > MAX_DEFAULT_PARAMETERS + 5 else ''}); list the ones to report as "
            f'"parameters" in {self.folder / "info.json"}')

    def files_sha256(self) -> str:
        """One hash over the folder's files (names and contents), recorded with every run so a
        comparison across an edited model can say so. Reference posteriors (``references/``)
        are results about the model, not part of it, and are left out."""
        import hashlib

        digest = hashlib.sha256()
        for path in sorted(p for p in self.folder.rglob("*")
                           if p.is_file() and not {"__pycache__", "references"} & set(p.relative_to(self.folder).parts)):
            digest.update(str(path.relative_to(self.folder)).encode() + b"\0" + path.read_bytes() + b"\0")
        return digest.hexdigest()

    def _entry_point(self, language: str):
        """The language file's function (``build`` or ``model``), whose KeyError on the data
        says which name the data lack and where the data came from."""
        import functools

        filename, function_name = LANGUAGE_FILES[language], ENTRY_POINTS[language]
        function = getattr(self._module(filename.removesuffix(".py")), function_name, None)
        if not callable(function):
            raise ModelFileError(f"{self.folder / filename}: no function {function_name}(data) found; "
                                 f"define {function_name}(data), which samplerbench calls with the data dict")

        @functools.wraps(function)
        def called_with_data(data, *args, **kwargs):
            try:
                return function(data, *args, **kwargs)
            except KeyError as err:
                key = err.args[0] if err.args else ""
                if not isinstance(data, dict) or not isinstance(key, str) or key in data:
                    raise
                raise ModelFileError(
                    f"{self.folder / filename}: {function_name}(data) asks for data[{key!r}], which the data "
                    f"({self.data_description()}) do not have; they have: {', '.join(sorted(data)) or 'nothing'}"
                ) from err

        return called_with_data

    def data_description(self) -> str:
        """Where the data come from, in words, for messages and reports."""
        source = self.data_source
        if source == "generator":
            return f"generated by {shown_path(self.folder / 'data.py')} (generate(n, seed), data_seed {self.data_seed})"
        if source == "none":
            return "none (the folder has no data.py, data.json or CSV; the model is called with an empty dict)"
        filename = DATA_FILE if source == "json" else self.info["csv"]["file"]
        original = self.copied_from().get(filename)
        return f"{original} (copied into {shown_path(self.folder)})" if original else shown_path(self.folder / filename)

    def copied_from(self) -> dict[str, str]:
        """For a folder made from one model file (compare.py --models FILE --data JSON): file name -> original."""
        path = self.folder / SOURCE_FILE
        return json.loads(path.read_text()) if path.is_file() else {}

    def pymc_builder(self):
        """``build(data) -> pm.Model``; imports PyMC."""
        return self._entry_point("pymc")

    def numpyro_model(self):
        """``model(data)``; imports NumPyro."""
        return self._entry_point("numpyro")


def data_sha256(data: dict) -> str:
    """A digest of a model's data (names, dtypes, shapes, values): a reference posterior is
    looked up by the data it was computed on, whatever n produced it."""
    import hashlib

    import numpy as np

    digest = hashlib.sha256()
    for key in sorted(data):
        value = np.asarray(data[key])
        if value.dtype.kind in "iub":
            value = value.astype(np.int64)
        elif value.dtype.kind == "f":
            value = value.astype(np.float64)
        digest.update(f"{key}\0{value.dtype}\0{value.shape}\0".encode() + np.ascontiguousarray(value).tobytes())
    return digest.hexdigest()


def shown_path(path: Path) -> str:
    """A path as reports show it: relative to the checkout when inside it (no machine's home
    folder in a committed report), absolute otherwise."""
    path = Path(path).resolve()
    try:
        return str(path.relative_to(MODELS_DIR.parent))
    except ValueError:
        return str(path)


def is_model_folder(folder: Path) -> bool:
    """A folder with an info.json or any language file."""
    folder = Path(folder)
    return folder.is_dir() and any((folder / f).is_file() for f in ("info.json", *LANGUAGE_FILES.values()))


def load_folder(folder: Path) -> ModelSpec:
    folder = Path(folder).resolve()
    if not any((folder / f).is_file() for f in LANGUAGE_FILES.values()):
        raise ModelFileError(f"{folder}: no model file: write the model as one (or more) of "
                             f"{', '.join(LANGUAGE_FILES.values())}")
    info_file = folder / "info.json"
    try:
        info = json.loads(info_file.read_text()) if info_file.is_file() else {}
    except json.JSONDecodeError as err:
        raise ModelFileError(f"{info_file}, line {err.lineno}: not valid JSON ({err.msg})") from None
    if not isinstance(info, dict):
        raise ModelFileError(f"{info_file}: expected a JSON object {{...}}, got {type(info).__name__}")
    if "name" in info and info["name"] != folder.name:
        raise ModelFileError(f"{folder / 'info.json'}: \"name\" is {info['name']!r} but the folder is "
                             f"{folder.name!r}; the folder name is the model's name: rename the folder or "
                             f"drop \"name\" from info.json")
    parameters = info.get("parameters", [])
    if not isinstance(parameters, list) or not all(isinstance(p, str) for p in parameters):
        raise ModelFileError(f'{info_file}: "parameters" must be a list of parameter names, got {parameters!r}')
    if "csv" in info:
        csv = info["csv"]
        if not isinstance(csv, dict) or not isinstance(csv.get("file"), str):
            raise ModelFileError(f'{info_file}: "csv" must be {{"file": "data.csv", "columns": [...], '
                                 f'"length": "N"}} ("columns" and "length" optional), got {csv!r}')
    spec = ModelSpec(
        name=folder.name,
        folder=folder,
        parameters=tuple(parameters),
        n_meaning=info.get("n_meaning", info.get("n_scales", "")),  # n_scales: its name before
        data_seed=int(info.get("data_seed", 0)),
        info=info,
    )
    if not spec.n_meaning and spec.data_source != "generator":
        spec = ModelSpec(spec.name, folder, spec.parameters,
                         "nothing: the data are fixed (--n is ignored)",
                         spec.data_seed, info)
    return spec


def discover() -> dict[str, ModelSpec]:
    return {
        folder.name: load_folder(folder)
        for folder in sorted(MODELS_DIR.iterdir())
        if folder.is_dir() and (folder / "info.json").exists()
    }


def names() -> list[str]:
    return list(discover())


def get(name: str) -> ModelSpec:
    """A model by name (a folder of ``models/``) or by the path of a model folder."""
    if ("/" in name or name.startswith(".")) and is_model_folder(Path(name)):
        return load_folder(Path(name))
    specs = discover()
    if name not in specs:
        raise UnknownModelError(f"unknown model {name!r}; valid models: {', '.join(specs)}")
    return specs[name]


def read_json_data(path: Path) -> dict:
    """Stan's JSON data: an object of names to numbers or (nested) lists; lists become arrays
    (int64 where every value is whole, float64 else), numbers stay numbers."""
    import numpy as np

    try:
        raw = json.loads(Path(path).read_text())
    except json.JSONDecodeError as err:
        raise ModelFileError(f"{path}, line {err.lineno}: not valid JSON ({err.msg})") from None
    if not isinstance(raw, dict):
        raise ModelFileError(f"{path}: Stan's JSON data format is one object {{\"name\": value, ...}}, "
                             f"not a {type(raw).__name__}")
    data = {}
    for key, value in raw.items():
        if isinstance(value, list):
            try:
                data[key] = np.asarray(value, dtype=float)
            except ValueError:
                raise ModelFileError(f"{path}: {key!r} is not a rectangular array of numbers") from None
            if all(isinstance(v, int) for v in np.asarray(value, dtype=object).ravel()):
                data[key] = data[key].astype(np.int64)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            data[key] = value
        else:
            raise ModelFileError(f"{path}: {key!r} is {value!r}; Stan's JSON data holds numbers and arrays")
    return data


def read_csv_data(folder: Path, csv: dict) -> dict:
    """A CSV's columns (all, or info.json's "columns") as arrays named like the columns, plus
    the row count under "length" when given (Stan's N)."""
    import numpy as np
    import pandas as pd

    path = Path(folder) / csv["file"]
    if not path.is_file():
        raise ModelFileError(f'{folder / "info.json"}: "csv" names {csv["file"]}, which is not in {folder}')
    frame = pd.read_csv(path)
    columns = csv.get("columns") or list(frame.columns)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ModelFileError(f"{path}: no column {', '.join(map(repr, missing))} (info.json \"csv\" asks for it); "
                             f"the file has: {', '.join(map(str, frame.columns))}")
    data = {}
    for column in columns:
        values = pd.to_numeric(frame[column], errors="coerce")
        if values.isna().any():
            row = int(values.isna().to_numpy().nonzero()[0][0]) + 2  # 1-based, after the header
            raise ModelFileError(f"{path}, line {row}: column {column!r} holds {frame[column].iloc[row - 2]!r}, "
                                 "not a number")
        array = values.to_numpy()
        data[column] = array.astype(np.int64) if np.all(array == np.round(array)) and frame[column].dtype.kind in "iu" \
            else array.astype(float)
    if csv.get("length"):
        data[csv["length"]] = len(frame)
    return data


def stanc_path() -> Path | None:
    """The stanc that ships with httpstan (PyStan's), else CmdStan's; found without importing."""
    import importlib.util
    import os

    found = importlib.util.find_spec("httpstan")
    candidates = [Path(p, "stanc") for p in (found.submodule_search_locations or [])] if found else []
    if os.environ.get("CMDSTAN"):
        candidates.append(Path(os.environ["CMDSTAN"], "bin", "stanc"))
    return next((c for c in candidates if c.is_file()), None)


_STANC_INFO: dict[tuple, dict] = {}


def stanc_info(stan_file: Path) -> dict:
    """stanc ``--info`` of a Stan file; a syntax or type error raises ModelFileError with
    stanc's own message (file, line, column and what it expected)."""
    import subprocess

    stan_file = Path(stan_file)
    key = (str(stan_file), stan_file.stat().st_mtime_ns)
    if key in _STANC_INFO:
        return _STANC_INFO[key]
    stanc = stanc_path()
    if stanc is None:
        raise ModelFileError(f"{stan_file}: no stanc to read it with (it ships with PyStan's httpstan: "
                             "pip install pystan)")
    proc = subprocess.run([str(stanc), "--info", str(stan_file)], capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        raise ModelFileError(f"{stan_file}: stanc rejects it:\n{(proc.stderr or proc.stdout).strip()}")
    _STANC_INFO[key] = json.loads(proc.stdout)
    return _STANC_INFO[key]


def data_problems(spec: ModelSpec, data: dict) -> list[str]:
    """Where the data do not fit model.stan's data block: a missing name, the wrong number of
    dimensions, fractions where it declares integers. (The Python versions read the data
    themselves: their KeyError names the missing entry when they run.)"""
    import numpy as np

    problems = []
    where = spec.data_description()
    for name, declared in spec.stan_info()["inputs"].items():
        dims = declared["dimensions"]
        kind = f"{declared['type']}{f' with {dims} dimension' + ('s' if dims != 1 else '') if dims else ''}"
        if name not in data:
            problems.append(f"{spec.stan_file}: the data block declares {name} ({kind}), which the data ({where}) "
                            f"lack; they have: {', '.join(sorted(data)) or 'nothing'}")
            continue
        value = np.asarray(data[name])
        # Stan's vectors, row vectors and arrays of reals count one dimension each, matrices two.
        if value.ndim != dims:
            problems.append(f"{spec.stan_file}: {name} is declared {kind}, but the data's {name} has "
                            f"{value.ndim} dimension{'s' if value.ndim != 1 else ''} (shape {value.shape})")
        elif declared["type"] == "int" and value.size and not np.all(np.mod(value.astype(float), 1) == 0):
            problems.append(f"{spec.stan_file}: {name} is declared int, but the data's {name} holds fractions "
                            f"(e.g. {value.ravel()[np.mod(value.ravel().astype(float), 1) != 0][0]})")
    return problems


def file_problems(spec: ModelSpec) -> list[str]:
    """What is wrong with the model's files, found without importing a sampling library:
    Python syntax errors and missing entry points, stanc's errors, data that do not fit
    model.stan. Empty when the files are usable."""
    import ast

    problems = []
    for language in spec.languages:
        path = spec.file(language)
        if language == "stan":
            try:
                spec.stan_info()
            except ModelFileError as err:
                problems.append(str(err))
            continue
        try:
            tree = ast.parse(path.read_text(), filename=str(path))
        except SyntaxError as err:
            problems.append(f"{path}, line {err.lineno}: Python syntax error: {err.msg}\n    {(err.text or '').rstrip()}")
            continue
        function = ENTRY_POINTS[language]
        defined = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
        if function not in defined:
            problems.append(f"{path}: no function {function}(data) found (it defines: {', '.join(sorted(defined)) or 'none'}); "
                            f"samplerbench calls {function}(data) with the data dict"
                            + (" and expects a pm.Model back" if language == "pymc" else ""))
    if spec.data_source == "generator":
        return problems  # data made per n: check_model.py builds the model on them
    try:
        data = spec.generate_data(50)  # a file's data, or none: the same whatever n
    except ModelFileError as err:
        return problems + [str(err)]
    if "stan" in spec.languages and not problems:
        problems += data_problems(spec, data)
    return problems


# The name of the file each language is written in, when a user hands one file over.
def language_of_file(path: Path) -> str:
    """The language of a model file: .stan is Stan; a .py file is PyMC or NumPyro by what it
    imports (or by its name, pymc_model.py / numpyro_model.py)."""
    path = Path(path)
    for language, filename in LANGUAGE_FILES.items():
        if path.name == filename:
            return language
    if path.suffix == ".stan":
        return "stan"
    if path.suffix == ".py":
        text = path.read_text()
        uses = [lang for lang in ("numpyro", "pymc") if f"import {lang}" in text or f"from {lang}" in text]
        if len(uses) == 1:
            return uses[0]
        raise ModelFileError(f"{path}: cannot tell whether this is a PyMC or a NumPyro model "
                             f"({'it imports both' if uses else 'it imports neither pymc nor numpyro'}); "
                             "name it pymc_model.py or numpyro_model.py")
    raise ModelFileError(f"{path}: not a model file; give a .stan file, or a .py file with a PyMC build(data) "
                         "or a NumPyro model(data)")


def stage_file(model_file: Path, data_file: Path | None, root: Path, name: str | None = None) -> Path:
    """A model folder ``root/name`` holding one model file (under its language's name) and its
    data, rebuilt from the files on every call; the name defaults to the file's (to its
    folder's for a file called model.stan / pymc_model.py / numpyro_model.py)."""
    import shutil

    model_file = Path(model_file).resolve()
    if not model_file.is_file():
        raise ModelFileError(f"{model_file}: no such file")
    language = language_of_file(model_file)
    stem = model_file.stem
    if name is None:
        name = model_file.parent.name if model_file.name in LANGUAGE_FILES.values() or stem == "model" else stem
    folder = Path(root) / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    shutil.copyfile(model_file, folder / LANGUAGE_FILES[language])
    if data_file is not None:
        data_file = Path(data_file)
        if not data_file.is_file():
            raise ModelFileError(f"--data {data_file}: no such file")
        if data_file.suffix.lower() != ".json":
            raise ModelFileError(f"--data {data_file}: give a JSON file in Stan's data format (for a CSV, make a "
                                 'model folder whose info.json names it: "csv": {"file": ...})')
        shutil.copyfile(data_file, folder / DATA_FILE)
    # Where the copies came from, for the report and for messages (SOURCE_FILE).
    (folder / SOURCE_FILE).write_text(json.dumps({
        "note": "copied by samplerbench: edit the originals, not these copies",
        LANGUAGE_FILES[language]: str(model_file), **({DATA_FILE: str(data_file.resolve())} if data_file else {})}, indent=1))
    return folder
