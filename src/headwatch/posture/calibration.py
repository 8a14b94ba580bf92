"""A user's upright baseline, learned from a few seconds of footage, and the limits around it.

Pure: samples in, a Profile out (or a CalibrationError saying what to fix); a Profile and
margins in, Limits out. Storing profiles is profiles.py's job.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from headwatch.config.settings import Calibration
from headwatch.errors import HeadwatchError
from headwatch.posture.judge import Limits
from headwatch.posture.reference import (
    FAMILIES,
    REFERENCE_METRICS,
    UPRIGHT_RANGE,
    Family,
    Reference,
    family_of,
    limits_around_reference,
)
from headwatch.types import METRIC_WORDS, SCHEMA, PostureSample

# What is learned per view family; the first metric is the one a verdict needs.
BASELINE_METRICS = REFERENCE_METRICS
MIN_FOUND_SHARE = 0.8  # of the frames, with a person found
MIN_VIEW_SHARE = 0.8  # of those, in the same view family
MIN_FRAMES = 10  # usable frames at the least
MAX_MOVEMENT = 0.08  # frame heights: how far the upper body may stray from its median place
# How unsteady the key metric may be (median absolute deviation) for a trustworthy baseline.
MAX_SPREAD: Mapping[Family, float] = {"profile": 8.0, "front": 0.08}


class CalibrationError(HeadwatchError):
    """The footage cannot give a trustworthy baseline; the message says what to do."""


@dataclass(frozen=True, slots=True)
class Baseline:
    median: float
    spread: float  # median absolute deviation
    frames: int


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    family: Family
    baseline: Mapping[str, Baseline]
    frames: int
    source: str = ""
    created: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    def reference(self) -> Reference:
        return Reference(self.family, {k: b.median for k, b in self.baseline.items()}, self.frames,
                         f"profile {self.name}")

    def to_json(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "name": self.name, "family": self.family, "frames": self.frames,
                "source": self.source, "created": self.created,
                "baseline": {k: {"median": round(b.median, 4), "spread": round(b.spread, 4), "frames": b.frames}
                             for k, b in self.baseline.items()}}

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> Profile:
        family = data["family"]
        if family not in FAMILIES:
            raise ValueError(f"unknown view family {family!r}")
        baseline = {k: Baseline(float(v["median"]), float(v["spread"]), int(v["frames"]))
                    for k, v in data["baseline"].items()}
        if BASELINE_METRICS[family][0] not in baseline:
            raise ValueError("the baseline lacks its key metric")
        return Profile(str(data["name"]), family, baseline, int(data["frames"]), str(data.get("source", "")),
                       str(data.get("created", "")))


@dataclass(frozen=True, slots=True)
class CalibrationSample:
    t_s: float
    sample: PostureSample | None  # None: nobody found
    position: tuple[float, ...] | None = None


def _mad(values: Sequence[float]) -> float:
    centre = statistics.median(values)
    return statistics.median(abs(v - centre) for v in values)


def calibrate(samples: Sequence[CalibrationSample], name: str, source: str = "", created: str = "",
              force: bool = False) -> Profile:
    """The baseline of an upright person, or CalibrationError when the footage is not good enough,
    or (unless ``force``) when its key metric lies outside what upright people show (UPRIGHT_RANGE):
    a slouched stretch taken for upright would make every slouch look normal."""
    if not samples:
        raise CalibrationError("calibration saw no frames: check the source and the --from/--to times")
    found = [s for s in samples if s.sample is not None]
    if len(found) < MIN_FOUND_SHARE * len(samples):
        raise CalibrationError(
            f"a person was found in only {len(found) / len(samples):.0%} of the frames: sit in front of the "
            "camera with your head and shoulders in view, in good light, and try again")
    families = Counter(family_of(s.sample.view) for s in found if s.sample is not None)
    family, count = families.most_common(1)[0]
    if family is None or count < MIN_VIEW_SHARE * len(found):
        raise CalibrationError("you turned during calibration: keep facing the camera (or keep your side to it) "
                               "the whole time, and try again")
    key = BASELINE_METRICS[family][0]
    usable = [s for s in found if s.sample is not None and family_of(s.sample.view) == family
              and getattr(s.sample, key) is not None]
    if len(usable) < MIN_FRAMES:
        raise CalibrationError(f"only {len(usable)} usable frames (at least {MIN_FRAMES} needed): make sure your "
                               "ears and shoulders are clearly visible, or calibrate for longer")
    positions = [s.position for s in usable if s.position is not None]
    if positions:
        centre = [statistics.median(p[i] for p in positions) for i in range(len(positions[0]))]
        strays = sum(1 for p in positions if max(abs(a - b) for a, b in zip(p, centre, strict=True)) > MAX_MOVEMENT)
        if strays > 0.2 * len(positions):
            raise CalibrationError("you moved too much during calibration: sit still, upright, looking at the "
                                   "screen, and try again")
    key_values = [float(getattr(s.sample, key)) for s in usable]
    if _mad(key_values) > MAX_SPREAD[family]:
        raise CalibrationError("your posture changed too much during calibration: hold one upright posture, "
                               "looking at the screen, and try again")
    baseline: dict[str, Baseline] = {}
    for metric in BASELINE_METRICS[family]:
        values = [float(v) for s in usable if (v := getattr(s.sample, metric)) is not None]
        if len(values) >= MIN_FRAMES // 2:
            baseline[metric] = Baseline(statistics.median(values), _mad(values), len(values))
    low, high = UPRIGHT_RANGE[family]
    value = baseline[key].median
    if not force and not low <= value <= high:
        label, digits, unit = METRIC_WORDS.get(key, (key, 2, ""))
        raise CalibrationError(f"this does not look like upright posture: {label} {value:.{digits}f}{unit}, where "
                               f"upright people read {low:.{digits}f}-{high:.{digits}f}{unit}; sit upright, looking "
                               "at the screen, and calibrate again (or give --force to keep it)")
    return Profile(name, family, baseline, len(usable), source, created)


def limits_around_profile(profile: Profile, margins: Calibration, absolute: Limits) -> Limits:
    """Limits relative to the baseline for the calibrated view family; the other keeps ``absolute``.

    The person held still and level on purpose, so the tilts are relative to the baseline too.
    """
    return limits_around_reference(profile.reference(), margins, absolute, relative_tilts=True)
