"""CmdStan through cmdstanpy. Skipped (never faked) where no CmdStan installation is found."""

from __future__ import annotations

import shutil
from pathlib import Path

from samplers.base import Backend, SamplerOutput, described_calls, stan_data

INSTALL_HINT = (
    "install CmdStan with `python -m cmdstanpy.install_cmdstan` (downloads from GitHub) or "
    "`conda install -c conda-forge cmdstan`, or point the CMDSTAN environment variable at an "
    "existing CmdStan folder"
)


class CmdStanBackend(Backend):
    name = "cmdstan"
    language = "stan"
    packages = ("cmdstanpy",)
    distributions = ("cmdstanpy",)
    install_hint = "pip install cmdstanpy"
    description = "CmdStan via cmdstanpy, chains in parallel processes"

    def unavailable_reason(self):
        reason = super().unavailable_reason()
        if reason:
            return reason
        import cmdstanpy

        try:
            path = cmdstanpy.cmdstan_path()
        except (ValueError, RuntimeError) as err:
            return f"CmdStan not found ({str(err).strip().splitlines()[0]}); {INSTALL_HINT}"
        if not Path(path, "makefile").exists():
            return f"{path} is not a CmdStan installation (no makefile); {INSTALL_HINT}"
        return None

    def run(self, model, data, settings, clock):
        import arviz_base
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
            save_warmup=True,  # the warmup draws' n_leapfrog__ are the warmup gradients
            show_progress=False,
            output_dir=str(Path(settings.work_dir, "cmdstan_output")),
        )
        with clock.sampling():
            fit = stan_model.sample(**sample_kwargs)
        idata = arviz_base.from_cmdstanpy(posterior=fit, save_warmup=True)
        # CmdStan reports each chain's warm-up and sampling seconds: their share splits sampling_s.
        chain_times = fit.time or []
        phases = [sum(float(t.get(k, 0.0)) for t in chain_times) for k in ("warmup", "sampling")]
        return SamplerOutput(
            warmup_fraction_reported=phases[0] / sum(phases) if sum(phases) > 0 else None,
            idata=idata,
            **described_calls({"cmdstanpy.CmdStanModel": (cmdstanpy.CmdStanModel, model_kwargs),
                               "CmdStanModel.sample": (cmdstanpy.CmdStanModel.sample, sample_kwargs)}),
            chain_method=f"{settings.parallel_chains} parallel CmdStan processes",
            notes=[f"CmdStan {cmdstanpy.cmdstan_version()} at {cmdstanpy.cmdstan_path()}"],
        )
