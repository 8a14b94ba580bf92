"""The headwatch command line: the one place that wires sources, pose, metrics and sinks.

Heavy modules (mediapipe, cv2, numpy) are imported inside the commands that use them, so
`headwatch --help` answers at once.
"""

from __future__ import annotations

import enum
import json
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from headwatch import __version__
from headwatch.errors import HeadwatchError

if TYPE_CHECKING:
    from headwatch.alerts import AlertSettings
    from headwatch.judge import Limits
    from headwatch.pipeline import Alert, FrameRecord, PoseDetector
    from headwatch.records import RecordWriter
    from headwatch.report import FileSummary
    from headwatch.sources import InputFile

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="headwatch: watches your posture through a webcam or in recorded videos, privately.",
    context_settings={"help_option_names": ["-h", "--help"]},
)

EXIT_OK, EXIT_INPUT_FAILED, EXIT_USAGE = 0, 1, 2

ModelOption = Annotated[
    str, typer.Option("--model", help="Pose model: 'lite', 'full' or the path of a .task file.")
]


BadForOption = Annotated[float, typer.Option(
    "--bad-for", min=1.0, help="Seconds a bad posture must persist before it alerts.")]


def _error(message: str) -> None:
    typer.echo(f"headwatch: error: {message}", err=True)


