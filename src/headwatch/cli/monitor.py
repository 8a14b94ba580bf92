"""`headwatch monitor`: the live loop on a camera, stream or video file."""

from __future__ import annotations

import enum
import signal
import time
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from headwatch.cli.common import (
    EXIT_USAGE,
    BadForOption,
    ConfigOption,
    ModelOption,
    Output,
    ProfileOption,
    ReferenceOption,
    error,
    fail,
    load_settings,
    note,
    open_history,
    select_reference,
    stay_offline,
)
from headwatch.errors import HeadwatchError

if TYPE_CHECKING:
    from headwatch.app.assemble import ReferenceChoice
    from headwatch.app.monitor import PostureJudge
    from headwatch.config.settings import Settings
    from headwatch.storage.recorder import SessionRecorder
    from headwatch.timeline.session import Status


class NotifyChoice(enum.StrEnum):
    DESKTOP = "desktop"
    TERMINAL = "terminal"
    NONE = "none"


def _recorder(settings: Settings, source: str, reference: str) -> SessionRecorder | None:
    """The session's history recorder, or None (with one line saying why) when it cannot be had."""
    import datetime

    from headwatch.storage.history import HistoryError
    from headwatch.storage.recorder import SessionRecorder

    try:
        history = open_history(settings)
    except HistoryError as exc:
        error(f"{exc}; monitoring without the history")
        return None
    try:  # a lock held for long, a read-only file or a full disk: monitor all the same
        if settings.output.retention_days > 0:
            history.prune(datetime.datetime.now().astimezone()
                          - datetime.timedelta(days=settings.output.retention_days))
        return SessionRecorder(history, source, reference, settings, error)
    except HistoryError as exc:
        history.close()
        error(f"{exc}; monitoring without the history")
        return None


def _check_outputs(source: str, out: Path | None, settings: Settings, no_history: bool) -> None:
    """A video file as the source is never written over by an output, and no two outputs share a
    file (one line, exit 2, before anything is opened)."""
    from headwatch.storage.outputs import check_outputs
    from headwatch.storage.recorder import history_path
    from headwatch.vision.sources import is_live

    events = settings.output.events
    if events and Path(events).suffix.lower() != ".jsonl":
        fail(f"--events {events}: the events file must end in .jsonl", EXIT_USAGE)
    try:
        check_outputs([] if is_live(source) else [Path(source)], {
            "--out": [out] if out is not None else [], "--events": [Path(events)] if events else [],
            "--history": [] if no_history else [history_path(settings.output.history)]})
    except HeadwatchError as exc:
        fail(str(exc), EXIT_USAGE)


def _judge(settings: Settings, choice: ReferenceChoice, source: str) -> PostureJudge:
    """The posture judge; a learned reference is stored per source (camera, stream or file), so
    the next session on it starts from it (once its first frames show the same set-up)."""
    from headwatch.app.assemble import posture_judge
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
                error(str(exc))
                warned = True

    return posture_judge(settings, choice, load_learned(folder, key), store)


