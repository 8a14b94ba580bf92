"""`headwatch calibrate`: learn the user's upright baseline from a camera or a video."""

from __future__ import annotations

from typing import Annotated

import typer

from headwatch.cli.common import ConfigOption, ModelOption, echo_lines, one_line_errors, settings_for


def calibrate(
    source: Annotated[str | None, typer.Option(
        "--source", help="A camera index, a video file or a stream URL. (default: 0)")] = None,
    seconds: Annotated[float | None, typer.Option(
        "--duration", "--seconds", min=3.0, max=120.0,
        help="How long to record from a camera, in seconds, from when it says so. (default: 10)")] = None,
    profile: Annotated[str | None, typer.Option(
        "--profile", help="Name of the profile (one per desk or camera). (default: from a camera the profile monitor "
                          "uses, calibration.profile; from a video file one named after the file)")] = None,
    start: Annotated[float | None, typer.Option(
        "--from", min=0.0, help="Video files: learn from this time (s).")] = None,
    stop: Annotated[float | None, typer.Option(
        "--to", min=0.0, help="Video files: learn up to this time (s).")] = None,
    show: Annotated[bool, typer.Option("--show", help="Print the profile and the limits it gives instead of "
                                                      "calibrating.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="With --show: the profile's JSON document.")] = False,
    list_all: Annotated[bool, typer.Option("--list", help="List the calibrated profiles.")] = False,
    reset: Annotated[bool, typer.Option("--reset", help="Delete the profile.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Keep a baseline that does not look upright (one "
                                                        "outside what upright people read).")] = False,
    model: ModelOption = None,
    config: ConfigOption = None,
) -> None:
    """Sit upright and look at the screen: headwatch records your baseline posture.

    With a profile, monitor and analyze judge posture relative to it (for example head forward
    more than 10 degrees beyond your baseline) instead of by absolute thresholds.
    """
    from headwatch.app.calibrate import calibrate_profile, delete_profile, list_profiles, show_profile

    settings = settings_for(config, {"capture.source": source, "capture.model": model,
                                      "calibration.seconds": seconds})
    named = profile or settings.calibration.profile or "default"
    with one_line_errors():
        if list_all:
            echo_lines(list_profiles(settings))
            return
        if show:
            typer.echo(show_profile(settings, named, as_json))
            return
        if reset:
            typer.echo(delete_profile(settings, named))
            return
        result = calibrate_profile(settings, profile, start, stop, tell=lambda line: typer.echo(line, err=True),
                                   force=force)
    typer.echo(result.text())
