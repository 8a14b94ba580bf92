"""How close headwatch's angles come to the truth on rendered people (tools/synth_render.py).

    python tools/synth_render.py /tmp/renders_dev --kind varied --scenes 220 --seed 101
    python tools/synth_render.py /tmp/renders_test --kind varied --scenes 120 --seed 202
    python bench/renders_accuracy.py /tmp/renders_test [--fit /tmp/renders_dev] [--by-pitch]

Runs the real pipeline (the full model, photo mode) on every render listed in RENDER_DIR's
truth.json and prints, per metric, camera and posture kind (standing, seated, slumped,
reclined: the records of a classic set have no kind and count as "all" only): the raw MAE and
the change-from-neutral MAE (the measured change from the scene's neutral render against the
true change, what a calibrated baseline judges), the bias and the slope of measured against
true (raw, and for changes), and the detection rate. The landmarks of every render are cached in
RENDER_DIR/landmarks.json (or under /tmp/renders_cache for a folder outside /tmp), keyed by the
PNG's hash, so a rerun only recomputes the metrics.

With ``--fit FIT_DIR`` it fits each correction of head_forward_deg on FIT_DIR and prints
RENDER_DIR's figures before and after it (fit on one set, scored on the other: held-out
figures): an offset and a linear map per view; in profile, a refit of the 2D/3D blend; facing the
camera, the change from image cues (foreshortening of the ears' height above the shoulders, and
how far the ears dropped in the image, in face widths), optionally with the shoulders' drop; and
the "joint" fit that headwatch ships (least squares on raw values and changes together: the 2D/3D
blend in profile, metrics.PROFILE_BLEND; the ear height in face widths facing the camera,
metrics.FRONT_EAR_HEIGHT, which metrics.py hands back to the 3D angle at low view confidence).
Every correction uses only what headwatch has at run time: the landmarks, and for the change the
calibrated neutral measurement, never the truth or the camera.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from headwatch.posture.metrics import measure, neck_midline_deg
from headwatch.posture.reference import REFERENCE_METRICS, Reference, family_of
from headwatch.types import Landmark, Pose, PostureSample, View
from headwatch.vision.pose import PoseEstimator
from headwatch.vision.sources import read_image

CACHE_FILE = "landmarks.json"
CACHE_ROOT = Path("/tmp/renders_cache")
KINDS = ("standing", "seated", "slumped", "reclined")
# (metric, truth key, views it is compared in)
COMPARED: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("head_forward_deg", "neck_deg", ("side", "front")),
    ("neck_angle_3d_deg", "neck_deg", ("side", "front")),
    ("neck_midline_deg", "neck_deg", ("side",)),
    ("trunk_lean_deg", "trunk_deg", ("side",)),
    ("neck_flexion_deg", "neck_rel_trunk_deg", ("side",)),
    ("shoulder_tilt_deg", "shoulder_tilt_deg", ("front",)),
    ("head_roll_deg", "head_roll_deg", ("front",)),
)
PITCH_BINS = (-90.0, -10.0, 0.0, 10.0, 20.0, 90.0)


@dataclass(frozen=True)
class Record:
    file: str
    scene: int
    view: str
    variant: str
    neutral: str
    kind: str
    truth: Mapping[str, float]


@dataclass
class Measured:
    """One render's measurement: the sample and a few extra landmark features."""

    sample: PostureSample | None
    features: dict[str, float | None] = field(default_factory=dict)


# -- landmarks, cached ---------------------------------------------------------------------------


def read_records(root: Path) -> list[Record]:
    data = json.loads((root / "truth.json").read_text(encoding="utf-8"))
    return [Record(r["file"], int(r["scene"]), r["view"], r["variant"], r["neutral"], r.get("kind", "all"),
                   {k: float(v) for k, v in r["truth"].items()}) for r in data["renders"]]


def cache_path(root: Path) -> Path:
    resolved = root.resolve()
    if resolved.is_relative_to("/tmp") and not resolved.is_relative_to(CACHE_ROOT):
        return resolved / CACHE_FILE
    return CACHE_ROOT / (re.sub(r"[^A-Za-z0-9_.-]+", "_", str(resolved)).strip("_") + ".json")