def monitor(
    source: Annotated[str | None, typer.Option(
        "--source", help="A camera index (0 is the default camera), a video file, or a stream URL. "
                         "(default: 0)")] = None,
    fps: Annotated[float | None, typer.Option(
        min=0.2, max=60.0, help="Frames per second while posture matters; lowered automatically while it is "
                                "stable. (default: 5)")] = None,
    model: ModelOption = None,
    preview: Annotated[bool, typer.Option("--preview", help="Show a window with the skeleton and the angles.")] = False,
    notify: Annotated[NotifyChoice | None, typer.Option(
        "--notify", help="How alerts reach you: the desktop's notifications (terminal bell if there are none), the "
                         "terminal only, or not at all. (default: desktop)")] = None,
    on_alert: Annotated[str | None, typer.Option(
        "--on-alert", help="A command to run on each event; it gets HEADWATCH_EVENT, HEADWATCH_REASONS, "
                           "HEADWATCH_MESSAGE, HEADWATCH_EVENT_JSON and more in its environment.")] = None,
    events: Annotated[Path | None, typer.Option(
        "--events", dir_okay=False, help="Append every event to this JSON Lines file as it happens.")] = None,
    history: Annotated[Path | None, typer.Option(
        "--history", dir_okay=False, help="Record the session into this history database. (default: "
                                          "output.history, else history.sqlite in the user data folder)")] = None,
    no_history: Annotated[bool, typer.Option("--no-history", help="Record nothing into the history.")] = False,
    out: Annotated[Path | None, typer.Option(
        "--out", dir_okay=False, help="Write one record per sample (metrics and verdict, never the image) to "
                                      "FILE.csv or FILE.jsonl, as analyze --out does.")] = None,
    realtime: Annotated[bool | None, typer.Option(
        "--realtime/--no-realtime", help="Pace a video file like a camera (the default), or run it as fast as "
                                         "possible.")] = None,
    duration: Annotated[float | None, typer.Option(min=0.0, help="Stop after this many seconds.")] = None,
    bad_for: BadForOption = None,
    config: ConfigOption = None,
    profile: ProfileOption = None,
    reference: ReferenceOption = None,
) -> None:
    """Watch your posture live and alert when bad posture persists.

    Frames are never stored or sent anywhere; only the events you ask for are written.
    Stop with Ctrl-C: it prints the session summary.
    """
    from headwatch.app.analysis import open_source
    from headwatch.app.assemble import alert_settings, sampling_policy
    from headwatch.app.monitor import Monitor
    from headwatch.report.status import StatusLine, format_summary
    from headwatch.storage.records import RECORD_SUFFIXES, EventLog, RecordWriter, record_columns
    from headwatch.system.control import Command, ControlChannel
    from headwatch.system.keys import TerminalKeys
    from headwatch.system.notify import BackgroundNotifier, DesktopNotifier, HookProcess, make_notifier
    from headwatch.timeline.alerts import AlertEngine
    from headwatch.types import AlertEvent, EventKind, FrameRecord, PostureSample
    from headwatch.vision.camera_motion import CameraTracker
    from headwatch.vision.pose import PoseEstimator
    from headwatch.vision.sources import is_live

    if out is not None and out.suffix.lower() not in RECORD_SUFFIXES:
        fail(f"--out {out}: the record file must end in .csv or .jsonl", EXIT_USAGE)
    settings = load_settings(config, {
        "capture.source": source, "capture.fps": fps, "capture.model": model, "alerts.bad_for_s": bad_for,
        "notify.mode": notify.value if notify is not None else None, "notify.on_alert": on_alert,
        "output.events": str(events) if events is not None else None,
        "output.history": str(history) if history is not None else None})
    choice, hint = select_reference(settings, reference, profile)
    source_spec = settings.capture.source
    _check_outputs(source_spec, out, settings, no_history)
    # The hooks' runner first: started before the guard, it keeps the network for them.
    hook = HookProcess(settings.notify.on_alert) if settings.notify.on_alert else None
    stay_offline(source_spec)
    status_line = StatusLine(enabled=not Output.quiet)
    with ExitStack() as stack:
        try:
            reader = stack.enter_context(open_source(source_spec))
            detector = stack.enter_context(PoseEstimator(settings.capture.model, mode="video"))
            log = EventLog(Path(settings.output.events)) if settings.output.events else None
            if log is not None:
                stack.callback(log.close)
            writer = stack.enter_context(RecordWriter(out, record_columns())) if out is not None else None
        except HeadwatchError as exc:
            fail(str(exc))
        if hint:  # only once the source works, so a failed start stays one line
            note(hint)
        chosen = make_notifier(settings.notify.mode)
        if isinstance(chosen, DesktopNotifier) and not chosen.available:
            note("note: no desktop notifications here (notify-send, osascript or PowerShell not found): alerts "
                 "show in this terminal")
        notifier = BackgroundNotifier(chosen)  # a hung notification daemon must not stall the monitor
        stack.callback(notifier.close)

        keys = TerminalKeys()
        stack.callback(keys.close)
        paused = False
        snoozed_until = 0.0
        recorder = None if no_history else _recorder(settings, source_spec, choice.describe())
        if recorder is not None:
            stack.callback(recorder.close)  # also on an error: the session ends, its intervals kept

        def on_status(status: Status) -> None:
            status_line(status)
            if recorder is not None:
                recorder.status(status)

        def on_event(event: AlertEvent) -> None:
            nonlocal log
            if recorder is not None:
                recorder.event(event)
            if log is not None:
                try:
                    log.write(recorder.stamp(event) if recorder is not None else event.to_json())
                except HeadwatchError as exc:  # a full disk: say so once, keep monitoring
                    error(f"{exc}; monitoring goes on without it")
                    log = None
            nonlocal paused
            if event.kind in (EventKind.PAUSED, EventKind.RESUMED):
                paused = event.kind is EventKind.PAUSED
            elif event.kind is EventKind.SETUP_CHANGED:
                pass  # the reference followed the camera or the seat: worth a record, never a notification
            elif time.monotonic() >= snoozed_until:  # a pause or a snooze you asked for yourself: no notification
                notifier.notify(event)
            if hook is not None:
                hook.notify(event)

        window = None
        if preview:
            from headwatch.vision.overlay import PreviewWindow, display_available, draw

            if display_available():
                window = PreviewWindow()
                stack.callback(window.close)
            else:
                error("--preview: no display here (DISPLAY and WAYLAND_DISPLAY unset, or nothing answers there); "
                      "monitoring without the window")

        def on_frame(frame: Any, pose: Any, sample: Any, verdict: Any) -> None:
            nonlocal writer
            if writer is not None:
                record = FrameRecord(source_spec, frame.t_s, frame.index, pose is not None,
                                     round(pose.confidence, 4) if pose is not None else None,
                                     sample or PostureSample(), verdict)
                try:
                    writer.write(record.to_json())
                except HeadwatchError as exc:  # a full disk: say so once, keep monitoring
                    error(f"{exc}; monitoring goes on without it")
                    writer = None
            if window is not None:
                window.show(draw(frame.image, pose, sample, verdict))
                if window.closed:
                    loop.stop()

        try:
            channel: ControlChannel | None = ControlChannel()
        except OSError as exc:  # no runtime folder: monitoring works, pause/resume do not
            error(f"cannot set up `headwatch pause`/`resume` ({exc.strerror}); monitoring without them")
            channel = None
        if channel is not None:
            stack.callback(channel.close)

        def control() -> Command | None:
            """The channel's commands, and the keys: p pauses and resumes, s snoozes notifications."""
            nonlocal snoozed_until
            key = keys.get()
            if key == "p":
                return Command("resume" if paused else "pause", None, time.time())
            if key == "s":
                snoozed_until = time.monotonic() + settings.notify.snooze_min * 60.0
                note(f"notifications snoozed for {settings.notify.snooze_min:g} min")
            return channel.poll() if channel is not None else None
        loop = Monitor(reader, detector, _judge(settings, choice, source_spec), AlertEngine(alert_settings(settings)),
                       policy=sampling_policy(settings), realtime=is_live(source_spec) or realtime is not False,
                       duration_s=duration, on_status=on_status, on_event=on_event,
                       on_frame=on_frame if writer is not None or window is not None else None,
                       control=control, camera=CameraTracker())
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: loop.stop())
        try:
            summary = loop.run()
        except KeyboardInterrupt:  # a second Ctrl-C while a frame was being processed
            summary = loop.summary
        status_line.finish()
        if hook is not None:
            hook.wait()
    typer.echo(format_summary(summary))
