"""posteriordb (https://github.com/stan-dev/posteriordb, BSD): its posteriors as models here.

The project commits no file of posteriordb. It reads a posteriordb folder at a path it is
given, as the ``posteriordb`` package does: ``--posteriordb PATH`` or the environment variable
``SAMPLERBENCH_POSTERIORDB``, naming a clone of the public repository (or its
``posterior_database`` folder). What is read, and from where:

- ``posteriors/<posterior>.json``: the posterior's model, data and reference names;
- ``data/data/<data>.json.zip``: its data, in Stan's JSON data format;
- ``reference_posteriors/draws/draws/<posterior>.json.zip``: the gold-standard draws (10
  chains × 1 000, 1-based names such as ``theta[1]``), where the posterior has them;
- ``models/stan/<model>.stan``: its Stan program, in a full clone only.

A posterior runs here in two ways. ``pdb:<posterior>`` runs the project's own version where
``models/posteriordb/`` has one (a folder whose info.json says ``"posteriordb": "<posterior>"``,
in Stan, PyMC and NumPyro), else posteriordb's Stan program, staged into a folder of its own
(Stan backends only). ``--models pdb`` is every posterior with a version here. Either way the
data and the truth come from the posteriordb folder. Nothing here imports a sampling library.
"""

from __future__ import annotations

import functools
import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

from models.errors import ModelFileError
from models.spec import MODELS_DIR

ENV = "SAMPLERBENCH_POSTERIORDB"
PREFIX = "pdb:"  # a posterior named as a model: pdb:eight_schools-eight_schools_noncentered
GROUP = "pdb"  # --models pdb: every posterior with a version of ours
GROUP_DIR = MODELS_DIR / "posteriordb"  # the project's own versions, one folder each
INFO_KEY = "posteriordb"  # in a model's info.json: the posterior whose data and draws it uses
HOW_TO_GET = ("posteriordb is not found: clone it (git clone https://github.com/stan-dev/posteriordb, BSD licence) "
              f"and give its path with --posteriordb PATH or the environment variable {ENV}")


class PosteriordbMissing(ModelFileError):
    """No posteriordb folder is set, or the path given is not one; the message says how to get it."""


def root(path: str | os.PathLike | None = None) -> Path:
    """The ``posterior_database`` folder: of ``path``, else of ``$SAMPLERBENCH_POSTERIORDB``.
    A clone's top folder or its ``posterior_database`` folder are both accepted."""
    given = path if path is not None else os.environ.get(ENV)
    if not given:
        raise PosteriordbMissing(HOW_TO_GET)
    base = Path(given).expanduser().resolve()
    for candidate in (base / "posterior_database", base):
        if (candidate / "posteriors").is_dir():
            return candidate
    raise PosteriordbMissing(f"{base}: not a posteriordb folder (no posteriors/ in it or in its "
                             f"posterior_database/); {HOW_TO_GET}")


def _zipped_json(path: Path):
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read(archive.namelist()[0]))


@dataclass(frozen=True)
class Posterior:
    """One posterior of a posteriordb folder: its definition file, data, draws and program."""

    name: str
    root: Path

    @functools.cached_property
    def definition(self) -> dict:
        path = self.root / "posteriors" / f"{self.name}.json"
        if not path.is_file():
            known = names(self.root)
            close = [n for n in known if self.name.split("-")[0] in n][:5]
            raise ModelFileError(f"posteriordb at {self.root} has no posterior {self.name!r} (no {path.name} in "
                                 f"posteriors/){'; similar: ' + ', '.join(close) if close else ''}; "
                                 "`compare.py --list --posteriordb PATH` lists them")
        return json.loads(path.read_text())

    @property
    def model_name(self) -> str:
        return self.definition["model_name"]

    @property
    def data_file(self) -> Path:
        return self.root / "data" / "data" / f"{self.definition['data_name']}.json.zip"

    @property
    def draws_file(self) -> Path | None:
        """The gold-standard draws, or None where posteriordb has none for this posterior."""
        reference = self.definition.get("reference_posterior_name")
        path = self.root / "reference_posteriors" / "draws" / "draws" / f"{reference}.json.zip"
        return path if reference and path.is_file() else None

    @property
    def stan_file(self) -> Path | None:
        """posteriordb's Stan program (in a full clone; the data-only copy has none)."""
        path = self.root / "models" / "stan" / f"{self.model_name}.stan"
        return path if path.is_file() else None

    def data(self) -> dict:
        """The data, converted as a data.json is (models.data_files: lists become arrays)."""
        from models.data_files import json_data

        return json_data(_zipped_json(self.data_file), self.data_file)

    def draws(self) -> list[dict[str, list[float]]]:
        """The gold draws: one dict per chain, from posteriordb's 1-based names to draws."""
        if self.draws_file is None:
            raise ModelFileError(f"posteriordb's posterior {self.name} has no reference draws (no "
                                 f"reference_posteriors/draws/draws/{self.name}.json.zip): it cannot be the truth")
        return _zipped_json(self.draws_file)


def names(base: Path) -> list[str]:
    return sorted(p.stem for p in (base / "posteriors").glob("*.json"))


def with_reference(base: Path) -> list[str]:
    """The posteriors that have gold-standard draws in this folder."""
    return [name for name in names(base) if Posterior(name, base).draws_file is not None]


def own_versions() -> dict[str, Path]:
    """Posterior name -> the folder of the project's own version (models/posteriordb/)."""
    found = {}
    for info in sorted(GROUP_DIR.glob("*/info.json")):
        posterior = json.loads(info.read_text()).get(INFO_KEY)
        if posterior:
            found[posterior] = info.parent
    return found


def stage(posterior: Posterior, staging: Path) -> Path:
    """A model folder for a posterior without a version of ours: posteriordb's Stan program and
    an info.json naming the posterior (its data and draws are read from posteriordb at run time)."""
    import shutil

    if posterior.stan_file is None:
        raise ModelFileError(
            f"pdb:{posterior.name}: the project has no version of this posterior (models/posteriordb/) and "
            f"{posterior.root} has no Stan program for it (models/stan/{posterior.model_name}.stan: a data-only "
            "copy holds none); use a full clone of https://github.com/stan-dev/posteriordb")
    folder = Path(staging) / posterior.name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    shutil.copyfile(posterior.stan_file, folder / "model.stan")
    (folder / "info.json").write_text(json.dumps({
        "description": f"posteriordb's {posterior.name}: its own Stan program, copied from {posterior.stan_file}",
        INFO_KEY: posterior.name}, indent=1) + "\n")
    return folder


def resolve(item: str, staging: Path) -> list[str]:
    """``pdb`` (every posterior with a version of ours) or ``pdb:<posterior>`` as the models the
    workers load: ``pdb:<posterior>`` for a version of ours (models.get reads it), else the path of
    the folder posteriordb's Stan program is staged into. Raises PosteriordbMissing (with how to
    get posteriordb) where no folder is set."""
    base = root()
    own = own_versions()
    if item == GROUP:
        return [PREFIX + name for name in sorted(own)]
    name = item.removeprefix(PREFIX)
    posterior = Posterior(name, base)
    posterior.definition  # an unknown name fails here, with the similar ones
    if name in own:
        return [PREFIX + name]
    return [str(stage(posterior, staging))]
