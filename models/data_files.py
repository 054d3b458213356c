"""A model's data from a file: Stan's JSON data format, or a CSV named in info.json."""

from __future__ import annotations

import json
from pathlib import Path

from models.errors import ModelFileError


def read_json_data(path: Path) -> dict:
    """Stan's JSON data: an object of names to numbers or (nested) lists; lists become arrays
    (int64 where every value is whole, float64 else), numbers stay numbers."""
    try:
        raw = json.loads(Path(path).read_text())
    except json.JSONDecodeError as err:
        raise ModelFileError(f"{path}, line {err.lineno}: not valid JSON ({err.msg})") from None
    return json_data(raw, path)


def json_data(raw, path) -> dict:
    """Stan's JSON data already parsed (``raw``), converted as ``read_json_data`` does; ``path``
    names where they came from in the errors."""
    import numpy as np

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
