"""The judge's verdicts: which metrics decide, and reasons in order of how far beyond their limit."""

from __future__ import annotations

import pytest

from headwatch.app.assemble import DEFAULT_LIMITS
from headwatch.posture.judge import Band, judge, trunk_unseen
from headwatch.types import Finding, PostureSample, Reason, State, View


def front(**metrics: float) -> PostureSample:
    return PostureSample(view=View.FRONT, **{"ear_height_face_ratio": 1.5, **metrics})  # type: ignore[arg-type]


def test_a_band_measures_how_far_beyond_in_its_scale() -> None:
    band = Band(-8.0, 8.0, scale=8.0)
    assert band.beyond(3.0) == 0.0
    assert band.beyond(12.0) == pytest.approx(0.5) and band.beyond(-16.0) == pytest.approx(1.0)
    assert band.limit_passed(12.0) == 8.0 and band.limit_passed(-16.0) == -8.0
    assert Band(low=1.35, scale=0.09).beyond(1.26) == pytest.approx(1.0)


def test_a_lean_far_beyond_its_limit_comes_before_ears_a_hair_under_theirs() -> None:
    """Leaning 15 degrees sideways with the ears 0.02 under their limit: the lean is what to fix.
    (The declared order of the bands puts the ears first, so this fails without the ordering.)"""
    verdict = judge(front(ear_height_face_ratio=1.33, shoulder_tilt_deg=15.0), DEFAULT_LIMITS)
    assert verdict.state is State.BAD
    assert verdict.reasons == (Reason.SHOULDER_TILT, Reason.HEAD_FORWARD)
    tilt, ears = verdict.findings
    assert tilt == Finding(Reason.SHOULDER_TILT, "shoulder_tilt_deg", 15.0, 8.0, pytest.approx(7.0 / 8.0))
    assert ears.metric == "ear_height_face_ratio" and ears.limit == 1.35 and ears.beyond == pytest.approx(0.02 / 0.09)
    assert verdict.beyond(Reason.SHOULDER_TILT) > verdict.beyond(Reason.HEAD_FORWARD) > 0.0
    assert verdict.beyond(Reason.HEAD_ROLL) == 0.0


def test_ears_far_under_come_before_a_slight_lean() -> None:
    verdict = judge(front(ear_height_face_ratio=1.05, shoulder_tilt_deg=-9.0), DEFAULT_LIMITS)
    assert verdict.reasons == (Reason.HEAD_FORWARD, Reason.SHOULDER_TILT)
    assert verdict.findings[1].limit == -8.0


def test_a_good_sample_has_no_findings() -> None:
    verdict = judge(front(shoulder_tilt_deg=2.0), DEFAULT_LIMITS)
    assert verdict.state is State.OK and verdict.reasons == () and verdict.findings == ()


def test_every_finding_says_its_value_its_limit_and_where_the_limit_came_from() -> None:
    """One wording for the why, from the band that decided: a learned reference names the
    person's upright value and the margin; the absolute limits say so."""
    from headwatch.config.settings import Calibration
    from headwatch.posture.reference import Reference, limits_around_reference

    upright = Reference("front", {"ear_height_face_ratio": 1.62}, 40)
    limits = limits_around_reference(upright, Calibration(ear_height_margin=0.06), DEFAULT_LIMITS)
    verdict = judge(PostureSample(view=View.FRONT, ear_height_face_ratio=1.02), limits)
    assert verdict.why() == "ear/face 1.02 < 1.52 (your upright 1.62 - 6%)"
    absolute = judge(PostureSample(view=View.FRONT, ear_height_face_ratio=1.02, shoulder_tilt_deg=-12.0),
                     DEFAULT_LIMITS)
    assert absolute.why() == ("ear/face 1.02 < 1.35 (absolute limit); "
                              "shoulder tilt -12° < -8° (absolute limit)")


def test_a_trunk_bent_over_the_desk_is_bad_even_with_the_head_unseen() -> None:
    """Head down on the desk hides the ears, so the head-forward signal is missing; the trunk bent
    48 degrees forward is still measured and is bad. With nothing beyond a limit the sample stays
    unknown, never ok: a missing head is no evidence of good posture."""
    bent = judge(PostureSample(view=View.LEFT, trunk_lean_deg=48.0), DEFAULT_LIMITS)
    assert bent.state is State.BAD and bent.reasons == (Reason.TRUNK_LEAN,)
    assert bent.findings[0].value == 48.0 and bent.findings[0].limit == 20.0
    upright = judge(PostureSample(view=View.LEFT, trunk_lean_deg=5.0), DEFAULT_LIMITS)
    assert upright.state is State.UNKNOWN and upright.reasons == ()
    assert judge(PostureSample(view=View.LEFT), DEFAULT_LIMITS).state is State.UNKNOWN


def test_with_the_hips_out_of_view_the_head_is_judged_as_standing_is() -> None:
    """The hips hidden (a camera framing head and shoulders): slouch_deg is the head's angle alone,
    with no forward trunk lean for the seated limit (36) to allow for, so the standing limit (20)
    judges it; the same head with the hips seen and the trunk upright is a seated person's."""
    head_only = judge(PostureSample(view=View.LEFT, head_forward_deg=28.0, slouch_deg=28.0), DEFAULT_LIMITS)
    assert head_only.state is State.BAD and head_only.reasons == (Reason.HEAD_FORWARD,)
    assert head_only.findings[0].limit == 20.0 and head_only.findings[0].origin == "absolute limit, hips out of view"
    assert head_only.why() == "head forward 28° > 20° (absolute limit, hips out of view)"
    seated = judge(PostureSample(view=View.LEFT, head_forward_deg=28.0, slouch_deg=28.0, trunk_lean_deg=0.0),
                   DEFAULT_LIMITS)
    assert seated.state is State.OK
    upright = judge(PostureSample(view=View.LEFT, head_forward_deg=12.0, slouch_deg=12.0), DEFAULT_LIMITS)
    assert upright.state is State.OK
    # Facing the camera there is no standing limit to take, whatever profile metric a sample carries.
    facing_sample = PostureSample(view=View.FRONT, head_forward_deg=28.0, slouch_deg=28.0, ear_height_face_ratio=1.5)
    assert not trunk_unseen(facing_sample)
    assert DEFAULT_LIMITS.for_sample(facing_sample)[0] is DEFAULT_LIMITS.front
    assert judge(facing_sample, DEFAULT_LIMITS).state is State.OK


def test_facing_the_camera_with_the_ears_unseen_a_passed_tilt_still_counts() -> None:
    """The ears' height unmeasured (the ratio needs the ears): shoulders tilted 15 degrees are bad
    all the same; level shoulders leave the frame unknown, never ok."""
    tilted = judge(PostureSample(view=View.FRONT, shoulder_tilt_deg=15.0), DEFAULT_LIMITS)
    assert tilted.state is State.BAD and tilted.reasons == (Reason.SHOULDER_TILT,)
    level = judge(PostureSample(view=View.FRONT, shoulder_tilt_deg=2.0), DEFAULT_LIMITS)
    assert level.state is State.UNKNOWN
