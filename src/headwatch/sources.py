"""Reading frames: the only module that opens files, cameras and streams with OpenCV.

Every source is a generator of Frame(t_s, index, image). A video's t_s is its own position
(frame index / frame rate), so a recording replays exactly as the live monitor would see it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import cv2
import numpy as np

from headwatch.errors import SourceError
from headwatch.types import Frame

VIDEO_SUFFIXES = frozenset({".mp4", ".avi", ".mov", ".mkv", ".webm", ".gif"})
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp"})
InputKind = Literal["video", "image"]

# Some containers (and GIFs from some tools) report no frame rate: assume a common one.
_FALLBACK_FPS = 25.0


@dataclass(frozen=True, slots=True)
class InputFile:
    path: Path
    kind: InputKind


@dataclass(frozen=True, slots=True)
class VideoInfo:
    fps: float
    frame_count: int  # as the container reports it; 0 when unknown

    @property
    def duration_s(self) -> float:
        return self.frame_count / self.fps if self.frame_count > 0 else 0.0


def input_kind(path: Path) -> InputKind | None:
    suffix = path.suffix.lower()
    if suffix in VIDEO_SUFFIXES:
        return "video"
    if suffix in IMAGE_SUFFIXES:
        return "image"
    return None


def expand_inputs(paths: Iterable[Path]) -> Iterator[InputFile | SourceError]:
    """The files to analyse, in order: directories recursively and sorted; problems as errors.

    Errors are yielded, not raised, so one bad path does not stop the others.
    """
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and input_kind(p) is not None)
            if not found:
                yield SourceError(f"{path}: no videos or images in this folder")
            yield from (InputFile(p, kind) for p in found if (kind := input_kind(p)) is not None)
        elif not path.exists():
            yield SourceError(f"{path}: no such file or folder")
        elif (kind := input_kind(path)) is None:
            supported = " ".join(sorted(VIDEO_SUFFIXES | IMAGE_SUFFIXES))
            yield SourceError(f"{path}: not a supported video or image (supported: {supported})")
        else:
            yield InputFile(path, kind)


def read_image(path: Path) -> Frame:
    """A photo as one frame at t=0."""
    data = np.fromfile(str(path), dtype=np.uint8)  # np.fromfile + imdecode: non-ASCII paths on Windows
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if image is None:
        reason = "the file is empty" if data.size == 0 else "it is damaged or not an image"
        raise SourceError(f"{path}: cannot read the image: {reason}")
    return Frame(t_s=0.0, index=0, image=np.asarray(image, dtype=np.uint8))


def open_video(path: Path) -> tuple[cv2.VideoCapture, VideoInfo]:
    if path.is_file() and path.stat().st_size == 0:
        raise SourceError(f"{path}: cannot read the video: the file is empty")
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        capture.release()
        raise SourceError(f"{path}: cannot read the video: it is damaged or not a video")
    fps = capture.get(cv2.CAP_PROP_FPS)
    fps = fps if math.isfinite(fps) and 0.1 <= fps <= 1000 else _FALLBACK_FPS
    count = capture.get(cv2.CAP_PROP_FRAME_COUNT)
    return capture, VideoInfo(fps=fps, frame_count=int(count) if math.isfinite(count) and count > 0 else 0)


def sample_video(capture: cv2.VideoCapture, info: VideoInfo, sample_fps: float) -> Iterator[Frame]:
    """Frames at ``sample_fps`` (or every frame if the video is slower), timed by position.

    Frames between samples are only grabbed, not converted, which is most of the decoding cost
    saved. The caller owns ``capture`` and releases it.
    """
    step_s = 1.0 / sample_fps
    next_t = 0.0
    index = 0
    while capture.grab():
        t_s = index / info.fps
        if t_s + 1e-9 >= next_t:
            ok, image = capture.retrieve()
            if ok and image is not None:
                yield Frame(t_s=t_s, index=index, image=np.asarray(image, dtype=np.uint8))
            # Advance from the schedule, not from t_s, so the rate holds whatever the native fps.
            while next_t <= t_s + 1e-9:
                next_t += step_s
        index += 1
