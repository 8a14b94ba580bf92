"""A camera that vanishes (suspend, a cable) or hangs on one picture, driven at the capture edge
(cv2.VideoCapture's place) on a simulated clock: a clear line, re-opening with back-off, and
monitoring going on once it answers again."""

from __future__ import annotations

import datetime
import itertools
import logging
import sys
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from headwatch.app.assemble import DEFAULT_LIMITS
from headwatch.app.monitor import Monitor
from headwatch.posture.reference import FixedJudge
from headwatch.timeline.alerts import AlertEngine
from headwatch.timeline.sampling import SamplingPolicy
from headwatch.timeline.session import Status
from headwatch.vision import sources
from headwatch.vision.pose import PoseEstimator
from headwatch.vision.sources import FROZEN_AFTER_S, LiveReader, SourceLost
from test_monitor import FakeCapture


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.0)


class Camera(FakeCapture):
    """In cv2.VideoCapture's place: a person with a sensor's noise on every frame (``hung``: the
    very same frame every time, as a hung driver gives), for ``frames`` reads, then nothing."""

    def __init__(self, person: np.ndarray, hung: bool = False, frames: int = 10**9, opened: bool = True) -> None:
        super().__init__(person, opened, frames)
        self.person, self.hung = person, hung
        self.rng = np.random.default_rng(7)
        self.frozen = self._noisy()

    def _noisy(self) -> np.ndarray:
        noise = self.rng.integers(-3, 4, self.person.shape)
        return np.clip(self.person.astype(int) + noise, 0, 255).astype(np.uint8)

    def read(self) -> tuple[bool, np.ndarray | None]:
        found, _ = super().read()
        return (True, self.frozen if self.hung else self._noisy()) if found else (False, None)


@pytest.fixture
def person(grace_hopper: np.ndarray) -> np.ndarray:
    return cv2.resize(grace_hopper, (256, 288))


def run(cameras: list[Camera], monkeypatch: pytest.MonkeyPatch, seconds: float) -> tuple[list[Status], Any, int]:
    """The monitor on these cameras in turn (each open takes the next), for ``seconds`` simulated;
    returns the statuses, the summary and how many cameras were opened."""
    clock, opened = Clock(), iter(cameras)
    monkeypatch.setattr(sources, "open_capture", lambda spec: next(opened))
    statuses: list[Status] = []
    with PoseEstimator("lite", mode="video") as detector:
        loop = Monitor(LiveReader("0", clock), detector, FixedJudge(DEFAULT_LIMITS, "absolute limits"), AlertEngine(),
                       policy=SamplingPolicy(fps=1.0, calm_fps=1.0), realtime=True, duration_s=seconds,
                       on_status=statuses.append, clock=clock, sleep=clock.sleep)
        summary = loop.run()
    return statuses, summary, len(cameras) - sum(1 for _ in opened)


def test_a_camera_stuck_on_one_picture_is_said_and_opened_again(
        person: np.ndarray, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="headwatch"):
        statuses, summary, opened = run([Camera(person, hung=True), Camera(person)], monkeypatch, 40.0)
    notes = [(s.t_s, s.note) for s in statuses if s.note]
    assert [note for _, note in notes] == [
        "camera 0 keeps delivering the very same picture (a hung driver?); retrying in 1 s"]
    assert FROZEN_AFTER_S <= notes[0][0] <= FROZEN_AFTER_S + 3.0  # noticed once it had lasted that long
    assert opened == 2  # opened again, and that one gave live pictures
    looks_after = [s for s in statuses if not s.note and s.t_s > notes[0][0]]
    assert len(looks_after) >= 15 and summary.samples == len([s for s in statuses if not s.note])
    said = [r.getMessage() for r in caplog.records]
    assert said.count("camera 0 keeps delivering the very same picture (a hung driver?): monitoring waits (not "
                      "counted as sitting or away) and opens it again, after 1, 2, 4 ... up to 30 s") == 1
    assert said.count("the source answers again: monitoring goes on") == 1


