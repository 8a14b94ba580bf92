"""`headwatch monitor`: end to end on a video file source, the camera edge, privacy, signals."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import WriteVideo, internet_calls, needs_guard, needs_strace, traced, wait_for
from headwatch.app.assemble import DEFAULT_LIMITS
from headwatch.app.monitor import Monitor
from headwatch.cli import app
from headwatch.posture.reference import FixedJudge
from headwatch.timeline.alerts import AlertEngine
from headwatch.timeline.sampling import SamplingPolicy
from headwatch.timeline.session import Status
from headwatch.types import State
from headwatch.vision import sources
from headwatch.vision.pose import PoseEstimator
from headwatch.vision.sources import LiveReader

ABSOLUTE = FixedJudge(DEFAULT_LIMITS, "absolute limits")

runner = CliRunner()


def monitor(*args: str) -> Any:
    result = runner.invoke(app, ["monitor", *args])
    # CliRunner keeps an escaped exception in result.exception and prints no traceback.
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def read_events(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_monitor_on_a_file_writes_events_and_runs_the_hook(tilting_clip: Path, tmp_path: Path) -> None:
    events_path = tmp_path / "events.jsonl"
    hook_out = tmp_path / "hook.txt"
    hook = (f'"{sys.executable}" -c "import os; open(r\'{hook_out}\', \'a\').write('
            f'os.environ[\'HEADWATCH_EVENT\'] + \' \' + os.environ[\'HEADWATCH_REASONS\'] + chr(10))"')
    result = monitor("--source", str(tilting_clip), "--no-realtime", "--notify", "none", "--bad-for", "3",
                     "--events", str(events_path), "--on-alert", hook)
    assert result.exit_code == 0, result.stderr
    events = read_events(events_path)
    assert [e["kind"] for e in events] == ["bad_posture", "posture_recovered"]
    alert, recovered = events
    assert alert["reasons"] == ["shoulder_tilt"]  # the clip keeps every other metric clear of its limit
    assert alert["values"]["shoulder_tilt_deg"] > 8.0
    # Leaning from 2 s: the alert fires after 3 s of it; recovery is dated when she sat level (9 s).
    assert 2.0 <= alert["start_s"] <= 2.5 and 5.0 <= alert["t_s"] <= 6.0
    assert 9.0 <= recovered["start_s"] <= 9.5 and recovered["t_s"] == pytest.approx(recovered["start_s"] + 5, abs=0.3)
    hook_lines = hook_out.read_text().splitlines()
    assert hook_lines == [f"bad_posture {','.join(alert['reasons'])}", "posture_recovered "]
    assert "posture alerts   1" in result.stdout
    assert "good posture" in result.stdout


def test_the_events_file_is_appended_not_replaced(tilting_clip: Path, tmp_path: Path) -> None:
    events_path = tmp_path / "events.jsonl"
    events_path.write_text('{"kind": "earlier"}\n')
    monitor("--source", str(tilting_clip), "--no-realtime", "--notify", "none", "--bad-for", "3",
            "--events", str(events_path))
    assert [e["kind"] for e in read_events(events_path)] == ["earlier", "bad_posture", "posture_recovered"]


def test_duration_stops_early(tilting_clip: Path, tmp_path: Path) -> None:
    events_path = tmp_path / "events.jsonl"
    result = monitor("--source", str(tilting_clip), "--no-realtime", "--notify", "none", "--bad-for", "3",
                     "--duration", "4", "--events", str(events_path))
    assert result.exit_code == 0
    assert not events_path.exists() or read_events(events_path) == []  # the alert would come at ~5 s
    assert "monitored        3s" in result.stdout or "monitored        4s" in result.stdout


# strace lines of a file opened for writing, and of the calls that make or move a file (creat,
# rename, link, symlink): their paths are what was written to.
_OPENED_FOR_WRITING = re.compile(r'open(?:at)?\((?:AT_FDCWD, )?"([^"]+)", [^)]*O_(?:WRONLY|RDWR|CREAT)')
_MAKES_OR_MOVES = re.compile(r"\b(?:creat|rename(?:at2?)?|(?:sym)?link(?:at)?)\(")


def written_paths(trace: str) -> set[Path]:
    """The files a traced process wrote to (calls that succeeded), as strace names them."""
    paths: set[Path] = set()
    for line in trace.splitlines():
        if "= -1" in line:
            continue
        if match := _OPENED_FOR_WRITING.search(line):
            paths.add(Path(match.group(1)))
        elif _MAKES_OR_MOVES.search(line):
            paths |= {Path(name) for name in re.findall(r'"([^"]+)"', line)}
    return paths


@needs_guard
@needs_strace
def test_nothing_is_written_or_sent(tilting_clip: Path, tmp_path: Path, isolated_settings: Path) -> None:
    """Privacy, on a real monitor process at the system-call level: no internet socket, and nothing
    written but the events asked for and headwatch's own user files (history, control channel,
    learned reference, the plots' font cache): no frame reaches the disk."""
    events_path = tmp_path / "events.jsonl"
    done, trace = traced(tmp_path, sys.executable, "-m", "headwatch", "monitor", "--source", str(tilting_clip),
                         "--no-realtime", "--notify", "none", "--bad-for", "3", "--events", str(events_path),
                         calls="network,open,openat,creat,rename,renameat,renameat2,link,linkat,symlink,symlinkat")
    assert done.returncode == 0, done.stderr
    assert "socket(" in trace  # strace saw the process's sockets (AF_UNIX ones, refused attempts)
    assert internet_calls(trace) == []
    own = [isolated_settings / folder / "headwatch" for folder in ("data", "run", "cache")]
    own.append(isolated_settings / "profiles")
    written = written_paths(trace)
    assert events_path in written  # the trace shows what the process wrote
    unexpected = {p for p in written if p not in (events_path, Path("/dev/null"))
                  and not any(p.is_relative_to(folder) for folder in own)}
    assert unexpected == set()
    assert not {p for p in written if p.suffix.lower() in {".jpg", ".jpeg", ".png", ".bmp", ".mp4", ".avi"}}
    assert "jpg" not in events_path.read_text() and len(events_path.read_text()) < 2000


