"""One sample's verdict: ok, bad (with reasons), away or unknown. Pure.

The judge compares metrics with Limits: an allowed band per metric and per view family (profile
or front). Absolute defaults and a calibrated per-user baseline are both just Limits, so a
baseline ("head forward more than X degrees beyond my upright posture") plugs in unchanged:
see ``Limits.around_baseline``.
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
}


@dataclass(frozen=True, slots=True)
class Band:
    """The allowed range of one metric (either end may be open)."""

    low: float = -math.inf
    high: float = math.inf

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high


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

    @staticmethod
    def around_baseline(baseline_profile: Mapping[str, float], baseline_front: Mapping[str, float],
                        margins: Mapping[str, float], required: str = "head_forward_deg") -> Limits:
        """Bands centred on a user's calibrated values: baseline +- margin per metric.

        Head forward only counts forward (an upright-er head is never bad); ratios that drop
        with a forward head (ear height) only count downward.
        """
        def bands(baseline: Mapping[str, float]) -> dict[str, Band]:
            out = {}
            for name, centre in baseline.items():
                margin = margins.get(name)
                if margin is None:
                    continue
                if name in ("head_forward_deg", "slouch_deg"):
                    out[name] = Band(high=centre + margin)
                elif name in ("ear_height_ratio", "ear_height_face_ratio"):
                    out[name] = Band(low=centre - margin)
                else:
                    out[name] = Band(centre - margin, centre + margin)
            return out

        return Limits(profile=bands(baseline_profile), front=bands(baseline_front),
                      required_profile=required, required_front=required)


@dataclass(frozen=True, slots=True)
class Verdict:
    state: State
    reasons: tuple[Reason, ...] = ()
    values: Mapping[str, float] = field(default_factory=dict)  # the metrics outside their band


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
    reasons: list[Reason] = []
    values: dict[str, float] = {}
    for name, band in bands.items():
        value = getattr(sample, name)
        if value is None or band.contains(value):
            continue
        values[name] = value
        reason = REASON_OF_METRIC.get(name)
        if reason is not None and reason not in reasons:
            reasons.append(reason)
    if reasons:
        return Verdict(State.BAD, tuple(reasons), values)
    return Verdict(State.OK)


# Defaults from real footage (see README "Thresholds"). Profile views judge the head-forward
# angle plus the trunk's forward lean (slouch_deg), and a strong trunk lean on its own; the
# front view (a laptop webcam) judges the ears' height above the shoulder line in face widths,
# which falls as the head comes forward and down toward the screen, plus sideways tilts.
DEFAULT_LIMITS = Limits(
    profile={"slouch_deg": Band(high=21.0), "trunk_lean_deg": Band(high=20.0)},
    front={"ear_height_face_ratio": Band(low=1.32), "shoulder_tilt_deg": Band(-8.0, 8.0),
           "head_roll_deg": Band(-15.0, 15.0), "trunk_lean_deg": Band(-10.0, 10.0)},
    required_front="ear_height_face_ratio",
)
