"""The use cases as the Python API gives them (``headwatch.analyze_recordings``,
``headwatch.monitor_session``): the command line's own code paths, with keyword arguments for its
options and results instead of printed text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from headwatch.app.analyze import AnalyzeRequest, AnalyzeResult
from headwatch.app.analyze import analyze_recordings as _analyze
from headwatch.app.assemble import ReferenceChoice
from headwatch.app.context import select_reference
from headwatch.app.live import MonitorRequest, run_monitor
from headwatch.config.settings import Settings
from headwatch.timeline.session import SessionSummary


def _choice(settings: Settings, reference: str | None) -> ReferenceChoice:
    choice, _ = select_reference(settings, reference, None)
    return choice


def analyze_recordings(paths: Sequence[str | Path], settings: Settings | None = None, *,
                       reference: str | None = None, out: str | Path | None = None,
                       events: str | Path | None = None, report: str | Path | None = None,
                       annotate: str | Path | None = None, history: bool = False,
                       jobs: int | None = 1) -> AnalyzeResult:
    """What ``headwatch analyze`` does, for videos, photos and folders of them: every video judged
    as the live monitor would have judged it, on the video's own clock.

    ``reference``: "auto" (learned as the monitor learns it), "absolute", or a calibrated profile's
    name (default: as the settings say). The outputs are those of the command's options (``out``
    a .csv or .jsonl record file, ``events`` a .jsonl event log, ``report`` an .html page per
    video, ``annotate`` an .mp4 per video, ``history`` a session per video in the history).
    Returns the summaries (``.summaries``, ``.table()``, ``.document()``) and ``.problems``.
    Raises UsageError for outputs that cannot be, HeadwatchError when nothing can be analysed.

        >>> result = headwatch.analyze_recordings(["samples/demo_slouch.mp4"], reference="absolute")
        >>> [len(summary.alerts) for summary in result.summaries]
        [1]
    """
    settings = settings or Settings()

    def path(value: str | Path | None) -> Path | None:
        return Path(value) if value is not None else None

    return _analyze(AnalyzeRequest([Path(p) for p in paths], settings, _choice(settings, reference), out=path(out),
                                   events=path(events), report=path(report), annotate=path(annotate),
                                   record_history=history, jobs=jobs))


def monitor_session(source: str | Path = "0", settings: Settings | None = None, *, reference: str | None = None,
                    duration_s: float | None = None, out: str | Path | None = None,
                    events: str | Path | None = None, history: bool = False, notify: str = "none",
                    realtime: bool = True) -> SessionSummary:
    """What ``headwatch monitor`` does, on a camera index, a stream URL or a video file, until the
    source ends, ``duration_s`` passes or Ctrl-C: the same session, outputs and alerts, without
    the terminal's status line. ``notify``: "none" (the default here), "terminal" or "desktop";
    ``realtime=False`` runs a video file as fast as it goes. Returns the session's summary (time
    per state, ``.good_share``, ``.events``). Raises HeadwatchError when the source or the model
    cannot be opened.

        >>> summary = headwatch.monitor_session("samples/demo_slouch.mp4", realtime=False)
        >>> summary.count(headwatch.EventKind.BAD_POSTURE) >= 1
        True
    """
    settings = settings or Settings()
    settings = replace(settings, notify=replace(settings.notify, mode=notify),
                       output=replace(settings.output, events=str(events) if events is not None else ""))
    request = MonitorRequest(settings, _choice(settings, reference), source=str(source),
                             out=Path(out) if out is not None else None, record_history=history,
                             realtime=realtime, duration_s=duration_s, status_line=False)
    return run_monitor(request).summary
