"""What a desktop front end (the tray menu, a notification's buttons) asks of a monitor running in
the same process, and what it is told back: the state to show.

``MonitorControls`` may be called from any thread (Qt's, the notifier's); the monitor's loop takes
the commands between looks, as it takes `headwatch pause` from another terminal.
"""

from __future__ import annotations

import datetime
import queue
import time
from collections.abc import Callable

from headwatch.app.sinks import BaseSink
from headwatch.report.status import DESK_COLOURS as DESK_COLOURS  # for the front ends
from headwatch.report.status import DeskState as DeskState  # for the front ends
from headwatch.report.status import desk_state
from headwatch.system.control import Command
from headwatch.timeline.session import Status

# The commands beside the control channel's pause and resume.
SNOOZE, UPRIGHT, STOP = "snooze", "upright", "stop"


def seconds_until_tomorrow(now: datetime.datetime | None = None, hour: int = 6) -> float:
    """From now to ``hour`` o'clock tomorrow, local time: "pause until tomorrow"."""
    now = now or datetime.datetime.now().astimezone()
    tomorrow = (now + datetime.timedelta(days=1)).replace(hour=hour, minute=0, second=0, microsecond=0)
    return (tomorrow - now).total_seconds()


class MonitorControls:
    """Thread-safe requests to the running monitor."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Command] = queue.SimpleQueue()

    def _put(self, action: str, seconds: float | None = None) -> None:
        self._queue.put(Command(action, seconds, time.time()))

    def pause(self, seconds: float | None = None) -> None:
        self._put("pause", seconds)

    def resume(self) -> None:
        self._put("resume")

    def snooze(self) -> None:
        self._put(SNOOZE)

    def upright_now(self) -> None:
        """Re-learn the reference from the last seconds: the person says they sit upright."""
        self._put(UPRIGHT)

    def stop(self) -> None:
        self._put(STOP)

    def take(self) -> Command | None:
        try:
            return self._queue.get_nowait()
        except queue.Empty:
            return None


class DeskSink(BaseSink):
    """Tells a front end the state to show: after each look, and each second of a pause."""

    def __init__(self, show: Callable[[DeskState], None], snoozed: Callable[[], bool]) -> None:
        self.show = show
        self.snoozed = snoozed

    def status(self, status: Status) -> None:
        self.show(desk_state(status, snoozed=self.snoozed()))
