"""Runs the tray on a video file (in a process of its own: Qt binds a process to one display) and
clicks through its menu as a person would, one step when the previous one showed its effect.
Screenshots of the whole screen and what each step saw go to the folder given; test_tray.py
reads them.

    python tests/tray_driver.py CLIP FOLDER [--crash]

With --crash the monitor behind the tray fails with an unexpected error at once.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from headwatch.app.assemble import ReferenceChoice
from headwatch.app.context import settings_in_effect
from headwatch.app.live import MonitorRequest
from headwatch.app.report import todays_page
from headwatch.gui.tray import Tray, qt_application


def crash(folder: Path) -> None:
    """A bug in the monitor: the tray must end with its line, not stay up with nothing behind it."""
    import headwatch.gui.tray as tray_module

    def broken(request: MonitorRequest) -> None:
        raise RuntimeError("boom")

    tray_module.run_monitor = broken  # type: ignore[assignment]
    qt_application()
    tray = Tray(MonitorRequest(settings_in_effect(None, {"notify.mode": "none"}), ReferenceChoice("auto")))
    from PySide6 import QtWidgets

    tray.start()
    QtWidgets.QApplication.exec()
    (folder / "seen.json").write_text(json.dumps({"error": tray.error, "icon_visible": tray.icon.isVisible()}))


def main(clip: Path, folder: Path) -> None:
    application = qt_application()
    from PySide6 import QtCore, QtWidgets

    settings = settings_in_effect(None, {"notify.mode": "none", "output.events": str(folder / "events.jsonl"),
                                         "output.history": str(folder / "history.sqlite"),
                                         "reference.learn_min": 0.1})
    opened: list[str] = []
    tray = Tray(MonitorRequest(settings, ReferenceChoice("auto"), source=str(clip), out=folder / "looks.jsonl"),
                open_url=opened.append, report=lambda: todays_page(settings))
    seen: dict[str, object] = {"tray_available": QtWidgets.QSystemTrayIcon.isSystemTrayAvailable()}

    def looks() -> int:
        path = folder / "looks.jsonl"
        return len(path.read_text().splitlines()) if path.exists() else 0

    def events() -> list[dict[str, object]]:
        path = folder / "events.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    def shot(name: str) -> None:
        application.processEvents()
        time.sleep(0.3)
        application.processEvents()
        subprocess.run(["import", "-window", "root", str(folder / f"{name}.png")], check=True, timeout=30)
        seen[name] = {"state": tray.state.name if tray.state else None,
                      "tooltip": tray.state.tooltip if tray.state else None,
                      "resume_enabled": tray.actions["resume"].isEnabled(),
                      "pause_enabled": tray.actions["pause_15"].isEnabled(),
                      "menu_status": tray.status_entry.text()}

    # (what to wait for, what to do then); each step waits up to 30 s.
    steps: list[tuple[Callable[[], bool], Callable[[], None]]] = [
        (lambda: tray.state is not None and looks() >= 12, lambda: shot("watching")),
        (lambda: True, lambda: tray.actions["pause_15"].trigger()),
        (lambda: tray.state is not None and tray.state.name == "paused", lambda: shot("paused")),
        (lambda: True, lambda: tray.actions["resume"].trigger()),
        (lambda: tray.state is not None and tray.state.name != "paused", lambda: shot("resumed")),
        (lambda: True, lambda: tray.actions["snooze"].trigger()),
        (lambda: tray.state is not None and "snoozed" in tray.state.tooltip, lambda: shot("snoozed")),
        (lambda: True, lambda: tray.actions["upright"].trigger()),
        (lambda: any(e.get("cause") == "you" for e in events()), lambda: seen.update(upright=True)),
        (lambda: True, lambda: tray.actions["preview"].trigger()),
        (lambda: tray.preview.picture.pixmap() is not None and not tray.preview.picture.pixmap().isNull(),
         lambda: shot("preview")),
        (lambda: True, lambda: tray.actions["report"].trigger()),
        (lambda: bool(opened), lambda: seen.update(opened=opened)),
        (lambda: True, lambda: tray.actions["quit"].trigger()),
    ]
    started = time.monotonic()

    def advance() -> None:
        nonlocal started
        if not steps:
            return
        ready, do = steps[0]
        if ready():
            steps.pop(0)
            do()
            started = time.monotonic()
        elif time.monotonic() - started > 30:
            seen["stuck_at"] = len(seen)
            steps.clear()
            tray.quit()

    timer = QtCore.QTimer()
    timer.timeout.connect(advance)
    timer.start(100)
    tray.start()
    application.exec()
    seen["summary"] = tray.result.text() if tray.result else None
    seen["error"] = tray.error
    seen["steps_left"] = len(steps)
    (folder / "seen.json").write_text(json.dumps(seen, indent=1))


if __name__ == "__main__":
    if "--crash" in sys.argv:
        crash(Path(sys.argv[2]))
    else:
        main(Path(sys.argv[1]), Path(sys.argv[2]))
