"""Whether a display answers here, asked before a window or a tray opens: on Linux and the BSDs
a toolkit that finds no display (or a DISPLAY that is set but dead) aborts the whole process
(SIGABRT, exit 134). Pure but for the one socket probe, which callers may replace."""

from __future__ import annotations

import os
import re
import socket
import sys
from collections.abc import Callable, Mapping

Answers = Callable[[str], bool]


def socket_answers(path: str) -> bool:
    """Whether a local (Unix) socket at ``path`` accepts a connection."""
    if not hasattr(socket, "AF_UNIX"):
        return False
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(1.0)
        try:
            probe.connect(path)
        except OSError:
            return False
    return True


def display_problem(platform: str, env: Mapping[str, str], answers: Answers = socket_answers) -> str | None:
    """Why Qt's ``platform`` plugin ("xcb" or "wayland") has no display to show on (None: it has
    one, or only connecting would tell: a remote X display, another plugin)."""
    if platform == "xcb":
        display = env.get("DISPLAY", "")
        if not display:
            return "no X display here (DISPLAY is not set)"
        local = re.fullmatch(r"(?:unix)?:(\d+)(?:\.\d+)?", display)
        if local and not answers(f"/tmp/.X11-unix/X{local.group(1)}"):
            return f"the X display {display} does not answer"
        return None  # a remote display (host:0): only Qt's connecting would tell
    if platform == "wayland":
        name = env.get("WAYLAND_DISPLAY", "")
        if not name:
            return "no Wayland display here (WAYLAND_DISPLAY is not set)"
        path = name if os.path.isabs(name) else os.path.join(env.get("XDG_RUNTIME_DIR", ""), name)
        return None if answers(path) else f"the Wayland display {name} does not answer"
    return None


def display_available(platform: str | None = None, env: Mapping[str, str] | None = None,
                      answers: Answers | None = None) -> bool:
    """Whether a window can open: on Linux and the BSDs only with a Wayland or X display that
    answers; macOS and Windows always have one."""
    platform = platform or sys.platform
    if platform in ("darwin", "win32"):
        return True
    env = os.environ if env is None else env
    return any(display_problem(kind, env, answers or socket_answers) is None for kind in ("wayland", "xcb"))
