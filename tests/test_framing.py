"""The framing check on real photos through the real model: what to change is said, and a good
framing says nothing."""

from __future__ import annotations

from typing import Any

import numpy as np

from conftest import pad_and_rotate
from headwatch.posture.framing import framing_problems


def problems(estimator: Any, image: np.ndarray) -> list[str]:
    return framing_problems(estimator.detect(image), float(image.mean()))


def test_head_and_shoulders_in_view_is_fine(image_estimator: Any, grace_hopper: np.ndarray) -> None:
    assert problems(image_estimator, pad_and_rotate(grace_hopper, 0.0, 0.25)) == []


def test_cut_off_shoulders_are_said(image_estimator: Any, grace_hopper: np.ndarray) -> None:
    """Only the top of the photo, to just under the chin: the shoulders are out of the picture."""
    head_only = np.ascontiguousarray(grace_hopper[:330])
    said = problems(image_estimator, head_only)
    assert any("shoulders are not in the picture" in p or "at the edge" in p for p in said), said


def test_a_dark_picture_is_said(image_estimator: Any, grace_hopper: np.ndarray) -> None:
    dark = (pad_and_rotate(grace_hopper, 0.0, 0.25) * 0.12).astype(np.uint8)
    assert any("dark" in p for p in problems(image_estimator, dark))


def test_nobody_is_said(image_estimator: Any) -> None:
    assert framing_problems(None, 120.0) == ["nobody in view: sit in front of the camera with your head and "
                                             "shoulders in the picture"]


def test_the_monitor_says_what_to_change_at_its_start(write_video: Any, grace_hopper: np.ndarray,
                                                       tilting_clip: Any) -> None:
    import cv2
    from typer.testing import CliRunner

    from headwatch.cli import app

    head_only = cv2.resize(np.ascontiguousarray(grace_hopper[:330]), (256, 176))
    clip = write_video("head.mp4", [head_only] * 50, 5.0)
    args = ["--no-realtime", "--notify", "none", "--no-history", "--reference", "absolute"]
    cut = CliRunner().invoke(app, ["monitor", "--source", str(clip), *args])
    assert cut.exit_code == 0, cut.stderr
    (hint,) = [line for line in cut.stderr.splitlines() if line.startswith("hint: framing: ")]
    assert "shoulders" in hint
    fine = CliRunner().invoke(app, ["monitor", "--source", str(tilting_clip), *args])
    assert fine.exit_code == 0 and "framing" not in fine.stderr
