"""A real desktop for the tests that need one: Xvfb, a D-Bus session bus, and on it dunst (a
notification daemon) or trayer (a tray host). CI installs their Debian packages (.ci/run), so these
tests run there; elsewhere they skip, naming what is missing."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from conftest import wait_for


def need(*programs: str) -> None:
    missing = [p for p in programs if shutil.which(p) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (Debian packages; .ci/run installs them)")


def need_qt_platform() -> None:
    """Skip, naming what is missing, where Qt's platform plugin cannot load on this host (Qt would
    abort the test's process)."""
    from headwatch.system.qt_platform import platform_problem

    problem = platform_problem({"DISPLAY": ":0"}, answers=lambda _: True)  # the tests' Xvfb answers
    if problem is not None and problem.missing:
        pytest.skip(problem.line)


# Run in a mount namespace of its own: a library folder is covered by one of symbolic links to
# all it holds but the hidden libraries, so the loader finds them nowhere, as on a machine
# that lacks their packages. Nothing outside the namespace sees the change.
_HIDE = r"""set -e
mkdir -p "$1"
work=$(mktemp -d "$1/hide.XXXXXX") lib=$2; shift 2
mkdir "$work/real" "$work/shadow"
mount --bind "$lib" "$work/real"
for f in "$work"/real/* "$work"/real/.[!.]*; do if [ -e "$f" ] || [ -L "$f" ]; then ln -s "$f" "$work/shadow/"; fi; done
while [ "$1" != "--" ]; do rm -f "$work/shadow/$1" "$work/shadow/$1".*; shift; done
shift
mount --bind "$work/shadow" "$lib"
exec "$@"
"""


def without_libraries(work: Path, *sonames: str) -> list[str]:
    """The argv prefix that runs a command as on a machine without these libraries (Linux: root in
    a mount namespace of its own); skips where that cannot be done here."""
    from headwatch.system.qt_platform import plugin_folder

    if shutil.which("unshare") is None or subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode:
        pytest.skip("hiding a system library needs a mount namespace of its own (unshare -m, as root)")
    folder = plugin_folder()
    assert folder is not None
    listing = subprocess.run(["ldd", str(folder / "libqxcb.so")], capture_output=True, text=True).stdout
    found = dict(line.strip().split(" => ") for line in listing.splitlines() if " => " in line)
    if all(found.get(name) == "not found" for name in sonames):
        return []  # this machine lacks them already
    where = {Path(found[name].split(" (")[0]).resolve().parent for name in sonames if name in found}
    if len(where) != 1:
        pytest.skip(f"{', '.join(sonames)}: not installed in one folder here, nothing to hide")
    (library_folder,) = where
    return ["unshare", "-m", "sh", "-c", _HIDE, "hide", str(work), str(library_folder), *sonames, "--"]



@contextmanager
def desktop(folder: Path, width: int = 800, height: int = 600) -> Iterator[dict[str, str]]:
    """An X display and a session bus; yields the environment variables that reach them."""
    need("Xvfb", "dbus-daemon")
    started: list[subprocess.Popen[bytes]] = []
    try:
        display = next(n for n in range(90, 200) if not Path(f"/tmp/.X{n}-lock").exists())
        xvfb = subprocess.Popen(["Xvfb", f":{display}", "-screen", "0", f"{width}x{height}x24", "-nolisten", "tcp"],
                                stdout=subprocess.DEVNULL, stderr=(folder / "xvfb.log").open("wb"))
        started.append(xvfb)
        assert wait_for(Path(f"/tmp/.X11-unix/X{display}").exists), "Xvfb did not start"
        bus = folder / "bus"
        dbus = subprocess.Popen(["dbus-daemon", "--session", "--nofork", f"--address=unix:path={bus}"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started.append(dbus)
        assert wait_for(bus.exists), "the session bus did not start"
        yield {"DISPLAY": f":{display}", "DBUS_SESSION_BUS_ADDRESS": f"unix:path={bus}"}
    finally:
        for process in reversed(started):
            process.terminate()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()


def start(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(argv, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        process.kill()
