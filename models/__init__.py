"""Model discovery: every sub-folder of ``models/`` holding an ``info.json`` is a model.

A model folder holds the model in one or more languages (``model.stan``, ``pymc_model.py``
with ``build(data)``, ``numpyro_model.py`` with ``model(data)``), its data (a generator
``data.py`` with ``generate(n, seed)``, or a file: ``data.json`` in Stan's JSON data format,
or a CSV named in ``info.json``; or none) and, optionally, ``info.json`` (parameters to report,
what ``--n`` means, the data seed). The repo's own models have all three languages and a
generator; a user's model may have one language and a data file.
Nothing here imports a sampling library, so the orchestrator can use it freely. One module per
job: ``spec`` (ModelSpec), ``loader`` (by name or path), ``data_files`` (JSON, CSV), ``stanc``,
``validation`` (problems found before anything runs), ``staging`` (a user's one file), ``errors``;
this file re-exports their public names, so callers write ``models.get(name)``.
"""

from __future__ import annotations

from models.data_files import read_csv_data, read_json_data
from models.errors import ModelFileError, UnknownModelError, UnknownNameError
from models.loader import discover, get, is_model_folder, load_folder, names
from models.spec import (
    DATA_FILE, ENTRY_POINTS, LANGUAGE_FILES, MODELS_DIR, REQUIRED_FILES, SOURCE_FILE, ModelSpec, data_sha256, shown_path,
)
from models.stanc import stanc_info, stanc_path
from models.staging import language_of_file, stage_file
from models.validation import data_problems, file_problems

__all__ = [
    "DATA_FILE", "ENTRY_POINTS", "LANGUAGE_FILES", "MODELS_DIR", "REQUIRED_FILES", "SOURCE_FILE",
    "ModelFileError", "ModelSpec", "UnknownModelError", "UnknownNameError",
    "data_problems", "data_sha256", "discover", "file_problems", "get", "is_model_folder", "language_of_file",
    "load_folder", "names", "read_csv_data", "read_json_data", "shown_path", "stage_file", "stanc_info", "stanc_path",
]
