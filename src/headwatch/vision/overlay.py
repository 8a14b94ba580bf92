"""The --preview window: the skeleton, the angles and the state drawn on the frame.

The only module besides sources.py that uses cv2: drawing and the window. Nothing here is ever
written to disk.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from headwatch.errors import HeadwatchError
from headwatch.files import own_target
from headwatch.types import Landmark, Pose, PostureSample, State, Verdict

# BGR colours by state: green, red, grey, amber.
STATE_COLOURS = {State.OK: (80, 200, 80), State.BAD: (60, 60, 230), State.AWAY: (150, 150, 150),
                 State.UNKNOWN: (0, 190, 255)}
_BONES = [(Landmark.LEFT_EAR, Landmark.LEFT_SHOULDER), (Landmark.RIGHT_EAR, Landmark.RIGHT_SHOULDER),
          (Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER), (Landmark.LEFT_SHOULDER, Landmark.LEFT_HIP),
          (Landmark.RIGHT_SHOULDER, Landmark.RIGHT_HIP), (Landmark.LEFT_HIP, Landmark.RIGHT_HIP),
          (Landmark.LEFT_EAR, Landmark.NOSE), (Landmark.RIGHT_EAR, Landmark.NOSE)]
WINDOW = "headwatch"


def draw(image: npt.NDArray[np.uint8], pose: Pose | None, sample: PostureSample | None,
         verdict: Verdict, alert: bool = False) -> npt.NDArray[np.uint8]:
    """A copy of the frame with the skeleton and a caption, coloured by state; ``alert`` (an alert
    is on) frames it in red and says so."""
    canvas = image.copy()
    colour = STATE_COLOURS[verdict.state]
    if pose is not None:
        points = pose.image_xy.round().astype(int)
        for a, b in _BONES:
            if min(pose.visibility[a], pose.visibility[b]) >= 0.5:
                cv2.line(canvas, (int(points[a, 0]), int(points[a, 1])), (int(points[b, 0]), int(points[b, 1])),
                         colour, 2, cv2.LINE_AA)
        for mark in Landmark:
            if pose.visibility[mark] >= 0.5:
                cv2.circle(canvas, (int(points[mark, 0]), int(points[mark, 1])), 4, colour, -1, cv2.LINE_AA)
    caption = ("ALERT  " if alert else "") + verdict.state.value.upper()
    if verdict.reasons:
        caption += ": " + ", ".join(r.value for r in verdict.reasons)
    if sample is not None:
        parts = [(name, getattr(sample, key)) for name, key in
                 (("head", "head_forward_deg"), ("tilt", "shoulder_tilt_deg"), ("roll", "head_roll_deg"))]
        caption += "  " + "  ".join(f"{n} {v:+.0f}" for n, v in parts if v is not None)
    # What decided, in the one wording (OpenCV's font has no degree sign).
    why = verdict.findings[0].describe().replace("°", " deg") if verdict.findings else ""
    band = 48 if why else 28
    cv2.rectangle(canvas, (0, 0), (canvas.shape[1], band), colour, -1)
    if alert:
        cv2.rectangle(canvas, (0, 0), (canvas.shape[1] - 1, canvas.shape[0] - 1), STATE_COLOURS[State.BAD], 4)
    cv2.putText(canvas, caption, (8, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (255, 255, 255), 1, cv2.LINE_AA)
    if why:
        cv2.putText(canvas, why, (8, 40), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255), 1, cv2.LINE_AA)
    return canvas


PREVIEW_KEYS = "s snooze   u I'm sitting upright   q stop"
PREVIEW_LONG_SIDE = 800  # pixels: a small camera frame is shown larger, a large one smaller


def with_key_hints(image: npt.NDArray[np.uint8], hints: str = PREVIEW_KEYS) -> npt.NDArray[np.uint8]:
    """The preview's frame at a readable size with the keys written under it."""
    scale = PREVIEW_LONG_SIDE / max(image.shape[:2])
    sized = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    strip = np.full((30, sized.shape[1], 3), 40, np.uint8)
    cv2.putText(strip, hints, (8, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (230, 230, 230), 1, cv2.LINE_AA)
    return np.vstack([sized, strip])


class PreviewWindow:
    """Shows each drawn frame in a plain window (no toolbar or status bar), the keys under it;
    closing it or pressing q asks the monitor to stop, other keys go to ``on_key``."""

    wanted = True  # every look is drawn: the window is always open

    def __init__(self, on_key: Callable[[str], None] = lambda _: None) -> None:
        self.closed = False
        self.on_key = on_key
        self._opened = False

    def show(self, image: npt.NDArray[np.uint8]) -> None:
        framed = with_key_hints(image)
        if not self._opened:
            cv2.namedWindow(WINDOW, cv2.WINDOW_NORMAL | cv2.WINDOW_KEEPRATIO | cv2.WINDOW_GUI_NORMAL)
            cv2.resizeWindow(WINDOW, framed.shape[1], framed.shape[0])
            self._opened = True
        cv2.imshow(WINDOW, framed)
        key = cv2.waitKey(1) & 0xFF
        if key in (ord("q"), 27) or cv2.getWindowProperty(WINDOW, cv2.WND_PROP_VISIBLE) < 1:
            self.closed = True
        elif key != 0xFF:
            self.on_key(chr(key).lower())

    def close(self) -> None:
        cv2.destroyAllWindows()


class AnnotatedVideo:
    """Writes drawn frames to an MP4 file: ``with AnnotatedVideo(path, fps, (w, h)) as out: out.write(img)``.

    OpenCV reports no failed write (a full disk leaves a cut, unplayable file): the frames go to a
    temporary file beside the target, which takes the target's place only once it reads back
    whole, so a video already there is never lost to a bad one.
    """

    def __init__(self, path: Path, fps: float, size: tuple[int, int]) -> None:
        self.path = path
        # OpenCV opens the name as given: through another user's link, into their file.
        self._target = own_target(path)
        handle, name = tempfile.mkstemp(prefix=f".{self._target.stem}-", suffix=".mp4", dir=self._target.parent)
        os.close(handle)
        self._temporary = Path(name)
        self._writer = cv2.VideoWriter(name, cv2.VideoWriter.fourcc(*"mp4v"), fps, size)
        if not self._writer.isOpened():
            self._temporary.unlink(missing_ok=True)
            raise HeadwatchError(f"{path}: cannot write the annotated video (check the folder and the .mp4 name)")
        self.frames = 0

    def write(self, image: npt.NDArray[np.uint8]) -> None:
        self._writer.write(image)
        self.frames += 1

    def __enter__(self) -> AnnotatedVideo:
        return self

    def __exit__(self, failed: type[BaseException] | None, *_: object) -> None:
        self._writer.release()
        if failed is None and _frames_in(self._temporary) == self.frames:
            os.replace(self._temporary, self._target)
            return
        self._temporary.unlink(missing_ok=True)
        if failed is None:
            raise HeadwatchError(f"{self.path}: the annotated video could not be written whole (is the disk full?); "
                                 "nothing was replaced")


def _frames_in(path: Path) -> int:
    capture = cv2.VideoCapture(str(path))
    try:
        return int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) if capture.isOpened() else -1
    finally:
        capture.release()
