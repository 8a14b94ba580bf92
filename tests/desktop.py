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
