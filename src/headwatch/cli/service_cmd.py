"""`headwatch service install|uninstall|status`: start the monitor at login."""

from __future__ import annotations

from typing import Annotated

import typer

from headwatch.cli.common import ConfigOption, one_line_errors

service_app = typer.Typer(help="Start the monitor at login (systemd user unit, launchd agent, Startup folder), "
                               "or the tray with the desktop (--tray).",
                          no_args_is_help=True)


@service_app.command("install")
def service_install(
    config: ConfigOption = None,
    tray: Annotated[bool, typer.Option(
        "--tray", help="Start the tray (`monitor --tray`) with the desktop session instead: on Linux an autostart "
                       "entry of the desktop, in place of the systemd unit.")] = False,
) -> None:
    """Write the login item for this system and enable it."""
    from headwatch.app.service import install_service

    with one_line_errors():
        installed = install_service(config, tray)
    for path in installed.replaced:
        typer.echo(f"removed {path} (one login item: two would start two monitors)")
    typer.echo(f"installed {installed.path}")
    for command in installed.left:
        typer.echo(f"could not run `{command}`: run it yourself to start the monitor now", err=True)


@service_app.command("uninstall")
def service_uninstall(config: ConfigOption = None) -> None:
    """Disable and remove the login item."""
    from headwatch.app.service import uninstall_service

    with one_line_errors():
        typer.echo(uninstall_service(config))


@service_app.command("status")
def service_status(config: ConfigOption = None) -> None:
    """Whether the login item is installed, and where."""
    from headwatch.app.service import service_status as status

    with one_line_errors():
        typer.echo(status(config))