def test_a_missing_video_source_is_one_line(tmp_path: Path) -> None:
    result = monitor("--source", str(tmp_path / "none.mp4"), "--notify", "none")
    assert result.exit_code == 1
    assert result.stderr.strip().startswith("headwatch: error: ")
    assert len(result.stderr.strip().splitlines()) == 1


class FakeCapture:
    """A stand-in for cv2.VideoCapture: opened or not, and frames until it 'unplugs'. With
    ``hang`` a read that finds no frame waits for that event first (a driver that blocks)."""

    def __init__(self, image: np.ndarray | None, opened: bool = True, frames: int = 10**9,
                 hang: threading.Event | None = None) -> None:
        self.image, self.opened, self.frames, self.hang = image, opened, frames, hang

    def isOpened(self) -> bool:
        return self.opened

    def set(self, *_: Any) -> bool:
        return True

    def grab(self) -> bool:
        return self.frames > 0

    def read(self) -> tuple[bool, np.ndarray | None]:
        if self.frames <= 0 or self.image is None:
            if self.hang is not None:
                self.hang.wait()
            return False, None
        self.frames -= 1
        return True, self.image

    def release(self) -> None:
        self.opened = False


def test_an_absent_camera_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sources, "open_capture", lambda spec: FakeCapture(None, opened=False))
    result = monitor("--source", "0", "--notify", "none")
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("headwatch: error: camera 0 is not available: no camera there, or another program is "
                           "using it (close that program, or choose another with --source N); without a camera, "
                           "watch the demo: headwatch monitor --source ")
    assert line.endswith("samples/demo_slouch.mp4") and Path(line.rsplit(" ", 1)[-1]).is_file()


@pytest.mark.parametrize("hangs", [False, True], ids=["refuses", "hangs"])
def test_a_busy_camera_is_one_line_and_loses_nothing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                     hangs: bool) -> None:
    """A camera another program holds: it opens, then every read fails at once (Linux) or blocks in
    the driver. One line within 10 s, exit 1, and the files of earlier sessions are as they were.
    (--duration only bounds a monitor that would wait for frames without end.)"""
    import datetime

    from headwatch.storage.history import History

    released = threading.Event()
    monkeypatch.setattr(sources, "open_capture", lambda spec: FakeCapture(None, hang=released if hangs else None))
    events, out, database = tmp_path / "events.jsonl", tmp_path / "looks.csv", tmp_path / "history.sqlite"
    events.write_text('{"kind": "bad_posture"}\n')
    out.write_text("t_s,state\n1.0,ok\n")
    with History.open(database) as history:
        earlier = history.start_session(datetime.datetime.now().astimezone(), "0", "absolute limits", "x")
        history.add_event(earlier, datetime.datetime.now().astimezone(), "bad_posture", ["head_forward"], {})
        history.end_session(earlier, datetime.datetime.now().astimezone())
        sessions = history.sessions()
    kept = {path: path.read_bytes() for path in (events, out)}
    # The hanging read is let go after 12 s, so a monitor that waited on it fails here, not hangs.
    letting_go = threading.Timer(12.0, released.set)
    letting_go.start()
    started = time.monotonic()
    try:
        result = monitor("--source", "0", "--notify", "none", "--duration", "8", "--events", str(events),
                         "--out", str(out), "--history", str(database))
        took_s = time.monotonic() - started
    finally:
        letting_go.cancel()
        released.set()  # the hanging read returns, its thread ends
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert line == ("headwatch: error: camera 0 is busy: it opened but sent no picture in 5 s, so another program is "
                    "probably using it (close that program, e.g. a video call, and start again, or choose another "
                    "camera with --source N)")
    assert took_s < 10.0
    assert {path: path.read_bytes() for path in (events, out)} == kept
    with History.open(database, read_only=True) as history:
        assert history.sessions() == sessions


