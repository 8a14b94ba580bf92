"""The monitor's history: one session in the database, its intervals committed as they close and
its events as they happen. Failures to write never stop the monitor: the first one is reported
and recording stops."""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict
from functools import partial
from pathlib import Path

from headwatch.config.settings import Settings
from headwatch.errors import HeadwatchError
from headwatch.storage.history import History
from headwatch.timeline.intervals import IntervalAggregator, iso, now_local
from headwatch.timeline.presence import MIN_GAP_S
from headwatch.timeline.session import Status
from headwatch.types import AlertEvent, PostureSample, Verdict


def history_path(configured: str) -> Path:
    """The configured file, or history.sqlite in the user data folder."""
    if configured:
        return Path(configured).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("headwatch", appauthor=False)) / "history.sqlite"


def settings_hash(settings: Settings) -> str:
    """A short fingerprint of every setting, so sessions recorded under other settings can be told apart."""
    return hashlib.sha256(json.dumps(asdict(settings), sort_keys=True).encode()).hexdigest()[:12]


class SessionRecorder:
    """Feed it the monitor's statuses and events; ``close()`` ends the session."""

    def __init__(self, history: History, source: str, reference: str, settings: Settings,
                 on_error: Callable[[str], None], clock: Callable[[], datetime.datetime] = now_local,
                 max_gap_s: float = MIN_GAP_S) -> None:
        self.history = history
        self.on_error = on_error
        self.clock = clock
        self.started = clock()
        self.session_id: int | None = history.start_session(self.started, source, reference, settings_hash(settings))
        self.aggregator = IntervalAggregator(self.started, max_gap_s=max_gap_s)  # the session's presence clock cap

    def wall(self, t_s: float) -> datetime.datetime:
        return self.started + datetime.timedelta(seconds=t_s)

    def status(self, status: Status) -> None:
        if not status.note:  # a lost camera's retry notes are not samples
            self.sample(status.t_s, status.verdict, status.sample)

    def sample(self, t_s: float, verdict: Verdict, sample: PostureSample | None) -> None:
        if self.session_id is None:
            return
        for interval in self.aggregator.add(t_s, verdict, sample):
            self._guarded(partial(self.history.add_interval, self._id(), interval))
            if self.session_id is None:
                return

    def event(self, event: AlertEvent) -> None:
        if self.session_id is not None:
            self._guarded(lambda: self.history.add_event(self._id(), self.wall(event.t_s), event.kind.value,
                                                         [r.value for r in event.reasons], event.to_json()))

    def stamp(self, event: AlertEvent) -> dict[str, object]:
        """The event as the --events file writes it: with its wall-clock time and the session id."""
        return {**event.to_json(), "at": iso(self.wall(event.t_s)), "session": self.session_id}

    def close(self) -> None:
        if self.session_id is None:
            return
        last = self.aggregator.finish()
        if last is not None:
            self._guarded(lambda: self.history.add_interval(self._id(), last))
        self._guarded(lambda: self.history.end_session(self._id(), self.clock()))
        self.session_id = None

    def _id(self) -> int:
        assert self.session_id is not None
        return self.session_id

    def _guarded(self, write: Callable[[], None]) -> None:
        import sqlite3

        try:
            write()
        except (sqlite3.Error, OSError, HeadwatchError) as exc:
            self.on_error(f"{self.history.path}: cannot record the history ({exc}); monitoring goes on without it")
            self.session_id = None
