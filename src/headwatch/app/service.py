"""The login service use case: start the monitor (or the tray) at login (systemd user unit or a
desktop autostart entry, launchd agent, Startup folder), stop doing so, and say whether it is
installed."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from headwatch.errors import HeadwatchError, UsageError, printable
from headwatch.system.service import Service, ServiceError


def _service(config: Path | None, tray: bool = False) -> Service:
    from headwatch.system.service import monitor_command, service_for

    try:
        return service_for(sys.platform, Path.home(), monitor_command(config.resolve() if config else None, tray),
                           tray=tray)
    except ServiceError as exc:
        raise UsageError(str(exc)) from None


def _both(config: Path | None) -> list[Service]:
    """The terminal-less monitor's login item and the tray's, once each where they are one file."""
    plain, tray = _service(config), _service(config, tray=True)
    return [plain] if tray.path == plain.path else [plain, tray]


@dataclass(frozen=True, slots=True)
class Installed:
    path: Path
    left: list[str]  # commands that could not be run: the user runs them
    replaced: list[Path]  # the other kind of login item, removed: two would start two monitors


def install_service(config: Path | None, tray: bool = False) -> Installed:
    from headwatch.system.service import install, uninstall

    if config is not None and not config.is_file():  # the monitor would stop at every login
        raise UsageError(f"--config {printable(str(config))}: no such file; write it first (`headwatch config init "
                         "--config FILE`)")
    if config is not None:  # one the monitor would refuse (a bad value, another user's) stops it at every login too
        from headwatch.app.context import settings_in_effect

        settings_in_effect(config)
    service = _service(config, tray)
    replaced = [other.path for other in _both(config) if other.path != service.path and uninstall(other)]
    try:
        left = list(install(service))
    except OSError as exc:
        raise HeadwatchError(f"{service.path}: cannot write the login item: {exc.strerror}") from None
    if left:  # written, but not enabled: the monitor would not start at login
        raise HeadwatchError(f"{service.path}: written but not enabled ({'; '.join(left)} did not run: no user "
                             "service manager here?); run it yourself, or `headwatch service uninstall`")
    return Installed(service.path, left, replaced)


def uninstall_service(config: Path | None) -> str:
    from headwatch.system.service import uninstall

    services = _both(config)
    removed = [service.path for service in services if uninstall(service)]
    if not removed:
        return f"nothing installed at {services[0].path}"
    return "\n".join(f"removed {path}" for path in removed)


def service_status(config: Path | None) -> str:
    """Installed or not, and as the system's service manager says: enabled at login, running now."""
    from headwatch.system.service import state_of

    services = _both(config)
    installed = [service for service in services if service.path.exists()] or services[:1]
    return "\n".join(state_of(service).describe(service.path) for service in installed)
