"""One sample's verdict: ok, bad (with reasons), away or unknown. Pure.

The judge compares metrics with Limits: an allowed band per metric and per view family (profile
or front). Absolute thresholds (assemble.absolute_limits) and a calibrated per-user baseline
(calibration.limits_around: "head forward more than X degrees beyond my upright posture") are
both just Limits, so the judge does not know which it has.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from headwatch.types import PostureSample, View


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
    "ear_level": Reason.SUNK,
}


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
class Limits:
    """Allowed bands per metric, for profile views and for the front view.

    ``required`` names the metric per view family without which a verdict cannot be given
    (the head-forward signal): a sample missing it is unknown rather than falsely ok.
    """

    profile: Mapping[str, Band]
    front: Mapping[str, Band]
    required_profile: str = "head_forward_deg"
    required_front: str = "head_forward_deg"

    def for_view(self, view: View) -> tuple[Mapping[str, Band], str]:
        if view is View.FRONT:
            return self.front, self.required_front
        return self.profile, self.required_profile


@dataclass(frozen=True, slots=True)
class Finding:
    """One metric outside its band: the why behind a reason."""

    reason: Reason
    metric: str
    value: float
    limit: float
    beyond: float  # how far past the limit, in the band's scales


@dataclass(frozen=True, slots=True)
class Verdict:
    state: State
    reasons: tuple[Reason, ...] = ()  # furthest beyond its limit first
    values: Mapping[str, float] = field(default_factory=dict)  # the metrics outside their band
    findings: tuple[Finding, ...] = ()  # furthest beyond first; a reason's first finding decided it

    def beyond(self, reason: Reason) -> float:
        """How far the furthest metric of ``reason`` lies beyond its limit (0 if not a reason)."""
        return max((f.beyond for f in self.findings if f.reason is reason), default=0.0)


AWAY = Verdict(State.AWAY)
UNKNOWN = Verdict(State.UNKNOWN)


def judge(sample: PostureSample | None, limits: Limits) -> Verdict:
    """The verdict for one sample; None means nobody was found."""
    if sample is None:
        return AWAY
    if sample.view is None:
        return UNKNOWN
    bands, required = limits.for_view(sample.view)
    if getattr(sample, required) is None:
        return UNKNOWN
    findings: list[Finding] = []
    values: dict[str, float] = {}
    for name, band in bands.items():
        value = getattr(sample, name)
        if value is None or band.contains(value):
            continue
        values[name] = value
        reason = REASON_OF_METRIC.get(name)
        if reason is not None:
            findings.append(Finding(reason, name, value, band.limit_passed(value), band.beyond(value)))
    if not findings:
        return Verdict(State.OK)
    # Furthest beyond first: somebody leaning 15 degrees sideways, with the ears a hair under their
    # limit, is told about the lean first. The sort is stable, so ties keep the declared order.
    findings.sort(key=lambda f: -f.beyond)
    reasons = tuple(dict.fromkeys(f.reason for f in findings))
    return Verdict(State.BAD, reasons, values, tuple(findings))