def test_an_unplugged_camera_is_said_once_and_opened_again_with_back_off(
        person: np.ndarray, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    gone = [Camera(person, opened=False) for _ in range(3)]
    with caplog.at_level(logging.INFO, logger="headwatch"):
        statuses, _, opened = run([Camera(person, frames=5), *gone, Camera(person)], monkeypatch, 30.0)
    assert [s.note for s in statuses if s.note] == [f"camera 0 stopped delivering frames; retrying in {n} s"
                                                   for n in (1, 2, 4, 8)]
    assert opened == 5
    said = [r.getMessage() for r in caplog.records]
    assert len([m for m in said if m.startswith("camera 0 stopped delivering frames: monitoring waits")]) == 1
    assert said.count("the source answers again: monitoring goes on") == 1


def test_a_covered_lens_repeating_a_black_picture_is_not_a_hung_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    covered = Camera(np.zeros((288, 256, 3), np.uint8), hung=True)
    covered.frozen[:] = 0  # all black, the very same each time
    clock = Clock()
    monkeypatch.setattr(sources, "open_capture", lambda spec: covered)
    reader = LiveReader("0", clock)
    for _ in range(120):  # two minutes at a look a second
        reader.next_frame(clock.now)
        clock.sleep(1.0)
    hung = Camera(np.full((288, 256, 3), 90, np.uint8), hung=True)
    hung.frozen[100:120, 100:140] = 200  # a picture with something in it, the very same each time
    monkeypatch.setattr(sources, "open_capture", lambda spec: hung)
    reader = LiveReader("0", clock)
    with pytest.raises(SourceLost, match="very same picture"):
        for _ in range(int(FROZEN_AFTER_S) + 3):
            reader.next_frame(clock.now)
            clock.sleep(1.0)


@pytest.mark.parametrize("unlocked_at", [30.0, 10.0**6])
def test_the_controls_work_while_the_camera_is_off(person: np.ndarray, monkeypatch: pytest.MonkeyPatch,
                                                   unlocked_at: float) -> None:
    """Locked for hours: the tray's Quit (a stop through the controls) must not wait for the unlock,
    and a pause asked meanwhile is obeyed once the camera is back."""
    import threading

    from headwatch.app.monitor import session_away
    from headwatch.system.control import Command
    from headwatch.types import AlertEvent, EventKind

    clock = Clock()
    monkeypatch.setattr(sources, "open_capture", lambda spec: Camera(person))
    events: list[AlertEvent] = []
    asked: list[str] = []

    def control() -> Command | None:  # as run_monitor's: a stop is done at once, a pause returned
        if clock.now > 10.0 and not asked:
            asked.append("pause")
            return Command("pause", 5.0, clock.now)
        if clock.now > 60.0:
            loop.stop()
        return None

    with PoseEstimator("lite", mode="video") as detector:
        loop = Monitor(LiveReader("0", clock), detector, FixedJudge(DEFAULT_LIMITS, "absolute limits"), AlertEngine(),
                       policy=SamplingPolicy(fps=1.0, calm_fps=1.0), realtime=True, on_event=events.append,
                       clock=clock, sleep=clock.sleep, control=control,
                       step_aside=lambda: session_away("screen locked" if 5.0 < clock.now < unlocked_at else None))
        running = threading.Thread(target=loop.run, daemon=True)
        running.start()
        running.join(60)
        assert not running.is_alive(), "the stop waited for the unlock"
    kinds = [e.kind for e in events]
    if unlocked_at < 60.0:
        assert kinds == [EventKind.SESSION_AWAY, EventKind.SESSION_BACK, EventKind.PAUSED, EventKind.RESUMED]
        assert events[2].t_s >= unlocked_at  # the pause began once the camera was back
    else:
        assert kinds == [EventKind.SESSION_AWAY, EventKind.SESSION_BACK]  # ended by the stop, still locked
        assert 60.0 < clock.now < 62.0


def test_a_camera_keeps_its_pace_after_a_slow_start_a_lock_and_a_pause(
        person: np.ndarray, monkeypatch: pytest.MonkeyPatch) -> None:
    """A camera's clock runs on while the model loads, the screen is locked and the monitor is
    paused: the looks after each keep the sampling rate (one a second here), not that rate plus
    the time the clock ran on (after an hour's lock, one look an hour)."""
    from headwatch.app.monitor import session_away
    from headwatch.system.control import Command

    clock = Clock()
    monkeypatch.setattr(sources, "open_capture", lambda spec: Camera(person))
    reader = LiveReader("0", clock)  # opened first, as run_monitor does ...
    clock.sleep(3.0)  # ... and the model loads meanwhile
    statuses: list[Status] = []
    paused: list[float] = []

    def control() -> Command | None:
        if clock.now > 60.0 and not paused:
            paused.append(clock.now)
            return Command("pause", 20.0, clock.now)
        return None

    with PoseEstimator("lite", mode="video") as detector:
        loop = Monitor(reader, detector, FixedJudge(DEFAULT_LIMITS, "absolute limits"), AlertEngine(),
                       policy=SamplingPolicy(fps=1.0, calm_fps=1.0), realtime=True, duration_s=100.0,
                       on_status=statuses.append, clock=clock, sleep=clock.sleep, control=control,
                       step_aside=lambda: session_away("screen locked" if 10.0 < clock.now < 40.0 else None))
        loop.run()
    looks = [s.t_s for s in statuses if not s.note and not s.paused]
    gaps = [later - earlier for earlier, later in itertools.pairwise(looks)]
    print("looks", [round(t, 1) for t in looks])
    assert max(gaps[:5]) < 1.5  # after the model's loading
    after_lock = [t for t in looks if 40.0 <= t < 60.0]
    after_pause = [t for t in looks if t >= 82.0]
    assert len(after_lock) >= 17 and len(after_pause) >= 15, (after_lock, after_pause)
    assert max(gap for gap, t in zip(gaps, looks[1:], strict=True) if t > 42.0 and not 60.0 < t < 83.0) < 1.5


def test_a_calibration_on_a_camera_records_its_whole_stretch_at_its_pace(
        person: np.ndarray, monkeypatch: pytest.MonkeyPatch) -> None:
    """The camera opens, the model loads (3 s on its clock), then 10 s are recorded at 5 looks a
    second: from then on, not from the opening, and a look every 0.2 s, not 0.2 s + the loading."""
    from headwatch.app.analysis import record_stretch

    clock = Clock()
    monkeypatch.setattr(sources, "open_capture", lambda spec: Camera(person))
    reader = LiveReader("0", clock)
    clock.sleep(3.0)
    with PoseEstimator("lite", mode="video") as detector:
        samples = record_stretch(reader, detector, 0.0, 10.0, 5.0, True, sleep=clock.sleep)
    times = [s.t_s for s in samples]
    assert times[0] >= 3.0 and times[-1] < 13.0
    assert 49 <= len(samples) <= 51  # 10 s at 5 a second (the due times add up in floating point)
    assert all(s.sample is not None for s in samples)  # she is found in every look


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="CLOCK_BOOTTIME is Linux's")
def test_a_cameras_clock_runs_on_while_the_machine_sleeps() -> None:
    import time

    clock = sources.sleep_counting_clock()
    assert clock.keywords == {} and clock.args == (time.CLOCK_BOOTTIME,)  # type: ignore[attr-defined]
    assert abs(clock() - time.clock_gettime(time.CLOCK_BOOTTIME)) < 1.0


