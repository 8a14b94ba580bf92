"""Every metric on hand-made landmarks with exact expected values, and the None cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from headwatch.posture import metrics
from headwatch.types import Landmark as L
from headwatch.types import Pose, View

SEEN = 0.99


def make_pose(image: dict[L, tuple[float, float]], world: dict[L, tuple[float, float, float]] | None = None,
              hidden: tuple[L, ...] = ()) -> Pose:
    xy, vis, xyz = np.zeros((33, 2)), np.zeros(33), np.zeros((33, 3))
    for mark, point in image.items():
        xy[mark] = point
        vis[mark] = SEEN
    for mark, point in (world or {}).items():
        xyz[mark] = point
        vis[mark] = SEEN
    for mark in hidden:
        vis[mark] = 0.1
    return Pose(image_xy=xy, visibility=vis, world_xyz=xyz, width=640, height=480, confidence=1.0)


# A person facing the camera: their left side is on the image's right (x grows to the right).
FRONT_IMAGE = {
    L.NOSE: (320, 150), L.LEFT_EAR: (350, 140), L.RIGHT_EAR: (290, 140),
    L.LEFT_SHOULDER: (420, 260), L.RIGHT_SHOULDER: (220, 260),
    L.LEFT_HIP: (390, 460), L.RIGHT_HIP: (250, 460),
}
# World: metres, x right, y down, z away from the camera; the person faces the camera (-z).
FRONT_WORLD = {
    L.NOSE: (0.0, -0.60, -0.10), L.LEFT_EAR: (0.07, -0.60, 0.0), L.RIGHT_EAR: (-0.07, -0.60, 0.0),
    L.LEFT_SHOULDER: (0.18, -0.45, 0.0), L.RIGHT_SHOULDER: (-0.18, -0.45, 0.0),
}


def side_pose(facing: View, ear_dx: float, ear_dy: float, nose_dx: float = 40, nose_dy: float = 10) -> Pose:
    """A profile: shoulder at (300, 300), ear and nose offset forward (toward ``facing``)."""
    sign = -1.0 if facing is View.LEFT else 1.0
    near_ear, near_sh = (L.LEFT_EAR, L.LEFT_SHOULDER) if facing is View.LEFT else (L.RIGHT_EAR, L.RIGHT_SHOULDER)
    far_ear, far_sh = (L.RIGHT_EAR, L.RIGHT_SHOULDER) if facing is View.LEFT else (L.LEFT_EAR, L.LEFT_SHOULDER)
    ear = (300 + sign * ear_dx, 300 - ear_dy)
    image = {near_ear: ear, far_ear: (ear[0] + 2, ear[1]), near_sh: (300, 300), far_sh: (303, 300),
             L.NOSE: (ear[0] + sign * nose_dx, ear[1] + nose_dy)}
    # World: the near shoulder is nearer the camera (smaller z), the body faces along x.
    world = {near_sh: (0.0, -0.45, -0.18), far_sh: (0.0, -0.45, 0.18),
             near_ear: (sign * 0.05, -0.62, -0.07), far_ear: (sign * 0.05, -0.62, 0.07),
             L.NOSE: (sign * 0.15, -0.60, 0.0)}
    return make_pose(image, world)


def test_front_view_is_recognised() -> None:
    view, confidence = metrics.estimate_view(make_pose(FRONT_IMAGE, FRONT_WORLD)) or (None, 0.0)
    assert view is View.FRONT
    assert confidence == pytest.approx(1.0)


@pytest.mark.parametrize("facing", [View.LEFT, View.RIGHT])
def test_profile_direction_is_recognised(facing: View) -> None:
    view, confidence = metrics.estimate_view(side_pose(facing, 30, 100)) or (None, 0.0)
    assert view is facing
    assert confidence > 0.8


def test_view_needs_the_shoulders() -> None:
    assert metrics.estimate_view(make_pose(FRONT_IMAGE, FRONT_WORLD, hidden=(L.LEFT_SHOULDER,))) is None


@pytest.mark.parametrize("facing", [View.LEFT, View.RIGHT])
def test_neck_inclination_in_profile(facing: View) -> None:
    # Ear 100 px above and 100 px ahead of the shoulder: 45 degrees forward.
    assert metrics.neck_inclination_deg(side_pose(facing, 100, 100), facing) == pytest.approx(45.0)
    # Ear behind the shoulder reads negative.
    assert metrics.neck_inclination_deg(side_pose(facing, -100 * math.tan(math.radians(10)), 100),
                                        facing) == pytest.approx(-10.0)


def test_neck_inclination_is_none_from_the_front_or_when_hidden() -> None:
    assert metrics.neck_inclination_deg(make_pose(FRONT_IMAGE, FRONT_WORLD), View.FRONT) is None
    hidden = make_pose({L.LEFT_EAR: (250, 200)}, hidden=(L.LEFT_SHOULDER,))
    assert metrics.neck_inclination_deg(hidden, View.LEFT) is None


def test_neck_angle_3d_front_view_uses_depth() -> None:
    # Ears 0.15 m above and 0.15 m in front of (closer to the camera than) the shoulders: 45 deg.
    world = dict(FRONT_WORLD)
    world[L.LEFT_EAR] = (0.07, -0.60, -0.15)
    world[L.RIGHT_EAR] = (-0.07, -0.60, -0.15)
    assert metrics.neck_angle_3d_deg(make_pose(FRONT_IMAGE, world)) == pytest.approx(45.0)
    assert metrics.neck_angle_3d_deg(make_pose(FRONT_IMAGE, FRONT_WORLD)) == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("facing", [View.LEFT, View.RIGHT])
def test_neck_angle_3d_profile(facing: View) -> None:
    # Ears 0.05 m ahead and 0.17 m above the shoulders: atan(0.05 / 0.17).
    expected = math.degrees(math.atan2(0.05, 0.17))
    assert metrics.neck_angle_3d_deg(side_pose(facing, 30, 100)) == pytest.approx(expected)


def test_neck_angle_3d_is_none_without_ears() -> None:
    assert metrics.neck_angle_3d_deg(make_pose(FRONT_IMAGE, FRONT_WORLD, hidden=(L.LEFT_EAR,))) is None


def test_head_pitch_profile_from_the_image() -> None:
    # Nose 40 px ahead, 40 px below the ear: 45 degrees down, less the neutral offset.
    pose = side_pose(View.LEFT, 30, 100, nose_dx=40, nose_dy=40)
    assert metrics.head_pitch_deg(pose, View.LEFT) == pytest.approx(45.0 - metrics.NEUTRAL_PITCH_DEG)


def test_head_pitch_front_from_the_world() -> None:
    # Nose 0.10 m in front of the ears and level with them: 0 degrees, less the neutral offset.
    assert metrics.head_pitch_deg(make_pose(FRONT_IMAGE, FRONT_WORLD), View.FRONT) == pytest.approx(
        -metrics.NEUTRAL_PITCH_DEG)
    assert metrics.head_pitch_deg(make_pose(FRONT_IMAGE, FRONT_WORLD), None) is None


def test_ear_height_and_face_width_ratios() -> None:
    pose = make_pose(FRONT_IMAGE, FRONT_WORLD)
    assert metrics.ear_height_ratio(pose, View.FRONT) == pytest.approx(120 / 200)
    assert metrics.face_width_ratio(pose, View.FRONT) == pytest.approx(60 / 200)
    assert metrics.ear_height_ratio(pose, View.LEFT) is None
    assert metrics.face_width_ratio(make_pose(FRONT_IMAGE, hidden=(L.RIGHT_EAR,)), View.FRONT) is None


def test_ear_height_face_ratio_is_the_ratio_of_the_two() -> None:
    pose = make_pose(FRONT_IMAGE, FRONT_WORLD)
    assert metrics.ear_height_face_ratio(pose, View.FRONT) == pytest.approx(120 / 60)
    assert metrics.ear_height_face_ratio(pose, View.RIGHT) is None
    assert metrics.ear_height_face_ratio(make_pose(FRONT_IMAGE, hidden=(L.LEFT_EAR,)), View.FRONT) is None


def test_ear_height_ratio_is_negative_when_ears_drop_below_the_shoulders() -> None:
    image = dict(FRONT_IMAGE)
    image[L.LEFT_EAR], image[L.RIGHT_EAR] = (350, 280), (290, 280)
    assert metrics.ear_height_ratio(make_pose(image), View.FRONT) == pytest.approx(-20 / 200)


def test_shoulder_tilt_sign_follows_the_persons_left() -> None:
    image = dict(FRONT_IMAGE)
    image[L.LEFT_SHOULDER] = (420, 260 + 200 * math.tan(math.radians(5)))  # left shoulder 5 deg lower
    assert metrics.shoulder_tilt_deg(make_pose(image), View.FRONT) == pytest.approx(5.0)
    mirrored = {mark: (640 - x, y) for mark, (x, y) in image.items()}
    # Mirrored, the lower shoulder is at image left, which MediaPipe calls "right": sign flips.
    swapped = {**mirrored, L.LEFT_SHOULDER: mirrored[L.RIGHT_SHOULDER], L.RIGHT_SHOULDER: mirrored[L.LEFT_SHOULDER]}
    assert metrics.shoulder_tilt_deg(make_pose(swapped), View.FRONT) == pytest.approx(-5.0)
    assert metrics.shoulder_tilt_deg(make_pose(image), View.LEFT) is None
    assert metrics.shoulder_tilt_deg(make_pose(image, hidden=(L.RIGHT_SHOULDER,)), View.FRONT) is None


def test_head_roll_sign() -> None:
    image = dict(FRONT_IMAGE)
    image[L.RIGHT_EAR] = (290, 140 + 60 * math.tan(math.radians(12)))  # right ear lower: negative
    assert metrics.head_roll_deg(make_pose(image), View.FRONT) == pytest.approx(-12.0)
    assert metrics.head_roll_deg(make_pose(image, hidden=(L.LEFT_EAR,)), View.FRONT) is None


def test_trunk_lean_needs_hips_and_signs_to_the_left() -> None:
    image = dict(FRONT_IMAGE)
    # Shoulders shifted toward image right (the person's left) by 200 * tan(8 deg).
    shift = 200 * math.tan(math.radians(8))
    image[L.LEFT_SHOULDER] = (420 + shift, 260)
    image[L.RIGHT_SHOULDER] = (220 + shift, 260)
    assert metrics.trunk_lean_deg(make_pose(image), View.FRONT) == pytest.approx(8.0)
    assert metrics.trunk_lean_deg(make_pose(image, hidden=(L.LEFT_HIP,)), View.FRONT) is None


@pytest.mark.parametrize("facing", [View.LEFT, View.RIGHT])
def test_trunk_lean_in_profile_is_the_forward_lean(facing: View) -> None:
    sign = -1.0 if facing is View.LEFT else 1.0
    lean = 200 * math.tan(math.radians(20))
    image = {L.LEFT_SHOULDER: (300 + sign * lean, 200), L.RIGHT_SHOULDER: (300 + sign * lean, 200),
             L.LEFT_HIP: (300, 400), L.RIGHT_HIP: (300, 400)}
    assert metrics.trunk_lean_deg(make_pose(image), facing) == pytest.approx(20.0)
    assert metrics.trunk_lean_deg(make_pose(image), None) is None


def test_neck_midline_averages_both_sides() -> None:
    # Near ear 100 px ahead, far ear 60 px ahead, both 100 px above their shoulders: mid-line 80 px ahead.
    image = {L.LEFT_EAR: (200, 200), L.RIGHT_EAR: (240, 200), L.LEFT_SHOULDER: (300, 300),
             L.RIGHT_SHOULDER: (300, 300)}
    expected = math.degrees(math.atan2(80, 100))
    assert metrics.neck_midline_deg(make_pose(image), View.LEFT) == pytest.approx(expected)
    assert metrics.neck_midline_deg(make_pose(image), View.FRONT) is None


def test_head_forward_blends_in_profile_and_reads_the_ears_from_the_front() -> None:
    assert metrics.head_forward_deg(20.0, 30.0, View.LEFT) == pytest.approx(-4.195 + 0.789 * 20 + 0.162 * 30)
    assert metrics.head_forward_deg(None, 30.0, View.RIGHT) == pytest.approx(30.0)
    assert metrics.head_forward_deg(20.0, None, View.RIGHT) == pytest.approx(20.0)
    # Facing the camera: the ear height in face widths as degrees, taking over from the 3D angle
    # as the view confidence goes from 0.5 to 0.8; without the ear height, the 3D angle.
    from_ears = 48.93 - 27.493 * 1.5
    assert metrics.head_forward_deg(None, 12.0, View.FRONT, 1.5) == pytest.approx(from_ears)
    assert metrics.head_forward_deg(None, 12.0, View.FRONT, 1.5, 0.9) == pytest.approx(from_ears)
    assert metrics.head_forward_deg(None, 12.0, View.FRONT, 1.5, 0.65) == pytest.approx((from_ears + 12.0) / 2)
    assert metrics.head_forward_deg(None, 12.0, View.FRONT, 1.5, 0.3) == pytest.approx(12.0)
    assert metrics.head_forward_deg(None, None, View.FRONT, 1.5, 0.3) == pytest.approx(from_ears)
    assert metrics.head_forward_deg(None, 12.0, View.FRONT) == pytest.approx(12.0)
    assert metrics.head_forward_deg(20.0, 30.0, None) is None


def test_slouch_adds_a_forward_trunk_lean_only() -> None:
    assert metrics.slouch_deg(15.0, 8.0, View.LEFT) == pytest.approx(23.0)
    assert metrics.slouch_deg(15.0, -6.0, View.RIGHT) == pytest.approx(15.0)  # reclining adds nothing
    assert metrics.slouch_deg(15.0, None, View.RIGHT) == pytest.approx(15.0)  # hips out of view
    assert metrics.slouch_deg(15.0, 8.0, View.FRONT) is None
    assert metrics.slouch_deg(None, 8.0, View.LEFT) is None


def test_measure_fills_only_what_the_view_allows() -> None:
    front = metrics.measure(make_pose(FRONT_IMAGE, FRONT_WORLD))
    assert front.view is View.FRONT
    assert front.neck_inclination_deg is None
    assert front.shoulder_tilt_deg == pytest.approx(0.0)
    side = metrics.measure(side_pose(View.LEFT, 100, 100))
    assert side.view is View.LEFT
    assert side.neck_inclination_deg == pytest.approx(45.0)
    assert side.shoulder_tilt_deg is None and side.ear_height_ratio is None


def test_a_face_whose_ears_collapsed_reads_as_a_deep_bow() -> None:
    """Facing the camera with the crown showing, MediaPipe puts the ears on the middle of the face
    and the ear height reads a head held high: a narrow face counts as a deep bow instead."""
    from headwatch.posture.metrics import FRONT_COLLAPSE, head_forward_deg

    upright = head_forward_deg(None, None, View.FRONT, ear_height_face=1.6)
    assert upright is not None
    assert head_forward_deg(None, None, View.FRONT, 1.6, face_width=0.45) == upright  # a sound face
    assert head_forward_deg(None, None, View.FRONT, 1.6, face_width=0.25) == FRONT_COLLAPSE[2]
    halfway = head_forward_deg(None, None, View.FRONT, 1.6, face_width=0.305)
    assert halfway == pytest.approx((upright + FRONT_COLLAPSE[2]) / 2)


def _standing_side(knee_y: float, knee_hidden: bool) -> Pose:
    """A person in profile, shoulders at y 100 and hips at y 250 (a 150 px trunk), the left knee
    straight below the hip at ``knee_y`` (faint when ``knee_hidden``); the right knee faint and
    guessed below the picture."""
    image = {L.LEFT_SHOULDER: (300, 100), L.RIGHT_SHOULDER: (305, 100), L.LEFT_HIP: (300, 250),
             L.RIGHT_HIP: (305, 250), L.LEFT_KNEE: (302, knee_y), L.RIGHT_KNEE: (306, 700)}
    return make_pose(image, hidden=(L.RIGHT_KNEE, *((L.LEFT_KNEE,) if knee_hidden else ())))


def test_a_faint_knee_counts_where_it_is_drawn_inside_the_picture() -> None:
    """A small person's knee, or one near the picture's bottom edge, is faint, yet drawn inside the
    picture it tells standing, the thigh drawn however short down to MIN_THIGH_SHARE (the standing
    man's are 0.51-0.75 of the trunk). A knee below the picture is a guess and does not count
    unless seen; a thigh drawn shorter than MIN_THIGH_SHARE points at the camera and gives no
    angle."""
    from headwatch.posture.metrics import MIN_THIGH_SHARE, knee_seen, thigh_deg

    short = _standing_side(250 + (MIN_THIGH_SHARE + 0.01) * 150, knee_hidden=True)
    assert knee_seen(short, L.LEFT_KNEE) and thigh_deg(short) == pytest.approx(1.25, abs=0.01)
    below = _standing_side(490, knee_hidden=True)  # the picture is 480 high
    assert not knee_seen(below, L.LEFT_KNEE) and thigh_deg(below) is None
    seen_below = _standing_side(490, knee_hidden=False)
    assert knee_seen(seen_below, L.LEFT_KNEE) and thigh_deg(seen_below) is not None
    stub = _standing_side(250 + (MIN_THIGH_SHARE - 0.05) * 150, knee_hidden=True)
    assert knee_seen(stub, L.LEFT_KNEE) and thigh_deg(stub) is None
