"""A recording as a posture session: its measured looks judged forward in time by the monitor's
own judge and alert engine, at the recording's sampling rate, on the video's clock. What
`analyze`, `eval` and ``analyze_video`` report for a video is what the live monitor would have
done, by construction (app/session.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from headwatch.app.assemble import ReferenceChoice, alert_settings, posture_judge
from headwatch.app.pipeline import Observation
from headwatch.app.session import PostureSession
from headwatch.app.sinks import Fanout
from headwatch.config.settings import Settings
from headwatch.timeline.alerts import AlertEngine
from headwatch.timeline.replay import Alert
from headwatch.types import AlertEvent, FrameRecord


@dataclass(frozen=True, slots=True)
class JudgedRecording:
    """A recording's records with their verdicts, its alerts and events (the judge's own set-up
    changes among them, in time order), and what it was judged against at the end."""

    records: list[FrameRecord]
    alerts: list[Alert]
    events: list[AlertEvent]
    reference: str


class RecordingSession:
    """``look(record)`` for each measured record, in time order (as it is measured, or after);
    ``finish(end_s)`` ends the session and gives the judged recording."""

    def __init__(self, source: str, settings: Settings, choice: ReferenceChoice,
                 outputs: Fanout | None = None) -> None:
        interval_s = 1.0 / settings.capture.analyze_fps
        judge = posture_judge(settings, choice, sample_interval_s=interval_s)
        engine = AlertEngine(alert_settings(settings, interval_s))
        self.session = PostureSession(source, judge, engine, outputs or Fanout([], "analysing on without it"),
                                      interval_s=interval_s)
        self.records: list[FrameRecord] = []

    def look(self, measured: FrameRecord) -> FrameRecord:
        seen = Observation(measured.pose, measured.sample if measured.person else None, measured.position,
                           measured.skipped)
        record = self.session.look(measured.t_s, measured.frame, seen).record
        self.records.append(record)
        return record

    def finish(self, end_s: float) -> JudgedRecording:
        """End the session (its outputs closed); an alert still open lasts to ``end_s``."""
        self.session.close()
        return JudgedRecording(self.records, self.session.alerts(end_s), list(self.session.summary.events),
                               self.session.judge.describe())


def judge_recording(records: Sequence[FrameRecord], settings: Settings, choice: ReferenceChoice, end_s: float,
                    outputs: Fanout | None = None) -> JudgedRecording:
    """A measured recording judged as the live monitor would have judged it: with ``auto`` the
    absolute limits until the reference is learned from the first ``learn_min`` minutes of
    presence, then that reference, following set-up changes as they come."""
    session = RecordingSession(records[0].path if records else "", settings, choice, outputs)
    for record in records:
        session.look(record)
    return session.finish(end_s)