def _pose_json(pose: Pose | None) -> dict[str, Any] | None:
    if pose is None:
        return None
    return {"image_xy": np.round(pose.image_xy, 3).tolist(), "visibility": np.round(pose.visibility, 4).tolist(),
            "world_xyz": np.round(pose.world_xyz, 5).tolist(), "width": pose.width, "height": pose.height,
            "confidence": round(pose.confidence, 4)}


def _pose_of(data: Mapping[str, Any] | None) -> Pose | None:
    if data is None:
        return None
    return Pose(image_xy=np.array(data["image_xy"], dtype=np.float64),
                visibility=np.array(data["visibility"], dtype=np.float64),
                world_xyz=np.array(data["world_xyz"], dtype=np.float64), width=int(data["width"]),
                height=int(data["height"]), confidence=float(data["confidence"]))


def detect_all(root: Path, records: Sequence[Record], model: str) -> dict[str, Pose | None]:
    """The landmarks of every render, from the cache where the PNG is unchanged."""
    path = cache_path(root)
    cache: dict[str, Any] = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    poses: dict[str, Pose | None] = {}
    missing = []
    for record in records:
        digest = f"{model}:{hashlib.sha1((root / record.file).read_bytes()).hexdigest()}"
        entry = cache.get(record.file)
        if entry is not None and entry.get("key") == digest:
            poses[record.file] = _pose_of(entry["pose"])
        else:
            missing.append((record, digest))
    if missing:
        print(f"detecting {len(missing)} renders (cache: {path})", flush=True)
        with PoseEstimator(model, mode="image") as estimator:
            for index, (record, digest) in enumerate(missing, 1):
                pose = estimator.detect(read_image(root / record.file).image)
                poses[record.file] = pose
                cache[record.file] = {"key": digest, "pose": _pose_json(pose)}
                if index % 200 == 0 or index == len(missing):
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_text(json.dumps(cache), encoding="utf-8")
                    print(f"  {index}/{len(missing)}", flush=True)
    return poses


# -- measurements --------------------------------------------------------------------------------


def measure_all(poses: Mapping[str, Pose | None]) -> dict[str, Measured]:
    out = {}
    for name, pose in poses.items():
        if pose is None:
            out[name] = Measured(None)
            continue
        sample = measure(pose)
        xy = pose.image_xy
        left, right = xy[Landmark.LEFT_EAR], xy[Landmark.RIGHT_EAR]
        shoulders_y = (xy[Landmark.LEFT_SHOULDER, 1] + xy[Landmark.RIGHT_SHOULDER, 1]) / 2.0
        lateral = pose.world_xyz[Landmark.LEFT_SHOULDER] - pose.world_xyz[Landmark.RIGHT_SHOULDER]
        # The shoulder line's elevation in the world landmarks (camera axes, y down), + left higher.
        elevation = math.degrees(math.asin(float(np.clip(-lateral[1] / (np.linalg.norm(lateral) + 1e-9), -1, 1))))
        out[name] = Measured(sample, {"neck_midline_deg": neck_midline_deg(pose, sample.view),
                                      "ear_mid_y": float(left[1] + right[1]) / 2.0,  # pixels
                                      "shoulder_mid_y": float(shoulders_y),
                                      "ear_width": float(np.linalg.norm(left - right)),
                                      "ear_width_frame": float(np.linalg.norm(left - right)) / pose.height,
                                      "shoulder_elevation_deg": elevation})
    return out


def value_of(measured: Measured | None, metric: str) -> float | None:
    if measured is None or measured.sample is None:
        return None
    if metric in measured.features:
        return measured.features[metric]
    value = getattr(measured.sample, metric, None)
    return None if value is None else float(value)


# -- statistics ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pair:
    """One render's measured and true value, and the same as changes from its scene's neutral."""

    record: Record
    measured: float
    true: float
    neutral_measured: float | None
    neutral_true: float | None

    @property
    def has_change(self) -> bool:
        return self.neutral_measured is not None and self.record.file != self.record.neutral

    @property
    def measured_change(self) -> float:
        assert self.neutral_measured is not None
        return self.measured - self.neutral_measured

    @property
    def true_change(self) -> float:
        assert self.neutral_true is not None
        return self.true - self.neutral_true


