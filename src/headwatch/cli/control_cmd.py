"""`headwatch pause [DURATION]` and `headwatch resume`: reach the running monitor."""

from __future__ import annotations

from typing import Annotated

import typer

from headwatch.cli.common import EXIT_FAILED, EXIT_USAGE, fail


def pause(
    duration: Annotated[str | None, typer.Argument(help="How long: 90s, 15m, 1h30m (default: until `headwatch "
                                                        "resume`).", show_default=False)] = None,
) -> None:
    """Pause the running monitor: it releases the camera (its light goes off) and reads nothing."""
    from headwatch.errors import HeadwatchError
    from headwatch.system.control import parse_duration, send

    try:
        seconds = parse_duration(duration) if duration is not None else None
    except ValueError as exc:
        fail(str(exc), EXIT_USAGE)
    try:
        send("pause", seconds)
    except HeadwatchError as exc:
        fail(str(exc), EXIT_FAILED)
    typer.echo("paused" + (f" for {duration}" if duration else ": `headwatch resume` to go on"))


def resume() -> None:
    """Resume the paused monitor."""
    from headwatch.errors import HeadwatchError
    from headwatch.system.control import send

    try:
        send("resume")
    except HeadwatchError as exc:
        fail(str(exc), EXIT_FAILED)
    typer.echo("resumed")
