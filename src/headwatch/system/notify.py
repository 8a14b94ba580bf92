"""Telling the user: the desktop's own notifications, a terminal bell, or a command of theirs.

Desktop notifications go through desktop-notifier (notify_center.py: an icon, the recovery
replacing the alert, Snooze and Pause buttons). Where its service does not answer (macOS refuses
a Python that is not signed, say), the command each system ships takes over: notify-send
(libnotify) on Linux, osascript on macOS, a PowerShell toast on Windows; where none is available,
or one fails, the terminal, so an alert is never silently lost.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TextIO

from headwatch.types import AlertEvent, EventKind

TITLE = "headwatch"

log = logging.getLogger("headwatch")


def message_for(event: AlertEvent) -> str:
    """A short human sentence for an event."""
    if event.kind is EventKind.BAD_POSTURE:
        minutes = max(0.0, event.t_s - event.start_s) / 60.0
        what = ", ".join(r.value.replace("_", " ") for r in event.reasons) or "posture"
        held = f"{minutes:.0f} min" if minutes >= 1 else f"{event.t_s - event.start_s:.0f} s"
        why = event.why()
        return f"Bad posture ({what}) for {held}: sit back and lift your head." + (f" Why: {why}." if why else "")
    if event.kind is EventKind.POSTURE_RECOVERED:
        return "Posture is good again."
    if event.kind is EventKind.PAUSED:
        return "Monitoring paused."
    if event.kind is EventKind.RESUMED:
        return "Monitoring resumed."
    if event.kind is EventKind.SETUP_CHANGED:
        return f"The {'camera' if event.cause == 'camera' else 'seat' if event.cause == 'seat' else 'set-up'} " \
               "moved: headwatch re-learns your upright posture."
    if event.kind is EventKind.CAMERA_IN_USE:
        return f"{event.cause or 'Another program'} uses the camera: headwatch steps aside until it is free."
    if event.kind is EventKind.CAMERA_FREE:
        return "The camera is free again: monitoring goes on."
    if event.kind is EventKind.SESSION_AWAY:
        return f"Nobody to watch ({event.cause}): the camera is off until you are back."
    if event.kind is EventKind.SESSION_BACK:
        return "Welcome back: monitoring goes on."
    if event.kind is EventKind.BREAK:
        return f"You have been sitting for {(event.t_s - event.start_s) / 60.0:.0f} min: time for a short break."
    return f"You have held one position for {(event.t_s - event.start_s) / 60.0:.0f} min: move a little."


class Notifier(Protocol):
    def notify(self, event: AlertEvent) -> None: ...


class NoNotifier:
    def notify(self, event: AlertEvent) -> None:
        return None


class TerminalNotifier:
    """A bell and a line on the terminal."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr

    def notify(self, event: AlertEvent) -> None:
        self.stream.write(f"\a\n[headwatch] {message_for(event)}\n")
        self.stream.flush()


Runner = Callable[[Sequence[str], dict[str, str]], int]


def _run_quietly(argv: Sequence[str], env: dict[str, str]) -> int:
    try:
        return subprocess.run(list(argv), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env={**os.environ, **env}, timeout=10, check=False).returncode
    except (OSError, subprocess.SubprocessError):
        return -1


def desktop_command(platform: str, title: str, message: str, which: Callable[[str], str | None]) -> list[str] | None:
    """The argv that shows a desktop notification on this platform, or None if there is none."""
    if platform.startswith("linux") or platform.startswith("freebsd"):
        notify_send = which("notify-send")
        return [notify_send, "--app-name=headwatch", title, message] if notify_send else None
    if platform == "darwin":
        osascript = which("osascript")
        script = f"display notification {json.dumps(message)} with title {json.dumps(title)}"
        return [osascript, "-e", script] if osascript else None
    if platform.startswith("win"):
        shell = which("powershell") or which("pwsh")
        if shell is None:
            return None
        # A toast through the Windows Runtime API PowerShell exposes; text passed as data, not code.
        script = (
            "$t=[Windows.UI.Notifications.ToastNotificationManager,Windows.UI.Notifications,ContentType=WindowsRuntime];"
            "$x=[Windows.UI.Notifications.ToastTemplateType]::ToastText02;"
            "$c=[Windows.UI.Notifications.ToastNotificationManager]::GetTemplateContent($x);"
            "$n=$c.GetElementsByTagName('text');"
            "$n.Item(0).AppendChild($c.CreateTextNode($env:HEADWATCH_TITLE))|Out-Null;"
            "$n.Item(1).AppendChild($c.CreateTextNode($env:HEADWATCH_MESSAGE))|Out-Null;"
            "$t::CreateToastNotifier('headwatch').Show([Windows.UI.Notifications.ToastNotification]::new($c))"
        )
        return [shell, "-NoProfile", "-NonInteractive", "-Command", script]
    return None


