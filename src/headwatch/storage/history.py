"""The history database: sessions, per-interval aggregates and events in one SQLite file.

The standard library's sqlite3, in WAL mode with a busy timeout, so two monitors can record at
once and a reader never blocks a writer. Every interval is committed as it closes, so a crash or
SIGKILL loses at most the interval in progress. The schema carries a version (PRAGMA
user_version) and is migrated forward step by step; a file that is damaged or not headwatch's
is moved aside, never overwritten, and a new one is started.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import math
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from headwatch.errors import MALFORMED_DATA, HeadwatchError
from headwatch.files import PRIVATE_MODE, UnsafePath, make_private_folders, own_target
from headwatch.timeline.intervals import Interval, iso, now_local

SCHEMA_VERSION = 3
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
    # 2 -> 3: how long one position had been held when the interval closed (the report's habits);
    # 0 for intervals recorded before, which the report then does not count as holds
    """
    ALTER TABLE intervals ADD COLUMN held_s REAL NOT NULL DEFAULT 0;
    """,
)
assert len(_MIGRATIONS) == SCHEMA_VERSION


class HistoryError(HeadwatchError):
    """The history database cannot be used; the message says why and what was done."""


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
        self.skipped_rows = 0  # damaged rows the reading methods passed over

    @staticmethod
    def open(path: Path, clock: Callable[[], datetime.datetime] = now_local, *, read_only: bool = False) -> History:
        """Open the database, creating it (atomically: two processes starting at once get one file)
        and migrating it when writing.

        Only a file that is provably headwatch's (its application id) and provably damaged is moved
        aside, with its -wal and -shm, and a new one started. Anything else that cannot be used, a
        file of another program, a locked or read-only one, a full disk, raises HistoryError and
        leaves the file as it was. ``read_only`` (list, report, export) never changes the file.
        """
        if read_only:
            return History(_connect_read_only(path), path)
        # A link the user made is followed to its file (created there, 0600); one another user
        # planted, or one to their file, is refused: SQLite would create the target, -wal and -shm.
        # So is a plain file another user put there first (0666: they would read every row).
        try:
            target = own_target(path)
        except UnsafePath as exc:
            raise HistoryError(str(exc)) from None
        try:
            make_private_folders(target.parent)
        except OSError as exc:
            raise HistoryError(f"{path}: cannot create the history folder: {exc.strerror}") from None
        if not target.exists():
            _create(target)
        try:
            return History(_connect(target), path)
        except _Damaged:
            moved = target.with_name(f"{target.name}.damaged-{clock().strftime('%Y%m%d-%H%M%S')}")
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(FileNotFoundError):
                    Path(str(target) + suffix).replace(str(moved) + suffix)
            _create(target)
            return History(_connect(target), path, moved)

    def __enter__(self) -> History:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self.connection.close()

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """One transaction; a lock held too long, a read-only file or a full disk is a HistoryError
        that says so (callers go on without the history), never a traceback."""
        try:
            with self.connection:
                yield
        except sqlite3.OperationalError as exc:
            raise _explain(self.path, exc) from None

    # -- writing ---------------------------------------------------------------------------------

    def start_session(self, started: datetime.datetime, source: str, reference: str, settings_hash: str) -> int:
        with self._writing():
            cursor = self.connection.execute(
                "INSERT INTO sessions (started, source, reference, settings_hash) VALUES (?, ?, ?, ?)",
                (iso(started), source, reference, settings_hash))
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def add_interval(self, session_id: int, interval: Interval) -> None:
        with self._writing():  # one commit per interval: a crash loses at most the one in progress
            self.connection.execute(
                "INSERT INTO intervals (session_id, started, seconds, present_s, ok_s, bad_s, away_s, unknown_s,"
                " bad_by_reason, medians, samples, held_s) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (session_id, iso(interval.started), interval.seconds, interval.present_s, interval.ok_s,
                 interval.bad_s, interval.away_s, interval.unknown_s, json.dumps(dict(interval.bad_by_reason)),
                 json.dumps(dict(interval.medians)), interval.samples, interval.held_s))

    def add_event(self, session_id: int, at: datetime.datetime, kind: str, reasons: Sequence[str],
                  detail: Mapping[str, Any]) -> None:
        with self._writing():
            self.connection.execute("INSERT INTO events (session_id, at, kind, reasons, detail) VALUES (?, ?, ?, ?, ?)",
                                    (session_id, iso(at), kind, ",".join(reasons), json.dumps(dict(detail))))

    def end_session(self, session_id: int, ended: datetime.datetime, reference: str | None = None) -> None:
        """The session's end, and what its posture was judged against in the end (a session that
        never learned a reference stayed on the absolute limits, whatever it started with)."""
        with self._writing():
            self.connection.execute("UPDATE sessions SET ended = ?, reference = COALESCE(?, reference) WHERE id = ?",
                                    (iso(ended), reference, session_id))

    def prune(self, before: datetime.datetime, now: datetime.datetime | None = None) -> int:
        """Delete the sessions that started before ``before`` (with their intervals and events),
        but never one a monitor is still recording into: not ended, and written to within the
        last LIVE_S. Times are compared as instants (julianday), whatever their UTC offsets."""
        now = now or now_local()
        with self._writing():
            cursor = self.connection.execute(
                "DELETE FROM sessions WHERE julianday(started) < julianday(?) AND NOT (ended IS NULL AND"
                " julianday(COALESCE((SELECT MAX(started) FROM intervals WHERE session_id = sessions.id), started))"
                " > julianday(?))", (iso(before), iso(now - datetime.timedelta(seconds=LIVE_S))))
        return cursor.rowcount

    # -- reading ---------------------------------------------------------------------------------

    def sessions(self) -> list[SessionRow]:
        rows = self.connection.execute(
            "SELECT s.id, s.started, s.ended, s.source, s.reference,"
            " COALESCE(SUM(i.present_s), 0), COALESCE(SUM(i.ok_s), 0), COALESCE(SUM(i.bad_s), 0),"
            # An alert once, not each of its repeats (as the report counts them).
            " (SELECT COUNT(*) FROM events e WHERE e.session_id = s.id AND e.kind = 'bad_posture'"
            "  AND COALESCE(json_extract(e.detail, '$.repeat'), 0) = 0)"
            # In time order, not text order: stamps carry the offset that held (summer, winter).
            " FROM sessions s LEFT JOIN intervals i ON i.session_id = s.id GROUP BY s.id"
            " ORDER BY julianday(s.started), s.id")
        return [SessionRow(*row) for row in rows]

    def events(self, session_id: int | None = None) -> Iterator[dict[str, Any]]:
        def skipped() -> None:
            self.skipped_rows += 1

        return _events_of(self.connection, session_id, skipped)

    def session_span(self, session_id: int) -> tuple[str, str | None] | None:
        row = self.connection.execute("SELECT started, ended FROM sessions WHERE id = ?", (session_id,)).fetchone()
        return None if row is None else (row[0], row[1])

    def intervals(self, session_id: int | None = None) -> Iterator[dict[str, Any]]:
        query = "SELECT session_id, started, seconds, present_s, ok_s, bad_s, away_s, unknown_s, bad_by_reason," \
                " medians, samples, held_s FROM intervals"
        # By the index: in time order but where stamps carry different offsets (a clock change, a
        # trip), which the reports sort by instant themselves (a year's rows are not sorted here).
        rows = (self.connection.execute(query + " WHERE session_id = ? ORDER BY started", (session_id,))
                if session_id is not None else self.connection.execute(query + " ORDER BY started"))
        names = ("session_id", "started", "seconds", "present_s", "ok_s", "bad_s", "away_s", "unknown_s",
                 "bad_by_reason", "medians", "samples", "held_s")
        for row in rows:
            record = _interval_of(dict(zip(names, row, strict=True)))
            if record is None:
                self.skipped_rows += 1
                continue
            yield record


def _moment_text(value: Any) -> str:
    """An ISO time with its UTC offset, as the history writes them; ValueError otherwise."""
    moment = datetime.datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        raise ValueError("a time without its UTC offset")
    return str(value)


def _floats(value: Any) -> dict[str, float]:
    data = json.loads(value)
    if not isinstance(data, dict):
        raise ValueError("not a table")
    out = {str(k): float(v) for k, v in data.items()}
    if not all(math.isfinite(v) for v in out.values()):
        raise ValueError("not a finite number")
    return out


def _interval_of(record: dict[str, Any]) -> dict[str, Any] | None:
    """An interval row as reports take it, or None when the row is damaged (a hand edit, another
    program): a report goes on without it rather than failing on it."""
    try:
        record["started"] = _moment_text(record["started"])
        for name in ("seconds", "present_s", "ok_s", "bad_s", "away_s", "unknown_s", "held_s"):
            record[name] = float(record[name])
            if not math.isfinite(record[name]) or record[name] < 0:
                raise ValueError(name)
        record["bad_by_reason"] = _floats(record["bad_by_reason"])
        record["medians"] = _floats(record["medians"])
        record["samples"] = int(record["samples"] or 0)
    except MALFORMED_DATA:
        return None
    return record


def _events_of(connection: sqlite3.Connection, session_id: int | None,
               skipped: Callable[[], None] = lambda: None) -> Iterator[dict[str, Any]]:
    query = "SELECT session_id, at, kind, reasons, detail FROM events"
    rows = (connection.execute(query + " WHERE session_id = ? ORDER BY at", (session_id,))
            if session_id is not None else connection.execute(query + " ORDER BY at"))
    for session, at, kind, reasons, detail in rows:
        try:
            event = {"session_id": session, "at": _moment_text(at), "kind": str(kind),
                     "reasons": [r for r in str(reasons).split(",") if r], "detail": json.loads(detail)}
            if not isinstance(event["detail"], dict):
                raise ValueError("not a table")
        except MALFORMED_DATA:
            skipped()
            continue
        yield event


class _Damaged(Exception):
    """The file is headwatch's history and SQLite says it is damaged."""


