"""Posture metrics from one Pose: pure geometry, in degrees or ratios.

Conventions (see docs/how-it-works/metrics.md): image y grows downward; "left" is the person's left; a view
of "left" means the person faces the left edge of the image. Every function returns None when
the landmarks it needs are not visible enough, rather than guessing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

import numpy as np

from headwatch.types import Landmark, Pose, PostureSample, View

if TYPE_CHECKING:
    from headwatch.types import FloatArray

# A landmark counts as seen when MediaPipe's visibility is at least this.
MIN_VISIBILITY = 0.5

# With the head level, the nose tip sits a little below the ear (tragus) line. Measured on
# upright people looking ahead (see docs/how-it-works/metrics.md); subtracted so that 0 means
# "looking straight ahead".
NEUTRAL_PITCH_DEG = 10.0



class CameraShiftLike(Protocol):
    """camera_motion.CameraShift, known here by shape only (metrics stay free of OpenCV)."""

    @property
    def dx(self) -> float: ...

    @property
    def dy(self) -> float: ...

    @property
    def scale(self) -> float: ...


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

    Three cues, averaged, each 0 for squarely facing the camera and 1 for a clean profile: the
    shoulder line's yaw from the world landmarks; the shoulders' width in the image against the
    ear-to-shoulder distance (about 1.8 facing the camera, under 0.6 in profile); and how far the
    nose sits outside the span of the two ears (between them when facing the camera). The
    direction of a profile comes mostly from which side of the ears the nose is on.
    """
    if not _seen(pose, Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER):
        return None
    lateral = pose.world_xyz[Landmark.LEFT_SHOULDER] - pose.world_xyz[Landmark.RIGHT_SHOULDER]
    yaw = math.atan2(-lateral[2], lateral[0])  # +90 deg: left shoulder nearer, facing left
    cues = [abs(math.sin(yaw))]
    facing_left_votes = [math.sin(yaw)]
    if _seen(pose, Landmark.NOSE, Landmark.LEFT_EAR, Landmark.RIGHT_EAR):
        xy = pose.image_xy
        ear_mid = _mid(xy, Landmark.LEFT_EAR, Landmark.RIGHT_EAR)
        nose_offset = xy[Landmark.NOSE, 0] - ear_mid[0]
        ear_span = abs(xy[Landmark.LEFT_EAR, 0] - xy[Landmark.RIGHT_EAR, 0])
        cues.append(abs(nose_offset) / (abs(nose_offset) + ear_span + 1e-9))
        neck = float(np.linalg.norm(ear_mid - _mid(xy, Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER)))
        shoulder_width = abs(xy[Landmark.LEFT_SHOULDER, 0] - xy[Landmark.RIGHT_SHOULDER, 0])
        if neck > 1e-6:
            cues.append(float(np.clip((1.4 - shoulder_width / neck) / 0.8, 0.0, 1.0)))
        # The image cue for direction is the more reliable one: weight it double.
        facing_left_votes.append(-2.0 * float(np.sign(nose_offset)))
    side_score = float(np.mean(cues))
    if side_score < 0.5:
        return View.FRONT, min(1.0, (0.5 - side_score) * 2.0)
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


def neck_midline_deg(pose: Pose, view: View | None) -> float | None:
    """Profile: the line from the shoulders' mid-point to the ears' mid-point, from vertical.

    Both sides' landmarks averaged: MediaPipe places the far side from the body's shape, and the
    mean is steadier than the near side alone (AUC 0.93 against 0.76 on the side-standing set).
    """
    marks = (Landmark.LEFT_EAR, Landmark.RIGHT_EAR, Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER)
    if view is None or view is View.FRONT or not _seen(pose, *marks):
        return None
    forward_x = _near_side(view)[2]
    dx, dy = _mid(pose.image_xy, Landmark.LEFT_EAR, Landmark.RIGHT_EAR) - _mid(
        pose.image_xy, Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER)
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
    """With both hips visible: the hip-to-shoulder mid-line's angle from vertical in the image.

    Facing the camera it is the sideways lean, + toward the person's left; in profile it is the
    forward lean (hunching, a rounded back), + forward.
    """
    marks = (Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER, Landmark.LEFT_HIP, Landmark.RIGHT_HIP)
    if view is None or not _seen(pose, *marks):
        return None
    xy = pose.image_xy
    dx, dy = _mid(xy, Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER) - _mid(
        xy, Landmark.LEFT_HIP, Landmark.RIGHT_HIP
    )
    return math.degrees(math.atan2(_forward_sign(pose, view) * dx, -dy))


