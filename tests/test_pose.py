"""The real MediaPipe model on real photos that ship with matplotlib and scikit-image."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from conftest import pad_and_rotate
from headwatch.posture.metrics import measure
from headwatch.types import Landmark as L
from headwatch.types import Pose, View
from headwatch.vision.pose import PoseEstimator, choose_person, crop_around, is_plausible, tiles


def assert_plausible_upper_body(pose: Pose) -> None:
    xy = pose.image_xy
    assert pose.visibility[[L.NOSE, L.LEFT_SHOULDER, L.RIGHT_SHOULDER]].min() > 0.9
    # Facing the camera: the person's left shoulder is on the image's right.
    assert xy[L.LEFT_SHOULDER, 0] > xy[L.NOSE, 0] > xy[L.RIGHT_SHOULDER, 0]
    assert xy[L.NOSE, 1] < xy[L.LEFT_SHOULDER, 1] and xy[L.NOSE, 1] < xy[L.RIGHT_SHOULDER, 1]
    assert xy[L.LEFT_EAR, 0] > xy[L.RIGHT_EAR, 0]
    # Ears beside the nose, at about its height (within a quarter of the shoulder width).
    shoulder_width = xy[L.LEFT_SHOULDER, 0] - xy[L.RIGHT_SHOULDER, 0]
    assert abs(xy[L.LEFT_EAR, 1] - xy[L.NOSE, 1]) < shoulder_width / 4
    assert xy[:13, 0].min() >= 0.0 and xy[:13, 0].max() <= pose.width
    assert 0.4 < pose.confidence <= 1.0


def test_grace_hopper_is_found_facing_the_camera(image_estimator: PoseEstimator, grace_hopper: np.ndarray) -> None:
    pose = image_estimator.detect(grace_hopper)
    assert pose is not None
    assert (pose.width, pose.height) == (grace_hopper.shape[1], grace_hopper.shape[0])
    assert_plausible_upper_body(pose)
    # Her shoulders span most of the portrait's width.
    assert pose.image_xy[L.LEFT_SHOULDER, 0] - pose.image_xy[L.RIGHT_SHOULDER, 0] > 0.5 * pose.width
    assert measure(pose).view is View.FRONT


def test_astronaut_is_found(image_estimator: PoseEstimator, astronaut: np.ndarray) -> None:
    pose = image_estimator.detect(astronaut)
    assert pose is not None
    assert_plausible_upper_body(pose)
    # Her face is in the upper-middle of the photo (eyes around (250, 120) in the 512 x 512 image).
    nose_x, nose_y = pose.image_xy[L.NOSE]
    assert 180 < nose_x < 320 and 80 < nose_y < 220


def tilt(estimator: PoseEstimator, image: np.ndarray) -> float:
    pose = estimator.detect(image)
    assert pose is not None
    value = measure(pose).shoulder_tilt_deg
    assert value is not None
    return value


@pytest.mark.parametrize("degrees", [10.0, -10.0])
def test_rotating_the_photo_changes_shoulder_tilt_by_as_much(
        image_estimator: PoseEstimator, grace_hopper: np.ndarray, degrees: float) -> None:
    level = tilt(image_estimator, pad_and_rotate(grace_hopper, 0.0))
    rotated = tilt(image_estimator, pad_and_rotate(grace_hopper, degrees))
    # Counter-clockwise (+) lifts the image's right side, where her left shoulder is: tilt falls.
    assert rotated - level == pytest.approx(-degrees, abs=3.0)


def test_mirroring_flips_the_sign_of_shoulder_tilt(image_estimator: PoseEstimator, grace_hopper: np.ndarray) -> None:
    tilted = pad_and_rotate(grace_hopper, 10.0)
    original = tilt(image_estimator, tilted)
    mirrored = tilt(image_estimator, np.ascontiguousarray(tilted[:, ::-1]))
    assert original < -5.0 < 5.0 < mirrored
    assert mirrored == pytest.approx(-original, abs=3.0)


def test_a_blank_image_has_nobody(image_estimator: PoseEstimator) -> None:
    assert image_estimator.detect(np.full((480, 640, 3), 90, np.uint8)) is None


def test_a_small_person_is_found_in_a_closer_look(grace_hopper: np.ndarray) -> None:
    # Grace Hopper shrunk to ~60 px wide in the corner of a wide grey frame.
    import cv2

    small = cv2.resize(grace_hopper, (64, 75), interpolation=cv2.INTER_AREA)
    frame = np.full((480, 640, 3), 120, np.uint8)
    frame[300:375, 480:544] = small
    with PoseEstimator("full", mode="image", refine_small=False) as plain:
        plain_pose = plain.detect(frame)
    with PoseEstimator("full", mode="image") as refined:
        pose = refined.detect(frame)
    assert pose is not None
    nose_x, nose_y = pose.image_xy[L.NOSE]
    assert 480 < nose_x < 544 and 300 < nose_y < 375
    # The plain pass alone either misses her or is less sure of her.
    assert plain_pose is None or plain_pose.confidence <= pose.confidence + 1e-6


def test_video_mode_accepts_repeated_timestamps(grace_hopper: np.ndarray) -> None:
    with PoseEstimator("lite", mode="video") as estimator:
        first = estimator.detect(grace_hopper, 1.0)
        again = estimator.detect(grace_hopper, 1.0)  # MediaPipe alone would refuse this
    assert first is not None and again is not None


def _pose_with(points: dict[L, tuple[float, float]], width: int = 640, height: int = 480) -> Pose:
    xy, vis = np.zeros((33, 2)), np.zeros(33)
    for mark, point in points.items():
        xy[mark], vis[mark] = point, 1.0
    return Pose(image_xy=xy, visibility=vis, world_xyz=np.zeros((33, 3)), width=width, height=height, confidence=1.0)


UPRIGHT = {L.NOSE: (320, 100), L.LEFT_SHOULDER: (360, 200), L.RIGHT_SHOULDER: (280, 200),
           L.LEFT_HIP: (350, 400), L.RIGHT_HIP: (290, 400)}


def test_upside_down_poses_are_rejected() -> None:
    assert is_plausible(_pose_with(UPRIGHT))
    hips_at_neck = {**UPRIGHT, L.LEFT_HIP: (350, 150), L.RIGHT_HIP: (290, 150)}
    assert not is_plausible(_pose_with(hips_at_neck))
    nose_below = {**UPRIGHT, L.NOSE: (320, 260)}
    assert not is_plausible(_pose_with(nose_below))


def test_the_largest_most_central_person_is_chosen() -> None:
    small_corner = {m: (x / 4 + 10, y / 4 + 10) for m, (x, y) in UPRIGHT.items()}
    big_centre = _pose_with(UPRIGHT)
    assert choose_person([_pose_with(small_corner), big_centre]) is big_centre
    assert choose_person([]) is None


def test_crops_and_tiles_stay_inside_the_frame() -> None:
    # An 80 px tall person in the corner: a 144 px square (1.8 x), pushed back inside the frame.
    assert crop_around((600, 400, 640, 480), 640, 480) == (496, 336, 640, 480)
    boxes = tiles(640, 480)
    assert all(0 <= x0 < x1 <= 640 and 0 <= y0 < y1 <= 480 for x0, y0, x1, y1 in boxes)
    covered = np.zeros((480, 640), bool)
    for x0, y0, x1, y1 in boxes:
        covered[y0:y1, x0:x1] = True
    assert covered.all()


def test_photos_are_independent_of_the_photo_before(grace_hopper: np.ndarray) -> None:
    """In image mode nothing carries over from one photo to the next. Two small people the full
    frame misses: a fresh estimator picks the larger, more central one from its tiles; an estimator
    that had just seen a large person top left must not look there first and pick the other."""
    def canvas(people: list[tuple[int, int, int]]) -> np.ndarray:
        image = np.full((720, 1280, 3), 200, np.uint8)
        for x, y, height in people:
            width = int(height * grace_hopper.shape[1] / grace_hopper.shape[0])
            image[y:y + height, x:x + width] = cv2.resize(grace_hopper, (width, height))
        return image

    two_small = canvas([(30, 30, 120), (800, 400, 160)])
    with PoseEstimator("full", mode="image") as fresh:
        alone = fresh.detect(two_small)
    with PoseEstimator("full", mode="image") as used:
        used.detect(canvas([(20, 20, 600)]))  # a large person top left first
        after = used.detect(two_small)
    assert alone is not None and after is not None
    assert alone.bbox()[0] > 700  # the one at the right, lower down
    assert np.allclose(alone.image_xy, after.image_xy)
