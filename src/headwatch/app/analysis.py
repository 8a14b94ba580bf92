"""Use cases as library functions: assess a frame, measure and judge a video, record a
calibration stretch. The command line calls these and prints; programs can call them too
(`headwatch` exports the public ones).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from headwatch.app.assemble import ReferenceChoice, limits_for, still_check_s
from headwatch.app.pipeline import framing_of, measure_frames, observe
from headwatch.config.settings import Settings
from headwatch.errors import HeadwatchError, SourceError
from headwatch.posture.calibration import CalibrationSample
from headwatch.posture.judge import Limits, judge
from headwatch.timeline.replay import Alert
from headwatch.types import Frame, FrameRecord, Pose, PostureSample, State, Verdict

if TYPE_CHECKING:
    from headwatch.app.monitor import FrameReader
    from headwatch.vision.pose import PoseEstimator


@dataclass(frozen=True, slots=True)
class Assessment:
    """One image assessed: the person found (None: nobody), their metrics and the verdict."""

    person: Pose | None
    metrics: PostureSample | None
    verdict: Verdict


class Estimator:
    """Assess your own frames: ``with Estimator() as estimator: estimator.assess(image_bgr)``.

    ``mode="image"`` treats each frame on its own (photos); ``"video"`` tracks the person across
    frames and needs increasing ``t_s``. Judged on the absolute limits unless ``limits`` says
    otherwise (e.g. ``assemble.limits_for(settings, profile)``).
    """

    def __init__(self, settings: Settings | None = None, *, mode: str = "image", limits: Limits | None = None) -> None:
        from headwatch.vision.pose import PoseEstimator

        self.settings = settings or Settings()
        self.limits = limits or limits_for(self.settings, None)
        self._pose = PoseEstimator(self.settings.capture.model, mode="video" if mode == "video" else "image")

    def assess(self, image_bgr: npt.NDArray[np.uint8], t_s: float = 0.0) -> Assessment:
        seen = observe(Frame(t_s, 0, np.asarray(image_bgr, dtype=np.uint8)), self._pose)
        return Assessment(seen.pose, seen.sample, judge(seen.sample, self.limits))

    def close(self) -> None:
        self._pose.close()

    def __enter__(self) -> Estimator:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


@dataclass(frozen=True, slots=True)
class VideoRecords:
    records: list[FrameRecord]
    duration_s: float  # as the container says, else as far as it could be read
    read_s: float  # how far it could be read
    problems: list[str]


def measure_video(path: Path, fps: float, model: str, limits: Limits,
                  on_record: Callable[[FrameRecord], None] | None = None,
                  on_total: Callable[[int], None] | None = None, still_check_s: float | None = None) -> VideoRecords:
    """Every sampled frame of a video, judged; ``on_total`` hears how many samples to expect (0:
    unknown) before the first, ``on_record`` sees each as it is measured.

    Raises HeadwatchError when not a single frame decodes; a file that stops early is a problem
    in the result (what could be read is kept). With ``still_check_s`` the pose model rests while the
    picture holds still, at most that long (stillness.StillGate), as in the monitor."""
    from headwatch.vision.camera_motion import CameraTracker
    from headwatch.vision.pose import PoseEstimator
    from headwatch.vision.sources import VideoFileReader, sample_video
    from headwatch.vision.stillness import still_gate

    records: list[FrameRecord] = []
    with VideoFileReader(path) as reader:
        info = reader.info
        if on_total is not None:
            on_total(int(info.duration_s * min(fps, info.fps)) + 1 if info.frame_count else 0)
        with PoseEstimator(model, mode="video") as detector:
            camera = CameraTracker()
            gate = still_gate(still_check_s)
            for record in measure_frames(sample_video(reader, fps), detector, str(path), limits, camera, gate):
                records.append(record)
                if on_record is not None:
                    on_record(record)
    if not records:
        raise HeadwatchError(f"{path}: cannot read the video: no frame could be decoded")
    read_s = records[-1].t_s + 1.0 / info.fps
    problems = []
    if info.frame_count and records[-1].frame + max(2.0, info.fps) < info.frame_count - 1:
        problems.append(f"{path}: the video stops at {read_s:.1f} s of {info.duration_s:.1f} s; "
                        "the file looks truncated (analysed what could be read)")
    return VideoRecords(records, info.duration_s or read_s, read_s, problems)


@dataclass(frozen=True, slots=True)
class VideoAnalysis:
    """A video measured and judged: what ``headwatch analyze`` reports for it."""

    records: list[FrameRecord]
    alerts: list[Alert]
    duration_s: float
    reference: str  # what posture was judged against
    problems: list[str]

    @property
    def bad_share(self) -> float | None:
        """Of the judged (ok or bad) frames, the share judged bad; None if none was judged."""
        judged = [r.verdict.state for r in self.records if r.verdict.state in (State.OK, State.BAD)]
        return judged.count(State.BAD) / len(judged) if judged else None


def analyze_video(path: str | Path, settings: Settings | None = None,
                  reference: str | ReferenceChoice | None = None) -> VideoAnalysis:
    """Measure a video at ``settings.capture.analyze_fps``, judge it and replay the alert engine
    over it. ``reference``: "auto" (the reference learned from the video itself; the default
    unless the settings say otherwise), "absolute", or a ReferenceChoice with a calibrated profile."""
    settings = settings or Settings()
    if isinstance(reference, ReferenceChoice):
        choice = reference
    else:
        mode = reference or settings.reference.mode
        if mode not in ("auto", "absolute"):
            raise ValueError(f"reference {mode!r}: expected 'auto', 'absolute' or a ReferenceChoice")
        choice = ReferenceChoice(mode)
    from headwatch.app.recording import judge_recording

    measured = measure_video(Path(path), settings.capture.analyze_fps, settings.capture.model,
                             limits_for(settings, choice.profile), still_check_s=still_check_s(settings))
    judged = judge_recording(measured.records, settings, choice, measured.read_s)
    return VideoAnalysis(judged.records, judged.alerts, measured.duration_s, judged.reference, measured.problems)


@contextmanager
def open_source(spec: str) -> Iterator[FrameReader]:
    """A camera or stream (timed by the monotonic clock) or a video file (timed by position)."""
    from headwatch.vision.sources import LiveReader, VideoFileReader, is_live, sleep_counting_clock

    if not spec.strip():
        raise SourceError("the source is empty: give a camera index (0), a video file or a stream URL")
    with ExitStack() as stack:
        if is_live(spec):
            live = LiveReader(spec, sleep_counting_clock())
            stack.callback(live.close)
            yield live
        else:
            file_reader = VideoFileReader(Path(spec))
            stack.callback(file_reader.close)
            yield file_reader


FRAMING_LOOKS = 5  # the first looks of a calibration checked for framing


def record_stretch(reader: FrameReader, detector: PoseEstimator, begin_s: float, end_s: float, fps: float,
                   live: bool, framing: list[list[str]] | None = None,
                   sleep: Callable[[float], object] = time.sleep) -> list[CalibrationSample]:
    """The samples of one stretch of a source, for calibration: a file read by position, a camera
    for ``end_s - begin_s`` seconds from now, paced on its own clock (which ran on while the model
    loaded: paced from the stretch's start, every look waited that much longer). ``framing``
    collects the framing problems of the first looks."""
    from headwatch.vision.sources import LiveReader

    samples: list[CalibrationSample] = []
    camera = reader if live and isinstance(reader, LiveReader) else None
    if camera is not None:
        begin_s, end_s = camera.now_s(), camera.now_s() + (end_s - begin_s)
    due, step = begin_s, 1.0 / fps
    while due < end_s:
        if camera is not None:
            sleep(max(0.0, due - camera.now_s()))
        frame = reader.next_frame(due)
        if frame is None or frame.t_s >= end_s:
            break
        seen = observe(frame, detector)
        if framing is not None and len(framing) < FRAMING_LOOKS:
            framing.append(framing_of(seen.pose, frame.image))
        samples.append(CalibrationSample(frame.t_s, seen.sample, seen.position))
        due = frame.t_s + step
    return samples


def annotate_video(path: Path, records: list[FrameRecord], alerts: list[Alert], fps: float, out: Path) -> int:
    """Write ``out``: every analysed frame of ``path`` with its skeleton, angles, verdict and alert
    state drawn (the preview's drawing). Returns the number of frames written."""
    from headwatch.vision.overlay import AnnotatedVideo, draw
    from headwatch.vision.sources import VideoFileReader, sample_video

    by_index = {r.frame: r for r in records}
    video: AnnotatedVideo | None = None
    with VideoFileReader(path) as reader, ExitStack() as stack:
        for frame in sample_video(reader, fps):
            record = by_index.get(frame.index)
            if record is None:
                continue
            if video is None:  # sized by the first frame
                height, width = frame.image.shape[:2]
                video = stack.enter_context(AnnotatedVideo(out, min(fps, reader.info.fps), (width, height)))
            alert = any(a.start_s <= record.t_s < a.end_s for a in alerts)
            video.write(draw(frame.image, record.pose, record.sample if record.person else None, record.verdict,
                             alert))
    return video.frames if video is not None else 0
