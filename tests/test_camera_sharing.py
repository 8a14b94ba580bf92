"""Free for video calls (Linux): another program that opens the camera's device node is found in
/proc, headwatch releases the camera for it and takes it again once it lets go. A real second
process holds the device open (a temporary file stands in for /dev/videoN: opening a file and a
device node are the same system call and leave the same /proc link), and a video file stands in
for the camera up to the cv2.VideoCapture edge."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from conftest import CameraAtTheEdge, WriteVideo, wait_for
from headwatch.app.assemble import DEFAULT_LIMITS
from headwatch.app.monitor import Monitor, camera_in_use
from headwatch.posture.reference import FixedJudge
from headwatch.report.status import format_summary
from headwatch.system.camera_users import CameraSharing, CameraUser, camera_device, users_of
from headwatch.timeline.alerts import AlertEngine
from headwatch.timeline.sampling import SamplingPolicy
from headwatch.types import AlertEvent, EventKind
from headwatch.vision import sources
from headwatch.vision.pose import PoseEstimator
from headwatch.vision.sources import LiveReader

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc and inotify are Linux's")

# A video call: a process named "zoom" (its name set as a program's own is) that opens the device
# and holds it until its standard input closes.
HOLDER = """
import ctypes, sys
ctypes.CDLL(None).prctl(15, b"zoom", 0, 0, 0)
device = open(sys.argv[1], "rb")
print("holding", flush=True)
sys.stdin.read()
"""


@pytest.fixture
def device(tmp_path: Path) -> Path:
    node = tmp_path / "video7"
    node.write_bytes(b"")
    return node


def hold(device: Path) -> subprocess.Popen[str]:
    process = subprocess.Popen([sys.executable, "-c", HOLDER, str(device)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdout.readline().strip() == "holding"
    return process


def let_go(process: subprocess.Popen[str]) -> None:
    assert process.stdin is not None
    process.stdin.close()
    process.wait(10)


def test_the_other_program_is_found_by_its_open_device(device: Path) -> None:
    assert users_of(device) == []
    other = hold(device)
    try:
        assert users_of(device) == [CameraUser(other.pid, "zoom")]
        assert users_of(device, own_pid=other.pid) == []  # headwatch's own hold is not another's
    finally:
        let_go(other)
    assert users_of(device) == []
    assert camera_device("0", "linux") == Path("/dev/video0") and camera_device("0", "darwin") is None
    assert camera_device("rtsp://cam/1", "linux") is None


def test_proc_is_read_only_when_the_device_was_opened_or_closed(device: Path) -> None:
    """Reading every process's open files costs milliseconds: asked every second all day, it is
    done only after an open or a close of the device node (inotify), and while another holds it."""
    scans: list[float] = []

    def counted(node: Path) -> list[CameraUser]:
        scans.append(time.monotonic())
        return users_of(node)

    sharing = CameraSharing(device, users=counted)
    try:
        assert sharing.other() is None and len(scans) == 1  # the first ask looks
        for _ in range(20):
            assert sharing.other() is None
        assert len(scans) == 1  # nothing happened to the device: nothing read
        other = hold(device)
        assert sharing.other() == "zoom"
        let_go(other)
        assert sharing.other() is None
        assert len(scans) == 3
    finally:
        sharing.close()


def test_the_camera_is_released_for_a_video_call_and_taken_again(
        device: Path, write_video: WriteVideo, grace_hopper: np.ndarray, monkeypatch: pytest.MonkeyPatch) -> None:
    clip = write_video("camera.mp4", [cv2.resize(grace_hopper, (256, 288))] * 600, 10.0)
    edge: list[tuple[str, float]] = []
    monkeypatch.setattr(sources, "open_capture", lambda spec: CameraAtTheEdge(clip, edge))
    events: list[AlertEvent] = []
    sharing = CameraSharing(device)
    with PoseEstimator("lite", mode="video") as detector:
        loop = Monitor(LiveReader("0", time.monotonic), detector, FixedJudge(DEFAULT_LIMITS, "absolute limits"),
                       AlertEngine(), policy=SamplingPolicy(fps=2.0, calm_fps=0.2), realtime=True,
                       on_event=events.append,
                       step_aside=lambda: camera_in_use(other) if (other := sharing.other()) else None)
        running = threading.Thread(target=loop.run)
        running.start()
        try:
            assert wait_for(lambda: sum(1 for what, _ in edge if what == "read") >= 4)
            other = hold(device)
            opened_by_other = time.monotonic()
            assert wait_for(lambda: any(what == "release" for what, _ in edge), 10)
            time.sleep(2.0)  # the call goes on
            let_go(other)
            closed_by_other = time.monotonic()
            assert wait_for(lambda: [what for what, _ in edge].count("open") == 2, 10)
            assert wait_for(lambda: [e.kind for e in events][-1:] == [EventKind.CAMERA_FREE], 10)
        finally:
            loop.stop()
            running.join(30)
            sharing.close()
    released = next(at for what, at in edge if what == "release")
    retaken = [at for what, at in edge if what == "open"][1]
    print(f"released {released - opened_by_other:.2f} s after the other opened the device, "
          f"taken again {retaken - closed_by_other:.2f} s after it closed it")
    assert released - opened_by_other < 2.0
    assert retaken - closed_by_other < 5.0
    assert not [at for what, at in edge if what == "read" and released < at < retaken]
    in_use, free = [e for e in events if e.kind in (EventKind.CAMERA_IN_USE, EventKind.CAMERA_FREE)]
    assert in_use.kind is EventKind.CAMERA_IN_USE and in_use.cause == "zoom" and free.start_s == in_use.t_s
    # The monitor's own measure also holds the event's writing and the device's opening again.
    assert retaken - released - 0.05 <= free.values["aside_s"] <= retaken - released + 1.0
    assert loop.summary.camera_off_s == pytest.approx(free.values["aside_s"])  # not sitting, not away
    assert "  camera off       " in format_summary(loop.summary)


class Busy:
    """What OpenCV returns for a camera another program streams from: a capture that is not open."""

    def isOpened(self) -> bool:
        return False

    def release(self) -> None:
        return None


def test_a_camera_busy_at_start_names_the_program_holding_it(device: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from headwatch.cli import app

    monkeypatch.setattr(sources, "open_capture", lambda spec: Busy())
    monkeypatch.setattr("headwatch.system.camera_users.camera_device", lambda spec, platform="linux": device)
    other = hold(device)
    try:
        result = CliRunner().invoke(app, ["monitor", "--source", "0", "--notify", "none", "--no-history"])
    finally:
        let_go(other)
    assert result.exit_code == 1, repr(result.exception)
    assert result.stderr == (f"headwatch: error: camera 0 is in use by zoom (pid {other.pid}): start headwatch when "
                             "it is done, or choose another camera with --source N (a running monitor steps aside "
                             "for a video call by itself)\n")


def test_the_tray_and_the_status_line_say_who_has_the_camera() -> None:
    from headwatch.report.status import desk_state
    from headwatch.timeline.session import Status
    from headwatch.types import State, Verdict

    aside = camera_in_use("zoom")
    state = desk_state(Status(3.0, Verdict(State.UNKNOWN), None, False, 0.0, 0.0, note=aside.note))
    assert state.name == "away"  # neither good nor bad: nobody is watched
    assert state.tooltip == ("headwatch: the camera is in use by zoom: headwatch steps aside and takes it again "
                             "when it is free")


def test_doctor_names_the_program_holding_the_camera(device: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from headwatch.cli import app

    monkeypatch.setattr(sources, "open_capture", lambda spec: Busy())
    monkeypatch.setattr("headwatch.system.camera_users.camera_device", lambda spec, platform="linux": device)
    other = hold(device)
    try:
        result = CliRunner().invoke(app, ["doctor", "--source", "0"])
    finally:
        let_go(other)
    assert result.exit_code == 1, repr(result.exception)
    (camera,) = [line for line in result.stdout.splitlines() if line[5:].startswith("camera 0")]
    assert camera.startswith(f"FIX  camera 0       camera 0 is in use by zoom (pid {other.pid}): ")
