"""What every use case starts from: the settings in effect, what posture is judged against,
the history, and the network guard. Problems are raised (HeadwatchError, UsageError for a
wrong option); hints and warnings go to the ``headwatch`` logger, which the command line shows
according to -q/-v.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from headwatch.app.assemble import ReferenceChoice
from headwatch.config.settings import Settings, load_layered
from headwatch.errors import HeadwatchError, UsageError
from headwatch.posture.calibration import Profile
from headwatch.storage.history import History
from headwatch.storage.recorder import history_path

log = logging.getLogger("headwatch")


def settings_in_effect(config: Path | None, overrides: Mapping[str, Any] | None = None) -> Settings:
    """Settings from every layer (defaults, file, environment, ``overrides`` by dotted key); an
    invalid value raises ConfigError, a misspelt variable is a warning."""
    loaded = load_layered(config, overrides=overrides)
    for warning in loaded.warnings:
        log.warning(warning)
    return loaded.settings


def select_profile(settings: Settings, name: str | None) -> tuple[Profile | None, str | None]:
    """(profile, hint): an explicitly named profile must exist; the configured one may not."""
    from headwatch.storage.profiles import load_profile, profile_path, profiles_dir

    folder = profiles_dir(settings.output.profiles_dir)
    wanted = name if name is not None else settings.calibration.profile
    if not wanted:
        return None, None
    try:
        if name is None and not profile_path(folder, wanted).is_file():
            return None, ("hint: no calibrated profile yet, so absolute thresholds apply; run `headwatch calibrate` "
                          "while sitting upright for thresholds fitted to you")
        return load_profile(folder, wanted), None
    except HeadwatchError as exc:
        raise (UsageError(str(exc)) if name is not None else exc) from None
    except OSError as exc:  # a profiles folder this user may not read
        if name is not None:
            raise HeadwatchError(f"{folder}: cannot read the profiles folder ({exc.strerror}); check its "
                                 "permissions") from None
        return None, (f"hint: the profiles folder {folder} cannot be read ({exc.strerror}), so no calibrated "
                      "profile applies")


def select_reference(settings: Settings, reference: str | None,
                     profile: str | None) -> tuple[ReferenceChoice, str | None]:
    """(choice, hint): an explicitly named profile wins, then the configured one if it exists, then
    reference.mode. ``--reference NAME`` and ``--profile NAME`` both name a profile."""
    modes = ("auto", "absolute")
    if reference is not None and profile is not None and reference != profile:
        raise UsageError(f"--reference {reference} and --profile {profile}: give one of them")
    named = profile if profile is not None else (reference if reference not in (None, *modes) else None)
    if named is not None:
        chosen, _ = select_profile(settings, named)
        return ReferenceChoice("profile", chosen), None
    if reference in modes:
        return ReferenceChoice(reference), None
    chosen, _ = select_profile(settings, None)
    if chosen is not None:
        return ReferenceChoice("profile", chosen), None
    if settings.reference.mode == "auto":
        return ReferenceChoice("auto"), (
            f"hint: no calibrated profile, so headwatch learns your upright posture over the first "
            f"{settings.reference.learn_min:g} min (absolute limits until then, tightened by what it sees); "
            "`headwatch calibrate` fits "
            "limits to you at once")
    return ReferenceChoice("absolute"), None


def check_cluster(address: str | None) -> None:
    """A --cluster address that is no scheduler address at all is a usage error, said at once."""
    if address:
        from headwatch.app.executors import scheduler_endpoint

        try:
            scheduler_endpoint(address)
        except HeadwatchError as exc:
            raise UsageError(str(exc)) from None


def stay_offline(*sources: str) -> bool:
    """Shut the process off from the internet (netguard) unless a source is a stream URL; True when
    the guard is in place. (--on-alert hooks run in a process started before it: notify.HookProcess.)"""
    if any("://" in source for source in sources):
        return False
    from headwatch.system import netguard

    if netguard.deny_network():
        return True
    if netguard.supported():
        _say_unguarded()
    return False


@functools.cache  # once a process: batch workers and commands ask again
def _say_unguarded() -> None:
    log.warning("the network guard could not be set here (seccomp refused: a container or "
                "sandbox without it); headwatch opens no connection itself, but nothing enforces it")


class NoHistoryYet(HeadwatchError):
    """A command that reads the history found none."""


def open_history(settings: Settings, *, existing: bool = False, read_only: bool = False) -> History:
    """The history database in effect. ``existing``: one must be there already (NoHistoryYet if
    not); ``read_only``: nothing about the file changes. A damaged history of headwatch's was moved
    aside: said as an error line, and a new one started. Raises HistoryError otherwise."""
    path = history_path(settings.output.history)
    if existing and not path.is_file():
        raise NoHistoryYet(f"{path}: no history yet (`headwatch monitor` records one)")
    history = History.open(path, read_only=read_only)
    if history.moved_aside is not None:
        log.error(f"{path}: the history was damaged; moved aside to {history.moved_aside.name}, and a new one "
                  "started")
    return history