def test_a_camera_slow_to_send_its_first_frame_is_waited_for(grace_hopper: np.ndarray,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A camera warming up (its reads fail for the first second) is not busy; the frame that ended
    the wait is the first one looked at."""
    class Warming(FakeCapture):
        def read(self) -> tuple[bool, np.ndarray | None]:
            return super().read() if time.monotonic() >= ready_at else (False, None)

    ready_at = time.monotonic() + 1.0
    monkeypatch.setattr(sources, "open_capture", lambda spec: Warming(grace_hopper, frames=1))
    reader = LiveReader("0", time.monotonic)
    try:
        assert time.monotonic() >= ready_at
        assert reader.next_frame(0.0).image is grace_hopper  # the one frame this camera gave
    finally:
        reader.close()


def test_a_stream_that_opens_but_sends_no_frame_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """A real stream through OpenCV's FFmpeg: a Y4M header (all FFmpeg needs to open it), then
    nothing. Without the first-frame wait it was retried without end."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    connections: list[socket.socket] = []

    def serve() -> None:  # every connection gets the header and then silence
        while True:
            try:
                connection = server.accept()[0]
            except OSError:
                return
            connections.append(connection)
            connection.recv(4096)
            connection.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: video/x-yuv4mpegpipe\r\n\r\n"
                               b"YUV4MPEG2 W64 H48 F25:1 Ip A1:1 C420jpeg\n")

    threading.Thread(target=serve, daemon=True).start()
    monkeypatch.setattr(sources, "STREAM_TIMEOUT_MS", 1500)
    url = f"http://127.0.0.1:{server.getsockname()[1]}/live.y4m"
    try:
        result = monitor("--source", url, "--notify", "none", "--duration", "30", "--no-history")
    finally:
        server.close()
        for connection in connections:
            connection.close()
    assert result.exit_code == 1
    assert result.stderr.strip() == (f"headwatch: error: {url}: the stream opened but sent no picture in 5 s (check "
                                     "that it is live, and the URL)")
    assert connections  # it was reached and opened: silence, not a refusal, ended it


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.0)


def test_a_camera_lost_mid_session_is_retried_and_nothing_is_lost(
        monkeypatch: pytest.MonkeyPatch, grace_hopper: np.ndarray) -> None:
    clock = FakeClock()
    # The camera gives 20 frames, vanishes for two reopen attempts, then comes back for good.
    captures = iter([FakeCapture(grace_hopper, frames=20), FakeCapture(None, opened=False),
                     FakeCapture(None, opened=False), FakeCapture(grace_hopper)])
    monkeypatch.setattr(sources, "open_capture", lambda spec: next(captures))
    reader = LiveReader("0", clock)
    statuses: list[Status] = []
    with PoseEstimator("lite", mode="video") as detector:
        loop = Monitor(reader, detector, ABSOLUTE, AlertEngine(), policy=SamplingPolicy(fps=5.0),
                       realtime=True, duration_s=20.0, on_status=statuses.append, clock=clock, sleep=clock.sleep)
        summary = loop.run()
    notes = [s.note for s in statuses if s.note]
    assert notes == ["camera 0 stopped delivering frames; retrying in 1 s",
                     "camera 0 stopped delivering frames; retrying in 2 s",
                     "camera 0 stopped delivering frames; retrying in 4 s"]
    judged = [s for s in statuses if not s.note]
    assert judged[0].verdict.state is State.OK
    # Frames before the loss and after the return were all counted.
    assert summary.samples == len(judged) > 20
    assert judged[-1].t_s > judged[19].t_s + 7.0  # 1 + 2 + 4 s of retries in between


