"""The loop from frames to measured records; it knows sources and estimators only by protocol."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from headwatch.config.settings import Calibration
from headwatch.posture.judge import Limits, Verdict, judge
from headwatch.posture.metrics import CameraShiftLike, in_first_view, measure, upper_body_position
from headwatch.posture.reference import Family, Reference, learn_references, limits_for_references
from headwatch.timeline.alerts import AlertEngine, AlertEvent, EventKind
from headwatch.types import Frame, Pose, PostureSample


class PoseDetector(Protocol):
    def detect(self, image_bgr: npt.NDArray[np.uint8], t_s: float = 0.0) -> Pose | None: ...


class CameraWatch(Protocol):
    """camera_motion.CameraTracker: the camera's move since a stream's first look."""

    def update(self, image_bgr: npt.NDArray[np.uint8],
               person_box: tuple[float, float, float, float] | None) -> CameraShiftLike: ...


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


def observe(frame: Frame, detector: PoseDetector, camera: CameraWatch | None = None) -> Observation:
    """The one place a frame becomes metrics, for analyze, monitor and calibrate alike. With a
    ``camera`` watch (a stream of frames, not single photos) positions are carried back into the
    stream's first view, so that a moved camera is not read as a moved person."""
    pose = detector.detect(frame.image, frame.t_s)
    shift = camera.update(frame.image, pose.bbox() if pose is not None else None) if camera is not None else None
    if pose is None:
        return Observation(None, None, None)
    return Observation(pose, in_first_view(measure(pose), shift), upper_body_position(pose))


def measure_frames(frames: Iterable[Frame], detector: PoseDetector, path: str, limits: Limits,
                   camera: CameraWatch | None = None) -> Iterator[FrameRecord]:
    """One judged record per frame: the pose's metrics, or an empty sample when nobody was found."""
    for frame in frames:
        seen = observe(frame, detector, camera)
        confidence = round(seen.pose.confidence, 4) if seen.pose is not None else None
        yield FrameRecord(path, frame.t_s, frame.index, seen.pose is not None, confidence,
                          seen.sample or PostureSample(), judge(seen.sample, limits), seen.position, seen.pose)


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
