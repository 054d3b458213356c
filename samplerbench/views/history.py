"""Every sweep of a store, aggregated once each, for the dashboard's history and its pages.

Each sweep's ``Summary`` is the one its markdown report is built from (statistics.summarize),
so a number on a page is the number in that sweep's report. History lines join sweeps only
when they ran on the same machine with the same run settings: a line across two machines or two
settings would show a difference of hardware or of work as if it were one of library versions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from samplerbench.analysis.race import verdict_alpha
from samplerbench.environment import machine_label, record_machine, version_changes
from samplerbench.store.records import backend_versions
from samplerbench.analysis.statistics import Summary, summarize
from samplerbench.store.database import ResultStore, SweepInfo
from samplerbench.time_to_ess import HEADLINE_TARGET, ess_targets_of, time_to_ess_column
from samplerbench.analysis.uncertainty import compare_runs
from samplerbench.run_record import RunRecord

# The settings that change how much work a run does: only sweeps that share them share a line.
SETTING_KEYS = ("chains", "tune", "draws", "target_accept", "max_treedepth")
# The core libraries named in a sweep's one-line description.
KEY_LIBRARIES = ("pymc", "pytensor", "numpyro", "jax", "blackjax", "nutpie", "pystan", "cmdstanpy")
# Libraries every worker records beside its backend's own (worker._versions): not what tells
# one backend's releases apart.
COMMON_LIBRARIES = ("numpy", "arviz", "arviz-base", "arviz-stats")
# (column of the aggregated table, label) shown over time.
HISTORY_METRICS = (
    ("end_to_end_s", "end-to-end s"),
    ("sampling_s", "sampling s"),
    (time_to_ess_column(HEADLINE_TARGET), f"to {HEADLINE_TARGET:,} ESS s"),
)


@dataclass
class StoredSweep:
    info: SweepInfo
    header: dict
    records: list[RunRecord]
    summary: Summary
    versions: dict[str, dict[str, str]]  # sampler -> what its workers recorded

    @property
    def sweep_id(self) -> str:
        return self.info.sweep_id

    @property
    def label(self) -> str:
        return self.info.name or self.info.sweep_id


def settings_label(config: dict) -> str:
    return (f"{config.get('chains')} chains × ({config.get('tune')} warmup + {config.get('draws')} draws), "
            f"target accept {config.get('target_accept')}, max tree depth {config.get('max_treedepth')}")


def key_versions(environment: dict) -> str:
    libraries = environment.get("libraries", {})
    return ", ".join(f"{name} {libraries[name]}" for name in KEY_LIBRARIES if libraries.get(name))


def load_sweeps(db: Path, sampler_order: list[str] | None = None) -> list[StoredSweep]:
    """Every sweep in the store, oldest first, each summarized at its own ESS targets plus the
    headline one (the history plots time to the headline ESS)."""
    out = []
    with ResultStore(db, create=False) as store:
        for info in store.sweeps():
            header = store.header(info.sweep_id)
            records = store.records(info.sweep_id)
            targets = (*ess_targets_of(header), HEADLINE_TARGET)
            summary = summarize(records, sampler_order, targets, verdict_alpha(header.get("config")))
            out.append(StoredSweep(info, header, records, summary, backend_versions(records)))
    return out


def backend_libraries(versions: dict[str, str]) -> dict[str, str]:
    """A backend's own libraries out of what its worker recorded (numpy and ArviZ left out)."""
    return {k: v for k, v in versions.items() if k not in COMMON_LIBRARIES}