def pairs_of(records: Sequence[Record], measured: Mapping[str, Measured], metric: str, truth_key: str,
             view: str) -> list[Pair]:
    by_file = {r.file: r for r in records}
    out = []
    for record in records:
        if record.view != view or truth_key not in record.truth:
            continue
        value = value_of(measured.get(record.file), metric)
        if value is None:
            continue
        neutral = by_file.get(record.neutral)
        base = value_of(measured.get(record.neutral), metric)
        out.append(Pair(record, value, record.truth[truth_key], base if neutral is not None else None,
                        neutral.truth[truth_key] if neutral is not None else None))
    return out


def _slope(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Least-squares slope of y on x."""
    if len(x) < 3 or float(np.var(x)) < 1e-9:
        return None
    return float(np.polyfit(np.asarray(x), np.asarray(y), 1)[0])


@dataclass(frozen=True)
class Stats:
    n: int
    raw_mae: float | None
    raw_bias: float | None
    raw_slope: float | None
    n_change: int
    change_mae: float | None
    change_bias: float | None
    change_slope: float | None


def stats_of(pairs: Sequence[Pair], raw: Callable[[Pair], float] | None = None,
             change: Callable[[Pair], float] | None = None) -> Stats:
    """Errors of ``raw(pair)`` against the truth and of ``change(pair)`` against the true change
    (the plain measured values and changes by default)."""
    raw = raw or (lambda p: p.measured)
    change = change or (lambda p: p.measured_change)
    measured = [raw(p) for p in pairs]
    true = [p.true for p in pairs]
    moved = [p for p in pairs if p.has_change]
    changes = [change(p) for p in moved]
    true_changes = [p.true_change for p in moved]
    raw_err = np.subtract(measured, true)
    change_err = np.subtract(changes, true_changes)
    return Stats(len(pairs), float(np.abs(raw_err).mean()) if pairs else None,
                 float(raw_err.mean()) if pairs else None, _slope(true, measured),
                 len(moved), float(np.abs(change_err).mean()) if moved else None,
                 float(change_err.mean()) if moved else None, _slope(true_changes, changes))


def _fmt(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


HEADER = f"{'metric':<20}{'view':<7}{'kind':<10}{'n':>5}{'raw MAE':>9}{'bias':>7}{'slope':>7}" \
         f"{'n chg':>7}{'chg MAE':>9}{'bias':>7}{'slope':>7}"


def stats_line(metric: str, view: str, kind: str, s: Stats) -> str:
    return (f"{metric:<20}{view:<7}{kind:<10}{s.n:>5}{_fmt(s.raw_mae):>9}{_fmt(s.raw_bias):>7}{_fmt(s.raw_slope):>7}"
            f"{s.n_change:>7}{_fmt(s.change_mae):>9}{_fmt(s.change_bias):>7}{_fmt(s.change_slope):>7}")


def kinds_in(pairs: Iterable[Pair]) -> list[str]:
    present = {p.record.kind for p in pairs}
    return ["all"] + [k for k in KINDS if k in present]


def report(records: Sequence[Record], measured: Mapping[str, Measured], by_pitch: bool) -> list[str]:
    lines = []
    found = sum(1 for r in records if measured.get(r.file) is not None and measured[r.file].sample is not None)
    lines.append(f"renders {len(records)}, person found in {found} ({found / len(records):.1%})")
    for view in ("side", "front"):
        in_view = [r for r in records if r.view == view]
        if not in_view:
            continue
        seen = [measured[r.file].sample for r in in_view if measured[r.file].sample is not None]
        profile = sum(1 for s in seen if s is not None and s.view in (View.LEFT, View.RIGHT))
        facing = sum(1 for s in seen if s is not None and s.view is View.FRONT)
        lines.append(f"  {view:<6} {len(seen)}/{len(in_view)} found; estimated view: {profile} profile, "
                     f"{facing} front, {len(seen) - profile - facing} none")
    lines.append(HEADER)
    for metric, truth_key, views in COMPARED:
        for view in views:
            pairs = pairs_of(records, measured, metric, truth_key, view)
            if not pairs:
                continue
            for kind in kinds_in(pairs):
                chosen = [p for p in pairs if kind == "all" or p.record.kind == kind]
                lines.append(stats_line(metric, view, kind, stats_of(chosen)))
    lines.extend(upright_change_lines(records, measured))
    if by_pitch:
        lines.append("")
        lines.append("head_forward_deg by the camera's true pitch (+ looking down), for diagnosis only")
        lines.append(HEADER.replace("kind      ", "pitch     "))
        for view in ("side", "front"):
            pairs = [p for p in pairs_of(records, measured, "head_forward_deg", "neck_deg", view)
                     if "camera_pitch_deg" in p.record.truth]
            for low, high in itertools.pairwise(PITCH_BINS):
                chosen = [p for p in pairs if low <= p.record.truth["camera_pitch_deg"] < high]
                if chosen:
                    label = f"{low:+.0f}..{high:+.0f}".replace("-90", "").replace("+90", "")
                    lines.append(stats_line("head_forward_deg", view, label, stats_of(chosen)))
    return lines


# -- corrections ---------------------------------------------------------------------------------


def upright_change_pairs(records: Sequence[Record], measured: Mapping[str, Measured], view: str) -> list[Pair]:
    """What headwatch reports as the head's change from the person's upright (Reference.head_change),
    with each scene's neutral render as the upright (its reference values are the neutral's own
    metrics); renders whose view family differs from the neutral's are left out, as headwatch
    keeps a reference per view family."""
    by_file = {r.file: r for r in records}
    out = []
    for record in records:
        neutral = by_file.get(record.neutral)
        if record.view != view or neutral is None or record.file == record.neutral or "neck_deg" not in record.truth:
            continue
        now, base = measured.get(record.file), measured.get(record.neutral)
        if now is None or base is None or now.sample is None or base.sample is None:
            continue
        family = family_of(base.sample.view)
        if family is None:
            continue
        values = {m: float(v) for m in REFERENCE_METRICS[family] if (v := getattr(base.sample, m)) is not None}
        change = Reference(family, values, 1).head_change(now.sample)
        if change is not None:
            out.append(Pair(record, change, record.truth["neck_deg"], 0.0, neutral.truth["neck_deg"]))
    return out


def upright_change_lines(records: Sequence[Record], measured: Mapping[str, Measured]) -> list[str]:
    lines = ["", "the head's change from the upright as headwatch reports it (Reference.head_change; "
             "the scene's neutral render as the upright): change columns only", HEADER]
    for view in ("side", "front"):
        pairs = upright_change_pairs(records, measured, view)
        for kind in kinds_in(pairs):
            s = stats_of([p for p in pairs if kind == "all" or p.record.kind == kind])
            lines.append(stats_line("head_change", view, kind, replace(s, n=s.n_change, raw_mae=None, raw_bias=None,
                                                                          raw_slope=None)))
    return lines


def _lstsq(columns: Sequence[Sequence[float]], target: Sequence[float]) -> list[float]:
    matrix = np.column_stack([np.asarray(c, dtype=np.float64) for c in columns])
    return [float(v) for v in np.linalg.lstsq(matrix, np.asarray(target, dtype=np.float64), rcond=None)[0]]


class Correction:
    """A correction of head_forward_deg in one view: fitted on one set's pairs, applied to another's.
    ``use`` points it at the measurements of the set its pairs come from (for extra features)."""

    name = ""

    def __init__(self) -> None:
        self.measured: Mapping[str, Measured] = {}

    def use(self, measured: Mapping[str, Measured]) -> None:
        self.measured = measured

    def fit(self, pairs: Sequence[Pair]) -> None:
        raise NotImplementedError

    def raw(self, pair: Pair) -> float:
        return pair.measured

    def change(self, pair: Pair) -> float:
        return pair.measured_change

    def usable(self, pair: Pair) -> bool:
        return True

    def describe(self) -> str:
        raise NotImplementedError

    def feature(self, file: str, name: str) -> float | None:
        return value_of(self.measured.get(file), name)


class Linear(Correction):
    """true = a + b * measured; a change from neutral is then b * the measured change."""

    name = "linear"

    def fit(self, pairs: Sequence[Pair]) -> None:
        self.a, self.b = _lstsq([[1.0] * len(pairs), [p.measured for p in pairs]], [p.true for p in pairs])

    def raw(self, pair: Pair) -> float:
        return self.a + self.b * pair.measured

    def change(self, pair: Pair) -> float:
        return self.b * pair.measured_change

    def describe(self) -> str:
        return f"true = {self.a:+.3f} + {self.b:.4f} * measured; true change = {self.b:.4f} * measured change"


class Offset(Correction):
    """true = measured + c: the bias removed, changes left as they are."""

    name = "offset"

    def fit(self, pairs: Sequence[Pair]) -> None:
        self.c = float(np.mean([p.true - p.measured for p in pairs]))

    def raw(self, pair: Pair) -> float:
        return pair.measured + self.c

    def describe(self) -> str:
        return f"true = measured {self.c:+.3f}"


class Blend(Linear):
    """Profile: true = a + w2 * neck_midline_deg + w3 * neck_angle_3d_deg (headwatch: a = 0, w2 = w3 = 0.5)."""

    name = "2D/3D blend"

    def _parts(self, file: str) -> tuple[float, float] | None:
        two, three = self.feature(file, "neck_midline_deg"), self.feature(file, "neck_angle_3d_deg")
        return None if two is None or three is None else (two, three)

    def usable(self, pair: Pair) -> bool:
        return self._parts(pair.record.file) is not None and self._parts(pair.record.neutral) is not None

    def fit(self, pairs: Sequence[Pair]) -> None:
        parts = [self._parts(p.record.file) for p in pairs]
        chosen = [(p, x) for p, x in zip(pairs, parts, strict=True) if x is not None]
        self.a, self.w2, self.w3 = _lstsq([[1.0] * len(chosen), [x[0] for _, x in chosen], [x[1] for _, x in chosen]],
                                          [p.true for p, _ in chosen])

    def raw(self, pair: Pair) -> float:
        parts = self._parts(pair.record.file)
        return pair.measured if parts is None else self.a + self.w2 * parts[0] + self.w3 * parts[1]

    def change(self, pair: Pair) -> float:
        now, base = self._parts(pair.record.file), self._parts(pair.record.neutral)
        if now is None or base is None:
            return pair.measured_change
        return self.w2 * (now[0] - base[0]) + self.w3 * (now[1] - base[1])

    def describe(self) -> str:
        return (f"true = {self.a:+.3f} + {self.w2:.4f} * neck_midline_deg + {self.w3:.4f} * neck_angle_3d_deg; "
                f"true change = {self.w2:.4f} * d(neck_midline_deg) + {self.w3:.4f} * d(neck_angle_3d_deg)")


class BlendPlus(Correction):
    """Profile changes only: the refitted blend plus two landmark terms that the residual follows:
    true change = w2 * d(neck_midline_deg) + w3 * d(neck_angle_3d_deg)
                  + w4 * d(shoulder line elevation, deg) + w5 * d(ear-to-ear distance / frame height);
    raw values as Linear."""

    name = "blend+ (changes)"
    NAMES = ("neck_midline_deg", "neck_angle_3d_deg", "shoulder_elevation_deg", "ear_width_frame")

    def _deltas(self, pair: Pair) -> list[float] | None:
        now = [self.feature(pair.record.file, n) for n in self.NAMES]
        base = [self.feature(pair.record.neutral, n) for n in self.NAMES]
        if any(v is None for v in now + base):
            return None
        return [float(a) - float(b) for a, b in zip(now, base, strict=True)]  # type: ignore[arg-type]

    def usable(self, pair: Pair) -> bool:
        return self._deltas(pair) is not None

    def fit(self, pairs: Sequence[Pair]) -> None:
        self.linear = Linear()
        self.linear.fit(pairs)
        rows = [(p, d) for p in pairs if p.has_change and (d := self._deltas(p)) is not None]
        self.w = _lstsq([[d[i] for _, d in rows] for i in range(len(self.NAMES))], [p.true_change for p, _ in rows])

    def raw(self, pair: Pair) -> float:
        return self.linear.raw(pair)

    def change(self, pair: Pair) -> float:
        deltas = self._deltas(pair)
        return pair.measured_change if deltas is None else float(np.dot(self.w, deltas))

    def describe(self) -> str:
        terms = " + ".join(f"{w:.4f} * d({n})" for w, n in zip(self.w, self.NAMES, strict=True))
        return f"raw: as linear; true change = {terms}"


def front_terms(now: Measured | None, base: Measured | None) -> tuple[float, float, float] | None:
    """The two image cues of a front view's change from its calibrated neutral.

    foreshortening: the ears' height above the shoulders per face width (ear_height_face_ratio)
    shrinks like cos(neck angle + camera pitch) as the neck tips toward the camera; the neutral's
    3D angle (which carries the pitch) gives the starting point:
        acos(clip(r * cos(a0), -1, 1)) - a0, r = ratio now / ratio at neutral, a0 = clip(neutral 3D angle, 0, 80)
    drop: how far the ears' mid-point moved down the image, in neutral face widths (ear to ear).
    shoulder drop: the same for the shoulders' mid-point.
    """
    names = ("ear_height_face_ratio", "ear_mid_y", "ear_width", "neck_angle_3d_deg", "shoulder_mid_y")
    values = [[value_of(m, k) for k in names] for m in (now, base)]
    if any(v is None for row in values for v in row):
        return None
    (ratio_now, y_now, _, _, shoulder_now), (ratio_base, y_base, width, angle, shoulder_base) = (
        [float(v) for v in row if v is not None] for row in values)
    if ratio_base <= 1e-6 or width <= 1e-6:
        return None
    a0 = math.radians(min(max(angle, 0.0), 80.0))
    cosine = min(max(ratio_now / ratio_base * math.cos(a0), -1.0), 1.0)
    return math.degrees(math.acos(cosine) - a0), (y_now - y_base) / width, (shoulder_now - shoulder_base) / width


class FrontCues(Correction):
    """Front view, changes only: true change = k1 * foreshortening + k2 * drop (+ k3 * shoulder drop
    with ``shoulders``), see ``front_terms``, instead of the 3D angle's change; raw values as Linear."""

    def __init__(self, shoulders: bool = False) -> None:
        super().__init__()
        self.shoulders = shoulders
        self.name = "front cues+shoulders" if shoulders else "front image cues"

    def usable(self, pair: Pair) -> bool:
        return self._terms(pair) is not None

    def _terms(self, pair: Pair) -> tuple[float, ...] | None:
        terms = front_terms(self.measured.get(pair.record.file), self.measured.get(pair.record.neutral))
        return None if terms is None else terms if self.shoulders else terms[:2]

    def fit(self, pairs: Sequence[Pair]) -> None:
        self.linear = Linear()
        self.linear.fit(pairs)
        rows = [(p, t) for p in pairs if p.has_change and (t := self._terms(p)) is not None]
        self.k = _lstsq([[t[i] for _, t in rows] for i in range(len(rows[0][1]))], [p.true_change for p, _ in rows])

    def raw(self, pair: Pair) -> float:
        return self.linear.raw(pair)

    def change(self, pair: Pair) -> float:
        terms = self._terms(pair)
        return pair.measured_change if terms is None else float(np.dot(self.k, terms))

    def describe(self) -> str:
        names = ("foreshortening_deg", "drop_face_widths", "shoulder_drop_face_widths")
        terms = " + ".join(f"{k:.4f} * {n}" for k, n in zip(self.k, names, strict=False))
        return f"raw: as linear; true change = {terms}"


