"""Model discovery: every sub-folder of ``models/`` holding an ``info.json`` is a model.

A model folder holds the same model three times (``model.stan``, ``pymc_model.py`` with
``build(data)``, ``numpyro_model.py`` with ``model(data)``), a data generator
(``data.py`` with ``generate(n, seed)``) and ``info.json`` (parameters, what ``--n`` means,
the data seed).
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
REQUIRED_FILES = ("info.json", *LANGUAGE_FILES.values(), "data.py")


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
        """The data at size n; the seed comes from info.json only (``data_seed``)."""
        return self._module("data").generate(n, seed=self.data_seed)

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

    def pymc_builder(self):
        """``build(data) -> pm.Model``; imports PyMC."""
        return self._module("pymc_model").build

    def numpyro_model(self):
        """``model(data)``; imports NumPyro."""
        return self._module("numpyro_model").model


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


def load_folder(folder: Path) -> ModelSpec:
    folder = Path(folder).resolve()
    info = json.loads((folder / "info.json").read_text())
    if "name" in info and info["name"] != folder.name:
        raise ValueError(f"{folder / 'info.json'}: \"name\" is {info['name']!r} but the folder is "
                         f"{folder.name!r}; the folder name is the model's name: rename the folder or "
                         f"drop \"name\" from info.json")
    return ModelSpec(
        name=folder.name,
        folder=folder,
        parameters=tuple(info["parameters"]),
        n_meaning=info.get("n_meaning", info.get("n_scales", "")),  # n_scales: its name before
        data_seed=int(info.get("data_seed", 0)),
        info=info,
    )


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
    if ("/" in name or name.startswith(".")) and Path(name, "info.json").exists():
        return load_folder(Path(name))
    specs = discover()
    if name not in specs:
        raise UnknownModelError(f"unknown model {name!r}; valid models: {', '.join(specs)}")
    return specs[name]
