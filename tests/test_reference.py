"""The personal reference on hand-made samples: what is learned, the limits around it, the live
learner's timing, set-up check and refresh, and the reclined-slump and head-sinking metrics."""

from __future__ import annotations

from dataclasses import replace

import pytest

from headwatch.app.assemble import DEFAULT_LIMITS
from headwatch.config.settings import Calibration
from headwatch.posture import metrics
from headwatch.posture.judge import Anchor, head_drop, judge, neck_change
from headwatch.posture.reference import (
    AWAY_RELEARN_S,
    CAMERA_CONFIRM_S,
    CONFIDENT,
    LOCKED_IN_S,
    MIN_FRAMES,
    RELEARN_S,
    SEAT_CONFIRM_S,
    SPREAD_MARGINS,
    UPRIGHT_RANGE,
    FixedJudge,
    LearningJudge,
    Reference,
    ReferenceLearner,
    learn_in_hindsight,
    learn_reference,
    limits_around_reference,
    same_setup,
)
from headwatch.types import EventKind, PostureSample, Reason, State, View
from headwatch.types import Landmark as L
from test_metrics import make_pose


def side(slouch: float, ear_level: float = 0.30, neck: float = 0.10, trunk: float | None = None,
         shoulder_level: float | None = None, neck_dx: float | None = None) -> PostureSample:
    return PostureSample(view=View.LEFT, head_forward_deg=slouch, slouch_deg=slouch, trunk_lean_deg=trunk,
                         ear_level=ear_level, neck_length=neck, shoulder_level=shoulder_level, neck_dx=neck_dx)


def body(slouch: float, ear_level: float, shoulder_level: float, neck_dx: float = 0.02,
         camera_dy: float | None = None) -> PostureSample:
    """A seated profile sample (hips seen, trunk upright) with the whole neck: ears ``ear_level``,
    shoulders ``shoulder_level``."""
    return PostureSample(view=View.LEFT, head_forward_deg=slouch, slouch_deg=slouch, trunk_lean_deg=0.0,
                         ear_level=ear_level,
                         shoulder_level=shoulder_level, neck_dx=neck_dx,
                         neck_length=((shoulder_level - ear_level) ** 2 + neck_dx ** 2) ** 0.5, camera_dy=camera_dy)


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
    reference = Reference("profile", {"slouch_deg": 30.0, "ear_level": 0.30, "neck_length": 0.10,
                                      "shoulder_level": 0.40, "neck_dx": 0.0}, 40)
    margins = Calibration(head_forward_margin_deg=10.0, sink_margin=0.3)
    limits = limits_around_reference(reference, margins, DEFAULT_LIMITS)
    assert limits.profile["slouch_deg"].high == 40.0
    assert limits.profile["head_drop"].high == pytest.approx(0.3)  # in neck lengths
    assert limits.anchor_profile == Anchor(0.30, 0.10, 0.40, 0.0, None)
    assert limits.profile["trunk_lean_deg"] == DEFAULT_LIMITS.profile["trunk_lean_deg"]  # absolute stays
    assert limits.front == DEFAULT_LIMITS.front
    # This person's upright 38 degrees is ok for them, though the absolute limit (36) calls it bad.
    assert judge(side(38.0), DEFAULT_LIMITS).state is State.BAD
    assert judge(side(38.0), limits).state is State.OK
    # Leaning back: the head-forward angle reads lower than upright, but the head sank 0.8 neck
    # lengths, and the neck tipped back and shortened in view (shoulders down by 0.06 only).
    leaning = judge(side(20.0, ear_level=0.38, shoulder_level=0.46, neck_dx=-0.03), limits)
    assert leaning.state is State.BAD and leaning.reasons == (Reason.SUNK,)
    assert leaning.values["head_drop"] == pytest.approx(0.8) and leaning.values["neck_change"] > 0.2
    # The same drop of the head with the shoulders as far down and the neck as it was: the seat or
    # the camera moved, not the posture.
    lowered = judge(side(30.0, ear_level=0.38, shoulder_level=0.48, neck_dx=0.0), limits)
    assert lowered.state is State.OK


def test_without_the_shoulders_a_drop_counts_as_it_is() -> None:
    anchor = Anchor(0.30, 0.10, 0.40, 0.0)
    assert head_drop(side(20.0, ear_level=0.36), anchor) == pytest.approx(0.6)
    assert head_drop(side(20.0, ear_level=0.36, shoulder_level=0.46, neck_dx=0.0), anchor) is None
    assert neck_change(side(20.0, ear_level=0.36, shoulder_level=0.46, neck_dx=0.0), anchor) == pytest.approx(0.0)


