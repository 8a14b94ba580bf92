"""Runtime objects from Settings: limits, alert timings, the sampling policy. Pure."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from headwatch.app.session import PostureJudge
from headwatch.config.settings import Settings, Thresholds
from headwatch.posture.calibration import Profile, limits_around_profile
from headwatch.posture.judge import Band, Limits
from headwatch.posture.reference import Family, FixedJudge, LearningJudge, Reference, ReferenceLearner
from headwatch.timeline.alerts import AlertSettings
from headwatch.timeline.presence import presence_gap_s
from headwatch.timeline.sampling import SamplingPolicy

# How far beyond an absolute limit counts as one step (Band.scale), so that reasons can be put in
# order: the default calibration margins for the angles one-sided limits measure, and 6 % of a
# typical upright ear height (1.5 face widths); a band around zero uses its own half-width.
ANGLE_SCALE_DEG = 10.0
EAR_HEIGHT_FACE_SCALE = 0.09


def _symmetric(limit: float) -> Band:
    return Band(-limit, limit, scale=max(limit, 1.0))


def absolute_limits(thresholds: Thresholds) -> Limits:
    """Profile views: slouch and forward trunk lean; front view: ear height in face widths, tilts."""
    t = thresholds
    standing = {"slouch_deg": Band(high=t.standing_slouch_deg, scale=ANGLE_SCALE_DEG,
                                   origin="absolute limit, standing"),
                "trunk_lean_deg": Band(high=t.trunk_forward_deg, scale=ANGLE_SCALE_DEG)}
    return Limits(
        profile={"slouch_deg": Band(high=t.slouch_deg, scale=ANGLE_SCALE_DEG),
                 "trunk_lean_deg": Band(high=t.trunk_forward_deg, scale=ANGLE_SCALE_DEG),
                 "reclined_flexion_deg": Band(high=t.reclined_flexion_deg, scale=ANGLE_SCALE_DEG)},
        front={"ear_height_face_ratio": Band(low=t.ear_height_face_ratio, scale=EAR_HEIGHT_FACE_SCALE),
               "shoulder_tilt_deg": _symmetric(t.shoulder_tilt_deg),
               "head_roll_deg": _symmetric(t.head_roll_deg),
               "trunk_lean_deg": _symmetric(t.trunk_lean_deg)},
        required_profile="head_forward_deg",
        required_front="ear_height_face_ratio",
        standing=standing,
        # Without the hips slouch_deg is the head's angle alone: judged on the standing limit, where
        # the trunk adds nothing (judge.trunk_unseen); the why says so, as the person may sit.
        without_hips={"slouch_deg": Band(high=t.standing_slouch_deg, scale=ANGLE_SCALE_DEG,
                                         origin="absolute limit, hips out of view")},
    )


DEFAULT_LIMITS = absolute_limits(Thresholds())


def limits_for(settings: Settings, profile: Profile | None) -> Limits:
    absolute = absolute_limits(settings.thresholds)
    return absolute if profile is None else limits_around_profile(profile, settings.calibration, absolute)


def session_gap_s(settings: Settings, sample_interval_s: float | None = None) -> float:
    """The presence clock's cap for a session: ``sample_interval_s`` is the longest normal wait
    between samples (default: the monitor's calm rate; analyze: 1 / analyze_fps)."""
    c = settings.capture
    return presence_gap_s(sample_interval_s if sample_interval_s is not None else 1.0 / min(c.fps, c.calm_fps))


def alert_settings(settings: Settings, sample_interval_s: float | None = None) -> AlertSettings:
    """Alert timings, their clock capped as every presence clock of the session is (session_gap_s)."""
    a, r = settings.alerts, settings.reminders
    return AlertSettings(bad_for_s=a.bad_for_s, bad_share=a.bad_share, good_for_s=a.good_for_s,
                         repeat_after_s=a.repeat_after_s, away_reset_s=a.away_reset_s,
                         max_gap_s=session_gap_s(settings, sample_interval_s),
                         break_after_min=r.break_after_min, break_min_s=r.break_min_s,
                         still_for_min=r.still_for_min, still_tolerance=r.still_tolerance)


def still_check_s(settings: Settings) -> float | None:
    """How often the pose model runs at the least while the picture holds still; None: every look."""
    return settings.capture.still_check_s if settings.capture.rest_when_still else None


def sampling_policy(settings: Settings) -> SamplingPolicy:
    c = settings.capture
    return SamplingPolicy(fps=c.fps, calm_fps=c.calm_fps, calm_after_s=c.calm_after_s)


@dataclass(frozen=True, slots=True)
class ReferenceChoice:
    """What posture is judged against: a calibrated ``profile``, a reference learned from the
    person (``auto``), or the ``absolute`` thresholds alone."""

    mode: str  # "profile" | "auto" | "absolute"
    profile: Profile | None = None

    def describe(self) -> str:
        if self.profile is not None:
            return f"profile {self.profile.name}"
        return "learned reference" if self.mode == "auto" else "absolute limits"


def posture_judge(settings: Settings, choice: ReferenceChoice, stored: Mapping[Family, Reference] | None = None,
                  on_change: Callable[[Mapping[Family, Reference]], None] | None = None,
                  sample_interval_s: float | None = None,
                  learned: Mapping[Family, Reference] | None = None) -> PostureJudge:
    """The monitor's judge: fixed limits, or limits that follow the reference it learns (its
    learning time on the session's presence clock: session_gap_s). ``learned``: references in use
    from the first sample (a complete recording's, learned in hindsight)."""
    limits = limits_for(settings, choice.profile)
    if choice.mode != "auto":
        upright = {choice.profile.family: choice.profile.reference()} if choice.profile is not None else None
        return FixedJudge(limits, choice.describe(), upright)
    learner = ReferenceLearner(settings.reference.learn_min * 60.0, settings.reference.refresh_min * 60.0, stored,
                               session_gap_s(settings, sample_interval_s), ready=learned)
    return LearningJudge(learner, settings.calibration, limits, on_change)
