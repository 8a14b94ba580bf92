"""`headwatch doctor`: each check run for real (the bundled model, a video file standing in for
the camera, the notification route of this machine), a camera that is not there a FIX line and
exit 1, and the framing said in words a person can act on."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from typer.testing import CliRunner

from conftest import WriteVideo, pad_and_rotate
from headwatch.cli import app

runner = CliRunner()


def doctor(*args: str):  # type: ignore[no-untyped-def]
    result = runner.invoke(app, ["doctor", *args])
    # CliRunner keeps an escaped exception in result.exception and prints no traceback.
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def line(text: str, name: str) -> str:
    (found,) = [row for row in text.splitlines() if row[5:].startswith(name)]
    return found


def test_a_working_source_and_good_framing(write_video: WriteVideo, grace_hopper: np.ndarray,
                                           isolated_settings: Path) -> None:
    clip = write_video("me.mp4", [cv2.resize(pad_and_rotate(grace_hopper, 0.0, 0.25), (256, 288))] * 30, 10.0)
    result = doctor("--source", str(clip))
    out = result.stdout
    assert line(out, "pose model").startswith("ok ") and "checksum verified" in out
    assert line(out, "source").startswith("ok ") and "256x288" in line(out, "source")
    assert line(out, "framing").startswith("ok ")
    assert line(out, "history").endswith("history.sqlite")
    assert str(isolated_settings / "profiles") in line(out, "profiles")
    assert "(not written yet: `headwatch config init`)" in line(out, "config")
    assert line(out, "login service").startswith("-- ")
    notifications = line(out, "notifications")
    assert notifications.startswith(("ok ", "FIX"))
    # The tray: ok where Qt can open here, FIX where its plugin lacks a library, -- without a display.
    assert line(out, "tray").startswith(("ok ", "FIX", "-- "))
    assert result.exit_code == (1 if notifications.startswith("FIX") or line(out, "tray").startswith("FIX") else 0)


def test_a_missing_camera_and_poor_framing_are_fix_lines(write_video: WriteVideo, grace_hopper: np.ndarray) -> None:
    result = doctor("--source", "7")
    assert result.exit_code == 1
    camera = line(result.stdout, "camera 7")
    assert camera.startswith("FIX") and "headwatch monitor --source" in camera  # the demo, instead
    assert line(result.stdout, "framing").startswith("-- ")
    assert result.stdout.rstrip().endswith("something to fix: see the FIX lines")
    dark = (cv2.resize(pad_and_rotate(grace_hopper, 0.0, 0.25), (256, 288)) * 0.12).astype(np.uint8)
    clip = write_video("dark.mp4", [dark] * 30, 10.0)
    framing = line(doctor("--source", str(clip)).stdout, "framing")
    assert framing.startswith("FIX") and "the picture is dark: add light in front of you, not behind" in framing
