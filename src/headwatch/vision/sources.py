"""Reading frames: the only module that opens files, cameras and streams with OpenCV.

Every source is a generator of Frame(t_s, index, image). A video's t_s is its own position
(frame index / frame rate), so a recording replays exactly as the live monitor would see it.
"""

from __future__ import annotations

import math
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Literal

import cv2
import numpy as np
import numpy.typing as npt

from headwatch.errors import SourceError, without_password
from headwatch.types import IMAGE_SUFFIXES, VIDEO_SUFFIXES, Frame

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
            found, unreadable = _walk(path)
            yield from (SourceError(f"{folder}: cannot read this folder ({reason}): what it holds is left out")
                        for folder, reason in unreadable)
            if not found and not unreadable:
                yield SourceError(f"{path}: no videos or images in this folder")
            for file in found:
                yield _unreadable(file) or InputFile(file, input_kind(file) or "image")
        elif not path.exists():
            yield SourceError(f"{path}: no such file or folder")
        elif not path.is_file():
            yield SourceError(f"{path}: not a regular file (a pipe or a device?): give a video or photo file")
        elif (kind := input_kind(path)) is None:
            supported = " ".join(sorted(VIDEO_SUFFIXES | IMAGE_SUFFIXES))
            yield SourceError(f"{path}: not a supported video or image (supported: {supported})")
        else:
            yield _unreadable(path) or InputFile(path, kind)


def _walk(folder: Path) -> tuple[list[Path], list[tuple[Path, str]]]:
    """The supported files below ``folder``, sorted, and the folders that could not be read (a
    folder without read or search permission was skipped without a word)."""
    unreadable: list[tuple[Path, str]] = []

    def refused(exc: OSError) -> None:
        unreadable.append((Path(exc.filename or folder), exc.strerror or "cannot be listed"))

    found = [Path(root) / name for root, _, names in os.walk(folder, onerror=refused) for name in names]
    files = sorted(p for p in found if input_kind(p) is not None and p.is_file())
    return files, sorted(unreadable)


def _unreadable(path: Path) -> SourceError | None:
    """One line for a file this process may not read (it was reported as damaged)."""
    if os.access(path, os.R_OK):
        return None
    return SourceError(f"{path}: cannot read the file (permission denied): check its permissions")


# The pose model looks at 256x256 pixels: a photo larger than this on its longer side is scaled
# down as soon as it is decoded (a 10000x10000 photo peaked at 1.7 GB on its way through the model).
MAX_IMAGE_SIDE = 1920


_REDUCED = ((8, cv2.IMREAD_REDUCED_COLOR_8), (4, cv2.IMREAD_REDUCED_COLOR_4), (2, cv2.IMREAD_REDUCED_COLOR_2))


