"""MediaPipe's pose landmarker behind a small interface. The only module that imports mediapipe.

One person per frame: when several are found, the largest and most central one is kept. Small
or distant people are looked for again in a crop around where the person was last seen (or, with
no such place, in overlapping tiles), because the detector sees the frame at 224x224 and misses
people only a few dozen pixels wide.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any, Literal

import cv2
import numpy as np
import numpy.typing as npt

from headwatch.errors import ModelError, SystemLibraryError
from headwatch.files import keep_matplotlib_at_home
from headwatch.types import Landmark, Pose
from headwatch.vision.models import DEFAULT_MODEL, load_model

# Set by `headwatch -v` (an environment variable, so that --jobs workers see it too): native
# diagnostics reach the terminal. mediapipe 1.2 reads neither GLOG_minloglevel nor
# TF_CPP_MIN_LOG_LEVEL, so the only switch that works is fd 2 itself.
NATIVE_DIAGNOSTICS_ENV = "HEADWATCH_NATIVE_DIAGNOSTICS"


def _quiet_mediapipe_import() -> None:
    """Import mediapipe without its side effects on the user's machine.

    mediapipe imports matplotlib (for drawing helpers headwatch does not use), which creates
    ~/.config/matplotlib and ~/.cache/matplotlib: it goes to headwatch's own cache folder instead.
    It also imports sounddevice (for audio tasks), which runs ldconfig and gcc to look for
    PortAudio at every start: mediapipe takes a failed import of it in its stride, so while
    mediapipe loads, that import is made to fail (and is allowed again afterwards).
    """
    keep_matplotlib_at_home()
    blocked = "sounddevice" not in sys.modules
    if blocked:
        sys.modules["sounddevice"] = None  # type: ignore[assignment]  # "import sounddevice" raises ImportError
    try:
        import mediapipe
        import mediapipe.tasks.python.vision  # noqa: F401
    finally:
        if blocked:
            del sys.modules["sounddevice"]


_quiet_mediapipe_import()

import mediapipe as mp  # noqa: E402
from mediapipe.tasks.python import vision  # noqa: E402
from mediapipe.tasks.python.core.base_options import BaseOptions  # noqa: E402

RunningMode = Literal["image", "video"]
Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in pixels

# A person whose landmark box is under this share of the frame's shorter side is "small":
# the crop pass then looks again at a closer view.
SMALL_PERSON_SHARE = 0.5
# The crop is this many times the person's box (the landmark model wants context around them).
CROP_MARGIN = 1.8
MAX_PEOPLE = 2
# Two, and the choice among them is ours (choose_person). Asking for one would be 1.55x cheaper
# in video mode, but only because MediaPipe then tracks the pose from frame to frame instead of
# detecting it, and the tracked landmarks read differently: a still, upright portrait was judged
# head-forward in 36 of 40 tracked frames and in none detected (the limits were chosen on detected ones).
# A crop already centres on where a person is likely to be, so the detector may be less strict
# there (the anatomy check still rejects nonsense): 0.3 instead of MediaPipe's 0.5 found 47 of
# the 50 small people the full frame missed on the side-standing development set.
CROP_MIN_CONFIDENCE = 0.3
_UPPER_BODY = list(range(0, 13))
# Nobody can be found in an image smaller than this (and the tiles of one would be empty).
MIN_SIDE_PX = 32


@contextlib.contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """Hide what MediaPipe's native code writes straight to fd 2 (TFLite, glog, its accelerator
    registry's INFO lines from close()) while it runs: every call into it goes through here."""
    if os.environ.get(NATIVE_DIAGNOSTICS_ENV):
        yield
        return
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


# What each system needs beside Python (docs/install.md, "Dependencies"): libmediapipe.so links EGL and
# GLES directly, even on the CPU.
SYSTEM_LIBRARY_HINT = {
    "linux": "install EGL and GLES (Debian/Ubuntu: sudo apt install libegl1 libgles2; Fedora: sudo dnf install "
             "libglvnd-egl libglvnd-gles)",
    "darwin": "reinstall mediapipe (pip install --force-reinstall mediapipe); macOS 12 or newer is needed",
    "win32": "install the Microsoft Visual C++ Redistributable (x64) and reinstall mediapipe",
}


