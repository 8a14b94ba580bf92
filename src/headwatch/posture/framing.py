"""Is the person framed so that posture can be judged? Pure: a pose (and the picture's mean
brightness) in, what to change out, in words a person can act on."""

from __future__ import annotations

import numpy as np

from headwatch.types import Landmark, Pose

MIN_VISIBILITY = 0.5
EDGE = 0.02  # of the frame: a landmark this close to an edge is about to leave it
MAX_SHOULDER_SPAN = 0.85  # of the frame's width: closer than this, a lean takes the shoulders out
MIN_HEAD_HEIGHT = 0.04  # of the frame's height, eyes to shoulders: smaller, the landmarks get noisy
DARK = 40.0  # mean grey level (0-255) under which the model starts to miss people
NOBODY = "nobody in view: sit in front of the camera with your head and shoulders in the picture"


def framing_problems(pose: Pose | None, brightness: float | None = None) -> list[str]:
    """What to change so that the head and both shoulders are in view, large enough, and lit; an
    empty list when the framing is fine. ``pose`` None: nobody was found."""
    problems: list[str] = []
    if brightness is not None and brightness < DARK:
        problems.append("the picture is dark: add light in front of you, not behind")
    if pose is None:
        problems.append(NOBODY)
        return problems
    xy = pose.image_xy / np.array([pose.width, pose.height], dtype=float)

    def seen(landmark: Landmark) -> bool:
        x, y = xy[landmark]
        return bool(pose.visibility[landmark] >= MIN_VISIBILITY and EDGE <= x <= 1 - EDGE and EDGE <= y <= 1 - EDGE)

    head = [Landmark.NOSE, Landmark.LEFT_EAR, Landmark.RIGHT_EAR]
    shoulders = [Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER]
    if not any(seen(mark) for mark in head):
        problems.append("your head is not in the picture: tilt the screen or the camera so that it is")
    missing = [mark for mark in shoulders if not seen(mark)]
    if len(missing) == 2:
        problems.append("your shoulders are not in the picture: move back, or tilt the camera down a little")
    elif missing and pose.visibility[missing[0]] >= MIN_VISIBILITY:  # there, but at the edge
        problems.append("one shoulder is at the edge of the picture: sit in the middle of it")
    span = abs(xy[Landmark.LEFT_SHOULDER][0] - xy[Landmark.RIGHT_SHOULDER][0])
    if all(seen(mark) for mark in shoulders) and span > MAX_SHOULDER_SPAN:
        problems.append("you are very close to the camera: move back a little")
    eyes_to_shoulders = abs(float(np.mean(xy[shoulders, 1])) - float(np.mean(xy[head, 1])))
    if all(seen(mark) for mark in shoulders) and eyes_to_shoulders < MIN_HEAD_HEIGHT:
        problems.append("you are small in the picture: sit closer to the camera")
    return problems


def lasting_problems(looks: list[list[str]]) -> list[str]:
    """The problems most of these looks had (a passing lean out of view is not one), in order."""
    counts: dict[str, int] = {}
    for problems in looks:
        for problem in problems:
            counts[problem] = counts.get(problem, 0) + 1
    return [problem for problem, n in counts.items() if n > len(looks) // 2]