def jpeg_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a JPEG's frame header, or None if ``data`` is not a JPEG."""
    if data[:2] != b"\xff\xd8":
        return None
    at = 2
    while at + 9 <= len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # markers without a length
            at += 2
            continue
        length = int.from_bytes(data[at + 2:at + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # a start-of-frame marker
            return int.from_bytes(data[at + 7:at + 9], "big"), int.from_bytes(data[at + 5:at + 7], "big")
        at += 2 + length
    return None


def _decode_flag(data: npt.NDArray[np.uint8]) -> int:
    """A JPEG much larger than MAX_IMAGE_SIDE is decoded at 1/2, 1/4 or 1/8 of its size by the JPEG
    library itself, so the full-size image never exists in memory."""
    size = jpeg_size(data[:65536].tobytes())
    if size is not None:
        for factor, flag in _REDUCED:
            if max(size) / factor >= MAX_IMAGE_SIDE:
                return flag
    return cv2.IMREAD_COLOR


MIN_FPS = 0.001  # a frame every 16 minutes: a time-lapse still
MAX_DECODED_PIXELS = 1 << 30  # OpenCV's CV_IO_MAX_IMAGE_PIXELS


def read_image(path: Path) -> Frame:
    """A photo as one frame at t=0, scaled down to MAX_IMAGE_SIDE on its longer side."""
    try:
        data = np.fromfile(str(path), dtype=np.uint8)  # np.fromfile + imdecode: non-ASCII paths on Windows
    except OSError as exc:
        raise SourceError(f"{path}: cannot read the image: {exc.strerror or exc}") from None
    empty = data.size == 0
    try:
        image = cv2.imdecode(data, _decode_flag(data)) if not empty else None
    except cv2.error:  # OpenCV refuses, e.g., an image claiming more than its 2^30 pixels
        raise SourceError(f"{path}: cannot read the image: it is larger than OpenCV decodes "
                          f"({MAX_DECODED_PIXELS // 1_000_000} megapixels at most) or damaged") from None
    except MemoryError:
        raise SourceError(f"{path}: cannot read the image: not enough memory to decode it") from None
    del data  # the encoded bytes need not live beside the decoded image
    if image is None:
        reason = "the file is empty" if empty else "it is damaged or not an image"
        raise SourceError(f"{path}: cannot read the image: {reason}")
    height, width = image.shape[:2]
    if max(height, width) > MAX_IMAGE_SIDE:
        scale = MAX_IMAGE_SIDE / max(height, width)
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    return Frame(t_s=0.0, index=0, image=np.asarray(image, dtype=np.uint8))


def open_video(path: Path) -> tuple[cv2.VideoCapture, VideoInfo]:
    if path.is_dir():
        raise SourceError(f"{path}: a folder, not a video: give a video file (analyze takes folders)")
    if path.exists() and not path.is_file():  # a FIFO or a device would block the decoder forever
        raise SourceError(f"{path}: not a regular file (a pipe or a device): give a video file")
    if path.is_file() and path.stat().st_size == 0:
        raise SourceError(f"{path}: cannot read the video: the file is empty")
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        capture.release()
        raise _unreadable(path) or SourceError(f"{path}: cannot read the video: it is damaged or not a video")
    fps = capture.get(cv2.CAP_PROP_FPS)
    # A time-lapse of a frame every 30 s says 0.033 fps, and means it (it was read as 25 fps).
    fps = fps if math.isfinite(fps) and MIN_FPS <= fps <= 1000 else _FALLBACK_FPS
    count = capture.get(cv2.CAP_PROP_FRAME_COUNT)
    return capture, VideoInfo(fps=fps, frame_count=int(count) if math.isfinite(count) and count > 0 else 0)


# -- live sources for the monitor ---------------------------------------------------------------


class SourceLost(SourceError):
    """A camera or stream stopped delivering frames mid-session (it may come back)."""


class SourceBusy(SourceError):
    """A camera or stream that opened but sent no first frame (a camera: most likely another
    program holds it)."""


def describe_source(spec: str) -> str:
    """The source as the user may see it: a camera by number, a stream without its password."""
    return f"camera {spec}" if spec.isdigit() else without_password(spec)


# Per platform, a monotonic clock that runs on while the machine sleeps and one that stops: Linux's
# CLOCK_MONOTONIC and macOS's CLOCK_UPTIME_RAW stop during a suspend (as time.monotonic does on
# both); Windows' time.monotonic (QueryPerformanceCounter) counts sleep already, with no stopping
# clock beside it in Python.
_CLOCKS = {"linux": ("CLOCK_BOOTTIME", "CLOCK_MONOTONIC"), "darwin": ("CLOCK_MONOTONIC", "CLOCK_UPTIME_RAW")}


def _clock_ids() -> tuple[int, int] | None:
    """(counting sleep, stopping in sleep) clock ids of this platform, or None."""
    names = next((pair for prefix, pair in _CLOCKS.items() if sys.platform.startswith(prefix)), ())
    ids = [clock_id for name in names if isinstance(clock_id := getattr(time, name, None), int)]
    return (ids[0], ids[1]) if len(ids) == 2 else None


def sleep_counting_clock() -> Callable[[], float]:
    """A monotonic clock that runs on while the machine sleeps, for a camera's frame times: with
    time.monotonic every look after a night's suspend was stamped that long too early in the
    history, and the sleep was no absence."""
    ids = _clock_ids()
    return partial(time.clock_gettime, ids[0]) if ids is not None else time.monotonic


def machine_slept_s() -> Callable[[], float] | None:
    """How long the machine has slept since it started (the clock that counts sleep less the one
    that does not: it grows only while suspended), or None where that cannot be told (Windows). A
    monitor that did not hear the sleep announced (no D-Bus, macOS, the release turned off) still
    knows that the time between two looks was slept, not sat."""
    ids = _clock_ids()
    if ids is None:
        return None
    counting, stopping = ids
    return lambda: time.clock_gettime(counting) - time.clock_gettime(stopping)


def is_live(spec: str) -> bool:
    """A camera index or a stream URL (as opposed to a video file)."""
    return spec.isdigit() or "://" in spec


class VideoFileReader:
    """Frames of a video file on request: the first frame at or after a given time.

    Frames skipped on the way are only grabbed, not converted, which saves most of the decoding
    cost. Use as a context manager, or call close().
    """

    def __init__(self, path: Path) -> None:
        if not path.exists():
            raise SourceError(f"{path}: no such file")
        self._capture, self.info = open_video(path)
        self._index = 0
        self._last_t = 0.0

    def __enter__(self) -> VideoFileReader:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def next_frame(self, not_before_s: float) -> Frame | None:
        """None at the end of the file. Frames are timed by the container's own timestamps, so a
        variable-frame-rate video or a time-lapse is timed as it was recorded; where a container
        has none that advance, by index and frame rate."""
        while self._capture.grab():
            index, self._index = self._index, self._index + 1
            stamp = self._capture.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
            by_rate = index / self.info.fps
            ok = math.isfinite(stamp) and (index == 0 or stamp > self._last_t)
            t_s = stamp if ok else max(by_rate, self._last_t + 1e-3 if index else 0.0)
            self._last_t = t_s
            if t_s + 1e-9 >= not_before_s:
                ok, image = self._capture.retrieve()
                if ok and image is not None:
                    return Frame(t_s=t_s, index=index, image=np.asarray(image, dtype=np.uint8))
        return None

    def close(self) -> None:
        self._capture.release()


def sample_video(reader: VideoFileReader, sample_fps: float) -> Iterator[Frame]:
    """Frames at ``sample_fps`` (or every frame if the video is slower), timed by position."""
    step_s = 1.0 / sample_fps
    next_t = 0.0
    while (frame := reader.next_frame(next_t)) is not None:
        yield frame
        # Advance from the schedule, not from t_s, so the rate holds whatever the native fps.
        while next_t <= frame.t_s + 1e-9:
            next_t += step_s


# A stream that accepts the connection but sends nothing would block a read forever, in native
# code where Ctrl-C cannot reach: FFmpeg gives up after this long instead.
STREAM_TIMEOUT_MS = 10_000


def open_capture(spec: str) -> cv2.VideoCapture:
    """cv2.VideoCapture for a camera index or stream URL; the one edge tests replace."""
    if spec.isdigit():
        if not spec.isascii() or len(spec) > 4:  # "²", or past any machine's cameras and OpenCV's int
            return cv2.VideoCapture()  # not opened: "camera N is not available", one line
        return cv2.VideoCapture(int(spec))
    return cv2.VideoCapture(spec, cv2.CAP_FFMPEG, [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, STREAM_TIMEOUT_MS,
                                                   cv2.CAP_PROP_READ_TIMEOUT_MSEC, STREAM_TIMEOUT_MS])


# A camera that another program holds may open all the same (Linux lets two programs open it) and
# then send nothing; a camera sends its first frame within a second or two. After this long
# without one it is called busy: one line, rather than retries without end.
FIRST_FRAME_S = 5.0
# Real sensors add noise to every frame: the very same picture for this long is a hung driver
# (or a frozen stream), not a person holding perfectly still.
FROZEN_AFTER_S = 20.0


def first_image(capture: cv2.VideoCapture, seconds: float) -> tuple[npt.NDArray[np.uint8] | None, bool]:
    """The first image ``capture`` delivers within ``seconds`` (None if none came), and whether
    reading has finished. The reads run in a thread of their own, so a read that blocks in the
    driver (for seconds, or for ever) cannot hold the answer up; a capture whose read has not
    finished must not be released under it."""
    found: list[npt.NDArray[np.uint8]] = []
    deadline = time.monotonic() + seconds

    def read() -> None:
        while time.monotonic() < deadline:
            ok, image = capture.read()
            if ok and image is not None:
                found.append(np.asarray(image, dtype=np.uint8))
                return
            time.sleep(0.05)  # a refusing driver answers at once: do not spin

    reader = threading.Thread(target=read, name="headwatch-first-frame", daemon=True)
    reader.start()
    reader.join(seconds + 0.5)  # a read that was under way at the deadline may still end in time
    return (found[0] if found else None), not reader.is_alive()


def no_first_frame(spec: str, seconds: float) -> str:
    """What to say of a camera or stream that opened but sent no picture."""
    if spec.isdigit():
        return (f"camera {spec} is busy: it opened but sent no picture in {seconds:g} s, so another program is "
                "probably using it (close that program, e.g. a video call, and start again, or choose another "
                "camera with --source N)")
    return f"{spec}: the stream opened but sent no picture in {seconds:g} s (check that it is live, and the URL)"


class LiveReader:
    """A camera or stream: frames timed by the monotonic clock, read when asked for.

    Reading on request (not in a background thread) keeps the CPU idle between samples; the
    one stale frame a driver may buffer is dropped before reading. The first frame is waited
    for when it opens: a source that opens and sends nothing is SourceBusy, not a session
    without samples. A camera that keeps sending the very same picture is reported lost
    (SourceLost), so that it is opened again.
    """

    def __init__(self, spec: str, clock: Callable[[], float]) -> None:
        self.spec = spec
        self._clock = clock
        self._index = 0
        self._capture = self._open()
        # A stream's first frame may take as long as any of its reads (its read timeout).
        seconds = FIRST_FRAME_S if spec.isdigit() else max(FIRST_FRAME_S, STREAM_TIMEOUT_MS / 1000.0)
        image, finished = first_image(self._capture, seconds)
        if image is None:
            if finished:
                self._capture.release()
            raise SourceBusy(no_first_frame(spec, seconds))
        self._first: npt.NDArray[np.uint8] | None = image  # the first look's frame
        self._start = clock()
        self._last_sample: npt.NDArray[np.uint8] | None = None
        self._same_since: float | None = None

    def _open(self) -> cv2.VideoCapture:
        capture = open_capture(self.spec)
        if not capture.isOpened():
            capture.release()
            what = describe_source(self.spec)
            if self.spec.isdigit():
                raise SourceError(f"{what} is not available: no camera there, or another program is using it "
                                  "(close that program, or choose another with --source N)")
            raise SourceError(f"{what}: cannot open the stream (check the URL and that it is reachable)")
        capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        return capture

    def next_frame(self, not_before_s: float) -> Frame:
        """The current frame; raises SourceLost when the device stops answering."""
        image, self._first = self._first, None
        if image is None:
            self._capture.grab()  # drop a frame the driver may have buffered while we slept
            ok, read = self._capture.read()
            if not ok or read is None:
                raise SourceLost(f"{describe_source(self.spec)} stopped delivering frames")
            image = np.asarray(read, dtype=np.uint8)
        if self._frozen(image):
            raise SourceLost(f"{describe_source(self.spec)} keeps delivering the very same picture (a hung driver?)")
        t_s = max(self._clock() - self._start, not_before_s)
        self._index += 1
        return Frame(t_s=t_s, index=self._index, image=image)

    def _frozen(self, image: npt.NDArray[np.uint8]) -> bool:
        """Whether the picture has been the very same for FROZEN_AFTER_S, compared on every 8th
        pixel each way. A uniform picture (a covered lens, a dark room) may well repeat: not that."""
        sample = np.ascontiguousarray(image[::8, ::8])
        now = self._clock()
        last, self._last_sample = self._last_sample, sample
        same = last is not None and last.shape == sample.shape and np.array_equal(last, sample)
        if not same or sample.min() == sample.max():
            self._same_since = None
            return False
        if self._same_since is None:
            self._same_since = now
        if now - self._same_since < FROZEN_AFTER_S:
            return False
        self._last_sample, self._same_since = None, None
        return True

    def release(self) -> None:
        """Let go of the device (a pause): its light goes off until ``reopen``."""
        self._first = None  # from before the pause
        self._capture.release()
        self._last_sample, self._same_since = None, None

    def reopen(self) -> None:
        """Try once to open the device again; raises SourceError if it is still gone."""
        self._capture.release()
        self._last_sample, self._same_since = None, None
        self._capture = self._open()

    def now_s(self) -> float:
        return self._clock() - self._start

    def close(self) -> None:
        self._capture.release()
