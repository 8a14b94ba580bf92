"""The monitor use case: watch a camera, a stream or a video file through one posture session,
with its outputs (status line, notifications, hook, history, record and event files, preview)
fanned out under one failure rule, pause and resume from the keys and the control channel.

    from headwatch.app.live import MonitorRequest, run_monitor
    result = run_monitor(MonitorRequest(settings, ReferenceChoice("auto"), source="0"))
    print(result.text())
"""

from __future__ import annotations

import datetime
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from headwatch.app.assemble import (
    ReferenceChoice,
    alert_settings,
    posture_judge,
    sampling_policy,
    session_gap_s,
    still_check_s,
)
from headwatch.app.context import open_history, stay_offline
from headwatch.app.controls import SNOOZE, STOP, UPRIGHT, DeskSink, MonitorControls
from headwatch.app.session import PostureJudge, PostureSession
from headwatch.app.sinks import (
    BaseSink,
    EventSink,
    EventStamp,
    Fanout,
    HistorySink,
    HookSink,
    Image,
    NotifySink,
    RecordSink,
    StatusSink,
)
from headwatch.config.settings import Settings
from headwatch.errors import HeadwatchError, SourceError, UsageError, without_password
from headwatch.report.status import DeskState
from headwatch.storage.recorder import SessionRecorder
from headwatch.timeline.alerts import AlertEngine
from headwatch.timeline.intervals import now_local
from headwatch.timeline.session import SessionSummary
from headwatch.types import AlertEvent, EventKind, FrameRecord

if TYPE_CHECKING:
    from headwatch.app.monitor import Aside

log = logging.getLogger("headwatch")
GOING_ON = "monitoring goes on without it"
PAUSE_BUTTON_MIN = 15  # a notification's Pause button


@dataclass(frozen=True, slots=True)
class MonitorRequest:
    """What to watch and what to write; ``settings`` hold the rest (capture, alerts, notify, output)."""

    settings: Settings
    choice: ReferenceChoice
    source: str | None = None  # default: capture.source
    out: Path | None = None  # --out: one record per look
    preview: bool = False
    record_history: bool = True
    realtime: bool | None = None  # a video file paced like a camera (default) or as fast as it goes
    duration_s: float | None = None
    status_line: bool = True  # off with -q
    hint: str | None = None  # said once the source works
    # A desktop front end in this process (the tray): its requests, where the state goes, and a
    # preview window of its own (show(image), closed, close()) in place of OpenCV's.
    controls: MonitorControls | None = None
    show_state: Callable[[DeskState], None] | None = None
    preview_window: Any = None
    buttons: Mapping[str, Callable[[], None]] = field(default_factory=dict)  # more on alert notifications


@dataclass(frozen=True, slots=True)
class MonitorResult:
    summary: SessionSummary

    def text(self) -> str:
        from headwatch.report.status import format_summary

        return format_summary(self.summary)


def check_monitor_outputs(request: MonitorRequest) -> None:
    """A video file as the source is never written over by an output, and no two outputs share a
    file (UsageError, before anything is opened)."""
    from headwatch.storage.outputs import check_outputs
    from headwatch.storage.recorder import history_path
    from headwatch.storage.records import RECORD_SUFFIXES
    from headwatch.vision.sources import is_live

    settings, source = request.settings, request.source or request.settings.capture.source
    if request.out is not None and request.out.suffix.lower() not in RECORD_SUFFIXES:
        raise UsageError(f"--out {request.out}: the record file must end in .csv or .jsonl")
    events = settings.output.events
    if events and Path(events).suffix.lower() != ".jsonl":
        raise UsageError(f"--events {events}: the events file must end in .jsonl")
    try:
        check_outputs([] if is_live(source) else [Path(source)], {
            "--out": [request.out] if request.out is not None else [],
            "--events": [Path(events)] if events else [],
            "--history": [history_path(settings.output.history)] if request.record_history else []})
    except HeadwatchError as exc:
        raise UsageError(str(exc)) from None


def _recorder(settings: Settings, source: str, reference: str) -> SessionRecorder | None:
    """The session's history recorder, or None (with one line saying why) when it cannot be had."""
    try:
        history = open_history(settings)
    except HeadwatchError as exc:
        log.error(f"{exc}; monitoring without the history")
        return None
    try:  # a lock held for long, a read-only file or a full disk: monitor all the same
        if settings.output.retention_days > 0:
            history.prune(now_local() - datetime.timedelta(days=settings.output.retention_days))
        return SessionRecorder(history, without_password(source), reference, settings,
                               max_gap_s=session_gap_s(settings))
    except HeadwatchError as exc:
        history.close()
        log.error(f"{exc}; monitoring without the history")
        return None


