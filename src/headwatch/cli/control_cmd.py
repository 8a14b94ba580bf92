"""`headwatch pause [DURATION]` and `headwatch resume`: reach the running monitor."""

from __future__ import annotations

from typing import Annotated

import typer

from headwatch.cli.common import one_line_errors


def pause(
    duration: Annotated[str | None, typer.Argument(help="How long: 90s, 15m, 1h30m (default: until `headwatch "
                                                        "resume`).", show_default=False)] = None,
) -> None:
    """Pause the running monitor: it releases the camera (its light goes off) and reads nothing."""
    from headwatch.app.control import pause_monitor

    with one_line_errors():
        typer.echo(pause_monitor(duration))


def resume() -> None:
    """Resume the paused monitor."""
    from headwatch.app.control import resume_monitor

    with one_line_errors():
        typer.echo(resume_monitor())
