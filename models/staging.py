"""A user's single model file (and its data) copied into a model folder of its own
(``compare.py --models FILE --data JSON``)."""

from __future__ import annotations

import json
from pathlib import Path

from models.errors import ModelFileError
from models.spec import DATA_FILE, LANGUAGE_FILES, SOURCE_FILE


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