def test_margins_widen_with_the_persons_own_spread_and_never_narrow() -> None:
    values = {"slouch_deg": 20.0, "ear_level": 0.3, "neck_length": 0.1}
    steady = limits_around_reference(Reference("profile", values, 40, spreads={"slouch_deg": 1.0}), Calibration(),
                                     DEFAULT_LIMITS)
    assert steady.profile["slouch_deg"].high == 30.0  # 1.5 x 1 degree is under the 10-degree floor
    spreads = {"slouch_deg": 8.0, "ear_level": 0.03}
    wandering = limits_around_reference(Reference("profile", values, 40, spreads=spreads), Calibration(),
                                        DEFAULT_LIMITS)
    assert wandering.profile["slouch_deg"].high == pytest.approx(20.0 + SPREAD_MARGINS * 8.0)
    assert wandering.profile["head_drop"].high == pytest.approx(SPREAD_MARGINS * 0.03 / 0.1)


def test_the_learned_spread_is_a_robust_one() -> None:
    samples = [side(20.0 + d, ear_level=0.30) for d in (-2, -1, 0, 1, 2) * 4] + [side(80.0, ear_level=0.30)]
    reference = learn_reference(samples, "profile")
    assert reference is not None
    assert reference.spreads["slouch_deg"] == pytest.approx(1.4826 * 1.0)  # the one outlier does not count
    assert Reference.from_json(reference.to_json()).spreads == pytest.approx(reference.spreads, abs=1e-4)


def learned(learner: ReferenceLearner, t: float, sample: PostureSample) -> float:
    """Feed ``sample`` until the learner has a reference; returns the time reached."""
    while "profile" not in learner.references:
        learner.add(t, sample, bad=False)
        t += 1.0
    return t


def test_a_moved_camera_is_a_setup_change_of_its_own_and_the_angles_are_learned_again() -> None:
    learner = ReferenceLearner(learn_s=10.0, refresh_s=6000.0)
    t = learned(learner, 0.0, body(20.0, 0.30, 0.40))
    assert learner.take_events() == []
    # The camera tilted: the background says the view moved 0.1 down (positions come carried back).
    # A moment's jitter past the threshold is no move:
    learner.add(t, body(24.0, 0.30, 0.40, camera_dy=0.05), bad=False)
    learner.add(t + 1.0, body(24.0, 0.30, 0.40, camera_dy=0.0), bad=False)
    t += 2.0
    moved_at = t
    for _ in range(int(CAMERA_CONFIRM_S) + 3):
        learner.add(t, body(24.0, 0.30, 0.40, camera_dy=0.1), bad=False)
        t += 1.0
    (event,) = learner.take_events()
    assert event.kind is EventKind.SETUP_CHANGED and event.cause == "camera"
    assert event.values["camera_dy"] == pytest.approx(0.1) and event.t_s == pytest.approx(moved_at + CAMERA_CONFIRM_S)
    assert learner.relearning()
    for _ in range(int(RELEARN_S) + 2):
        learner.add(t, body(24.0, 0.30, 0.40, camera_dy=0.1), bad=False)
        t += 1.0
    assert not learner.relearning()
    assert learner.references["profile"].values["slouch_deg"] == 24.0  # the new camera's angle
    assert learner.take_events() == []  # the same view: no second change


def test_a_relearn_after_a_setup_change_moves_the_angle_at_most_one_margin() -> None:
    learner = ReferenceLearner(learn_s=10.0, refresh_s=6000.0)
    t = learned(learner, 0.0, body(20.0, 0.30, 0.40))
    for _ in range(int(RELEARN_S + CAMERA_CONFIRM_S) + 5):  # slumped all along after the camera moved
        learner.add(t, body(45.0, 0.30, 0.40, camera_dy=0.1), bad=False)
        t += 1.0
    assert learner.references["profile"].values["slouch_deg"] == 30.0


def test_a_lowered_seat_moves_the_reference_with_the_person() -> None:
    learner = ReferenceLearner(learn_s=10.0, refresh_s=6000.0)
    t = learned(learner, 0.0, body(20.0, 0.30, 0.40))
    # Two seconds of shifting in the chair: no set-up change.
    for _ in range(2):
        learner.add(t, body(20.0, 0.34, 0.44), bad=False)
        t += 1.0
    assert learner.take_events() == []
    for _ in range(int(SEAT_CONFIRM_S) + 2):  # the whole body 0.05 lower (half a neck), the neck as it was
        learner.add(t, body(20.0, 0.35, 0.45), bad=False)
        t += 1.0
    (event,) = learner.take_events()
    assert event.cause == "seat" and event.values["seat_dy"] == pytest.approx(0.05, abs=0.011)
    assert learner.references["profile"].values["ear_level"] == pytest.approx(0.35, abs=0.011)


