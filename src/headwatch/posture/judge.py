"""One sample's verdict: ok, bad (with reasons), away or unknown. Pure.

The judge compares metrics with Limits: an allowed band per metric and per view family (profile
or front). Absolute thresholds (assemble.absolute_limits) and a calibrated per-user baseline
(calibration.limits_around_profile: "head forward more than X degrees beyond my upright posture") are
both just Limits, so the judge does not know which it has.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from headwatch.types import Finding, PostureSample, Reason, State, Verdict, View

__all__ = ["AWAY", "UNKNOWN", "Finding", "Reason", "State", "Verdict", "judge"]  # the verdict types live in types.py


# Which reason a metric speaks for. Head pitch is deliberately absent: looking down at the
# keyboard is not bad posture on its own.
REASON_OF_METRIC: Mapping[str, Reason] = {
    "head_forward_deg": Reason.HEAD_FORWARD,
    "slouch_deg": Reason.HEAD_FORWARD,
    "ear_height_ratio": Reason.HEAD_FORWARD,
    "face_width_ratio": Reason.HEAD_FORWARD,
    "ear_height_face_ratio": Reason.HEAD_FORWARD,
    "shoulder_tilt_deg": Reason.SHOULDER_TILT,
    "head_roll_deg": Reason.HEAD_ROLL,
    "trunk_lean_deg": Reason.TRUNK_LEAN,
    "reclined_flexion_deg": Reason.RECLINED_SLUMP,
    "head_drop": Reason.SUNK,
}

# The head's drop below the person's upright height counts as posture only when the neck changed
# with it (it bent, tipped back or shortened in view: see Anchor). A drop with the neck as it was
# is the whole body, or the camera, moving: a lowered seat or a nudged lid, not a slump. Chosen on
# the development photos (bench/lopo.py): upright frames change the neck by under 0.08 neck
# lengths (90th percentile), leaning back by 0.1-0.3, chin resting and head on the desk by more.
NECK_CHANGE_MIN = 0.1
# Facing the camera, a head that comes forward grows against the neck: the ears' height above the
# shoulders in face widths drops. There, a drop by this share is what corroborates a sinking head.
EAR_HEIGHT_FACE_DROP_MIN = 0.03


@dataclass(frozen=True, slots=True)
class Band:
    """The allowed range of one metric (either end may be open).

    ``scale`` is how much of the metric makes one unit of "how far beyond": the margin a limit
    allows around the person's upright value (or its absolute equivalent), so that a ratio 0.02
    below its limit and a tilt 7 degrees beyond its own can be put in order.
    """

    low: float = -math.inf
    high: float = math.inf
    scale: float = 1.0
    origin: str = "absolute limit"  # what the limit came from, said in every why

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high

    def beyond(self, value: float) -> float:
        """How far ``value`` lies outside the band, in scales (0 inside it)."""
        excess = max(self.low - value, value - self.high, 0.0)
        return excess / self.scale if self.scale > 0 else excess

    def limit_passed(self, value: float) -> float:
        """The end of the band that ``value`` lies beyond (the nearer one inside it)."""
        return self.low if value < self.low else self.high


@dataclass(frozen=True, slots=True)
class Anchor:
    """Where a person's upright head and shoulders sit in one camera set-up (frame heights), which
    the head's drop is measured from. From their learned reference or calibrated profile."""

    ear_level: float
    neck_length: float
    shoulder_level: float | None = None
    neck_dx: float | None = None
    ear_height_face_ratio: float | None = None


def neck_change(sample: PostureSample, anchor: Anchor) -> float | None:
    """How far the neck, as a vector from the shoulders' mid-point to the ears', moved from the
    anchor's, in neck lengths (None when either lacks the shoulders or the neck's run)."""
    if (sample.ear_level is None or sample.shoulder_level is None or sample.neck_dx is None
            or anchor.shoulder_level is None or anchor.neck_dx is None or anchor.neck_length <= 0):
        return None
    rise = (sample.ear_level - sample.shoulder_level) - (anchor.ear_level - anchor.shoulder_level)
    return math.hypot(sample.neck_dx - anchor.neck_dx, rise) / anchor.neck_length


def head_drop(sample: PostureSample, anchor: Anchor) -> float | None:
    """How far the head sank below the anchor, in the anchor's neck lengths, when that is posture:
    None when it is not measurable, or when the neck kept its shape (the body or the camera moved
    as a whole). Without the shoulders to tell, a drop counts as it is."""
    return _head_drop(sample, anchor, neck_change(sample, anchor))


def _head_drop(sample: PostureSample, anchor: Anchor, change: float | None) -> float | None:
    """head_drop, given the neck's change (worked out once per sample)."""
    if sample.ear_level is None or anchor.neck_length <= 0:
        return None
    drop = (sample.ear_level - anchor.ear_level) / anchor.neck_length
    ratio, reference = sample.ear_height_face_ratio, anchor.ear_height_face_ratio
    if reference is not None and reference > 0:
        # Facing the camera the neck's length in the frame says nothing a zoom could not say too:
        # the face growing against the neck (a scale-free ratio) tells a head come forward, or
        # the neck bending while the face does not shrink.
        grew = ratio is not None and (reference - ratio) / reference >= EAR_HEIGHT_FACE_DROP_MIN
        bent = change is not None and change >= NECK_CHANGE_MIN and ratio is not None and ratio <= reference
        return drop if grew or bent else None
    return drop if change is None or change >= NECK_CHANGE_MIN else None


