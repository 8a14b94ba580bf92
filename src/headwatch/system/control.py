"""A small control channel to a running monitor: `headwatch pause [DURATION]` and `headwatch resume`
from another terminal or a keyboard shortcut.

A folder in the user's runtime directory holds ``monitor-PID.pid``, one per running monitor, written
when it starts and removed when it stops (a command checks the process is alive, so one a crash left
behind does not count), and
``control.json``, the last command, which the monitor reads whenever it changes. Plain files work
the same on Linux, macOS and Windows, and need no network and no socket.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from headwatch.errors import HeadwatchError
from headwatch.files import (
    create_exclusive,
    make_private_folder,
    private_folder,
    read_small_text,
    user_folder,
)

PID_PATTERN = "monitor-*.pid"  # one per running monitor
COMMAND_SIZE_LIMIT = 4096  # a command is a line of JSON
COMMAND_FILE = "control.json"
# The longest pause a command may ask for: a week (a 400-digit number is infinity, and a pause that
# ends after the year 9999 cannot be told as a time).
MAX_PAUSE_S = 7 * 24 * 3600.0


def control_dir() -> Path:
    """The user's runtime folder for headwatch ($XDG_RUNTIME_DIR/headwatch on Linux; the
    platform's own elsewhere): private to the user, and emptied when they log out. Where it is, not
    whether it may be used: see ``checked_control_dir``."""
    return user_folder("runtime")


def checked_control_dir() -> Path:
    """The runtime folder, created private and checked: a folder another user made, or may write
    into, is never used (another user could pause or stop the monitor, or have it write through a
    link). Raises HeadwatchError with one line that says what is wrong."""
    try:
        return private_folder("runtime")  # UnsafePath (a HeadwatchError) says itself what is wrong
    except OSError as exc:
        raise HeadwatchError(f"{control_dir()}: cannot use the runtime folder ({exc.strerror or exc}); "
                             "check its permissions, or set XDG_RUNTIME_DIR to a folder of your own") from None


def pause_seconds(value: object) -> float | None:
    """A pause's length as a command carries it: None (until resumed) or a finite number of
    seconds within a week; ValueError for anything else (NaN, infinity, negative, a string)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"a pause of {value!r}: expected a number of seconds")
    seconds = float(value)
    if not 0 < seconds <= MAX_PAUSE_S:  # NaN fails this too
        raise ValueError(f"a pause of {value!r} seconds: expected more than 0 and at most a week (7d)")
    return seconds


@dataclass(frozen=True, slots=True)
class Command:
    action: str  # "pause" | "resume"
    seconds: float | None  # for a pause: how long (None: until resumed)
    issued: float  # time.time() when sent: tells one command from the next


def _alive(pid: int) -> bool:
    """Whether a process with this id runs (POSIX; elsewhere a pid file is taken at its word:
    Windows' os.kill would end the process, not ask about it)."""
    if os.name != "posix":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # somebody else's process: alive
        return True
    return True


def running_monitors(folder: Path) -> list[int]:
    """The process ids of the monitors running now; the pid files a crash left behind are removed."""
    alive = []
    for pid_file in folder.glob(PID_PATTERN):
        try:
            pid = int(read_small_text(pid_file, 64).strip())
        except (OSError, ValueError):
            continue
        if _alive(pid):
            alive.append(pid)
        else:
            _remove_files_of(pid_file)
    return alive


def _remove_files_of(pid_file: Path) -> None:
    """A monitor's own files: its pid file and its paused and taken markers."""
    for own in (pid_file.with_suffix(".paused"), pid_file.with_suffix(".taken"), pid_file):
        own.unlink(missing_ok=True)


def _write_fresh(path: Path, text: str = "") -> None:
    """Write one of the folder's small files anew: whatever stood there removed first, the new one
    created exclusively, never through a link."""
    path.unlink(missing_ok=True)
    create_exclusive(path, text)


def paused_monitors(folder: Path | None = None) -> list[int]:
    """The running monitors that are paused now (each marks it with ``monitor-PID.paused``)."""
    folder = folder or checked_control_dir()
    return [pid for pid in running_monitors(folder) if (folder / f"monitor-{pid}.paused").exists()]


def pending_pause(folder: Path | None = None) -> bool:
    """Whether the last command is a pause that a running monitor has not taken yet (a monitor
    reads commands between looks, which may lie seconds apart)."""
    folder = folder or checked_control_dir()
    try:
        data = json.loads(read_small_text(folder / COMMAND_FILE, COMMAND_SIZE_LIMIT))
        if data["action"] != "pause":
            return False
        issued = float(data["issued"])
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return any(_taken(folder, pid) != issued for pid in running_monitors(folder))


