"""The tray icon under Xvfb with a real tray host (trayer): it docks, its colour is the state, its
menu pauses, resumes, snoozes, re-learns, shows the preview, opens the report and quits; and
without a tray host `monitor --tray` says so in one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from conftest import WriteVideo, wait_for
from desktop import desktop, need, need_qt_platform, start, stop
from headwatch.report.status import DESK_COLOURS

pytest.importorskip("PySide6", reason="the desktop extra (Qt) is not installed")
TRAY_WIDTH, TRAY_HEIGHT = 120, 32
DRIVER = Path(__file__).with_name("tray_driver.py")


def tray_colours(screenshot: Path, screen_width: int) -> set[str]:
    """Which state colours fill a noticeable part of the tray host's strip (top right)."""
    image = cv2.imread(str(screenshot))[:TRAY_HEIGHT, screen_width - TRAY_WIDTH:]
    found = set()
    for name, (r, g, b) in DESK_COLOURS.items():
        close = np.all(np.abs(image.astype(int) - np.array([b, g, r])) <= 12, axis=2)
        if close.sum() >= 60:  # a disc of 16 px or more, not an antialiased fringe
            found.add(name)
    return found


@pytest.fixture(autouse=True)
def qt_can_load() -> None:
    """Where Qt's xcb plugin lacks a library, these tests skip with the library named."""
    need_qt_platform()


@pytest.fixture
def clip(write_video: WriteVideo, grace_hopper: np.ndarray) -> Path:
    return write_video("sitting.mp4", [cv2.resize(grace_hopper, (256, 288))] * 600, 10.0)  # 60 s


def test_the_tray_docks_shows_the_state_and_obeys_its_menu(tmp_path: Path, clip: Path, isolated_settings: Path
                                                          ) -> None:
    need("trayer", "import")
    with desktop(tmp_path) as env:
        host = start(["trayer", "--edge", "top", "--align", "right", "--widthtype", "pixel", "--width",
                      str(TRAY_WIDTH), "--heighttype", "pixel", "--height", str(TRAY_HEIGHT), "--transparent",
                      "false", "--tint", "0x202020"], env, tmp_path / "trayer.log")
        try:
            run = subprocess.run([sys.executable, str(DRIVER), str(clip), str(tmp_path)], env={**os.environ, **env},
                                 capture_output=True, text=True, timeout=240)
        finally:
            stop(host)
    assert run.returncode == 0, run.stderr
    seen = json.loads((tmp_path / "seen.json").read_text())
    assert seen["tray_available"] and seen["error"] is None
    assert seen["steps_left"] == 0, seen
    watching = seen["watching"]
    assert watching["state"] in ("good", "learning", "bad", "alert")
    assert tray_colours(tmp_path / "watching.png", 800) == {watching["state"]}  # the icon is docked, in its colour
    assert seen["paused"]["state"] == "paused"
    assert tray_colours(tmp_path / "paused.png", 800) == {"paused"}
    assert seen["paused"]["resume_enabled"] and not seen["paused"]["pause_enabled"]
    assert seen["paused"]["menu_status"].startswith("paused")
    assert seen["resumed"]["state"] != "paused" and not seen["resumed"]["resume_enabled"]
    assert seen["snoozed"]["tooltip"].endswith("notifications snoozed")
    assert seen["upright"] is True  # a setup_changed event, cause "you", in the events file
    events = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    assert [e["kind"] for e in events if e["kind"] in ("paused", "resumed")] == ["paused", "resumed"]
    (page,) = seen["opened"]
    assert page == (isolated_settings / "cache" / "headwatch" / "today.html").as_uri()
    assert "<html" in (isolated_settings / "cache" / "headwatch" / "today.html").read_text()
    assert "session summary" in seen["summary"]
    preview = cv2.imread(str(tmp_path / "preview.png"))
    assert preview[TRAY_HEIGHT:].std() > 20  # a drawn frame on screen, not an empty desktop


def test_without_a_tray_host_notifications_and_the_preview_on_demand(tmp_path: Path, tilting_clip: Path) -> None:
    """A desktop without a tray (GNOME without an extension): --tray goes on with what works, says
    so in one line, and an alert's Show preview button, pressed in dunst's own menu, opens the
    preview window."""
    need("dunst", "dunstctl", "xdotool")
    picker = tmp_path / "pick.sh"
    picker.write_text("#!/bin/sh\ngrep -m1 'Show preview'\n")
    picker.chmod(0o755)
    (tmp_path / "dunstrc").write_text(f"[global]\n    dmenu = {picker}\n")
    events = tmp_path / "events.jsonl"
    with desktop(tmp_path) as env:
        everything = {**os.environ, **env}
        daemon = start(["dunst", "-config", str(tmp_path / "dunstrc")], env, tmp_path / "dunst.log")
        try:
            assert wait_for(lambda: subprocess.run(["dunstctl", "is-paused"], env=everything,
                                                   capture_output=True).returncode == 0)
            monitor = subprocess.Popen([sys.executable, "-m", "headwatch", "monitor", "--tray", "--source",
                                        str(tilting_clip), "--realtime", "--no-history", "--bad-for", "3",
                                        "--reference", "absolute", "--events", str(events)],
                                       env=everything, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            try:
                assert wait_for(lambda: events.exists() and "bad_posture" in events.read_text())
                assert wait_for(lambda: subprocess.run(  # the notification on its way to dunst
                    ["dunstctl", "count", "displayed"], env=everything, capture_output=True,
                    text=True).stdout.strip() not in ("", "0"))
                subprocess.run(["dunstctl", "context"], env=everything, timeout=10, check=True)
                assert wait_for(lambda: subprocess.run(
                    ["xdotool", "search", "--onlyvisible", "--name", "headwatch preview"], env=everything,
                    capture_output=True).returncode == 0, 15)
            finally:
                out, err = monitor.communicate(timeout=90)
        finally:
            stop(daemon)
    assert monitor.returncode == 0, err
    (note,) = [line for line in err.splitlines() if "tray" in line]
    assert note.startswith("note: no system tray here (no tray host on this desktop): headwatch watches without "
                           "its icon; alerts come as notifications, their Show preview button opens the preview")
    assert "session summary" in out and "Traceback" not in err


def test_without_a_tray_host_exit_when_asked_one_line_and_exit_1(tmp_path: Path, clip: Path) -> None:
    with desktop(tmp_path) as env:
        run = subprocess.run([sys.executable, "-m", "headwatch", "monitor", "--tray", "--source", str(clip),
                              "--no-history", "--notify", "none", "--duration", "5"],
                             env={**os.environ, **env, "HEADWATCH_NOTIFY_WITHOUT_TRAY": "exit"},
                             capture_output=True, text=True, timeout=120)
    assert run.returncode == 1
    assert run.stderr.strip().splitlines()[-1] == ("headwatch: error: no system tray here (no tray host on this "
                                                   "desktop, or no desktop): run `headwatch monitor` in a terminal "
                                                   "instead")
    assert "Traceback" not in run.stderr


def test_a_monitor_that_fails_unexpectedly_ends_the_tray_with_one_line(tmp_path: Path, clip: Path) -> None:
    with desktop(tmp_path) as env:
        run = subprocess.run([sys.executable, str(DRIVER), str(clip), str(tmp_path), "--crash"],
                             env={**os.environ, **env}, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    seen = json.loads((tmp_path / "seen.json").read_text())
    assert seen["error"] == "the monitor stopped unexpectedly (RuntimeError: boom); -v shows more"
    assert seen["icon_visible"] is False