def _forward_sign(pose: Pose, view: View) -> float:
    """+1 or -1: the image's x direction that is forward in profile (toward the face), or toward
    the person's left facing the camera."""
    if view is View.FRONT:
        xy = pose.image_xy
        return float(np.sign(xy[Landmark.LEFT_SHOULDER, 0] - xy[Landmark.RIGHT_SHOULDER, 0])) or 1.0
    return _near_side(view)[2]


def ear_height_face_ratio(pose: Pose, view: View | None) -> float | None:
    """Front view: the ears' height above the shoulder line / ear-to-ear distance.

    A head coming forward toward a laptop webcam both drops toward the shoulder line and grows,
    so this ratio of the two moves more than either; it is also free of the shoulder landmarks'
    width, which clothing shifts. headwatch's front-view judgement uses it.
    """
    height = ear_height_ratio(pose, view)
    face = face_width_ratio(pose, view)
    if height is None or face is None or face < 1e-6:
        return None
    return height / face


# In profile the 2D mid-line angle and the 3D angle are blended by weights fitted on 1,844 renders
# of people with exactly known neck angles (tools/synth_render.py --kind varied, 200 scenes, seed
# 3117: standing, seated, slumped, reclined; side cameras from seat height to above the head) by
# least squares on the raw errors and the changes from the scene's neutral render together
# (bench/renders_accuracy.py --fit prints the fit as "joint"). The previous weights
# (-4.03, 0.796, 0.140) were fitted on the raw error alone, which a calibrated baseline never
# sees. Held out (seeds 4243 and 5309, 160 scenes each): change-from-neutral MAE 2.51 / 2.23
# degrees (was 2.55 / 2.28; 0.2 of the first is one neutral render that MediaPipe takes for a
# front view), raw MAE 2.34 / 2.43 (unchanged). The real development footage reads the same
# (AUC per person within 0.001, 0.92 standing and 0.75 seated on the profile frames; bench/lopo.py).
PROFILE_BLEND = (-4.195, 0.789, 0.162)  # offset, mid-line weight, 3D weight

# Facing the camera the 3D angle's depth is MediaPipe's guess: its change from neutral tracks the
# neck with a slope of about 0.7 and fails on slumps, and its absolute value carries the webcam's
# pitch. The ears' height above the shoulders in face widths (ear_height_face_ratio, the cue the
# front-view judgement rests on) shrinks as the neck tips toward the camera; mapped to degrees by
# a line fitted like PROFILE_BLEND on the same renders, it follows the change from neutral better
# and the absolute angle too. It needs a face seen from the front (the ears' spacing is its unit):
# its weight rises from 0 to 1 as the view estimate's confidence goes over FRONT_CONFIDENCE
# (chosen on the same renders; near-profile poses and failed detections keep the 3D angle).
# Held out (seeds 4243 and 5309), change-from-neutral MAE 4.0 / 3.8 degrees against 6.1 / 5.8 for
# the 3D angle, raw MAE 5.9 / 5.7 against 20.2 / 21.0.
FRONT_EAR_HEIGHT = (48.93, -27.493)  # offset, degrees per unit of ear_height_face_ratio
FRONT_CONFIDENCE = (0.5, 0.8)  # view confidence where the ear-height angle starts, and takes over
# When a head bows toward the camera far enough for the crown to show, MediaPipe collapses the ears
# onto the middle of the face (on renders: face_width_ratio 0.20-0.31 where upright faces read
# 0.34-0.50, all of them deep slumps, 20-44 degrees of neck) and the ear height in face widths
# reads a head held high: errors of 20-90 degrees. Below the first width the face counts as
# collapsed and the angle as the third value, a deep bow; between the two widths, a blend.
# Chosen on the fit renders (seed 3117) only.
FRONT_COLLAPSE = (0.28, 0.33, 38.0)  # face_width_ratio collapsed, sound; degrees of a deep bow