def test_the_lock_in_guard_relearns_the_height_but_never_a_slouch() -> None:
    margins = Calibration()
    sunk_only = LearningJudge(ReferenceLearner(learn_s=10.0, refresh_s=6000.0), margins, DEFAULT_LIMITS)
    slouching = LearningJudge(ReferenceLearner(learn_s=10.0, refresh_s=6000.0), margins, DEFAULT_LIMITS)
    t = 0.0
    for _ in range(15):
        sunk_only(t, body(20.0, 0.30, 0.40))
        slouching(t, body(20.0, 0.30, 0.40))
        t += 1.0
    assert sunk_only.learner.references and slouching.learner.references
    # From here: the head reads 0.6 neck lengths lower with the neck changed (a zoom nobody could
    # see, say), nothing else wrong; against that, a real slouch that also sinks the head.
    changed_neck = body(20.0, 0.36, 0.44, neck_dx=0.05)
    verdicts, slouched = [], []
    for _ in range(int(LOCKED_IN_S) + 10):
        verdicts.append(sunk_only(t, changed_neck))
        slouched.append(slouching(t, body(45.0, 0.36, 0.44, neck_dx=0.05)))
        t += 1.0
    assert verdicts[0].reasons == (Reason.SUNK,)
    assert verdicts[-1].state is State.OK  # re-learned after LOCKED_IN_S
    assert [e.cause for e in sunk_only.take_events()] == ["relearned"]
    assert all(v.state is State.BAD for v in slouched) and slouching.take_events() == []


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
    gaps = [50.0 * i for i in range(11)]  # 50 s apart: long gaps, though not an absence (AWAY_RELEARN_S)
    for t in gaps:
        learner.add(t, side(15.0), bad=False)
    assert learner.progress("profile") == pytest.approx(1.0) and "profile" in learner.references
    learner = ReferenceLearner(learn_s=30.0, refresh_s=600.0)
    for t in gaps:
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


def test_sitting_at_changing_heights_is_no_seat_change() -> None:
    learner = ReferenceLearner(learn_s=10.0, refresh_s=6000.0)
    t = learned(learner, 0.0, body(20.0, 0.30, 0.40))
    for i in range(int(SEAT_CONFIRM_S) * 2):  # lower all along, but by 0.5 to 1.5 necks, back and forth
        drop = 0.05 + 0.05 * (i % 3)
        learner.add(t, body(20.0, 0.30 + drop, 0.40 + drop), bad=False)
        t += 1.0
    assert learner.take_events() == []


def test_back_after_a_long_absence_the_positions_are_learned_again() -> None:
    margins = Calibration()
    judge_ = LearningJudge(ReferenceLearner(learn_s=10.0, refresh_s=6000.0), margins, DEFAULT_LIMITS)
    t = 0.0
    for _ in range(15):
        judge_(t, body(20.0, 0.30, 0.40))
        t += 1.0
    t += AWAY_RELEARN_S + 5.0  # nobody there for a while; then somebody who sits lower, neck bent a little,
    other = body(33.0, 0.38, 0.46, neck_dx=0.03)  # and carries the head 13 degrees further forward upright
    verdicts = []
    for _ in range(int(RELEARN_S) + 5):
        verdicts.append(judge_(t, other))
        t += 1.0
    assert all(v.state is State.OK for v in verdicts)  # never judged sunk against the one before
    anchor = judge_.limits.anchor_profile
    assert anchor is not None and anchor.ear_level == pytest.approx(0.38)
    # Their own upright angle, past the one-margin bound a camera move keeps (20 + 10 would be 30):
    assert judge_.learner.references["profile"].values["slouch_deg"] == 33.0
    assert judge_(t, body(33.0, 0.46, 0.52, neck_dx=0.08)).reasons == (Reason.SUNK,)  # and their own slump is caught


def test_i_am_sitting_upright_now_learns_from_the_last_seconds_and_says_so() -> None:
    judge_ = LearningJudge(ReferenceLearner(learn_s=10.0, refresh_s=6000.0), Calibration(), DEFAULT_LIMITS)
    t = 0.0
    for _ in range(15):  # learned while sitting low with the head forward...
        judge_(t, body(30.0, 0.40, 0.50))
        t += 1.0
    judge_.take_events()
    for _ in range(25):  # ...then sitting up: head higher and back, read as a change at first
        judge_(t, body(12.0, 0.28, 0.40))
        t += 1.0
    message = judge_.upright_now(t)
    assert message == "your upright posture is learned again from the last seconds"
    assert judge_.learner.references["profile"].values["slouch_deg"] == pytest.approx(12.0)
    assert judge_.learner.references["profile"].values["ear_level"] == pytest.approx(0.28)
    (event,) = judge_.take_events()
    assert event.kind is EventKind.SETUP_CHANGED and event.cause == "you"
    assert judge_(t, body(30.0, 0.40, 0.50)).state is State.BAD  # the old slump now reads bad


