"""The history use cases: list the recorded sessions, prune old ones, export the intervals."""

from __future__ import annotations

import csv
import datetime
import logging
from contextlib import ExitStack
from dataclasses import asdict
from pathlib import Path
from typing import Any, TextIO

from headwatch.app.context import open_history
from headwatch.config.settings import Settings
from headwatch.errors import HeadwatchError, UsageError, printable
from headwatch.report.history import format_duration
from headwatch.storage.history import SessionRow
from headwatch.types import SCHEMA

log = logging.getLogger("headwatch")
MAX_DAYS = 36500  # a hundred years: what output.retention_days allows too


def list_sessions(settings: Settings) -> list[SessionRow]:
    with open_history(settings, existing=True, read_only=True) as opened:
        return opened.sessions()


def sessions_document(rows: list[SessionRow]) -> dict[str, Any]:
    """The sessions, times as stored (ISO 8601 with their UTC offset), seconds to a tenth."""
    return {"schema": SCHEMA, "sessions": [{k: round(v, 1) if isinstance(v, float) else v
                                            for k, v in asdict(row).items()} for row in rows]}


def _local(text: str) -> str:
    """An ISO time as this machine's local time, to the minute."""
    return datetime.datetime.fromisoformat(text).astimezone().strftime("%Y-%m-%d %H:%M")


def sessions_table(rows: list[SessionRow]) -> str:
    lines = [f"{'id':>4}  {'started (local)':16}  {'monitored':>9}  {'good':>5}  {'alerts':>6}  source"]
    for row in rows:
        judged = row.ok_s + row.bad_s
        good = f"{row.ok_s / judged:.0%}" if judged > 0 else "-"
        lines.append(f"{row.id:>4}  {_local(row.started):16}  {format_duration(row.monitored_s):>9}  {good:>5}  "
                     f"{row.alerts:>6}  {printable(row.source)}")
    return "\n".join(lines)


def prune_sessions(settings: Settings, days: float | None) -> str:
    """Delete sessions older than ``days`` (default: output.retention_days) with their rows."""
    keep_days = settings.output.retention_days if days is None else days
    if not 0 <= keep_days <= MAX_DAYS:  # inf, 1e10 and 99999999 overflowed the date arithmetic
        raise UsageError(f"--days {keep_days:g}: expected a number of days from 0 to {MAX_DAYS}")
    before = datetime.datetime.now().astimezone() - datetime.timedelta(days=keep_days)
    with open_history(settings, existing=True) as opened:
        deleted = opened.prune(before)
    return f"deleted {deleted} session{'s' if deleted != 1 else ''} started before {before:%Y-%m-%d %H:%M}"


def check_csv_path(settings: Settings, csv_path: Path) -> None:
    from headwatch.storage.outputs import check_outputs
    from headwatch.storage.recorder import history_path

    if csv_path.suffix.lower() != ".csv":
        raise UsageError(f"--csv {csv_path}: the CSV file must end in .csv")
    try:
        check_outputs([history_path(settings.output.history)], {"--csv": [csv_path]})
    except HeadwatchError as exc:
        raise UsageError(str(exc)) from None


def export_intervals(settings: Settings, csv_path: Path | None, stdout: TextIO) -> int:
    """Every recorded interval as CSV to ``csv_path`` (None: ``stdout``); the count written."""
    with open_history(settings, existing=True, read_only=True) as opened:
        rows = list(opened.intervals())
        skipped = opened.skipped_rows
    from headwatch.files import open_for_writing

    reasons = sorted({r for row in rows for r in row["bad_by_reason"]})
    metrics = sorted({m for row in rows for m in row["medians"]})
    try:  # a full disk, mid-file or at the final flush, is one line
        with ExitStack() as stack:
            handle = stack.enter_context(open_for_writing(csv_path)) if csv_path else stdout
            _write_csv(handle, rows, reasons, metrics)
    except OSError as exc:
        raise HeadwatchError(f"{csv_path or 'standard output'}: cannot write the CSV: {exc.strerror}") from None
    if skipped:
        log.warning(f"{skipped} damaged row{'s' if skipped != 1 else ''} of the history skipped")
    return len(rows)


def _write_csv(handle: TextIO, rows: list[dict[str, Any]], reasons: list[str], metrics: list[str]) -> None:
    writer = csv.writer(handle)
    writer.writerow(["session", "started", "seconds", "present_s", "ok_s", "bad_s", "away_s", "unknown_s",
                     *(f"bad_{r}_s" for r in reasons), *(f"median_{m}" for m in metrics)])
    for row in rows:
        writer.writerow([row["session_id"], row["started"], row["seconds"], row["present_s"], row["ok_s"],
                         row["bad_s"], row["away_s"], row["unknown_s"],
                         *(row["bad_by_reason"].get(r, 0.0) for r in reasons),
                         *(row["medians"].get(m, "") for m in metrics)])
    handle.flush()
