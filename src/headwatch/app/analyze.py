"""The analyze use case: recorded videos and photos measured (here, in worker processes or on a
Dask cluster), each video judged as a posture session on its own clock, and reported per file.

    from headwatch.app.analyze import AnalyzeRequest, analyze_recordings
    result = analyze_recordings(AnalyzeRequest([Path("clip.mp4")], settings, ReferenceChoice("auto")))
    print(result.table())

Every problem is said once on the ``headwatch`` logger as it happens and kept in
``result.problems``; one input failing never stops the others, and nothing measured before an
interruption is lost (its file is reported as far as it got).
"""

from __future__ import annotations

import contextlib
import logging
import signal
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from headwatch.app.assemble import ReferenceChoice, limits_for, session_gap_s, still_check_s
from headwatch.app.context import open_history, stay_offline
from headwatch.app.executors import Measured, MeasureTask
from headwatch.app.recording import RecordingSession
from headwatch.app.sinks import EventSink, EventStamp, Fanout, HistorySink, RecordSink, describe_failure
from headwatch.config.settings import Reminders, Settings
from headwatch.errors import HeadwatchError, UsageError
from headwatch.report.recording import FileSummary, format_table, summarize
from headwatch.storage.history import History
from headwatch.storage.recorder import SessionRecorder
from headwatch.storage.records import EventLog, RecordWriter
from headwatch.timeline.intervals import now_local
from headwatch.types import SCHEMA, FrameRecord

log = logging.getLogger("headwatch")
GOING_ON = "analysing on without it"


class Progress(Protocol):
    """How far a video's measuring got (the command line shows a bar)."""

    def start(self, label: str, total: int) -> None: ...

    def advance(self) -> None: ...

    def finish(self) -> None: ...


class NoProgress:
    def start(self, label: str, total: int) -> None:
        pass

    def advance(self) -> None:
        pass

    def finish(self) -> None:
        pass


@dataclass(frozen=True, slots=True)
class AnalyzeRequest:
    paths: Sequence[Path]  # videos, photos, or folders of them
    settings: Settings
    choice: ReferenceChoice
    out: Path | None = None  # one record per look, .csv or .jsonl
    events: Path | None = None  # the events, .jsonl
    report: Path | None = None  # each video's page, .html
    annotate: Path | None = None  # each video drawn, .mp4
    record_history: bool = False
    jobs: int | None = None
    cluster: str | None = None
    progress: Progress = field(default_factory=NoProgress)


@dataclass(slots=True)
class AnalyzeResult:
    choice: ReferenceChoice
    summaries: list[FileSummary] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def table(self, every_metric: bool = False) -> str:
        """The per-file table; ``every_metric`` adds the positions, the camera's move and the
        intermediate ratios to the metrics a person reads."""
        return format_table(self.summaries, every_metric)

    def document(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "files": [s.to_json() for s in self.summaries], "errors": self.problems,
                "profile": self.choice.profile.name if self.choice.profile else None, "reference": self.choice.mode}


@dataclass(frozen=True, slots=True)
class _Plan:
    """The inputs found and where each output goes, checked before anything is opened."""

    files: list[Any]  # sources.InputItem
    unreadable: list[HeadwatchError]
    reports: dict[Path, Path]
    annotated: dict[Path, Path]


