"""`headwatch report`: how posture went today, this week, in a session or between two dates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from headwatch.cli.common import ConfigOption, note, one_line_errors, settings_for


def report(
    today: Annotated[bool, typer.Option("--today", help="Today (the default).")] = False,
    week: Annotated[bool, typer.Option("--week", help="The last seven days, today included.")] = False,
    session: Annotated[int | None, typer.Option("--session", help="One session, by its id.")] = None,
    start: Annotated[str | None, typer.Option("--from", help="From this date or time (ISO 8601).")] = None,
    end: Annotated[str | None, typer.Option("--to", help="To this date or time (ISO 8601).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document instead of the text.")] = False,
    html_path: Annotated[Path | None, typer.Option(
        "--html", dir_okay=False, help="Also write the report, with its plots, to this self-contained HTML "
                                       "file.")] = None,
    history: Annotated[Path | None, typer.Option(
        "--history", dir_okay=False, help="The history database. (default: output.history, else history.sqlite "
                                          "in the user data folder)")] = None,
    config: ConfigOption = None,
) -> None:
    """Report on the history: today, the week, a session or a period.

    Time monitored, share of good posture, alerts per hour, the longest bad stretch, breaks taken,
    the worst hours of the day, and the trend against the period before; then the habits (the
    side favoured, holds in one position, sittings, the head's drift), day by day for a week.
    """
    from headwatch.app.report import PeriodChoice, check_html_path, history_report

    settings = settings_for(config, {"output.history": str(history) if history is not None else None})
    with one_line_errors():
        if html_path is not None:  # the page is never written over the history it reports
            check_html_path(settings, html_path)
        made = history_report(settings, PeriodChoice(today, week, session, start, end))
    typer.echo(json.dumps(made.document(), indent=2) if as_json else made.text())
    if html_path is not None:
        with one_line_errors():
            made.write_html(html_path)
        note(f"headwatch: wrote {html_path}")
