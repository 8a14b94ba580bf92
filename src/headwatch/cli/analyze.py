"""`headwatch analyze`: recorded videos and photos to per-file reports (app/analyze.py does it)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from headwatch.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    BadForOption,
    ClusterOption,
    ConfigOption,
    JobsOption,
    ModelOption,
    ProfileOption,
    ReferenceOption,
    Verbosity,
    echo_lines,
    one_line_errors,
    select_reference,
    settings_for,
)


class _Bar:
    """A rich progress bar per video, on an interactive terminal only (logs and pipes stay clean),
    sized when the video says how many samples to expect and ended full when it is done."""

    def __init__(self) -> None:
        self._progress: Any = None
        self._task: Any = None

    def start(self, label: str, total: int) -> None:
        if total < 2 or not sys.stderr.isatty():
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self._progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                  TimeRemainingColumn(), console=Console(file=sys.stderr), transient=False)
        self._progress.start()
        self._task = self._progress.add_task(label, total=total)

    def advance(self) -> None:
        if self._progress is not None:
            self._progress.advance(self._task)

    def finish(self) -> None:
        if self._progress is not None:
            self._progress.update(self._task, completed=self._progress.tasks[0].total)  # a short read ends full
            self._progress.stop()
            self._progress = None


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
    replay: Annotated[bool | None, typer.Option(
        "--replay/--no-replay", help="Judge each video exactly as the live monitor would have: the absolute "
                                     "limits, tightened by what was seen so far, until `reference.learn_min` of "
                                     "presence. Default: a video shorter "
                                     "than that learns your upright posture from all of it "
                                     "(`reference.replay`).", show_default=False)] = None,
) -> None:
    """Measure posture in recorded videos and photos, and report per file.

    Exit codes: 0 all fine; 1 some input failed (the rest are still analysed and reported);
    2 usage error.
    """
    from headwatch.app.analyze import AnalyzeRequest, analyze_recordings

    settings = settings_for(config, {"capture.analyze_fps": fps, "capture.model": model,
                                      "alerts.bad_for_s": bad_for, "reference.replay": replay})
    choice, _ = select_reference(settings, reference, profile)
    request = AnalyzeRequest(paths, settings, choice, out=out, events=events, report=report, annotate=annotate,
                             record_history=record_history, jobs=jobs, cluster=cluster, progress=_Bar())
    with one_line_errors():  # outputs that cannot be: 2; the model, the record file, the cluster: 1
        result = analyze_recordings(request)
    if as_json:
        typer.echo(json.dumps(result.document(), indent=2))
    elif result.summaries:
        echo_lines(result.table(every_metric=Verbosity.verbose))
    raise typer.Exit(EXIT_FAILED if result.problems else EXIT_OK)