def missing_library_message(error: str, platform: str = sys.platform) -> str:
    """One line for a native library that would not load: which one, and what to install."""
    first = error.splitlines()[0] if error else "unknown error"
    hint = SYSTEM_LIBRARY_HINT.get("linux" if platform.startswith("linux") else platform,
                                   "reinstall mediapipe for this system")
    return f"MediaPipe's native library cannot be loaded ({first}): {hint}"


def _to_pose(landmarks: Any, world: Any, box: Box, width: int, height: int) -> Pose:
    """Convert one MediaPipe result (normalised to ``box``) into full-frame pixels."""
    x0, y0, x1, y1 = box
    xy = np.array([[lm.x * (x1 - x0) + x0, lm.y * (y1 - y0) + y0] for lm in landmarks], dtype=np.float64)
    visibility = np.array([lm.visibility or 0.0 for lm in landmarks], dtype=np.float64)
    presence = np.array([landmarks[i].presence or 0.0 for i in _UPPER_BODY], dtype=np.float64)
    world_xyz = np.array([[w.x, w.y, w.z] for w in world], dtype=np.float64)
    return Pose(image_xy=xy, visibility=visibility, world_xyz=world_xyz, width=width, height=height,
                confidence=float(presence.mean()))


def _poses_of(result: Any, box: Box, width: int, height: int) -> list[Pose]:
    return [_to_pose(lms, world, box, width, height)
            for lms, world in zip(result.pose_landmarks, result.pose_world_landmarks, strict=True)]


def is_plausible(pose: Pose) -> bool:
    """Reject anatomically impossible poses (the detector sometimes puts the hips at the neck)."""
    vis, xy = pose.visibility, pose.image_xy
    shoulders_y = (xy[Landmark.LEFT_SHOULDER, 1] + xy[Landmark.RIGHT_SHOULDER, 1]) / 2.0
    if vis[Landmark.NOSE] >= 0.5 and xy[Landmark.NOSE, 1] > shoulders_y:
        return False
    hips_seen = vis[Landmark.LEFT_HIP] >= 0.5 and vis[Landmark.RIGHT_HIP] >= 0.5
    hips_y = (xy[Landmark.LEFT_HIP, 1] + xy[Landmark.RIGHT_HIP, 1]) / 2.0
    return not (hips_seen and hips_y < shoulders_y)


def choose_person(poses: list[Pose]) -> Pose | None:
    """The largest and most central plausible person, or None."""
    def score(pose: Pose) -> float:
        x0, y0, x1, y1 = pose.bbox()
        area = max(x1 - x0, 1.0) * max(y1 - y0, 1.0) / (pose.width * pose.height)
        cx, cy = (x0 + x1) / 2.0 / pose.width - 0.5, (y0 + y1) / 2.0 / pose.height - 0.5
        return area * (1.0 - min(1.0, float(np.hypot(cx, cy))))

    plausible = [p for p in poses if is_plausible(p)]
    return max(plausible, key=score) if plausible else None


def crop_around(pose_box: tuple[float, float, float, float], width: int, height: int) -> Box:
    """A square crop, CROP_MARGIN times the person's box, clipped to the frame."""
    x0, y0, x1, y1 = pose_box
    side = max(x1 - x0, y1 - y0) * CROP_MARGIN
    side = min(max(side, 64.0), float(min(width, height)))
    cx, cy = (x0 + x1) / 2.0, (y0 + y1) / 2.0
    left = round(min(max(cx - side / 2.0, 0.0), width - side))
    top = round(min(max(cy - side / 2.0, 0.0), height - side))
    return left, top, left + int(side), top + int(side)


def tiles(width: int, height: int) -> list[Box]:
    """Overlapping square tiles, 3/4 of the shorter side, covering the frame."""
    side = int(min(width, height) * 0.75)

    def starts(length: int) -> list[int]:
        count = max(1, int(np.ceil((length - side) / (side * 0.5))) + 1)
        return sorted({round(i * (length - side) / max(count - 1, 1)) for i in range(count)})

    return [(x, y, x + side, y + side) for y in starts(height) for x in starts(width)]


def _is_small(pose: Pose) -> bool:
    x0, y0, x1, y1 = pose.bbox()
    return max(x1 - x0, y1 - y0) < SMALL_PERSON_SHARE * min(pose.width, pose.height)


