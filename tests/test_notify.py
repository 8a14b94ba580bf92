"""Notifications: the real command for each platform up to the process edge, and the fallbacks."""

from __future__ import annotations

import io
import os
import sys
import time
from collections.abc import Sequence

import pytest

from headwatch.system.notify import (
    CommandHook,
    CommandNotifier,
    TerminalNotifier,
    desktop_command,
    event_environment,
    message_for,
)
from headwatch.types import AlertEvent, EventKind, Reason

EVENT = AlertEvent(EventKind.BAD_POSTURE, t_s=95.0, start_s=20.0, reasons=(Reason.HEAD_FORWARD,),
                   values={"head_forward_deg": 41.0})


def which_only(*names: str):  # type: ignore[no-untyped-def]
    return lambda name: f"/usr/bin/{name}" if name in names else None


def test_messages_say_what_and_how_long() -> None:
    assert message_for(EVENT) == "Bad posture (head forward) for 1 min: sit back and lift your head."
    assert "time for a short break" in message_for(AlertEvent(EventKind.BREAK, 3000.0, 0.0))
    assert message_for(AlertEvent(EventKind.STILL, 1800.0, 0.0)).startswith("You have held one position for 30 min")


@pytest.mark.parametrize(("platform", "tool", "first"), [
    ("linux", "notify-send", "/usr/bin/notify-send"),
    ("darwin", "osascript", "/usr/bin/osascript"),
    ("win32", "powershell", "/usr/bin/powershell"),
])
def test_each_platform_uses_its_own_notifier(platform: str, tool: str, first: str) -> None:
    argv = desktop_command(platform, "headwatch", 'say "xyzzy"', which_only(tool))
    assert argv is not None and argv[0] == first
    if platform == "darwin":  # the message is quoted as an AppleScript string, not spliced in raw
        assert argv[2] == 'display notification "say \\"xyzzy\\"" with title "headwatch"'
    if platform == "win32":  # the text travels in the environment, never inside the script
        assert "xyzzy" not in argv[-1]
    assert desktop_command(platform, "headwatch", "x", which_only()) is None


def test_desktop_notifier_runs_the_command_with_the_message() -> None:
    calls: list[tuple[Sequence[str], dict[str, str]]] = []

    def runner(argv: Sequence[str], env: dict[str, str]) -> int:
        calls.append((argv, env))
        return 0

    fallback = io.StringIO()
    CommandNotifier("linux", which_only("notify-send"), runner, TerminalNotifier(fallback)).notify(EVENT)
    (argv, env), = calls
    assert list(argv) == ["/usr/bin/notify-send", "--app-name=headwatch", "headwatch", message_for(EVENT)]
    assert env["HEADWATCH_MESSAGE"] == message_for(EVENT)
    assert fallback.getvalue() == ""


@pytest.mark.parametrize("exit_code", [None, 1])
def test_desktop_notifier_falls_back_to_the_terminal(exit_code: int | None) -> None:
    fallback = io.StringIO()
    which = which_only("notify-send") if exit_code is not None else which_only()
    notifier = CommandNotifier("linux", which, lambda argv, env: exit_code or 0, TerminalNotifier(fallback))
    notifier.notify(EVENT)
    assert fallback.getvalue() == f"\a\n[headwatch] {message_for(EVENT)}\n"