@dataclass(frozen=True, slots=True)
class Limits:
    """Allowed bands per metric, for profile views and for the front view.

    ``required`` names the metric per view family without which a sample cannot be called ok
    (the head-forward signal): missing it, a sample is bad if another band is passed, else
    unknown rather than falsely ok. An
    ``anchor`` per view family gives the metrics measured from the person's upright position
    (``head_drop``).
    """

    profile: Mapping[str, Band]
    front: Mapping[str, Band]
    required_profile: str = "head_forward_deg"
    required_front: str = "head_forward_deg"
    anchor_profile: Anchor | None = None
    anchor_front: Anchor | None = None
    # In profile with the legs in view and the thighs near vertical: a person standing (None:
    # the profile bands apply whatever the legs do).
    standing: Mapping[str, Band] | None = None
    # In profile with the hips out of view (trunk_unseen), where standing cannot be told from
    # sitting (None: the profile bands apply).
    without_hips: Mapping[str, Band] | None = None

    def for_view(self, view: View) -> tuple[Mapping[str, Band], str]:
        if view is View.FRONT:
            return self.front, self.required_front
        return self.profile, self.required_profile

    def for_sample(self, sample: PostureSample) -> tuple[Mapping[str, Band], str]:
        """The bands for this sample's view and, in profile, for standing, sitting or neither told."""
        assert sample.view is not None
        if self.standing is not None and is_standing(sample):
            return self.standing, self.required_profile
        if self.without_hips is not None and trunk_unseen(sample):
            return self.without_hips, self.required_profile
        return self.for_view(sample.view)

    def anchor_for(self, sample: PostureSample) -> Anchor | None:
        if sample.view is None or is_standing(sample):
            return None  # standing and walking about, the head's height in the frame means nothing
        return self.anchor_front if sample.view is View.FRONT else self.anchor_profile


# Thighs within this of vertical, in profile: standing. Seated thighs lie at 78-88 degrees on the
# development video; standing, the side-standing frames' median is 11.
STANDING_THIGH_DEG = 35.0


def is_standing(sample: PostureSample) -> bool:
    return (sample.view is not None and sample.view is not View.FRONT and sample.thigh_deg is not None
            and sample.thigh_deg < STANDING_THIGH_DEG)


def trunk_unseen(sample: PostureSample) -> bool:
    """In profile with the trunk's lean unmeasured (both hips and both shoulders are needed: a
    camera framing the head and shoulders, a desk in front of the hips): standing cannot be told
    from sitting, and slouch_deg is the head's angle alone, without the forward trunk lean the
    seated limit allows for. The absolute limits judge it as standing (Limits.without_hips), where
    the trunk adds nothing: on rendered people with the hips cut off the seated limit caught a
    third of the slumps, standing or sitting (bench/standing_renders.py, docs/accuracy.md)."""
    return sample.view is not None and sample.view is not View.FRONT and sample.trunk_lean_deg is None


def relative_metrics(sample: PostureSample, limits: Limits) -> dict[str, float]:
    """The metrics measured from the person's anchor in the sample's view (empty without one)."""
    anchor = limits.anchor_for(sample)
    if anchor is None:
        return {}
    change = neck_change(sample, anchor)
    found = {"head_drop": _head_drop(sample, anchor, change), "neck_change": change}
    return {name: value for name, value in found.items() if value is not None}


AWAY = Verdict(State.AWAY)
UNKNOWN = Verdict(State.UNKNOWN)


def judge(sample: PostureSample | None, limits: Limits) -> Verdict:
    """The verdict for one sample; None means nobody was found."""
    if sample is None:
        return AWAY
    if sample.view is None:
        return UNKNOWN
    bands, required = limits.for_sample(sample)
    # Without the head-forward signal a sample cannot be called fine (unknown, not falsely ok),
    # but what is measured still counts: a trunk bent far over a desk with the head down on it,
    # its ears hidden, is bad whatever the head does.
    head_unseen = getattr(sample, required) is None
    findings: list[Finding] = []
    values: dict[str, float] = {}
    relative = relative_metrics(sample, limits)
    for name, band in bands.items():
        value = relative.get(name) if name in relative else getattr(sample, name, None)
        if value is None or band.contains(value):
            continue
        values[name] = value
        reason = REASON_OF_METRIC.get(name)
        if reason is not None:
            findings.append(Finding(reason, name, value, band.limit_passed(value), band.beyond(value), band.origin))
    if "head_drop" in values and "neck_change" in relative:
        values["neck_change"] = relative["neck_change"]  # why the drop counted as posture
    if not findings:
        return UNKNOWN if head_unseen else Verdict(State.OK)
    # Furthest beyond first: somebody leaning 15 degrees sideways, with the ears a hair under their
    # limit, is told about the lean first. The sort is stable, so ties keep the declared order.
    findings.sort(key=lambda f: -f.beyond)
    reasons = tuple(dict.fromkeys(f.reason for f in findings))
    return Verdict(State.BAD, reasons, values, tuple(findings))