class PoseEstimator:
    """Finds one person's landmarks in BGR frames.

    ``mode="video"`` tracks across frames and needs strictly increasing timestamps;
    ``mode="image"`` treats every call on its own (photos). Use as a context manager.
    """

    def __init__(self, model: str = DEFAULT_MODEL, mode: RunningMode = "video", *,
                 refine_small: bool = True) -> None:
        self.model = load_model(model)
        self.mode = mode
        self.refine_small = refine_small
        self._main = self._create(mode, MAX_PEOPLE)
        self._crop_landmarker: vision.PoseLandmarker | None = None
        self._last_box: tuple[float, float, float, float] | None = None
        self._last_timestamp_ms = -1
        self._next_tile = 0

    def _create(self, mode: RunningMode, num_poses: int, min_confidence: float = 0.5) -> vision.PoseLandmarker:
        options = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_buffer=self.model.data),
            running_mode=vision.RunningMode.VIDEO if mode == "video" else vision.RunningMode.IMAGE,
            num_poses=num_poses,
            min_pose_detection_confidence=min_confidence,
            min_pose_presence_confidence=min_confidence,
        )
        try:
            with _native_stderr_silenced():
                return vision.PoseLandmarker.create_from_options(options)
        except OSError as exc:  # libmediapipe or a system library it links could not be loaded
            raise SystemLibraryError(missing_library_message(str(exc))) from None
        except (RuntimeError, ValueError) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ModelError(f"{self.model.path} could not be loaded as a pose landmarker: {reason}") from None

    def __enter__(self) -> PoseEstimator:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        for landmarker in (self._main, self._crop_landmarker):
            if landmarker is not None:
                with _native_stderr_silenced():  # mediapipe 1.2.3 logs two INFO lines per close
                    landmarker.close()
        self._crop_landmarker = None

    def detect(self, image_bgr: npt.NDArray[np.uint8], t_s: float = 0.0) -> Pose | None:
        """The person in the frame, or None. ``t_s`` matters only in video mode."""
        height, width = image_bgr.shape[:2]
        if min(height, width) < MIN_SIDE_PX:
            return None
        if self.mode == "image":
            self._last_box = None  # photos are independent: one must not steer the search in the next
        # 60x faster than reversing the colour axis in numpy (3.7 ms a 720p frame)
        rgb = np.asarray(cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB), dtype=np.uint8)
        with _native_stderr_silenced():
            result = self._run_main(rgb, t_s)
        poses = _poses_of(result, (0, 0, width, height), width, height)
        person = choose_person(poses)
        if self.refine_small and (person is None or _is_small(person)):
            person = self._look_closer(rgb, person) or person
        if person is not None:
            self._last_box = person.bbox()
        return person

    def _run_main(self, rgb: npt.NDArray[np.uint8], t_s: float) -> Any:
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb)
        if self.mode == "image":
            return self._main.detect(image)
        # MediaPipe refuses a timestamp that does not increase; sources may repeat one.
        timestamp_ms = max(round(t_s * 1000.0), self._last_timestamp_ms + 1)
        self._last_timestamp_ms = timestamp_ms
        return self._main.detect_for_video(image, timestamp_ms)

    def _look_closer(self, rgb: npt.NDArray[np.uint8], found: Pose | None) -> Pose | None:
        """Search a crop around the person (found now or last seen), then tiles of the frame."""
        height, width = rgb.shape[:2]
        box = found.bbox() if found is not None else self._last_box
        if box is not None:
            person = self._detect_in(rgb, [crop_around(box, width, height)])
            if person is not None or found is not None:
                return person
            self._last_box = None  # the person has gone from there: stop looking at that spot
        all_tiles = tiles(width, height)
        if self.mode == "image":
            return self._detect_in(rgb, all_tiles)
        # A live source with nobody in view: one tile per frame bounds the cost.
        self._next_tile += 1
        return self._detect_in(rgb, [all_tiles[self._next_tile % len(all_tiles)]])

    def _detect_in(self, rgb: npt.NDArray[np.uint8], boxes: list[Box]) -> Pose | None:
        height, width = rgb.shape[:2]
        if self._crop_landmarker is None:
            self._crop_landmarker = self._create("image", 1, min_confidence=CROP_MIN_CONFIDENCE)
        candidates = []
        for x0, y0, x1, y1 in boxes:
            if x1 - x0 >= width and y1 - y0 >= height:
                continue  # the crop is the whole frame: nothing new to see
            crop = np.ascontiguousarray(rgb[y0:y1, x0:x1])
            with _native_stderr_silenced():
                result = self._crop_landmarker.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=crop))
            candidates += _poses_of(result, (x0, y0, x1, y1), width, height)
        return choose_person(candidates)
