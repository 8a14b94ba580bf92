"""A session's totals and the status after each sample: what the status line, the summary and
the history show, the same for a camera and a recording. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field

from headwatch.types import AlertEvent, EventKind, PostureSample, State, Verdict


@dataclass(frozen=True, slots=True)
class Status:
    """What the status line shows after each sample."""

    t_s: float
    verdict: Verdict
    sample: PostureSample | None
    in_bad_posture: bool
    seconds_in_state: float
    fps: float
    note: str = ""  # e.g. "camera lost, retrying in 4 s"
    reference: str = ""  # what posture is judged against, e.g. "learned reference: ..."
    paused: bool = False  # the monitor is paused (the note says for how long)
    head_change_deg: float | None = None  # the head's change from the person's upright, where known
    skipped: bool = False  # the picture held still: the pose model rested on this look


@dataclass(slots=True)
class SessionSummary:
    seconds: dict[str, float] = field(default_factory=lambda: {s.value: 0.0 for s in State})
    samples: int = 0
    skipped: int = 0  # of the samples, looks where the picture held still and the pose model rested
    events: list[AlertEvent] = field(default_factory=list)
    reference: str = ""  # what posture was judged against at the end
    paused_s: float = 0.0  # wall-clock time paused (`headwatch pause`, the p key): not monitored
    # wall-clock time the camera was off by itself (screen locked, asleep, idle, in use by another
    # program): nobody watched, so neither sitting nor away; not monitored
    camera_off_s: float = 0.0

    @property
    def monitored_s(self) -> float:
        return sum(self.seconds.values())

    @property
    def good_share(self) -> float | None:
        judged = self.seconds["ok"] + self.seconds["bad"]
        return self.seconds["ok"] / judged if judged > 0 else None

    def count(self, kind: EventKind) -> int:
        return sum(1 for e in self.events if e.kind is kind)
