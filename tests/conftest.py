"""Shared fixtures: real photos that ship with the dependencies, one real pose model per session,
and a helper that writes real video files."""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import os
import re
import shutil
import string
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import cv2
import matplotlib
import numpy as np
import pytest

from headwatch.system import netguard
from headwatch.vision.pose import PoseEstimator

BGRImage = np.ndarray

# The headwatch processes the tests start import it from this checkout too, as pytest does
# (pythonpath in pyproject.toml): the editable install may point at another checkout.
SRC = Path(__file__).resolve().parents[1] / "src"
os.environ["PYTHONPATH"] = os.pathsep.join([str(SRC), *filter(None, [os.environ.get("PYTHONPATH")])])


def load_tool(name: str) -> ModuleType:
    """A script of tools/ imported as a module (tools/ is no package), under its own name."""
    spec = importlib.util.spec_from_file_location(name, SRC.parent / "tools" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def wait_for(condition: Callable[[], object], seconds: float = 30.0) -> bool:
    """Poll ``condition`` until it holds (True) or ``seconds`` pass (False)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture(scope="session")
def grace_hopper() -> BGRImage:
    image = cv2.imread(str(Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"))
    assert image is not None
    return image


@pytest.fixture(scope="session")
def astronaut() -> BGRImage:
    from skimage import data

    return np.ascontiguousarray(data.astronaut()[:, :, ::-1])


@pytest.fixture(scope="session")
def image_estimator() -> Iterator[PoseEstimator]:
    with PoseEstimator("full", mode="image") as estimator:
        yield estimator


def pad_and_rotate(image: BGRImage, degrees: float, pad_share: float = 0.5) -> BGRImage:
    """Pad (so the shoulders stay in frame), then rotate counter-clockwise as displayed."""
    pad = int(max(image.shape[:2]) * pad_share)
    padded = cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    height, width = padded.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
    return cv2.warpAffine(padded, matrix, (width, height), borderMode=cv2.BORDER_REPLICATE)


WriteVideo = Callable[..., Path]

# A clip of one repeated frame is long work only while the pose model runs on every look (it rests
# while the picture holds still: vision/stillness.py): the environment of a subprocess that must be
# busy measuring when it is interrupted.
EVERY_LOOK_ENV = {**os.environ, "HEADWATCH_CAPTURE_REST_WHEN_STILL": "false"}


# What a user without root's rights meets (root reads and writes everything): the command runs as
# nobody, from a folder anybody may use.
needs_nobody = pytest.mark.skipif(sys.platform != "linux" or not hasattr(os, "geteuid") or os.geteuid() != 0
                                  or not Path("/usr/bin/setpriv").exists(),
                                  reason="runs headwatch as another user (nobody): root with setpriv on Linux")


NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


@functools.cache
def why_nobody_cannot_run_headwatch() -> str | None:
    """Why nobody cannot run this checkout's headwatch, or None when it can: cloned into a folder
    only its owner may enter (a `mktemp -d`, a 0700 home), the package is out of nobody's reach."""
    probe = subprocess.run([*NOBODY, sys.executable, "-c", "import headwatch"], capture_output=True, text=True,
                           timeout=120, cwd="/")
    if probe.returncode == 0:
        return None
    said = (probe.stderr.strip().splitlines() or [f"exit {probe.returncode}"])[-1]
    return (f"nobody cannot run headwatch from {Path(__file__).resolve().parents[1]} ({said}): the checkout or "
            "its Python lies in a folder only its owner may enter; clone it where others may read to run these")


@pytest.fixture
def nobodys_home() -> Iterator[Path]:
    """A folder in /tmp anybody may use (pytest's own are root's alone), removed afterwards; the
    test skips, saying why, where nobody cannot run this checkout's headwatch at all."""
    import shutil
    import tempfile

    reason = why_nobody_cannot_run_headwatch()
    if reason is not None:
        pytest.skip(reason)
    root = Path(tempfile.mkdtemp(prefix="headwatch-nobody-"))
    root.chmod(0o777)
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)  # root may remove what nobody may not read


def as_nobody(home: Path, *argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``headwatch ARGV`` run as nobody with ``home`` for its home and user folders, and none of the
    folders this (root's) process or the tests set up."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("HEADWATCH_OUTPUT", "MPLCONFIGDIR"))}
    environment |= {"HOME": str(home), "XDG_CONFIG_HOME": str(home / "cfg"), "XDG_DATA_HOME": str(home / "data"),
                    "XDG_CACHE_HOME": str(home / "cache"), "XDG_RUNTIME_DIR": str(home / "run"), **(env or {})}
    return subprocess.run([*NOBODY, sys.executable, "-m", "headwatch", *argv], capture_output=True, text=True,
                          timeout=180, env=environment, cwd=home)


@contextlib.contextmanager
def exclusive_lock(database: Path) -> Iterator[None]:
    """Another process holding BEGIN EXCLUSIVE on an SQLite file while the block runs."""
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sqlite3, time\n"
        f"db = sqlite3.connect({str(database)!r}, isolation_level=None)\n"
        "db.execute('BEGIN EXCLUSIVE')\n"
        "print('locked', flush=True)\n"
        "time.sleep(120)\n")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        yield
    finally:
        holder.kill()
        holder.wait()


def mutate_text(text: str, data: Any, extra_characters: str) -> str:
    """One to four random inserts, deletions or replacements (``data`` is hypothesis' st.data())."""
    from hypothesis import strategies as st

    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(text)))
        action = data.draw(st.sampled_from(["insert", "delete", "replace"]))
        piece = data.draw(st.text(alphabet=string.printable + extra_characters, max_size=6))
        if action == "insert":
            text = text[:position] + piece + text[position:]
        elif action == "delete":
            text = text[:position] + text[position + len(piece):]
        else:
            text = text[:position] + piece + text[position + len(piece):]
    return text


