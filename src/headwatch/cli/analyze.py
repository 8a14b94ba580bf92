"""`headwatch analyze`: recorded videos and photos to per-frame records and per-file reports."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from headwatch.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    BadForOption,
    ConfigOption,
    ModelOption,
    ProfileOption,
    ReferenceOption,
    error,
    fail,
    load_settings,
    select_reference,
    stay_offline,
)
from headwatch.errors import HeadwatchError

if TYPE_CHECKING:
    from headwatch.assemble import ReferenceChoice
    from headwatch.config import Settings
    from headwatch.judge import Limits
    from headwatch.pipeline import Alert, FrameRecord, PoseDetector
    from headwatch.records import RecordWriter
    from headwatch.report import FileSummary
    from headwatch.sources import InputFile


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


def record_columns() -> list[str]:
    from headwatch.types import METRIC_NAMES

    return ["path", "t_s", "frame", "person", "confidence", "verdict", "reasons", "view", "view_confidence",
            *METRIC_NAMES]


@dataclass(frozen=True, slots=True)
class VideoRecords:
    records: list[FrameRecord]
    duration_s: float  # as the container says, else as far as it could be read
    read_s: float  # how far it could be read
    problems: list[str]


def measure_video(path: Path, fps: float, model: str, limits: Limits,
                  on_record: Callable[[FrameRecord], None] | None = None) -> VideoRecords:
    """Every sampled frame of a video, judged; ``on_record`` sees each as it is measured.

    Raises HeadwatchError when not a single frame decodes; a file that stops early is a problem
    in the result (what could be read is kept)."""
    from headwatch.pipeline import measure_frames
    from headwatch.pose import PoseEstimator
    from headwatch.sources import VideoFileReader, sample_video

    records: list[FrameRecord] = []
    with VideoFileReader(path) as reader:
        info = reader.info
        expected = int(info.duration_s * min(fps, info.fps)) + 1 if info.frame_count else 0
        with PoseEstimator(model, mode="video") as detector, _progress(expected, path.name) as bar:
            for record in measure_frames(sample_video(reader, fps), detector, str(path), limits):
                records.append(record)
                if on_record is not None:
                    on_record(record)
                bar.update(1)
    if not records:
        raise HeadwatchError(f"{path}: cannot read the video: no frame could be decoded")
    read_s = records[-1].t_s + 1.0 / info.fps
    problems = []
    if info.frame_count and records[-1].frame + max(2.0, info.fps) < info.frame_count - 1:
        problems.append(f"{path}: the video stops at {read_s:.1f} s of {info.duration_s:.1f} s; "
                        "the file looks truncated (analysed what could be read)")
    return VideoRecords(records, info.duration_s or read_s, read_s, problems)


def analyze_file(item: InputFile, settings: Settings, choice: ReferenceChoice, image_detector: PoseDetector,
                 writer: RecordWriter | None) -> tuple[FileSummary, list[str]]:
    """Measure one file; returns its summary and the problems to report.

    With a fixed reference (a profile or the absolute limits) records are written as they are
    measured, before any problem is raised, so nothing measured is lost. With ``auto`` a video is
    judged against the reference learned from its own first minutes, the way the live monitor
    learns it, so its records are written once the whole video is measured; a photo alone has no
    reference of its own and is judged on the absolute limits."""
    from headwatch.alerts import AlertEngine
    from headwatch.assemble import alert_settings, limits_for
    from headwatch.pipeline import judge_against_own_reference, learning_window, measure_frames, replay_alerts
    from headwatch.reference import describe_learned
    from headwatch.report import summarize
    from headwatch.sources import read_image

    def write(record: FrameRecord) -> None:
        if writer is not None and not writer.broken:
            try:
                writer.write(record.as_row())
            except HeadwatchError as exc:  # a full disk: analysis and its report go on
                writer.broken = True
                error(f"{exc}; analysing on without it")

    limits = limits_for(settings, choice.profile)
    learns = choice.mode == "auto" and item.kind == "video"
    alerts: list[Alert] = []
    reference = choice.describe() if not learns else "absolute limits"
    if item.kind == "image":
        records = list(measure_frames([read_image(item.path)], image_detector, str(item.path), limits))
        for record in records:
            write(record)
        duration, problems = 0.0, []
        if choice.mode == "auto":
            reference = "absolute limits (a photo alone teaches no reference)"
    else:
        video = measure_video(item.path, settings.capture.analyze_fps, settings.capture.model, limits,
                              on_record=None if learns else write)
        records, duration, problems = video.records, video.duration_s, video.problems
        if learns:
            window = learning_window(records, settings.reference.learn_min * 60.0)
            records, references = judge_against_own_reference(records, window, settings.calibration, limits)
            if references:
                reference = describe_learned(references)
            for record in records:
                write(record)
        engine = AlertEngine(alert_settings(settings, 1.0 / settings.capture.analyze_fps))
        alerts, _ = replay_alerts(records, engine, end_s=video.read_s)
    if not any(r.person for r in records):
        problems.append(f"{item.path}: no person found; headwatch needs the head and shoulders in view")
    return summarize(str(item.path), item.kind, duration, records, alerts, reference), problems


def analyze(
    paths: Annotated[list[Path], typer.Argument(help="Videos, photos, or folders of them (searched recursively).",
                                                show_default=False)],
    fps: Annotated[float | None, typer.Option(
        min=0.1, max=120.0, help="Frames per second sampled from videos. (default: 5)")] = None,
    model: ModelOption = None,
    out: Annotated[Path | None, typer.Option(
        "--out", dir_okay=False, help="Write one record per analysed frame to FILE.csv or FILE.jsonl.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document instead of the table.")] = False,
    bad_for: BadForOption = None,
    config: ConfigOption = None,
    profile: ProfileOption = None,
    reference: ReferenceOption = None,
) -> None:
    """Measure posture in recorded videos and photos, and report per file.

    Exit codes: 0 all fine; 1 some input failed (the rest are still analysed and reported);
    2 usage error.
    """
    from headwatch.pose import PoseEstimator
    from headwatch.records import RECORD_SUFFIXES, RecordWriter
    from headwatch.report import format_table
    from headwatch.sources import expand_inputs

    if out is not None and out.suffix.lower() not in RECORD_SUFFIXES:
        fail(f"--out {out}: the record file must end in .csv or .jsonl", EXIT_USAGE)
    settings = load_settings(config, {"capture.analyze_fps": fps, "capture.model": model,
                                      "alerts.bad_for_s": bad_for})
    choice, _ = select_reference(settings, reference, profile)
    stay_offline()  # local files only: MediaPipe's telemetry must not get out
    summaries: list[FileSummary] = []
    problems: list[str] = []
    writer: RecordWriter | None = None
    try:
        with ExitStack() as stack:
            writer = stack.enter_context(RecordWriter(out, record_columns())) if out is not None else None
            image_detector: PoseEstimator | None = None
            for item in expand_inputs(paths):
                if isinstance(item, HeadwatchError):
                    problems.append(str(item))
                    error(str(item))
                    continue
                if image_detector is None:  # loads (and checks) the model once, only if needed
                    image_detector = stack.enter_context(PoseEstimator(settings.capture.model, mode="image"))
                try:
                    summary, file_problems = analyze_file(item, settings, choice, image_detector, writer)
                    summaries.append(summary)
                except HeadwatchError as exc:
                    file_problems = [str(exc)]
                for problem in file_problems:
                    problems.append(problem)
                    error(problem)
    except KeyboardInterrupt:
        error("interrupted; the report below covers what was analysed so far")
        problems.append("interrupted")
    except HeadwatchError as exc:  # the model or the record file: nothing can be analysed
        fail(str(exc), EXIT_FAILED)
    if as_json:
        document: dict[str, Any] = {"files": [s.as_json() for s in summaries], "errors": problems,
                                    "profile": choice.profile.name if choice.profile else None,
                                    "reference": choice.mode}
        typer.echo(json.dumps(document, indent=2))
    elif summaries:
        typer.echo(format_table(summaries))
    if writer is not None and writer.broken:
        problems.append("the record file is incomplete")
    raise typer.Exit(EXIT_FAILED if problems else EXIT_OK)