def plan(request: AnalyzeRequest) -> _Plan:
    """The inputs and outputs, checked: a wrong suffix, an output that is an input or shared by two
    outputs is a UsageError, raised before anything is opened or written."""
    from headwatch.app.context import check_cluster
    from headwatch.storage.outputs import check_outputs, per_item_paths
    from headwatch.storage.recorder import history_path
    from headwatch.storage.records import RECORD_SUFFIXES
    from headwatch.vision.sources import expand_inputs

    out, events, report, annotate = request.out, request.events, request.report, request.annotate
    if out is not None and out.suffix.lower() not in RECORD_SUFFIXES:
        raise UsageError(f"--out {out}: the record file must end in .csv or .jsonl")
    if report is not None and report.suffix.lower() not in (".html", ".htm"):
        raise UsageError(f"--report {report}: the report must end in .html")
    if annotate is not None and annotate.suffix.lower() != ".mp4":
        raise UsageError(f"--annotate {annotate}: the annotated video must end in .mp4")
    check_cluster(request.cluster)
    if events is not None and events.suffix.lower() != ".jsonl":
        raise UsageError(f"--events {events}: the events file must end in .jsonl")
    items = list(expand_inputs(request.paths))
    files = [i for i in items if not isinstance(i, HeadwatchError)]
    videos = [i.path for i in files if i.kind == "video"]
    reports = per_item_paths(report, videos) if report is not None else {}
    annotated = per_item_paths(annotate, videos) if annotate is not None else {}
    try:
        check_outputs([*request.paths, *(i.path for i in files)], {  # what was named, and what folders held
            "--out": [out] if out is not None else [], "--events": [events] if events is not None else [],
            "--history": [history_path(request.settings.output.history)] if request.record_history else [],
            "--report": list(dict.fromkeys([*([report] if report else []), *reports.values()])),
            "--annotate": list(dict.fromkeys([*([annotate] if annotate else []), *annotated.values()]))})
    except HeadwatchError as exc:
        raise UsageError(str(exc)) from None
    return _Plan(files, [i for i in items if isinstance(i, HeadwatchError)], reports, annotated)


class _Outputs:
    """The outputs shared by every file of one run, and each video's own session outputs."""

    def __init__(self, request: AnalyzeRequest, the_plan: _Plan, result: AnalyzeResult) -> None:
        self.request = request
        self.plan = the_plan
        self.result = result
        self.writer: RecordWriter | None = None
        self.log: EventLog | None = None
        self.history: History | None = None

    def open(self, stack: ExitStack) -> None:
        from headwatch.storage.records import record_columns

        request = self.request
        if request.out is not None:
            self.writer = stack.enter_context(RecordWriter(request.out, record_columns()))
        if request.events is not None:
            self.log = EventLog(request.events)
            stack.callback(self.log.close)
        if request.record_history:
            try:
                self.history = stack.enter_context(open_history(request.settings))
            except HeadwatchError as exc:  # locked, read-only or foreign: analyse all the same
                self.problem(f"{exc}; analysing without the history")

    def problem(self, message: str, said: bool = False) -> None:
        self.result.problems.append(message)
        if not said:
            log.error(message)

    def for_video(self, path: Path) -> Fanout:
        """A video's session outputs: the shared record and event files, and a history session of
        its own (started with the first look, so a video that cannot be read leaves none)."""
        outputs = Fanout([], GOING_ON)
        history = HistorySink(lambda: self._recorder(path)) if self.history is not None else None
        if self.writer is not None:
            outputs.add(RecordSink(self.writer))
        if self.log is not None:
            outputs.add(EventSink(self.log, EventStamp(str(path), now_local(), history.session_id if history else
                                                       (lambda: None))))
        if history is not None:
            outputs.add(history)
        return outputs

    def _recorder(self, path: Path) -> SessionRecorder:
        settings = self.request.settings
        assert self.history is not None
        return SessionRecorder(self.history, str(path), self.request.choice.describe(), settings,
                               max_gap_s=session_gap_s(settings, 1.0 / settings.capture.analyze_fps))

    def for_photos(self) -> Fanout:
        return Fanout([RecordSink(self.writer)] if self.writer is not None else [], GOING_ON)

    def incomplete(self) -> bool:
        return (self.writer is not None and self.writer.broken) or (self.log is not None and self.log.broken)


