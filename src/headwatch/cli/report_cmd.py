"""`headwatch report`: how posture went today, this week, in a session or between two dates."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from headwatch.cli.common import EXIT_FAILED, EXIT_USAGE, ConfigOption, fail, load_settings, note, open_history

if TYPE_CHECKING:
    from headwatch.storage.history import History


def _period(today: bool, week: bool, session: int | None, start: str | None, end: str | None,
            spans: dict[int, tuple[datetime.datetime, datetime.datetime]],
            ) -> tuple[datetime.datetime, datetime.datetime, str]:
    now = datetime.datetime.now().astimezone()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    chosen = sum([today, week, session is not None, start is not None or end is not None])
    if chosen > 1:
        fail("give one of --today, --week, --session or --from/--to", EXIT_USAGE)
    if week:
        return midnight - datetime.timedelta(days=6), midnight + datetime.timedelta(days=1), "week"
    if session is not None:
        span = spans.get(session)
        if span is None:
            fail(f"no session {session} in the history (`headwatch history list` shows them)", EXIT_FAILED)
        # From its first interval to the end of its last: a replayed file's intervals run on the
        # video's time, past the wall-clock end of the session.
        return span[0], span[1] + datetime.timedelta(seconds=1), f"session {session}"
    if start is not None or end is not None:
        try:
            first = datetime.datetime.fromisoformat(start).astimezone() if start else midnight
            last = datetime.datetime.fromisoformat(end).astimezone() if end else now
        except ValueError as exc:
            fail(f"--from/--to: expected a date or time such as 2026-11-24 or 2026-11-24T14:00 ({exc})", EXIT_USAGE)
        if last <= first:
            fail("--to must be after --from", EXIT_USAGE)
        # The report also shows the period before, as long: both must be dates a calendar can hold.
        if first.year < 1970 or last.year > 9000 or last - first > datetime.timedelta(days=36600):
            fail("--from/--to: a period within the years 1970-9000 and at most 100 years long", EXIT_USAGE)
        return first, last, "period"
    return midnight, midnight + datetime.timedelta(days=1), "day"


def _spans(opened: History, session: int | None,
           intervals: list[dict[str, Any]]) -> dict[int, tuple[datetime.datetime, datetime.datetime]]:
    """Each session's first interval start and last interval end (only the asked-for one)."""
    if session is None:
        return {}
    mine = [i for i in intervals if i["session_id"] == session]
    if not mine:
        return {}
    starts = [datetime.datetime.fromisoformat(i["started"]) for i in mine]
    ends = [s + datetime.timedelta(seconds=i["seconds"]) for s, i in zip(starts, mine, strict=True)]
    return {session: (min(starts), max(ends))}


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
    """Time monitored, share of good posture, alerts per hour, the longest bad stretch, breaks taken,
    the worst hours of the day, and the trend against the period before."""
    from headwatch.report.history import Period, figures, format_figures
    from headwatch.storage.history import HistoryError
    from headwatch.types import SCHEMA

    settings = load_settings(config, {"output.history": str(history) if history is not None else None})
    if html_path is not None:  # the page is never written over the history it reports
        from headwatch.errors import HeadwatchError
        from headwatch.storage.outputs import check_outputs
        from headwatch.storage.recorder import history_path

        if html_path.suffix.lower() not in (".html", ".htm"):
            fail(f"--html {html_path}: the report must end in .html", EXIT_USAGE)
        try:
            check_outputs([history_path(settings.output.history)], {"--html": [html_path]})
        except HeadwatchError as exc:
            fail(str(exc), EXIT_USAGE)
    try:
        with open_history(settings, existing=True, read_only=True) as opened:
            intervals = list(opened.intervals(session))
            events = list(opened.events(session))
            first, last, label = _period(today, week, session, start, end, _spans(opened, session, intervals))
            skipped = opened.skipped_rows
    except HistoryError as exc:
        fail(str(exc), EXIT_FAILED)
    if skipped:
        note(f"headwatch: warning: {skipped} damaged row{'s' if skipped != 1 else ''} of the history "
             "skipped; the report covers the rest")
    period = Period(first, last, label)
    break_min_s = settings.reminders.break_min_s
    now = figures(intervals, events, period, break_min_s)
    before = figures(intervals, events, period.previous(), break_min_s)
    if as_json:
        typer.echo(json.dumps({"schema": SCHEMA, "from": period.start.isoformat(), "to": period.end.isoformat(),
                               "figures": now.to_json(), "before": before.to_json()}, indent=2))
    else:
        typer.echo(format_figures(period, now, before))
    if html_path is not None:
        from headwatch.report.html import render

        try:
            html_path.write_text(render(period, now, before, intervals, events), encoding="utf-8")
        except OSError as exc:
            fail(f"{html_path}: cannot write the report: {exc.strerror}", EXIT_FAILED)
