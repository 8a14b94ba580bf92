"""`headwatch analyze`: recorded videos and photos to per-frame records and per-file reports."""

from __future__ import annotations

import contextlib
import json
import signal
import sys
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from headwatch.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    BadForOption,
    ClusterOption,
    ConfigOption,
    JobsOption,
    ModelOption,
    ProfileOption,
    ReferenceOption,
    check_cluster,
    echo_lines,
    error,
    fail,
    load_settings,
    open_history,
    select_reference,
    stay_offline,
)
from headwatch.errors import HeadwatchError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from headwatch.app.assemble import ReferenceChoice
    from headwatch.app.executors import Measured, MeasureTask
    from headwatch.config.settings import Settings
    from headwatch.report.recording import FileSummary
    from headwatch.storage.history import History
    from headwatch.storage.records import EventLog, RecordWriter
    from headwatch.timeline.replay import Alert
    from headwatch.types import AlertEvent, FrameRecord


class _Progress:
    """A progress bar on an interactive terminal only (logs and pipes stay clean), sized when
    the video says how many samples to expect, and closed (at 100 %) when the video is done."""

    def __init__(self, label: str) -> None:
        self.label = label
        self._bar: Any = None

    def start(self, total: int) -> None:
        if total >= 2 and sys.stderr.isatty():
            self._bar = typer.progressbar(length=total, label=self.label, file=sys.stderr)
            self._bar.__enter__()

    def advance(self, _: object = None) -> None:
        if self._bar is not None:
            self._bar.update(1)

    def finish(self) -> None:
        if self._bar is not None:
            self._bar.update(max(0, self._bar.length - self._bar.pos))  # a short read still ends full
            self._bar.__exit__(None, None, None)
            self._bar = None


def _record_session(history: History, path: Path, records: list[FrameRecord], events: list[AlertEvent],
                    reference: str, settings: Settings) -> None:
    """A recording's analysis as a session of its own, timed from now."""
    from headwatch.storage.recorder import SessionRecorder

    recorder = SessionRecorder(history, str(path), reference, settings, error)
    for record in records:
        recorder.sample(record.t_s, record.verdict, record.sample if record.person else None)
    for event in events:
        recorder.event(event)
    recorder.close()


@dataclass(slots=True)
class Outputs:
    """What analyze writes besides its table: each is optional."""

    writer: RecordWriter | None = None  # --out
    log: EventLog | None = None  # --events
    history: History | None = None  # --history

    reports: dict[Path, Path] = field(default_factory=dict)  # video -> its --report page
    annotated: dict[Path, Path] = field(default_factory=dict)  # video -> its --annotate video

    def report_path(self, video: Path) -> Path | None:
        return self.reports.get(video)

    def annotate_path(self, video: Path) -> Path | None:
        return self.annotated.get(video)


def _history_or_none(stack: ExitStack, settings: Settings, problems: list[str]) -> History | None:
    """The history to record into; a locked, read-only or foreign one is one line, and the analysis
    goes on without it."""
    from headwatch.storage.history import HistoryError

    try:
        return stack.enter_context(open_history(settings))
    except HistoryError as exc:
        problems.append(f"{exc}; analysing without the history")
        error(problems[-1])
        return None


class _NothingToAnalyse(Exception):
    """Every input failed: the outputs are left as they were."""


def _write_report(path: Path, video: Path, records: list[FrameRecord], events: list[AlertEvent]) -> None:
    """A recording's report page: the figures and plots of `headwatch report`, over the video."""
    import datetime

    from headwatch.report.history import Period, figures
    from headwatch.report.html import render
    from headwatch.timeline.intervals import IntervalAggregator, iso, now_local

    started = now_local().replace(microsecond=0)
    aggregator = IntervalAggregator(started)
    intervals = [i for r in records for i in aggregator.add(r.t_s, r.verdict, r.sample if r.person else None)]
    last = aggregator.finish()
    rows = [i.to_json() for i in ([*intervals, last] if last is not None else intervals)]
    happened = [{"kind": e.kind.value, "at": iso(started + datetime.timedelta(seconds=e.t_s)), "detail": e.to_json()}
                for e in events]
    end = started + datetime.timedelta(seconds=(records[-1].t_s if records else 0.0) + 11.0)
    period = Period(started, end, f"{video.name}")
    page = render(period, figures(rows, happened, period), figures(rows, happened, period.previous()), rows,
                  happened)
    try:
        path.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise HeadwatchError(f"{path}: cannot write the report: {exc.strerror}") from None


