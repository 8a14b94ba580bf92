"""Which other program has the camera open, so that headwatch can step aside for a video call.

On Linux a UVC camera streams to one program at a time: while headwatch holds it, a video call
finds it busy. Every process's open files are links in /proc/PID/fd; the ones that point at the
camera's device node (/dev/videoN) name who uses it. Reading them all costs a few milliseconds,
so it is done when the device node reports an open or a close (inotify), and while someone else
holds it; where inotify is not to be had, every few seconds. macOS and Windows share a camera
between programs themselves: there is nothing to detect there.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

IN_OPEN, IN_CLOSE_WRITE, IN_CLOSE_NOWRITE = 0x20, 0x08, 0x10
IN_NONBLOCK, IN_CLOEXEC = os.O_NONBLOCK, 0o2000000
SCAN_WITHOUT_INOTIFY_S = 2.0
SCAN_WITH_INOTIFY_S = 60.0  # a safety net: an open inotify missed (a node re-created by a replug)


@dataclass(frozen=True, slots=True)
class CameraUser:
    pid: int
    name: str  # the program's name as the kernel keeps it (/proc/PID/comm), e.g. "zoom", "firefox"


def camera_device(spec: str, platform: str = sys.platform) -> Path | None:
    """The device node a camera source reads (Linux: camera N is /dev/videoN); None elsewhere."""
    if not platform.startswith("linux"):
        return None
    if spec.isdigit():
        return Path(f"/dev/video{spec}")
    return Path(spec) if spec.startswith("/dev/") else None


def users_of(device: Path, proc: Path = Path("/proc"), own_pid: int | None = None) -> list[CameraUser]:
    """The other processes that have ``device`` open, as far as this user may see (another user's
    processes keep their files to themselves)."""
    target = os.path.realpath(device)
    own = os.getpid() if own_pid is None else own_pid
    found = []
    with os.scandir(proc) as entries:
        for entry in entries:
            if not entry.name.isdigit() or int(entry.name) == own:
                continue
            try:
                with os.scandir(os.path.join(entry.path, "fd")) as fds:
                    holds = any(_points_to(fd.path, target) for fd in fds)
                if holds:
                    name = Path(entry.path, "comm").read_text(encoding="utf-8", errors="replace").strip()
                    found.append(CameraUser(int(entry.name), name or f"process {entry.name}"))
            except OSError:  # gone meanwhile, or not ours to read
                continue
    return found


def _points_to(link: str, target: str) -> bool:
    try:
        return os.readlink(link) == target
    except OSError:
        return False


class _OpenWatch:
    """inotify on the device node: whether anybody opened or closed it since the last ask."""

    def __init__(self, device: Path) -> None:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        self.fd = libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        if libc.inotify_add_watch(self.fd, os.fsencode(device), IN_OPEN | IN_CLOSE_WRITE | IN_CLOSE_NOWRITE) < 0:
            errno = ctypes.get_errno()
            os.close(self.fd)
            raise OSError(errno, f"inotify_add_watch {device}")

    def happened(self) -> bool:
        seen = False
        while True:
            try:
                if not os.read(self.fd, 4096):
                    return seen
                seen = True
            except BlockingIOError:
                return seen

    def close(self) -> None:
        os.close(self.fd)


class CameraSharing:
    """``other()``: the name of another program using the camera now, None when there is none.
    Cheap to ask every second: /proc is read only after the device node was opened or closed,
    and while another program holds it."""

    def __init__(self, device: Path, clock: Callable[[], float] = time.monotonic,
                 users: Callable[[Path], list[CameraUser]] = users_of) -> None:
        self.device = device
        self.clock = clock
        self.users = users
        try:
            self._watch: _OpenWatch | None = _OpenWatch(device)
        except (OSError, AttributeError):  # no inotify (not Linux, or the node is gone): read /proc now and then
            self._watch = None
        self._holder: str | None = None
        self._next_scan = 0.0

    def other(self) -> str | None:
        changed = self._watch is not None and self._watch.happened()
        if changed or self._holder is not None or self.clock() >= self._next_scan:
            self._next_scan = self.clock() + (SCAN_WITH_INOTIFY_S if self._watch else SCAN_WITHOUT_INOTIFY_S)
            found = self.users(self.device)
            self._holder = found[0].name if found else None
        return self._holder

    def close(self) -> None:
        if self._watch is not None:
            self._watch.close()
            self._watch = None
