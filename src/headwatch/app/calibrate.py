"""The calibrate use case: learn a person's upright baseline from a camera or a stretch of a video
and keep it as a profile; show or delete a profile."""

from __future__ import annotations

import datetime
import json
import logging
import math
import re
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
    limits: list[str]  # the limits it gives, in the why's wording

    def text(self, saved: bool = True) -> str:
        key = next(iter(self.profile.baseline))
        about = [f"{self.profile.family} view", f"{self.profile.frames} frames"]
        about += [f"from {self.profile.source}"] if self.profile.source else []
        about += [self.profile.created] if self.profile.created else []
        heading = f"profile {self.profile.name!r} ({', '.join(about)})"
        lines = [f"saved {heading} to {self.path}" if saved else f"{heading} in {self.path}"]
        for name, base in self.profile.baseline.items():
            marker = "  <- judged" if name == key else ""
            lines.append(f"  {name:<22} {base.median:8.2f}  (spread {base.spread:.2f}){marker}")
        lines.append("judged bad when:")
        lines += [f"  {limit}" for limit in self.limits]
        return "\n".join(lines)


def limits_of(settings: Settings, profile: Profile) -> list[str]:
    """The limits a profile gives its view family, each as ``metric beyond limit (origin)``."""
    from headwatch.app.assemble import limits_for
    from headwatch.types import METRIC_WORDS

    limits = limits_for(settings, profile)
    bands = limits.profile if profile.family == "profile" else limits.front
    out = []
    for metric, band in bands.items():
        label, digits, unit = METRIC_WORDS.get(metric, (metric.replace("_", " "), 2, ""))
        ends = [f"< {band.low:.{digits}f}{unit}" if band.low > -math.inf else "",
                f"> {band.high:.{digits}f}{unit}" if band.high < math.inf else ""]
        out.append(f"{label} {' or '.join(e for e in ends if e)} ({band.origin})")
    return out


def default_name(settings: Settings, name: str | None) -> str:
    """A camera calibrates the profile the monitor uses (calibration.profile); a video file one
    named after it, so another person's clip never becomes the live default unless named so."""
    from headwatch.vision.sources import is_live

    if name is not None:
        return name
    source = settings.capture.source
    if is_live(source):
        return settings.calibration.profile or "default"
    stem = re.sub(r"[^A-Za-z0-9._-]", "-", Path(source).stem)[:64].strip(".-") or "video"
    return stem if stem != (settings.calibration.profile or "default") else f"{stem}-video"


def _folder(settings: Settings) -> Path:
    from headwatch.storage.profiles import profiles_dir

    return profiles_dir(settings.output.profiles_dir)


def show_profile(settings: Settings, name: str, as_json: bool = False) -> str:
    """The profile as text (its baseline and the limits it gives), or its JSON document
    (UsageError when there is none by that name)."""
    from headwatch.storage.profiles import load_profile, profile_path

    folder = _folder(settings)
    try:
        profile = load_profile(folder, name)
    except HeadwatchError as exc:
        raise UsageError(str(exc)) from None
    if as_json:
        return json.dumps(profile.to_json(), indent=2)
    return CalibrationResult(profile, profile_path(folder, name), limits_of(settings, profile)).text(saved=False)


def list_profiles(settings: Settings) -> str:
    """One line per calibrated profile: name, view, frames, source, created; the one in use marked."""
    from headwatch.storage.profiles import load_profile

    folder = _folder(settings)
    names = sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []
    if not names:
        return f"no calibrated profiles in {folder} (`headwatch calibrate` makes one)"
    lines = [f"{'profile':<20} {'view':<8} {'frames':>6}  source"]
    for name in names:
        marker = " *" if name == settings.calibration.profile else ""
        try:
            profile = load_profile(folder, name)
        except HeadwatchError:
            lines.append(f"{name + marker:<20} (damaged: --reset deletes it)")
            continue
        lines.append(f"{name + marker:<20} {profile.family:<8} {profile.frames:>6}  {profile.source or '-'}")
    lines.append("* the profile monitor and analyze use (calibration.profile)")
    return "\n".join(lines)


def delete_profile(settings: Settings, name: str) -> str:
    from headwatch.storage.profiles import delete_profile as delete
    from headwatch.storage.profiles import profile_path

    folder = _folder(settings)
    try:
        path = profile_path(folder, name)
        return f"deleted {path}" if delete(folder, name) else f"no profile {name!r} to delete"
    except HeadwatchError as exc:
        raise UsageError(str(exc)) from None


def calibrate_profile(settings: Settings, name: str | None, start: float | None = None, stop: float | None = None,
                      tell: Callable[[str], None] = log.info, force: bool = False) -> CalibrationResult:
    """Record the stretch (a camera: calibration.seconds from now, announced through ``tell``; a
    video: ``start`` to ``stop``), learn the baseline and save it. A stretch that is no upright
    posture is refused (HeadwatchError, saying why)."""
    from headwatch.app.analysis import open_source, record_stretch
    from headwatch.posture.calibration import calibrate as learn
    from headwatch.posture.framing import NOBODY, lasting_problems
    from headwatch.storage.profiles import profile_path, save_profile
    from headwatch.vision.pose import PoseEstimator
    from headwatch.vision.sources import is_live

    folder = _folder(settings)
    name = default_name(settings, name)
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
        framing: list[list[str]] = []
        samples = record_stretch(reader, detector, begin, end, settings.capture.fps, live, framing)
        lasting = lasting_problems(framing)
        created = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
        where = spec if live else f"{spec} from {begin:g} s to {end:g} s"
        try:
            learned = learn(samples, name, source=where, created=created, force=force)
        except CalibrationError as exc:
            # Nobody found is what the refusal says already; the rest is what to change.
            more = [problem for problem in lasting if problem != NOBODY]
            fix = f" (framing: {'; '.join(more)})" if more else ""
            raise HeadwatchError(f"calibration refused: {exc}{fix}") from None
        if lasting:
            log.info("hint: framing: " + "; ".join(lasting))
        result = CalibrationResult(learned, save_profile(folder, learned), limits_of(settings, learned))
    if name != (settings.calibration.profile or "default"):
        log.info(f"hint: monitor and analyze use this profile with --profile {name} (their default is "
                 f"{settings.calibration.profile or 'none'!r})")
    return result
