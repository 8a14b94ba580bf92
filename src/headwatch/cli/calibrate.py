"""`headwatch calibrate`: learn the user's upright baseline from a camera or a video."""

from __future__ import annotations

import datetime
import json
from contextlib import ExitStack
from typing import Annotated

import typer

from headwatch.cli.common import EXIT_USAGE, ConfigOption, ModelOption, fail, load_settings, stay_offline
from headwatch.errors import HeadwatchError


def calibrate(
    source: Annotated[str | None, typer.Option(
        "--source", help="A camera index, a video file or a stream URL. (default: 0)")] = None,
    seconds: Annotated[float | None, typer.Option(
        "--duration", "--seconds", min=3.0, max=120.0,
        help="How long to record from a camera, in seconds, as monitor's --duration. (default: 10)")] = None,
    profile: Annotated[str, typer.Option(
        "--profile", help="Name of the profile (one per desk or camera).")] = "default",
    start: Annotated[float | None, typer.Option(
        "--from", min=0.0, help="Video files: learn from this time (s).")] = None,
    stop: Annotated[float | None, typer.Option(
        "--to", min=0.0, help="Video files: learn up to this time (s).")] = None,
    show: Annotated[bool, typer.Option("--show", help="Print the profile instead of calibrating.")] = False,
    reset: Annotated[bool, typer.Option("--reset", help="Delete the profile.")] = False,
    model: ModelOption = None,
    config: ConfigOption = None,
) -> None:
    """Sit upright and look at the screen: headwatch records your baseline posture.

    With a profile, monitor and analyze judge posture relative to it (for example head forward
    more than 10 degrees beyond your baseline) instead of by absolute thresholds.
    """
    from headwatch.storage.profiles import delete_profile, load_profile, profile_path, profiles_dir

    settings = load_settings(config, {"capture.source": source, "capture.model": model,
                                      "calibration.seconds": seconds})
    stay_offline(settings.capture.source)
    folder = profiles_dir(settings.output.profiles_dir)
    try:
        path = profile_path(folder, profile)
        if show:
            typer.echo(json.dumps(load_profile(folder, profile).to_json(), indent=2))
            return
        if reset:
            typer.echo(f"deleted {path}" if delete_profile(folder, profile) else f"no profile {profile!r} to delete")
            return
    except HeadwatchError as exc:
        fail(str(exc), EXIT_USAGE)
    if start is not None and stop is not None and stop <= start:
        fail(f"--to ({stop:g}) must be after --from ({start:g})", EXIT_USAGE)

    from headwatch.app.analysis import open_source, record_stretch
    from headwatch.posture.calibration import CalibrationError
    from headwatch.posture.calibration import calibrate as learn
    from headwatch.storage.profiles import save_profile
    from headwatch.vision.pose import PoseEstimator
    from headwatch.vision.sources import is_live

    spec = settings.capture.source
    live = is_live(spec)
    begin = 0.0 if live else (start or 0.0)
    end = begin + settings.calibration.seconds if live or stop is None else stop
    with ExitStack() as stack:
        try:
            reader = stack.enter_context(open_source(spec))
            detector = stack.enter_context(PoseEstimator(settings.capture.model, mode="video"))
            if live:
                typer.echo(f"Sit upright and look at the screen: recording {end - begin:.0f} s ...", err=True)
            samples = record_stretch(reader, detector, begin, end, settings.capture.fps, live)
            created = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
            where = spec if live else f"{spec} from {begin:g} s to {end:g} s"
            learned = learn(samples, profile, source=where, created=created)
            saved = save_profile(folder, learned)
        except CalibrationError as exc:
            fail(f"calibration refused: {exc}")
        except HeadwatchError as exc:
            fail(str(exc))
    key = next(iter(learned.baseline))
    typer.echo(f"saved profile {profile!r} ({learned.family} view, {learned.frames} frames) to {saved}")
    for name, base in learned.baseline.items():
        marker = "  <- judged" if name == key else ""
        typer.echo(f"  {name:<22} {base.median:8.2f}  (spread {base.spread:.2f}){marker}")