def _judge(settings: Settings, choice: ReferenceChoice, source: str) -> PostureJudge:
    """The posture judge; a learned reference is stored per source (camera, stream or file), so
    the next session on it starts from it (once its first frames show the same set-up)."""
    from headwatch.storage.profiles import load_learned, profiles_dir, save_learned
    from headwatch.vision.sources import is_live

    folder = profiles_dir(settings.output.profiles_dir)
    key = source if is_live(source) else str(Path(source).resolve())
    warned = False

    def store(references: Any) -> None:
        nonlocal warned
        try:
            save_learned(folder, key, references)
        except HeadwatchError as exc:
            if not warned:  # monitoring goes on; the reference is learned again next time
                log.error(str(exc))
                warned = True

    return posture_judge(settings, choice, load_learned(folder, key), store)


class FramingCheck(BaseSink):
    """The first looks checked for framing (head and both shoulders in view, not too close or
    small, light enough): what most of them lacked is said once, as what to change."""

    LOOKS = 5

    def __init__(self) -> None:
        self.seen: list[list[str]] = []

    def record(self, record: FrameRecord, image: Image | None) -> None:
        if len(self.seen) >= self.LOOKS or image is None:
            return
        from headwatch.app.pipeline import framing_of
        from headwatch.posture.framing import lasting_problems

        self.seen.append(framing_of(record.pose, image))
        if len(self.seen) == self.LOOKS:
            lasting = lasting_problems(self.seen)
            if lasting:
                log.info("hint: framing: " + "; ".join(lasting))


class PreviewSink(BaseSink):
    """The preview window: every look drawn with its skeleton, angles, verdict and the alert,
    while the window ``wanted`` it (the tray's preview is drawn for only while it is open)."""

    def __init__(self, window: Any, draw: Callable[..., Any], alerting: Callable[[], bool],
                 on_closed: Callable[[], None]) -> None:
        self.window = window
        self.draw = draw
        self.alerting = alerting
        self.on_closed = on_closed

    def record(self, record: FrameRecord, image: Image | None) -> None:
        if image is None or not self.window.wanted:
            return
        self.window.show(self.draw(image, record.pose, record.sample if record.person else None, record.verdict,
                                   self.alerting()))
        if self.window.closed:
            self.on_closed()

    def close(self) -> None:
        self.window.close()


class PauseMark(BaseSink):
    """Marks this monitor paused in the control channel while it is, for `headwatch resume`."""

    def __init__(self, channel: Any) -> None:
        self.channel = channel

    def event(self, event: AlertEvent) -> None:
        if event.kind in (EventKind.PAUSED, EventKind.RESUMED):
            self.channel.mark_paused(event.kind is EventKind.PAUSED)


class _Snooze:
    """`s` in the terminal: no notifications for notify.snooze_min. A status line on a terminal
    shows it (a line of its own would be glued onto the status line); elsewhere it is said."""

    def __init__(self, minutes: float, said: Callable[[], bool]) -> None:
        self.minutes = minutes
        self.said = said
        self.until = 0.0

    def start(self) -> None:
        self.until = time.monotonic() + self.minutes * 60.0
        if not self.said():
            log.info(f"notifications snoozed for {self.minutes:g} min")

    def left_s(self) -> float:
        return max(0.0, self.until - time.monotonic())

    def active(self) -> bool:
        return self.left_s() > 0


