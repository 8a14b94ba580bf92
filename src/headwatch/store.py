"""The history database: sessions, per-interval aggregates and events in one SQLite file.

The standard library's sqlite3, in WAL mode with a busy timeout, so two monitors can record at
once and a reader never blocks a writer. Every interval is committed as it closes, so a crash or
SIGKILL loses at most the interval in progress. The schema carries a version (PRAGMA
user_version) and is migrated forward step by step; a file that is damaged or not headwatch's
is moved aside, never overwritten, and a new one is started.
"""

from __future__ import annotations

import datetime
import json
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from headwatch.errors import HeadwatchError

SCHEMA_VERSION = 2
_APPLICATION_ID = 0x68647774  # "hdwt": marks the file as headwatch's own

# Each step takes the database from version i to i + 1.
_MIGRATIONS: tuple[str, ...] = (
    # 0 -> 1: sessions, intervals, events
    """
    CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        started TEXT NOT NULL,          -- ISO 8601 with the local UTC offset
        ended TEXT,                     -- NULL while running (or after a crash)
        source TEXT NOT NULL,
        reference TEXT NOT NULL,        -- what posture was judged against
        settings_hash TEXT NOT NULL
    );
    CREATE TABLE intervals (
        session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        started TEXT NOT NULL,
        seconds REAL NOT NULL,
        present_s REAL NOT NULL,
        ok_s REAL NOT NULL,
        bad_s REAL NOT NULL,
        away_s REAL NOT NULL,
        unknown_s REAL NOT NULL,
        bad_by_reason TEXT NOT NULL,    -- JSON: reason -> seconds
        medians TEXT NOT NULL           -- JSON: metric -> median over the interval
    );
    CREATE INDEX intervals_by_time ON intervals(started);
    CREATE TABLE events (
        session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        reasons TEXT NOT NULL,          -- comma-separated
        detail TEXT NOT NULL            -- the event as JSON
    );
    CREATE INDEX events_by_time ON events(at);
    """,
    # 1 -> 2: the interval's sample count, for weighting medians across intervals
    """
    ALTER TABLE intervals ADD COLUMN samples INTEGER NOT NULL DEFAULT 0;
    """,
)
assert len(_MIGRATIONS) == SCHEMA_VERSION


class HistoryError(HeadwatchError):
    """The history database cannot be used; the message says why and what was done."""


def now_local() -> datetime.datetime:
    return datetime.datetime.now().astimezone()


def iso(moment: datetime.datetime) -> str:
    return moment.isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class Interval:
    """What happened in one stretch of a session (default 10 s)."""

    started: datetime.datetime
    seconds: float
    present_s: float
    ok_s: float
    bad_s: float
    away_s: float
    unknown_s: float
    bad_by_reason: Mapping[str, float]
    medians: Mapping[str, float]
    samples: int

    def to_json(self) -> dict[str, Any]:
        """The interval as a history row reads back (what reports take)."""
        return {"started": iso(self.started), "seconds": self.seconds, "present_s": self.present_s,
                "ok_s": self.ok_s, "bad_s": self.bad_s, "away_s": self.away_s, "unknown_s": self.unknown_s,
                "bad_by_reason": dict(self.bad_by_reason), "medians": dict(self.medians), "samples": self.samples}


@dataclass(frozen=True, slots=True)
class SessionRow:
    id: int
    started: str
    ended: str | None
    source: str
    reference: str
    monitored_s: float
    ok_s: float
    bad_s: float
    alerts: int


