"""The person's reference: what their posture is judged against. Pure.

Three sources, and the judge sees only the Limits they make:
- the absolute thresholds (assemble.absolute_limits), for anybody;
- a calibrated profile (`headwatch calibrate`), which always wins when selected;
- a reference learned from the person's own posture while headwatch runs (or, for a recording,
  from the recording itself): within one person the head metrics separate upright from slouched
  almost perfectly, while between people and camera set-ups the same numbers shift by 10-30
  degrees, so limits relative to the person's own upright posture carry over where absolute
  ones do not (README "Accuracy").

What is learned: among the frames of one view family, the half with the head carried highest
(upright sitting carries the head highest; slouching, leaning back and resting the head all lower
it), and of those the medians of the key metric, the head's height in the frame and the neck's
length. The key metric's reference is clamped to a plausible upright range, so that somebody who
starts slouched is not taught that slouching is upright; the absolute limits apply until a
reference is ready and to whatever it does not cover.
"""

from __future__ import annotations

import statistics
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from headwatch.config import Calibration
from headwatch.judge import Band, Limits, State, Verdict, judge
from headwatch.types import PostureSample, View

Family = Literal["profile", "front"]
FAMILIES: tuple[Family, ...] = ("profile", "front")

# The metric a view family's head-forward verdict rests on, and which way is worse (+1: larger).
KEY_METRIC: Mapping[Family, tuple[str, int]] = {"profile": ("slouch_deg", 1), "front": ("ear_height_face_ratio", -1)}
# What a reference keeps per family (the key metric first).
REFERENCE_METRICS: Mapping[Family, tuple[str, ...]] = {
    "profile": ("slouch_deg", "head_forward_deg", "trunk_lean_deg", "ear_level", "neck_length"),
    "front": ("ear_height_face_ratio", "head_forward_deg", "shoulder_tilt_deg", "head_roll_deg", "trunk_lean_deg",
              "ear_level", "neck_length"),
}
# Where an upright key metric can plausibly lie, over every person and camera of the development
# data (upright medians: slouch_deg 7-34, ear_height_face_ratio 1.41-1.66) with some room.
UPRIGHT_RANGE: Mapping[Family, tuple[float, float]] = {"profile": (0.0, 35.0), "front": (1.3, 1.9)}
UPRIGHT_SHARE = 0.3  # the share of frames, highest heads first, that the reference is taken from
MIN_FRAMES = 10
MAX_KEPT = 1500  # samples kept for learning and refreshing (at 1-5 fps: 5-25 minutes)
REFRESH_WEIGHT = 0.25  # how far one refresh moves the reference toward the recent upright posture
MAX_GAP_S = 2.0  # a gap between samples counts at most this toward the learning time
# A stored reference is for one camera set-up: a neck length this far (as a ratio) from the stored
# one means the camera or the distance changed, and the reference is learned anew.
SETUP_TOLERANCE = 1.35


def family_of(view: View | None) -> Family | None:
    if view is None:
        return None
    return "front" if view is View.FRONT else "profile"


@dataclass(frozen=True, slots=True)
class Reference:
    """A person's upright posture in one view family: metric name -> typical value."""

    family: Family
    values: Mapping[str, float]
    frames: int
    origin: str = "learned"  # "learned", or "profile NAME" for a calibrated one

    def to_json(self) -> dict[str, Any]:
        return {"family": self.family, "values": {k: round(v, 4) for k, v in self.values.items()},
                "frames": self.frames, "origin": self.origin}

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> Reference:
        family = data["family"]
        if family not in FAMILIES:
            raise ValueError(f"unknown view family {family!r}")
        values = {str(k): float(v) for k, v in data["values"].items()}
        if KEY_METRIC[family][0] not in values:
            raise ValueError("the reference lacks its key metric")
        return Reference(family, values, int(data["frames"]), str(data.get("origin", "learned")))

    def describe(self) -> str:
        """e.g. ``profile: slouch_deg 21.63``."""
        key, _ = KEY_METRIC[self.family]
        return f"{self.family}: {key} {self.values[key]:.2f}"


def describe_learned(references: Mapping[Family, Reference]) -> str:
    """e.g. ``learned reference (profile: slouch_deg 21.63)``."""
    return "learned reference (" + ", ".join(r.describe() for r in references.values()) + ")"


