"""Start the monitor at login: a systemd user unit on Linux, a launchd agent on macOS, a script in
the Startup folder on Windows. The texts are pure functions of the command to run (tested as text
on every system); installing writes the file and asks the system's own tool to enable it."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from headwatch.errors import HeadwatchError, printable

LABEL = "io.headwatch.monitor"
UNIT = "headwatch.service"
AUTOSTART = "headwatch.desktop"


def monitor_command(config: Path | None = None, tray: bool = False) -> list[str]:
    """The monitor as this interpreter runs it (the user's settings come from their config file),
    in the tray with ``tray``."""
    # -P: the login item's working folder is never put first on sys.path (a headwatch/ found there
    # would run instead of this one).
    command = [sys.executable, "-P", "-m", "headwatch", "monitor", *(["--tray"] if tray else [])]
    return [*command, "--config", str(config)] if config is not None else command


class ServiceError(HeadwatchError):
    """The login item cannot be made safely (a control character in a path)."""


def check_command(command: Sequence[str]) -> None:
    """Refuse control characters: a newline in a path would start a line of its own in the unit
    (ExecStartPre=... running anything at every login)."""
    for part in command:
        if any(ord(c) < 32 or 127 <= ord(c) < 160 for c in part):
            raise ServiceError(f"{printable(part)}: holds a control character; a login item cannot run it safely: "
                               "rename the file or folder")


def systemd_word(part: str) -> str:
    """One argument of ExecStart=, as systemd reads it: in double quotes with backslash and quote
    escaped, % doubled (specifiers) and $ doubled (variable expansion)."""
    escaped = part.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%").replace("$", "$$")
    plain = part and all(c.isalnum() or c in "-_./:=+,@" for c in part)
    return escaped if plain else f'"{escaped}"'


def systemd_unit(command: Sequence[str]) -> str:
    check_command(command)
    return f"""[Unit]
Description=headwatch posture monitor
Documentation=https://pypi.org/project/headwatch/
After=graphical-session.target

[Service]
Type=simple
ExecStart={' '.join(systemd_word(part) for part in command)}
Restart=on-failure
RestartSec=30

[Install]
WantedBy=default.target
"""


def desktop_word(part: str) -> str:
    """One argument of a desktop entry's Exec=, as the Desktop Entry spec reads it: quoted where
    it holds more than plain characters (with " ` $ and \\ escaped inside the quotes), then the
    string's own escape (\\ doubled again) and field codes' % doubled."""
    plain = part and all(c.isalnum() or c in "-_./:=+,@" for c in part)
    if not plain:
        part = '"' + "".join("\\" + c if c in '"`$\\' else c for c in part) + '"'
    return part.replace("\\", "\\\\").replace("%", "%%")


def autostart_entry(command: Sequence[str]) -> str:
    """An XDG autostart entry: started by the desktop session itself (GNOME, KDE, Xfce...), with
    its display, where a tray lives; a systemd user service may start before the display is up."""
    check_command(command)
    return f"""[Desktop Entry]
Type=Application
Name=headwatch
Comment=Posture monitor in the system tray
Exec={' '.join(desktop_word(part) for part in command)}
Terminal=false
X-GNOME-Autostart-enabled=true
"""


def launchd_plist(command: Sequence[str]) -> str:
    check_command(command)
    arguments = "\n".join(f"        <string>{escape(part)}</string>" for part in command)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
    <key>Label</key>
    <string>{LABEL}</string>
    <key>ProgramArguments</key>
    <array>
{arguments}
    </array>
    <key>RunAtLoad</key>
    <true/>
    <key>KeepAlive</key>
    <dict>
        <key>SuccessfulExit</key>
        <false/>
    </dict>
</dict>
</plist>
"""


def windows_script(command: Sequence[str]) -> str:
    check_command(command)
    # Every part in double quotes (cmd's & | < > ^ stay literal inside them) and % doubled (a .cmd
    # file expands %VAR% even there); Windows paths cannot hold a double quote.
    quoted = " ".join(f'"{part.replace("%", "%%")}"' for part in command)
    return f'@echo off\r\nrem headwatch posture monitor, started at login\r\nstart "headwatch" /min {quoted}\r\n'


@dataclass(frozen=True, slots=True)
class Service:
    """Where the login item lives on this system, its text, and the commands that (de)activate it."""

    path: Path
    text: str
    enable: list[list[str]]
    disable: list[list[str]]
    # Asked for the state: (argv, what its output says) for "enabled" and for "running"; none: the
    # file alone says it (Windows' Startup folder runs what it holds at login).
    enabled_query: list[str] | None = None
    active_query: list[str] | None = None


def service_for(platform: str, home: Path, command: Sequence[str], env: dict[str, str] | None = None,
                tray: bool = False) -> Service:
    """The login item; with ``tray`` on Linux, an autostart entry of the desktop session in place of
    the systemd unit (macOS' agent and Windows' Startup folder start in the desktop session anyway)."""
    env = dict(os.environ) if env is None else env
    if platform.startswith(("linux", "freebsd", "openbsd", "netbsd")) and tray:
        config_home = Path(env.get("XDG_CONFIG_HOME") or home / ".config")
        return Service(config_home / "autostart" / AUTOSTART, autostart_entry(command), [], [])
    if platform.startswith("linux"):
        config_home = Path(env.get("XDG_CONFIG_HOME") or home / ".config")
        return Service(config_home / "systemd" / "user" / UNIT, systemd_unit(command),
                       [["systemctl", "--user", "daemon-reload"], ["systemctl", "--user", "enable", "--now", UNIT]],
                       [["systemctl", "--user", "disable", "--now", UNIT]],
                       ["systemctl", "--user", "is-enabled", UNIT], ["systemctl", "--user", "is-active", UNIT])
    if platform == "darwin":
        path = home / "Library" / "LaunchAgents" / f"{LABEL}.plist"
        return Service(path, launchd_plist(command), [["launchctl", "load", "-w", str(path)]],
                       [["launchctl", "unload", "-w", str(path)]], None, ["launchctl", "list", LABEL])
    appdata = Path(env.get("APPDATA") or home / "AppData" / "Roaming")
    startup = appdata / "Microsoft" / "Windows" / "Start Menu" / "Programs" / "Startup"
    return Service(startup / "headwatch.cmd", windows_script(command), [], [])


Runner = Callable[[list[str]], int]


def _run(argv: list[str]) -> int:
    if shutil.which(argv[0]) is None:
        return 127
    return subprocess.run(argv, capture_output=True, check=False).returncode


Query = Callable[[list[str]], tuple[int, str]]


def _query(argv: list[str]) -> tuple[int, str]:
    if shutil.which(argv[0]) is None:
        return 127, ""
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    return done.returncode, done.stdout.strip()


@dataclass(frozen=True, slots=True)
class ServiceState:
    installed: bool
    enabled: bool | None  # None: the system could not be asked
    running: bool | None

    def describe(self, path: Path) -> str:
        if not self.installed:
            return f"not installed ({path})"

        def word(value: bool | None, yes: str, no: str) -> str:
            return "unknown (the service manager did not answer)" if value is None else yes if value else no

        return (f"installed: {path}; {word(self.enabled, 'enabled at login', 'not enabled at login')}; "
                f"{word(self.running, 'running now', 'not running now')}")


def state_of(service: Service, query: Query = _query) -> ServiceState:
    """Whether the login item is installed, enabled and running, as the system's own manager says."""
    installed = service.path.exists()
    if not installed:
        return ServiceState(False, False, False)

    def ask(argv: list[str] | None, default: bool) -> bool | None:
        if argv is None:
            return default
        code, output = query(argv)
        if code == 127:
            return None
        return code == 0 and output not in ("disabled", "inactive", "failed")

    return ServiceState(True, ask(service.enabled_query, True), ask(service.active_query, False))


def install(service: Service, runner: Runner | None = None) -> list[str]:
    """Write the login item and enable it; returns what could not be done (for the user to do)."""
    runner = runner or _run
    service.path.parent.mkdir(parents=True, exist_ok=True)
    service.path.write_text(service.text, encoding="utf-8", newline="")
    return [shlex.join(argv) for argv in service.enable if runner(argv) != 0]


def uninstall(service: Service, runner: Runner | None = None) -> bool:
    """Disable and remove the login item; False if there was none."""
    runner = runner or _run
    if not service.path.exists():
        return False
    for argv in service.disable:
        runner(argv)
    service.path.unlink()
    return True