class CommandNotifier:
    """The system's notification command; the terminal when it is missing or fails."""

    def __init__(self, platform: str = sys.platform, which: Callable[[str], str | None] = shutil.which,
                 runner: Runner = _run_quietly, fallback: Notifier | None = None) -> None:
        self.platform = platform
        self.which = which
        self.runner = runner
        self.fallback = fallback or TerminalNotifier()
        self._markup: bool | None = None  # notify-send's server parses the body as markup; asked once

    @property
    def tool(self) -> str | None:
        """The command's name (notify-send, osascript, powershell), None where there is none."""
        argv = desktop_command(self.platform, TITLE, "", self.which)
        return Path(argv[0]).name if argv else None

    @property
    def available(self) -> bool:
        return self.tool is not None

    def _takes_markup(self) -> bool:
        """Whether the server notify-send hands the body to parses markup (Linux: it says so on D-Bus)."""
        if self._markup is None and self.platform.startswith("linux"):
            import asyncio

            from headwatch.system.notify_center import server_takes_markup

            try:
                self._markup = asyncio.run(server_takes_markup())
            except Exception:  # no bus: notify-send will fail too, and the terminal takes over
                return False
        return self._markup is True

    def notify(self, event: AlertEvent) -> None:
        from headwatch.system.notify_center import markup_safe

        message = message_for(event)
        argv = desktop_command(self.platform, TITLE, markup_safe(message, self._takes_markup()), self.which)
        if argv is None:
            self.fallback.notify(event)
            return
        # The Windows toast reads its text from these; the others get it in argv.
        if self.runner(argv, {"HEADWATCH_TITLE": TITLE, "HEADWATCH_MESSAGE": message}) != 0:
            self.fallback.notify(event)


class BackgroundNotifier:
    """Hands events to ``inner`` on a thread of its own, so a notification daemon that hangs (the
    desktop's notify-send may wait up to its 10 s timeout) never stalls the monitor's loop."""

    def __init__(self, inner: Notifier) -> None:
        self.inner = inner
        self._queue: queue.Queue[AlertEvent | None] = queue.Queue()
        self._thread = threading.Thread(target=self._deliver, name="headwatch-notify", daemon=True)
        self._thread.start()

    def notify(self, event: AlertEvent) -> None:
        self._queue.put(event)

    def _deliver(self) -> None:
        while (event := self._queue.get()) is not None:
            with contextlib.suppress(Exception):  # a failing notifier must not end the deliveries
                self.inner.notify(event)

    def close(self, timeout_s: float = 12.0) -> None:
        """Deliver what is queued (a notifier's own timeout is 10 s), then stop."""
        self._queue.put(None)
        self._thread.join(timeout_s)
        close = getattr(self.inner, "close", None)
        if callable(close):
            close()


@dataclass(frozen=True, slots=True)
class NotifierChoice:
    """The notifier chosen, and how alerts reach the user: ``through`` one of "center" (the
    desktop's notifications, with buttons), "command" (the system's notification command),
    "terminal" or "none"; ``fallback`` when the desktop was asked for and not had; ``said`` in words."""

    notifier: Notifier
    through: str
    said: str
    fallback: bool = False


def choose_notifier(mode: str, buttons: Mapping[str, Callable[[], None]] | None = None) -> NotifierChoice:
    """For 'none', 'terminal' or 'desktop': the notification centre when it answers (with
    ``buttons`` on alerts), else the system's command, else the terminal."""
    if mode == "none":
        return NotifierChoice(NoNotifier(), "none", "off (notify.mode = none)")
    if mode == "terminal":
        return NotifierChoice(TerminalNotifier(), "terminal", "the terminal (notify.mode = terminal)")
    from headwatch.system.notify_center import NotificationCenter

    center = NotificationCenter(message_for, buttons)
    if center.available():
        return NotifierChoice(center, "center",
                              "the desktop's notifications, with headwatch's icon and Snooze and Pause buttons")
    center.close()
    command = CommandNotifier()
    if command.tool is not None:
        return NotifierChoice(command, "command", f"{command.tool} (the desktop's notification service does not "
                                                  "answer), without buttons", fallback=True)
    return NotifierChoice(TerminalNotifier(), "terminal", "the terminal (no notification service, notify-send, "
                                                          "osascript or PowerShell here)", fallback=True)


def make_notifier(mode: str, buttons: Mapping[str, Callable[[], None]] | None = None) -> Notifier:
    """The notifier ``choose_notifier`` picks; a fallback from the desktop is said once."""
    chosen = choose_notifier(mode, buttons)
    if chosen.fallback:
        log.info(f"note: alerts go through {chosen.said}")
    return chosen.notifier