def head_forward_deg(neck_2d: float | None, neck_3d: float | None, view: View | None,
                     ear_height_face: float | None = None, view_confidence: float | None = None,
                     face_width: float | None = None) -> float | None:
    """headwatch's primary head-forward angle: the best estimate available for the view.

    In profile, ``neck_2d`` is the mid-line angle (``neck_midline_deg``); it and the 3D angle
    see the same thing with independent errors, and their blend (PROFILE_BLEND) is nearer the
    true angle than either. Facing the camera, ``ear_height_face`` (``ear_height_face_ratio``)
    mapped to degrees (FRONT_EAR_HEIGHT), blended toward the 3D angle when ``view_confidence`` is
    low (FRONT_CONFIDENCE; no confidence counts as full); without it, the 3D angle. With
    ``face_width`` (``face_width_ratio``) a face whose ears collapsed onto its middle reads as a
    deep bow (FRONT_COLLAPSE).
    """
    if view is None:
        return None
    if view is not View.FRONT and neck_2d is not None and neck_3d is not None:
        offset, w2d, w3d = PROFILE_BLEND
        return offset + w2d * neck_2d + w3d * neck_3d
    if view is View.FRONT and ear_height_face is not None:
        offset, per_unit = FRONT_EAR_HEIGHT
        angle = offset + per_unit * ear_height_face
        if neck_3d is not None and view_confidence is not None:
            low, high = FRONT_CONFIDENCE
            weight = min(max((view_confidence - low) / (high - low), 0.0), 1.0)
            angle = weight * angle + (1.0 - weight) * neck_3d
        if face_width is None:
            return angle
        collapsed, sound_width, bow = FRONT_COLLAPSE
        sound = min(max((face_width - collapsed) / (sound_width - collapsed), 0.0), 1.0)
        return sound * angle + (1.0 - sound) * bow
    return neck_3d if neck_3d is not None else neck_2d


# How far the head came forward since the person's upright, facing the camera: from image cues
# measured against that upright rather than as the difference of two head_forward_deg values
# (whose ear-height line cannot know the person's own proportions or the camera's pitch):
#   foreshortening: the ears' height above the shoulders in face widths shrinks like the cosine of
#     (neck angle + camera pitch); the upright's 3D angle gives the starting point,
#   the ears' and the shoulders' drop in the image, in the upright's face widths (a slump sinks
#     the shoulders too), the latter also signed-squared and times the foreshortening.
# Least squares on the change from neutral of 712 renders (seed 3117), the terms chosen by 5-fold
# cross-validation over those renders' scenes. Held out (seeds 4243 and 5309): MAE 2.83 / 2.54
# degrees, against 3.49 / 3.61 for the difference of head_forward_deg (bench/renders_accuracy.py).
FRONT_CHANGE = (0.3972, 5.2545, 20.2659, -5.8157, -0.1481)
FRONT_CHANGE_NEEDS = ("ear_height_face_ratio", "neck_angle_3d_deg", "ear_level", "shoulder_level", "neck_length")


def front_head_change_deg(sample: PostureSample, upright: Mapping[str, float]) -> float | None:
    """Facing the camera: degrees the neck tipped forward since ``upright`` (metric name -> value,
    a reference's values), from the image cues of FRONT_CHANGE; None without them."""
    now = (sample.ear_height_face_ratio, sample.ear_level, sample.shoulder_level)
    if sample.view is not View.FRONT or None in now or any(k not in upright for k in FRONT_CHANGE_NEEDS):
        return None
    ratio, ear, shoulder = (float(v) for v in now if v is not None)
    base_ratio, base_angle = upright["ear_height_face_ratio"], upright["neck_angle_3d_deg"]
    if base_ratio <= 1e-6 or upright["neck_length"] <= 1e-6:
        return None
    start = math.radians(min(max(base_angle, 0.0), 80.0))
    cosine = min(max(ratio / base_ratio * math.cos(start), -1.0), 1.0)
    foreshortening = math.degrees(math.acos(cosine) - start)
    face_width = upright["neck_length"] / base_ratio  # upright, the neck's length is its ear height
    ear_drop = (ear - upright["ear_level"]) / face_width
    shoulder_drop = (shoulder - upright["shoulder_level"]) / face_width
    terms = (foreshortening, ear_drop, shoulder_drop, shoulder_drop * abs(shoulder_drop),
             foreshortening * shoulder_drop)
    return float(sum(k * t for k, t in zip(FRONT_CHANGE, terms, strict=True)))


def upper_body_position(pose: Pose) -> tuple[float, ...]:
    """Nose and shoulder mid-point in frame heights: what "holding still" is measured on."""
    xy = pose.image_xy / float(pose.height)
    shoulders = _mid(xy, Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER)
    return (float(xy[Landmark.NOSE, 0]), float(xy[Landmark.NOSE, 1]), float(shoulders[0]), float(shoulders[1]))


def slouch_deg(head_forward: float | None, trunk_lean: float | None, view: View | None) -> float | None:
    """Profile: the head-forward angle plus the trunk's forward lean (when the hips are seen).

    Hunching tips the trunk forward as well as the neck; adding the two inclinations, as
    ergonomic scores such as RULA add neck and trunk flexion, separated good from poor posture
    better than either alone (AUC 0.94 against 0.91 for the head angle on the side-standing set).
    A backward lean (reclining) adds nothing.
    """
    if view is None or view is View.FRONT or head_forward is None:
        return None
    return head_forward + max(trunk_lean or 0.0, 0.0)


