"""The login service use case: start the monitor at login (systemd user unit, launchd agent,
Startup folder), stop doing so, and say whether it is installed."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from headwatch.errors import HeadwatchError, UsageError, printable
from headwatch.system.service import Service, ServiceError


def _service(config: Path | None) -> Service:
    from headwatch.system.service import monitor_command, service_for

    try:
        return service_for(sys.platform, Path.home(), monitor_command(config.resolve() if config else None))
    except ServiceError as exc:
        raise UsageError(str(exc)) from None


@dataclass(frozen=True, slots=True)
class Installed:
    path: Path
    left: list[str]  # commands that could not be run: the user runs them


def install_service(config: Path | None) -> Installed:
    from headwatch.system.service import install

    if config is not None and not config.is_file():  # the monitor would stop at every login
        raise UsageError(f"--config {printable(str(config))}: no such file; write it first (`headwatch config init "
                         "--config FILE`)")
    service = _service(config)
    try:
        left = list(install(service))
    except OSError as exc:
        raise HeadwatchError(f"{service.path}: cannot write the login item: {exc.strerror}") from None
    if left:  # written, but not enabled: the monitor would not start at login
        raise HeadwatchError(f"{service.path}: written but not enabled ({'; '.join(left)} did not run: no user "
                             "service manager here?); run it yourself, or `headwatch service uninstall`")
    return Installed(service.path, left)


def uninstall_service(config: Path | None) -> str:
    from headwatch.system.service import uninstall

    service = _service(config)
    return f"removed {service.path}" if uninstall(service) else f"nothing installed at {service.path}"


def service_status(config: Path | None) -> str:
    """Installed or not, and as the system's service manager says: enabled at login, running now."""
    from headwatch.system.service import state_of

    service = _service(config)
    return state_of(service).describe(service.path)
