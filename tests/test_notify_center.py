"""Desktop notifications against a real daemon: dunst on a D-Bus session bus under Xvfb, with
dbus-monitor reading what headwatch sent, and a button pressed through dunst's own menu."""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import wait_for
from desktop import desktop, need, start, stop
from headwatch.system.notify import CommandNotifier, TerminalNotifier, make_notifier, message_for
from headwatch.system.notify_center import NotificationCenter, icon_path
from headwatch.types import AlertEvent, EventKind, Finding, Reason

ALERT = AlertEvent(EventKind.BAD_POSTURE, t_s=95.0, start_s=20.0, reasons=(Reason.HEAD_FORWARD,),
                   findings=(Finding(Reason.HEAD_FORWARD, "slouch_deg", 44.0, 36.0, 1.0),))
RECOVERED = AlertEvent(EventKind.POSTURE_RECOVERED, t_s=120.0, start_s=20.0)




@pytest.fixture
def dunst(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
          ) -> Iterator[tuple[dict[str, str], Path]]:
    """dunst, whose context menu (its "dmenu") picks the Snooze button; and dbus-monitor's log.
    Parametrized indirectly, the markup setting of its config (its own default config says full)."""
    need("dunst", "dunstctl", "dbus-monitor")
    picker = tmp_path / "pick.sh"
    picker.write_text("#!/bin/sh\ngrep -m1 Snooze\n")
    picker.chmod(0o755)
    config = tmp_path / "dunstrc"
    markup = f"    markup = {request.param}\n" if hasattr(request, "param") else ""
    config.write_text(f"[global]\n    dmenu = {picker}\n{markup}")
    with desktop(tmp_path) as env:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        daemon = start(["dunst", "-config", str(config)], env, tmp_path / "dunst.log")
        # Up when it answers on the bus (a loaded machine takes seconds): asked before, a probe fails.
        assert wait_for(lambda: subprocess.run(["dunstctl", "is-paused"], env={**os.environ, **env},
                                               capture_output=True).returncode == 0)
        sent = tmp_path / "dbus.log"
        monitor = start(["dbus-monitor", "interface='org.freedesktop.Notifications'"], env, sent)
        try:
            assert wait_for(lambda: "Notifications" in sent.read_text() or sent.stat().st_size > 0)
            yield env, sent
        finally:
            stop(monitor)
            stop(daemon)


def calls(log: Path, member: str) -> list[str]:
    """The blocks of dbus-monitor's log that call ``member``."""
    blocks = log.read_text().split("\nmethod call ")
    return [b for b in blocks if f"member={member}" in b.splitlines()[0]]


def test_an_alert_with_icon_and_buttons_replaced_by_the_recovery(dunst: tuple[dict[str, str], Path]) -> None:
    env, sent = dunst
    pressed = threading.Event()
    center = NotificationCenter(message_for, {"Snooze 30 min": pressed.set, "Pause 15 min": lambda: None})
    try:
        assert center.available()
        center.notify(ALERT)
        assert wait_for(lambda: len(calls(sent, "Notify")) == 1)
        (alert,) = calls(sent, "Notify")
        assert f'string "{icon_path().as_uri()}"' in alert  # headwatch's own icon, not Python's
        assert 'string "headwatch"' in alert
        assert 'string "Snooze 30 min"' in alert and 'string "Pause 15 min"' in alert
        assert "head forward 44° > 36° (absolute limit)" in alert  # the why, in the one wording
        center.notify(RECOVERED)
        assert wait_for(lambda: len(calls(sent, "Notify")) == 2)
        assert len(calls(sent, "CloseNotification")) == 1  # the alert went before the recovery came
        text = sent.read_text()
        assert text.index("member=CloseNotification") < text.rindex("member=Notify")
        recovery = calls(sent, "Notify")[1]
        assert "Posture is good again." in recovery and "Snooze" not in recovery
        # The next alert's button, pressed in dunst's own menu, reaches headwatch over D-Bus.
        center.notify(ALERT)
        assert wait_for(lambda: len(calls(sent, "Notify")) == 3)
        subprocess.run(["dunstctl", "context"], env={**os.environ, **env}, timeout=10, check=True)
        assert pressed.wait(10)
    finally:
        center.close()


def test_a_repeat_replaces_the_alert_on_screen(dunst: tuple[dict[str, str], Path]) -> None:
    _, sent = dunst
    center = NotificationCenter(message_for, {})
    try:
        center.notify(ALERT)
        center.notify(AlertEvent(EventKind.BAD_POSTURE, t_s=400.0, start_s=20.0, reasons=(Reason.HEAD_FORWARD,)))
        assert wait_for(lambda: len(calls(sent, "Notify")) == 2)
        assert wait_for(lambda: len(calls(sent, "CloseNotification")) == 1)
    finally:
        center.close()


