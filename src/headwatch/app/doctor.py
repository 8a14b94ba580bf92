"""`headwatch doctor`: what works on this machine and what to change, a line per check: the pose
model, the camera and the framing, notifications, the tray, the login service, and where files go."""

from __future__ import annotations

import importlib.util
import time
from dataclasses import dataclass
from pathlib import Path

from headwatch.app.context import stay_offline
from headwatch.config.settings import Settings
from headwatch.errors import HeadwatchError

LOOKS = 5  # frames the framing is judged on
LOOK_EVERY_S = 0.4


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool | None  # None: a fact to know, not a pass or a failure
    said: str

    def line(self) -> str:
        mark = {True: "ok", False: "FIX", None: "--"}[self.ok]
        return f"{mark:<4} {self.name:<14} {self.said}"


@dataclass(frozen=True, slots=True)
class Diagnosis:
    checks: list[Check]

    @property
    def failed(self) -> bool:
        return any(check.ok is False for check in self.checks)

    def text(self) -> str:
        lines = [check.line() for check in self.checks]
        lines.append("something to fix: see the FIX lines" if self.failed else "all set: `headwatch monitor` (or "
                     "`headwatch monitor --tray`)")
        return "\n".join(lines)


def diagnose(settings: Settings, config: Path | None = None) -> Diagnosis:
    """Run every check; none raises (a failure is a FIX line)."""
    model = _model(settings)
    return Diagnosis([model, *_camera_and_framing(settings, model.ok is True), _notifications(settings), _tray(),
                      _service(config), *_files(settings, config)])


def _model(settings: Settings) -> Check:
    from headwatch.vision.models import load_model

    try:
        bundle = load_model(settings.capture.model)
    except HeadwatchError as exc:
        return Check("pose model", False, str(exc))
    return Check("pose model", True, f"{bundle.path.name}, checksum verified")


def _camera_and_framing(settings: Settings, model_ok: bool) -> list[Check]:
    from headwatch.app.analysis import open_source
    from headwatch.app.live import busy_camera_line, demo_hint
    from headwatch.app.pipeline import framing_of, observe
    from headwatch.posture.framing import lasting_problems
    from headwatch.vision.pose import PoseEstimator
    from headwatch.vision.sources import is_live

    source = settings.capture.source
    name = f"camera {source}" if source.isdigit() else "source"
    stay_offline(source)
    looks: list[list[str]] = []
    size = ""
    try:
        with open_source(source) as reader:
            frame = reader.next_frame(0.0)
            if frame is None:
                return [Check(name, False, f"{source}: no frame came"), Check("framing", None, "not checked")]
            size = f"{frame.image.shape[1]}x{frame.image.shape[0]}"
            if model_ok:
                with PoseEstimator(settings.capture.model, mode="video") as detector:
                    while frame is not None and len(looks) < LOOKS:
                        seen = observe(frame, detector)
                        looks.append(framing_of(seen.pose, frame.image))
                        if is_live(source):
                            time.sleep(LOOK_EVERY_S)
                        frame = reader.next_frame(frame.t_s + LOOK_EVERY_S)
    except HeadwatchError as exc:
        said = busy_camera_line(source) or f"{exc}{demo_hint(source, exc)}"  # who holds it, where that can be told
        return [Check(name, False, said), Check("framing", None, "not checked: no picture")]
    camera = Check(name, True, f"{source}: {size}")
    if not looks:
        return [camera, Check("framing", None, "not checked: no pose model")]
    problems = lasting_problems(looks)
    if problems:
        return [camera, Check("framing", False, "; ".join(problems))]
    return [camera, Check("framing", True, "head and both shoulders in view, large enough and lit")]


def _notifications(settings: Settings) -> Check:
    from headwatch.system.notify import choose_notifier

    chosen = choose_notifier(settings.notify.mode)
    close = getattr(chosen.notifier, "close", None)
    if callable(close):
        close()
    if chosen.fallback and chosen.through == "terminal":
        return Check("notifications", False, f"{chosen.said}: install a notification daemon (a desktop has one) "
                                             "or notify-send (Debian: libnotify-bin)")
    return Check("notifications", True, chosen.said)


def _tray() -> Check:
    if importlib.util.find_spec("PySide6") is None:
        return Check("tray", None, "the desktop extra is not installed: pip install 'headwatch[desktop]' for "
                                   "`headwatch monitor --tray`")
    from headwatch.app.desktop import tray_problem

    problem = tray_problem()
    if problem is None:
        return Check("tray", True, "Qt is installed and can open here: `headwatch monitor --tray` (where the "
                                   "desktop has a tray)")
    # A library missing is to fix; no display (a server, an ssh session) is a fact to know.
    return Check("tray", False if problem.missing else None, problem.line)


def _service(config: Path | None) -> Check:
    from headwatch.app.service import service_status

    try:
        return Check("login service", None, service_status(config).replace("\n", "; "))  # a line per check
    except HeadwatchError as exc:
        return Check("login service", None, str(exc))


def _files(settings: Settings, config: Path | None) -> list[Check]:
    import os

    from headwatch.config.settings import config_path_in_effect
    from headwatch.files import user_folder
    from headwatch.storage.profiles import profiles_dir
    from headwatch.storage.recorder import history_path

    config_file, chosen_by = config_path_in_effect(config, os.environ)
    there = "" if config_file.is_file() else " (not written yet: `headwatch config init`)"
    return [Check("config", None, f"{config_file} ({chosen_by}){there}"),
            Check("history", None, str(history_path(settings.output.history))),
            Check("profiles", None, str(profiles_dir(settings.output.profiles_dir))),
            _pause_channel(),
            Check("today's page", None, str(user_folder("cache") / "today.html"))]


def _pause_channel() -> Check:
    """The runtime folder `headwatch pause` reaches the monitor through: FIX where another user
    made it or may write into it (the monitor would go on without pause and resume)."""
    from headwatch.system.control import checked_control_dir

    try:
        return Check("pause channel", True, str(checked_control_dir()))
    except HeadwatchError as exc:
        return Check("pause channel", False, str(exc))