class _Run:
    """One run: each measured file judged and reported, each video through its own session."""

    def __init__(self, request: AnalyzeRequest, outputs: _Outputs, here: bool) -> None:
        self.request = request
        self.outputs = outputs
        self.here = here  # measured in this process: records went out as they were measured
        self.video: RecordingSession | None = None  # the video being measured here, judged as it goes
        self.video_task: MeasureTask | None = None
        self.video_fanout: Fanout | None = None

    # -- measuring in this process: each look judged and written as it is measured --

    def measure_here(self, batch: Sequence[MeasureTask]) -> list[Measured]:
        from headwatch.app.executors import measure_batch

        progress = self.request.progress
        task = batch[0]
        photos = self.outputs.for_photos() if task.kind == "image" else None
        if task.kind == "video":
            self._start_video(task)

        def measured(record: FrameRecord) -> None:
            progress.advance()
            if self.video is not None:
                self.video.look(record)
            elif photos is not None:
                photos.record(record)

        progress_label = task.path.name if task.kind == "video" else "photos"
        try:
            return measure_batch(batch, on_record=measured, on_total=lambda n: progress.start(progress_label, n))
        finally:
            progress.finish()
            if photos is not None:
                self._said(photos)

    def _start_video(self, task: MeasureTask) -> None:
        self.video_task = task
        self.video_fanout = self.outputs.for_video(task.path)
        self.video = RecordingSession(str(task.path), self.request.settings, self.request.choice, self.video_fanout)

    def _said(self, fanout: Fanout) -> None:
        for message in fanout.failed:
            self.outputs.problem(f"{message}; {fanout.going_on}", said=True)
        fanout.failed.clear()

    # -- judging and reporting a measured file --

    def report(self, measured: Measured) -> None:
        task = measured.task
        try:
            if measured.error is not None:
                raise HeadwatchError(measured.error)
            if task.kind == "image":
                if not self.here and self.outputs.writer is not None:
                    fanout = self.outputs.for_photos()
                    for record in measured.records:
                        fanout.record(record)
                    self._said(fanout)
                reference = (self.request.choice.describe() if self.request.choice.mode != "auto"
                             else "absolute limits (a photo alone teaches none)")
                summary = summarize(str(task.path), task.kind, 0.0, measured.records, (), reference)
                problems: list[str] = []
            else:
                summary, problems = self._report_video(measured)
        except HeadwatchError as exc:
            self._drop_video()
            self.outputs.problem(str(exc))
            return
        self.outputs.result.summaries.append(summary)
        if not any(r.person for r in measured.records):
            problems.append(f"{task.path}: no person found; headwatch needs the head and shoulders in view")
        for problem in problems:
            self.outputs.problem(problem)

    def _report_video(self, measured: Measured) -> tuple[FileSummary, list[str]]:
        task = measured.task
        if self.video is None or self.video_task is not task:  # measured elsewhere: judged now
            self._start_video(task)
            assert self.video is not None
            for record in measured.records:
                self.video.look(record)
        assert self.video is not None and self.video_fanout is not None
        judged = self.video.finish(measured.read_s)
        self._said(self.video_fanout)
        self._drop_video()
        problems = list(measured.problems)
        summary = summarize(str(task.path), task.kind, measured.duration_s, judged.records, judged.alerts,
                            judged.reference)
        report_path = self.outputs.plan.reports.get(task.path)
        if report_path is not None and _guarded(
                problems, lambda: _write_report(report_path, summary, judged.records, judged.alerts,
                                                self.request.settings.reminders,
                                                self.request.settings.alerts.away_reset_s)):
            log.info(f"headwatch: wrote {report_path}")
        annotate_path = self.outputs.plan.annotated.get(task.path)
        if annotate_path is not None:
            from headwatch.app.analysis import annotate_video

            if _guarded(problems, lambda: annotate_video(task.path, judged.records, judged.alerts,
                                                         self.request.settings.capture.analyze_fps, annotate_path)):
                log.info(f"headwatch: wrote {annotate_path}")
        return summary, problems

    def _drop_video(self) -> None:
        self.video, self.video_task, self.video_fanout = None, None, None

    def interrupted(self) -> None:
        """Ctrl-C: the video in flight reported as far as it was measured, its outputs still open."""
        if self.video is not None and self.video_task is not None and self.video.records:
            last = self.video.records[-1].t_s
            partial = Measured(self.video_task, list(self.video.records), last, last, ("interrupted",))
            with contextlib.suppress(HeadwatchError):
                summary, _ = self._report_video(partial)
                self.outputs.result.summaries.append(summary)