# A session not ended and written to within this long is being recorded into: prune leaves it.
# (The monitor commits an interval every 10 s; an hour is long past a suspended laptop's doze.)
LIVE_S = 3600.0
# How long a locked history is waited for before giving up with a message.
BUSY_TIMEOUT_S = 5.0


def _explain(path: Path, exc: sqlite3.Error) -> HistoryError:
    """One line for an SQLite error that is not damage: what happened and what to do."""
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return HistoryError(f"{path}: the history is locked by another program (waited {BUSY_TIMEOUT_S:g} s); "
                            "try again when it is done")
    if "readonly" in text or "read-only" in text or "unable to open" in text or "permission" in text:
        return HistoryError(f"{path}: the history cannot be written (read-only file or folder); fix its "
                            "permissions or use another file with --history")
    if "full" in text:
        return HistoryError(f"{path}: the disk is full; free some space")
    return HistoryError(f"{path}: the history cannot be used: {exc}")


def _check_owner(connection: sqlite3.Connection, path: Path) -> int:
    """The file's schema version, after making sure it is headwatch's (or new and empty)."""
    try:
        application_id = connection.execute("PRAGMA application_id").fetchone()[0]
        version = int(connection.execute("PRAGMA user_version").fetchone()[0])
        tables = connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        if isinstance(exc, sqlite3.OperationalError):
            raise _explain(path, exc) from None
        raise HistoryError(f"{path}: not a headwatch history (not a database at all); it was left as it is: "
                           "use another file with --history") from None
    if application_id != _APPLICATION_ID and (tables or version):
        raise HistoryError(f"{path}: not a headwatch history (another program's database); it was left as it "
                           "is: use another file with --history")
    if version > SCHEMA_VERSION:
        raise HistoryError(f"{path}: the history was written by a newer headwatch (schema {version}, this one "
                           f"reads {SCHEMA_VERSION}): upgrade headwatch, or use another file with --history")
    return version


