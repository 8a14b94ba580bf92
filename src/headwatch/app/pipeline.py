"""The loop from frames to measured records; it knows sources and estimators only by protocol."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np
import numpy.typing as npt

from headwatch.config.settings import Calibration
from headwatch.posture.framing import framing_problems
from headwatch.posture.judge import Limits, judge
from headwatch.posture.metrics import CameraShiftLike, in_first_view, measure, upper_body_position
from headwatch.posture.reference import Family, Reference, learn_references, limits_for_references
from headwatch.types import Frame, FrameRecord, Pose, PostureSample


class PoseDetector(Protocol):
    def detect(self, image_bgr: npt.NDArray[np.uint8], t_s: float = 0.0) -> Pose | None: ...


class CameraWatch(Protocol):
    """camera_motion.CameraTracker: the camera's move since a stream's first look."""

    def update(self, image_bgr: npt.NDArray[np.uint8],
               person_box: tuple[float, float, float, float] | None) -> CameraShiftLike: ...


class StillWatch(Protocol):
    """stillness.StillGate: whether a frame may skip the pose model, given the person the last
    model look found (whose head and shoulders it watches)."""

    def still(self, image_bgr: npt.NDArray[np.uint8], t_s: float, seen: Pose | None = None) -> bool: ...

    def forget(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Observation:
    """One frame seen: the pose, its metrics and where the upper body is (all None: nobody).
    ``skipped``: the picture held still, so this is the last model look's observation again."""

    pose: Pose | None
    sample: PostureSample | None
    position: tuple[float, ...] | None
    skipped: bool = False


def observe(frame: Frame, detector: PoseDetector, camera: CameraWatch | None = None) -> Observation:
    """The one place a frame becomes metrics, for analyze, monitor and calibrate alike. With a
    ``camera`` watch (a stream of frames, not single photos) positions are carried back into the
    stream's first view, so that a moved camera is not read as a moved person."""
    pose = detector.detect(frame.image, frame.t_s)
    shift = camera.update(frame.image, pose.bbox() if pose is not None else None) if camera is not None else None
    if pose is None:
        return Observation(None, None, None)
    return Observation(pose, in_first_view(measure(pose), shift), upper_body_position(pose))


class Observer:
    """``observe`` for a stream of frames in time order (a camera, a recording), the same for the
    monitor and analyze. With a ``gate`` the pose model rests while the picture holds still: the
    last observation stands, marked skipped."""

    def __init__(self, detector: PoseDetector, camera: CameraWatch | None = None,
                 gate: StillWatch | None = None) -> None:
        self.detector = detector
        self.camera = camera
        self.gate = gate
        self._last: Observation | None = None

    def __call__(self, frame: Frame) -> Observation:
        last = self._last
        if self.gate is not None and self.gate.still(frame.image, frame.t_s, last.pose if last else None) \
                and last is not None:
            return replace(last, skipped=True)
        self._last = observe(frame, self.detector, self.camera)
        return self._last

    def forget(self) -> None:
        """After a gap (a pause, a lost camera) the next frame runs the model."""
        self._last = None
        if self.gate is not None:
            self.gate.forget()


def framing_of(pose: Pose | None, image: npt.NDArray[np.uint8]) -> list[str]:
    """What to change in the framing of one picture (posture.framing), its brightness from every
    8th pixel each way: plenty for "too dark", at a 64th of the cost."""
    return framing_problems(pose, float(image[::8, ::8].mean()))


def measure_frames(frames: Iterable[Frame], detector: PoseDetector, path: str, limits: Limits,
                   camera: CameraWatch | None = None, gate: StillWatch | None = None) -> Iterator[FrameRecord]:
    """One judged record per frame: the pose's metrics, or an empty sample when nobody was found
    (with a ``gate``, a frame that held still repeats the last measured one: Observer)."""
    observer = Observer(detector, camera, gate)
    for frame in frames:
        seen = observer(frame)
        confidence = round(seen.pose.confidence, 4) if seen.pose is not None else None
        yield FrameRecord(path, frame.t_s, frame.index, seen.pose is not None, confidence,
                          seen.sample or PostureSample(), judge(seen.sample, limits), seen.position, seen.pose,
                          seen.skipped)


def judge_against_own_reference(records: Sequence[FrameRecord], samples: Sequence[PostureSample],
                                margins: Calibration, absolute: Limits,
                                ) -> tuple[list[FrameRecord], dict[Family, Reference]]:
    """The records judged again against the reference learned from ``samples`` (a recording's own,
    or a person's photos); a view family without enough samples keeps the absolute limits."""
    references = learn_references(samples)
    limits = limits_for_references(references, margins, absolute)
    judged = [replace(r, verdict=judge(r.sample if r.person else None, limits)) for r in records]
    return judged, references
