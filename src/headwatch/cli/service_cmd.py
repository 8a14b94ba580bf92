"""`headwatch service install|uninstall|status`: start the monitor at login."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from headwatch.cli.common import EXIT_FAILED, EXIT_USAGE, ConfigOption, fail
from headwatch.errors import printable

service_app = typer.Typer(help="Start the monitor at login (systemd user unit, launchd agent, Startup folder).",
                          no_args_is_help=True)


def _service(config: Path | None):  # type: ignore[no-untyped-def]
    from headwatch.system.service import ServiceError, monitor_command, service_for

    try:
        return service_for(sys.platform, Path.home(), monitor_command(config.resolve() if config else None))
    except ServiceError as exc:
        fail(str(exc), EXIT_USAGE)


@service_app.command("install")
def service_install(config: ConfigOption = None) -> None:
    """Write the login item for this system and enable it."""
    from headwatch.system.service import install

    if config is not None and not config.is_file():  # the monitor would stop at every login
        fail(f"--config {printable(str(config))}: no such file; write it first (`headwatch config init --config "
             "FILE`)", EXIT_USAGE)
    service = _service(config)
    try:
        left = install(service)
    except OSError as exc:
        fail(f"{service.path}: cannot write the login item: {exc.strerror}", EXIT_FAILED)
    typer.echo(f"installed {service.path}")
    for command in left:
        typer.echo(f"could not run `{command}`: run it yourself to start the monitor now", err=True)


@service_app.command("uninstall")
def service_uninstall(config: ConfigOption = None) -> None:
    """Disable and remove the login item."""
    from headwatch.system.service import uninstall

    service = _service(config)
    typer.echo(f"removed {service.path}" if uninstall(service) else f"nothing installed at {service.path}")


@service_app.command("status")
def service_status(config: ConfigOption = None) -> None:
    """Whether the login item is installed, and where."""
    service = _service(config)
    typer.echo(f"installed: {service.path}" if service.path.exists() else f"not installed ({service.path})")