def test_i_am_sitting_upright_now_needs_a_few_looks_and_a_learned_reference() -> None:
    early = LearningJudge(ReferenceLearner(learn_s=10.0, refresh_s=6000.0), Calibration(), DEFAULT_LIMITS)
    early(0.0, body(12.0, 0.28, 0.40))
    assert early.upright_now(1.0).startswith("too few looks at you yet")
    assert early.take_events() == []
    assert FixedJudge(DEFAULT_LIMITS, "absolute limits").upright_now(1.0) == (
        "nothing re-learned: posture is judged against absolute limits, not a learned reference")


def test_a_zoom_the_background_could_not_show_is_told_by_the_bodys_scale() -> None:
    """In profile, the whole body 15 % smaller (the neck with it) and lower in the frame, the head's
    angle as upright: a camera change, its head height re-learned, not a sunk head for ever."""
    from headwatch.posture.reference import ZOOM_CONFIRM_S

    judge_ = LearningJudge(ReferenceLearner(learn_s=10.0, refresh_s=6000.0), Calibration(), DEFAULT_LIMITS)
    t = 0.0
    for i in range(15):
        judge_(t, body(15.0 + (i % 3), 0.14, 0.26))
        t += 1.0
    judge_.take_events()
    zoomed = [body(15.0 + (i % 3), 0.19, 0.29, neck_dx=0.017) for i in range(int(ZOOM_CONFIRM_S) + 5)]
    verdicts = []
    for sample in zoomed:
        verdicts.append(judge_(t, sample))
        t += 1.0
    assert Reason.SUNK in verdicts[0].reasons  # at first the head reads sunk
    events = judge_.take_events()
    assert [e.cause for e in events] == ["camera"] and events[0].values["camera_scale"] == pytest.approx(0.85, abs=0.03)
    assert Reason.SUNK not in verdicts[-1].reasons  # its height is no longer judged against the old view


def test_a_slump_that_shortens_the_neck_in_the_frame_is_no_zoom() -> None:
    judge_ = LearningJudge(ReferenceLearner(learn_s=10.0, refresh_s=6000.0), Calibration(), DEFAULT_LIMITS)
    t = 0.0
    for _ in range(15):
        judge_(t, body(15.0, 0.14, 0.26))
        t += 1.0
    judge_.take_events()
    for _ in range(40):  # the head forward and down: the neck's run shorter in the frame, the angle up
        assert judge_(t, body(40.0, 0.18, 0.27, neck_dx=0.06)).state is State.BAD
        t += 1.0
    assert [e.cause for e in judge_.take_events()] == []


def test_the_heads_change_facing_the_camera_is_read_from_the_image_cues_against_the_upright() -> None:
    from test_metrics import FRONT_IMAGE, FRONT_WORLD

    level = {**FRONT_IMAGE, L.LEFT_EAR: (350, 152), L.RIGHT_EAR: (290, 152), L.NOSE: (320, 162)}
    upright = metrics.measure(make_pose(level, FRONT_WORLD))
    # Ears 108 px above the shoulders, 60 px apart: 1.8 face widths, the 3D neck vertical.
    assert upright.view is View.FRONT and upright.ear_height_face_ratio == pytest.approx(1.8)
    reference = learn_reference([upright] * MIN_FRAMES, "front")
    assert reference is not None and reference.head_change(upright) == pytest.approx(0.0, abs=1e-9)
    # The ears sink 54 px (0.9 face widths): the height halves, so foreshortening says acos(0.5) = 60
    # degrees; with the drop, 0.3972 * 60 + 5.2545 * 0.9 (metrics.FRONT_CHANGE).
    sunk = {**FRONT_IMAGE, L.LEFT_EAR: (350, 206), L.RIGHT_EAR: (290, 206), L.NOSE: (320, 216)}
    forward = metrics.measure(make_pose(sunk, FRONT_WORLD))
    assert reference.head_change(forward) == pytest.approx(0.3972 * 60 + 5.2545 * 0.9, abs=0.01)
    # Another view family, or an upright without the 3D angle: no change to tell.
    assert reference.head_change(side(30.0)) is None
    without_3d = Reference("front", {k: v for k, v in reference.values.items() if k != "neck_angle_3d_deg"}, 10)
    assert without_3d.head_change(forward) is None