def test_desktop_notifier_really_runs_a_process(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # The default runner on a real (stand-in) notify-send: a script that records its arguments.
    script = tmp_path / "notify-send"
    out = tmp_path / "args.txt"
    script.write_text(f"#!/bin/sh\necho \"$@\" > {out}\n")
    script.chmod(0o755)
    if sys.platform.startswith("win"):
        pytest.skip("a shell script stands in for notify-send")
    notifier = CommandNotifier("linux", lambda name: str(script) if name == "notify-send" else None,
                               fallback=TerminalNotifier(io.StringIO()))
    notifier.runner(desktop_command("linux", "headwatch", "hello", notifier.which) or [str(script)], {})
    assert out.read_text().strip() == "--app-name=headwatch headwatch hello"


def test_event_environment_and_command_hook(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = event_environment(EVENT)
    assert env["HEADWATCH_EVENT"] == "bad_posture"
    assert env["HEADWATCH_REASONS"] == "head_forward"
    assert env["HEADWATCH_START_S"] == "20.000"
    out = tmp_path / "out.txt"
    script = f"import os; open(r'{out}', 'w').write(os.environ['HEADWATCH_EVENT_JSON'])"
    hook = CommandHook(f'"{sys.executable}" -c "{script}"')
    hook.notify(EVENT)
    hook.wait()
    assert '"kind": "bad_posture"' in out.read_text()


def test_a_broken_hook_does_not_stop_monitoring(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # The user's command fails every time (exit 3): each event still reaches it, and nothing raises.
    marker = tmp_path / "marker.txt"
    script = f"open(r'{marker}', 'a').write('x'); raise SystemExit(3)"
    hook = CommandHook(f'"{sys.executable}" -c "{script}"')
    hook.notify(EVENT)
    hook.wait()
    hook.notify(EVENT)
    hook.wait()  # returns; the exit code of the user's command is theirs
    assert marker.read_text() == "xx"


@pytest.mark.skipif(os.name != "posix", reason="process groups are checked with POSIX signals")
def test_a_hung_hook_and_its_children_are_ended_after_a_short_grace(tmp_path) -> None:  # type: ignore[no-untyped-def]
    pids = tmp_path / "pids.txt"
    # The shell starts a child that would outlive it, then hangs itself.
    hook = CommandHook(f"sleep 60 & echo $! > '{pids}'; echo $$ >> '{pids}'; sleep 60")
    hook.notify(EVENT)
    for _ in range(100):
        if pids.exists() and len(pids.read_text().split()) == 2:
            break
        time.sleep(0.05)
    started = time.monotonic()
    hook.wait(grace_s=0.5)
    assert time.monotonic() - started < 5.0
    for pid in map(int, pids.read_text().split()):
        for _ in range(50):  # the group was killed: each process disappears (reaped or reparented and gone)
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        else:
            raise AssertionError(f"process {pid} of the hook is still running")


def test_the_hook_runs_in_a_process_group_of_its_own(tmp_path) -> None:  # type: ignore[no-untyped-def]
    if os.name != "posix":
        pytest.skip("POSIX process groups")
    out = tmp_path / "pgid.txt"
    hook = CommandHook(f"""'{sys.executable}' -c "import os; open(r'{out}', 'w').write(str(os.getpgid(0)))" """)
    hook.notify(EVENT)
    hook.wait()
    assert int(out.read_text()) != os.getpgid(0)  # Ctrl-C in the terminal reaches headwatch, not the hook


def test_the_monitor_says_once_at_start_when_there_are_no_desktop_notifications(tilting_clip) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from headwatch.cli import app

    args = ["monitor", "--source", str(tilting_clip), "--no-realtime", "--duration", "1"]
    # No notification service on a session bus, no notify-send, osascript or powershell.
    bare_env = {"PATH": "", "DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent/bus"}
    bare = CliRunner().invoke(app, args, env=bare_env)
    assert bare.exception is None or isinstance(bare.exception, SystemExit), repr(bare.exception)
    said = "note: alerts go through the terminal (no notification service, notify-send, osascript or PowerShell here)"
    assert bare.stderr.count(said) == 1
    terminal = CliRunner().invoke(app, [*args, "--notify", "terminal"], env=bare_env)
    assert "alerts go through" not in terminal.stderr  # asked for the terminal: nothing to say


def test_a_hung_notifier_never_stalls_the_caller() -> None:
    """notify-send waiting on a hung daemon held the monitor's loop up to 10 s per event."""
    import threading

    from headwatch.system.notify import BackgroundNotifier
    from headwatch.types import AlertEvent, EventKind

    release, delivered = threading.Event(), []

    class Hung:
        def notify(self, event: AlertEvent) -> None:
            release.wait(30)  # a daemon that does not answer
            delivered.append(event.kind)

    background = BackgroundNotifier(Hung())
    for kind in (EventKind.BAD_POSTURE, EventKind.POSTURE_RECOVERED):
        background.notify(AlertEvent(kind, 1.0, 0.0))  # returns while the first is still hanging
    assert delivered == []
    release.set()
    background.close()
    assert delivered == [EventKind.BAD_POSTURE, EventKind.POSTURE_RECOVERED]  # in order, none lost


def test_a_notification_says_why() -> None:
    from headwatch.types import Finding

    finding = Finding(Reason.SHOULDER_TILT, "shoulder_tilt_deg", -12.0, -8.0, 0.5)
    event = AlertEvent(EventKind.BAD_POSTURE, 60.0, 0.0, (Reason.SHOULDER_TILT,), findings=(finding,))
    assert message_for(event) == ("Bad posture (shoulder tilt) for 1 min: sit back and lift your head. "
                                  "Why: shoulder tilt -12° < -8° (absolute limit).")
