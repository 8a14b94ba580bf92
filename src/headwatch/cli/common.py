"""What every command shares: one-line errors, exit codes, settings and profile loading."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from headwatch.errors import HeadwatchError, printable

if TYPE_CHECKING:
    from headwatch.app.assemble import ReferenceChoice
    from headwatch.config.settings import Settings
    from headwatch.posture.calibration import Profile
    from headwatch.storage.history import History

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

ConfigOption = Annotated[Path | None, typer.Option(
    "--config", dir_okay=False, help="Config file to use (default: $HEADWATCH_CONFIG, then the user config folder).")]
ProfileOption = Annotated[str | None, typer.Option(
    "--profile", help="Calibrated profile to judge against (default: the calibration.profile setting, "
                      "if that profile exists).")]
ModelOption = Annotated[str | None, typer.Option(
    "--model", help="Pose model: 'lite', 'full' or the path of a .task file. (default: full)")]
ReferenceOption = Annotated[str | None, typer.Option(
    "--reference", help="What posture is judged against: 'auto' (learned from the person in view: per video, or per "
                        "--group-by group in eval), 'absolute' (the fixed thresholds), or the name of a calibrated "
                        "profile. (default: the calibration.profile setting if that profile exists, else "
                        "reference.mode: auto)")]
BadForOption = Annotated[float | None, typer.Option(
    "--bad-for", min=1.0, help="Seconds a bad posture must persist before it alerts. (default: 30)")]
JobsOption = Annotated[int | None, typer.Option(
    "--jobs", "-j", min=1, help="Files measured at once, each in a process of its own that loads the model once. "
                                "(default: the number of cores)")]
ClusterOption = Annotated[str | None, typer.Option(
    "--cluster", metavar="ADDRESS", help="Measure on the workers of a running Dask scheduler (e.g. "
                                         "tcp://host:8786) instead of this machine; the files must be readable by "
                                         "the workers at the same path. Needs pip install 'headwatch[cluster]'.")]


class Output:
    """How talkative the command line is, set once by the root options -q/-v."""

    quiet = False


def error(message: str) -> None:
    typer.echo(f"headwatch: error: {printable(message)}", err=True)  # file names may hold escapes


def note(message: str) -> None:
    """A hint or warning: shown unless -q/--quiet."""
    if not Output.quiet:
        typer.echo(printable(message), err=True)


def echo_lines(text: str) -> None:
    """Results on standard output, each line printable (file names may hold escapes)."""
    typer.echo("\n".join(printable(line) for line in text.split("\n")))


def fail(message: str, code: int = EXIT_FAILED) -> NoReturn:
    error(message)
    raise typer.Exit(code)


def load_settings(config: Path | None, overrides: Mapping[str, Any] | None = None) -> Settings:
    """Settings from every layer; an invalid one is a one-line error with exit code 2."""
    from headwatch.config.settings import ConfigError
    from headwatch.config.settings import load_settings as load

    try:
        loaded = load(config, overrides=overrides)
    except ConfigError as exc:
        fail(str(exc), EXIT_USAGE)
    for warning in loaded.warnings:
        note(f"headwatch: warning: {warning}")
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
        fail(str(exc), EXIT_USAGE if name is not None else EXIT_FAILED)
    except OSError as exc:  # a profiles folder this user may not read
        if name is not None:
            fail(f"{folder}: cannot read the profiles folder ({exc.strerror}); check its permissions", EXIT_FAILED)
        return None, (f"hint: the profiles folder {folder} cannot be read ({exc.strerror}), so no calibrated "
                      "profile applies")


def select_reference(settings: Settings, reference: str | None,
                     profile: str | None) -> tuple[ReferenceChoice, str | None]:
    """(choice, hint): an explicitly named profile wins, then the configured one if it exists, then
    reference.mode. ``--reference NAME`` and ``--profile NAME`` both name a profile."""
    from headwatch.app.assemble import ReferenceChoice

    modes = ("auto", "absolute")
    if reference is not None and profile is not None and reference != profile:
        fail(f"--reference {reference} and --profile {profile}: give one of them", EXIT_USAGE)
    named = profile if profile is not None else (reference if reference not in (None, *modes) else None)
    if named is not None:
        chosen, _ = select_profile(settings, named)
        return ReferenceChoice("profile", chosen), None
    if reference in modes:
        return ReferenceChoice(reference), None
    chosen, _ = select_profile(settings, None)
    if chosen is not None:
        return ReferenceChoice("profile", chosen), None
    mode = settings.reference.mode
    if mode == "auto":
        return ReferenceChoice("auto"), (
            f"hint: no calibrated profile, so headwatch learns your upright posture over the first "
            f"{settings.reference.learn_min:g} min (absolute limits until then); `headwatch calibrate` fits "
            "limits to you at once")
    return ReferenceChoice("absolute"), None


def check_cluster(address: str | None) -> None:
    """A --cluster address that is no scheduler address at all is a usage error, said at once."""
    if address:
        from headwatch.app.executors import scheduler_endpoint

        try:
            scheduler_endpoint(address)
        except HeadwatchError as exc:
            fail(str(exc), EXIT_USAGE)


def stay_offline(*sources: str) -> bool:
    """Shut the process off from the internet (netguard) unless a source is a stream URL; True when
    the guard is in place. (--on-alert hooks run in a process started before it: notify.HookProcess.)"""
    if any("://" in source for source in sources):
        return False
    from headwatch.system.netguard import deny_network

    return deny_network()


def open_history(settings: Settings, *, existing: bool = False, read_only: bool = False) -> History:
    """The history database in effect. ``existing``: one must be there already (one line and exit 1
    if not); ``read_only``: nothing about the file changes. A damaged history of headwatch's was
    moved aside: say so. Raises HistoryError otherwise."""
    from headwatch.storage.history import History
    from headwatch.storage.recorder import history_path

    path = history_path(settings.output.history)
    if existing and not path.is_file():
        fail(f"{path}: no history yet (`headwatch monitor` records one)", EXIT_FAILED)
    history = History.open(path, read_only=read_only)
    if history.moved_aside is not None:
        error(f"{path}: the history was damaged; moved aside to {history.moved_aside.name}, and a new one started")
    return history
