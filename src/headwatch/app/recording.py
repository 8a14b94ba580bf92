"""A recording as a posture session: its measured looks judged forward in time by the monitor's
own judge and alert engine, at the recording's sampling rate, on the video's clock (app/session.py).

A recording is complete when it is judged, which a live session never is: where it is shorter
than the monitor needs to learn the person (``[reference] learn_min``), the reference is learned
from all of its first set-up (reference.learn_in_hindsight) and the same judge and alert engine
run forward from the first look with it, instead of judging the whole recording as a monitor
still learning would (the absolute limits, tightened from PROVISIONAL_S on by what it saw so
far). ``[reference] replay = true`` (analyze --replay) replays the monitor exactly; a longer
recording is replayed exactly either way."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from headwatch.app.assemble import ReferenceChoice, alert_settings, posture_judge, session_gap_s
from headwatch.app.pipeline import Observation
from headwatch.app.session import PostureSession
from headwatch.app.sinks import Fanout
from headwatch.config.settings import Settings
from headwatch.posture.reference import Family, Reference, learn_in_hindsight
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
        self.source, self.settings, self.choice = source, settings, choice
        self.outputs = outputs or Fanout([], "analysing on without it")
        self.interval_s = 1.0 / settings.capture.analyze_fps
        # Learning in hindsight needs the whole recording first: the looks wait until finish().
        self.hindsight = choice.mode == "auto" and not settings.reference.replay
        self.session: PostureSession | None = None if self.hindsight else self._session(None)
        self.records: list[FrameRecord] = []  # judged; in hindsight, measured until finish()

    def _session(self, learned: Mapping[Family, Reference] | None) -> PostureSession:
        judge = posture_judge(self.settings, self.choice, sample_interval_s=self.interval_s, learned=learned)
        engine = AlertEngine(alert_settings(self.settings, self.interval_s))
        return PostureSession(self.source, judge, engine, self.outputs, interval_s=self.interval_s)

    def look(self, measured: FrameRecord) -> FrameRecord:
        if self.session is None:
            self.records.append(measured)
            return measured
        seen = Observation(measured.pose, measured.sample if measured.person else None, measured.position,
                           measured.skipped)
        record = self.session.look(measured.t_s, measured.frame, seen).record
        self.records.append(record)
        return record

    def finish(self, end_s: float) -> JudgedRecording:
        """End the session (its outputs closed); an alert still open lasts to ``end_s``."""
        note = ""
        if self.session is None:  # in hindsight: learned from the recording, then judged forward
            measured, self.records = self.records, []
            learned = learn_in_hindsight(
                [(r.t_s, r.sample, r.skipped) for r in measured if r.person and r.sample is not None],
                self.settings.reference.learn_min * 60.0, session_gap_s(self.settings, self.interval_s))
            self.session = self._session(learned)
            for record in measured:
                self.look(record)
            if learned:
                note = " from the whole recording (shorter than learn_min)"
        self.session.close()
        return JudgedRecording(self.records, self.session.alerts(end_s), list(self.session.summary.events),
                               self.session.judge.describe() + note)


def judge_recording(records: Sequence[FrameRecord], settings: Settings, choice: ReferenceChoice, end_s: float,
                    outputs: Fanout | None = None) -> JudgedRecording:
    """A measured recording judged by the live monitor's judge: with ``auto`` the absolute limits
    (tightened by a provisional reference, reference.PROVISIONAL_S) until the reference is learned
    from the first ``learn_min`` minutes of presence, then that reference, following set-up
    changes as they come; a recording shorter than that learns from all
    of its first set-up, unless ``[reference] replay`` (see the module's doc)."""
    session = RecordingSession(records[0].path if records else "", settings, choice, outputs)
    for record in records:
        session.look(record)
    return session.finish(end_s)