def _taken(folder: Path, pid: int) -> float | None:
    """The last command monitor ``pid`` took (its issued time), None when none."""
    try:
        return float(read_small_text(folder / f"monitor-{pid}.taken", 64))
    except (OSError, ValueError):
        return None


def send(action: str, seconds: float | None = None, folder: Path | None = None) -> Path:
    """Write a command for the running monitors; HeadwatchError when none is running or the
    runtime folder cannot be used."""
    seconds = pause_seconds(seconds)
    folder = folder or checked_control_dir()
    try:
        if not running_monitors(folder):
            raise HeadwatchError("no headwatch monitor is running (start one with `headwatch monitor`)")
        temporary = folder / f".{COMMAND_FILE}.{os.getpid()}.tmp"  # one a crash left is ours (a private folder)
        _write_fresh(temporary, json.dumps({"action": action, "seconds": seconds, "issued": time.time()}))
        temporary.replace(folder / COMMAND_FILE)  # atomic: the monitor never reads half a command
    except OSError as exc:
        raise HeadwatchError(f"{folder}: cannot reach the monitor ({exc.strerror or exc}); check the folder's "
                             "permissions") from None
    return folder


class ControlChannel:
    """The monitor's end: ``poll()`` returns a command once, when a new one arrives."""

    def __init__(self, folder: Path | None = None) -> None:
        """Raises HeadwatchError (an unsafe or unusable runtime folder) or OSError."""
        if folder is not None:
            make_private_folder(folder)
        self.folder = folder or checked_control_dir()
        (self.folder / COMMAND_FILE).unlink(missing_ok=True)  # an old command is not for this monitor
        # A pid file of its own: with two monitors, the first to stop must not unregister both. One
        # a crashed monitor of the same pid left is removed; nothing is ever written through a link.
        self.pid_file = self.folder / PID_PATTERN.replace("*", str(os.getpid()))
        _remove_files_of(self.pid_file)
        create_exclusive(self.pid_file, str(os.getpid()))
        self._seen: float | None = None
        self._stamp: tuple[int, int, int] | None = None

    def poll(self) -> Command | None:
        # Called before every sample: a stat, and a read only when the file changed.
        try:
            stamp = (self.folder / COMMAND_FILE).stat()
        except OSError:
            return None
        if (stamp.st_mtime_ns, stamp.st_size, stamp.st_ino) == self._stamp:
            return None
        self._stamp = (stamp.st_mtime_ns, stamp.st_size, stamp.st_ino)
        try:  # a FIFO or device put there must not freeze the monitor (NotAFile is a ValueError)
            data = json.loads(read_small_text(self.folder / COMMAND_FILE, COMMAND_SIZE_LIMIT))
            command = Command(str(data["action"]), pause_seconds(data.get("seconds")), float(data["issued"]))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None
        if command.issued == self._seen:
            return None
        self._seen = command.issued
        # Said before the command is obeyed: `headwatch resume` tells a pause taken from one to come.
        _write_fresh(self.pid_file.with_suffix(".taken"), repr(command.issued))
        return command

    def mark_paused(self, paused: bool) -> None:
        """Say whether this monitor is paused, so that `headwatch resume` can tell when there is
        nothing to resume."""
        marker = self.pid_file.with_suffix(".paused")
        if paused:
            _write_fresh(marker)
        else:
            marker.unlink(missing_ok=True)

    def close(self) -> None:
        _remove_files_of(self.pid_file)
        if not running_monitors(self.folder):  # the last monitor out: no command is left for anyone
            (self.folder / COMMAND_FILE).unlink(missing_ok=True)


def parse_duration(text: str) -> float:
    """'90' (seconds), '90s', '15m', '1h', '1h30m', '2d' -> seconds, at most a week; ValueError otherwise."""
    remaining, total = text.strip().lower(), 0.0
    if remaining.replace(".", "", 1).isdigit():
        return _within_limits(text, float(remaining))
    units = {"d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0}
    number = ""
    for char in remaining:
        if char.isdigit() or char == ".":
            number += char
        elif char in units and number:
            total += float(number) * units[char]
            number = ""
        else:
            raise ValueError(f"{text!r}: expected a duration such as 90s, 15m or 1h30m")
    if number or total <= 0:
        raise ValueError(f"{text!r}: expected a duration such as 90s, 15m or 1h30m")
    return _within_limits(text, total)


def _within_limits(text: str, seconds: float) -> float:
    if not 0 < seconds <= MAX_PAUSE_S:
        raise ValueError(f"{text[:20]!r}{'...' if len(text) > 20 else ''}: a pause of more than 0 s and at most "
                         "a week (7d); `headwatch resume` ends one early")
    return seconds