def _create(path: Path) -> None:
    """A new, complete history at ``path``, or nothing: built beside it and linked into place, so a
    second process creating it at the same moment finds either no file or a whole one."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.new")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
        os.close(descriptor)  # private from the start: the history says when you sat how
        connection = sqlite3.connect(temporary)
        try:
            with connection:
                connection.execute(f"PRAGMA application_id = {_APPLICATION_ID}")
            _migrate(connection, 0)
            connection.execute("PRAGMA journal_mode = WAL")
        finally:
            connection.close()
        try:
            os.link(temporary, path)  # fails if the file appeared meanwhile: then that one is used
        except FileExistsError:
            pass
        except OSError:  # a file system without hard links
            if not path.exists():
                os.replace(temporary, path)
    except sqlite3.Error as exc:
        raise _explain(path, exc) from None
    except OSError as exc:
        raise HistoryError(f"{path}: cannot create the history: {exc.strerror}") from None
    finally:
        for suffix in ("", "-wal", "-shm", "-journal"):
            with contextlib.suppress(OSError):
                os.unlink(str(temporary) + suffix)


def _migrate(connection: sqlite3.Connection, version: int) -> None:
    for step in range(version, SCHEMA_VERSION):
        with connection:
            connection.executescript(_MIGRATIONS[step])
            connection.execute(f"PRAGMA user_version = {step + 1}")
            connection.execute(f"PRAGMA application_id = {_APPLICATION_ID}")


def _connect(path: Path) -> sqlite3.Connection:
    """Connect for writing, check the file is headwatch's, and bring its schema up to date."""
    try:
        connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S)  # two monitors may share the file
    except sqlite3.Error as exc:
        raise _explain(path, exc) from None
    try:
        version = _check_owner(connection, path)
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA foreign_keys = ON")
        _migrate(connection, version)
        if connection.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise _Damaged
    except sqlite3.OperationalError as exc:
        connection.close()
        raise _explain(path, exc) from None
    except sqlite3.DatabaseError:
        damaged = _provably_ours(path)
        connection.close()
        if damaged:
            raise _Damaged from None
        raise HistoryError(f"{path}: the history cannot be read; it was left as it is") from None
    except (HistoryError, _Damaged):
        connection.close()
        raise
    return connection