class JointFit(Correction):
    """A per-render linear map of landmark angles or ratios, fitted by least squares on the raw
    errors and the changes from neutral together (equal weight), so that it serves the absolute
    angle and a calibrated baseline alike; what headwatch computes (metrics.PROFILE_BLEND in
    profile, metrics.FRONT_EAR_HEIGHT facing the camera):
    true = a + sum(w_i * feature_i); true change = sum(w_i * d(feature_i))."""

    def __init__(self, names: tuple[str, ...]) -> None:
        super().__init__()
        self.names = names
        self.name = "joint " + "+".join(n.split("_deg")[0] for n in names)

    def _values(self, file: str) -> list[float] | None:
        values = [self.feature(file, n) for n in self.names]
        return None if any(v is None for v in values) else [float(v) for v in values if v is not None]

    def usable(self, pair: Pair) -> bool:
        return self._values(pair.record.file) is not None

    def fit(self, pairs: Sequence[Pair]) -> None:
        rows = [(p, v) for p in pairs if (v := self._values(p.record.file)) is not None]
        moved = [(p, v, b) for p, v in rows if p.has_change and (b := self._values(p.record.neutral)) is not None]
        k = len(self.names)
        matrix = [[1.0, *v] for _, v in rows]
        matrix += [[0.0, *(a - c for a, c in zip(v, b, strict=True))] for _, v, b in moved]
        target = [p.true for p, _ in rows] + [p.true_change for p, _, _ in moved]
        solved = _lstsq([[row[i] for row in matrix] for i in range(k + 1)], target)
        self.a, self.w = solved[0], solved[1:]

    def raw(self, pair: Pair) -> float:
        values = self._values(pair.record.file)
        return pair.measured if values is None else self.a + float(np.dot(self.w, values))

    def change(self, pair: Pair) -> float:
        now, base = self._values(pair.record.file), self._values(pair.record.neutral)
        if now is None or base is None:
            return pair.measured_change
        return float(np.dot(self.w, np.subtract(now, base)))

    def describe(self) -> str:
        terms = " + ".join(f"{w:.4f} * {n}" for w, n in zip(self.w, self.names, strict=True))
        return f"true = {self.a:+.3f} + {terms} (least squares on raw values and changes together)"


