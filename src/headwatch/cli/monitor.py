"""`headwatch monitor`: the live loop on a camera, stream or video file."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from headwatch.cli.common import (
    EXIT_FAILED,
    EXIT_USAGE,
    BadForOption,
    ConfigOption,
    ModelOption,
    ProfileOption,
    ReferenceOption,
    Verbosity,
    one_line_errors,
    select_reference,
    settings_for,
)

if TYPE_CHECKING:
    from headwatch.app.live import MonitorRequest, MonitorResult


class NotifyChoice(enum.StrEnum):
    DESKTOP = "desktop"
    TERMINAL = "terminal"
    NONE = "none"


def monitor(
    source: Annotated[str | None, typer.Option(
        "--source", help="A camera index (0 is the default camera), a video file, or a stream URL. "
                         "(default: 0)")] = None,
    fps: Annotated[float | None, typer.Option(
        min=0.2, max=60.0, help="Frames per second while posture matters; lowered automatically while it is "
                                "stable. (default: 5)")] = None,
    model: ModelOption = None,
    preview: Annotated[bool, typer.Option("--preview", help="Show a window with the skeleton and the angles.")] = False,
    tray: Annotated[bool, typer.Option(
        "--tray", help="Live in the system tray: the state as the icon's colour, why in its tooltip, and a menu to "
                       "pause, snooze, re-learn, preview and report (needs the desktop extra).")] = False,
    notify: Annotated[NotifyChoice | None, typer.Option(
        "--notify", help="How alerts reach you: the desktop's notifications (terminal bell if there are none), the "
                         "terminal only, or not at all. (default: desktop)")] = None,
    on_alert: Annotated[str | None, typer.Option(
        "--on-alert", help="A command to run on each event; it gets HEADWATCH_EVENT, HEADWATCH_REASONS, "
                           "HEADWATCH_MESSAGE, HEADWATCH_EVENT_JSON and more in its environment.")] = None,
    events: Annotated[Path | None, typer.Option(
        "--events", dir_okay=False, help="Append every event to this JSON Lines file as it happens.")] = None,
    history: Annotated[Path | None, typer.Option(
        "--history", dir_okay=False, help="Record the session into this history database. (default: "
                                          "output.history, else history.sqlite in the user data folder)")] = None,
    no_history: Annotated[bool, typer.Option("--no-history", help="Record nothing into the history.")] = False,
    out: Annotated[Path | None, typer.Option(
        "--out", dir_okay=False, help="Write one record per sample (metrics and verdict, never the image) to "
                                      "FILE.csv or FILE.jsonl, as analyze --out does.")] = None,
    realtime: Annotated[bool | None, typer.Option(
        "--realtime/--no-realtime", help="Pace a video file like a camera (the default), or run it as fast as "
                                         "possible.")] = None,
    duration: Annotated[float | None, typer.Option(
        min=0.0, help="Stop after this many seconds (a camera: from its opening, pauses, locks and sleep "
                      "included; a file: of video).")] = None,
    bad_for: BadForOption = None,
    config: ConfigOption = None,
    profile: ProfileOption = None,
    reference: ReferenceOption = None,
) -> None:
    """Watch your posture live and alert when bad posture persists.

    Frames are never stored or sent anywhere; only the events you ask for are written.
    Stop with Ctrl-C: it prints the session summary.
    """
    from headwatch.app.live import MonitorRequest, check_monitor_outputs, run_monitor

    settings = settings_for(config, {
        "capture.source": source, "capture.fps": fps, "capture.model": model, "alerts.bad_for_s": bad_for,
        "notify.mode": notify.value if notify is not None else None, "notify.on_alert": on_alert,
        "output.events": str(events) if events is not None else None,
        "output.history": str(history) if history is not None else None})
    choice, hint = select_reference(settings, reference, profile)
    request = MonitorRequest(settings, choice, out=out, preview=preview, record_history=not no_history,
                             realtime=realtime, duration_s=duration, status_line=not Verbosity.quiet, hint=hint)
    with one_line_errors(EXIT_USAGE):
        check_monitor_outputs(request)
    with one_line_errors(EXIT_FAILED):
        result = _in_tray(request) if tray else run_monitor(request)
    typer.echo(result.text())


def _in_tray(request: MonitorRequest) -> MonitorResult:
    from headwatch.app.report import todays_page
    from headwatch.errors import HeadwatchError

    try:
        from headwatch.gui.tray import run_tray
    except ImportError as exc:  # Qt is an extra: a plain install has none
        raise HeadwatchError(f"--tray needs Qt ({exc.name} is not installed): pip install 'headwatch[desktop]'"
                             ) from None
    return run_tray(request, report=lambda: todays_page(request.settings))
