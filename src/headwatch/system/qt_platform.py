"""Whether Qt's platform plugin can load here, asked before Qt tries: where it cannot, Qt prints
five lines (blaming libxcb-cursor0 whatever is really missing) and aborts the whole process
(SIGABRT, exit 134, a core dump on many systems).

The plugin's own dependencies are resolved by the system's loader (``ldd`` lists every library
the plugin and the Qt libraries under it need, and "not found" for those it cannot find), so the
libraries named are the ones really missing, with the packages that carry them.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from headwatch.system.display import Answers, display_problem, socket_answers

# soname -> (Debian/Ubuntu, Fedora, Arch) package: the libraries Qt 6's xcb and wayland plugins link.
PACKAGES: dict[str, tuple[str, str, str]] = {
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm", "xcb-util-wm"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms", "xcb-util-keysyms"),
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor", "xcb-util-cursor"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image", "xcb-util-image"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil", "xcb-util-renderutil"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util", "xcb-util"),
    "libxcb.so.1": ("libxcb1", "libxcb", "libxcb"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb", "libxcb"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb", "libxcb"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb", "libxcb"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb", "libxcb"),
    "libxcb-xinerama.so.0": ("libxcb-xinerama0", "libxcb", "libxcb"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon", "libxkbcommon"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11", "libxkbcommon-x11"),
    "libX11.so.6": ("libx11-6", "libX11", "libx11"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb", "libx11"),
    "libGL.so.1": ("libgl1", "libglvnd-glx", "libglvnd"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl", "libglvnd"),
    "libOpenGL.so.0": ("libopengl0", "libglvnd-opengl", "libglvnd"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype", "freetype2"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2", "glib2"),
    "libgthread-2.0.so.0": ("libglib2.0-0", "glib2", "glib2"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs", "dbus"),
    "libwayland-client.so.0": ("libwayland-client0", "libwayland-client", "wayland"),
    "libwayland-cursor.so.0": ("libwayland-cursor0", "libwayland-cursor", "wayland"),
    "libwayland-egl.so.1": ("libwayland-egl1", "libwayland-egl", "wayland"),
}

Run = Callable[[list[str]], str | None]
_NOT_FOUND = re.compile(r"^\s*(\S+)\s*=>\s*not found", re.MULTILINE)


def _ldd(argv: list[str]) -> str | None:
    """ldd's listing, or None where there is no ldd (not glibc or musl) or it fails."""
    if shutil.which(argv[0]) is None:
        return None
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=15, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def not_found(listing: str) -> list[str]:
    """The libraries an ``ldd`` listing says the loader cannot find, once each, in its order."""
    return list(dict.fromkeys(_NOT_FOUND.findall(listing)))


def missing_libraries(plugin: Path, run: Run = _ldd) -> list[str] | None:
    """What the plugin needs and the loader cannot find; None where that cannot be told (no ldd)."""
    listing = run(["ldd", str(plugin)])
    return None if listing is None else not_found(listing)


def _words(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def install_hint(missing: list[str]) -> str:
    """The commands that install ``missing`` on Debian/Ubuntu, Fedora and Arch."""
    known = [PACKAGES[name] for name in missing if name in PACKAGES]
    unknown = [name for name in missing if name not in PACKAGES]
    if not known:
        return f"install the package that provides {_words(unknown)}"

    def packages(column: int) -> str:
        return " ".join(dict.fromkeys(row[column] for row in known))

    hint = (f"sudo apt install {packages(0)} (Fedora: sudo dnf install {packages(1)}; Arch: sudo pacman -S "
            f"{packages(2)})")
    return hint + (f", and the package that provides {_words(unknown)}" if unknown else "")


def plugin_folder() -> Path | None:
    """Qt's own platform plugins (PySide6/Qt/plugins/platforms), found without importing Qt."""
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "Qt" / "plugins" / "platforms"
    return folder if folder.is_dir() else None


def platforms_to_try(env: Mapping[str, str]) -> list[str]:
    """The platform plugins Qt will try, in its order: QT_QPA_PLATFORM (a list with ;), else
    wayland then xcb in a Wayland session, else xcb."""
    chosen = env.get("QT_QPA_PLATFORM", "")
    if chosen:
        return [part.split(":")[0].strip() for part in chosen.split(";") if part.strip()]
    if env.get("XDG_SESSION_TYPE") == "wayland" and env.get("WAYLAND_DISPLAY"):
        return ["wayland", "xcb"]
    return ["xcb"]


@dataclass(frozen=True, slots=True)
class PlatformProblem:
    """Why Qt cannot open its platform here, in one line with what to do; ``missing``: the
    libraries the plugin lacks (none when what is lacking is a display)."""

    line: str
    missing: tuple[str, ...] = ()


def platform_problem(env: Mapping[str, str] | None = None, system: str = sys.platform, run: Run = _ldd,
                     folder: Path | None = None, answers: Answers = socket_answers
                     ) -> PlatformProblem | None:
    """Why Qt cannot open its platform here, or None when it can (or where that cannot be told
    ahead: Qt is then left to try). Only Linux and the BSDs load these plugins; macOS and
    Windows have Qt's own."""
    if not system.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return None
    env = os.environ if env is None else env
    folder = folder or plugin_folder()
    problems: list[PlatformProblem] = []
    for platform in platforms_to_try(env):
        if platform not in ("xcb", "wayland"):
            return None  # offscreen, minimal, eglfs...: no display needed, nothing to tell ahead
        plugin = folder / f"libq{platform}.so" if folder is not None else None
        missing = missing_libraries(plugin, run) if plugin is not None and plugin.is_file() else None
        if missing:
            problems.append(PlatformProblem(
                f"Qt's {platform} platform plugin cannot load: {_words(missing)} "
                f"{'is' if len(missing) == 1 else 'are'} not installed; {install_hint(missing)}", tuple(missing)))
            continue
        display = display_problem(platform, env, answers)
        if display is None:
            return None
        problems.append(PlatformProblem(f"{display}: run it inside your desktop session, or `headwatch monitor` "
                                        "in a terminal"))
    # A missing library is what the user can least guess (Qt's own message blames another one).
    return next((p for p in problems if p.missing), problems[0] if problems else None)
