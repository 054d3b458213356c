"""CmdStan through cmdstanpy. Skipped (never faked) where no CmdStan installation is found."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from samplers.base import Backend, SamplerOutput, WarmupCount, described_calls, same_kept_steps, stan_data

INSTALL_HINT = (
    "install CmdStan with `python -m cmdstanpy.install_cmdstan` (downloads from GitHub) or "
    "`conda install -c conda-forge cmdstan`, or point the CMDSTAN environment variable at an "
    "existing CmdStan folder"
)


COUNT_METHOD = "untimed counting run: the same executable and seed with save_warmup=True"


def cmdstan_folder() -> Path | None:
    """The CmdStan folder cmdstanpy's ``cmdstan_path()`` would use, found without importing
    cmdstanpy: $CMDSTAN when set, else the highest ``cmdstan-<major>.<minor>.<patch>`` folder
    under ``~/.cmdstan``. The run checks that cmdstanpy agrees."""
    if os.environ.get("CMDSTAN"):
        return Path(os.environ["CMDSTAN"])
    home = Path("~", ".cmdstan").expanduser()
    if not home.is_dir():
        return None
    found = {}
    for entry in home.iterdir():
        match = re.fullmatch(r"cmdstan-(\d+)\.(\d+)\.(\d+)(?:-rc(\d+))?", entry.name)
        if entry.is_dir() and match:
            major, minor, patch, rc = match.groups()
            found[(int(major), int(minor), int(patch), -100 + int(rc) if rc else 0)] = entry
    return found[max(found)] if found else None


def version_text(version) -> str:
    """cmdstanpy's ``cmdstan_version()`` is a tuple, (2, 35): as CmdStan writes it, 2.35."""
    return ".".join(str(part) for part in version) if isinstance(version, tuple) else str(version)


def draws_and_warmup_steps(fit):
    """The kept draws as ArviZ data, and the warmup's leapfrog steps summed over chains (None
    when the fit has no saved warmup). Split here: arviz-base 1.3's ``from_cmdstanpy`` puts a
    saved warmup's rows of the sampler columns (``divergent__``, ``n_leapfrog__``) into
    ``sample_stats`` beside the kept ones, whatever its ``save_warmup`` says, so warmup
    divergences would count as sampling ones."""
    import arviz_base

    idata = arviz_base.from_cmdstanpy(posterior=fit, save_warmup=False)
    if not fit.metadata.cmdstan_config.get("save_warmup"):
        return idata, None
    iter_warmup = int(fit.metadata.cmdstan_config["num_warmup"])
    all_draws = fit.draws(inc_warmup=True)  # (iterations, chains, columns), warmup rows first
    warmup = int(all_draws[:iter_warmup, :, list(fit.column_names).index("n_leapfrog__")].sum())
    stats = idata["sample_stats"].to_dataset()
    if stats.sizes["draw"] > fit.num_draws_sampling:
        stats = stats.isel(draw=slice(stats.sizes["draw"] - fit.num_draws_sampling, None))
        idata["sample_stats"] = stats.assign_coords(draw=range(stats.sizes["draw"]))
    return idata, warmup


class CmdStanBackend(Backend):
    name = "cmdstan"
    language = "stan"
    packages = ("cmdstanpy",)
    distributions = ("cmdstanpy",)
    install_hint = "pip install cmdstanpy"
    description = "CmdStan via cmdstanpy, chains in parallel processes"

    def installation_problem(self):
        """Without importing cmdstanpy (0.6 s with pandas, which import_s must hold): where
        cmdstanpy itself would look, $CMDSTAN or the newest ~/.cmdstan/cmdstan-<version>."""
        path = cmdstan_folder()
        if path is None:
            return f"CmdStan not found (no $CMDSTAN, no ~/.cmdstan/cmdstan-<version> folder); {INSTALL_HINT}"
        if not Path(path, "makefile").exists():
            return f"{path} is not a CmdStan installation (no makefile); {INSTALL_HINT}"
        return None

    def run(self, model, data, settings, clock):
        import cmdstanpy

        # The executable is built next to the .stan file: keep it in this run's cache folder
        # (fresh per run when cold, shared by the runs of a sweep when warm), not in the repo.
        build_dir = Path(settings.cache_dir, "cmdstan", model.name)
        build_dir.mkdir(parents=True, exist_ok=True)
        stan_file = build_dir / "model.stan"
        if not stan_file.exists() or stan_file.read_text() != model.stan_code():
            shutil.copyfile(model.stan_file, stan_file)
        model_kwargs = dict(stan_file=str(stan_file), force_compile=settings.cache == "cold")
        with clock.compiling():
            stan_model = cmdstanpy.CmdStanModel(**model_kwargs)
        sample_kwargs = dict(
            data=stan_data(data),
            chains=settings.chains,
            parallel_chains=settings.parallel_chains,
            iter_warmup=settings.tune,
            iter_sampling=settings.draws,
            adapt_delta=settings.target_accept,
            max_treedepth=settings.max_treedepth,
            seed=settings.seed,
            # save_warmup stays CmdStan's default (False); the warmup gradients come from an
            # untimed counting run (count_warmup), as for PyStan.
            show_progress=False,
            output_dir=str(Path(settings.work_dir, "cmdstan_output")),
        )
        with clock.sampling():
            fit = stan_model.sample(**sample_kwargs)
        idata, _ = draws_and_warmup_steps(fit)

        def count_warmup():
            """The same executable and seed again, warmup saved: its warmup n_leapfrog__."""
            counting = stan_model.sample(**{**sample_kwargs, "save_warmup": True,
                                            "output_dir": str(Path(settings.work_dir, "cmdstan_counting"))})
            counted_idata, warmup_steps = draws_and_warmup_steps(counting)
            return WarmupCount(warmup_steps, settings.tune, COUNT_METHOD, same_kept_steps(idata, counted_idata))

        # CmdStan reports each chain's warm-up and sampling seconds: their share splits sampling_s.
        chain_times = fit.time or []
        phases = [sum(float(t.get(k, 0.0)) for t in chain_times) for k in ("warmup", "sampling")]
        return SamplerOutput(
            count_warmup=count_warmup,
            warmup_count_method=COUNT_METHOD,
            warmup_fraction_reported=phases[0] / sum(phases) if sum(phases) > 0 else None,
            idata=idata,
            **described_calls({"cmdstanpy.CmdStanModel": (cmdstanpy.CmdStanModel, model_kwargs),
                               "CmdStanModel.sample": (cmdstanpy.CmdStanModel.sample, sample_kwargs)}),
            chain_method=f"{settings.parallel_chains} parallel CmdStan processes",
            notes=[f"CmdStan {version_text(cmdstanpy.cmdstan_version())} at {cmdstanpy.cmdstan_path()}"],
        )