class History:
    """An open history database: ``with History.open(path) as history: ...``."""

    def __init__(self, connection: sqlite3.Connection, path: Path, moved_aside: Path | None = None) -> None:
        self.connection = connection
        self.path = path
        self.moved_aside = moved_aside  # where a damaged or foreign file went, if one did

    @staticmethod
    def open(path: Path, clock: Callable[[], datetime.datetime] = now_local) -> History:
        """Open (creating, migrating, or moving a bad file aside and starting anew) the database."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise HistoryError(f"{path}: cannot create the history folder: {exc.strerror}") from None
        moved: Path | None = None
        try:
            connection = _connect(path)
        except sqlite3.DatabaseError:
            moved = path.with_name(f"{path.name}.damaged-{clock().strftime('%Y%m%d-%H%M%S')}")
            path.replace(moved)
            for suffix in ("-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
            try:
                connection = _connect(path)
            except sqlite3.DatabaseError as exc:
                raise HistoryError(f"{path}: cannot create the history database: {exc}") from None
        return History(connection, path, moved)

    def __enter__(self) -> History:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self.connection.close()

    # -- writing ---------------------------------------------------------------------------------

    def start_session(self, started: datetime.datetime, source: str, reference: str, settings_hash: str) -> int:
        with self.connection:
            cursor = self.connection.execute(
                "INSERT INTO sessions (started, source, reference, settings_hash) VALUES (?, ?, ?, ?)",
                (iso(started), source, reference, settings_hash))
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def add_interval(self, session_id: int, interval: Interval) -> None:
        with self.connection:  # one commit per interval: a crash loses at most the one in progress
            self.connection.execute(
                "INSERT INTO intervals (session_id, started, seconds, present_s, ok_s, bad_s, away_s, unknown_s,"
                " bad_by_reason, medians, samples) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (session_id, iso(interval.started), interval.seconds, interval.present_s, interval.ok_s,
                 interval.bad_s, interval.away_s, interval.unknown_s, json.dumps(dict(interval.bad_by_reason)),
                 json.dumps(dict(interval.medians)), interval.samples))

    def add_event(self, session_id: int, at: datetime.datetime, kind: str, reasons: Sequence[str],
                  detail: Mapping[str, Any]) -> None:
        with self.connection:
            self.connection.execute("INSERT INTO events (session_id, at, kind, reasons, detail) VALUES (?, ?, ?, ?, ?)",
                                    (session_id, iso(at), kind, ",".join(reasons), json.dumps(dict(detail))))

    def end_session(self, session_id: int, ended: datetime.datetime) -> None:
        with self.connection:
            self.connection.execute("UPDATE sessions SET ended = ? WHERE id = ?", (iso(ended), session_id))

    def prune(self, before: datetime.datetime) -> int:
        """Delete the sessions that started before ``before`` (with their intervals and events)."""
        with self.connection:
            cursor = self.connection.execute("DELETE FROM sessions WHERE started < ?", (iso(before),))
        return cursor.rowcount

    # -- reading ---------------------------------------------------------------------------------

    def sessions(self) -> list[SessionRow]:
        rows = self.connection.execute(
            "SELECT s.id, s.started, s.ended, s.source, s.reference,"
            " COALESCE(SUM(i.present_s), 0), COALESCE(SUM(i.ok_s), 0), COALESCE(SUM(i.bad_s), 0),"
            " (SELECT COUNT(*) FROM events e WHERE e.session_id = s.id AND e.kind = 'bad_posture')"
            " FROM sessions s LEFT JOIN intervals i ON i.session_id = s.id GROUP BY s.id ORDER BY s.started")
        return [SessionRow(*row) for row in rows]

    def events(self, session_id: int | None = None) -> Iterator[dict[str, Any]]:
        return _events_of(self.connection, session_id)

    def session_span(self, session_id: int) -> tuple[str, str | None] | None:
        row = self.connection.execute("SELECT started, ended FROM sessions WHERE id = ?", (session_id,)).fetchone()
        return None if row is None else (row[0], row[1])

    def intervals(self, session_id: int | None = None) -> Iterator[dict[str, Any]]:
        query = "SELECT session_id, started, seconds, present_s, ok_s, bad_s, away_s, unknown_s, bad_by_reason," \
                " medians, samples FROM intervals"
        rows = (self.connection.execute(query + " WHERE session_id = ? ORDER BY started", (session_id,))
                if session_id is not None else self.connection.execute(query + " ORDER BY started"))
        names = ("session_id", "started", "seconds", "present_s", "ok_s", "bad_s", "away_s", "unknown_s",
                 "bad_by_reason", "medians", "samples")
        for row in rows:
            record = dict(zip(names, row, strict=True))
            record["bad_by_reason"] = json.loads(record["bad_by_reason"])
            record["medians"] = json.loads(record["medians"])
            yield record


def _events_of(connection: sqlite3.Connection, session_id: int | None) -> Iterator[dict[str, Any]]:
    query = "SELECT session_id, at, kind, reasons, detail FROM events"
    rows = (connection.execute(query + " WHERE session_id = ? ORDER BY at", (session_id,))
            if session_id is not None else connection.execute(query + " ORDER BY at"))
    for session, at, kind, reasons, detail in rows:
        yield {"session_id": session, "at": at, "kind": kind, "reasons": [r for r in reasons.split(",") if r],
               "detail": json.loads(detail)}


def _connect(path: Path) -> sqlite3.Connection:
    """Connect, check the file is headwatch's, and bring its schema up to date."""
    connection = sqlite3.connect(path, timeout=5.0)  # the busy timeout: two monitors may share the file
    try:
        application_id = connection.execute("PRAGMA application_id").fetchone()[0]
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        tables = connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if application_id != _APPLICATION_ID and (tables or version):
            raise sqlite3.DatabaseError("not a headwatch history database")
        if version > SCHEMA_VERSION:
            raise HistoryError(f"{path}: the history was written by a newer headwatch (schema {version}, this one "
                               f"reads {SCHEMA_VERSION}): upgrade headwatch, or use another file with --history")
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA foreign_keys = ON")
        for step in range(version, SCHEMA_VERSION):
            with connection:
                connection.executescript(_MIGRATIONS[step])
                connection.execute(f"PRAGMA user_version = {step + 1}")
                connection.execute(f"PRAGMA application_id = {_APPLICATION_ID}")
        if connection.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise sqlite3.DatabaseError("the file is damaged")
    except (sqlite3.DatabaseError, HistoryError):
        connection.close()
        raise
    return connection