def corrections_for(view: str) -> list[Correction]:
    if view == "side":
        return [Offset(), Linear(), Blend(), BlendPlus(), JointFit(("neck_midline_deg", "neck_angle_3d_deg"))]
    return [Offset(), Linear(), FrontCues(), FrontCues(shoulders=True), JointFit(("ear_height_face_ratio",))]


def fit_report(records: Sequence[Record], measured: Mapping[str, Measured], fit_records: Sequence[Record],
               fit_measured: Mapping[str, Measured]) -> list[str]:
    lines = ["", "head_forward_deg on the held-out set: as measured, then with each correction fitted on --fit",
             "(each block on the renders the correction can use; 'as measured' on all)", HEADER]
    for view in ("side", "front"):
        fit_pairs = pairs_of(fit_records, fit_measured, "head_forward_deg", "neck_deg", view)
        pairs = pairs_of(records, measured, "head_forward_deg", "neck_deg", view)
        if not fit_pairs or not pairs:
            continue
        kinds = kinds_in(pairs)
        for kind in kinds:
            chosen = [p for p in pairs if kind == "all" or p.record.kind == kind]
            lines.append(stats_line("as measured", view, kind, stats_of(chosen)))
        for correction in corrections_for(view):
            correction.use(fit_measured)
            correction.fit([p for p in fit_pairs if correction.usable(p)])
            correction.use(measured)
            for kind in kinds:
                chosen = [p for p in pairs if (kind == "all" or p.record.kind == kind) and correction.usable(p)]
                lines.append(stats_line(correction.name[:19], view, kind,
                                        stats_of(chosen, correction.raw, correction.change)))
            lines.append(f"    {view} {correction.name}: {correction.describe()}")
    return lines


def load(root: Path, model: str) -> tuple[list[Record], dict[str, Measured]]:
    records = read_records(root)
    return records, measure_all(detect_all(root, records, model))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("renders", type=Path, help="a folder written by tools/synth_render.py (with truth.json)")
    parser.add_argument("--fit", type=Path, help="fit the corrections on this folder, score them on RENDER_DIR")
    parser.add_argument("--model", default="full")
    parser.add_argument("--by-pitch", action="store_true", help="also break the error down by the true camera pitch")
    args = parser.parse_args()
    records, measured = load(args.renders, args.model)
    print("\n".join(report(records, measured, args.by_pitch)))
    if args.fit is not None:
        fit_records, fit_measured = load(args.fit, args.model)
        print("\n".join(fit_report(records, measured, fit_records, fit_measured)))


if __name__ == "__main__":
    main()
