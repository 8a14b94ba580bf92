"""The loop from frames to measured records; it knows sources and estimators only by protocol."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from headwatch.alerts import AlertEngine, AlertEvent, EventKind
from headwatch.config import Calibration
from headwatch.judge import Limits, Verdict, judge
from headwatch.metrics import measure, upper_body_position
from headwatch.reference import MAX_GAP_S, Family, Reference, learn_references, limits_for_references
from headwatch.types import Frame, Pose, PostureSample


class PoseDetector(Protocol):
    def detect(self, image_bgr: npt.NDArray[np.uint8], t_s: float = 0.0) -> Pose | None: ...


@dataclass(frozen=True, slots=True)
class FrameRecord:
    """What headwatch measured in one analysed frame or photo."""

    path: str
    t_s: float
    frame: int
    person: bool
    confidence: float | None
    sample: PostureSample
    verdict: Verdict
    position: tuple[float, ...] | None = None  # for the stillness watch
    pose: Pose | None = None  # the landmarks, for drawing (never written to a record file)

    def to_json(self) -> dict[str, Any]:
        row: dict[str, Any] = {"path": self.path, "t_s": round(self.t_s, 3), "frame": self.frame,
                               "person": self.person, "confidence": self.confidence,
                               "verdict": self.verdict.state.value,
                               "reasons": [r.value for r in self.verdict.reasons]}
        row.update(self.sample.to_json())
        return row


@dataclass(frozen=True, slots=True)
class Observation:
    """One frame seen: the pose, its metrics and where the upper body is (all None: nobody)."""

    pose: Pose | None
    sample: PostureSample | None
    position: tuple[float, ...] | None


def observe(frame: Frame, detector: PoseDetector) -> Observation:
    """The one place a frame becomes metrics, for analyze, monitor and calibrate alike."""
    pose = detector.detect(frame.image, frame.t_s)
    if pose is None:
        return Observation(None, None, None)
    return Observation(pose, measure(pose), upper_body_position(pose))


def measure_frames(frames: Iterable[Frame], detector: PoseDetector, path: str, limits: Limits) -> Iterator[FrameRecord]:
    """One judged record per frame: the pose's metrics, or an empty sample when nobody was found."""
    for frame in frames:
        seen = observe(frame, detector)
        confidence = round(seen.pose.confidence, 4) if seen.pose is not None else None
        yield FrameRecord(path, frame.t_s, frame.index, seen.pose is not None, confidence,
                          seen.sample or PostureSample(), judge(seen.sample, limits), seen.position, seen.pose)


def learning_window(records: Sequence[FrameRecord], learn_s: float) -> list[PostureSample]:
    """The samples of a recording's first ``learn_s`` seconds of presence (all of a shorter one):
    what the live monitor would have learned its reference from."""
    samples: list[PostureSample] = []
    present_s, last_t = 0.0, None
    for record in records:
        if not record.person:
            last_t = None
            continue
        if last_t is not None:
            present_s += min(max(0.0, record.t_s - last_t), MAX_GAP_S)
        last_t = record.t_s
        samples.append(record.sample)
        if present_s >= learn_s:
            break
    return samples


def judge_against_own_reference(records: Sequence[FrameRecord], samples: Sequence[PostureSample],
                                margins: Calibration, absolute: Limits,
                                ) -> tuple[list[FrameRecord], dict[Family, Reference]]:
    """The records judged again against the reference learned from ``samples`` (a recording's own,
    or a person's photos); a view family without enough samples keeps the absolute limits."""
    references = learn_references(samples)
    limits = limits_for_references(references, margins, absolute)
    judged = [replace(r, verdict=judge(r.sample if r.person else None, limits)) for r in records]
    return judged, references


@dataclass(frozen=True, slots=True)
class Alert:
    """One bad-posture alert in a recording: when it fired, when posture recovered, and why."""

    start_s: float
    end_s: float
    reasons: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"start_s": round(self.start_s, 2), "end_s": round(self.end_s, 2), "reasons": list(self.reasons)}


def replay_alerts(records: Iterable[FrameRecord], engine: AlertEngine,
                  end_s: float) -> tuple[list[Alert], list[AlertEvent]]:
    """Run the alert engine over a recording's records, as the live monitor would have.

    Returns the alerts (an alert lasts from its first firing to the recovery, or to the end of
    the recording) and every raised event.
    """
    events: list[AlertEvent] = []
    for record in records:
        events += engine.update(record.t_s, record.verdict, record.position)
    alerts: list[Alert] = []
    open_alert: AlertEvent | None = None
    for event in events:
        if event.kind is EventKind.BAD_POSTURE and event.repeat == 0:
            open_alert = event
        elif event.kind is EventKind.POSTURE_RECOVERED and open_alert is not None:
            alerts.append(Alert(open_alert.t_s, event.start_s, tuple(r.value for r in open_alert.reasons)))
            open_alert = None
    if open_alert is not None:
        alerts.append(Alert(open_alert.t_s, end_s, tuple(r.value for r in open_alert.reasons)))
    return alerts, events