def analyze_file(measured: Measured, settings: Settings, choice: ReferenceChoice, outputs: Outputs,
                 written: bool) -> tuple[FileSummary, list[str]]:
    """Judge and report one measured file; returns its summary and the problems to report.

    With ``auto`` a video is judged against the reference learned from its own first minutes,
    the way the live monitor learns it; a photo alone has no reference of its own and is judged
    on the absolute limits. ``written``: its records went to --out already, as they were measured."""
    from headwatch.app.analysis import annotate_video, judge_recording, replay_recording
    from headwatch.report.recording import summarize

    if measured.error is not None:
        raise HeadwatchError(measured.error)
    item = measured.task
    writer, log, history = outputs.writer, outputs.log, outputs.history
    alerts: list[Alert] = []
    if item.kind == "image":
        records = measured.records
        duration, problems = 0.0, []
        reference = choice.describe() if choice.mode != "auto" else "absolute limits (a photo alone teaches none)"
    else:
        judged = judge_recording(measured.records, settings, choice)
        records, reference = judged.records, judged.reference
        duration, problems = measured.duration_s, list(measured.problems)
        alerts, events = replay_recording(judged, settings, measured.read_s)
        # Each extra output on its own: one that cannot be written is a problem to report, and the
        # file's table, JSON, records and events still come out.
        if history is not None:
            _guarded(problems, lambda: _record_session(history, item.path, records, events, reference, settings))
        report_path = outputs.report_path(item.path)
        if report_path is not None:
            _guarded(problems, lambda: _write_report(report_path, item.path, records, events))
        annotate_path = outputs.annotate_path(item.path)
        if annotate_path is not None:
            _guarded(problems, lambda: annotate_video(item.path, records, alerts, settings.capture.analyze_fps,
                                                      annotate_path))
        if log is not None and not log.broken:
            try:
                for event in events:
                    log.write({"path": str(item.path), **event.to_json()})
            except HeadwatchError as exc:  # a full disk: analysis and its report go on
                log.broken = True
                error(f"{exc}; analysing on without it")
    if writer is not None and not written:
        for record in records:
            _write_record(writer, record)
    if not any(r.person for r in records):
        problems.append(f"{item.path}: no person found; headwatch needs the head and shoulders in view")
    return summarize(str(item.path), item.kind, duration, records, alerts, reference), problems


def _guarded(problems: list[str], write: Callable[[], object]) -> None:
    """Run one output's write; a failure is a problem of the file, not the end of its report."""
    try:
        write()
    except HeadwatchError as exc:
        problems.append(str(exc))
    except OSError as exc:
        problems.append(f"{exc.filename or 'an output'}: cannot be written: {exc.strerror}")


def _write_record(writer: RecordWriter, record: FrameRecord) -> None:
    if writer.broken:
        return
    try:
        writer.write(record.to_json())
    except HeadwatchError as exc:  # a full disk: analysis and its report go on
        writer.broken = True
        error(f"{exc}; analysing on without it")


@dataclass(slots=True)
class _InFlight:
    """The video being measured in this process, and what of it has been measured so far."""

    task: MeasureTask | None = None
    records: list[FrameRecord] = field(default_factory=list)


