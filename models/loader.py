"""Finding models: the folders of ``models/`` by name, or any model folder by its path."""

from __future__ import annotations

import json
from pathlib import Path

from models.errors import ModelFileError, UnknownModelError
from models.spec import LANGUAGE_FILES, MODELS_DIR, ModelSpec


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
    """A model by name (a folder of ``models/``), by ``pdb:<posterior>`` (our version of a
    posteriordb posterior, ``models/posteriordb/``) or by the path of a model folder."""
    if name.startswith("pdb:"):
        from models.posteriordb import own_versions

        own = own_versions()
        if name[4:] not in own:
            raise UnknownModelError(f"no version of posteriordb's {name[4:]} in models/posteriordb/; ours: "
                                    f"{', '.join('pdb:' + n for n in own)}")
        return load_folder(own[name[4:]])
    if ("/" in name or name.startswith(".")) and is_model_folder(Path(name)):
        return load_folder(Path(name))
    specs = discover()
    if name not in specs:
        raise UnknownModelError(f"unknown model {name!r}; valid models: {', '.join(specs)}")
    return specs[name]