def _fail(message: str, code: int) -> NoReturn:
    _error(message)
    raise typer.Exit(code)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"headwatch {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """headwatch: watches your posture through a webcam or in recorded videos, privately."""


class _NoProgress:
    def __enter__(self) -> _NoProgress:
        return self

    def __exit__(self, *_: object) -> None:
        return None

    def update(self, _: int) -> None:
        return None


def _progress(length: int, label: str) -> Any:
    """A progress bar on an interactive terminal only (logs and pipes stay clean)."""
    if length < 2 or not sys.stderr.isatty():
        return _NoProgress()
    return typer.progressbar(length=length, label=label, file=sys.stderr)


def _record_columns() -> list[str]:
    from headwatch.types import METRIC_NAMES

    return ["path", "t_s", "frame", "person", "confidence", "verdict", "reasons", "view", "view_confidence",
            *METRIC_NAMES]


def _analyze_one(item: InputFile, fps: float, model: str, image_detector: PoseDetector,
                 writer: RecordWriter | None, limits: Limits, alert_settings: AlertSettings,
                 ) -> tuple[FileSummary, list[str]]:
    """Measure one file; returns its summary and the problems to report (already-measured
    records are written before any problem is raised, so nothing is lost)."""
    from headwatch.alerts import AlertEngine
    from headwatch.pipeline import measure_frames, replay_alerts
    from headwatch.pose import PoseEstimator
    from headwatch.report import summarize
    from headwatch.sources import open_video, read_image, sample_video

    records: list[FrameRecord] = []
    problems: list[str] = []

    def keep(record: FrameRecord) -> None:
        records.append(record)
        if writer is not None:
            writer.write(record.as_row())

    if item.kind == "image":
        frame = read_image(item.path)
        for record in measure_frames([frame], image_detector, str(item.path), limits):
            keep(record)
        duration = 0.0
        alerts: list[Alert] = []
    else:
        capture, info = open_video(item.path)
        try:
            expected = int(info.duration_s * min(fps, info.fps)) + 1 if info.frame_count else 0
            with PoseEstimator(model, mode="video") as detector, _progress(expected, item.path.name) as bar:
                for record in measure_frames(sample_video(capture, info, fps), detector, str(item.path), limits):
                    keep(record)
                    bar.update(1)
        finally:
            capture.release()
        if not records:
            raise HeadwatchError(f"{item.path}: cannot read the video: no frame could be decoded")
        read_s = records[-1].t_s + 1.0 / info.fps
        duration = info.duration_s or read_s
        if info.frame_count and records[-1].frame + max(2.0, info.fps) < info.frame_count - 1:
            problems.append(f"{item.path}: the video stops at {read_s:.1f} s of {info.duration_s:.1f} s; "
                            "the file looks truncated (analysed what could be read)")
        alerts, _ = replay_alerts(records, AlertEngine(alert_settings), end_s=read_s)
    if not any(r.person for r in records):
        problems.append(f"{item.path}: no person found; headwatch needs the head and shoulders in view")
    return summarize(str(item.path), item.kind, duration, records, alerts), problems


@app.command()
def analyze(
    paths: Annotated[list[Path], typer.Argument(help="Videos, photos, or folders of them (searched recursively).",
                                                show_default=False)],
    fps: Annotated[float, typer.Option(min=0.1, max=120.0, help="Frames per second sampled from videos.")] = 5.0,
    model: ModelOption = "full",
    out: Annotated[Path | None, typer.Option(
        "--out", dir_okay=False, help="Write one record per analysed frame to FILE.csv or FILE.jsonl.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document instead of the table.")] = False,
    bad_for: BadForOption = 30.0,
) -> None:
    """Measure posture in recorded videos and photos, and report per file.

    Exit codes: 0 all fine; 1 some input failed (the rest are still analysed and reported);
    2 usage error.
    """
    from headwatch.alerts import AlertSettings
    from headwatch.judge import DEFAULT_LIMITS
    from headwatch.pose import PoseEstimator
    from headwatch.records import RECORD_SUFFIXES, RecordWriter
    from headwatch.report import format_table
    from headwatch.sources import expand_inputs

    if out is not None and out.suffix.lower() not in RECORD_SUFFIXES:
        _fail(f"--out {out}: the record file must end in .csv or .jsonl", EXIT_USAGE)
    summaries: list[FileSummary] = []
    problems: list[str] = []
    try:
        with ExitStack() as stack:
            writer = stack.enter_context(RecordWriter(out, _record_columns())) if out is not None else None
            image_detector: PoseEstimator | None = None
            for item in expand_inputs(paths):
                if isinstance(item, HeadwatchError):
                    problems.append(str(item))
                    _error(str(item))
                    continue
                if image_detector is None:  # loads (and checks) the model once, only if needed
                    image_detector = stack.enter_context(PoseEstimator(model, mode="image"))
                try:
                    summary, file_problems = _analyze_one(item, fps, model, image_detector, writer,
                                                          DEFAULT_LIMITS, AlertSettings(bad_for_s=bad_for))
                    summaries.append(summary)
                except HeadwatchError as exc:
                    file_problems = [str(exc)]
                for problem in file_problems:
                    problems.append(problem)
                    _error(problem)
    except KeyboardInterrupt:
        _error("interrupted; the report below covers what was analysed so far")
        problems.append("interrupted")
    except HeadwatchError as exc:  # the model or the record file: nothing can be analysed
        _fail(str(exc), EXIT_INPUT_FAILED)
    if as_json:
        document: dict[str, Any] = {"files": [s.as_json() for s in summaries], "errors": problems}
        typer.echo(json.dumps(document, indent=2))
    elif summaries:
        typer.echo(format_table(summaries))
    raise typer.Exit(EXIT_INPUT_FAILED if problems else EXIT_OK)


class NotifyChoice(enum.StrEnum):
    DESKTOP = "desktop"
    TERMINAL = "terminal"
    NONE = "none"


NotifyOption = Annotated[NotifyChoice, typer.Option(
    "--notify", help="How alerts reach you: the desktop's notifications (terminal bell if there are none), "
         "the terminal only, or not at all.")]


@app.command()
def monitor(
    source: Annotated[str, typer.Option(
        "--source", help="A camera index (0 is the default camera), a video file, or a stream URL.")] = "0",
    fps: Annotated[float, typer.Option(min=0.2, max=60.0, help="Frames per second to look at while posture "
                                       "matters; lowered automatically while it is stable.")] = 5.0,
    model: ModelOption = "full",
    preview: Annotated[bool, typer.Option("--preview", help="Show a window with the skeleton and the angles.")] = False,
    notify: NotifyOption = NotifyChoice.DESKTOP,
    on_alert: Annotated[str | None, typer.Option(
        "--on-alert", help="A command to run on each event; it gets HEADWATCH_EVENT, HEADWATCH_REASONS, "
                           "HEADWATCH_MESSAGE, HEADWATCH_EVENT_JSON and more in its environment.")] = None,
    events: Annotated[Path | None, typer.Option(
        "--events", dir_okay=False, help="Append every event to this JSON Lines file as it happens.")] = None,
    realtime: Annotated[bool | None, typer.Option(
        "--realtime/--no-realtime", help="Pace a video file like a camera (the default), or run it as fast as "
                                         "possible.")] = None,
    duration: Annotated[float | None, typer.Option(min=0.0, help="Stop after this many seconds.")] = None,
    bad_for: BadForOption = 30.0,
) -> None:
    """Watch your posture live and alert when bad posture persists.

    Frames are never stored or sent anywhere; only the events you ask for are written.
    Stop with Ctrl-C: it prints the session summary.
    """
    import signal

    from headwatch.alerts import AlertEngine, AlertEvent, AlertSettings
    from headwatch.judge import DEFAULT_LIMITS
    from headwatch.monitor import FrameReader, Monitor, SamplingPolicy
    from headwatch.notify import CommandHook, make_notifier
    from headwatch.pose import PoseEstimator
    from headwatch.records import EventLog
    from headwatch.sources import LiveReader, VideoFileReader, is_live
    from headwatch.status import StatusLine, format_summary

    hook = CommandHook(on_alert) if on_alert else None
    status_line = StatusLine()
    with ExitStack() as stack:
        try:
            reader: FrameReader
            if is_live(source):
                import time

                live = LiveReader(source, time.monotonic)
                stack.callback(live.close)
                reader = live
            else:
                file_reader = VideoFileReader(Path(source))
                stack.callback(file_reader.close)
                reader = file_reader
            detector = stack.enter_context(PoseEstimator(model, mode="video"))
            log = EventLog(events) if events is not None else None
            if log is not None:
                stack.callback(log.close)
        except HeadwatchError as exc:
            _fail(str(exc), EXIT_INPUT_FAILED)
        notifier = make_notifier(notify.value)

        def on_event(event: AlertEvent) -> None:
            if log is not None:
                log.write(event.as_dict())
            notifier.notify(event)
            if hook is not None:
                hook.notify(event)

        on_frame = None
        if preview:
            from headwatch.overlay import PreviewWindow, draw

            window = PreviewWindow()
            stack.callback(window.close)

            def on_frame(frame: Any, pose: Any, sample: Any, verdict: Any) -> None:
                window.show(draw(frame.image, pose, sample, verdict))
                if window.closed:
                    loop.stop()

        loop = Monitor(reader, detector, DEFAULT_LIMITS, AlertEngine(AlertSettings(bad_for_s=bad_for)),
                       policy=SamplingPolicy(fps=fps), realtime=is_live(source) or realtime is not False,
                       duration_s=duration, on_status=status_line, on_event=on_event, on_frame=on_frame)
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


def main() -> None:
    app()
