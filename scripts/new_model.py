"""Make a model folder from one model file: ``python scripts/new_model.py NAME --from model.stan``.

The file is copied in under its language's name (model.stan, pymc_model.py or numpyro_model.py),
with its data (``--data``, Stan's JSON format) and an info.json filled in from the model itself
(its sampled parameters); then the model check runs on it (scripts/check_model.py).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import models  # noqa: E402
from samplerbench.measure.parameters import reported_parameters  # noqa: E402
from samplerbench.tools.check import check  # noqa: E402

NAME_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="new_model.py", description=__doc__.split("\n\n")[0].split(": ", 1)[0] + ".",
        epilog="examples:\n"
               "  python scripts/new_model.py poisson --from ~/work/poisson.stan --data ~/work/poisson.json\n"
               "  python scripts/new_model.py coin --from ~/work/coin_pymc.py --data ~/work/flips.json\n"
               "  python scripts/new_model.py coin --from coin_pymc.py --dir ~/my-models   # a folder outside the repo\n"
               "then: python scripts/compare.py --models NAME (or the folder's path)",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("name", metavar="NAME", help="the model's name: the folder's name (letters, digits, _)")
    p.add_argument("--from", dest="source", type=Path, required=True, metavar="FILE",
                   help="the model file: a .stan file, or a .py file with a PyMC build(data) -> pm.Model or a "
                   "NumPyro model(data)")
    p.add_argument("--data", type=Path, default=None, metavar="JSON",
                   help="its data in Stan's JSON data format (what cmdstanpy writes), copied in as data.json "
                   "(default: none; the model is called with an empty dict)")
    p.add_argument("--dir", type=Path, default=models.MODELS_DIR, metavar="PARENT",
                   help="where to make the folder NAME (default: the repo's models/, so --models NAME finds it)")
    p.add_argument("--force", action="store_true", help="replace an existing folder of that name")
    p.add_argument("--no-sampling", action="store_true",
                   help="check the files only, without the tiny sampling runs")
    return p


def info_for(spec, language: str) -> dict:
    """info.json of a new model: a description to edit, the sampled parameters, what --n means."""
    data = spec.generate_data(0)
    parameters, _ = reported_parameters(spec, language, data)
    return {
        "description": f"{spec.name}: written in {language} (edit this line: what the model is, what makes it hard)",
        "parameters": parameters,
        "n_meaning": spec.n_meaning or "nothing: the data are fixed (--n is ignored)",
        "data_seed": 0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not NAME_PATTERN.match(args.name):
        parser.error(f"NAME {args.name!r}: use letters, digits and _ (it names the folder and the model)")
    if not args.source.is_file():
        parser.error(f"--from {args.source}: no such file")
    folder = args.dir / args.name
    if folder.exists() and not args.force:
        parser.error(f"{folder} exists already: choose another NAME, or --force to replace it")
    try:
        language = models.language_of_file(args.source)
        models.stage_file(args.source, args.data, args.dir, name=args.name)
    except models.ModelFileError as err:
        parser.error(str(err))
    (folder / models.SOURCE_FILE).unlink()  # the folder is the user's model now, not a copy to refresh
    spec = models.load_folder(folder)
    problems = models.file_problems(spec)
    if not problems:
        try:
            (folder / "info.json").write_text(json.dumps(info_for(spec, language), indent=2) + "\n")
        except Exception as err:  # noqa: BLE001 - a model that does not build is the check's finding
            problems = [f"{folder / models.LANGUAGE_FILES[language]}: the model does not build: "
                        f"{type(err).__name__}: {err}"]
    print(f"made {folder}: {', '.join(sorted(p.name for p in folder.iterdir()))}")
    if problems:
        print("\nFIX before timing it:\n  - " + "\n  - ".join(problems))
        return 1
    print(f"info.json lists the parameters to report: {', '.join(json.loads((folder / 'info.json').read_text())['parameters'])}\n")
    result = check(str(folder), sample=not args.no_sampling)
    print(result.text())
    where = args.name if folder.parent.resolve() == models.MODELS_DIR else str(folder)
    if result.ok:
        print(f"\nnext: python scripts/compare.py --models {where}")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
