"""What is wrong with a model folder's files, found before anything runs and without importing
a sampling library (``compare.py`` exits 2 with these messages)."""

from __future__ import annotations

from models.errors import ModelFileError
from models.spec import ENTRY_POINTS, ModelSpec


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
