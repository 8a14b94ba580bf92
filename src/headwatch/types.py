"""Plain data passed between the stages of the pipeline.

This module imports nothing from headwatch, so every other module may import it.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # annotations only: `headwatch --help` must not pay numpy's 120 ms import
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]

NUM_LANDMARKS = 33

# The version of every JSON document headwatch writes (analyze/eval --json, record and event lines,
# profiles, learned references): raised when a key changes meaning or goes away.
SCHEMA = 1

# The files headwatch reads, by suffix (lower case).
VIDEO_SUFFIXES = frozenset({".mp4", ".avi", ".mov", ".mkv", ".webm", ".gif"})
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp"})


class Landmark(enum.IntEnum):
    """The BlazePose landmark indices that headwatch uses ("left" is the person's left)."""

    NOSE = 0
    LEFT_EYE = 2
    RIGHT_EYE = 5
    LEFT_EAR = 7
    RIGHT_EAR = 8
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_HIP = 23
    RIGHT_HIP = 24
    LEFT_KNEE = 25
    RIGHT_KNEE = 26


class View(enum.StrEnum):
    """Which way the person faces in the image: toward the camera, or toward an image side."""

    FRONT = "front"
    LEFT = "left"
    RIGHT = "right"


@dataclass(frozen=True, slots=True)
class Frame:
    """One image from a source; ``t_s`` is the source's own time (video position or monotonic)."""

    t_s: float
    index: int
    image: npt.NDArray[np.uint8]  # H x W x 3, BGR as OpenCV reads it


@dataclass(frozen=True, slots=True, eq=False)
class Pose:
    """The landmarks of one person.

    ``image_xy`` are pixels (x right, y down) in the full frame; ``world_xyz`` are metres,
    hip-centred, with axes oriented like the camera (x right, y down, z away from the camera).
    """

    image_xy: FloatArray  # (33, 2)
    visibility: FloatArray  # (33,)
    world_xyz: FloatArray  # (33, 3)
    width: int
    height: int
    confidence: float  # mean presence of the upper-body landmarks, 0..1

    def __post_init__(self) -> None:
        expected = {"image_xy": (NUM_LANDMARKS, 2), "visibility": (NUM_LANDMARKS,),
                    "world_xyz": (NUM_LANDMARKS, 3)}
        for name, shape in expected.items():
            actual = getattr(self, name).shape
            if actual != shape:
                raise ValueError(f"Pose.{name} must have shape {shape}, got {actual}")

    def bbox(self, min_visibility: float = 0.3) -> tuple[float, float, float, float]:
        """(x0, y0, x1, y1) around the landmarks that are visible enough (all if none are)."""
        mask = self.visibility >= min_visibility
        points = self.image_xy[mask] if mask.any() else self.image_xy
        x0, y0 = points.min(axis=0)
        x1, y1 = points.max(axis=0)
        return float(x0), float(y0), float(x1), float(y1)


@dataclass(frozen=True, slots=True)
class PostureSample:
    """Every posture metric of one frame, in degrees or ratios; None when not measurable."""

    view: View | None = None
    view_confidence: float | None = None
    neck_inclination_deg: float | None = None
    neck_angle_3d_deg: float | None = None
    head_forward_deg: float | None = None
    ear_height_ratio: float | None = None
    face_width_ratio: float | None = None
    ear_height_face_ratio: float | None = None
    head_pitch_deg: float | None = None
    shoulder_tilt_deg: float | None = None
    head_roll_deg: float | None = None
    trunk_lean_deg: float | None = None
    slouch_deg: float | None = None
    neck_flexion_deg: float | None = None
    reclined_flexion_deg: float | None = None
    ear_level: float | None = None
    neck_length: float | None = None
    # Where the shoulders' mid-point sits (frame heights from the top), and how far the ears'
    # mid-point is ahead of it (frame heights; + toward the face in profile, toward the
    # person's left facing the camera): with ear_level, the neck as a vector.
    shoulder_level: float | None = None
    neck_dx: float | None = None
    # The camera's move since the session's first look (camera_motion.CameraShift), when the
    # background told it. The positions above (levels, neck) are in that first look's frame.
    camera_dx: float | None = None
    camera_dy: float | None = None
    camera_scale: float | None = None
    # The thighs' angle from vertical (hips to knees, over the sides seen): about 0 standing, 90 seated.
    thigh_deg: float | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        out["view"] = self.view.value if self.view is not None else None
        return out


# The metric columns, in output order (view and its confidence are reported separately).
METRIC_NAMES: tuple[str, ...] = tuple(
    f.name for f in fields(PostureSample) if f.name not in ("view", "view_confidence")
)


class State(enum.StrEnum):
    OK = "ok"
    BAD = "bad"
    AWAY = "away"  # nobody in view
    UNKNOWN = "unknown"  # somebody, but the landmarks that matter are not visible enough


class Reason(enum.StrEnum):
    HEAD_FORWARD = "head_forward"
    SHOULDER_TILT = "shoulder_tilt"
    HEAD_ROLL = "head_roll"
    TRUNK_LEAN = "trunk_lean"
    RECLINED_SLUMP = "reclined_slump"  # reclined, with the head bent forward off the trunk
    SUNK = "sunk"  # the head sank well below where this person sits upright (slumped down, leaning back)


@dataclass(frozen=True, slots=True)
class Finding:
    """One metric outside its band: the why behind a reason."""

    reason: Reason
    metric: str
    value: float
    limit: float
    beyond: float  # how far past the limit, in the band's scales
    origin: str = "absolute limit"  # where the limit came from, e.g. "your upright 1.62 - 6 %"

    def describe(self) -> str:
        """The one wording of a why, wherever it is shown: ``ear/face 1.02 < 1.52 (your upright
        1.62 - 6 %)``."""
        label, digits, unit = METRIC_WORDS.get(self.metric, (self.metric.replace("_", " "), 2, ""))
        sign = "<" if self.value < self.limit else ">"
        return f"{label} {self.value:.{digits}f}{unit} {sign} {self.limit:.{digits}f}{unit} ({self.origin})"


# How each judged metric reads in a why: (label, decimals, unit).
METRIC_WORDS: Mapping[str, tuple[str, int, str]] = {
    "slouch_deg": ("head forward", 0, "°"),
    "head_forward_deg": ("head forward", 0, "°"),
    "trunk_lean_deg": ("trunk lean", 0, "°"),
    "reclined_flexion_deg": ("neck bent off the reclined trunk", 0, "°"),
    "ear_height_face_ratio": ("ear/face", 2, ""),
    "shoulder_tilt_deg": ("shoulder tilt", 0, "°"),
    "head_roll_deg": ("head roll", 0, "°"),
    "head_drop": ("head sank", 2, " necks"),
}


@dataclass(frozen=True, slots=True)
class Verdict:
    state: State
    reasons: tuple[Reason, ...] = ()  # furthest beyond its limit first
    values: Mapping[str, float] = field(default_factory=dict)  # the metrics outside their band
    findings: tuple[Finding, ...] = ()  # furthest beyond first; a reason's first finding decided it

    def beyond(self, reason: Reason) -> float:
        """How far the furthest metric of ``reason`` lies beyond its limit (0 if not a reason)."""
        return max((f.beyond for f in self.findings if f.reason is reason), default=0.0)

    def why(self) -> str:
        """Each finding in the one wording, furthest beyond its limit first ("" when none)."""
        return "; ".join(f.describe() for f in self.findings)


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
    skipped: bool = False  # the picture held still: the pose model rested, the last look's metrics stand
    # The head's change from the person's upright (Reference.head_change), where a reference knows
    # it: the history keeps its interval medians for the report's habits. Not a record file column.
    head_change_deg: float | None = None

    def to_json(self) -> dict[str, Any]:
        row: dict[str, Any] = {"path": self.path, "t_s": round(self.t_s, 3), "frame": self.frame,
                               "person": self.person, "confidence": self.confidence,
                               "verdict": self.verdict.state.value,
                               "reasons": [r.value for r in self.verdict.reasons], "skipped": self.skipped}
        row.update(self.sample.to_json())
        return row


class EventKind(enum.StrEnum):
    BAD_POSTURE = "bad_posture"  # a bad stretch reached the alert (or repeats while it lasts)
    POSTURE_RECOVERED = "posture_recovered"  # the alerted stretch ended
    BREAK = "break"  # time for a break from sitting
    STILL = "still"  # one position held for long
    PAUSED = "paused"  # monitoring paused (`headwatch pause`): the camera is released
    RESUMED = "resumed"  # monitoring resumed
    SETUP_CHANGED = "setup_changed"  # the camera or the seat moved: the reference followed (never an alert)
    CAMERA_IN_USE = "camera_in_use"  # another program (cause: its name) uses the camera: released for it
    CAMERA_FREE = "camera_free"  # the other program let go: the camera is taken again
    SESSION_AWAY = "session_away"  # the screen locked or the machine went to sleep (cause): camera released
    SESSION_BACK = "session_back"  # unlocked or awake again: the camera is taken again


@dataclass(frozen=True, slots=True)
class AlertEvent:
    kind: EventKind
    t_s: float  # when the event was raised
    start_s: float  # when the condition began (the bad stretch, the presence, the stillness)
    reasons: tuple[Reason, ...] = ()
    values: Mapping[str, float] = field(default_factory=dict)  # median of the triggering metrics
    repeat: int = 0  # 0 for the first alert of a stretch, then 1, 2, ...
    cause: str = ""  # setup_changed: camera, seat or relearned; camera_in_use: the other program's name
    # bad_posture: what decided it, at the latest bad look (furthest beyond first)
    findings: tuple[Finding, ...] = ()

    def why(self) -> str:
        return "; ".join(f.describe() for f in self.findings)

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"kind": self.kind.value, "t_s": round(self.t_s, 3),
                                  "start_s": round(self.start_s, 3), "reasons": [r.value for r in self.reasons],
                                  "values": {k: round(v, 2) for k, v in self.values.items()}, "repeat": self.repeat}
        if self.cause:
            out["cause"] = self.cause
        if self.findings:
            out["why"] = [f.describe() for f in self.findings]
        return out
