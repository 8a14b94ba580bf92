"""`headwatch doctor`: what works here and what to change."""

from __future__ import annotations

from typing import Annotated

import typer

from headwatch.cli.common import EXIT_FAILED, ConfigOption, settings_for


def doctor(
    source: Annotated[str | None, typer.Option(
        "--source", help="The camera index, video file or stream to check. (default: capture.source, 0)")] = None,
    config: ConfigOption = None,
) -> None:
    """Check what headwatch needs here, and say what to change.

    The pose model, the camera and your framing in it, notifications, the tray, the login
    service, and where its files go. Each line starts with ok, FIX (what to change follows) or
    -- (a fact to know). Exit code 1 when something needs fixing.
    """
    from headwatch.app.doctor import diagnose

    diagnosis = diagnose(settings_for(config, {"capture.source": source}), config)
    typer.echo(diagnosis.text())
    if diagnosis.failed:
        raise typer.Exit(EXIT_FAILED)
