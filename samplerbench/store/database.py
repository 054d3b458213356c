"""The results store: one SQLite file holding every sweep, its environment and every run record.

Each run record is committed the moment it arrives, so a sweep that is interrupted (Ctrl-C,
crash, timeout, power cut) keeps every finished run and can be resumed.

Schema policy, so that old stores stay readable:
- every run's full record is kept as JSON in ``runs.record``; the report is built from that,
  so fields added to records later never need a schema change to be stored or read;
- the typed columns beside it (timings, status, ...) exist for people who query with SQL;
- ``meta.schema_version`` says which schema wrote the file; opening an older store applies
  the ``MIGRATIONS`` after its version in order (additive: new tables and columns only), and a
  store from a newer samplerbench is opened read-only.
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from samplerbench.run_record import RunRecord, record_kind, run_key, upgrade

DEFAULT_DB = Path("results") / "samplerbench.sqlite"
SCHEMA_VERSION = 3

# Typed copies of record fields, for SQL users; the record JSON stays the source of truth.
RUN_COLUMNS = (
    "model", "n", "sampler", "cache", "kind", "run", "priming", "status", "reason",
    "import_s", "compile_s", "sampling_s", "end_to_end_s", "process_s",
    "ess_bulk_min", "ess_tail_min", "rhat_max", "divergences", "grad_evals", "ess_per_s",
    "us_per_grad", "floor_us_per_grad", "seed", "finished_at",
    "warmup_s", "draws_s", "peak_rss_mib",  # schema 2
    "peak_pss_mib",  # schema 3
)

# MIGRATIONS[v] turns a version v-1 store into version v. Only ever append to this list.
MIGRATIONS: dict[int, list[str]] = {
    1: [
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)",
        """CREATE TABLE sweeps (
            sweep_id TEXT PRIMARY KEY, name TEXT, started_at TEXT, finished_at TEXT,
            total_s REAL, planned INTEGER, config TEXT NOT NULL, environment TEXT NOT NULL,
            python TEXT, cpu TEXT, cores INTEGER, memory_gib REAL, os TEXT,
            git_commit TEXT, git_dirty INTEGER)""",
        """CREATE TABLE sessions (
            sweep_id TEXT NOT NULL REFERENCES sweeps(sweep_id), session INTEGER NOT NULL,
            started_at TEXT, finished_at TEXT, environment TEXT NOT NULL,
            PRIMARY KEY (sweep_id, session))""",
        """CREATE TABLE runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            sweep_id TEXT NOT NULL REFERENCES sweeps(sweep_id), session INTEGER,
            model TEXT, n INTEGER, sampler TEXT, cache TEXT, kind TEXT, run INTEGER,
            priming INTEGER, status TEXT, reason TEXT,
            import_s REAL, compile_s REAL, sampling_s REAL, end_to_end_s REAL, process_s REAL,
            ess_bulk_min REAL, ess_tail_min REAL, rhat_max REAL, divergences REAL,
            grad_evals REAL, ess_per_s REAL, us_per_grad REAL, floor_us_per_grad REAL,
            seed INTEGER, finished_at TEXT, record TEXT NOT NULL)""",
        "CREATE INDEX runs_by_sweep ON runs (sweep_id, kind, model, n, sampler, run)",
    ],
    # The sampling window split into warmup and draws, and the run's peak memory (issue "The
    # answer, with confidence"); older rows keep NULL there, as their records lack the fields.
    2: [
        "ALTER TABLE runs ADD COLUMN warmup_s REAL",
        "ALTER TABLE runs ADD COLUMN draws_s REAL",
        "ALTER TABLE runs ADD COLUMN peak_rss_mib REAL",
    ],
    # Peak memory as PSS summed over the process tree (issue 25): peak_rss_mib summed RSS, which
    # counted pages shared by forked processes once per process; old rows keep it, new rows
    # leave it NULL.
    3: ["ALTER TABLE runs ADD COLUMN peak_pss_mib REAL"],
}


class StoreError(Exception):
    """A problem with the store the user can act on (message says how)."""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass
class SweepInfo:
    sweep_id: str
    name: str | None
    started_at: str | None
    finished_at: str | None
    planned: int | None
    measured: int
    config: dict
    environment: dict
    sessions: int

    @property
    def complete(self) -> bool:
        return self.finished_at is not None


class ResultStore:
    def __init__(self, path: Path | str, *, create: bool = True):
        self.path = Path(path)
        if not self.path.exists():
            if not create:
                raise StoreError(f"no results store at {self.path} (run a sweep first, or pass --db PATH)")
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = sqlite3.connect(self.path, timeout=30)
            self.db.execute("PRAGMA foreign_keys = ON")
            self.read_only = False
            self._migrate()
        except sqlite3.DatabaseError as err:
            raise StoreError(f"{self.path} is not a samplerbench results store: {err}") from None

    # -- schema ---------------------------------------------------------------------------
    def schema_version(self) -> int:
        tables = {row[0] for row in self.db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "meta" not in tables:
            if tables:
                raise StoreError(f"{self.path} is an SQLite file but not a samplerbench store "
                                 f"(tables: {', '.join(sorted(tables))})")
            return 0
        row = self.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        return int(row[0]) if row else 0

    def _migrate(self) -> None:
        version = self.schema_version()
        if version > SCHEMA_VERSION:
            # Written by a newer samplerbench: reading the record JSON still works; writing
            # could break the newer tool's assumptions, so it is refused.
            self.read_only = True
            return
        with self.db:
            for target in range(version + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[target]:
                    self.db.execute(statement)
                self.db.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(target),))

    def _writable(self) -> None:
        if self.read_only:
            raise StoreError(f"{self.path} was written by a newer samplerbench (schema "
                             f"{self.schema_version()} > {SCHEMA_VERSION}); update samplerbench to add to it")

    # -- writing --------------------------------------------------------------------------
    def lock_for_sweep(self) -> None:
        """Hold an exclusive lock on ``<store>.lock`` while this process measures.

        Two sweeps on one store at once would resume the same runs twice (and would time
        each other); the operating system drops the lock when the process ends, even by kill -9.
        """
        try:
            import fcntl
        except ImportError:  # not POSIX: no lock
            return
        lock_path = self.path.with_name(self.path.name + ".lock")
        handle = open(lock_path, "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise StoreError(f"another samplerbench sweep is running on {self.path} ({holder}); wait for it "
                             "to finish (or stop it), or use another --db") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        self._lock_handle = handle  # kept open: the lock lasts as long as this process

    def create_sweep(self, header: dict, name: str, planned: int) -> None:
        self._writable()
        env = header.get("environment", {})
        git = env.get("git", {})
        with self.db:
            self.db.execute(
                "INSERT INTO sweeps (sweep_id, name, started_at, planned, config, environment, python, "
                "cpu, cores, memory_gib, os, git_commit, git_dirty) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (header["sweep_id"], name, header.get("started_at"), planned,
                 json.dumps(header.get("config", {}), default=str), json.dumps(env, default=str),
                 env.get("python"), env.get("cpu"), env.get("cores"), env.get("memory_gib"), env.get("os"),
                 git.get("commit"), None if git.get("dirty") is None else int(git["dirty"])),
            )

    def start_session(self, sweep_id: str, environment: dict) -> int:
        """A session is one invocation working on a sweep: the first one, then one per --resume."""
        self._writable()
        with self.db:
            row = self.db.execute("SELECT COALESCE(MAX(session), 0) FROM sessions WHERE sweep_id=?", (sweep_id,)).fetchone()
            session = row[0] + 1
            self.db.execute("INSERT INTO sessions (sweep_id, session, started_at, environment) VALUES (?,?,?,?)",
                            (sweep_id, session, _now(), json.dumps(environment, default=str)))
        return session

    def add_run(self, sweep_id: str, record: dict, session: int | None = None) -> None:
        """Commit one run record now (a crash a moment later loses nothing)."""
        self._writable()
        values = []
        for column in RUN_COLUMNS:
            value = record.get(column)
            if column == "kind":
                value = record_kind(record)
            if column == "priming":
                value = int(bool(value))
            if isinstance(value, (dict, list)):
                value = json.dumps(value, default=str)
            values.append(value)
        with self.db:
            self.db.execute(
                f"INSERT INTO runs (sweep_id, session, {', '.join(RUN_COLUMNS)}, record) "
                f"VALUES ({', '.join('?' * (len(RUN_COLUMNS) + 3))})",
                (sweep_id, session, *values, json.dumps(record, default=str)),
            )

    def finish_session(self, sweep_id: str, session: int, *, complete: bool, total_s: float | None = None) -> None:
        self._writable()
        with self.db:
            self.db.execute("UPDATE sessions SET finished_at=? WHERE sweep_id=? AND session=?", (_now(), sweep_id, session))
            if total_s is not None:
                self.db.execute("UPDATE sweeps SET total_s=COALESCE(total_s, 0) + ? WHERE sweep_id=?", (total_s, sweep_id))
            if complete:
                self.db.execute("UPDATE sweeps SET finished_at=? WHERE sweep_id=?", (_now(), sweep_id))

    # -- reading --------------------------------------------------------------------------
    def sweeps(self) -> list[SweepInfo]:
        """Every sweep, oldest first."""
        rows = self.db.execute(
            "SELECT s.sweep_id, s.name, s.started_at, s.finished_at, s.planned, s.config, s.environment, "
            "(SELECT COUNT(*) FROM runs r WHERE r.sweep_id=s.sweep_id AND r.priming=0), "
            "(SELECT COUNT(*) FROM sessions x WHERE x.sweep_id=s.sweep_id) "
            "FROM sweeps s ORDER BY s.started_at, s.rowid"
        ).fetchall()
        return [SweepInfo(sweep_id=r[0], name=r[1], started_at=r[2], finished_at=r[3], planned=r[4],
                          measured=r[7], config=json.loads(r[5]), environment=json.loads(r[6]), sessions=r[8])
                for r in rows]

    def sweep(self, spec: str = "latest") -> SweepInfo:
        """A sweep by id, by a unique prefix of its id, by its report name, or 'latest'."""
        sweeps = self.sweeps()
        if not sweeps:
            raise StoreError(f"the store {self.path} holds no sweeps yet")
        if spec == "latest":
            return sweeps[-1]
        exact = [s for s in sweeps if spec in (s.sweep_id, s.name)]
        matches = exact or [s for s in sweeps if s.sweep_id.startswith(spec)]
        if len(matches) == 1:
            return matches[0]
        known = ", ".join(f"{s.sweep_id} ({s.name})" for s in sweeps[-10:])
        what = "matches several sweeps" if matches else "is not a sweep in"
        raise StoreError(f"{spec!r} {what} {self.path}; latest sweeps: {known}")

    def header(self, sweep_id: str) -> dict:
        """The sweep header in the shape the report uses (as written to <stem>.env.json)."""
        row = self.db.execute("SELECT started_at, config, environment, total_s, finished_at, planned "
                              "FROM sweeps WHERE sweep_id=?", (sweep_id,)).fetchone()
        if row is None:
            raise StoreError(f"no sweep {sweep_id!r} in {self.path}")
        sessions = [
            {"session": s, "started_at": a, "finished_at": f, "environment": json.loads(e)}
            for s, a, f, e in self.db.execute(
                "SELECT session, started_at, finished_at, environment FROM sessions WHERE sweep_id=? ORDER BY session",
                (sweep_id,))
        ]
        header = {"sweep_id": sweep_id, "started_at": row[0], "config": json.loads(row[1]),
                  "environment": json.loads(row[2]), "finished_at": row[4], "planned": row[5],
                  "sessions": sessions}
        if row[3] is not None:
            header["total_s"] = row[3]
        return header

    def records(self, sweep_id: str) -> list[RunRecord]:
        rows = self.db.execute("SELECT record FROM runs WHERE sweep_id=? ORDER BY id", (sweep_id,))
        return [upgrade({"sweep_id": sweep_id, **json.loads(r[0])}) for r in rows]

    def done_keys(self, sweep_id: str) -> set[tuple]:
        """Planned measurements that already have a record (priming runs do not count)."""
        return {run_key(r) for r in self.records(sweep_id) if not r.get("priming")}

    def close(self) -> None:
        self.db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