# A trunk leaning back by more than this (degrees behind vertical) counts as reclining. Upright
# typists who rest against the chair back lean back 8-13 degrees on the development photos.
RECLINED_TRUNK_DEG = 12.0


def neck_flexion_deg(head_forward: float | None, trunk_lean: float | None, view: View | None) -> float | None:
    """Profile, hips seen: the head-forward angle relative to the trunk (ISO 11226's neck flexion)."""
    if view is None or view is View.FRONT or head_forward is None or trunk_lean is None:
        return None
    return head_forward - trunk_lean


def reclined_flexion_deg(neck_flexion: float | None, trunk_lean: float | None) -> float | None:
    """The neck flexion of a reclined trunk only: what a slump against the chair back looks like.

    Reclining tips the whole upper body back, so the head-forward angle reads *smaller* than when
    upright even though the head is bent forward off the trunk; relative to the trunk it shows.
    Upright or forward-leaning trunks are left to slouch_deg, so upright typists are not judged on
    this (None).
    """
    if neck_flexion is None or trunk_lean is None or trunk_lean > -RECLINED_TRUNK_DEG:
        return None
    return neck_flexion


def ear_level(pose: Pose) -> float | None:
    """The ears' mid-point height in the frame, in frame heights from the top (grows as the head sinks).

    Meaningful only against the same person's reference in the same camera set-up: a lean back
    or a slump down in the chair lowers the head by half a neck length or more, where upright
    typing keeps it within a few hundredths of a neck length.
    """
    if not _seen(pose, Landmark.LEFT_EAR, Landmark.RIGHT_EAR):
        return None
    return float(_mid(pose.image_xy, Landmark.LEFT_EAR, Landmark.RIGHT_EAR)[1]) / float(pose.height)


def neck_length(pose: Pose) -> float | None:
    """Ears' mid-point to shoulders' mid-point in frame heights: the body's scale in this set-up."""
    marks = (Landmark.LEFT_EAR, Landmark.RIGHT_EAR, Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER)
    if not _seen(pose, *marks):
        return None
    xy = pose.image_xy
    length = float(np.linalg.norm(_mid(xy, Landmark.LEFT_EAR, Landmark.RIGHT_EAR)
                                  - _mid(xy, Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER)))
    return length / float(pose.height) if length > 1e-6 else None


def shoulder_level(pose: Pose) -> float | None:
    """The shoulders' mid-point height in the frame, in frame heights from the top."""
    if not _seen(pose, Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER):
        return None
    return float(_mid(pose.image_xy, Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER)[1]) / float(pose.height)


def neck_dx(pose: Pose, view: View | None) -> float | None:
    """How far the ears' mid-point is ahead of the shoulders' mid-point, in frame heights: toward
    the face in profile, toward the person's left facing the camera."""
    marks = (Landmark.LEFT_EAR, Landmark.RIGHT_EAR, Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER)
    if view is None or not _seen(pose, *marks):
        return None
    xy = pose.image_xy
    dx = float(_mid(xy, Landmark.LEFT_EAR, Landmark.RIGHT_EAR)[0] - _mid(xy, Landmark.LEFT_SHOULDER,
                                                                         Landmark.RIGHT_SHOULDER)[0])
    return _forward_sign(pose, view) * dx / float(pose.height)


# A thigh shorter in the image than this share of the trunk points at the camera (seated, seen
# from the front): its angle says nothing about standing.
MIN_THIGH_SHARE = 0.6
# A faint knee (visibility under MIN_VISIBILITY) still counts when MediaPipe draws it inside the
# picture: a small person's knees, and knees near the bottom edge, are faint, while a knee below
# the picture is a guess. Legs hidden behind a desk are guessed too, often straight down, and a
# sitting person so taken for standing meets the standing limit; on rendered people, whose upright
# posture reads under it, that cost nothing (bench/standing_renders.py; seeds 6011 + 7027, and
# 8111's wider bodies; a real person sitting upright above 20 may pay for it): sitting people
# with a desk over their legs and hips read standing 1.0 -> 6.3 % and 1.8 -> 7.9 % of the time,
# and their balanced accuracy rose 0.746 -> 0.752 and 0.774 -> 0.791, specificity unchanged
# (their slumps pass 20 degrees, their upright posture does not). Standing people told standing
# 90.5 -> 91.6 % and 86.7 -> 89.8 %; the development data's standing man 51 -> 70 % of his frames
# (absolute 0.776 -> 0.814), no seated development person's frame more. The rule it replaced
# wanted a whole thigh (0.72 of the trunk): his thighs are drawn 0.51-0.75 of the trunk.


