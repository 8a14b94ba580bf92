"""No internet socket leaves a real headwatch process: checked at the system-call level with strace
(Linux, where strace is installed), and the seccomp guard checked directly everywhere it applies."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from conftest import WriteVideo, internet_calls, needs_guard, needs_strace, traced


@pytest.fixture
def photo_and_clip(tmp_path: Path, grace_hopper: np.ndarray, write_video: WriteVideo) -> tuple[Path, Path]:
    photo = tmp_path / "photo.png"
    cv2.imwrite(str(photo), grace_hopper)
    clip = write_video("clip.mp4", [cv2.resize(grace_hopper, (256, 320))] * 10, 5.0)
    return photo, clip


@needs_guard
@needs_strace
def test_analyze_opens_no_internet_socket(tmp_path: Path, photo_and_clip: tuple[Path, Path]) -> None:
    photo, clip = photo_and_clip
    done, trace = traced(tmp_path, sys.executable, "-m", "headwatch", "analyze", str(photo), str(clip))
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == ""  # the refused lookups are silent: no error line for the user
    assert "socket(" in trace  # strace saw the process's sockets (AF_UNIX ones, refused attempts)
    assert internet_calls(trace) == []


@needs_guard
@needs_strace
def test_without_the_guard_the_trace_shows_mediapipe_reaching_out(tmp_path: Path) -> None:
    """The check above can fail: MediaPipe alone, unguarded, creates internet sockets (its
    telemetry's DNS lookup)."""
    script = ("from headwatch.vision.pose import PoseEstimator\n"
              "import numpy as np, time\n"
              "with PoseEstimator('lite', mode='image') as e:\n"
              "    e.detect(np.zeros((64, 64, 3), np.uint8))\n"
              "    time.sleep(2)\n")
    done, trace = traced(tmp_path, sys.executable, "-c", script)
    assert done.returncode == 0, done.stderr
    assert internet_calls(trace), "MediaPipe made no internet socket unguarded: update this test"


@needs_guard
def test_the_guard_refuses_internet_sockets_and_keeps_local_ones() -> None:
    script = ("import socket\n"
              "from headwatch.system.netguard import deny_network\n"
              "assert deny_network()\n"
              "socket.socket(socket.AF_UNIX, socket.SOCK_STREAM).close()\n"
              "for family in (socket.AF_INET, socket.AF_INET6):\n"
              "    try:\n"
              "        socket.socket(family, socket.SOCK_DGRAM)\n"
              "    except PermissionError:\n"
              "        continue\n"
              "    raise SystemExit(f'{family} was allowed')\n"
              "import threading\n"  # threads started after the filter inherit it
              "errors = []\n"
              "def probe():\n"
              "    try:\n"
              "        socket.socket(socket.AF_INET, socket.SOCK_STREAM)\n"
              "    except PermissionError:\n"
              "        errors.append('refused')\n"
              "t = threading.Thread(target=probe); t.start(); t.join()\n"
              "assert errors == ['refused'], errors\n"
              "print('guarded')\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "guarded"


@needs_guard
@pytest.mark.skipif(os.uname().machine != "x86_64" if hasattr(os, "uname") else True,
                    reason="the seccomp-refusing launcher knows x86-64's syscall number only")
def test_without_seccomp_the_guard_says_it_is_off(photo_and_clip: tuple[Path, Path]) -> None:
    """Where seccomp() is refused (a container, an old kernel) the guard cannot be set: one line says
    so, once, and the analysis goes on; with seccomp there is no such line."""
    photo, clip = photo_and_clip
    launcher = Path(__file__).with_name("without_seccomp.py")
    command = [sys.executable, "-m", "headwatch", "analyze", str(photo), str(clip)]
    refused = subprocess.run([sys.executable, str(launcher), *command], capture_output=True, text=True, timeout=300)
    assert refused.returncode == 0, refused.stderr
    said = [line for line in refused.stderr.splitlines() if "network guard" in line]
    expected = ("headwatch: warning: the network guard could not be set here (seccomp refused: a container or "
                "sandbox without it); headwatch opens no connection itself, but nothing enforces it")
    assert said == [expected], refused.stderr
    guarded = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert guarded.returncode == 0 and "network guard" not in guarded.stderr


def test_a_stream_url_keeps_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    from headwatch.app.context import stay_offline

    calls: list[str] = []
    monkeypatch.setattr("headwatch.system.netguard.deny_network", lambda: calls.append("guard") or True)
    assert stay_offline("rtsp://camera.local/stream") is False
    assert calls == []
    assert stay_offline("0", "clip.mp4") is True and calls == ["guard"]


def _seccomp_mode(pid: int) -> int | None:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Seccomp:"):
            return int(line.split()[1])
    return None


@needs_guard
def test_a_hook_keeps_the_network_and_mediapipes_process_does_not(tmp_path: Path, write_video: WriteVideo,
                                                                  grace_hopper: np.ndarray) -> None:
    """With an --on-alert hook the monitor's own process is still filtered (the kernel says so in
    /proc/PID/status), while the hook, run by a process started before the filter, creates an
    internet socket (it used to lift the guard for MediaPipe too)."""
    import time

    clip = write_video("clip.mp4", [cv2.resize(grace_hopper, (256, 288))] * 600, 10.0)  # 60 s, paced in real time
    mark = tmp_path / "hook.txt"
    hook = (f"{sys.executable} -c \"import socket; s = socket.socket(socket.AF_INET, socket.SOCK_STREAM); s.close(); "
            f"open({str(mark)!r}, 'a').write('socket ' + __import__('os').environ['HEADWATCH_EVENT'] + chr(10))\"")
    env = {**os.environ, "HEADWATCH_ALERTS_BAD_FOR_S": "1", "HEADWATCH_THRESHOLDS_EAR_HEIGHT_FACE_RATIO": "5",
           "HEADWATCH_REFERENCE_MODE": "absolute"}  # every frame bad: an alert within seconds, so the hook runs
    monitor = subprocess.Popen([sys.executable, "-m", "headwatch", "monitor", "--source", str(clip), "--realtime",
                                "--notify", "none", "--no-history", "--on-alert", hook],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.monotonic() + 90
        while not mark.exists() and time.monotonic() < deadline and monitor.poll() is None:
            time.sleep(0.2)
        assert mark.exists(), "the hook never ran"
        assert _seccomp_mode(monitor.pid) == 2  # filtered: MediaPipe's process has no network
        assert mark.read_text().startswith("socket bad_posture")  # the hook made an internet socket
    finally:
        monitor.terminate()
        monitor.communicate(timeout=60)


@pytest.mark.skipif(sys.platform != "linux", reason="the user folders checked are the Linux ones")
def test_nothing_written_into_other_programs_folders_and_nothing_spawned(tmp_path: Path) -> None:
    """mediapipe imports matplotlib (which makes ~/.config/matplotlib and ~/.cache/matplotlib)
    and sounddevice (which runs ldconfig and gcc to look for PortAudio): neither may happen."""
    home = tmp_path / "home"
    home.mkdir()
    photo = tmp_path / "blank.png"
    cv2.imwrite(str(photo), np.full((64, 64, 3), 100, np.uint8))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "MPLCONFIGDIR", "HEADWATCH_"))}
    env["HOME"] = str(home)
    argv = [sys.executable, "-m", "headwatch", "analyze", str(photo)]
    subprocess.run(argv, capture_output=True, timeout=120, env=env, check=False)  # the first run may build caches
    if shutil.which("strace"):
        log = tmp_path / "exec.log"
        subprocess.run(["strace", "-f", "-qq", "-e", "trace=execve", "-o", str(log), *argv], capture_output=True,
                       timeout=120, env=env, check=False)
        spawned = [line for line in log.read_text().splitlines() if "execve(" in line and "= -1" not in line]
        assert len(spawned) == 1 and sys.executable in spawned[0], spawned  # only the interpreter itself
    made = sorted(str(p.relative_to(home)) for p in home.rglob("*") if p.is_dir())
    assert made == [".cache", ".cache/headwatch", ".cache/headwatch/matplotlib"]
