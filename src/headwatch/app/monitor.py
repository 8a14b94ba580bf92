"""The live loop: read a frame when one is due and look at it through the session.

It depends on protocols only (a frame reader, a pose detector, the session's sinks), so the same
loop runs on a camera, a stream or a video file, and tests drive it with a file.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from headwatch.app.pipeline import CameraWatch, Observer, PoseDetector, StillWatch
from headwatch.app.session import PostureJudge, PostureSession
from headwatch.app.sinks import BaseSink, Fanout
from headwatch.errors import SourceError
from headwatch.report.status import duration_text
from headwatch.system.control import Command
from headwatch.timeline.alerts import AlertEngine
from headwatch.timeline.sampling import SamplingPolicy
from headwatch.timeline.session import SessionSummary, Status
from headwatch.types import AlertEvent, EventKind, Frame, State, Verdict
from headwatch.vision.sources import SourceLost

log = logging.getLogger("headwatch")


@dataclass(frozen=True, slots=True)
class Aside:
    """Why the camera is let go of for a while, and the events that begin and end it."""

    cause: str  # "zoom" (another program), "screen locked", "asleep"
    note: str  # the status line meanwhile
    began: EventKind
    ended: EventKind


def camera_in_use(program: str) -> Aside:
    return Aside(program, f"the camera is in use by {program}: headwatch steps aside and takes it again when it is "
                          "free", EventKind.CAMERA_IN_USE, EventKind.CAMERA_FREE)


def session_away(reason: str | None) -> Aside | None:
    """For a locked screen or a sleeping machine (``reason``): nobody to watch, the camera off."""
    if reason is None:
        return None
    return Aside(reason, f"{reason}: the camera is off until you are back", EventKind.SESSION_AWAY,
                 EventKind.SESSION_BACK)


CAMERA_CHECK_S = 1.0  # how often another program's wish for the camera is asked while it is held
CAMERA_FREE_CHECK_S = 0.5  # and, while it is left to another, whether it is free again
SLEPT_NOTICE_S = 5.0  # a sleep this long between two looks, unannounced, is an absence (a blink is not)


def pause_note(seconds: float | None, since_command_s: float, paused_s: float) -> str:
    """The status line during a pause: what is left of it, or how long it has lasted."""
    if seconds is not None:
        return f"paused, {duration_text(seconds - since_command_s)} left: `headwatch resume` to go on now"
    return f"paused for {duration_text(paused_s)}: `headwatch resume` to go on"


class FrameReader(Protocol):
    def next_frame(self, not_before_s: float) -> Frame | None: ...


@runtime_checkable
class Releasable(Protocol):
    """A camera that can let go of the device while paused (so its light goes off)."""

    def release(self) -> None: ...

    def reopen(self) -> None: ...


@runtime_checkable
class Reconnectable(Protocol):
    def reopen(self) -> None: ...

    def now_s(self) -> float: ...


class Monitor:
    """The live loop over a session: reads a frame when one is due (pacing a file like a camera),
    looks at it through ``session``, obeys pause and resume, and retries a lost camera.

    Built from a judge and an alert engine (the session is made here, its outputs the
    ``on_status``/``on_event`` callbacks), or from a ready ``session`` with its sinks.
    """

    def __init__(self, reader: FrameReader, detector: PoseDetector, judge: PostureJudge | None = None,
                 engine: AlertEngine | None = None, *,
                 session: PostureSession | None = None,
                 policy: SamplingPolicy | None = None, realtime: bool = False, duration_s: float | None = None,
                 on_status: Callable[[Status], None] = lambda _: None,
                 on_event: Callable[[AlertEvent], None] = lambda _: None,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], object] | None = None,
                 max_backoff_s: float = 30.0, control: Callable[[], Command | None] | None = None,
                 camera: CameraWatch | None = None, gate: StillWatch | None = None,
                 step_aside: Callable[[], Aside | None] | None = None,
                 slept: Callable[[], float] | None = None) -> None:
        self._callbacks = _Callbacks(on_status, on_event)
        if session is None:
            if judge is None or engine is None:
                raise TypeError("Monitor needs a session, or a judge and an alert engine")
            session = PostureSession("", judge, engine, Fanout([self._callbacks], "monitoring goes on without it"),
                                     policy=policy or SamplingPolicy())
        self.reader = reader
        # The camera watch (camera_motion.CameraTracker) tells a moved camera from a moved person;
        # with a gate (stillness.StillGate) the pose model rests while the picture holds still.
        self.observer = Observer(detector, camera, gate)
        self.session = session
        self.engine = session.engine
        self.realtime = realtime
        self.duration_s = duration_s
        self.clock = clock
        self._stopping = threading.Event()
        # Waiting on the stop event, not time.sleep: Ctrl-C ends a 30 s reconnect wait at once.
        self.sleep = sleep or self._stopping.wait
        self.max_backoff_s = max_backoff_s
        self.control = control  # polled for `headwatch pause` / `resume`
        # Asked every CAMERA_CHECK_S while the camera is held: whether to let go of it for a while
        # (another program wants it, the screen is locked, the machine sleeps), and why.
        self.step_aside = step_aside
        # How long the machine has slept so far (sources.machine_slept_s): a sleep between two
        # looks of a camera that no step_aside announced is an absence all the same.
        self.slept = slept
        self._slept_before = 0.0
        self._mark_slept()
        self._next_camera_check = 0.0
        self._stop = False
        self._last_t = 0.0
        self.paused = False  # inside a pause (the `p` key resumes then)
        self._deferred: Command | None = None  # a pause or resume asked while stepped aside: obeyed after

    @property
    def summary(self) -> SessionSummary:
        return self.session.summary

    @property
    def on_status(self) -> Callable[[Status], None]:
        """Where statuses go when the monitor made its own session (a program's loop, a test)."""
        return self._callbacks.on_status

    @on_status.setter
    def on_status(self, show: Callable[[Status], None]) -> None:
        self._callbacks.on_status = show

    @property
    def last_t(self) -> float:
        """The time of the latest look on the session's clock."""
        return self._last_t

    def stop(self) -> None:
        """Ask the loop to finish after the current sample (safe from a signal handler)."""
        self._stop = True
        self._stopping.set()

    def run(self) -> SessionSummary:
        wall_start = self.clock()
        due_s = 0.0
        last: tuple[float, State] | None = None
        while not self._stop:
            if self.duration_s is not None and due_s >= self.duration_s:
                break
            paused_s = self._obey_control()
            wall_start += paused_s  # a file paced like a camera picks up where it paused
            self.summary.paused_s += paused_s
            if self._stop or self._over():
                break
            if self.realtime:  # pace a file like a camera; a live source paces itself the same way
                aside_s = self._wait_until(self._due_at(wall_start, due_s))
                wall_start += aside_s
                self.summary.camera_off_s += aside_s
                if self._stop or self._over():
                    break
            try:
                frame = self.reader.next_frame(due_s)
            except SourceLost as lost:
                frame = self._recover(lost, last)
                if frame is None:
                    break
            if frame is None:
                break  # end of the file
            if self.duration_s is not None and frame.t_s >= self.duration_s:
                break
            state, interval_s = self._process(frame, last)
            last = (frame.t_s, state)
            due_s = frame.t_s + interval_s
        return self.summary

    def _over(self) -> bool:
        """The session's duration has run out on a camera's clock, which runs on while the camera
        is let go of or paused (a file's stands still: its end is read from its frames)."""
        return (self.duration_s is not None and isinstance(self.reader, Reconnectable)
                and self.reader.now_s() >= self.duration_s)

    def _due_at(self, wall_start: float, due_s: float) -> float:
        """The wall-clock time of the look due at ``due_s`` on the session's clock. A camera's clock
        is the wall clock since it opened: it runs on through the model's loading, a pause and a
        locked screen, so the wait is measured on it (from ``wall_start`` every wait was that much
        longer: after an hour's lock, a look an hour). A file's clock stands still meanwhile, so it
        is paced from ``wall_start``, which the pauses and the camera's absences move on."""
        if isinstance(self.reader, Reconnectable):
            return self.clock() + due_s - self.reader.now_s()
        return wall_start + due_s

    def _obey_control(self) -> float:
        """Pause when asked: the camera is released (its light goes off) and no frame is read until
        `headwatch resume`, the pause's end, or a stop. Returns how long it paused (s)."""
        command, self._deferred = self._deferred or (self.control() if self.control is not None else None), None
        if command is None or command.action != "pause":
            return 0.0
        began = started = self.clock()  # began: the whole pause; started: the latest command's
        paused_at = self.reader.now_s() if isinstance(self.reader, Reconnectable) else self._last_t
        now_s = paused_at
        self._emit(AlertEvent(EventKind.PAUSED, now_s, now_s))
        if isinstance(self.reader, Releasable):
            self.reader.release()
        self.paused = True
        shown = -1
        while not self._stop and not self._over():
            if command.seconds is not None and self.clock() - started >= command.seconds:
                break
            elapsed = int(self.clock() - began)
            if elapsed != shown:  # the countdown, once a second
                shown = elapsed
                note = pause_note(command.seconds, self.clock() - started, elapsed)
                self.session.outputs.status(Status(now_s, Verdict(State.UNKNOWN), None, self.engine.in_bad_posture,
                                                   0.0, 0.0, note=note, paused=True))
            self.sleep(0.25)
            later = self.control() if self.control is not None else None
            if later is not None and later.action == "resume":
                break
            if later is not None and later.action == "pause":
                command, started = later, self.clock()
        self.paused = False
        self.observer.forget()  # the first look after a pause runs the model
        paused_s = self.clock() - began  # a pause extended by a second `pause` counts whole
        if isinstance(self.reader, Releasable) and not self._stop and not self._over():
            # Gone meanwhile: the next read reports it lost, and the retries take over.
            with contextlib.suppress(SourceError):
                self.reader.reopen()
        now_s = self.reader.now_s() if isinstance(self.reader, Reconnectable) else self._last_t
        # From the pause to now on the session's clock (a file's stands still while paused), and
        # how long it lasted on the wall clock.
        self._emit(AlertEvent(EventKind.RESUMED, now_s, paused_at, values={"paused_s": paused_s}))
        self._mark_slept()  # a sleep inside it was its own
        return paused_s

    def _wait_until(self, deadline: float) -> float:
        """Sleep until ``deadline`` on the wall clock, stepping aside meanwhile when asked; returns
        how long the camera was let go of (s)."""
        aside_s = 0.0
        while not self._stop:
            if self.step_aside is not None and self.clock() >= self._next_camera_check:
                self._next_camera_check = self.clock() + CAMERA_CHECK_S
                aside = self.step_aside()
                if aside is not None:
                    stepped = self._stand_aside(aside)
                    aside_s += stepped
                    if isinstance(self.reader, Reconnectable):
                        break  # a camera's look is overdue by now: look at once
                    deadline += stepped  # a file's clock stood still
                    continue
            left = deadline - self.clock()
            if left <= 0:
                break
            self.sleep(min(left, CAMERA_CHECK_S) if self.step_aside is not None else left)
        return aside_s

    def _stand_aside(self, aside: Aside) -> float:
        """Release the camera while ``aside`` holds, and take it again after (or at a stop). The
        time between is not monitored: no sitting, no absence (the summary's camera off)."""
        began = self.clock()
        at_s = self.reader.now_s() if isinstance(self.reader, Reconnectable) else self._last_t
        self._emit(AlertEvent(aside.began, at_s, at_s, cause=aside.cause))
        if isinstance(self.reader, Releasable):
            self.reader.release()
        while not self._stop and self.step_aside is not None:
            self.session.outputs.status(Status(at_s, Verdict(State.UNKNOWN), None, self.engine.in_bad_posture,
                                               0.0, 0.0, note=aside.note))
            self.sleep(CAMERA_FREE_CHECK_S)
            # The controls still work (the tray's Quit, snooze); a pause waits for the camera's return.
            command = self.control() if self.control is not None else None
            if command is not None:
                self._deferred = command
            if self._stop or self._over() or self.step_aside() != aside:  # over, or another reason now
                break
        self.observer.forget()
        if isinstance(self.reader, Releasable) and not self._stop and not self._over():
            with contextlib.suppress(SourceError):  # gone meanwhile: the next read retries it
                self.reader.reopen()
        aside_s = self.clock() - began
        now_s = self.reader.now_s() if isinstance(self.reader, Reconnectable) else self._last_t
        self._emit(AlertEvent(aside.ended, now_s, at_s, cause=aside.cause, values={"aside_s": aside_s}))
        self._mark_slept()  # a sleep inside it was its own
        return aside_s

    def _emit(self, event: AlertEvent) -> None:
        self.session.happened(event)

    def _process(self, frame: Frame, last: tuple[float, State] | None) -> tuple[State, float]:
        """Look at one frame; returns its state and the wait until the next."""
        self._notice_sleep(frame.t_s)
        self._last_t = frame.t_s
        look = self.session.look(frame.t_s, frame.index, self.observer(frame), frame.image)
        return look.record.verdict.state, look.interval_s

    def _notice_sleep(self, t_s: float) -> None:
        """A sleep of SLEPT_NOTICE_S or more since the last look (or since a pause or an aside
        ended, which saw their own) that nobody announced: an absence from the last look to now,
        written as the announced ones are (session_away "asleep", session_back)."""
        if self.slept is None or not isinstance(self.reader, Reconnectable):
            return
        before = self._slept_before
        slept_s = self._mark_slept() - before
        if slept_s < SLEPT_NOTICE_S:
            return
        self._emit(AlertEvent(EventKind.SESSION_AWAY, self._last_t, self._last_t, cause="asleep"))
        self._emit(AlertEvent(EventKind.SESSION_BACK, t_s, self._last_t, cause="asleep", values={"aside_s": slept_s}))
        self.summary.camera_off_s += slept_s

    def _mark_slept(self) -> float:
        """How long the machine has slept so far, kept as the mark the next sleep is told from."""
        if self.slept is not None:
            self._slept_before = self.slept()
        return self._slept_before

    def _recover(self, lost: SourceLost, last: tuple[float, State] | None) -> Frame | None:
        """Retry a lost camera or stream with backoff until it answers, the time is up, or stop."""
        if not isinstance(self.reader, Reconnectable):
            return None
        reader: Reconnectable = self.reader
        backoff = 1.0
        # Said once, as a line of its own: the status line's note changes with every retry.
        log.warning(f"{lost}: monitoring waits (not counted as sitting or away) and opens it again, after 1, 2, "
                    f"4 ... up to {self.max_backoff_s:.0f} s")
        while not self._stop:
            now = reader.now_s()
            if self.duration_s is not None and now >= self.duration_s:
                return None
            self.session.outputs.status(Status(now, Verdict(State.UNKNOWN), None, self.engine.in_bad_posture, 0.0, 0.0,
                                  note=f"{lost}; retrying in {backoff:.0f} s"))
            self.sleep(backoff)
            try:
                reader.reopen()
                self.observer.forget()
                frame = self.reader.next_frame(reader.now_s())
                log.info("the source answers again: monitoring goes on")
                return frame
            except SourceError:
                backoff = min(backoff * 2.0, self.max_backoff_s)
        return None


class _Callbacks(BaseSink):
    """A session's outputs as two callbacks (a program's own loop, the tests)."""

    def __init__(self, on_status: Callable[[Status], None], on_event: Callable[[AlertEvent], None]) -> None:
        self.on_status = on_status
        self.on_event = on_event

    def status(self, status: Status) -> None:
        self.on_status(status)

    def event(self, event: AlertEvent) -> None:
        self.on_event(event)