def test_in_profile_the_heads_change_is_the_difference_of_the_angles() -> None:
    reference = learn_reference([side(20.0)] * MIN_FRAMES, "profile")
    assert reference is not None and reference.head_change(side(31.0)) == pytest.approx(11.0)
    assert reference.head_change(None) is None


def test_judges_tell_the_heads_change_once_they_know_the_upright() -> None:
    # Until the upright is known, the absolute limits judge (seated, the hips seen: head forward
    # beyond 36 degrees is bad), and there is no change to tell.
    unlearned = LearningJudge(ReferenceLearner(learn_s=5.0, refresh_s=600.0), Calibration(), DEFAULT_LIMITS)
    assert unlearned(0.0, side(40.0, trunk=0.0)).reasons == (Reason.HEAD_FORWARD,)
    learning = LearningJudge(ReferenceLearner(learn_s=5.0, refresh_s=600.0), Calibration(), DEFAULT_LIMITS)
    first = learning(0.0, side(30.0, trunk=0.0))
    assert first.state is State.OK and first.reasons == () and learning.head_change(side(30.0, trunk=0.0)) is None
    for t in range(1, MIN_FRAMES + 2):
        learning(float(t), side(30.0, trunk=0.0))
    assert learning.head_change(side(36.0, trunk=0.0)) == pytest.approx(6.0)
    absolute = FixedJudge(DEFAULT_LIMITS, "absolute limits")
    assert absolute.head_change(side(36.0, trunk=0.0)) is None
    upright = Reference("profile", {"slouch_deg": 25.0, "head_forward_deg": 25.0}, 10, "profile desk")
    calibrated = FixedJudge(DEFAULT_LIMITS, "profile desk", {"profile": upright})
    assert calibrated.head_change(side(36.0, trunk=0.0)) == pytest.approx(11.0)


def test_a_repeated_sample_counts_its_time_but_is_learned_from_once() -> None:
    """A still picture repeats the last model look (vision/stillness.py): ten minutes of one look
    must not outweigh the other looks in the reference."""
    def learned(repeat_still: bool) -> float:
        learner = ReferenceLearner(learn_s=30.0, refresh_s=600.0)
        t = 0.0
        for slouch in (20.0, 21.0, 22.0, 23.0, 24.0, 25.0, 26.0, 27.0, 28.0, 29.0):
            learner.add(t, side(slouch, ear_level=0.30), bad=False)
            t += 1.0
        for _ in range(25):  # the last look held still for 25 s
            learner.add(t, side(29.0, ear_level=0.30), bad=False, repeated=repeat_still)
            t += 1.0
        assert learner.progress("profile") == 1.0  # its time counted toward the learning time either way
        return learner.references["profile"].values["slouch_deg"]

    assert learned(repeat_still=True) == pytest.approx(24.5)  # the median of the ten looks
    assert learned(repeat_still=False) == pytest.approx(29.0)  # taken as 25 new looks, they would decide


def test_a_learned_limit_is_questioned_where_the_absolute_limit_sees_with_confidence() -> None:
    # Absolute profile limit 36 (scale 10): a learned limit may move it by at most CONFIDENT steps.
    low, high = 36.0 - CONFIDENT * 10.0, 36.0 + CONFIDENT * 10.0
    steady = Reference("profile", {"slouch_deg": 0.0}, 40)  # 0 + 4 would call 5 degrees bad
    limits = limits_around_reference(steady, Calibration(head_forward_margin_deg=4.0), DEFAULT_LIMITS)
    assert limits.profile["slouch_deg"].high == low
    assert judge(side(low - 1.0), limits).state is State.OK
    assert judge(side(low + 1.0), limits).state is State.BAD
    assert "within 3 steps of the absolute limit" in limits.profile["slouch_deg"].origin
    wide = Reference("profile", {"slouch_deg": 35.0}, 40, spreads={"slouch_deg": 30.0})  # 35 + 45 = 80
    assert limits_around_reference(wide, Calibration(), DEFAULT_LIMITS).profile["slouch_deg"].high == high
    # Facing the camera (absolute 1.35, scale 0.09): an upright ratio of 1.9 - 6 % is held at 1.62.
    front = Reference("front", {"ear_height_face_ratio": 1.9}, 40)
    band = limits_around_reference(front, Calibration(), DEFAULT_LIMITS).front["ear_height_face_ratio"]
    assert band.low == pytest.approx(1.35 + CONFIDENT * 0.09)
    # Within the bounds the person's own limit stands.
    assert limits_around_reference(Reference("profile", {"slouch_deg": 20.0}, 40), Calibration(),
                                   DEFAULT_LIMITS).profile["slouch_deg"].high == 30.0
    # A calibrated profile is the person's own choice: obeyed as it is.
    chosen = Reference("profile", {"slouch_deg": 0.0}, 40, origin="profile desk")
    assert limits_around_reference(chosen, Calibration(head_forward_margin_deg=4.0),
                                   DEFAULT_LIMITS).profile["slouch_deg"].high == 4.0


