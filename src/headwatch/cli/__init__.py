"""The headwatch command line: the one place that wires sources, pose, metrics and sinks.

Heavy modules (mediapipe, cv2, numpy) are imported inside the commands that use them, so
`headwatch --help` answers at once.
"""

from __future__ import annotations

import contextlib
import os
import platform
from typing import Annotated

import typer

import headwatch
from headwatch.cli.analyze import analyze
from headwatch.cli.calibrate import calibrate
from headwatch.cli.common import show_diagnostics
from headwatch.cli.config_cmd import config_app
from headwatch.cli.control_cmd import pause, resume
from headwatch.cli.doctor_cmd import doctor
from headwatch.cli.eval_cmd import eval_command
from headwatch.cli.history_cmd import history_app
from headwatch.cli.monitor import monitor
from headwatch.cli.report_cmd import report
from headwatch.cli.service_cmd import service_app

app = typer.Typer(
    add_completion=True,
    no_args_is_help=True,
    help="headwatch: watches your posture through a webcam or in recorded videos, privately.",
    context_settings={"help_option_names": ["-h", "--help"]},
)


# What a bug report needs beside headwatch's own version: the two native libraries that measure,
# read from their distributions' metadata (importing them would cost a second of start-up).
VERSIONED = ("mediapipe", "opencv-contrib-python")


def version_lines() -> list[str]:
    from importlib.metadata import PackageNotFoundError, version

    lines = [f"headwatch {headwatch.__version__}"]
    for name in VERSIONED:
        try:
            lines.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            lines.append(f"{name} not installed")
    return [*lines, f"Python {platform.python_version()}"]


def _version(value: bool) -> None:
    if value:
        typer.echo("\n".join(version_lines()))
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option(
        "--version", "-V", callback=_version, is_eager=True,
        help="Print the version, with MediaPipe's, OpenCV's and Python's, and exit.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only errors, results and the monitor's summary: no "
                                                            "hints, warnings or status line.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Let OpenCV, FFmpeg and MediaPipe print their "
                                                                "own diagnostics (silenced by default); analyze's "
                                                                "table shows every measured metric.")] = False,
) -> None:
    """headwatch: watches your posture through a webcam or in recorded videos, privately."""
    show_diagnostics(quiet, verbose)
    if verbose:  # read by OpenCV when it loads and by headwatch.vision.pose at each native call (workers inherit it)
        os.environ.update({"OPENCV_LOG_LEVEL": "INFO", "OPENCV_FFMPEG_LOGLEVEL": "32",
                           "HEADWATCH_NATIVE_DIAGNOSTICS": "1"})


app.command()(monitor)
app.command()(analyze)
app.command()(calibrate)
app.command("eval")(eval_command)
app.command()(report)
app.command(context_settings={"ignore_unknown_options": True})(pause)  # "pause -5m" names its value
app.command()(resume)
app.command()(doctor)
app.add_typer(config_app, name="config")
app.add_typer(history_app, name="history")
app.add_typer(service_app, name="service")


def main() -> None:
    import sys

    try:  # typer 0.29 carries its own copy of click
        from typer._click import exceptions as click_errors
    except ImportError:  # pragma: no cover (an older typer: click itself)
        from click import exceptions as click_errors  # type: ignore[no-redef]

    try:
        code = app(standalone_mode=False)
    except click_errors.NoArgsIsHelpError as exc:  # `headwatch config`: its help, as asked
        typer.echo(exc.ctx.get_help() if exc.ctx is not None else str(exc))
        raise SystemExit(0) from None
    except click_errors.UsageError as exc:  # a mistyped flag or value: one line, as every other error is
        where = exc.ctx.command_path if exc.ctx is not None else "headwatch"
        sys.stderr.write(f"headwatch: error: {exc.format_message()} (`{where} -h` lists what it takes)\n")
        raise SystemExit(exc.exit_code) from None
    except click_errors.ClickException as exc:
        sys.stderr.write(f"headwatch: error: {exc.format_message()}\n")
        raise SystemExit(exc.exit_code) from None
    except typer.Abort:  # Ctrl-C at a prompt
        raise SystemExit(130) from None
    except OSError as exc:  # the output itself failed (stdout on a full disk): one line, not a traceback
        with contextlib.suppress(OSError):
            sys.stderr.write(f"headwatch: error: cannot write the output: {exc.strerror or exc}\n")
        raise SystemExit(1) from None
    raise SystemExit(code if isinstance(code, int) else 0)
