"""Reaching the running monitor: pause (for a while or until resumed) and resume."""

from __future__ import annotations

from headwatch.errors import UsageError


def pause_monitor(duration: str | None = None) -> str:
    """Pause the running monitor (``duration`` like 90s, 15m, 1h30m; None: until resumed). Raises
    UsageError for a duration that is none, HeadwatchError when no monitor answers."""
    from headwatch.system.control import parse_duration, send

    try:
        seconds = parse_duration(duration) if duration is not None else None
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    send("pause", seconds)
    return "paused" + (f" for {duration}" if duration else ": `headwatch resume` to go on")


NOTHING_PAUSED = "nothing was paused: the running monitor is watching"


def resume_monitor() -> str:
    """Resume the paused monitors, or a pause sent and not yet taken (the resume replaces it);
    says so when nothing was paused, sending nothing (HeadwatchError when no monitor runs or the
    runtime folder cannot be used)."""
    from headwatch.errors import HeadwatchError
    from headwatch.system.control import checked_control_dir, paused_monitors, pending_pause, running_monitors, send

    folder = checked_control_dir()
    try:
        if running_monitors(folder) and not paused_monitors(folder) and not pending_pause(folder):
            return NOTHING_PAUSED
    except OSError as exc:
        raise HeadwatchError(f"{folder}: cannot reach the monitor ({exc.strerror or exc}); check the folder's "
                             "permissions") from None
    send("resume", folder=folder)
    return "resumed"