def test_without_a_notification_service_the_system_command_or_the_terminal(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path / 'no-bus'}")
    center = NotificationCenter(message_for)
    assert not center.available()
    center.close()
    monkeypatch.setenv("PATH", str(tmp_path))  # no notify-send either
    with caplog.at_level("INFO", logger="headwatch"):
        chosen = make_notifier("desktop")
    assert isinstance(chosen, TerminalNotifier)
    assert "note: alerts go through the terminal (no notification service, notify-send" in caplog.text
    (tmp_path / "notify-send").write_text("#!/bin/sh\nexit 0\n")
    (tmp_path / "notify-send").chmod(0o755)
    caplog.clear()
    with caplog.at_level("INFO", logger="headwatch"):
        chosen = make_notifier("desktop")
    assert isinstance(chosen, CommandNotifier)
    assert "note: alerts go through notify-send (the desktop's notification service does not answer), without " \
           "buttons" in caplog.text


@pytest.mark.parametrize("dunst", ["full", "no"], indirect=True)
def test_a_why_with_a_less_than_reaches_the_server_whole(dunst: tuple[dict[str, str], Path],
                                                        tmp_path: Path) -> None:
    """dunst with markup on (its shipped config) says body-markup and parses the body: a bare <
    in the why was refused ("Unable to parse markup") and shown garbled; escaped, it is shown as
    written. With markup off it reads the body as plain text: sent as it is."""
    env, sent = dunst
    markup = "markup = full" in (tmp_path / "dunstrc").read_text()
    why = Finding(Reason.HEAD_FORWARD, "ear_height_face_ratio", 0.99, 1.35, 1.0)
    alert = AlertEvent(EventKind.BAD_POSTURE, t_s=95.0, start_s=20.0, reasons=(Reason.HEAD_FORWARD,),
                       findings=(why,))
    assert "ear/face 0.99 < 1.35 (absolute limit)" in message_for(alert)
    center = NotificationCenter(message_for, {})
    try:
        assert center.available()  # as the monitor asks before it chooses this route
        center.notify(alert)
        assert wait_for(lambda: len(calls(sent, "Notify")) == 1)
    finally:
        center.close()
    (sent_alert,) = calls(sent, "Notify")
    assert f"ear/face 0.99 {'&lt;' if markup else '<'} 1.35 (absolute limit)" in sent_alert
    subprocess.run(["dunstctl", "close-all"], env={**os.environ, **env}, timeout=10, check=True)
    assert wait_for(lambda: "ear/face" in dunst_history(env))
    assert "ear/face 0.99 < 1.35 (absolute limit)." in dunst_history(env)  # what dunst shows: as written
    assert "markup" not in (tmp_path / "dunst.log").read_text().lower()  # parsed without a complaint


def dunst_history(env: dict[str, str]) -> str:
    """The text of the messages dunst showed and closed: its history keeps each as the Pango
    markup it drew (its format puts the title in <b>), read here as Pango reads it."""
    import html
    import json
    import re

    done = subprocess.run(["dunstctl", "history"], env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=10, check=True)
    drawn = "\n".join(item["message"]["data"] for item in json.loads(done.stdout)["data"][0])
    return html.unescape(re.sub(r"</?[a-z]+>", "", drawn))


@pytest.mark.parametrize("dunst", ["full"], indirect=True)
def test_notify_send_escapes_for_a_markup_server_too(dunst: tuple[dict[str, str], Path], tmp_path: Path) -> None:
    """Where the notification centre does not answer, notify-send hands the body to the same kind of
    server: escaped the same way when it says body-markup."""
    import io

    need("notify-send")
    _, sent = dunst
    why = Finding(Reason.HEAD_FORWARD, "ear_height_face_ratio", 0.99, 1.35, 1.0)
    fallback = io.StringIO()
    CommandNotifier(fallback=TerminalNotifier(fallback)).notify(
        AlertEvent(EventKind.BAD_POSTURE, t_s=95.0, start_s=20.0, reasons=(Reason.HEAD_FORWARD,), findings=(why,)))
    assert fallback.getvalue() == ""  # notify-send delivered it
    assert wait_for(lambda: len(calls(sent, "Notify")) == 1)
    assert "ear/face 0.99 &lt; 1.35 (absolute limit)" in calls(sent, "Notify")[0]
    assert "markup" not in (tmp_path / "dunst.log").read_text().lower()