def test_a_short_recording_is_learned_from_all_of_its_first_setup() -> None:
    # 60 s at 1 a second: slumped (head low, slouch 40) for the first 20 s, upright after (12).
    # The monitor would still be learning at the end of it; the whole recording teaches the upright.
    looks = [(float(t), side(40.0, ear_level=0.40), False) for t in range(20)]
    looks += [(float(t), side(12.0, ear_level=0.30), False) for t in range(20, 60)]
    learned = learn_in_hindsight(looks, learn_s=120.0)
    assert learned["profile"].values["slouch_deg"] == 12.0 and "front" not in learned
    # As long as the monitor's learning time, or longer: learned forward in time, as the monitor does.
    assert learn_in_hindsight(looks, learn_s=50.0) == {}
    # Only the first set-up: after the camera moved, the looks are another view of the person.
    moved = [(t + 60.0, replace(s, slouch_deg=30.0, head_forward_deg=30.0, camera_dy=0.1), False) for t, s, _ in looks]
    assert learn_in_hindsight(looks + moved, learn_s=600.0)["profile"].values["slouch_deg"] == 12.0
    # From the looks the model ran, not a still picture's repeats (as the monitor learns).
    repeats = [(60.0 + t, side(25.0, ear_level=0.30), True) for t in range(200)]
    assert learn_in_hindsight(looks + repeats, learn_s=600.0)["profile"].values["slouch_deg"] == 12.0


def test_standing_the_margin_around_a_learned_upright_narrows_as_the_absolute_limit_does() -> None:
    """A person learned upright at 10 degrees: sitting, the limit is 10 + 10; taken for standing
    (thighs near vertical) the floor shrinks as the absolute limit does (20 against 36), so a
    standing slouch to 17 degrees is bad where a seated one is not. Without the hips seen the
    reference's own profile limit decides, not the absolute standing one."""
    reference = learn_reference([side(10.0, trunk=0.0)] * MIN_FRAMES, "profile")
    assert reference is not None
    limits = limits_around_reference(reference, Calibration(), DEFAULT_LIMITS)
    standing = judge(replace(side(17.0, trunk=0.0), thigh_deg=5.0), limits)
    assert standing.state is State.BAD and standing.reasons == (Reason.HEAD_FORWARD,)
    assert standing.findings[0].limit == pytest.approx(10.0 + 10.0 * 20.0 / 36.0)
    assert standing.why() == "head forward 17° > 16° (your upright 10° + 6° standing)"
    assert judge(replace(side(17.0, trunk=0.0), thigh_deg=85.0), limits).state is State.OK
    # The hips unseen: the reference's own limit decides, not the absolute limits' standing 20.
    high = learn_reference([side(20.0, trunk=0.0)] * MIN_FRAMES, "profile")
    assert high is not None
    high_limits = limits_around_reference(high, Calibration(), DEFAULT_LIMITS)
    assert judge(side(25.0), DEFAULT_LIMITS).state is State.BAD  # absolute: judged as standing
    assert judge(side(25.0), high_limits).state is State.OK  # 20 + 10
    assert judge(side(31.0), high_limits).findings[0].origin == "your upright 20° + 10°"
    # A reference facing the camera leaves the profile's absolute limits as they were.
    front_only = limits_around_reference(Reference("front", {"ear_height_face_ratio": 1.6}, 40), Calibration(),
                                         DEFAULT_LIMITS)
    assert front_only.without_hips is DEFAULT_LIMITS.without_hips
    # The person's own spread widens it as when sitting: 1.5 robust SDs of 6 degrees is 9.
    wide = replace(reference, spreads={**reference.spreads, "slouch_deg": 6.0})
    assert judge(replace(side(17.0, trunk=0.0), thigh_deg=5.0),
                 limits_around_reference(wide, Calibration(), DEFAULT_LIMITS)).state is State.OK


# -- the first minutes: a provisional reference that may only tighten the absolute limits ------


