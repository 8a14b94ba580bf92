"""The personal reference on hand-made samples: what is learned, the limits around it, the live
learner's timing, set-up check and refresh, and the reclined-slump and head-sinking metrics."""

from __future__ import annotations

import pytest

from headwatch import metrics
from headwatch.assemble import DEFAULT_LIMITS
from headwatch.config import Calibration
from headwatch.judge import Reason, State, judge
from headwatch.reference import (
    MIN_FRAMES,
    UPRIGHT_RANGE,
    LearningJudge,
    Reference,
    ReferenceLearner,
    learn_reference,
    limits_around,
    same_setup,
)
from headwatch.types import Landmark as L
from headwatch.types import PostureSample, View
from test_metrics import make_pose


def side(slouch: float, ear_level: float = 0.30, neck: float = 0.10, trunk: float | None = None) -> PostureSample:
    return PostureSample(view=View.LEFT, head_forward_deg=slouch, slouch_deg=slouch, trunk_lean_deg=trunk,
                         ear_level=ear_level, neck_length=neck)


def test_the_reference_comes_from_the_frames_with_the_head_carried_highest() -> None:
    # 70 slouched frames (head low, slouch 40) and 30 upright ones (head high, slouch 12): the
    # upright third is what is learned, although most frames are slouched.
    samples = [side(40.0, ear_level=0.40)] * 70 + [side(12.0, ear_level=0.30, neck=0.12)] * 30
    reference = learn_reference(samples, "profile")
    assert reference is not None
    assert reference.values["slouch_deg"] == 12.0
    assert reference.values["ear_level"] == 0.30
    assert reference.values["neck_length"] == 0.12
    assert reference.frames == 30


def test_a_slouched_reference_is_clamped_to_the_plausible_upright_range() -> None:
    reference = learn_reference([side(60.0)] * 20, "profile")
    assert reference is not None and reference.values["slouch_deg"] == UPRIGHT_RANGE["profile"][1]
    front = [PostureSample(view=View.FRONT, ear_height_face_ratio=1.0, ear_level=0.3, neck_length=0.3)] * 20
    learned_front = learn_reference(front, "front")
    assert learned_front is not None and learned_front.values["ear_height_face_ratio"] == UPRIGHT_RANGE["front"][0]


def test_too_few_frames_or_the_other_view_teach_nothing() -> None:
    assert learn_reference([side(10.0)] * (MIN_FRAMES - 1), "profile") is None
    assert learn_reference([side(10.0)] * 50, "front") is None


def test_limits_move_with_the_person_and_catch_a_sinking_head() -> None:
    reference = Reference("profile", {"slouch_deg": 30.0, "ear_level": 0.30, "neck_length": 0.10}, 40)
    margins = Calibration(head_forward_margin_deg=10.0, sink_margin=0.3)
    limits = limits_around(reference, margins, DEFAULT_LIMITS)
    assert limits.profile["slouch_deg"].high == 40.0
    assert limits.profile["ear_level"].high == pytest.approx(0.33)
    assert limits.profile["trunk_lean_deg"] == DEFAULT_LIMITS.profile["trunk_lean_deg"]  # absolute stays
    assert limits.front == DEFAULT_LIMITS.front
    # This person's upright 38 degrees is ok for them, though the absolute limit (36) calls it bad.
    assert judge(side(38.0), DEFAULT_LIMITS).state is State.BAD
    assert judge(side(38.0), limits).state is State.OK
    # Leaning back: the head-forward angle reads lower than upright, but the head sank 0.8 neck lengths.
    leaning = judge(side(20.0, ear_level=0.38), limits)
    assert leaning.state is State.BAD and leaning.reasons == (Reason.SUNK,)


def test_the_learner_uses_nothing_before_its_learning_time() -> None:
    learner = ReferenceLearner(learn_s=10.0, refresh_s=600.0)
    changed = [learner.add(t * 0.5, side(15.0), bad=False) for t in range(20)]  # 0 .. 9.5 s
    assert not any(changed) and learner.references == {}
    assert learner.progress("profile") == pytest.approx(0.95)
    assert learner.add(10.0, side(15.0), bad=False)
    assert learner.references["profile"].values["slouch_deg"] == 15.0
    assert learner.progress("profile") == 1.0


def test_a_long_gap_counts_only_two_seconds_of_learning() -> None:
    learner = ReferenceLearner(learn_s=10.0, refresh_s=600.0)
    for t in (0.0, 100.0, 200.0, 300.0, 400.0, 500.0, 600.0, 700.0, 800.0, 900.0, 1000.0):
        learner.add(t, side(15.0), bad=False)
    assert learner.progress("profile") == pytest.approx(1.0) and "profile" in learner.references
    learner = ReferenceLearner(learn_s=30.0, refresh_s=600.0)
    for t in (0.0, 100.0, 200.0, 300.0, 400.0, 500.0, 600.0, 700.0, 800.0, 900.0, 1000.0):
        learner.add(t, side(15.0), bad=False)
    assert learner.progress("profile") == pytest.approx(20.0 / 30.0)


