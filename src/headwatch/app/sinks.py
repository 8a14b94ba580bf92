"""A session's outputs, fed by one fan-out with one rule for failures.

Each look's record, each event and each status go to every sink (the record file, the event log,
the history, notifications, a hook, the preview, the status line). A sink whose write fails (a
full disk, a locked history, a window closed) is said once, in one line that says what goes on
without it, and dropped: the session and the other sinks carry on, and nothing already written
is lost.
"""

from __future__ import annotations

import datetime
import logging
import sqlite3
from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

from headwatch.errors import HeadwatchError
from headwatch.storage.recorder import SessionRecorder
from headwatch.storage.records import EventLog, RecordWriter
from headwatch.timeline.intervals import iso
from headwatch.timeline.session import Status
from headwatch.types import AlertEvent, EventKind, FrameRecord

log = logging.getLogger("headwatch")
Image = npt.NDArray[np.uint8]


class Sink(Protocol):
    """One output of a session. Every method may raise HeadwatchError or OSError (the fan-out says
    so and drops the sink)."""

    def record(self, record: FrameRecord, image: Image | None) -> None: ...

    def event(self, event: AlertEvent) -> None: ...

    def status(self, status: Status) -> None: ...

    def close(self) -> None: ...


class BaseSink:
    """A sink that takes nothing: subclasses take what they need."""

    def record(self, record: FrameRecord, image: Image | None) -> None:
        pass

    def event(self, event: AlertEvent) -> None:
        pass

    def status(self, status: Status) -> None:
        pass

    def close(self) -> None:
        pass


FAILURES: tuple[type[BaseException], ...] = (HeadwatchError, OSError, sqlite3.Error)


class Fanout:
    """Hands everything to every sink; ``going_on`` ends the line said when one fails
    ("monitoring goes on without it"). ``failed`` lists what failed, so a command can say its
    outputs are incomplete."""

    def __init__(self, sinks: Sequence[Sink], going_on: str) -> None:
        self._sinks = list(sinks)
        self._all = list(sinks)
        self.going_on = going_on
        self.failed: list[str] = []

    def add(self, sink: Sink) -> None:
        self._sinks.append(sink)
        self._all.append(sink)

    def record(self, record: FrameRecord, image: Image | None = None) -> None:
        self._each(lambda sink: sink.record(record, image))

    def event(self, event: AlertEvent) -> None:
        self._each(lambda sink: sink.event(event))

    def status(self, status: Status) -> None:
        self._each(lambda sink: sink.status(status))

    def close(self) -> None:
        """Close every sink, those that failed too (quietly: they were said already)."""
        for sink in self._all:
            try:
                sink.close()
            except FAILURES as exc:
                if sink in self._sinks:
                    self._fail(sink, exc)

    def _each(self, call: Callable[[Sink], None]) -> None:
        for sink in list(self._sinks):
            try:
                call(sink)
            except FAILURES as exc:
                self._fail(sink, exc)

    def _fail(self, sink: Sink, exc: BaseException) -> None:
        self._sinks.remove(sink)
        message = describe_failure(exc)
        self.failed.append(message)
        log.error(f"{message}; {self.going_on}")


def describe_failure(exc: BaseException) -> str:
    """An output's failure in one line, naming the file."""
    if isinstance(exc, HeadwatchError):
        return str(exc)
    if isinstance(exc, OSError):
        return f"{exc.filename or 'an output'}: cannot be written: {exc.strerror}"
    return str(exc)


class RecordSink(BaseSink):
    """--out: one record per look (metrics and verdict, never the image)."""

    def __init__(self, writer: RecordWriter) -> None:
        self.writer = writer

    def record(self, record: FrameRecord, image: Image | None) -> None:
        if self.writer.broken:  # failed for an earlier file of the run: said then
            return
        try:
            self.writer.write(record.to_json())
        except HeadwatchError:
            self.writer.broken = True
            raise


class EventStamp:
    """An event as every --events line carries it, from the monitor and from analyze alike: the
    source (``path``), the event, its wall-clock time (``at``: the session's start plus the
    event's time on the session's clock) and the history's session id (None when not recorded)."""

    def __init__(self, source: str, started: datetime.datetime,
                 session_id: Callable[[], int | None] = lambda: None) -> None:
        self.source = source
        self.started = started
        self.session_id = session_id

    def __call__(self, event: AlertEvent) -> dict[str, object]:
        return {"path": self.source, **event.to_json(),
                "at": iso(self.started + datetime.timedelta(seconds=event.t_s)), "session": self.session_id()}


class EventSink(BaseSink):
    """--events: every event as one JSON line, as it happens."""

    def __init__(self, log_file: EventLog, stamp: EventStamp) -> None:
        self.log_file = log_file
        self.stamp = stamp

    def event(self, event: AlertEvent) -> None:
        if self.log_file.broken:  # failed for an earlier file of the run: said then
            return
        try:
            self.log_file.write(self.stamp(event))
        except HeadwatchError:
            self.log_file.broken = True
            raise


class HistorySink(BaseSink):
    """The history database: the session's intervals and events, and in the end what its posture
    was judged against (as the last status said). Given a recorder, or how to start one: then the
    session is started by its first look or event (a video that cannot be read leaves none)."""

    def __init__(self, recorder: SessionRecorder | Callable[[], SessionRecorder]) -> None:
        self._recorder = recorder if isinstance(recorder, SessionRecorder) else None
        self._start = recorder if not isinstance(recorder, SessionRecorder) else None
        self.reference: str | None = None

    def _started(self) -> SessionRecorder:
        if self._recorder is None:
            assert self._start is not None
            self._recorder = self._start()
        return self._recorder

    def session_id(self) -> int | None:
        return self._recorder.session_id if self._recorder is not None else None

    def record(self, record: FrameRecord, image: Image | None) -> None:
        person = record.person
        self._started().sample(record.t_s, record.verdict, record.sample if person else None,
                               record.position if person else None, record.head_change_deg if person else None)

    def event(self, event: AlertEvent) -> None:
        self._started().event(event)

    def status(self, status: Status) -> None:
        if status.reference:
            self.reference = status.reference

    def close(self) -> None:
        if self._recorder is not None:
            self._recorder.close(self.reference)


class Notifying(Protocol):
    def notify(self, event: AlertEvent) -> None: ...


class NotifySink(BaseSink):
    """Desktop or terminal notifications: alerts and reminders, not the monitor's own doings (a
    pause, a set-up change), and nothing while ``snoozed()``."""

    QUIET = frozenset({EventKind.PAUSED, EventKind.RESUMED, EventKind.SETUP_CHANGED, EventKind.CAMERA_IN_USE,
                       EventKind.CAMERA_FREE, EventKind.SESSION_AWAY, EventKind.SESSION_BACK})

    def __init__(self, notifier: Notifying, snoozed: Callable[[], bool] = lambda: False) -> None:
        self.notifier = notifier
        self.snoozed = snoozed

    def event(self, event: AlertEvent) -> None:
        if event.kind not in self.QUIET and not self.snoozed():
            self.notifier.notify(event)


class HookSink(BaseSink):
    """--on-alert: every event to the user's command."""

    def __init__(self, hook: Notifying) -> None:
        self.hook = hook

    def event(self, event: AlertEvent) -> None:
        self.hook.notify(event)


class StatusSink(BaseSink):
    """The terminal's status line."""

    def __init__(self, show: Callable[[Status], None]) -> None:
        self.show = show

    def status(self, status: Status) -> None:
        self.show(status)
