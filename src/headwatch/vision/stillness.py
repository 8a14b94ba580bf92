"""Whether a frame can skip the pose model: the head and shoulders have not moved since it last ran.

While a person sits still their verdict cannot change, and a look costs ~35 ms of pose model
for nothing. So each look first shrinks the frame to a grey thumbnail of a few hundred pixels
(well under a millisecond) and compares it with the thumbnail of the last look that ran the
model. The comparison is a displacement, not a brightness difference: per block of the
thumbnail, the mean change divided by the mean gradient is about how many thumbnail pixels the
content moved there, whatever the lighting or the contrast. The largest block counts, so a head
that drops while the room stands still is not averaged away by the room.

The verdict rests on the head, the neck and the shoulders, and people at a desk move their hands
all day: typing woke the model on every look. So where the last model look found a person, the
check watches the band of the frame from the top down to a margin below the shoulders, its whole
width: the head and shoulders, and beside them the room, where a person comes in or leaves and a
moved camera shows. The rows of blocks wholly below that band (hands, keyboard, mouse, a cup)
count for nothing; a row the band reaches into counts whole, so where the shoulders are near the
bottom of the frame (a laptop webcam's head-and-shoulders view) the whole frame is watched, with
the very blocks the check had before. With nobody found the whole frame is watched.

Compared with the last *model* look, not the previous frame, a slow drift adds up until it
wakes the model. After a wake the model runs until two looks in a row agree (MediaPipe's video
mode tracks from the previous frame and needs a look or two to settle on a moved person), and
it runs at least every ``max_still_s`` whatever the picture says. Nothing of the frame is kept
but the thumbnail, in memory.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import numpy.typing as npt

from headwatch.types import Landmark, Pose

THUMBNAIL = (32, 24)  # width, height: 768 pixels
BLOCK = 8  # pixels of the thumbnail a displacement is measured over (4 x 3 blocks)
# Gradients below this (grey levels per pixel) count as this: a flat wall's noise is no motion.
GRADIENT_FLOOR = 3.0

# The watched band ends this share of the face-to-shoulder height below the shoulders' midpoint
# (their line in a front view; in a side view the far shoulder is a guess that lies lower): the
# shoulders rise, drop and roll within it, the forearms and hands work below it.
SHOULDER_MARGIN = 0.25
_FACE = list(range(0, 11))  # BlazePose's nose, eyes, ears and mouth

FloatImage = npt.NDArray[np.float32]


def watched_share(pose: Pose | None) -> float:
    """How much of the frame, from the top, the still check watches for this last-seen pose:
    down to SHOULDER_MARGIN below the shoulders (1.0, the whole frame, with nobody there)."""
    if pose is None:
        return 1.0
    y = pose.image_xy[:, 1]
    shoulders = float(y[Landmark.LEFT_SHOULDER] + y[Landmark.RIGHT_SHOULDER]) / 2.0
    face_top = float(y[_FACE].min())
    if shoulders <= face_top:  # no sense to be made of it: watch everything
        return 1.0
    return min(1.0, (shoulders + SHOULDER_MARGIN * (shoulders - face_top)) / pose.height)


def thumbnail(image_bgr: npt.NDArray[np.uint8]) -> FloatImage:
    """The frame as a THUMBNAIL-sized grey picture (motion takes the mean brightness out)."""
    small = cv2.resize(image_bgr, THUMBNAIL, interpolation=cv2.INTER_AREA)
    return (cv2.cvtColor(small, cv2.COLOR_BGR2GRAY) if small.ndim == 3 else small).astype(np.float32)


def _blocks(values: FloatImage) -> FloatImage:
    height, width = values.shape
    rows, cols = height // BLOCK, width // BLOCK
    blocks: FloatImage = values[:rows * BLOCK, :cols * BLOCK].reshape(rows, BLOCK, cols, BLOCK).mean(axis=(1, 3))
    return blocks


def _gradient(picture: FloatImage) -> FloatImage:
    magnitude = np.zeros_like(picture)
    magnitude[:, :-1] += np.abs(np.diff(picture, axis=1))
    magnitude[:-1, :] += np.abs(np.diff(picture, axis=0))
    return magnitude / 2.0


def motion(before: FloatImage, after: FloatImage, watched: float = 1.0) -> float:
    """About how far (thumbnail pixels) the picture moved where it moved most, over the rows of
    blocks that reach into the top ``watched`` share of it (the rows wholly below do not count).
    The mean brightness of those rows is taken out of each: a brighter room moves nothing, and
    neither do bright hands over a dark desk below them."""
    rows = min(before.shape[0], max(1, math.ceil(watched * before.shape[0] / BLOCK)) * BLOCK)
    before, after = before[:rows] - before[:rows].mean(), after[:rows] - after[:rows].mean()
    change = _blocks(np.abs(after - before))
    texture = _blocks((_gradient(before) + _gradient(after)) / 2.0)
    return float((change / np.maximum(texture, GRADIENT_FLOOR)).max())


class StillGate:
    """``still(image, t_s)`` per look, in time order: True when the frame may skip the model.

    A False answer means the caller runs the model on this frame, which becomes the picture the
    next frames are compared with.
    """

    def __init__(self, threshold_px: float = 0.3, settle_looks: int = 2, max_still_s: float = 10.0) -> None:
        self.threshold_px = threshold_px
        self.settle_looks = settle_looks  # model looks in a row that must agree before skipping
        self.max_still_s = max_still_s
        self._looked: tuple[float, FloatImage] | None = None  # the last model look: time, thumbnail
        self._agreeing = 0

    def still(self, image_bgr: npt.NDArray[np.uint8], t_s: float, seen: Pose | None = None) -> bool:
        """``seen``: the person the last model look found (None: nobody), whose head and
        shoulders are watched (watched_share)."""
        picture = thumbnail(image_bgr)
        if self._looked is None:
            self._looked = (t_s, picture)
            return False
        looked_s, looked = self._looked
        unmoved = motion(looked, picture, watched_share(seen)) <= self.threshold_px
        if unmoved and self._agreeing >= self.settle_looks and t_s - looked_s < self.max_still_s:
            return True
        self._agreeing = self._agreeing + 1 if unmoved else 0
        self._looked = (t_s, picture)
        return False

    def forget(self) -> None:
        """Start afresh (after a pause or a lost camera: the next frame runs the model)."""
        self._looked, self._agreeing = None, 0


def still_gate(check_s: float | None) -> StillGate | None:
    """The gate for a ``[capture] still_check_s`` as settings give it (assemble.still_check_s):
    None, the model on every look, when rest_when_still is off."""
    return StillGate(max_still_s=check_s) if check_s is not None else None