def _clamp(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


def learn_reference(samples: Sequence[PostureSample], family: Family, origin: str = "learned") -> Reference | None:
    """The upright reference of one view family from a person's samples, or None with too few."""
    key, _ = KEY_METRIC[family]
    usable = [s for s in samples if family_of(s.view) == family and getattr(s, key) is not None]
    if len(usable) < MIN_FRAMES:
        return None
    levels = sorted(s.ear_level for s in usable if s.ear_level is not None)
    upright = usable
    if len(levels) >= MIN_FRAMES:
        cut = levels[max(0, round(UPRIGHT_SHARE * len(levels)) - 1)]
        upright = [s for s in usable if s.ear_level is not None and s.ear_level <= cut]
    values: dict[str, float] = {}
    for metric in REFERENCE_METRICS[family]:
        seen = [float(v) for s in upright if (v := getattr(s, metric)) is not None]
        if len(seen) >= max(3, len(upright) // 2):
            values[metric] = statistics.median(seen)
    values[key] = _clamp(values[key], *UPRIGHT_RANGE[family])
    return Reference(family, values, len(upright), origin)


def limits_around(reference: Reference, margins: Calibration, absolute: Limits, *,
                  relative_tilts: bool = False) -> Limits:
    """Limits for the reference's view family around its values; the other family keeps ``absolute``.

    The head-forward limit and the sink limit move with the person; the other bands stay
    absolute unless ``relative_tilts`` (a calibrated profile, where the person held still and
    level on purpose: a learned reference must not learn a habitual tilt as normal).
    """
    base = reference.values
    if reference.family == "profile":
        bands = dict(absolute.profile)
        bands["slouch_deg"] = Band(high=base["slouch_deg"] + margins.head_forward_margin_deg,
                                   scale=margins.head_forward_margin_deg)
        if relative_tilts and "trunk_lean_deg" in base:
            bands["trunk_lean_deg"] = Band(high=base["trunk_lean_deg"] + margins.trunk_lean_margin_deg,
                                           scale=margins.trunk_lean_margin_deg)
    else:
        bands = dict(absolute.front)
        ear_margin = base["ear_height_face_ratio"] * margins.ear_height_margin
        bands["ear_height_face_ratio"] = Band(low=base["ear_height_face_ratio"] - ear_margin, scale=ear_margin)
        if relative_tilts:
            for metric, margin in (("shoulder_tilt_deg", margins.shoulder_tilt_margin_deg),
                                   ("head_roll_deg", margins.head_roll_margin_deg),
                                   ("trunk_lean_deg", margins.trunk_lean_margin_deg)):
                if metric in base:
                    bands[metric] = Band(base[metric] - margin, base[metric] + margin, scale=margin)
    if "ear_level" in base and "neck_length" in base:
        sink = margins.sink_margin * base["neck_length"]
        bands["ear_level"] = Band(high=base["ear_level"] + sink, scale=sink)
    if reference.family == "profile":
        return replace(absolute, profile=bands)
    return replace(absolute, front=bands)


def limits_for_references(references: Mapping[Family, Reference], margins: Calibration, absolute: Limits,
                          *, relative_tilts: bool = False) -> Limits:
    limits = absolute
    for reference in references.values():
        limits = limits_around(reference, margins, limits, relative_tilts=relative_tilts)
    return limits


def learn_references(samples: Sequence[PostureSample], origin: str = "learned") -> dict[Family, Reference]:
    """A reference per view family with enough frames (a recording, or a person's photos)."""
    found = {family: learn_reference(samples, family, origin) for family in FAMILIES}
    return {family: ref for family, ref in found.items() if ref is not None}


def same_setup(reference: Reference, samples: Sequence[PostureSample]) -> bool:
    """Whether samples of the reference's family look like the same camera set-up (neck length)."""
    stored = reference.values.get("neck_length")
    lengths = [s.neck_length for s in samples if family_of(s.view) == reference.family and s.neck_length]
    if stored is None or not lengths:
        return True
    ratio = statistics.median(lengths) / stored
    return 1.0 / SETUP_TOLERANCE <= ratio <= SETUP_TOLERANCE


class ReferenceLearner:
    """Learns a reference per view family while the monitor runs, and refreshes it slowly.

    Feed ``add(t_s, sample, bad)`` in time order. A family's reference is ready after
    ``learn_s`` of presence in that family; after that only samples not judged bad are kept,
    so a long slouch cannot teach itself as upright, and every ``refresh_s`` the reference moves
    a quarter of the way toward the recent upright posture. A stored reference (``start``) is
    used as soon as the first samples confirm the same camera set-up, and learned anew if not.
    """

    def __init__(self, learn_s: float, refresh_s: float, start: Mapping[Family, Reference] | None = None) -> None:
        self.learn_s = learn_s
        self.refresh_s = refresh_s
        self._pending = dict(start or {})  # stored, not yet confirmed
        self._ready: dict[Family, Reference] = {}
        self._kept: dict[Family, deque[PostureSample]] = {f: deque(maxlen=MAX_KEPT) for f in FAMILIES}
        self._present_s: dict[Family, float] = dict.fromkeys(FAMILIES, 0.0)
        self._last_t: dict[Family, float | None] = dict.fromkeys(FAMILIES)
        self._refreshed_at: dict[Family, float] = dict.fromkeys(FAMILIES, 0.0)

    @property
    def references(self) -> Mapping[Family, Reference]:
        return dict(self._ready)

    def progress(self, family: Family) -> float:
        """Share of the learning time done for a family (1.0 once its reference is in use)."""
        if family in self._ready:
            return 1.0
        return min(1.0, self._present_s[family] / self.learn_s) if self.learn_s > 0 else 1.0

    def add(self, t_s: float, sample: PostureSample | None, bad: bool) -> bool:
        """Take one sample; True when a family's reference became ready or changed."""
        family = family_of(sample.view) if sample is not None else None
        if sample is None or family is None:
            return False
        last = self._last_t[family]
        if last is not None:
            self._present_s[family] += min(max(0.0, t_s - last), MAX_GAP_S)
        self._last_t[family] = t_s
        if family in self._ready:
            if not bad:
                self._kept[family].append(sample)
            return self._maybe_refresh(family)
        self._kept[family].append(sample)
        if family in self._pending and len(self._kept[family]) >= MIN_FRAMES:
            stored = self._pending.pop(family)
            if same_setup(stored, list(self._kept[family])):
                self._ready[family] = stored
                self._refreshed_at[family] = self._present_s[family]
                return True
        if self._present_s[family] < self.learn_s:
            return False
        learned = learn_reference(list(self._kept[family]), family)
        if learned is None:
            return False
        self._ready[family] = learned
        self._refreshed_at[family] = self._present_s[family]
        return True

    def _maybe_refresh(self, family: Family) -> bool:
        if self._present_s[family] - self._refreshed_at[family] < self.refresh_s:
            return False
        self._refreshed_at[family] = self._present_s[family]
        fresh = learn_reference(list(self._kept[family]), family)
        if fresh is None:
            return False
        old = self._ready[family]
        values = {k: v + REFRESH_WEIGHT * (fresh.values[k] - v) if k in fresh.values else v
                  for k, v in old.values.items()}
        key, _ = KEY_METRIC[family]
        values[key] = _clamp(values[key], *UPRIGHT_RANGE[family])
        self._ready[family] = Reference(family, values, old.frames + fresh.frames, old.origin)
        return True


class LearningJudge:
    """Judges with the absolute limits until the learner has a reference, then around it."""

    def __init__(self, learner: ReferenceLearner, margins: Calibration, absolute: Limits,
                 on_change: Callable[[Mapping[Family, Reference]], None] | None = None) -> None:
        self.learner = learner
        self.margins = margins
        self.absolute = absolute
        self.on_change = on_change  # e.g. store the reference, so that the next session starts from it
        self.limits = absolute

    def __call__(self, t_s: float, sample: PostureSample | None) -> Verdict:
        verdict = judge(sample, self.limits)
        if self.learner.add(t_s, sample, bad=verdict.state is State.BAD):
            self.limits = limits_for_references(self.learner.references, self.margins, self.absolute)
            if self.on_change is not None:
                self.on_change(self.learner.references)
        return verdict

    def describe(self) -> str:
        refs = self.learner.references
        if refs:
            return describe_learned(refs)
        progress = max(self.learner.progress(f) for f in FAMILIES)
        return f"absolute limits (learning your upright posture: {progress:.0%})"


class FixedJudge:
    """Judges with fixed limits: absolute thresholds or a calibrated profile."""

    def __init__(self, limits: Limits, description: str) -> None:
        self.limits = limits
        self.description = description

    def __call__(self, t_s: float, sample: PostureSample | None) -> Verdict:
        return judge(sample, self.limits)

    def describe(self) -> str:
        return self.description
