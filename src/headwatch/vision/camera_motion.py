"""How the camera's view moved since a session's first look, from the background alone.

A nudged laptop lid, a knocked webcam or a zoom moves the head, the shoulders and the room
together; a slump moves the head against the body and the room. So the room tells set-up changes
from posture changes: corners of a small grey frame outside the person's box are tracked from a
key frame (pyramidal Lucas-Kanade, checked forward and back) and a similarity transform
(shift, scale, rotation) is fitted to them with RANSAC. Estimating against a key frame rather
than frame to frame keeps noise from adding up over a day; the key frame is renewed after a
real move or when too few corners survive.

It runs only on the frames headwatch looks at (1-5 a second), on a grey copy 160-320 pixels high:
about 2 ms of the ~35 ms a look costs. Nothing of the frame is kept but that grey
copy of the key frame, in memory.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

THUMB_HEIGHT = 160  # at the least (a whole factor smaller than the frame)
# The person's box, grown by this share of its size on each side, is not background.
PERSON_MARGIN = 0.25
MAX_CORNERS = 150
MIN_TRACKED = 12  # corners that must survive tracking for an estimate
MIN_INLIERS = 10
MIN_INLIER_SHARE = 0.6
FORWARD_BACK_PX = 0.7  # a corner tracked forward and back must land this close to where it started
RANSAC_PX = 0.8
# Below these a move is noise (thumbnail pixels, scale): the estimate reads no move at all.
STILL_SHIFT_PX = 0.35
STILL_SCALE = 0.004
# After a move this large the key frame is renewed (the next estimates start from the new view).
REKEY_SHIFT_PX = 2.0
REKEY_SCALE = 0.015

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in the frame's pixels


@dataclass(frozen=True, slots=True)
class CameraShift:
    """The view's move since the first look: a point p of that view (in frame heights, from the
    top-left corner) is now at ``scale * R(rotation) * p + (dx, dy)``."""

    dx: float = 0.0
    dy: float = 0.0
    scale: float = 1.0
    rotation_deg: float = 0.0

    def then(self, later: CameraShift) -> CameraShift:
        """This move followed by ``later``."""
        a = math.radians(later.rotation_deg)
        cos_a, sin_a = math.cos(a), math.sin(a)
        dx = later.scale * (cos_a * self.dx - sin_a * self.dy) + later.dx
        dy = later.scale * (sin_a * self.dx + cos_a * self.dy) + later.dy
        return CameraShift(dx, dy, self.scale * later.scale, self.rotation_deg + later.rotation_deg)


STILL = CameraShift()


def _thumbnail(image_bgr: npt.NDArray[np.uint8]) -> tuple[npt.NDArray[np.uint8], float]:
    """A grey copy about THUMB_HEIGHT high, and its pixels per frame pixel. The frame is shrunk by
    a whole factor, which OpenCV's area averaging does 4x faster than any other (0.7 ms at 720p)."""
    height, width = image_bgr.shape[:2]
    step = max(1, height // THUMB_HEIGHT)
    grey = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2GRAY)
    if step > 1:
        grey = cv2.resize(grey[:height - height % step, :width - width % step], (width // step, height // step),
                          interpolation=cv2.INTER_AREA)
    return np.asarray(grey, dtype=np.uint8), 1.0 / step


def _background_mask(shape: tuple[int, ...], box: Box | None, factor: float) -> npt.NDArray[np.uint8]:
    mask = np.full(shape[:2], 255, np.uint8)
    mask[:3, :] = mask[-3:, :] = 0  # corners at the very edge leave the frame with any move
    mask[:, :3] = mask[:, -3:] = 0
    if box is not None:
        x0, y0, x1, y1 = (v * factor for v in box)
        grow_x, grow_y = (x1 - x0) * PERSON_MARGIN, (y1 - y0) * PERSON_MARGIN
        # Down to the bottom edge: the body goes on below the landmarks that were seen.
        mask[max(0, int(y0 - grow_y)):, max(0, int(x0 - grow_x)):int(x1 + grow_x) + 1] = 0
    return mask


def _similarity(matrix: npt.NDArray[np.float64]) -> tuple[float, float, float, float]:
    """(dx, dy, scale, rotation in degrees) of a 2x3 partial affine matrix."""
    a, b = float(matrix[0, 0]), float(matrix[1, 0])
    return float(matrix[0, 2]), float(matrix[1, 2]), math.hypot(a, b), math.degrees(math.atan2(b, a))


@dataclass(slots=True)
class _KeyFrame:
    grey: npt.NDArray[np.uint8]
    corners: npt.NDArray[np.float32]  # N x 1 x 2
    shift: CameraShift  # of the key frame, since the first look


class CameraTracker:
    """Feed every looked-at frame with the person's box; get the camera's move since the first.

    When the background cannot tell (too little of it in view, or it changed as a whole: the
    light, another room) the last known move is returned, and ``known`` says it was not measured.
    """

    def __init__(self) -> None:
        self._key: _KeyFrame | None = None
        self.last: CameraShift = STILL
        self.known = True

    def update(self, image_bgr: npt.NDArray[np.uint8], person_box: Box | None) -> CameraShift:
        grey, factor = _thumbnail(image_bgr)
        mask = _background_mask(grey.shape, person_box, factor)
        unit = factor * image_bgr.shape[0]  # thumbnail pixels per frame height
        key = self._key
        if key is None or key.grey.shape != grey.shape:
            self._rekey(grey, mask, self.last)
            self.known = key is None
            return self.last
        relative = self._estimate(key, grey, mask, unit)
        self.known = relative is not None
        if relative is None:
            if len(key.corners) < MIN_TRACKED:  # a poor key frame: try a fresh one from here
                self._rekey(grey, mask, self.last)
            return self.last
        shift_px = math.hypot(relative.dx, relative.dy) * unit
        if shift_px < STILL_SHIFT_PX and abs(relative.scale - 1.0) < STILL_SCALE:
            relative = STILL
        self.last = key.shift.then(relative)
        if shift_px >= REKEY_SHIFT_PX or abs(relative.scale - 1.0) >= REKEY_SCALE:
            self._rekey(grey, mask, self.last)
        return self.last

    def _rekey(self, grey: npt.NDArray[np.uint8], mask: npt.NDArray[np.uint8], shift: CameraShift) -> None:
        corners = cv2.goodFeaturesToTrack(grey, MAX_CORNERS, 0.01, 5, mask=mask, blockSize=5)
        empty = np.zeros((0, 1, 2), np.float32)
        self._key = _KeyFrame(grey, empty if corners is None else corners.astype(np.float32), shift)

    def _estimate(self, key: _KeyFrame, grey: npt.NDArray[np.uint8], mask: npt.NDArray[np.uint8],
                  unit: float) -> CameraShift | None:
        if len(key.corners) < MIN_TRACKED:
            return None
        moved, status, _ = cv2.calcOpticalFlowPyrLK(key.grey, grey, key.corners, None, winSize=(15, 15), maxLevel=3)
        back, status_back, _ = cv2.calcOpticalFlowPyrLK(grey, key.grey, moved, None, winSize=(15, 15), maxLevel=3)
        good = (status.ravel() == 1) & (status_back.ravel() == 1)
        good &= np.linalg.norm((back - key.corners).reshape(-1, 2), axis=1) < FORWARD_BACK_PX
        destination = moved.reshape(-1, 2)
        inside = np.clip(np.round(destination).astype(int), 0, [grey.shape[1] - 1, grey.shape[0] - 1])
        good &= mask[inside[:, 1], inside[:, 0]] > 0  # landed on the person now: not background
        if int(good.sum()) < MIN_TRACKED:
            return None
        source = key.corners.reshape(-1, 2)[good]
        matrix, inliers = cv2.estimateAffinePartial2D(source, destination[good], method=cv2.RANSAC,
                                                      ransacReprojThreshold=RANSAC_PX)
        if matrix is None or inliers is None:
            return None
        count = int(inliers.sum())
        if count < MIN_INLIERS or count < MIN_INLIER_SHARE * len(source):
            return None
        dx, dy, scale, rotation = _similarity(matrix)
        return CameraShift(dx / unit, dy / unit, scale, rotation)