def run_monitor(request: MonitorRequest) -> MonitorResult:
    """Watch until the source ends, ``duration_s`` passes, or a stop (Ctrl-C, SIGTERM, the preview
    closed). Raises HeadwatchError when the source or the model cannot be opened (nothing is
    written then); every later failure of an output is one line, and monitoring goes on."""
    from headwatch.app.analysis import open_source
    from headwatch.report.status import StatusLine
    from headwatch.storage.records import EventLog, RecordWriter, record_columns
    from headwatch.system.control import Command, ControlChannel
    from headwatch.system.keys import TerminalKeys
    from headwatch.system.notify import BackgroundNotifier, HookProcess, make_notifier
    from headwatch.vision.camera_motion import CameraTracker
    from headwatch.vision.pose import PoseEstimator
    from headwatch.vision.sources import is_live, machine_slept_s, sleep_counting_clock
    from headwatch.vision.stillness import still_gate

    settings = request.settings
    source = request.source or settings.capture.source
    check_monitor_outputs(request)
    # The hooks' runner first: started before the guard, it keeps the network for them.
    hook = HookProcess(settings.notify.on_alert) if settings.notify.on_alert else None
    stay_offline(source)
    snooze = _Snooze(settings.notify.snooze_min, lambda: status_line.enabled and status_line.interactive)
    status_line = StatusLine(enabled=request.status_line, snoozed_s=snooze.left_s)
    with ExitStack() as stack:
        try:
            reader = stack.enter_context(open_source(source))
        except SourceError as exc:
            raise SourceError(busy_camera_line(source) or f"{exc}{demo_hint(source, exc)}") from None
        detector = stack.enter_context(PoseEstimator(settings.capture.model, mode="video"))
        outputs = Fanout([StatusSink(status_line)], GOING_ON)
        stack.callback(outputs.close)  # also on an error: the session ends, what it wrote kept
        event_log = EventLog(Path(settings.output.events)) if settings.output.events else None
        if event_log is not None:
            stack.callback(event_log.close)
        writer = stack.enter_context(RecordWriter(request.out, record_columns())) if request.out is not None else None
        if request.hint:  # only once the source and the files work, so a failed start stays one line
            log.info(request.hint)
        recorder = _recorder(settings, source, request.choice.describe()) if request.record_history else None
        if event_log is not None:
            stamp = EventStamp(without_password(source), recorder.started if recorder is not None else now_local(),
                               (lambda: recorder.session_id) if recorder is not None else (lambda: None))
            outputs.add(EventSink(event_log, stamp))
        if writer is not None:
            outputs.add(RecordSink(writer))
        if recorder is not None:
            outputs.add(HistorySink(recorder))
        controls = request.controls or MonitorControls()
        buttons = {f"Snooze {settings.notify.snooze_min:g} min": controls.snooze,
                   f"Pause {PAUSE_BUTTON_MIN} min": lambda: controls.pause(PAUSE_BUTTON_MIN * 60.0),
                   **request.buttons}
        # A hung notification daemon must not stall the monitor: delivered from a thread of its own.
        notifier = BackgroundNotifier(make_notifier(settings.notify.mode, buttons))
        stack.callback(notifier.close)
        outputs.add(NotifySink(notifier, snooze.active))
        if request.show_state is not None:
            outputs.add(DeskSink(request.show_state, snooze.active))
        if hook is not None:
            outputs.add(HookSink(hook))
        keys = TerminalKeys()
        stack.callback(keys.close)
        if keys.active and request.status_line:
            log.info("keys: p pause/resume, s snooze notifications, u I'm sitting upright (re-learn), Ctrl-C stop "
                     "(with the summary)")
        try:
            channel: ControlChannel | None = ControlChannel()
        except (OSError, HeadwatchError) as exc:  # no usable runtime folder: monitoring works, pause/resume do not
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            log.error(f"cannot set up `headwatch pause`/`resume` ({reason}); monitoring without them")
            channel = None
        if channel is not None:
            stack.callback(channel.close)
            outputs.add(PauseMark(channel))
        judge = _judge(settings, request.choice, source)
        session = PostureSession(source, judge, AlertEngine(alert_settings(settings)), outputs,
                                 policy=sampling_policy(settings))
        def control() -> Command | None:
            """The keys (p pauses and resumes, s snoozes notifications, u re-learns), the front end's requests and
            the channel's: pause and resume go to the loop, the rest is done here."""
            key = keys.get()
            if key == "p":
                return Command("resume" if loop.paused else "pause", None, time.time())
            if key == "s":
                snooze.start()
            if key == "u":
                controls.upright_now()
            command = controls.take() or (channel.poll() if channel is not None else None)
            if command is not None and command.action == SNOOZE:
                snooze.start()
            elif command is not None and command.action == UPRIGHT:
                log.info(session.judge.upright_now(loop.last_t))
            elif command is not None and command.action == STOP:
                loop.stop()
            else:
                return command
            return None

        from headwatch.app.monitor import Monitor

        loop = Monitor(reader, detector, session=session, clock=sleep_counting_clock(), slept=machine_slept_s(),
                       realtime=is_live(source) or request.realtime is not False, duration_s=request.duration_s,
                       control=control, camera=CameraTracker(), gate=still_gate(still_check_s(settings)),
                       step_aside=_asides(stack, source, settings))
        outputs.add(FramingCheck())
        if request.preview_window is not None:
            from headwatch.vision.overlay import draw

            outputs.add(PreviewSink(request.preview_window, draw, lambda: session.engine.in_bad_posture, lambda: None))
        elif request.preview:
            _add_preview(outputs, session, loop.stop, controls)
        stack.enter_context(_stopping_on_signals(loop.stop))
        try:
            summary = loop.run()
        except KeyboardInterrupt:  # a second Ctrl-C while a frame was being processed
            summary = loop.summary
        status_line.finish()
        if hook is not None:
            hook.wait()
        if writer is not None and not writer.broken:
            log.info(f"headwatch: wrote {writer.written} records to {writer.path}")
    return MonitorResult(summary)


