"""The tray never aborts: before Qt starts, the libraries its platform plugin really lacks are read
from the plugin's own dependencies (the loader's listing) and said in one line with the packages
to install, exit 1. Tested on a machine made to lack libxcb-icccm4 and libxcb-keysyms1 (the
libraries hidden in a mount namespace of the test's own), where Qt itself would abort."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from conftest import WriteVideo
from desktop import desktop, need_qt_platform, without_libraries
from headwatch.system.qt_platform import (
    display_problem,
    install_hint,
    not_found,
    platform_problem,
    platforms_to_try,
)

pytest.importorskip("PySide6", reason="the desktop extra (Qt) is not installed")

# What ldd prints for Qt's xcb plugin on a machine without the two packages (abridged).
LISTING = """\tlinux-vdso.so.1 (0x00007ffd1b3f5000)
\tlibQt6XcbQpa.so.6 => /venv/PySide6/Qt/plugins/platforms/../../lib/libQt6XcbQpa.so.6 (0x00007f1c2a000000)
\tlibxcb-cursor.so.0 => /lib/x86_64-linux-gnu/libxcb-cursor.so.0 (0x00007f1c29f00000)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxcb-icccm.so.4 => not found
\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f1c29c00000)
"""
TWO_MISSING = ("Qt's xcb platform plugin cannot load: libxcb-icccm.so.4 and libxcb-keysyms.so.1 are not installed; "
               "sudo apt install libxcb-icccm4 libxcb-keysyms1 (Fedora: sudo dnf install xcb-util-wm "
               "xcb-util-keysyms; Arch: sudo pacman -S xcb-util-wm xcb-util-keysyms)")


def test_the_missing_libraries_are_read_from_the_loaders_listing() -> None:
    assert not_found(LISTING) == ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"]  # once each, in order
    assert install_hint(["libxcb-cursor.so.0"]) == ("sudo apt install libxcb-cursor0 (Fedora: sudo dnf install "
                                                   "xcb-util-cursor; Arch: sudo pacman -S xcb-util-cursor)")
    assert install_hint(["libfoo.so.3"]) == "install the package that provides libfoo.so.3"
    assert install_hint(["libxcb-shm.so.0", "libxcb-sync.so.1", "libfoo.so.3"]) == (
        "sudo apt install libxcb-shm0 libxcb-sync1 (Fedora: sudo dnf install libxcb; Arch: sudo pacman -S libxcb), "
        "and the package that provides libfoo.so.3")


def test_one_line_names_what_the_plugin_lacks(tmp_path: Path) -> None:
    (tmp_path / "libqxcb.so").write_bytes(b"")
    problem = platform_problem({"DISPLAY": ":0"}, "linux", run=lambda argv: LISTING, folder=tmp_path,
                               answers=lambda _: True)
    assert problem is not None and problem.line == TWO_MISSING
    assert problem.missing == ("libxcb-icccm.so.4", "libxcb-keysyms.so.1")
    fine = LISTING.replace(" => not found", " => /lib/x86_64-linux-gnu/x.so")
    assert platform_problem({"DISPLAY": ":0"}, "linux", run=lambda argv: fine, folder=tmp_path,
                            answers=lambda _: True) is None
    # No ldd to ask: Qt is left to try, as before.
    assert platform_problem({"DISPLAY": ":0"}, "linux", run=lambda argv: None, folder=tmp_path,
                            answers=lambda _: True) is None
    assert platform_problem({}, "darwin", run=lambda argv: LISTING, folder=tmp_path) is None  # Qt's own there


@pytest.mark.parametrize(("env", "platforms"), [
    ({}, ["xcb"]),
    ({"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0"}, ["wayland", "xcb"]),
    ({"QT_QPA_PLATFORM": "offscreen"}, ["offscreen"]),
    ({"QT_QPA_PLATFORM": "wayland;xcb:nomitshm"}, ["wayland", "xcb"]),
])
def test_the_platforms_qt_will_try(env: dict[str, str], platforms: list[str]) -> None:
    assert platforms_to_try(env) == platforms


def test_no_display_is_said_too() -> None:
    assert display_problem("xcb", {}) == "no X display here (DISPLAY is not set)"
    assert display_problem("xcb", {"DISPLAY": ":93"}, answers=lambda _: False) == "the X display :93 does not answer"
    assert display_problem("xcb", {"DISPLAY": "far:0"}, answers=lambda _: False) is None  # Qt's to find out
    assert display_problem("wayland", {"WAYLAND_DISPLAY": "w-1", "XDG_RUNTIME_DIR": "/run/u"},
                           answers=lambda path: path == "/run/u/w-1") is None


@pytest.fixture
def clip(write_video: WriteVideo, grace_hopper: np.ndarray) -> Path:
    return write_video("sitting.mp4", [cv2.resize(grace_hopper, (256, 288))] * 50, 10.0)


def test_without_a_display_the_tray_says_so_and_exits_1(clip: Path) -> None:
    need_qt_platform()  # where a library is missing, that is what the line says
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    run = subprocess.run([sys.executable, "-m", "headwatch", "monitor", "--tray", "--source", str(clip),
                          "--no-history", "--notify", "none"], env=env, capture_output=True, text=True, timeout=120)
    assert (run.returncode, run.stderr) == (1, "headwatch: error: the tray cannot start: no X display here (DISPLAY "
                                               "is not set): run it inside your desktop session, or `headwatch "
                                               "monitor` in a terminal\n")


def test_a_plugin_lacking_libraries_is_one_line_and_exit_1_not_an_abort(tmp_path: Path, clip: Path) -> None:
    """The issue's machine: Qt's xcb plugin lacks libxcb-icccm4 and libxcb-keysyms1 (Qt's own
    message blames libxcb-cursor0, which is there) and a display is up."""
    hide = without_libraries(tmp_path / "hidden", "libxcb-icccm.so.4", "libxcb-keysyms.so.1")
    with desktop(tmp_path) as env:
        run = subprocess.run([*hide, sys.executable, "-m", "headwatch", "monitor", "--tray", "--source", str(clip),
                              "--no-history", "--notify", "none", "--duration", "3"], env={**os.environ, **env},
                             capture_output=True, text=True, timeout=120)
        doctor = subprocess.run([*hide, sys.executable, "-m", "headwatch", "doctor", "--source", str(clip)],
                                env={**os.environ, **env}, capture_output=True, text=True, timeout=180)
    assert (run.returncode, run.stderr) == (1, f"headwatch: error: the tray cannot start: {TWO_MISSING}\n")
    (tray,) = [line for line in doctor.stdout.splitlines() if line[5:].startswith("tray ")]
    assert tray == f"FIX  tray           {TWO_MISSING}"
    assert doctor.returncode == 1