def test_refresh_keeps_only_good_samples_and_moves_a_quarter_of_the_way() -> None:
    learner = ReferenceLearner(learn_s=5.0, refresh_s=30.0)
    t = 0.0
    while "profile" not in learner.references:
        learner.add(t, side(10.0), bad=False)
        t += 1.0
    for _ in range(30):  # a long slouch, judged bad: it must not teach itself
        learner.add(t, side(50.0, ear_level=0.2), bad=True)
        t += 1.0
    assert learner.references["profile"].values["slouch_deg"] == 10.0
    for _ in range(30):  # sitting upright a little differently now
        learner.add(t, side(18.0), bad=False)
        t += 1.0
    # One refresh since (every 30 s of presence): a quarter of the way from 10 to the recent 18.
    assert learner.references["profile"].values["slouch_deg"] == pytest.approx(12.0)


def test_a_stored_reference_needs_the_same_set_up() -> None:
    stored = Reference("profile", {"slouch_deg": 30.0, "ear_level": 0.3, "neck_length": 0.10}, 40)
    assert same_setup(stored, [side(20.0, neck=0.12)] * 5)
    assert not same_setup(stored, [side(20.0, neck=0.20)] * 5)  # twice as close: another set-up
    same = ReferenceLearner(learn_s=600.0, refresh_s=600.0, start={"profile": stored})
    for t in range(MIN_FRAMES):
        same.add(float(t), side(20.0, neck=0.11), bad=False)
    assert same.references["profile"] is stored  # in use long before the 600 s of learning
    moved = ReferenceLearner(learn_s=600.0, refresh_s=600.0, start={"profile": stored})
    for t in range(MIN_FRAMES * 3):
        moved.add(float(t), side(20.0, neck=0.25), bad=False)
    assert moved.references == {}


def test_the_learning_judge_switches_from_absolute_to_the_persons_limits() -> None:
    stored: list[object] = []
    judge_ = LearningJudge(ReferenceLearner(learn_s=5.0, refresh_s=600.0), Calibration(), DEFAULT_LIMITS,
                           on_change=stored.append)
    verdicts = [judge_(0.0, side(38.0))]
    assert verdicts[0].state is State.BAD  # absolute: 38 > 36
    assert "learning" in judge_.describe()
    verdicts += [judge_(float(t), side(30.0)) for t in range(1, MIN_FRAMES + 2)]
    assert judge_(20.0, side(38.0)).state is State.OK  # this person's upright 30, limit 40
    assert judge_.describe().startswith("learned reference") and len(stored) == 1


def test_a_reclined_slump_reads_bad_and_an_upright_typist_does_not() -> None:
    # Hips in view, facing left. Reclined: shoulders 20 degrees behind the hips, the ears forward
    # of the shoulders by 6 degrees. Upright: trunk vertical, ears 15 degrees forward.
    def seated(trunk_dx: float, ear_dx: float) -> PostureSample:
        image = {L.LEFT_HIP: (300, 400), L.RIGHT_HIP: (302, 400), L.LEFT_SHOULDER: (300 + trunk_dx, 250),
                 L.RIGHT_SHOULDER: (302 + trunk_dx, 250), L.LEFT_EAR: (300 + trunk_dx - ear_dx, 170),
                 L.RIGHT_EAR: (302 + trunk_dx - ear_dx, 170), L.NOSE: (300 + trunk_dx - ear_dx - 40, 180)}
        sample = metrics.measure(make_pose(image))
        return PostureSample(**{**sample.to_json(), "view": View.LEFT})

    import math

    reclined = seated(trunk_dx=150 * math.tan(math.radians(20)), ear_dx=80 * math.tan(math.radians(6)))
    assert reclined.trunk_lean_deg == pytest.approx(-20.0, abs=0.01)
    assert reclined.reclined_flexion_deg == pytest.approx(26.0, abs=0.5)
    upright = seated(trunk_dx=0.0, ear_dx=80 * math.tan(math.radians(15)))
    assert upright.reclined_flexion_deg is None and upright.neck_flexion_deg == pytest.approx(15.0, abs=0.5)
    assert judge(upright, DEFAULT_LIMITS).state is State.OK
    verdict = judge(reclined, DEFAULT_LIMITS)
    assert verdict.state is State.BAD and Reason.RECLINED_SLUMP in verdict.reasons


def test_ear_level_and_neck_length_are_in_frame_heights() -> None:
    image = {L.LEFT_EAR: (330, 120), L.RIGHT_EAR: (310, 120), L.LEFT_SHOULDER: (330, 240),
             L.RIGHT_SHOULDER: (310, 240)}
    pose = make_pose(image)
    assert metrics.ear_level(pose) == pytest.approx(120 / 480)
    assert metrics.neck_length(pose) == pytest.approx(120 / 480)
    assert metrics.ear_level(make_pose(image, hidden=(L.LEFT_EAR,))) is None
