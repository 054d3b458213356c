"""A model folder as one value (``ModelSpec``): its files, languages, data source and info, and
the data at a size n. Knows no sampling library: what a language's version declares at run time
is ``samplerbench.measure.parameters``."""

from __future__ import annotations

import importlib.util
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from models.data_files import read_csv_data, read_json_data
from models.errors import ModelFileError
from models.stanc import stanc_info

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
        "csv"), "posteriordb" (info.json's "posteriordb": a posterior's data, read from the
        posteriordb folder, models/posteriordb.py) or "none" (the model has no data)."""
        if self.posteriordb:
            return "posteriordb"
        if (self.folder / "data.py").is_file():
            return "generator"
        if "csv" in self.info:
            return "csv"
        if (self.folder / DATA_FILE).is_file():
            return "json"
        return "none"

    @property
    def posteriordb(self) -> str | None:
        """The posteriordb posterior whose data and gold draws this model uses, or None."""
        return self.info.get("posteriordb")

    def posteriordb_posterior(self):
        """That posterior in the posteriordb folder set for this process (models.posteriordb.root)."""
        from models import posteriordb

        return posteriordb.Posterior(self.posteriordb, posteriordb.root())

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
        if source == "posteriordb":
            return self.posteriordb_posterior().data()
        return {}

    def stan_info(self) -> dict:
        """stanc's ``--info`` of model.stan (data inputs, parameters), cached per process."""
        return stanc_info(self.stan_file)

    def files_sha256(self) -> str:
        """One hash over the folder's files (names and contents), recorded with every run so a
        comparison across an edited model can say so. Reference posteriors (``references/``)
        are results about the model, not part of it, and are left out."""
        return files_digest(self.folder, (p for p in self.folder.rglob("*") if p.is_file()
                                          and not {"__pycache__", "references"} & set(p.relative_to(self.folder).parts)))

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
        if source == "posteriordb":
            return f"posteriordb's {self.posteriordb} (data/data/{self.posteriordb_posterior().data_file.name})"
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


def files_digest(root: Path, paths) -> str:
    """One SHA-256 over files (each one's path relative to ``root``, then its bytes), in sorted order."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


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
