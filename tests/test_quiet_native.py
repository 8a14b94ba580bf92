"""What reaches the user's terminal from MediaPipe's native code: nothing, unless -v asks for it.

Real headwatch processes: MediaPipe's C++ writes straight to fd 2 (mediapipe 1.2.3 logs two
`INFO: ... DestroyAccelerator` lines from every landmarker's close()), which no Python-level
redirection can catch, so the check is on the process's real stderr.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from conftest import WriteVideo, pad_and_rotate
from headwatch.vision.pose import missing_library_message


def headwatch(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "HEADWATCH_NATIVE_DIAGNOSTICS"}
    return subprocess.run([sys.executable, "-m", "headwatch", *argv], capture_output=True, text=True, timeout=300,
                          cwd=cwd, env=env)


# How each of headwatch's own stderr lines starts: errors and warnings ("headwatch: ..."), hints and notes.
OWN_LINE = re.compile(r"^(headwatch|hint|note)\b")


def foreign_lines(stderr: str) -> list[str]:
    """stderr lines that are not headwatch's own."""
    return [line for line in stderr.splitlines() if line.strip() and not OWN_LINE.match(line)]


@pytest.fixture
def clip(write_video: WriteVideo, grace_hopper: np.ndarray) -> Path:
    frame = cv2.resize(pad_and_rotate(grace_hopper, 0.0, 0.25), (256, 288))
    return write_video("clip.mp4", [frame] * 30, 10.0)


@pytest.fixture
def photo_set(tmp_path: Path, grace_hopper: np.ndarray) -> Path:
    root = tmp_path / "set"
    for label, angle in (("good", 0.0), ("poor", -15.0)):
        (root / label).mkdir(parents=True)
        cv2.imwrite(str(root / label / "a.png"), cv2.resize(pad_and_rotate(grace_hopper, angle, 0.25), (256, 288)))
    return root


def test_every_command_that_runs_mediapipe_keeps_its_native_lines_away(clip: Path, photo_set: Path,
                                                                       tmp_path: Path) -> None:
    commands = {
        "analyze": ["analyze", str(clip), "--jobs", "1"],
        "analyze --jobs 2": ["analyze", str(clip), str(photo_set / "good" / "a.png"), "--jobs", "2"],
        "monitor": ["monitor", "--source", str(clip), "--no-realtime", "--notify", "none", "--no-history"],
        "calibrate": ["calibrate", "--source", str(clip), "--profile", "quiet"],
        "eval": ["eval", str(photo_set)],
    }
    for name, argv in commands.items():
        done = headwatch(*argv, cwd=tmp_path)
        assert done.returncode == 0, (name, done.stderr)
        assert foreign_lines(done.stderr) == [], name


def test_verbose_lets_the_native_lines_through(clip: Path, tmp_path: Path) -> None:
    """The check above can fail: with -v the same run shows MediaPipe's own lines. If a MediaPipe
    release stops logging at close, this fails: then find another native line to show, or drop it."""
    done = headwatch("-v", "analyze", str(clip), "--jobs", "1", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert any("DestroyAccelerator" in line for line in foreign_lines(done.stderr)), done.stderr


def test_a_missing_system_library_is_one_line(clip: Path, tmp_path: Path) -> None:
    """libmediapipe links libEGL.so.1: a broken one found first on the library path is what a
    machine without EGL meets (the loader fails on it the same way), and gets one clear line."""
    fake = tmp_path / "libs"
    fake.mkdir()
    (fake / "libEGL.so.1").write_bytes(b"not a library")
    env = {**os.environ, "LD_LIBRARY_PATH": str(fake)}
    done = subprocess.run([sys.executable, "-m", "headwatch", "analyze", str(clip), "--jobs", "1"],
                          capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    if sys.platform != "linux":
        pytest.skip("LD_LIBRARY_PATH steers the loader on Linux only")
    assert done.returncode == 1
    (line,) = done.stderr.strip().splitlines()
    assert "MediaPipe's native library cannot be loaded" in line and "libEGL.so.1" in line
    assert "sudo apt install libegl1 libgles2" in line


@pytest.mark.parametrize(("platform", "hint"), [("linux", "libegl1 libgles2"), ("darwin", "macOS 12"),
                                                ("win32", "Visual C++ Redistributable"), ("freebsd14", "reinstall")])
def test_the_missing_library_hint_fits_the_system(platform: str, hint: str) -> None:
    message = missing_library_message("libEGL.so.1: cannot open shared object file\nmore", platform)
    assert "\n" not in message and "(libEGL.so.1: cannot open shared object file)" in message and hint in message