def test_realtime_pacing_sleeps_to_the_frame_times(tilting_clip: Path) -> None:
    clock = FakeClock()
    reader = sources.VideoFileReader(tilting_clip)
    with PoseEstimator("lite", mode="video") as detector:
        loop = Monitor(reader, detector, ABSOLUTE, AlertEngine(), policy=SamplingPolicy(fps=2.0),
                       realtime=True, duration_s=5.0, clock=clock, sleep=clock.sleep)
        summary = loop.run()
    reader.close()
    # Paced like a camera: the fake wall clock advanced to the last sample's time (4.5 s).
    assert clock.now == pytest.approx(4.5)
    assert summary.samples == 10


@pytest.mark.parametrize(("alerted", "bad_share", "present_s", "state", "expected_fps"), [
    (True, 0.0, 100.0, State.OK, 5.0),  # an alert is on: full rate
    (False, 0.4, 100.0, State.OK, 5.0),  # a bad stretch may be building
    (False, 0.1, 100.0, State.BAD, 1.0),  # a stray bad frame in mostly good posture: stay calm
    (False, 0.0, 10.0, State.OK, 5.0),  # the session is young
    (False, 0.0, 100.0, State.OK, 1.0),  # good and stable: calm rate
    (False, 0.0, 100.0, State.UNKNOWN, 5.0),  # cannot judge: look closely
    (True, 0.9, 100.0, State.AWAY, 1.0),  # nobody there
])
def test_sampling_policy(alerted: bool, bad_share: float, present_s: float, state: State,
                         expected_fps: float) -> None:
    class Engine:
        in_bad_posture = alerted
        recent_bad_share = bad_share

    engine = Engine()
    engine.present_s = present_s  # type: ignore[attr-defined]
    interval = SamplingPolicy(fps=5.0, calm_fps=1.0, calm_after_s=20.0).interval_s(engine, state)  # type: ignore[arg-type]
    assert 1.0 / interval == pytest.approx(expected_fps)


def test_adaptive_sampling_on_a_steady_clip(write_video: WriteVideo, grace_hopper: np.ndarray) -> None:
    # 40 s of her sitting still and well at 10 fps: after the first 5 s, one frame a second.
    frame = cv2.resize(grace_hopper, (256, 300))
    clip = write_video("steady.mp4", [frame] * 400, 10.0)
    reader = sources.VideoFileReader(clip)
    times: list[float] = []
    with PoseEstimator("lite", mode="video") as detector:
        Monitor(reader, detector, ABSOLUTE, AlertEngine(), on_status=lambda s: times.append(s.t_s)).run()
    reader.close()
    gaps = np.diff(times)
    assert gaps[: 20].max() == pytest.approx(0.2)  # 5 fps while the session is young
    assert np.median(gaps[30:]) == pytest.approx(1.0)  # then the calm rate
    assert len(times) < 70  # against 200 at a fixed 5 fps


