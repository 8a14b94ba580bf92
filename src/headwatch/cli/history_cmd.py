"""`headwatch history`: list the recorded sessions, prune old ones, export the intervals."""

from __future__ import annotations

import csv
import datetime
import json
import sys
from contextlib import ExitStack
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from headwatch.cli.common import (
    EXIT_FAILED,
    EXIT_USAGE,
    ConfigOption,
    echo_lines,
    fail,
    load_settings,
    note,
    open_history,
)
from headwatch.errors import HeadwatchError, printable

if TYPE_CHECKING:
    from headwatch.storage.history import History

history_app = typer.Typer(help="The sessions the monitor recorded: list, prune, export.", no_args_is_help=True)

MAX_DAYS = 36500  # a hundred years: what output.retention_days allows too
HistoryOption = Annotated[Path | None, typer.Option(
    "--history", dir_okay=False, help="The history database. (default: output.history, else history.sqlite in the "
                                      "user data folder)")]


def _open(history: Path | None, config: Path | None, *, write: bool = False) -> History:
    from headwatch.storage.history import HistoryError

    settings = load_settings(config, {"output.history": str(history) if history is not None else None})
    try:
        return open_history(settings, existing=True, read_only=not write)
    except HistoryError as exc:
        fail(str(exc), EXIT_FAILED)


@history_app.command("list")
def history_list(history: HistoryOption = None, config: ConfigOption = None,
                 as_json: Annotated[bool, typer.Option("--json", help="One JSON document.")] = False) -> None:
    """One line per session: when, how long, share of good posture, alerts, source."""
    from headwatch.report.history import format_duration
    from headwatch.types import SCHEMA

    with _open(history, config) as opened:
        rows = opened.sessions()
    if as_json:
        typer.echo(json.dumps({"schema": SCHEMA, "sessions": [asdict(row) for row in rows]}, indent=2))
        return
    typer.echo(f"{'id':>4}  {'started':25}  {'monitored':>9}  {'good':>5}  {'alerts':>6}  source")
    for row in rows:
        judged = row.ok_s + row.bad_s
        good = f"{row.ok_s / judged:.0%}" if judged > 0 else "-"
        echo_lines(f"{row.id:>4}  {row.started:25}  {format_duration(row.monitored_s):>9}  {good:>5}  {row.alerts:>6}  "
                   f"{printable(row.source)}")


@history_app.command("prune")
def history_prune(
    days: Annotated[float | None, typer.Option(help="Delete sessions older than this many days. "
                                                             "(default: output.retention_days)")] = None,
    history: HistoryOption = None, config: ConfigOption = None,
) -> None:
    """Delete old sessions with their intervals and events."""
    settings = load_settings(config)
    keep_days = settings.output.retention_days if days is None else days
    if not 0 <= keep_days <= MAX_DAYS:  # inf, 1e10 and 99999999 overflowed the date arithmetic
        fail(f"--days {days:g}: expected a number of days from 0 to {MAX_DAYS}", EXIT_USAGE)
    before = datetime.datetime.now().astimezone() - datetime.timedelta(days=keep_days)
    from headwatch.storage.history import HistoryError

    with _open(history, config, write=True) as opened:
        try:
            deleted = opened.prune(before)
        except HistoryError as exc:
            fail(str(exc), EXIT_FAILED)
    typer.echo(f"deleted {deleted} session{'s' if deleted != 1 else ''} started before {before:%Y-%m-%d %H:%M}")


@history_app.command("export")
def history_export(
    csv_path: Annotated[Path | None, typer.Option(
        "--csv", dir_okay=False, help="Write the intervals to this CSV file (default: standard output).")] = None,
    history: HistoryOption = None, config: ConfigOption = None,
) -> None:
    """Every recorded interval as CSV: session, start, seconds, time per state, bad per reason, medians."""
    if csv_path is not None:
        from headwatch.storage.outputs import check_outputs
        from headwatch.storage.recorder import history_path

        if csv_path.suffix.lower() != ".csv":
            fail(f"--csv {csv_path}: the CSV file must end in .csv", EXIT_USAGE)
        database = history if history is not None else history_path(load_settings(config).output.history)
        try:
            check_outputs([database], {"--csv": [csv_path]})
        except HeadwatchError as exc:
            fail(str(exc), EXIT_USAGE)
    with _open(history, config) as opened:
        rows = list(opened.intervals())
        skipped = opened.skipped_rows
    reasons = sorted({r for row in rows for r in row["bad_by_reason"]})
    metrics = sorted({m for row in rows for m in row["medians"]})
    try:  # a full disk, mid-file or at the final flush, is one line
        with ExitStack() as stack:
            handle = stack.enter_context(csv_path.open("w", newline="", encoding="utf-8")) if csv_path else sys.stdout
            writer = csv.writer(handle)
            writer.writerow(["session", "started", "seconds", "present_s", "ok_s", "bad_s", "away_s", "unknown_s",
                             *(f"bad_{r}_s" for r in reasons), *(f"median_{m}" for m in metrics)])
            for row in rows:
                writer.writerow([row["session_id"], row["started"], row["seconds"], row["present_s"], row["ok_s"],
                                 row["bad_s"], row["away_s"], row["unknown_s"],
                                 *(row["bad_by_reason"].get(r, 0.0) for r in reasons),
                                 *(row["medians"].get(m, "") for m in metrics)])
    except OSError as exc:
        fail(f"{csv_path or 'standard output'}: cannot write the CSV: {exc.strerror}", EXIT_FAILED)
    if skipped:
        note(f"headwatch: warning: {skipped} damaged row{'s' if skipped != 1 else ''} of the history skipped")
    if csv_path is not None:
        note(f"wrote {len(rows)} intervals to {csv_path}")
