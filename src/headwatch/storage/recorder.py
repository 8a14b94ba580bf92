"""The monitor's history: one session in the database, its intervals committed as they close and
its events as they happen. Failures to write never stop the monitor: the first one is reported
and recording stops."""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict
from functools import partial
from pathlib import Path
from typing import TypeVar

from headwatch.config.settings import Settings
from headwatch.errors import HeadwatchError
from headwatch.files import user_folder
from headwatch.storage.history import History
from headwatch.timeline.intervals import IntervalAggregator, in_local_time, now_local
from headwatch.timeline.presence import MIN_GAP_S
from headwatch.types import AlertEvent, PostureSample, Verdict

_T = TypeVar("_T")


def history_path(configured: str) -> Path:
    """The configured file, or history.sqlite in the user data folder."""
    if configured:
        return Path(configured).expanduser()
    return user_folder("data") / "history.sqlite"


def settings_hash(settings: Settings) -> str:
    """A short fingerprint of every setting, so sessions recorded under other settings can be told apart."""
    return hashlib.sha256(json.dumps(asdict(settings), sort_keys=True).encode()).hexdigest()[:12]


class SessionRecorder:
    """One session in the history: feed it the session's samples and events; ``close()`` ends it.

    A write that fails raises HeadwatchError naming the history (the session's fan-out says so
    once and records no more); ``close()`` still ends the session if it can.
    """

    def __init__(self, history: History, source: str, reference: str, settings: Settings,
                 clock: Callable[[], datetime.datetime] = now_local, max_gap_s: float = MIN_GAP_S) -> None:
        self.history = history
        self.clock = clock
        self.started = clock()
        self.session_id: int | None = self._guarded(
            lambda: history.start_session(self.started, source, reference, settings_hash(settings)))
        self.aggregator = IntervalAggregator(self.started, max_gap_s=max_gap_s,  # the session's presence clock cap
                                             still_tolerance=settings.reminders.still_tolerance,
                                             away_reset_s=settings.alerts.away_reset_s)  # as the reminder's hold

    def wall(self, t_s: float) -> datetime.datetime:
        return in_local_time(self.started + datetime.timedelta(seconds=t_s))

    def sample(self, t_s: float, verdict: Verdict, sample: PostureSample | None,
               position: Sequence[float] | None = None, head_change_deg: float | None = None) -> None:
        for interval in self.aggregator.add(t_s, verdict, sample, position, head_change_deg):
            self._guarded(partial(self.history.add_interval, self._id(), interval))

    def event(self, event: AlertEvent) -> None:
        self._guarded(lambda: self.history.add_event(self._id(), self.wall(event.t_s), event.kind.value,
                                                     [r.value for r in event.reasons], event.to_json()))

    def close(self, reference: str | None = None) -> None:
        """End the session; ``reference``: what it was judged against in the end."""
        if self.session_id is None:
            return
        last = self.aggregator.finish()
        try:
            if last is not None:
                self._guarded(lambda: self.history.add_interval(self._id(), last))
            self._guarded(lambda: self.history.end_session(self._id(), self.clock(), reference))
        finally:
            self.session_id = None

    def _id(self) -> int:
        assert self.session_id is not None
        return self.session_id

    def _guarded(self, write: Callable[[], _T]) -> _T:
        import sqlite3

        try:
            return write()
        except (sqlite3.Error, OSError) as exc:
            raise HeadwatchError(f"{self.history.path}: cannot record the history ({exc})") from None