def test_sigterm_stops_cleanly_with_a_summary(tilting_clip: Path, tmp_path: Path) -> None:
    events_path = tmp_path / "events.jsonl"
    process = subprocess.Popen(
        [sys.executable, "-m", "headwatch", "monitor", "--source", str(tilting_clip), "--realtime",
         "--notify", "none", "--bad-for", "3", "--events", str(events_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert process.stdout is not None
    # Wait until it is judging frames (the status line prints on the first one), then stop it.
    first = process.stdout.readline()
    assert "OK" in first or "BAD" in first
    # Until the alert at ~5 s of clip time is written (a fixed sleep of 5 s left it 30-65 ms).
    assert wait_for(lambda: events_path.exists() and "bad_posture" in events_path.read_text(), 60)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "session summary" in out
    assert "Traceback" not in err
    assert read_events(events_path)[0]["kind"] == "bad_posture"  # what was recorded is kept


def test_alert_settings_are_passed_through(tilting_clip: Path, tmp_path: Path) -> None:
    # She leans for 7 s: --bad-for 10 keeps quiet, --bad-for 3 alerts. Both runs, so the flag is
    # what makes the difference.
    quiet, alerted = tmp_path / "quiet.jsonl", tmp_path / "alerted.jsonl"
    for bad_for, events_path in (("10", quiet), ("3", alerted)):
        monitor("--source", str(tilting_clip), "--no-realtime", "--notify", "none", "--bad-for", bad_for,
                "--reference", "absolute", "--events", str(events_path))
    assert not quiet.exists() or read_events(quiet) == []
    assert [e["kind"] for e in read_events(alerted)] == ["bad_posture", "posture_recovered"]


def test_stopping_ends_a_reconnect_wait_at_once(monkeypatch: pytest.MonkeyPatch, grace_hopper: np.ndarray) -> None:
    # The camera gives 3 frames and never comes back: the loop waits 1, 2, 4 ... 30 s between
    # attempts. A stop (what Ctrl-C and SIGTERM do) must end the wait, not sleep it out.
    captures = iter([FakeCapture(grace_hopper, frames=3)] + [FakeCapture(None, opened=False)] * 50)
    monkeypatch.setattr(sources, "open_capture", lambda spec: next(captures))
    reader = LiveReader("0", time.monotonic)
    with PoseEstimator("lite", mode="video") as detector:
        loop = Monitor(reader, detector, ABSOLUTE, AlertEngine(), max_backoff_s=30.0)
        statuses: list[Status] = []
        third_wait: list[float] = []

        def seen(status: Status) -> None:
            statuses.append(status)
            if status.note and status.note.endswith("retrying in 4 s") and not third_wait:
                third_wait.append(time.monotonic())
                threading.Timer(0.5, loop.stop).start()  # inside the third wait, however slow the looks

        loop.on_status = seen
        loop.run()
    assert [s.note for s in statuses if s.note] == ["camera 0 stopped delivering frames; retrying in 1 s",
                                                   "camera 0 stopped delivering frames; retrying in 2 s",
                                                   "camera 0 stopped delivering frames; retrying in 4 s"]
    assert time.monotonic() - third_wait[0] < 2.0  # sleeping the wait out would take 4 s


def test_a_stream_that_never_sends_gives_up_in_bounded_time(monkeypatch: pytest.MonkeyPatch) -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    accepted: list[socket.socket] = []

    def accept() -> None:  # accept every connection and never answer
        while True:
            try:
                accepted.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    monkeypatch.setattr(sources, "STREAM_TIMEOUT_MS", 1500)
    url = f"http://127.0.0.1:{server.getsockname()[1]}/live.mp4"
    started = time.monotonic()
    try:
        result = monitor("--source", url, "--notify", "none")
        took_s = time.monotonic() - started
    finally:
        server.close()
        for connection in accepted:
            connection.close()
    assert result.exit_code == 1
    assert result.stderr.strip() == f"headwatch: error: {url}: cannot open the stream (check the URL and that it is " \
                                    "reachable)"
    assert accepted  # it did connect: the timeout, not a refused connection, ended it
    # 1.5 s asked for; FFmpeg's own default would be 30 s. Generous: this machine is loaded at times.
    assert took_s < 15.0


def test_monitor_out_writes_one_record_per_sample_like_analyze(tilting_clip: Path, tmp_path: Path) -> None:
    out = tmp_path / "samples.jsonl"
    result = monitor("--source", str(tilting_clip), "--no-realtime", "--notify", "none", "--out", str(out))
    assert result.exit_code == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    samples = int(re.search(r"monitored +\S+ \((\d+) samples", result.stdout).group(1))  # type: ignore[union-attr]
    assert len(rows) == samples > 10
    assert rows[0]["schema"] == 1 and rows[0]["path"] == str(tilting_clip) and rows[0]["person"] is True
    assert [r["t_s"] for r in rows] == sorted(r["t_s"] for r in rows)
    assert monitor("--source", str(tilting_clip), "--out", str(tmp_path / "x.txt")).exit_code == 2


def test_a_pause_is_two_events_that_say_when_it_began_and_how_long_it_lasted(tilting_clip: Path) -> None:
    """A pause, extended once by a second `pause`, on a video file (whose clock stands still while
    paused): resumed starts where paused began, and says the whole pause's wall-clock length."""
    from headwatch.system.control import Command
    from headwatch.types import AlertEvent, EventKind

    clock = FakeClock()
    commands = iter([None, None, Command("pause", 2.0, 0.0), None, Command("pause", 3.0, 0.0)])
    events: list[AlertEvent] = []
    reader = sources.VideoFileReader(tilting_clip)
    with PoseEstimator("lite", mode="video") as detector:
        loop = Monitor(reader, detector, ABSOLUTE, AlertEngine(), policy=SamplingPolicy(fps=2.0),
                       duration_s=3.0, clock=clock, sleep=clock.sleep, on_event=events.append,
                       control=lambda: next(commands, None))
        summary = loop.run()
    reader.close()
    paused, resumed = [e for e in events if e.kind in (EventKind.PAUSED, EventKind.RESUMED)]
    assert paused.kind is EventKind.PAUSED and resumed.kind is EventKind.RESUMED
    assert resumed.start_s == paused.t_s  # not before the pause began
    # Two 0.25 s polls before the second `pause`, then its 3 s: the extension counts whole.
    assert resumed.values["paused_s"] == pytest.approx(0.5 + 3.0)
    assert summary.paused_s == pytest.approx(resumed.values["paused_s"])
