"""``--samplers`` and ``--models`` as the workers will find them: names checked against the
registry and ``models/``, folders made absolute, a single model file (with ``--data``) staged
into a folder of its own; a model given by path has its files checked before anything runs."""

from __future__ import annotations

import os
from pathlib import Path

import models


def resolve_names(requested: list[str], valid: list[str], kind: str, parser) -> list[str]:
    if requested == ["all"]:
        return list(valid)
    chosen = []
    for item in requested:
        for name in item.split(","):
            name = name.strip()
            if not name:
                continue
            if name not in valid:
                parser.error(f"unknown {kind} {name!r}; valid {kind}s: {', '.join(valid)} (or 'all')")
            if name not in chosen:
                chosen.append(name)
    if not chosen:
        parser.error(f"no {kind} given; valid {kind}s: {', '.join(valid)} (or 'all')")
    return chosen


def resolve_models(requested: list[str], data: Path | None, staging: Path, parser) -> list[str]:
    """Model names, model folders and single model files (with --data), as the workers will
    find them: names of models/, absolute folder paths. A model file is copied with its data into
    a folder of its own under ``staging``. A model given by path has its files checked here,
    before anything is measured (stanc's errors, missing functions, data that do not fit)."""
    valid = models.names()
    if requested == ["all"]:
        if data:
            parser.error("--data goes with one model file (--models path/to/model.stan --data data.json), not 'all'")
        return valid
    items = [name.strip() for item in requested for name in item.split(",") if name.strip()]
    if not items:
        parser.error(f"no model given; valid models: {', '.join(valid)} (or 'all', or a path)")
    items = _posteriordb_folders(items, staging, parser)
    files = [name for name in items if name not in valid and Path(name).is_file()]
    if data and len(files) != 1:
        parser.error(f"--data {data}: give exactly one model file with it (--models path/to/model.stan --data "
                     f"{data}); a model folder keeps its data in it (data.json, a CSV or data.py)")
    chosen = []
    for name in items:
        if name in valid or name.startswith("pdb:"):
            if name not in chosen:
                chosen.append(name)
            continue
        path, originals = Path(name), {}
        try:
            if path.is_file():
                path = models.stage_file(path, data, staging)
                print(f"model file {name}{f' with --data {data}' if data else ''}: copied into {path} "
                      "(the runs read that folder)", flush=True)
            elif not models.is_model_folder(path):
                parser.error(f"unknown model {name!r}; valid models: {', '.join(valid)} (or 'all'), or the path of "
                             f"a model folder (one with {', '.join(models.LANGUAGE_FILES.values())}) or of a model file")
            spec = models.load_folder(path)
            # Problems of a copied model file name the user's files, not the copies.
            originals = {str(path / copy): original for copy, original in spec.copied_from().items()
                         if copy in os.listdir(path)}
            problems = models.file_problems(spec)
        except models.ModelFileError as err:
            problems = [str(err)]
        for copy, original in originals.items():
            problems = [problem.replace(copy, original) for problem in problems]
        if problems:
            parser.error(f"model {name}: fix these before timing it:\n  - " + "\n  - ".join(problems))
        folder = str(spec.folder)
        if folder not in chosen:
            chosen.append(folder)
    return chosen


def _posteriordb_folders(items: list[str], staging: Path, parser) -> list[str]:
    """``pdb`` and ``pdb:<posterior>`` as the folders that run them (models.posteriordb.resolve);
    without a posteriordb folder, exit 2 saying how to get one."""
    from models import posteriordb

    out = []
    for item in items:
        if item != posteriordb.GROUP and not item.startswith(posteriordb.PREFIX):
            out.append(item)
            continue
        try:
            out += posteriordb.resolve(item, staging / "posteriordb")
        except models.ModelFileError as err:
            parser.error(f"--models {item}: {err}")
    return out