def test_a_provisional_reference_comes_after_its_time_and_gives_way_to_the_learned_one() -> None:
    from headwatch.posture.reference import PROVISIONAL_EVERY_S, PROVISIONAL_S

    learner = ReferenceLearner(learn_s=120.0, refresh_s=600.0)
    changed = [learner.add(float(t), side(8.0), bad=False) for t in range(int(PROVISIONAL_S))]
    assert not any(changed) and learner.provisional == {}  # 0 .. 29 s: nothing yet
    assert learner.add(PROVISIONAL_S, side(8.0), bad=False)
    assert learner.provisional["profile"].values["slouch_deg"] == 8.0 and learner.references == {}
    # Learned again every PROVISIONAL_EVERY_S from all that was seen, not on every sample.
    t = PROVISIONAL_S + 1.0
    quiet = [learner.add(t + i, side(10.0), bad=False) for i in range(int(PROVISIONAL_EVERY_S) - 1)]
    assert not any(quiet) and learner.provisional["profile"].values["slouch_deg"] == 8.0
    first = learner.provisional["profile"]
    assert learner.add(PROVISIONAL_S + PROVISIONAL_EVERY_S, side(10.0), bad=False)
    again = learner.provisional["profile"]
    assert again.frames > first.frames and again.values["slouch_deg"] == pytest.approx(8.0)  # the upright 30 % still
    for t2 in range(int(PROVISIONAL_S + PROVISIONAL_EVERY_S) + 1, 121):
        learner.add(float(t2), side(8.0), bad=False)
    assert "profile" in learner.references and learner.provisional == {}


def test_a_provisional_reference_only_tightens_the_absolute_limits() -> None:
    from headwatch.posture.reference import PROVISIONAL_MARGIN, limits_tightened_by

    absolute = DEFAULT_LIMITS
    low = learn_reference([side(3.0, trunk=0.0)] * 20, "profile")
    high = learn_reference([side(33.0, trunk=0.0)] * 20, "profile")
    assert low is not None and high is not None
    tight = limits_tightened_by(low, Calibration(), absolute)
    sitting = tight.profile["slouch_deg"]
    # The margin floor widened: the first seconds understate the person's spread.
    assert PROVISIONAL_MARGIN == 1.5 and sitting.high == pytest.approx(3.0 + 15.0)
    assert limits_around_reference(low, Calibration(), absolute).profile["slouch_deg"].high == pytest.approx(13.0)
    assert "your upright so far" in sitting.origin
    # Standing and with the hips out of view: the same own limit, its margin the seated one.
    assert tight.standing is not None and tight.standing["slouch_deg"].high == pytest.approx(sitting.high)
    assert tight.without_hips is not None and tight.without_hips["slouch_deg"].high == pytest.approx(sitting.high)
    assert tight.anchor_profile is None and "head_drop" not in tight.profile  # the height waits
    # Upright at 33, its own limit (48) lies beyond the absolute one: the absolute limits stay.
    loose = limits_tightened_by(high, Calibration(), absolute)
    assert loose.profile["slouch_deg"] == absolute.profile["slouch_deg"]
    assert loose.without_hips == absolute.without_hips
    # Facing the camera: the ear height's lower limit only rises.
    front = [PostureSample(view=View.FRONT, ear_height_face_ratio=ratio, head_forward_deg=10.0, ear_level=0.3)
             for ratio in (1.75, 1.30)]
    for sample, raised in zip(front, (True, False), strict=True):
        ref = learn_reference([sample] * 20, "front")
        assert ref is not None
        band = limits_tightened_by(ref, Calibration(), absolute).front["ear_height_face_ratio"]
        base = absolute.front["ear_height_face_ratio"]
        assert (band.low > base.low) is raised and (band == base) is not raised
        if raised:  # 1.5 times the 6 % floor
            assert band.low == pytest.approx(1.75 * (1 - 0.09))


def test_in_the_first_minutes_a_low_upright_catches_a_slump_the_absolute_limit_misses() -> None:
    """Upright at 5 degrees for 40 s, then a 25-degree slump (under the absolute 36): bad once
    the provisional reference is in, long before learn_min; somebody who started slumped at 45
    has no looser limit for it (the absolute 36 still calls 45 bad). The provisional reference
    is never stored (on_change)."""
    stored: list[object] = []
    judge_live = LearningJudge(ReferenceLearner(learn_s=120.0, refresh_s=600.0), Calibration(), DEFAULT_LIMITS,
                               on_change=stored.append)
    for t in range(40):
        assert judge_live(float(t), side(5.0, trunk=0.0)).state is State.OK
    slump = judge_live(40.0, side(25.0, trunk=0.0))
    assert slump.state is State.BAD and judge(side(25.0, trunk=0.0), DEFAULT_LIMITS).state is State.OK
    assert "your upright so far 5°" in slump.why()
    assert stored == []
    described = judge_live.describe()
    assert described == "absolute limits, tightened by your posture so far (learning your upright posture: 33%)"
    from headwatch.report.status import short_reference

    assert short_reference(described) == "learning 33%"
    slumped_start = LearningJudge(ReferenceLearner(learn_s=120.0, refresh_s=600.0), Calibration(), DEFAULT_LIMITS)
    verdicts = [slumped_start(float(t), side(45.0, trunk=0.0)) for t in range(60)]
    assert all(v.state is State.BAD for v in verdicts)