@pytest.fixture
def write_video(tmp_path: Path) -> WriteVideo:
    """write_video(name, frames, fps) -> path of a real mp4 written with cv2.VideoWriter."""

    def write(name: str, frames: list[BGRImage], fps: float) -> Path:
        path = tmp_path / name
        height, width = frames[0].shape[:2]
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
        assert writer.isOpened()
        for frame in frames:
            writer.write(frame)
        writer.release()
        return path

    return write


# The tilting clip's lean, and the ear-height limit it is judged with. Every metric stays clear of
# its limit: shoulder tilt about 0 level and 10.5 leaning (limit 8), head roll -2.6 and 9.6 (limit
# 15). Grace Hopper's photo carries its ears only 6 % above the default ear-height limit (1.44 face
# widths against 1.35), and a rolled image moves that by a few percent either way: so the clip is
# judged with that limit at 1.2, and only the shoulder tilt decides.
TILT_DEG = -12.0
TILTING_CLIP_EAR_LIMIT = "1.2"


@pytest.fixture
def tilting_clip(write_video: WriteVideo, grace_hopper: BGRImage, monkeypatch: pytest.MonkeyPatch) -> Path:
    """16 s at 10 fps: level for 2 s, leaning 12 degrees (her left shoulder down) for 7 s, level
    again for 7 s. With the default shoulder-tilt band, the middle is bad posture, for that reason alone."""
    monkeypatch.setenv("HEADWATCH_THRESHOLDS_EAR_HEIGHT_FACE_RATIO", TILTING_CLIP_EAR_LIMIT)
    level = cv2.resize(pad_and_rotate(grace_hopper, 0.0, 0.25), (256, 288))
    leaning = cv2.resize(pad_and_rotate(grace_hopper, TILT_DEG, 0.25), (256, 288))
    frames = [level] * 20 + [leaning] * 70 + [level] * 70
    return write_video("tilting.mp4", frames, 10.0)


needs_guard = pytest.mark.skipif(not netguard.supported(), reason="the seccomp guard is Linux (x86-64, arm64) only")
needs_strace = pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed")

# strace lines of the calls that would reach the network: an internet socket created (a return
# value that is not -1), or any connect/sendto/sendmsg to an internet address.
_INTERNET_SOCKET = re.compile(r"socket\(AF_INET6?,[^)]*\)\s*=\s*(\d+)")
_INTERNET_SEND = re.compile(r"(connect|sendto|sendmsg)\(.*sa_family=AF_INET6?")


def traced(tmp_path: Path, *argv: str, calls: str = "network") -> tuple[subprocess.CompletedProcess[str], str]:
    """``argv`` run under ``strace -f`` (its children too), the system calls of the ``calls`` class
    logged: the finished process and the log."""
    log = tmp_path / "strace.log"
    done = subprocess.run(["strace", "-f", "-qq", "-e", f"trace={calls}", "-o", str(log), *argv],
                          capture_output=True, text=True, timeout=300)
    return done, log.read_text()


def internet_calls(trace: str) -> list[str]:
    return [line for line in trace.splitlines() if _INTERNET_SOCKET.search(line) or _INTERNET_SEND.search(line)]


@pytest.fixture(autouse=True)
def network_guard_left_to_subprocesses(monkeypatch: pytest.MonkeyPatch) -> None:
    """The seccomp network guard cannot be lifted once installed: commands run in this process
    (CliRunner) must not install it, or every later test would run without the network. The real
    guard is tested on real headwatch processes (test_privacy.py)."""
    # As if installed: "could not be set" is a warning line of its own (test_privacy.py).
    monkeypatch.setattr("headwatch.system.netguard.deny_network", lambda: True)


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test reads or writes the real user's config or profiles."""
    home = tmp_path_factory.mktemp("home")
    for variable in [v for v in os.environ if v.startswith("HEADWATCH_") and v != "HEADWATCH_MODELS_DIR"]:
        monkeypatch.delenv(variable)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))  # the tray's report page
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(home / "run"))  # the pause/resume channel
    monkeypatch.setenv("HEADWATCH_OUTPUT_PROFILES_DIR", str(home / "profiles"))
    # The tests' clips are seconds long: they are sampled at 5 fps, not the default 1, to have
    # frames enough (test_default_analysis_rate checks the default itself).
    monkeypatch.setenv("HEADWATCH_CAPTURE_ANALYZE_FPS", "5")
    return home


class CameraAtTheEdge:
    """cv2.VideoCapture on a video file in the camera's place, noting when it opens, reads and lets go
    (the capture edge for the tests of releasing the camera)."""

    def __init__(self, clip: Path, log: list[tuple[str, float]]) -> None:
        self.capture = cv2.VideoCapture(str(clip))
        self.log = log
        log.append(("open", time.monotonic()))

    def isOpened(self) -> bool:
        return bool(self.capture.isOpened())

    def set(self, prop: int, value: float) -> bool:
        return True

    def grab(self) -> bool:
        return bool(self.capture.grab())

    def read(self) -> tuple[bool, np.ndarray | None]:
        self.log.append(("read", time.monotonic()))
        return self.capture.read()

    def release(self) -> None:
        self.log.append(("release", time.monotonic()))
        self.capture.release()