def _measure_here(writer: RecordWriter | None, streams: bool,
                  in_flight: _InFlight) -> Callable[[Sequence[MeasureTask]], list[Measured]]:
    """Measuring in this process: a progress bar per video, and (``streams``: the records are final
    as measured, with a fixed reference) each record written as it is measured; either way the
    video in flight's records are kept in ``in_flight``, so that an interruption loses nothing measured."""
    from headwatch.app.executors import measure_batch

    def measure(batch: Sequence[MeasureTask]) -> list[Measured]:
        progress = _Progress(batch[0].path.name if batch[0].kind == "video" else "photos")
        in_flight.task = batch[0] if batch[0].kind == "video" else None
        in_flight.records = []

        def measured(record: FrameRecord) -> None:
            progress.advance()
            if in_flight.task is not None:
                in_flight.records.append(record)
            if streams and writer is not None:
                _write_record(writer, record)

        try:
            return measure_batch(batch, on_record=measured, on_total=progress.start)
        finally:
            progress.finish()

    return measure


def analyze(
    paths: Annotated[list[Path], typer.Argument(help="Videos, photos, or folders of them (searched recursively).",
                                                show_default=False, readable=False)],  # checked per file
    fps: Annotated[float | None, typer.Option(
        min=0.1, max=120.0, help="Frames per second sampled from videos. (default: 1)")] = None,
    model: ModelOption = None,
    events: Annotated[Path | None, typer.Option(
        "--events", dir_okay=False, help="Append the events the live monitor would have raised (with each "
                                         "video's path) to this JSON Lines file, as monitor --events does.")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", dir_okay=False, help="Write one record per analysed frame to FILE.csv or FILE.jsonl.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document instead of the table.")] = False,
    bad_for: BadForOption = None,
    report: Annotated[Path | None, typer.Option(
        "--report", dir_okay=False, help="Write each video's report page (figures and plots, as report --html) to "
                                         "FILE.html (FILE-VIDEO.html when there are several videos).")] = None,
    annotate: Annotated[Path | None, typer.Option(
        "--annotate", dir_okay=False, help="Write each video's analysed frames with the skeleton, the angles, the "
                                           "verdict and the alert state drawn to OUT.mp4 (OUT-VIDEO.mp4 when there "
                                           "are several).")] = None,
    record_history: Annotated[bool, typer.Option(
        "--history", help="Record each video's analysis as a session of its own in the history database "
                          "(output.history, else history.sqlite in the user data folder).")] = False,
    config: ConfigOption = None,
    profile: ProfileOption = None,
    reference: ReferenceOption = None,
    jobs: JobsOption = None,
    cluster: ClusterOption = None,
) -> None:
    """Measure posture in recorded videos and photos, and report per file.

    Exit codes: 0 all fine; 1 some input failed (the rest are still analysed and reported);
    2 usage error.
    """
    from headwatch.app.assemble import limits_for
    from headwatch.app.executors import InProcess, MeasureTask, make_executor, measure_all
    from headwatch.report.recording import format_table
    from headwatch.storage.outputs import check_outputs, per_item_paths
    from headwatch.storage.recorder import history_path
    from headwatch.storage.records import RECORD_SUFFIXES, EventLog, RecordWriter, record_columns
    from headwatch.vision.models import load_model
    from headwatch.vision.sources import expand_inputs

    if out is not None and out.suffix.lower() not in RECORD_SUFFIXES:
        fail(f"--out {out}: the record file must end in .csv or .jsonl", EXIT_USAGE)
    if report is not None and report.suffix.lower() not in (".html", ".htm"):
        fail(f"--report {report}: the report must end in .html", EXIT_USAGE)
    if annotate is not None and annotate.suffix.lower() != ".mp4":
        fail(f"--annotate {annotate}: the annotated video must end in .mp4", EXIT_USAGE)
    settings = load_settings(config, {"capture.analyze_fps": fps, "capture.model": model,
                                      "alerts.bad_for_s": bad_for})
    choice, _ = select_reference(settings, reference, profile)
    if not cluster:
        stay_offline()  # local files only: MediaPipe's telemetry must not get out
    summaries: list[FileSummary] = []
    problems: list[str] = []
    writer: RecordWriter | None = None
    log: EventLog | None = None
    in_flight = _InFlight()
    check_cluster(cluster)
    if events is not None and events.suffix.lower() != ".jsonl":
        fail(f"--events {events}: the events file must end in .jsonl", EXIT_USAGE)
    items = list(expand_inputs(paths))
    files = [i for i in items if not isinstance(i, HeadwatchError)]
    videos = [i.path for i in files if i.kind == "video"]
    reports = per_item_paths(report, videos) if report is not None else {}
    annotated = per_item_paths(annotate, videos) if annotate is not None else {}
    try:  # before anything is opened or written
        check_outputs([*paths, *(i.path for i in files)], {  # what was named, and what folders held
            "--out": [out] if out is not None else [], "--events": [events] if events is not None else [],
            "--history": [history_path(settings.output.history)] if record_history else [],
            "--report": list(dict.fromkeys([*([report] if report else []), *reports.values()])),
            "--annotate": list(dict.fromkeys([*([annotate] if annotate else []), *annotated.values()]))})
    except HeadwatchError as exc:
        fail(str(exc), EXIT_USAGE)
    try:
        with ExitStack() as stack:
            for item in items:
                if isinstance(item, HeadwatchError):
                    problems.append(str(item))
                    error(str(item))
            if not files:  # nothing to analyse: open (and truncate) no output
                raise _NothingToAnalyse
            load_model(settings.capture.model)  # a missing or damaged model: one line before any work
            writer = stack.enter_context(RecordWriter(out, record_columns())) if out is not None else None
            log = EventLog(events) if events is not None else None
            if log is not None:
                stack.callback(log.close)
            history = _history_or_none(stack, settings, problems) if record_history else None
            outputs = Outputs(writer, log, history, reports, annotated)
            limits = limits_for(settings, choice.profile)
            tasks = [MeasureTask(i.path, i.kind, settings.capture.analyze_fps, settings.capture.model, limits)
                     for i in files]
            executor = make_executor(jobs, cluster, tasks)
            stack.callback(executor.close)
            streams = choice.mode != "auto"
            if isinstance(executor, InProcess):
                results = measure_all(executor, tasks, _measure_here(writer, streams, in_flight))
            else:
                streams = False
                results = measure_all(executor, tasks)
            try:
                for measured in results:
                    try:
                        summary, file_problems = analyze_file(measured, settings, choice, outputs,
                                                              written=streams)
                        summaries.append(summary)
                    except HeadwatchError as exc:
                        file_problems = [str(exc)]
                    for problem in file_problems:
                        problems.append(problem)
                        error(problem)
            except KeyboardInterrupt:
                # Ending now: a second Ctrl-C must not break the ending (it hung, or left workers).
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                executor.stop()
                # The video it was in, judged as far as it got, while --out and --events are still open.
                if in_flight.task is not None and in_flight.records:
                    from headwatch.app.executors import Measured

                    partial = Measured(in_flight.task, list(in_flight.records), in_flight.records[-1].t_s,
                                       in_flight.records[-1].t_s, ("interrupted",))
                    with contextlib.suppress(HeadwatchError):
                        summaries.append(analyze_file(partial, settings, choice, Outputs(writer, log),
                                                      written=streams)[0])
                raise
    except _NothingToAnalyse:
        pass
    except KeyboardInterrupt:
        error("interrupted; the report below covers what was analysed so far")
        problems.append("interrupted")
    except HeadwatchError as exc:  # the model, the record file or the cluster: nothing can be analysed
        fail(str(exc), EXIT_FAILED)
    if as_json:
        from headwatch.types import SCHEMA

        document: dict[str, Any] = {"schema": SCHEMA, "files": [s.to_json() for s in summaries], "errors": problems,
                                    "profile": choice.profile.name if choice.profile else None,
                                    "reference": choice.mode}
        typer.echo(json.dumps(document, indent=2))
    elif summaries:
        echo_lines(format_table(summaries))
    if (writer is not None and writer.broken) or (log is not None and log.broken):
        problems.append("an output file is incomplete")
    raise typer.Exit(EXIT_FAILED if problems else EXIT_OK)
