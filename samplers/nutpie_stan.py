"""nutpie on the Stan model, through BridgeStan. Skipped (never faked) where BridgeStan's C++
sources are missing: BridgeStan downloads them from GitHub on first use."""

from __future__ import annotations

import os
from pathlib import Path

from samplers.base import Backend, stan_data
from samplers.nutpie import sample

INSTALL_HINT = (
    "BridgeStan compiles Stan models from its C++ sources: download them once with "
    "`python -c \"import bridgestan; bridgestan.compile.get_bridgestan_path()\"` (from GitHub, into "
    "~/.bridgestan), or clone https://github.com/roualdes/bridgestan and point the BRIDGESTAN "
    "environment variable at it; a C++ compiler and make are needed too"
)


def bridgestan_folder() -> Path:
    """Where BridgeStan looks for its sources: $BRIDGESTAN, else ~/.bridgestan/bridgestan-<version>
    (``bridgestan.download.CURRENT_BRIDGESTAN``), found without importing bridgestan, whose
    import belongs in import_s."""
    from importlib.metadata import version

    return Path(os.environ.get("BRIDGESTAN") or Path("~", ".bridgestan").expanduser() / f"bridgestan-{version('bridgestan')}")


class NutpieStanBackend(Backend):
    name = "nutpie-stan"
    language = "stan"
    packages = ("nutpie", "bridgestan", "stanio")
    distributions = ("nutpie", "bridgestan", "stanio")
    install_hint = "pip install 'nutpie[stan]'"
    description = "nutpie on the Stan model (compiled through BridgeStan)"
    import_modules = ("nutpie.sample", "nutpie.compile_stan")

    def installation_problem(self):
        folder = bridgestan_folder()
        if not (folder / "Makefile").is_file():
            return f"BridgeStan's C++ sources are not at {folder} (no Makefile there); {INSTALL_HINT}"
        return None

    def run(self, model, data, settings, clock):
        import nutpie

        # Warm: nutpie's own cache of compiled models (under XDG_CACHE_HOME, the run's cache folder).
        compile_kwargs = dict(filename=str(model.stan_file), cache=settings.cache == "warm")
        with clock.compiling():
            compiled = nutpie.compile_stan_model(**compile_kwargs)
        # Handing the data over instantiates the model (BridgeStan reads the JSON): neither
        # compiling nor sampling, it counts in end-to-end only.
        compiled = compiled.with_data(**stan_data(data))
        return sample(compiled, ("nutpie.compile_stan_model", nutpie.compile_stan_model, compile_kwargs), settings,
                      clock, notes=[f"BridgeStan sources at {bridgestan_folder()}"])
