"""posteriordb's gold-standard draws as a reference posterior in this tool's own format.

A model whose info.json names a posteriordb posterior (``"posteriordb": "<posterior>"``) is
scored against that posterior's reference draws (10 chains × 1 000, made and checked by
posteriordb's maintainers), not against a run of ours. The draws are summarized at first use
with the same ArviZ estimators as our own references (``tools.reference.summarize`` and
``second_moments``: mean, sd, quantiles, E[x²] and their MCSE), so the accuracy score and the
error trace read them as they read a reference of ours. The result is cached outside the
repository (``$XDG_CACHE_HOME/samplerbench/posteriordb``, keyed by the draws file's digest).

Names: posteriordb's are 1-based (``theta[1]``, ``L[1,2]``); ours are ArviZ's 0-based labels
(``theta[0]``, ``L[0, 1]``). Every element is mapped by its indices and the map is kept in the
file; a model parameter posteriordb has no draws of is an error that names the ones it has.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
from pathlib import Path

FORMAT = 1  # bump when what is stored changes: old cache files are then not read
_ELEMENT = re.compile(r"^(?P<name>[^\[\]]+)(\[(?P<index>[0-9, ]+)\])?$")


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "samplerbench" / "posteriordb"


def split_name(pdb_name: str) -> tuple[str, tuple[int, ...]]:
    """``theta[1]`` -> ("theta", (0,)); ``L[1,2]`` -> ("L", (0, 1)); ``mu`` -> ("mu", ())."""
    match = _ELEMENT.match(pdb_name)
    if not match:
        raise ValueError(f"not a posteriordb parameter name: {pdb_name!r}")
    index = match["index"]
    return match["name"], tuple(int(i) - 1 for i in index.split(",")) if index else ()


def tool_label(name: str, index: tuple[int, ...]) -> str:
    """ArviZ's label of an element, as our references and runs name it."""
    return f"{name}[{', '.join(map(str, index))}]" if index else name


def draws_arrays(chains: list[dict]) -> tuple[dict, dict]:
    """posteriordb's chains as {name: chains × draws × shape} arrays, and the map from each of
    its names to our label. An element missing from a full grid is an error, never a guess."""
    import numpy as np

    elements: dict[str, dict[tuple, str]] = {}
    for pdb_name in chains[0]:
        name, index = split_name(pdb_name)
        elements.setdefault(name, {})[index] = pdb_name
    arrays, label_map = {}, {}
    for name, by_index in elements.items():
        shape = tuple(max(ix[d] for ix in by_index) + 1 for d in range(len(next(iter(by_index))))) \
            if next(iter(by_index)) else ()
        if len(by_index) != int(np.prod(shape, dtype=int)):
            raise ValueError(f"posteriordb's draws of {name} have {len(by_index)} elements, not the full "
                             f"{'×'.join(map(str, shape))} grid their largest index implies")
        array = np.empty((len(chains), len(chains[0][by_index[next(iter(by_index))]]), *shape))
        for index, pdb_name in by_index.items():
            for c, chain in enumerate(chains):
                array[(c, slice(None), *index)] = chain[pdb_name]
            label_map[pdb_name] = tool_label(name, index)
        arrays[name] = array
    return arrays, label_map


def parameter_problems(wanted, available) -> list[str]:
    missing = [name for name in wanted if name not in available]
    return [f"parameter {name!r} is not in posteriordb's reference draws (they have: {', '.join(available)}); "
            "report only those in info.json's \"parameters\"" for name in missing]


def reference(spec, data_digest: str) -> tuple[Path, dict]:
    """The model's posteriordb reference (read from the cache, or summarized from the draws and
    cached); raises ModelFileError when the model asks for a parameter the draws lack."""
    from models.errors import ModelFileError

    posterior = spec.posteriordb_posterior()
    draws_file = posterior.draws_file
    if draws_file is None:
        posterior.draws()  # raises: no gold draws for this posterior
    digest = hashlib.sha256(draws_file.read_bytes()).hexdigest()
    path = cache_dir() / f"{posterior.name}-{digest[:16]}-v{FORMAT}.json"
    if path.is_file():
        stored = json.loads(path.read_text())
    else:
        stored = _summarize(posterior, digest)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(stored, indent=1) + "\n")
        os.replace(partial, path)  # two workers may write it at once: whole files only
    wanted = list(spec.parameters) or stored["parameter_names"]
    problems = parameter_problems(wanted, stored["parameter_names"])
    if problems:
        raise ModelFileError(f"{spec.folder / 'info.json'}: " + "; ".join(problems))
    keep = {label: value for label, value in stored["parameters"].items() if label.split("[")[0] in wanted}
    return path, {**stored, "model": spec.name, "data_sha256": data_digest, "parameters": keep}


def _summarize(posterior, digest: str) -> dict:
    import arviz_base

    from samplerbench.environment import library_versions
    from samplerbench.tools.reference import criteria_failed, summarize

    arrays, label_map = draws_arrays(posterior.draws())
    idata = arviz_base.from_dict({"posterior": arrays})
    names = list(arrays)
    parameters = summarize(idata, names)
    return {
        "posteriordb": posterior.name,
        "computed_from": {"note": f"posteriordb {posterior.name} {posterior.draws_file}",
                          "posterior": posterior.name, "draws_file": str(posterior.draws_file), "draws_sha256": digest},
        "backend": "posteriordb",
        "definition": {"chains": len(next(iter(arrays.values()))), "draws_per_chain": next(iter(arrays.values())).shape[1],
                       "made_by": "posteriordb's maintainers (doc/REFERENCE_POSTERIOR_DEFINITION.md)"},
        "checks": {"rhat_max": max(v["rhat"] for v in parameters.values()),
                   "ess_bulk_min": min(v["ess_bulk"] for v in parameters.values()),
                   "ess_tail_min": min(v["ess_tail"] for v in parameters.values()),
                   "our_definition_fails": criteria_failed(parameters, 0)},
        "versions": library_versions(("arviz-base", "arviz-stats", "numpy")),
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "label_map": label_map,
        "parameter_names": names,
        "parameters": parameters,
    }