def event_environment(event: AlertEvent) -> dict[str, str]:
    """The variables an --on-alert command receives."""
    return {
        "HEADWATCH_EVENT": event.kind.value,
        "HEADWATCH_T_S": f"{event.t_s:.3f}",
        "HEADWATCH_START_S": f"{event.start_s:.3f}",
        "HEADWATCH_REASONS": ",".join(r.value for r in event.reasons),
        "HEADWATCH_MESSAGE": message_for(event),
        "HEADWATCH_EVENT_JSON": json.dumps(event.to_json()),
    }


def isolated_python(module: str) -> list[str]:
    """The command line that runs ``module``'s ``main()`` in a child Python, isolated (``-I``): not
    the working folder first on sys.path (``-m`` would put it there, and a ``headwatch/`` another
    user planted in a shared folder would run as this user), no PYTHON* variables, no user site.
    The folder this headwatch was imported from is named instead, so the child runs this very one."""
    import headwatch

    package_root = str(Path(headwatch.__file__).resolve().parent.parent)
    runner = (f"import sys; sys.path.insert(0, sys.argv.pop(1)); from {module} import main; "
              "sys.exit(main(sys.argv))")
    return [sys.executable, "-I", "-c", runner, package_root]


def _own_process_group() -> dict[str, Any]:
    """Popen arguments that start a hook in a process group of its own: the terminal's Ctrl-C
    goes to headwatch alone, and the hook with everything it started can be ended as one."""
    if os.name == "posix":
        return {"start_new_session": True}
    return {"creationflags": getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)}


def _end_group(process: subprocess.Popen[bytes]) -> None:
    """Kill a hook and whatever it started (its shell's children too)."""
    try:
        if os.name == "posix":
            os.killpg(process.pid, signal.SIGKILL)
        else:
            subprocess.run(["taskkill", "/F", "/T", "/PID", str(process.pid)], capture_output=True, check=False)
    except (ProcessLookupError, PermissionError, OSError):
        pass
    process.wait()


class CommandHook:
    """Runs the user's --on-alert command for each event, without waiting for it.

    The command goes to the system shell as the user wrote it (it is their own command line);
    the event reaches it only through environment variables, never spliced into the text. Each
    runs in a process group of its own, and at shutdown gets a short grace before the whole
    group is killed: a hung hook never holds up Ctrl-C or the summary.
    """

    def __init__(self, command: str) -> None:
        self.command = command
        self._running: list[subprocess.Popen[bytes]] = []

    def notify(self, event: AlertEvent) -> None:
        self.run(event_environment(event))

    def run(self, variables: dict[str, str]) -> None:
        """Start the command once with these variables in its environment."""
        self._running = [p for p in self._running if p.poll() is None]
        try:
            env = {**os.environ, **variables}
            self._running.append(subprocess.Popen(self.command, shell=True, env=env, **_own_process_group()))
        except OSError as exc:
            log.warning(f"--on-alert command could not start: {exc.strerror}")

    def wait(self, grace_s: float = 2.0) -> None:
        """Let commands still running finish within ``grace_s`` in all, then end their groups."""
        deadline = time.monotonic() + grace_s
        for process in self._running:
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _end_group(process)
        self._running = []


class HookProcess:
    """The --on-alert hooks, run by a small process of their own (``python -m headwatch.system.hook_runner``)
    that is started before the monitor shuts itself off from the internet: a hook may post to a web
    service while MediaPipe's process still cannot reach the network. Events go to it as one JSON
    line each on its standard input (a pipe, no socket)."""

    def __init__(self, command: str) -> None:
        # The command comes as the first line on the pipe, never in argv, which every user on the
        # machine may read (`ps -eo args`): a hook may carry a token.
        self._process = subprocess.Popen(isolated_python("headwatch.system.hook_runner"),
                                         stdin=subprocess.PIPE, text=True, encoding="utf-8",
                                         **_own_process_group())
        self._broken = False
        self._send({"command": command})

    def _send(self, message: Mapping[str, Any]) -> None:
        if self._broken or self._process.stdin is None:
            return
        try:
            self._process.stdin.write(json.dumps(message) + "\n")
            self._process.stdin.flush()
        except (BrokenPipeError, OSError):
            self._broken = True
            log.warning("the --on-alert runner stopped; hooks no longer run")

    def notify(self, event: AlertEvent) -> None:
        self._send(event_environment(event))

    def wait(self, grace_s: float = 2.0) -> None:
        """No more events: the runner gives running hooks ``grace_s`` in all, then ends their groups."""
        if self._process.stdin is not None:
            with contextlib.suppress(OSError):
                self._process.stdin.close()
        try:
            self._process.wait(timeout=grace_s + 3.0)
        except subprocess.TimeoutExpired:
            _end_group(self._process)