def _guarded(problems: list[str], write: Callable[[], object]) -> bool:
    """Run one output's write; a failure is a problem of the file, not the end of its report."""
    try:
        write()
        return True
    except (HeadwatchError, OSError) as exc:
        problems.append(describe_failure(exc))
    return False


def _write_report(path: Path, summary: FileSummary, records: Sequence[FrameRecord], alerts: Sequence[Any],
                  reminders: Reminders, away_reset_s: float) -> None:
    """A recording's report page: the analyze table's figures, its timeline and its habits, in
    video time."""
    from headwatch.files import write_text
    from headwatch.report.habits import recording_habits
    from headwatch.report.html import render_recording

    try:
        write_text(path, render_recording(summary, records, alerts, recording_habits(records, reminders, away_reset_s)))
    except OSError as exc:
        raise HeadwatchError(f"{path}: cannot write the report: {exc.strerror}") from None


def analyze_recordings(request: AnalyzeRequest) -> AnalyzeResult:
    """Measure, judge and report every input of ``request``. Raises UsageError for outputs that
    cannot be (before anything is opened), HeadwatchError when nothing can be analysed (the model,
    the record file or the cluster); every other problem is in the result."""
    from headwatch.app.executors import InProcess, make_executor, measure_all
    from headwatch.vision.models import load_model

    the_plan = plan(request)
    settings = request.settings
    if not request.cluster:
        stay_offline()  # local files only: MediaPipe's telemetry must not get out
    result = AnalyzeResult(request.choice)
    outputs = _Outputs(request, the_plan, result)
    for unreadable in the_plan.unreadable:
        outputs.problem(str(unreadable))
    if not the_plan.files:  # nothing to analyse: open (and truncate) no output
        return result
    try:
        with ExitStack() as stack:
            load_model(settings.capture.model)  # a missing or damaged model: one line before any work
            outputs.open(stack)
            limits = limits_for(settings, request.choice.profile)
            tasks = [MeasureTask(i.path, i.kind, settings.capture.analyze_fps, settings.capture.model, limits,
                                 still_check_s(settings)) for i in the_plan.files]
            executor = make_executor(request.jobs, request.cluster, tasks)
            stack.callback(executor.close)
            run = _Run(request, outputs, here=isinstance(executor, InProcess))
            results = measure_all(executor, tasks, run.measure_here) if run.here else measure_all(executor, tasks)
            try:
                for measured in results:
                    run.report(measured)
            except KeyboardInterrupt:
                # Ending now: a second Ctrl-C must not break the ending (it hung, or left workers).
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                executor.stop()
                run.interrupted()
                raise
    except KeyboardInterrupt:
        outputs.problem("interrupted; the report below covers what was analysed so far")
        result.problems[-1] = "interrupted"
    if outputs.incomplete():
        result.problems.append("an output file is incomplete")
    _said_written(outputs)
    return result


def _said_written(outputs: _Outputs) -> None:
    """Files written are said, not left to be guessed (a hint line: -q keeps it quiet)."""
    if outputs.writer is not None and not outputs.writer.broken:
        log.info(f"headwatch: wrote {outputs.writer.written} records to {outputs.writer.path}")
    if outputs.log is not None and not outputs.log.broken:
        log.info(f"headwatch: appended the events to {outputs.log.path}")
