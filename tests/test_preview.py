"""The --preview window, on a real X display (Xvfb): a plain window at a readable size (no
OpenCV toolbar), the verdict band on top, the keys under the frame, and a key that reaches the
monitor."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np

from desktop import desktop, need
from headwatch.vision.overlay import PREVIEW_LONG_SIDE, STATE_COLOURS

DEMO = Path(__file__).resolve().parents[1] / "samples" / "demo_slouch.mp4"


def window_geometry(env: dict[str, str]) -> dict[str, int] | None:
    found = subprocess.run(["xwininfo", "-name", "headwatch"], env={**os.environ, **env}, capture_output=True,
                           text=True)
    if found.returncode != 0:
        return None
    values = {}
    for line in found.stdout.splitlines():
        key, _, value = line.strip().partition(":")
        if key in ("Absolute upper-left X", "Absolute upper-left Y", "Width", "Height"):
            values[key.split()[-1]] = int(value)
    return values


def test_the_preview_is_a_plain_readable_window_with_the_verdict_and_the_keys(tmp_path: Path) -> None:
    need("xwininfo", "import", "xdotool")
    with desktop(tmp_path, 1024, 900) as env:
        errors = (tmp_path / "stderr.txt").open("w")
        monitor = subprocess.Popen([sys.executable, "-m", "headwatch", "monitor", "--preview", "--source", str(DEMO),
                                    "--no-history", "--notify", "none", "--duration", "8"],
                                   env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=errors, text=True)
        try:
            deadline = time.monotonic() + 60
            while (geometry := window_geometry(env)) is None and time.monotonic() < deadline:
                time.sleep(0.2)
            assert geometry is not None, "no preview window"
            time.sleep(1.5)
            subprocess.run(["import", "-window", "root", str(tmp_path / "screen.png")], env={**os.environ, **env},
                           check=True, timeout=30)
            subprocess.run(["xdotool", "search", "--name", "^headwatch$", "windowfocus", "--sync", "key", "u"],
                           env={**os.environ, **env}, timeout=30, check=False)
            monitor.wait(timeout=60)
        finally:
            if monitor.poll() is None:
                monitor.kill()
            errors.close()
    assert monitor.returncode == 0
    assert geometry["Width"] == PREVIEW_LONG_SIDE  # a 640x360 clip shown larger, no toolbar beside it
    screen = cv2.imread(str(tmp_path / "screen.png"))
    window = screen[geometry["Y"]:geometry["Y"] + geometry["Height"], geometry["X"]:geometry["X"] + geometry["Width"]]
    top = window[5:20, 200:600].reshape(-1, 3).mean(axis=0)
    # The first rows are the verdict's band in its state's colour: OpenCV's toolbar would be grey icons.
    assert min(np.abs(top - np.array(colour)).max() for colour in STATE_COLOURS.values()) < 25, top
    bottom = window[-25:, :]
    assert abs(float(np.median(bottom)) - 40) < 5 and bottom.max() > 150  # the keys' strip, with its text
    said = (tmp_path / "stderr.txt").read_text()
    assert "your upright posture is learned again" in said or "too few looks at you yet" in said  # u reached it
