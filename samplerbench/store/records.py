"""Run records in and out: the JSON-lines files a sweep writes, and records as a pandas frame.

Reports are always built from saved run records, so a report can be regenerated from the
JSON-lines file of an interrupted or finished sweep without measuring anything again.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from samplerbench.fields import FLOOR, KEYS, QUALITY, RUN_DERIVED, TIMING_FIELDS
from samplerbench.run_record import RunRecord, record_kind, upgrade
from samplerbench.time_to_ess import DEFAULT_ESS_TARGETS, derived_columns, time_to_ess_column


def load_records(path: Path) -> list[RunRecord]:
    records = []
    with open(path) as fh:
        for line in fh:
            line = line.strip()
            if line:
                records.append(upgrade(json.loads(line)))
    return records


def load_records_file(path: Path) -> tuple[list[RunRecord], dict]:
    """A saved <stem>.runs.jsonl and the header in <stem>.env.json beside it ({} if absent)."""
    header_path = Path(str(path).removesuffix(".runs.jsonl") + ".env.json")
    header = json.loads(header_path.read_text()) if header_path.exists() else {}
    return load_records(path), header


def records_frame(records: list[RunRecord], ess_targets=DEFAULT_ESS_TARGETS) -> pd.DataFrame:
    """One row per timed run (priming runs of warm mode and gradient floors are left out),
    with the time-to-ESS columns derived from each record's own fields.

    Records are read in the current format (``run_record.upgrade``); fields an older record
    lacks are missing (NaN) in the frame, never zero."""
    rows = [upgrade(r) for r in records if not r.get("priming") and record_kind(r) == "run"]
    rows = [{**r, **derived_columns(r, ess_targets)} if r.get("status") == "ok" else r for r in rows]
    frame = pd.DataFrame(rows)
    for column in (*KEYS, "run", "status", "reason", *TIMING_FIELDS, *QUALITY, *RUN_DERIVED,
                   *(time_to_ess_column(t) for t in ess_targets)):
        if column not in frame.columns:
            frame[column] = math.nan
    return frame


@dataclass(frozen=True)
class GradientFloor:
    """A cell's gradient floor, read once from its floor records for every view: each language's
    best µs per bare compiled value-and-gradient, and why a language was not timed."""

    by_language: dict[str, float]
    not_timed: dict[str, str] = field(default_factory=dict)

    @property
    def us_per_grad(self) -> float:
        """The floor: the fastest language (what each floor record's ``floor_us_per_grad`` says)."""
        return min(self.by_language.values())


def gradient_floors(records: list[RunRecord]) -> dict[tuple, GradientFloor]:
    """(model, n) -> its floor, for every cell with a language timed in an ok floor record."""
    by_language: dict[tuple, dict[str, float]] = {}
    not_timed: dict[tuple, dict[str, str]] = {}
    for r in records:
        if record_kind(r) == FLOOR and r.get("status") == "ok":
            key = (r["model"], r["n"])
            for language, floor in (r.get("floors") or {}).items():
                if floor.get("us_per_grad"):
                    languages = by_language.setdefault(key, {})
                    languages[language] = min(languages.get(language, math.inf), float(floor["us_per_grad"]))
                else:
                    not_timed.setdefault(key, {})[language] = floor.get("reason", "not measured")
    return {key: GradientFloor(languages, not_timed.get(key, {})) for key, languages in by_language.items()}


def first_ok(records: list[RunRecord], field: str) -> dict[str, object]:
    """sampler -> ``field`` of its first ok run that has it (records from before a field existed have none)."""
    found: dict[str, object] = {}
    for r in records:
        if r.get("status") == "ok" and record_kind(r) == "run" and field in r:
            found.setdefault(r["sampler"], r[field])
    return found


def backend_versions(records: list[RunRecord]) -> dict[str, dict[str, str]]:
    """sampler -> the library versions its worker recorded (first ok run): what a backend really
    ran with, which with `--python` is not the orchestrator's environment."""
    return {sampler: {k: v for k, v in versions.items() if v}
            for sampler, versions in first_ok(records, "versions").items() if versions}
