"""Posture metrics from one Pose: pure geometry, in degrees or ratios.

Conventions (see README "Metrics"): image y grows downward; "left" is the person's left; a view
of "left" means the person faces the left edge of the image. Every function returns None when
the landmarks it needs are not visible enough, rather than guessing.
"""

from __future__ import annotations

import math

import numpy as np

from headwatch.types import FloatArray, Landmark, Pose, PostureSample, View

# A landmark counts as seen when MediaPipe's visibility is at least this.
MIN_VISIBILITY = 0.5

# With the head level, the nose tip sits a little below the ear (tragus) line. Measured on
# upright people looking ahead (see README); subtracted so that 0 means "looking straight ahead".
NEUTRAL_PITCH_DEG = 10.0

# Camera "up" in world coordinates (MediaPipe's world y grows downward, like the image).
_CAMERA_UP = np.array([0.0, -1.0, 0.0])


def _seen(pose: Pose, *marks: Landmark) -> bool:
    return all(pose.visibility[m] >= MIN_VISIBILITY for m in marks)


def _mid(points: FloatArray, a: Landmark, b: Landmark) -> FloatArray:
    return np.asarray((points[a] + points[b]) / 2.0)


def _signed_tilt_deg(pose: Pose, left: Landmark, right: Landmark) -> float | None:
    """Angle of the left-right line from horizontal, positive when the left point is lower."""
    if not _seen(pose, left, right):
        return None
    dx, dy = pose.image_xy[left] - pose.image_xy[right]
    # abs(dx): the sign must not depend on which image side the person's left is on.
    return math.degrees(math.atan2(dy, abs(dx)))


def _body_axes(world: FloatArray) -> tuple[FloatArray, FloatArray] | None:
    """(up, forward) unit vectors of the body's sagittal plane in world coordinates.

    Up is the camera's up made perpendicular to the shoulder line; forward is perpendicular to
    both, pointing the way the person faces.
    """
    lateral = world[Landmark.LEFT_SHOULDER] - world[Landmark.RIGHT_SHOULDER]
    norm = float(np.linalg.norm(lateral))
    if norm < 1e-6:
        return None
    lateral = lateral / norm
    up = _CAMERA_UP - np.dot(_CAMERA_UP, lateral) * lateral
    up_norm = float(np.linalg.norm(up))
    if up_norm < 1e-6:  # shoulder line vertical: no sagittal plane to speak of
        return None
    up = up / up_norm
    forward = np.cross(lateral, up)
    return up, forward


def estimate_view(pose: Pose) -> tuple[View, float] | None:
    """Which way the person faces, with a confidence in 0..1.

    Two cues, averaged: the shoulder line's yaw from the world landmarks (0 facing the camera,
    90 in profile), and in the image how far the nose sits outside the span of the two ears
    (between them when facing the camera, beyond both in profile).
    """
    if not _seen(pose, Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER):
        return None
    lateral = pose.world_xyz[Landmark.LEFT_SHOULDER] - pose.world_xyz[Landmark.RIGHT_SHOULDER]
    yaw = math.atan2(-lateral[2], lateral[0])  # +90 deg: left shoulder nearer, facing left
    cues = [abs(math.sin(yaw))]
    facing_left_votes = [math.sin(yaw)]
    if _seen(pose, Landmark.NOSE, Landmark.LEFT_EAR, Landmark.RIGHT_EAR):
        xy = pose.image_xy
        ear_mid_x = (xy[Landmark.LEFT_EAR, 0] + xy[Landmark.RIGHT_EAR, 0]) / 2.0
        nose_offset = xy[Landmark.NOSE, 0] - ear_mid_x
        ear_span = abs(xy[Landmark.LEFT_EAR, 0] - xy[Landmark.RIGHT_EAR, 0])
        cues.append(abs(nose_offset) / (abs(nose_offset) + ear_span + 1e-9))
        # The image cue for direction is the more reliable one: weight it double.
        facing_left_votes.append(-2.0 * float(np.sign(nose_offset)))
    side_score = float(np.mean(cues))  # 0 = squarely facing the camera, 1 = clean profile
    if side_score < 0.5:
        return View.FRONT, min(1.0, (0.5 - side_score) * 2.0 + 0.0)
    facing = View.LEFT if sum(facing_left_votes) > 0 else View.RIGHT
    return facing, min(1.0, (side_score - 0.5) * 2.0)