def busy_camera_line(source: str) -> str | None:
    """For a camera that would not open: the line naming the program that holds it, where one does
    (Linux), None otherwise."""
    from headwatch.system.camera_users import camera_device, users_of

    device = camera_device(source)
    holders = users_of(device) if device is not None and device.exists() else []
    if not holders:
        return None
    names = ", ".join(dict.fromkeys(f"{user.name} (pid {user.pid})" for user in holders))
    return (f"camera {source} is in use by {names}: start headwatch when it is done, or choose another camera "
            "with --source N (a running monitor steps aside for a video call by itself)")


def _asides(stack: ExitStack, source: str, settings: Settings) -> Callable[[], Aside | None] | None:
    """What makes a live camera let go for a while, where it can be told: another program using
    it (system.camera_users), and a locked screen or a sleeping machine (system.session_watch)."""
    from headwatch.app.monitor import camera_in_use, session_away
    from headwatch.system.camera_users import CameraSharing, camera_device
    from headwatch.vision.sources import is_live

    if not is_live(source) or "://" in source:
        return None
    asks: list[Callable[[], Aside | None]] = []
    if settings.capture.release_when_locked:
        from headwatch.system.session_watch import SessionWatch

        watch = SessionWatch()
        stack.callback(watch.close)
        asks.append(lambda: session_away(watch.away()))
    device = camera_device(source)
    if device is not None and settings.capture.share_camera:
        sharing = CameraSharing(device)
        stack.callback(sharing.close)
        asks.append(lambda: camera_in_use(other) if (other := sharing.other()) else None)
    if not asks:
        return None
    return lambda: next((aside for ask in asks if (aside := ask()) is not None), None)


@contextmanager
def _stopping_on_signals(stop: Callable[[], None]) -> Iterator[None]:
    """Ctrl-C and SIGTERM end the session after the current look (its summary printed, its files
    whole); the handlers before are put back after. Only the main thread can take signals."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    for signum in before:
        signal.signal(signum, lambda *_: stop())
    try:
        yield
    finally:
        for signum, handler in before.items():
            signal.signal(signum, handler)


def demo_clip() -> Path | None:
    """The bundled demo (a rendered person who sits upright, slouches and sits up again), where a
    source checkout or an editable install has it."""
    path = Path(__file__).resolve().parents[3] / "samples" / "demo_slouch.mp4"
    return path if path.is_file() else None


def demo_hint(source: str, error: Exception | None = None) -> str:
    """For a camera that is not there: how to see headwatch work without one (not for one that is
    there but busy: the demo is no answer to that)."""
    from headwatch.vision.sources import SourceBusy

    demo = demo_clip()
    if not source.isdigit() or demo is None or isinstance(error, SourceBusy):
        return ""
    return f"; without a camera, watch the demo: headwatch monitor --source {demo}"


def _add_preview(outputs: Fanout, session: PostureSession, stop: Callable[[], None],
                 controls: MonitorControls) -> None:
    from headwatch.system.display import display_available
    from headwatch.vision.overlay import PreviewWindow, draw

    if not display_available():
        log.warning("--preview: no display here (DISPLAY and WAYLAND_DISPLAY unset, or nothing answers there); "
                  "monitoring without the window")
        return
    keys = {"s": controls.snooze, "u": controls.upright_now}
    window = PreviewWindow(lambda key: keys.get(key, lambda: None)())
    outputs.add(PreviewSink(window, draw, lambda: session.engine.in_bad_posture, stop))
