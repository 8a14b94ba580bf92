"""Camera off while nobody can be watched: a locked screen or a sleeping machine releases the
camera, unlocking or waking takes it again, and the history counts no time while locked. On real
D-Bus buses (two dbus-daemons: a session bus and one standing in for the system bus), with a
stand-in for the desktop's screen locker and for logind speaking their interfaces
(session_standin.py), and a video file as the camera up to the cv2.VideoCapture edge."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from conftest import CameraAtTheEdge, WriteVideo, wait_for
from desktop import need, stop
from headwatch.system.session_watch import CONNECT_TIMEOUT_S, SessionWatch
from headwatch.vision import sources

pytest.importorskip("dbus_fast", reason="dbus-fast (with desktop-notifier, on Linux) is not installed")
STANDIN = Path(__file__).with_name("session_standin.py")


class Desk:
    """The stand-in locker and logind: ``say("lock")`` and the like, answered once signalled."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process

    def say(self, word: str) -> float:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(word + "\n")
        self.process.stdin.flush()
        assert self.process.stdout.readline().strip() == "ok"
        return time.monotonic()


@pytest.fixture
def desk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Desk]:
    need("dbus-daemon")
    daemons = []
    for name, variable in (("session", "DBUS_SESSION_BUS_ADDRESS"), ("system", "DBUS_SYSTEM_BUS_ADDRESS")):
        socket = tmp_path / f"{name}-bus"
        daemons.append(subprocess.Popen(["dbus-daemon", "--session", "--nofork", f"--address=unix:path={socket}"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        assert wait_for(socket.exists), f"the {name} bus did not start"
        monkeypatch.setenv(variable, f"unix:path={socket}")
    standin = subprocess.Popen([sys.executable, str(STANDIN)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               text=True)
    try:
        assert standin.stdout is not None and standin.stdout.readline().strip() == "ready"
        yield Desk(standin)
    finally:
        for process in (standin, *daemons):
            stop(process)  # type: ignore[arg-type]


@pytest.mark.parametrize(("away", "back", "said"), [("lock", "unlock", "screen locked"),
                                                     ("lockhint", "unlockhint", "screen locked"),
                                                     ("idle", "active", "idle"),
                                                     ("sleep", "wake", "asleep")])
def test_a_lock_or_a_sleep_is_heard_on_the_bus(desk: Desk, away: str, back: str, said: str) -> None:
    watch = SessionWatch()
    try:
        assert watch.away() is None
        desk.say(away)
        assert wait_for(lambda: watch.away() == said)
        desk.say(back)
        assert wait_for(lambda: watch.away() is None)
        desk.say(away)
        late = SessionWatch()  # started while locked or asleep: it asks, it does not wait for news
        assert late.away() == (said if away != "sleep" else None)  # a sleep is only ever announced
        late.close()
    finally:
        watch.close()


def test_a_signal_from_anybody_but_logind_or_the_screen_saver_is_not_heard(desk: Desk) -> None:
    """Another program (another user's, on the system bus) sends the monitor's connection a
    PrepareForSleep(true), a screen saver's ActiveChanged(true) and a session's LockedHint straight
    to it, past the match rules: none of them switches the camera off; logind's own still does."""
    import asyncio
    import os

    from dbus_fast import Message, MessageType, Variant
    from dbus_fast.aio import MessageBus

    watch = SessionWatch()
    session_bus, system_bus = watch._buses  # connected in this order; their unique names are the targets
    spoofs = [("DBUS_SYSTEM_BUS_ADDRESS", system_bus.unique_name, "/org/freedesktop/login1",
               "org.freedesktop.login1.Manager", "PrepareForSleep", "b", [True]),
              ("DBUS_SYSTEM_BUS_ADDRESS", system_bus.unique_name, "/org/freedesktop/login1/session/c1",
               "org.freedesktop.DBus.Properties", "PropertiesChanged", "sa{sv}as",
               ["org.freedesktop.login1.Session", {"LockedHint": Variant("b", True)}, []]),
              ("DBUS_SESSION_BUS_ADDRESS", session_bus.unique_name, "/org/freedesktop/ScreenSaver",
               "org.freedesktop.ScreenSaver", "ActiveChanged", "b", [True])]

    async def spoof() -> None:
        for variable, target, path, interface, member, signature, body in spoofs:
            bus = await MessageBus(bus_address=os.environ[variable]).connect()
            await bus.send(Message(message_type=MessageType.SIGNAL, destination=target, path=path,
                                   interface=interface, member=member, signature=signature, body=body))
            await asyncio.sleep(0.3)
            bus.disconnect()

    try:
        assert watch.away() is None
        asyncio.run(spoof())
        time.sleep(0.5)
        assert watch.away() is None
        desk.say("sleep")  # the real logind
        assert wait_for(lambda: watch.away() == "asleep")
    finally:
        watch.close()


def test_without_a_bus_nothing_is_heard_and_nothing_breaks(monkeypatch: pytest.MonkeyPatch,
                                                           tmp_path: Path) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path / 'none'}")
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", f"unix:path={tmp_path / 'none'}")
    started = time.monotonic()
    watch = SessionWatch()
    # A missing bus fails at once; waiting for the connection's timeout would take that long.
    assert watch.away() is None and time.monotonic() - started < CONNECT_TIMEOUT_S
    watch.close()


def test_a_locked_screen_turns_the_camera_off_and_the_history_counts_no_time(
        desk: Desk, tmp_path: Path, write_video: WriteVideo, grace_hopper: np.ndarray,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from headwatch.app.assemble import ReferenceChoice, session_gap_s
    from headwatch.app.context import settings_in_effect
    from headwatch.app.live import MonitorRequest, run_monitor

    clip = write_video("camera.mp4", [cv2.resize(grace_hopper, (256, 288))] * 600, 10.0)
    edge: list[tuple[str, float]] = []
    monkeypatch.setattr(sources, "open_capture", lambda spec: CameraAtTheEdge(clip, edge))
    events, history = tmp_path / "events.jsonl", tmp_path / "history.sqlite"
    settings = settings_in_effect(None, {"notify.mode": "none", "output.events": str(events),
                                         "output.history": str(history), "capture.share_camera": False})
    request = MonitorRequest(settings, ReferenceChoice("absolute"), source="0", duration_s=14.0, status_line=False)
    outcome: list[object] = []
    running = threading.Thread(target=lambda: outcome.append(run_monitor(request)))
    running.start()
    try:
        assert wait_for(lambda: sum(1 for what, _ in edge if what == "read") >= 3)
        locked = desk.say("lock")
        assert wait_for(lambda: any(what == "release" for what, _ in edge), 5)
        time.sleep(4.0)
        unlocked = desk.say("unlock")
        assert wait_for(lambda: [what for what, _ in edge].count("open") == 2, 5)
    finally:
        running.join(60)
    assert outcome, "the monitor did not finish"
    released = next(at for what, at in edge if what == "release")
    retaken = [at for what, at in edge if what == "open"][1]
    print(f"released {released - locked:.2f} s after the lock, taken again {retaken - unlocked:.2f} s after the "
          "unlock")
    assert released - locked < 2.0 and retaken - unlocked < 2.0
    assert not [at for what, at in edge if what == "read" and released < at < retaken]  # the light was off
    kinds = [(e["kind"], e.get("cause")) for e in map(json.loads, events.read_text().splitlines())]
    assert kinds == [("session_away", "screen locked"), ("session_back", "screen locked")]
    with sqlite3.connect(history) as db:
        span, counted, samples = db.execute(
            "SELECT SUM(seconds), SUM(present_s + away_s), SUM(samples) FROM intervals").fetchone()
        recorded = [k for (k,) in db.execute("SELECT kind FROM events ORDER BY at")]
    assert recorded == ["session_away", "session_back"]
    # Nothing while locked: the time counted (present or away: what the report calls monitored)
    # leaves the lock out but for the presence clock's cap after the last look before it. The
    # intervals' span is the session's clock, which a camera's wall clock runs on through the lock:
    # it held the lock on a fast run (its windows are 10 s long), so it cannot tell.
    aside = retaken - released
    cap = session_gap_s(settings)
    assert samples >= 4 and counted > 0, (samples, counted)
    assert counted <= span - aside + cap + 0.25, (counted, span, aside, cap)
    (said,) = [line for line in outcome[0].text().splitlines() if "camera off" in line]  # type: ignore[attr-defined]
    assert said.endswith("s (screen locked, asleep, or the camera lent to another program: not monitored)")
    assert abs(int(said.split()[2].removesuffix("s")) - aside) <= 1.5  # the lock's length, whole seconds
