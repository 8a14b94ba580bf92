"""The README's and the site's pictures, made on a real desktop: Xvfb, a D-Bus session with dunst
(a notification daemon) and trayer (a tray host), the tray running on the demo clip; and the HTML
report of a week of history (tools/week_history.py: sessions replayed from the demo's measured
looks over seven days) in headless Chromium.

    python tools/screenshots.py docs/screenshots              # all four
    python tools/screenshots.py docs/screenshots --only report

Needs Debian's xvfb, dbus, dunst, trayer, imagemagick, x11-utils and chromium (.ci/run installs
them) and the desktop extra. Writes tray.png, notification.png, preview.png and report.png.
"""

from __future__ import annotations

import argparse
import datetime
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tools"))
from desktop import desktop, start, stop  # noqa: E402  (the tests' desktop, reused)
from week_history import build  # noqa: E402

REPORT_WEEK = datetime.date(2026, 11, 23)  # a fixed week, so the picture does not depend on the day it is made

DEMO = ROOT / "samples" / "demo_slouch.mp4"
WIDTH, HEIGHT, TRAY_W, TRAY_H = 1100, 760, 160, 36

DRIVER = """
import sys, time
from pathlib import Path
from PySide6 import QtCore
from headwatch.app.assemble import ReferenceChoice
from headwatch.app.context import settings_in_effect
from headwatch.app.live import MonitorRequest
from headwatch.gui.tray import Tray, qt_application

folder = Path(sys.argv[1])
application = qt_application()
settings = settings_in_effect(None, {"output.history": str(folder / "history.sqlite"), "alerts.bad_for_s": 8.0})
tray = Tray(MonitorRequest(settings, ReferenceChoice("absolute"), source=sys.argv[2], realtime=True))
marks = {"alert": False}

def watch():
    if tray.state is not None and tray.state.name == "alert" and not marks["alert"]:
        marks["alert"] = True
        (folder / "alert").write_text(tray.state.tooltip)
        tray.show_preview()
        tray.preview.move(300, 160)  # beside the notification: there is no window manager to place it
    if (folder / "quit").exists():
        tray.quit()

timer = QtCore.QTimer()
timer.timeout.connect(watch)
timer.start(200)
tray.start()
application.exec()
"""


def shoot(env: dict[str, str], out: Path, crop: str, scale: int = 100) -> None:
    """A part of the screen (``crop``: WxH+X+Y), magnified ``scale`` percent."""
    screen = out.with_suffix(".screen.png")
    subprocess.run(["import", "-window", "root", str(screen)], env={**os.environ, **env}, check=True, timeout=30)
    subprocess.run(["convert", str(screen), "-crop", crop, "+repage", "-scale", f"{scale}%", str(out)], check=True,
                   timeout=30)
    screen.unlink()


def window(env: dict[str, str], name: str) -> tuple[int, int, int, int] | None:
    found = subprocess.run(["xwininfo", "-name", name], env={**os.environ, **env}, capture_output=True, text=True)
    if found.returncode != 0:
        return None
    values = {}
    for line in found.stdout.splitlines():
        key, _, value = line.strip().partition(":")
        values[key] = value.strip()
    return (int(values["Absolute upper-left X"]), int(values["Absolute upper-left Y"]), int(values["Width"]),
            int(values["Height"]))


def desktop_pictures(out: Path) -> None:
    """The tray, a notification and the preview, during the demo clip's alert."""
    with tempfile.TemporaryDirectory() as scratch, desktop(Path(scratch), WIDTH, HEIGHT) as env:
        folder = Path(scratch)
        config = folder / "dunstrc"  # dunst at the top left, its icon shown, large enough to read
        config.write_text("[global]\n    origin = top-left\n    offset = 10x10\n    width = 460\n"
                          "    font = DejaVu Sans 11\n    max_icon_size = 48\n    frame_width = 2\n")
        daemons = [start(["dunst", "-config", str(config)], env, folder / "dunst.log"),
                   start(["trayer", "--edge", "top", "--align", "right", "--widthtype", "pixel", "--width",
                          str(TRAY_W), "--heighttype", "pixel", "--height", str(TRAY_H), "--transparent", "false",
                          "--tint", "0x303030"], env, folder / "trayer.log")]
        time.sleep(1.0)
        driver = subprocess.Popen([sys.executable, "-c", DRIVER, str(folder), str(DEMO)], env={**os.environ, **env})
        try:
            deadline = time.monotonic() + 120
            while not (folder / "alert").exists() and time.monotonic() < deadline:
                time.sleep(0.2)
            time.sleep(2.5)  # the notification and a few frames in the preview
            shoot(env, out / "notification.png", "470x112+0+0")
            shoot(env, out / "tray.png", f"{TRAY_W}x{TRAY_H}+{WIDTH - TRAY_W}+0", 300)
            geometry = window(env, "headwatch preview")
            if geometry is not None:
                x, y, w, h = geometry
                shoot(env, out / "preview.png", f"{w}x{h}+{x}+{y}")
            (folder / "quit").write_text("")
            quitting = time.monotonic()
            driver.wait(60)
            print(f"the tray quit in {time.monotonic() - quitting:.1f} s")
        finally:
            if driver.poll() is None:
                driver.kill()
            for daemon in daemons:
                stop(daemon)


def report_picture(out: Path) -> None:
    """The HTML report of a week of history, as Chromium draws it."""
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        history = folder / "history.sqlite"
        build(history, REPORT_WEEK - datetime.timedelta(days=7), days=14)  # the week before gives the trend
        page = folder / "report.html"
        end = REPORT_WEEK + datetime.timedelta(days=7)
        subprocess.run([sys.executable, "-m", "headwatch", "report", "--history", str(history), "--from",
                        REPORT_WEEK.isoformat(), "--to", end.isoformat(), "--html", str(page)], check=True)
        subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                        "--disable-component-update", "--disable-sync", "--no-first-run",
                        f"--user-data-dir={folder / 'chromium'}", "--window-size=1000,1400",
                        f"--screenshot={out / 'report.png'}", page.as_uri()], check=True, capture_output=True,
                       timeout=120)


def main(out: Path, only: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    if only in ("all", "desktop"):
        desktop_pictures(out)
    if only in ("all", "report"):
        report_picture(out)
    print(f"wrote {', '.join(sorted(p.name for p in out.glob('*.png')))} to {out}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--only", choices=("all", "desktop", "report"), default="all")
    arguments = parser.parse_args()
    main(arguments.out, arguments.only)