def _near_side(view: View) -> tuple[Landmark, Landmark, float]:
    """(ear, shoulder, forward x sign) of the side nearer the camera in a profile view."""
    if view is View.LEFT:  # facing left: the person's left side faces the camera
        return Landmark.LEFT_EAR, Landmark.LEFT_SHOULDER, -1.0
    return Landmark.RIGHT_EAR, Landmark.RIGHT_SHOULDER, 1.0


def neck_inclination_deg(pose: Pose, view: View | None) -> float | None:
    """Side view: the ear-shoulder line's angle from vertical in the image, + = head forward."""
    if view is None or view is View.FRONT:
        return None
    ear, shoulder, forward_x = _near_side(view)
    if not _seen(pose, ear, shoulder):
        return None
    dx, dy = pose.image_xy[ear] - pose.image_xy[shoulder]
    return math.degrees(math.atan2(forward_x * dx, -dy))


def neck_angle_3d_deg(pose: Pose) -> float | None:
    """The ear-shoulder line's angle from vertical in the body's sagittal plane (world), + = forward."""
    marks = (Landmark.LEFT_EAR, Landmark.RIGHT_EAR, Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER)
    if not _seen(pose, *marks):
        return None
    axes = _body_axes(pose.world_xyz)
    if axes is None:
        return None
    up, forward = axes
    neck = _mid(pose.world_xyz, Landmark.LEFT_EAR, Landmark.RIGHT_EAR) - _mid(
        pose.world_xyz, Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER
    )
    return math.degrees(math.atan2(float(np.dot(neck, forward)), float(np.dot(neck, up))))


def head_pitch_deg(pose: Pose, view: View | None) -> float | None:
    """Looking down (+) or up (-): the ear-to-nose line below horizontal, less the neutral offset.

    In profile it comes from the image (the sharper signal); facing the camera, from the world
    landmarks in the sagittal plane.
    """
    if view is None:
        return None
    if view is not View.FRONT:
        ear, _, forward_x = _near_side(view)
        if not _seen(pose, ear, Landmark.NOSE):
            return None
        dx, dy = pose.image_xy[Landmark.NOSE] - pose.image_xy[ear]
        return math.degrees(math.atan2(dy, forward_x * dx)) - NEUTRAL_PITCH_DEG
    if not _seen(pose, Landmark.NOSE, Landmark.LEFT_EAR, Landmark.RIGHT_EAR,
                 Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER):
        return None
    axes = _body_axes(pose.world_xyz)
    if axes is None:
        return None
    up, forward = axes
    nose = pose.world_xyz[Landmark.NOSE] - _mid(pose.world_xyz, Landmark.LEFT_EAR, Landmark.RIGHT_EAR)
    return math.degrees(math.atan2(-float(np.dot(nose, up)), float(np.dot(nose, forward)))) - (
        NEUTRAL_PITCH_DEG
    )


def _shoulder_width_px(pose: Pose) -> float | None:
    if not _seen(pose, Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER):
        return None
    width = float(np.linalg.norm(pose.image_xy[Landmark.LEFT_SHOULDER] - pose.image_xy[Landmark.RIGHT_SHOULDER]))
    return width if width > 1e-6 else None


def ear_height_ratio(pose: Pose, view: View | None) -> float | None:
    """Front view: the ears' mid-point height above the shoulder line / shoulder width."""
    width = _shoulder_width_px(pose)
    if view is not View.FRONT or width is None or not _seen(pose, Landmark.LEFT_EAR, Landmark.RIGHT_EAR):
        return None
    xy = pose.image_xy
    along = xy[Landmark.LEFT_SHOULDER] - xy[Landmark.RIGHT_SHOULDER]
    to_ears = _mid(xy, Landmark.LEFT_EAR, Landmark.RIGHT_EAR) - xy[Landmark.RIGHT_SHOULDER]
    # Perpendicular distance from the shoulder line, positive above it whichever way it runs.
    height = abs(float(along[0] * to_ears[1] - along[1] * to_ears[0])) / width
    above = _mid(xy, Landmark.LEFT_EAR, Landmark.RIGHT_EAR)[1] < _mid(
        xy, Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER
    )[1]
    return (height if above else -height) / width