def knee_seen(pose: Pose, knee: Landmark) -> bool:
    """Whether a knee counts for telling standing from sitting: seen, or drawn inside the picture."""
    return _seen(pose, knee) or _in_picture(pose, knee)


def _in_picture(pose: Pose, mark: Landmark) -> bool:
    x, y = pose.image_xy[mark]
    return bool(0.0 <= x < pose.width and 0.0 <= y < pose.height)


def thigh_deg(pose: Pose, knee_seen: Callable[[Pose, Landmark], bool] = knee_seen) -> float | None:
    """The hip-to-knee line's angle from vertical in the image, averaged over the sides where the
    shoulder, hip and knee are seen: about 0 standing, about 90 seated in profile. ``knee_seen``:
    when a knee counts as seen (bench/profile_limits.py compares rules)."""
    angles = []
    for shoulder, hip, knee in ((Landmark.LEFT_SHOULDER, Landmark.LEFT_HIP, Landmark.LEFT_KNEE),
                                (Landmark.RIGHT_SHOULDER, Landmark.RIGHT_HIP, Landmark.RIGHT_KNEE)):
        if not _seen(pose, shoulder, hip) or not knee_seen(pose, knee):
            continue
        dx, dy = pose.image_xy[knee] - pose.image_xy[hip]
        trunk = float(np.linalg.norm(pose.image_xy[hip] - pose.image_xy[shoulder]))
        if math.hypot(dx, dy) >= MIN_THIGH_SHARE * trunk:
            angles.append(abs(math.degrees(math.atan2(dx, dy))))
    return float(np.mean(angles)) if angles else None


def in_first_view(sample: PostureSample, shift: CameraShiftLike | None) -> PostureSample:
    """The sample with its positions (ear and shoulder levels, the neck) carried back into the
    session's first view, undoing the camera's move since; angles and ratios do not depend on
    where the camera points, and stay. ``shift`` None: the move is unknown, nothing changes."""
    if shift is None:
        return sample
    scale = shift.scale if shift.scale > 1e-6 else 1.0

    def back(level: float | None) -> float | None:
        return None if level is None else (level - shift.dy) / scale

    def length(value: float | None) -> float | None:
        return None if value is None else value / scale

    return replace(sample, ear_level=back(sample.ear_level), shoulder_level=back(sample.shoulder_level),
                   neck_length=length(sample.neck_length), neck_dx=length(sample.neck_dx),
                   camera_dx=shift.dx, camera_dy=shift.dy, camera_scale=shift.scale)


def measure(pose: Pose) -> PostureSample:
    """Every metric of one pose."""
    estimated = estimate_view(pose)
    view, confidence = estimated if estimated is not None else (None, None)
    neck_3d = neck_angle_3d_deg(pose)
    ear_height_face = ear_height_face_ratio(pose, view)
    face_width = face_width_ratio(pose, view)
    head_forward = head_forward_deg(neck_midline_deg(pose, view), neck_3d, view, ear_height_face, confidence,
                                    face_width)
    trunk_lean = trunk_lean_deg(pose, view)
    flexion = neck_flexion_deg(head_forward, trunk_lean, view)
    return PostureSample(
        view=view,
        view_confidence=confidence,
        neck_inclination_deg=neck_inclination_deg(pose, view),
        neck_angle_3d_deg=neck_3d,
        head_forward_deg=head_forward,
        ear_height_ratio=ear_height_ratio(pose, view),
        face_width_ratio=face_width,
        ear_height_face_ratio=ear_height_face,
        head_pitch_deg=head_pitch_deg(pose, view),
        shoulder_tilt_deg=shoulder_tilt_deg(pose, view),
        head_roll_deg=head_roll_deg(pose, view),
        trunk_lean_deg=trunk_lean,
        slouch_deg=slouch_deg(head_forward, trunk_lean, view),
        neck_flexion_deg=flexion,
        reclined_flexion_deg=reclined_flexion_deg(flexion, trunk_lean),
        ear_level=ear_level(pose),
        neck_length=neck_length(pose),
        shoulder_level=shoulder_level(pose),
        neck_dx=neck_dx(pose, view),
        thigh_deg=thigh_deg(pose),
    )