def test_a_provisional_reference_that_tightens_nothing_is_not_said() -> None:
    """Upright at 33 degrees: its own limit lies beyond the absolute one, so the status says the
    absolute limits, without "tightened"."""
    judge_live = LearningJudge(ReferenceLearner(learn_s=120.0, refresh_s=600.0), Calibration(), DEFAULT_LIMITS)
    for t in range(40):
        judge_live(float(t), side(33.0, trunk=0.0))
    assert judge_live.learner.provisional and not judge_live.tightened
    assert judge_live.describe() == "absolute limits (learning your upright posture: 32%)"


def test_wide_configured_margins_are_widened_without_a_config_error() -> None:
    """The widened floors are not a Calibration of their own: a margin the settings allow (45
    degrees, 0.7) must not fail the settings' range check when widened."""
    margins = Calibration(head_forward_margin_deg=45.0, ear_height_margin=0.7)
    judge_live = LearningJudge(ReferenceLearner(learn_s=120.0, refresh_s=600.0), margins, DEFAULT_LIMITS)
    front = PostureSample(view=View.FRONT, ear_height_face_ratio=1.7, head_forward_deg=10.0, ear_level=0.3)
    for t in range(40):
        judge_live(float(t), side(3.0, trunk=0.0) if t % 2 else front)
    assert set(judge_live.learner.provisional) == {"profile", "front"}


def test_after_a_long_absence_while_learning_the_next_person_is_not_judged_by_the_last() -> None:
    """A sat upright at 3 degrees (a provisional limit of 18); after ten minutes away B sits
    upright at 25 (under the absolute 36): B is judged on the absolute limits, learned afresh."""
    judge_live = LearningJudge(ReferenceLearner(learn_s=120.0, refresh_s=600.0), Calibration(), DEFAULT_LIMITS)
    for t in range(60):
        judge_live(float(t), side(3.0, trunk=0.0))
    assert judge_live.tightened
    back = 60.0 + 600.0
    verdicts = [judge_live(back + t, side(25.0, trunk=0.0)) for t in range(60)]
    assert all(v.state is State.OK for v in verdicts)
    assert judge_live.learner.progress("profile") == pytest.approx(59.0 / 120.0)  # counted afresh


def test_a_camera_move_while_learning_drops_the_provisional_reference() -> None:
    """Facing a laptop at 1.70 for 40 s; the lid tilts (the view moves 0.05 of the frame) and the
    same upright posture reads 1.52: not a slump. The provisional reference of the old view is
    dropped at once, and one is learned from the new view once it spans PROVISIONAL_S."""
    from headwatch.posture.reference import PROVISIONAL_S

    def face(ratio: float, dy: float) -> PostureSample:
        return PostureSample(view=View.FRONT, ear_height_face_ratio=ratio, head_forward_deg=10.0, ear_level=0.3,
                             camera_dy=dy)

    judge_live = LearningJudge(ReferenceLearner(learn_s=120.0, refresh_s=600.0), Calibration(), DEFAULT_LIMITS)
    for t in range(40):
        judge_live(float(t), face(1.70, 0.0))
    assert judge_live.tightened
    after = [judge_live(40.0 + t, face(1.52, 0.05)) for t in range(40)]
    assert all(v.state is State.OK for v in after)
    learned = judge_live.learner.provisional["front"]
    assert learned.values["ear_height_face_ratio"] == pytest.approx(1.52)
    assert PROVISIONAL_S <= 40.0


def test_no_provisional_reference_while_a_stored_one_awaits_its_confirmation() -> None:
    """At a calm sampling rate the stored reference's MIN_FRAMES take longer than PROVISIONAL_S:
    meanwhile nothing provisional is learned, and the stored one is used once confirmed."""
    stored = learn_reference([side(8.0)] * 20, "profile")
    assert stored is not None
    learner = ReferenceLearner(learn_s=120.0, refresh_s=600.0, start={"profile": stored}, max_gap_s=10.0)
    for i in range(MIN_FRAMES - 1):
        learner.add(5.0 * i, side(8.0), bad=False)  # 0 .. 40 s, 9 samples
    assert learner.provisional == {} and learner.references == {}
    assert learner.add(5.0 * (MIN_FRAMES - 1), side(8.0), bad=False)
    assert learner.references["profile"] is stored and learner.provisional == {}
