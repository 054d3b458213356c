"""The run record: what one measurement hands back, as one versioned JSON object.

Three writers make records: the worker (a measured run or a gradient floor), the orchestrator
(a run it skipped, found not applicable, or saw fail or time out) and the cluster client (the
runs of a cell that could not finish). Each stamps ``record_version``. Two kinds of readers
meet older records (the results store, saved ``.runs.jsonl`` files): both pass them through
``upgrade``, one step per format change (asv's ``update_to_N``), so that everything after reads
the current format and no view keeps its own compatibility rules. A record is never rewritten
where it is stored: the upgrade is of what is read.

``run_key`` is what identifies a planned measurement within a sweep: the planner's
``PlannedRun.key``, the store's finished runs and the cluster's deduplication are this one tuple.
"""

from typing import Required, TypedDict, get_type_hints

from samplerbench.fields import FLOOR, NOT_APPLICABLE, TIMING_FIELDS

RECORD_VERSION = 2
# Version 1: every record before the version was stamped (samplerbench up to issue 29).
STATUSES = ("ok", "failed", "skipped", NOT_APPLICABLE)
KINDS = ("run", FLOOR)


class RunRecord(TypedDict, total=False):  # (no postponed annotations in this module: Required must be seen)
    """The fields a reader of a current record may rely on: the required ones every record has
    (``problems`` checks them, with these types), the timing fields of every record (null = not
    measured). An ok run adds the quality and derived fields named in ``fields.py``."""

    record_version: Required[int]
    kind: Required[str]  # one of KINDS
    model: Required[str]
    sampler: Required[str]
    n: Required[int]
    run: Required[int]
    status: Required[str]  # one of STATUSES
    reason: str
    cache: str  # "cold" or "warm"; a floor has none
    seed: int
    import_s: float | None
    compile_s: float | None
    sampling_s: float | None
    end_to_end_s: float | None
    process_s: float | None


assert set(TIMING_FIELDS) <= set(RunRecord.__annotations__), "fields.TIMING_FIELDS and RunRecord must name the same timings"


def run_key(record: RunRecord) -> tuple:
    """(kind, model, n, cache, sampler, run): a `--cache both` sweep measures every run twice,
    cold and warm; a floor has no cache mode."""
    kind = record_kind(record)
    cache = "" if kind == FLOOR else record.get("cache") or "cold"
    return (kind, record["model"], int(record["n"]), cache, record["sampler"], int(record["run"]))


def record_kind(record: dict) -> str:
    """A record's kind, "run" or FLOOR (also of a record not yet upgraded)."""
    kind = record.get("kind") or "run"
    return FLOOR if kind == "gradient_floor" else kind


def _update_to_2(record: dict) -> dict:
    """From version 1, where fields were added over time and each reader filled the gaps:
    - ``kind`` absent (a timed run) or spelled "gradient_floor";
    - ``cache`` absent in records from before the cache modes (all were cold);
    - ``us_per_grad`` of records from before warmup gradients were counted (no
      ``grad_evals_total``) divided by the kept draws' gradients only: another meaning, so it
      is dropped rather than shown under the name it has now;
    - a floor record from before several languages were timed has ``floor_us_per_grad`` (JAX's)
      and no ``floors``."""
    record = dict(record)
    record["kind"] = record_kind(record)
    if record["kind"] == "run":
        record.setdefault("cache", "cold")
        if "grad_evals_total" not in record:
            record["us_per_grad"] = None
    elif not record.get("floors") and record.get("floor_us_per_grad") is not None:
        record["floors"] = {"jax": {"us_per_grad": record["floor_us_per_grad"]}}
    return record


UPGRADES = {2: _update_to_2}  # version N -> the step that makes a version N-1 record a version N one


def upgrade(record: dict) -> RunRecord:
    """The record in the current format (a new dict; one at RECORD_VERSION comes back as it is)."""
    version = int(record.get("record_version") or 1)
    if version > RECORD_VERSION:
        raise ValueError(f"a record of format {version} is newer than this samplerbench reads ({RECORD_VERSION}): "
                         "update samplerbench")
    for target in range(version + 1, RECORD_VERSION + 1):
        record = {**UPGRADES[target](record), "record_version": target}
    return record


def problems(record: RunRecord) -> list[str]:
    """What makes a record unusable (empty when it is a valid current record): the fields every
    record has, with their types; every timing field present, a number ≥ 0 or null."""
    found = []
    if record.get("record_version") != RECORD_VERSION:
        found.append(f"record_version {record.get('record_version')!r}, not {RECORD_VERSION}")
    hints = get_type_hints(RunRecord)
    for name in sorted(RunRecord.__required_keys__ - {"record_version"}):
        kind = hints[name]
        if not isinstance(record.get(name), kind) or isinstance(record.get(name), bool):
            found.append(f"{name} is {record.get(name)!r}, not a {kind.__name__}")
    if record.get("status") not in STATUSES:
        found.append(f"status {record.get('status')!r}, not one of {', '.join(STATUSES)}")
    if record.get("kind") not in KINDS:
        found.append(f"kind {record.get('kind')!r}, not one of {', '.join(KINDS)}")
    for name in TIMING_FIELDS:
        value = record.get(name, "absent")
        if value is not None and not (isinstance(value, (int, float)) and value >= 0):
            found.append(f"{name} is {value!r}, not a number >= 0 or null")
    return found
