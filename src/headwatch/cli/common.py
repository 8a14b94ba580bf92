"""What every command shares: one-line errors and exit codes, the library's diagnostics on the
terminal (-q/-v), settings and the reference in effect."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from headwatch.config.settings import ConfigError
from headwatch.errors import HeadwatchError, UsageError, printable

if TYPE_CHECKING:
    from headwatch.app.assemble import ReferenceChoice
    from headwatch.config.settings import Settings

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
                        "group in eval), 'absolute' (the fixed thresholds), or the name of a calibrated "
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
                                         "the workers at the same path. Needs pip install 'headwatch\\[cluster]'.")]


class Verbosity:
    """How talkative the command line is, set once by the root options -q/-v."""

    quiet = False
    verbose = False  # -v: also every measured metric in analyze's table


class _Terminal(logging.Handler):
    """The library's diagnostics (the ``headwatch`` logger) on standard error: errors always,
    warnings and hints unless -q, debug lines with -v. Written where standard error is at the
    time (a test runner swaps it)."""

    def emit(self, record: logging.LogRecord) -> None:
        message = printable(record.getMessage())
        if record.levelno >= logging.ERROR:
            typer.echo(f"headwatch: error: {message}", err=True)
        elif Verbosity.quiet:
            return
        elif record.levelno >= logging.WARNING:
            typer.echo(f"headwatch: warning: {message}", err=True)
        else:
            typer.echo(message, err=True)


def show_diagnostics(quiet: bool = False, verbose: bool = False) -> None:
    """Route the library's logging to the terminal, as -q/-v say (once per process)."""
    Verbosity.quiet, Verbosity.verbose = quiet, verbose
    logger = logging.getLogger("headwatch")
    if not any(isinstance(h, _Terminal) for h in logger.handlers):
        logger.addHandler(_Terminal())
    logger.setLevel(logging.DEBUG if verbose else logging.INFO)
    logger.propagate = False


def error(message: str) -> None:
    typer.echo(f"headwatch: error: {printable(message)}", err=True)  # file names may hold escapes


def note(message: str) -> None:
    """A hint or warning: shown unless -q/--quiet."""
    if not Verbosity.quiet:
        typer.echo(printable(message), err=True)


def echo_lines(text: str) -> None:
    """Results on standard output, each line printable (file names may hold escapes)."""
    typer.echo("\n".join(printable(line) for line in text.split("\n")))


def fail(message: str, code: int = EXIT_FAILED) -> NoReturn:
    error(message)
    raise typer.Exit(code)


def exit_code_of(exc: HeadwatchError) -> int:
    """2 for a wrong option or setting, 1 for anything else that went wrong."""
    return EXIT_USAGE if isinstance(exc, UsageError | ConfigError) else EXIT_FAILED


@contextmanager
def one_line_errors(code: int | None = None) -> Iterator[None]:
    """A HeadwatchError raised inside ends the command with its one line and exit code (``code``
    if given, else exit_code_of)."""
    try:
        yield
    except HeadwatchError as exc:
        fail(str(exc), code if code is not None else exit_code_of(exc))


def settings_for(config: Path | None, overrides: Mapping[str, Any] | None = None) -> Settings:
    """Settings from every layer; an invalid one is a one-line error with exit code 2."""
    from headwatch.app.context import settings_in_effect

    with one_line_errors(EXIT_USAGE):
        return settings_in_effect(config, overrides)


def select_reference(settings: Settings, reference: str | None,
                     profile: str | None) -> tuple[ReferenceChoice, str | None]:
    """(choice, hint); a named profile that is not there ends the command (exit 2)."""
    from headwatch.app.context import select_reference as select

    with one_line_errors():
        return select(settings, reference, profile)
