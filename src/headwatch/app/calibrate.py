"""The calibrate use case: learn a person's upright baseline from a camera or a stretch of a video
and keep it as a profile; show or delete a profile."""

from __future__ import annotations

import datetime
import json
import logging
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from headwatch.app.context import stay_offline
from headwatch.config.settings import Settings
from headwatch.errors import HeadwatchError, UsageError
from headwatch.posture.calibration import CalibrationError, Profile

log = logging.getLogger("headwatch")


@dataclass(frozen=True, slots=True)
class CalibrationResult:
    profile: Profile
    path: Path

    def text(self) -> str:
        key = next(iter(self.profile.baseline))
        lines = [f"saved profile {self.profile.name!r} ({self.profile.family} view, {self.profile.frames} frames) "
                 f"to {self.path}"]
        for name, base in self.profile.baseline.items():
            marker = "  <- judged" if name == key else ""
            lines.append(f"  {name:<22} {base.median:8.2f}  (spread {base.spread:.2f}){marker}")
        return "\n".join(lines)


def _folder(settings: Settings) -> Path:
    from headwatch.storage.profiles import profiles_dir

    return profiles_dir(settings.output.profiles_dir)


def show_profile(settings: Settings, name: str) -> str:
    """The profile as JSON (UsageError when there is none by that name)."""
    from headwatch.storage.profiles import load_profile

    try:
        return json.dumps(load_profile(_folder(settings), name).to_json(), indent=2)
    except HeadwatchError as exc:
        raise UsageError(str(exc)) from None


def delete_profile(settings: Settings, name: str) -> str:
    from headwatch.storage.profiles import delete_profile as delete
    from headwatch.storage.profiles import profile_path

    folder = _folder(settings)
    try:
        path = profile_path(folder, name)
        return f"deleted {path}" if delete(folder, name) else f"no profile {name!r} to delete"
    except HeadwatchError as exc:
        raise UsageError(str(exc)) from None


def calibrate_profile(settings: Settings, name: str, start: float | None = None, stop: float | None = None,
                      tell: Callable[[str], None] = log.info) -> CalibrationResult:
    """Record the stretch (a camera: calibration.seconds from now, announced through ``tell``; a
    video: ``start`` to ``stop``), learn the baseline and save it. A stretch that is no upright
    posture is refused (HeadwatchError, saying why)."""
    from headwatch.app.analysis import open_source, record_stretch
    from headwatch.posture.calibration import calibrate as learn
    from headwatch.storage.profiles import profile_path, save_profile
    from headwatch.vision.pose import PoseEstimator
    from headwatch.vision.sources import is_live

    folder = _folder(settings)
    try:
        profile_path(folder, name)  # a name that cannot be a file: before anything is recorded
    except HeadwatchError as exc:
        raise UsageError(str(exc)) from None
    if start is not None and stop is not None and stop <= start:
        raise UsageError(f"--to ({stop:g}) must be after --from ({start:g})")
    spec = settings.capture.source
    stay_offline(spec)
    live = is_live(spec)
    begin = 0.0 if live else (start or 0.0)
    end = begin + settings.calibration.seconds if live or stop is None else stop
    with ExitStack() as stack:
        reader = stack.enter_context(open_source(spec))
        detector = stack.enter_context(PoseEstimator(settings.capture.model, mode="video"))
        if live:
            tell(f"Sit upright and look at the screen: recording {end - begin:.0f} s ...")
        samples = record_stretch(reader, detector, begin, end, settings.capture.fps, live)
        created = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
        where = spec if live else f"{spec} from {begin:g} s to {end:g} s"
        try:
            learned = learn(samples, name, source=where, created=created)
        except CalibrationError as exc:
            raise HeadwatchError(f"calibration refused: {exc}") from None
        return CalibrationResult(learned, save_profile(folder, learned))
