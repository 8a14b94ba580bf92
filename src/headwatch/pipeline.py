"""The loop from frames to measured records; it knows sources and estimators only by protocol."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from headwatch.metrics import measure
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

    def as_row(self) -> dict[str, Any]:
        row: dict[str, Any] = {"path": self.path, "t_s": round(self.t_s, 3), "frame": self.frame,
                               "person": self.person, "confidence": self.confidence}
        row.update(self.sample.as_dict())
        return row


def measure_frames(frames: Iterable[Frame], detector: PoseDetector, path: str) -> Iterator[FrameRecord]:
    """One record per frame: the pose's metrics, or an empty sample when nobody was found."""
    for frame in frames:
        pose = detector.detect(frame.image, frame.t_s)
        if pose is None:
            yield FrameRecord(path, frame.t_s, frame.index, False, None, PostureSample())
        else:
            yield FrameRecord(path, frame.t_s, frame.index, True, round(pose.confidence, 4), measure(pose))