def history_frame(sweeps: list[StoredSweep]) -> pd.DataFrame:
    """One row per (sweep, model, n, cache, backend) with ok runs: the medians (and range) of the
    history metrics, the run count, the machine, the settings and the backend's versions."""
    rows = []
    for sweep in sweeps:
        table = sweep.summary.table
        machine = machine_label(sweep.header.get("environment", {}))
        # A --cluster sweep's cells ran on the workers' machines, not on the client's.
        cell_machines = {(r["model"], int(r["n"])): record_machine(r) for r in sweep.records if record_machine(r)}
        settings = settings_label(sweep.header.get("config", {}))
        for _, row in table[table["ok"] > 0].iterrows() if not table.empty else []:
            libraries = sweep.versions.get(row["sampler"], {})
            entry = {"sweep_id": sweep.sweep_id, "sweep": sweep.label, "started_at": sweep.info.started_at,
                     "complete": sweep.info.complete, "settings": settings,
                     "machine": cell_machines.get((row["model"], int(row["n"])), machine),
                     "model": row["model"], "n": int(row["n"]), "cache": row["cache"], "sampler": row["sampler"],
                     "runs": int(row["ok"]), "status": row["status"], "versions": libraries,
                     "versions_text": ", ".join(f"{k} {v}" for k, v in backend_libraries(libraries).items())}
            for metric, _ in HISTORY_METRICS:
                for stat in ("median", "min", "max"):
                    entry[f"{metric}_{stat}"] = row.get(f"{metric}_{stat}", math.nan)
            rows.append(entry)
    return pd.DataFrame(rows)


def version_axis_labels(versions: list[dict[str, str]]) -> list[str]:
    """The x labels of a backend's line 'by library version': the libraries whose version varies
    along the line (all of the backend's own when none does), e.g. 'numpyro 0.21.0'."""
    own = [backend_libraries(v) for v in versions]
    names = list(dict.fromkeys(k for v in own for k in v))
    varying = [k for k in names if len({v.get(k) for v in own}) > 1] or names[:1]
    return [", ".join(f"{k} {v.get(k, 'absent')}" for k in varying) or "unknown" for v in own]


def _release_key(label: str) -> tuple:
    """'numpyro 0.9.0, jax 0.12' -> a key that orders releases as numbers (0.9 before 0.10)."""
    from packaging.version import InvalidVersion, Version

    key = []
    for part in label.split(", "):
        name, _, version = part.rpartition(" ")
        try:
            key.append((name, 0, Version(version), ""))
        except InvalidVersion:
            key.append((name, 1, Version("0"), version))
    return tuple(key)


def release_order(labels) -> list[str]:
    """The distinct version labels in release order, for the history's version axis."""
    return sorted(set(labels), key=_release_key)


def changes_frame(sweeps: list[StoredSweep], model: str, n: int, cache: str, sampler_order: list[str]) -> pd.DataFrame:
    """Each backend between consecutive sweeps of one history line: end-to-end and time to the
    headline ESS before → after, whether the difference is real (uncertainty.compare_runs) and which
    library versions differ."""
    metrics = (("end_to_end_s", "end-to-end s"), (time_to_ess_column(HEADLINE_TARGET), f"to {HEADLINE_TARGET:,} ESS s"))
    rows = []
    for before, after in zip(sweeps, sweeps[1:]):
        for sampler in sampler_order:
            values = []
            for sweep in (before, after):
                frame = sweep.summary.frame
                ok = frame[(frame["model"] == model) & (frame["n"] == n) & (frame["cache"] == cache)
                           & (frame["sampler"] == sampler) & (frame["status"] == "ok")]
                values.append(ok)
            if values[0].empty or values[1].empty:
                continue
            row = {"backend": sampler, "from → to": f"{before.label} → {after.label}",
                   "library versions": version_changes(before.versions.get(sampler, {}),
                                                       after.versions.get(sampler, {})) or "same"}
            for metric, label in metrics:
                a = pd.to_numeric(values[0][metric], errors="coerce").dropna().tolist()
                b = pd.to_numeric(values[1][metric], errors="coerce").dropna().tolist()
                if not a or not b:
                    row[label] = "–"
                    continue
                test = compare_runs(a, b)
                interval = f"; 95 % CI {test.low:.2f}–{test.high:.2f}" if test.low == test.low else ""
                row[label] = (f"{pd.Series(a).median():.2f} → {pd.Series(b).median():.2f} "
                              f"({test.ratio:.2f}×{interval}): {test.verdict_text()}")
            rows.append(row)
    return pd.DataFrame(rows)