def test_after_a_suspend_the_history_is_stamped_when_the_looks_happen(
        person: np.ndarray, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The machine sleeps 8 h between two looks (the camera's clock jumps, as a clock that counts
    sleep does): the looks after it are recorded 8 h later in the history, not where the session's
    clock had stopped."""
    import sqlite3
    import threading
    import time

    from headwatch.app.assemble import ReferenceChoice
    from headwatch.app.context import settings_in_effect
    from headwatch.app.live import MonitorRequest, run_monitor

    slept = [0.0]
    reads = [0]

    class Sleeping(Camera):
        def read(self) -> tuple[bool, np.ndarray | None]:
            reads[0] += 1
            if reads[0] == 4:
                slept[0] = 8 * 3600.0  # between the third look and the fourth
            return super().read()

    monkeypatch.setattr(sources, "sleep_counting_clock", lambda: lambda: time.monotonic() + slept[0])
    monkeypatch.setattr(sources, "open_capture", lambda spec: Sleeping(person))
    history = tmp_path / "history.sqlite"
    settings = settings_in_effect(None, {"notify.mode": "none", "output.history": str(history),
                                         "capture.share_camera": False})
    request = MonitorRequest(settings, ReferenceChoice("absolute"), source="0", duration_s=8 * 3600.0 + 4.0,
                             status_line=False)
    running = threading.Thread(target=run_monitor, args=(request,), daemon=True)
    running.start()
    running.join(90)
    assert not running.is_alive(), "the session's clock did not run on through the sleep"
    with sqlite3.connect(history) as db:
        (started,) = db.execute("SELECT started FROM sessions").fetchone()
        stamps = [row[0] for row in db.execute("SELECT started FROM intervals ORDER BY started")]
    first, last = (datetime.datetime.fromisoformat(s) for s in (started, stamps[-1]))
    assert abs((last - first).total_seconds() - 8 * 3600.0) < 20.0, (started, stamps)


def watched(person: np.ndarray, monkeypatch: pytest.MonkeyPatch, seconds: float, *,
            locked: tuple[float, float] = (0, 0), pause: tuple[float, float] | None = None,
            fps: float = 1.0) -> tuple[Any, list[Status], list[Any], int]:
    """A monitor on a simulated camera and clock, the screen locked over ``locked`` and a pause of
    ``pause`` = (from, seconds), a break asked after 2 minutes of sitting (a minute away is one);
    returns the summary, the statuses, the events and how often the camera was opened."""
    from headwatch.app.monitor import session_away
    from headwatch.posture.judge import Limits
    from headwatch.system.control import Command
    from headwatch.timeline.alerts import AlertSettings

    clock, opened = Clock(), [0]

    def camera(spec: str) -> Camera:
        opened[0] += 1
        return Camera(person)

    monkeypatch.setattr(sources, "open_capture", camera)
    statuses: list[Status] = []
    events: list[Any] = []
    asked: list[float] = []

    def control() -> Command | None:
        if pause is not None and clock.now >= pause[0] and not asked:
            asked.append(clock.now)
            return Command("pause", pause[1], clock.now)
        return None

    engine = AlertEngine(AlertSettings(break_after_min=2.0, break_min_s=60.0, away_reset_s=30.0, repeat_after_s=10.0))
    with PoseEstimator("lite", mode="video") as detector:
        # No limits: every look she is found in is fine, so the status's "OK for ..." runs on.
        loop = Monitor(LiveReader("0", clock), detector, FixedJudge(Limits({}, {}), "no limits"), engine,
                       policy=SamplingPolicy(fps=fps, calm_fps=fps), realtime=True, duration_s=seconds,
                       on_status=statuses.append, on_event=events.append, clock=clock, sleep=clock.sleep,
                       control=control,
                       step_aside=lambda: session_away("screen locked" if locked[0] <= clock.now < locked[1] else None))
        summary = loop.run()
    return summary, statuses, events, opened[0]


def test_a_locked_screen_is_an_absence_a_pause_is_not_watched(
        person: np.ndarray, monkeypatch: pytest.MonkeyPatch) -> None:
    """Locked for 150 s after 50 s of sitting: a break taken, so no reminder on the return (it came
    on the first look after lunch). Paused for 100 s: neither sitting nor a break, so the reminder
    due 2 minutes into sitting comes 100 s later."""
    from headwatch.types import EventKind, State

    _, statuses, events, _ = watched(person, monkeypatch, 300.0, locked=(50.0, 200.0))
    assert not [e for e in events if e.kind is EventKind.BREAK], [e.t_s for e in events]
    before = [s for s in statuses if not s.note and s.t_s < 50.0]
    back = [s for s in statuses if not s.note and s.t_s >= 200.0]
    assert before[-1].seconds_in_state > 40.0 and back[0].verdict.state is State.OK
    assert back[0].seconds_in_state < 2.0  # "OK for ..." counts from the return, not across the lock
    _, statuses, events, _ = watched(person, monkeypatch, 300.0, pause=(50.0, 100.0))
    breaks = [e.t_s for e in events if e.kind is EventKind.BREAK]
    due = statuses[0].t_s + 120.0 + 100.0
    assert breaks and due - 1.0 <= breaks[0] <= due + 3.0, (due, breaks)


def test_a_duration_ends_while_the_screen_is_locked_and_the_look_after_a_lock_is_at_once(
        person: np.ndarray, monkeypatch: pytest.MonkeyPatch) -> None:
    summary, _, _, opened = watched(person, monkeypatch, 100.0, locked=(50.0, 1e6))
    assert opened == 1  # not opened again (its light on) only to stop
    assert 45.0 < summary.camera_off_s < 55.0  # stopped at 100 s, not at the unlock
    # A look every 5 s: the first after the unlock at 100 s comes at once, not when the one due
    # before the lock would have been, moved on by the lock.
    _, statuses, _, _ = watched(person, monkeypatch, 130.0, locked=(22.0, 100.0), fps=0.2)
    after = [s.t_s for s in statuses if not s.note and s.t_s >= 100.0]
    assert after and after[0] < 101.5, after


@pytest.mark.parametrize("told", [True, False])
def test_a_sleep_nobody_announced_is_an_absence(person: np.ndarray, monkeypatch: pytest.MonkeyPatch,
                                                told: bool) -> None:
    """The machine sleeps 8 h after 10 minutes of sitting, and nothing announces it (macOS, no
    D-Bus, the release turned off): its clock, which counts sleep, jumps. Knowing how long the
    machine slept, the monitor writes the absence ("asleep") and reminds of nothing on waking;
    without it, the night counted as sitting and holding still."""
    from headwatch.posture.judge import Limits
    from headwatch.timeline.alerts import AlertSettings
    from headwatch.types import EventKind

    clock, slept = Clock(), [0.0]

    class Sleeping(Camera):
        def read(self) -> tuple[bool, np.ndarray | None]:
            if clock.now >= 600.0 and not slept[0]:
                slept[0] = 8 * 3600.0
                clock.now += slept[0]
            return super().read()

    monkeypatch.setattr(sources, "open_capture", lambda spec: Sleeping(person))
    events: list[Any] = []
    engine = AlertEngine(AlertSettings(break_after_min=30.0, still_for_min=30.0, repeat_after_s=60.0))
    with PoseEstimator("lite", mode="video") as detector:
        loop = Monitor(LiveReader("0", clock), detector, FixedJudge(Limits({}, {}), "no limits"), engine,
                       policy=SamplingPolicy(fps=1.0, calm_fps=1.0), realtime=True, duration_s=8 * 3600.0 + 700.0,
                       on_event=events.append, clock=clock, sleep=clock.sleep,
                       slept=(lambda: slept[0]) if told else None)
        summary = loop.run()
    kinds = [(e.kind, e.cause) for e in events]
    reminders = [e for e in events if e.kind in (EventKind.BREAK, EventKind.STILL)]
    if told:
        assert kinds == [(EventKind.SESSION_AWAY, "asleep"), (EventKind.SESSION_BACK, "asleep")], kinds
        assert summary.camera_off_s == 8 * 3600.0
    else:
        assert reminders and reminders[0].t_s >= 8 * 3600.0  # the night was sitting, as before the fix
