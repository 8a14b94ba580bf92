"""One posture session, live or recorded: every look judged, run through the alert engine,
counted on the presence clock and handed to the session's outputs.

The live monitor and `analyze` both go through ``PostureSession.look``: a recording is a session
whose clock is the video's. So the records, the events (the judge's own set-up changes among
them), the history and the learned reference are the same for both by construction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import numpy.typing as npt

from headwatch.app.pipeline import Observation
from headwatch.app.sinks import Fanout
from headwatch.timeline.alerts import AlertEngine
from headwatch.timeline.presence import PresenceClock
from headwatch.timeline.replay import Alert, pair_alerts
from headwatch.timeline.sampling import SamplingPolicy
from headwatch.timeline.session import SessionSummary, Status
from headwatch.types import AlertEvent, EventKind, FrameRecord, PostureSample, State, Verdict

# The monitor's own events around time it did not watch (a pause, the camera let go of).
UNWATCHED = frozenset({EventKind.PAUSED, EventKind.RESUMED, EventKind.SESSION_AWAY, EventKind.SESSION_BACK,
                       EventKind.CAMERA_IN_USE, EventKind.CAMERA_FREE})


class PostureJudge(Protocol):
    """Gives a sample its verdict; it may learn as it goes (reference.LearningJudge)."""

    def __call__(self, t_s: float, sample: PostureSample | None, repeated: bool = False) -> Verdict:
        """``repeated``: the sample is the last one again (the picture held still), not a new look."""
        ...

    def take_events(self) -> list[AlertEvent]:
        """Events of its own since the last call (setup_changed), to report beside the alerts."""
        ...

    def upright_now(self, t_s: float) -> str:
        """The person says they sit upright now: learn from the last seconds where the judge learns;
        what happened, in a line."""
        ...

    def head_change(self, sample: PostureSample | None) -> float | None:
        """Degrees the head came forward since the person's upright (Reference.head_change), where
        the judge knows that upright; None otherwise."""
        ...

    def describe(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Look:
    """What one look gave: its record, the events it raised and how long until the next look."""

    record: FrameRecord
    events: list[AlertEvent] = field(default_factory=list)
    interval_s: float = 1.0


class PostureSession:
    """``look(t_s, index, seen)`` per frame looked at, in time order; ``summary`` holds the totals.

    ``policy`` chooses the wait until the next look (the monitor's adaptive sampling); without it
    the session is sampled at a fixed ``interval_s`` (a recording at analyze_fps).
    """

    def __init__(self, source: str, judge: PostureJudge, engine: AlertEngine, outputs: Fanout, *,
                 policy: SamplingPolicy | None = None, interval_s: float = 1.0) -> None:
        self.source = source
        self.judge = judge
        self.engine = engine
        self.outputs = outputs
        self.policy = policy
        self.interval_s = interval_s
        self.summary = SessionSummary()
        self._presence = PresenceClock(engine.settings.max_gap_s)  # the alert timers' own cap
        self._last_state: State | None = None
        self._state_since: tuple[State, float] | None = None

    def look(self, t_s: float, index: int, seen: Observation, image: npt.NDArray[np.uint8] | None = None) -> Look:
        verdict = self.judge(t_s, seen.sample, repeated=seen.skipped)
        events = self.judge.take_events() + self.engine.update(t_s, verdict, seen.position)
        counted = self._presence.tick(t_s)  # a long gap (a lost camera, a pause) counts only so much
        if self._last_state is not None:
            self.summary.seconds[self._last_state.value] += counted
        self._last_state = verdict.state
        self.summary.samples += 1
        self.summary.reference = self.judge.describe()
        confidence = round(seen.pose.confidence, 4) if seen.pose is not None else None
        head_change = self.judge.head_change(seen.sample)
        record = FrameRecord(self.source, t_s, index, seen.pose is not None, confidence,
                             seen.sample or PostureSample(), verdict, seen.position, seen.pose, seen.skipped,
                             head_change)
        self.summary.skipped += seen.skipped
        self.outputs.record(record, image)
        for event in events:
            self.happened(event)
        if self._state_since is None or self._state_since[0] is not verdict.state:
            self._state_since = (verdict.state, t_s)
        interval_s = self.policy.interval_s(self.engine, verdict.state) if self.policy is not None else self.interval_s
        self.outputs.status(Status(t_s, verdict, seen.sample, self.engine.in_bad_posture, t_s - self._state_since[1],
                                   1.0 / interval_s, reference=self.summary.reference,
                                   head_change_deg=head_change, skipped=seen.skipped))
        return Look(record, events, interval_s)

    def happened(self, event: AlertEvent) -> None:
        """An event of the session (the alert engine's, the judge's, or the monitor's own: paused)."""
        if event.kind is EventKind.SESSION_AWAY:
            self.engine.absent(event.t_s)
        elif event.kind is EventKind.RESUMED:
            self.engine.unwatched(event.start_s, event.t_s)
        if event.kind in UNWATCHED:
            self._state_since = None  # "OK for ..." starts again: the time between was not watched
        self.summary.events.append(event)
        self.outputs.event(event)

    def alerts(self, end_s: float) -> list[Alert]:
        """The session's bad-posture alerts so far; one still open lasts to ``end_s``."""
        return pair_alerts(self.summary.events, end_s)

    def close(self) -> None:
        self.outputs.close()