def _provably_ours(path: Path) -> bool:
    """Whether the file's header carries headwatch's application id (bytes 68-71 of an SQLite file)."""
    try:
        with path.open("rb") as handle:
            header = handle.read(100)
    except OSError:
        return False
    return header.startswith(b"SQLite format 3\x00") and int.from_bytes(header[68:72], "big") == _APPLICATION_ID


def _connect_read_only(path: Path) -> sqlite3.Connection:
    """Connect without writing anything: no migration, no journal mode, nothing moved aside."""
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S)
    except sqlite3.Error as exc:
        raise _explain(path, exc) from None
    try:
        version = _check_owner(connection, path)
        if version < SCHEMA_VERSION:
            raise HistoryError(f"{path}: the history has an older layout (schema {version}): run `headwatch "
                               "monitor` or `analyze --history` once to bring it up to date")
        if connection.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise HistoryError(f"{path}: the history is damaged; the next `headwatch monitor` moves it aside and "
                               "starts a new one")
    except sqlite3.DatabaseError as exc:
        connection.close()
        if isinstance(exc, sqlite3.OperationalError):
            raise _explain(path, exc) from None
        raise HistoryError(f"{path}: the history is damaged; it was left as it is") from None
    except HistoryError:
        connection.close()
        raise
    return connection
