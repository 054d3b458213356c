"""Backend registry: one line per backend, ``name -> "module:Class"``.

Adding a backend = one module in this folder implementing ``samplers.base.Backend`` plus
one line here. Modules are imported lazily and import their libraries only when run.
"""

from __future__ import annotations

import importlib

from models import UnknownNameError as UnknownSamplerError  # one "unknown name" error for both
from samplers.base import Backend, RunSettings, SamplerOutput

REGISTRY: dict[str, str] = {
    "cmdstan": "samplers.cmdstan:CmdStanBackend",
    "pystan": "samplers.pystan:PyStanBackend",
    "pymc": "samplers.pymc:PyMCBackend",
    "pymc-numpyro": "samplers.pymc_numpyro:PyMCNumPyroBackend",
    "pymc-blackjax": "samplers.pymc_blackjax:PyMCBlackJAXBackend",
    "numpyro": "samplers.numpyro:NumPyroBackend",
    "blackjax": "samplers.blackjax_nuts:BlackJAXBackend",
    "nutpie": "samplers.nutpie:NutpieBackend",
    "nutpie-stan": "samplers.nutpie_stan:NutpieStanBackend",
    "blackjax-mclmc": "samplers.blackjax_mclmc:MCLMCBackend",
    "blackjax-mams": "samplers.blackjax_mams:MAMSBackend",
    "blackjax-chees": "samplers.blackjax_chees:ChEESBackend",
    "pathfinder": "samplers.blackjax_pathfinder:PathfinderBackend",
    "nutpie-low-rank": "samplers.nutpie:NutpieLowRankBackend",
    "advi": "samplers.pymc_advi:ADVIBackend",
    "fullrank-advi": "samplers.pymc_advi:FullRankADVIBackend",
}


def names() -> list[str]:
    return list(REGISTRY)


def default_names() -> list[str]:
    """The backends a sweep runs when --samplers is not given: all but those whose class says
    ``in_default_sweep = False``: the ADVI rows (PyTensor's compile of their fit, about 20 s a
    run here, would add most of ten minutes to ``make compare``), ChEES, Pathfinder and nutpie's
    low-rank variant (algorithms beside the NUTS rows, each a compile of its own per run).
    ``--samplers all`` runs them, or name them."""
    return [name for name in REGISTRY if get(name).in_default_sweep]


def get(name: str) -> Backend:
    if name not in REGISTRY:
        raise UnknownSamplerError(f"unknown sampler {name!r}; valid samplers: {', '.join(REGISTRY)}")
    module_name, class_name = REGISTRY[name].split(":")
    return getattr(importlib.import_module(module_name), class_name)()


__all__ = ["Backend", "RunSettings", "SamplerOutput", "REGISTRY", "names", "default_names", "get", "UnknownSamplerError"]