def face_width_ratio(pose: Pose, view: View | None) -> float | None:
    """Front view: ear-to-ear distance / shoulder width (grows as the head comes forward)."""
    width = _shoulder_width_px(pose)
    if view is not View.FRONT or width is None or not _seen(pose, Landmark.LEFT_EAR, Landmark.RIGHT_EAR):
        return None
    return float(np.linalg.norm(pose.image_xy[Landmark.LEFT_EAR] - pose.image_xy[Landmark.RIGHT_EAR])) / width


def shoulder_tilt_deg(pose: Pose, view: View | None) -> float | None:
    """Front view: shoulder line from horizontal, + when the person's left shoulder is lower."""
    if view is not View.FRONT:
        return None
    return _signed_tilt_deg(pose, Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER)


def head_roll_deg(pose: Pose, view: View | None) -> float | None:
    """Front view: ear line from horizontal, + when the person's left ear is lower."""
    if view is not View.FRONT:
        return None
    return _signed_tilt_deg(pose, Landmark.LEFT_EAR, Landmark.RIGHT_EAR)


def trunk_lean_deg(pose: Pose, view: View | None) -> float | None:
    """Front view with hips visible: hip-to-shoulder line from vertical, + leaning to the left."""
    marks = (Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER, Landmark.LEFT_HIP, Landmark.RIGHT_HIP)
    if view is not View.FRONT or not _seen(pose, *marks):
        return None
    xy = pose.image_xy
    left_dir = float(np.sign(xy[Landmark.LEFT_SHOULDER, 0] - xy[Landmark.RIGHT_SHOULDER, 0])) or 1.0
    dx, dy = _mid(xy, Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER) - _mid(
        xy, Landmark.LEFT_HIP, Landmark.RIGHT_HIP
    )
    return math.degrees(math.atan2(left_dir * dx, -dy))


def head_forward_deg(neck_2d: float | None, neck_3d: float | None, view: View | None) -> float | None:
    """headwatch's primary head-forward angle: the best estimate available for the view.

    In profile the 2D and 3D angles see the same thing with independent errors, so their mean
    is steadier than either; facing the camera only the 3D angle sees depth.
    """
    if view is None:
        return None
    if view is not View.FRONT and neck_2d is not None and neck_3d is not None:
        return (neck_2d + neck_3d) / 2.0
    return neck_3d if neck_3d is not None else neck_2d


def upper_body_position(pose: Pose) -> tuple[float, ...]:
    """Nose and shoulder mid-point in frame heights: what "holding still" is measured on."""
    xy = pose.image_xy / float(pose.height)
    shoulders = _mid(xy, Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER)
    return (float(xy[Landmark.NOSE, 0]), float(xy[Landmark.NOSE, 1]), float(shoulders[0]), float(shoulders[1]))


def measure(pose: Pose) -> PostureSample:
    """Every metric of one pose."""
    estimated = estimate_view(pose)
    view, confidence = estimated if estimated is not None else (None, None)
    neck_2d = neck_inclination_deg(pose, view)
    neck_3d = neck_angle_3d_deg(pose)
    return PostureSample(
        view=view,
        view_confidence=confidence,
        neck_inclination_deg=neck_2d,
        neck_angle_3d_deg=neck_3d,
        head_forward_deg=head_forward_deg(neck_2d, neck_3d, view),
        ear_height_ratio=ear_height_ratio(pose, view),
        face_width_ratio=face_width_ratio(pose, view),
        head_pitch_deg=head_pitch_deg(pose, view),
        shoulder_tilt_deg=shoulder_tilt_deg(pose, view),
        head_roll_deg=head_roll_deg(pose, view),
        trunk_lean_deg=trunk_lean_deg(pose, view),
    )
