"""`headwatch history`: list the recorded sessions, prune old ones, export the intervals."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from headwatch.cli.common import ConfigOption, echo_lines, note, one_line_errors, settings_for
from headwatch.config.settings import Settings

history_app = typer.Typer(help="The sessions the monitor recorded: list, prune, export.", no_args_is_help=True)

HistoryOption = Annotated[Path | None, typer.Option(
    "--history", dir_okay=False, help="The history database. (default: output.history, else history.sqlite in the "
                                      "user data folder)")]


def _settings(history: Path | None, config: Path | None) -> Settings:
    return settings_for(config, {"output.history": str(history) if history is not None else None})


@history_app.command("list")
def history_list(history: HistoryOption = None, config: ConfigOption = None,
                 as_json: Annotated[bool, typer.Option("--json", help="One JSON document.")] = False) -> None:
    """One line per session: when, how long, share of good posture, alerts, source."""
    from headwatch.app.history import list_sessions, sessions_document, sessions_table

    with one_line_errors():
        rows = list_sessions(_settings(history, config))
    if as_json:
        typer.echo(json.dumps(sessions_document(rows), indent=2))
    else:
        echo_lines(sessions_table(rows))


@history_app.command("prune")
def history_prune(
    days: Annotated[float | None, typer.Option(help="Delete sessions older than this many days. "
                                                             "(default: output.retention_days)")] = None,
    history: HistoryOption = None, config: ConfigOption = None,
) -> None:
    """Delete old sessions with their intervals and events."""
    from headwatch.app.history import prune_sessions

    with one_line_errors():
        typer.echo(prune_sessions(_settings(history, config), days))


@history_app.command("export")
def history_export(
    csv_path: Annotated[Path | None, typer.Option(
        "--csv", dir_okay=False, help="Write the intervals to this CSV file (default: standard output).")] = None,
    history: HistoryOption = None, config: ConfigOption = None,
) -> None:
    """Every recorded interval as CSV: session, start, seconds, time per state, bad per reason, medians."""
    from headwatch.app.history import check_csv_path, export_intervals

    settings = _settings(history, config)
    with one_line_errors():
        if csv_path is not None:
            check_csv_path(settings, csv_path)
        written = export_intervals(settings, csv_path, sys.stdout)
    if csv_path is not None:
        note(f"wrote {written} intervals to {csv_path}")
