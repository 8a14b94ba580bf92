"""The report use case: how posture went today, this week, in a session or between two dates, as
text, JSON or a self-contained HTML page, from the history."""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from headwatch.app.context import open_history
from headwatch.config.settings import Settings
from headwatch.errors import HeadwatchError, UsageError
from headwatch.report.habits import Habits, find_habits, format_habits, habits_by_day, within
from headwatch.report.history import Period, PeriodFigures, figures, format_figures, local_midnight, period_days
from headwatch.types import SCHEMA

log = logging.getLogger("headwatch")


@dataclass(frozen=True, slots=True)
class PeriodChoice:
    """Which period: one of today (the default), the week, a session, or from/to (ISO 8601)."""

    today: bool = False
    week: bool = False
    session: int | None = None
    start: str | None = None
    end: str | None = None


@dataclass(frozen=True, slots=True)
class HistoryReport:
    period: Period
    now: PeriodFigures
    before: PeriodFigures
    intervals: list[dict[str, Any]]
    events: list[dict[str, Any]]
    habits: Habits
    habits_by_day: dict[str, Habits | None]  # for a period of several days (the week at a glance)

    def text(self) -> str:
        return format_figures(self.period, self.now, self.before) + "\n" + format_habits(self.habits,
                                                                                       self.habits_by_day)

    def document(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "from": self.period.start.isoformat(), "to": self.period.end.isoformat(),
                "figures": self.now.to_json(), "before": self.before.to_json(), "habits": self.habits.to_json(),
                "habits_by_day": {day: None if h is None else h.to_json() for day, h in self.habits_by_day.items()}}

    def write_html(self, path: Path, *, private: bool = False) -> None:
        """The page at ``path``: one the user named follows their umask, as any tool's output; a
        ``private`` one (headwatch's own, today's page) is 0600 whatever the umask."""
        from headwatch.files import replace_text, write_text
        from headwatch.report.html import render

        page = render(self.period, self.now, self.before, self.intervals, self.events, self.habits,
                      self.habits_by_day)
        write = replace_text if private else write_text
        try:
            write(path, page)
        except OSError as exc:
            raise HeadwatchError(f"{path}: cannot write the report: {exc.strerror}") from None


def check_html_path(settings: Settings, html_path: Path) -> None:
    """The page must be .html and never the history it reports (a symlink to it counts)."""
    from headwatch.storage.outputs import check_outputs
    from headwatch.storage.recorder import history_path

    if html_path.suffix.lower() not in (".html", ".htm"):
        raise UsageError(f"--html {html_path}: the report must end in .html")
    try:
        check_outputs([history_path(settings.output.history)], {"--html": [html_path]})
    except HeadwatchError as exc:
        raise UsageError(str(exc)) from None


def _period(choice: PeriodChoice, spans: dict[int, tuple[datetime.datetime, datetime.datetime]],
            ) -> tuple[datetime.datetime, datetime.datetime, str]:
    now = datetime.datetime.now().astimezone()
    today = now.date()
    midnight, tomorrow = local_midnight(today), local_midnight(today + datetime.timedelta(days=1))
    chosen = sum([choice.today, choice.week, choice.session is not None,
                  choice.start is not None or choice.end is not None])
    if chosen > 1:
        raise UsageError("give one of --today, --week, --session or --from/--to")
    if choice.week:
        return local_midnight(today - datetime.timedelta(days=6)), tomorrow, "week"
    if choice.session is not None:
        span = spans.get(choice.session)
        if span is None:
            raise HeadwatchError(f"no session {choice.session} in the history (`headwatch history list` shows them)")
        # From its first interval to the end of its last: a replayed file's intervals run on the
        # video's time, past the wall-clock end of the session.
        return span[0], span[1] + datetime.timedelta(seconds=1), f"session {choice.session}"
    if choice.start is not None or choice.end is not None:
        try:
            first = datetime.datetime.fromisoformat(choice.start).astimezone() if choice.start else midnight
            last = datetime.datetime.fromisoformat(choice.end).astimezone() if choice.end else now
        except ValueError as exc:
            raise UsageError(f"--from/--to: expected a date or time such as 2026-11-24 or 2026-11-24T14:00 ({exc})"
                             ) from None
        if last <= first:
            raise UsageError("--to must be after --from")
        # The report also shows the period before, as long: both must be dates a calendar can hold.
        if first.year < 1970 or last.year > 9000 or last - first > datetime.timedelta(days=36600):
            raise UsageError("--from/--to: a period within the years 1970-9000 and at most 100 years long")
        return first, last, "period"
    return midnight, tomorrow, "day"


def _spans(session: int | None,
           intervals: list[dict[str, Any]]) -> dict[int, tuple[datetime.datetime, datetime.datetime]]:
    """The asked-for session's first interval start and last interval end."""
    if session is None:
        return {}
    mine = [i for i in intervals if i["session_id"] == session]
    if not mine:
        return {}
    starts = [datetime.datetime.fromisoformat(i["started"]) for i in mine]
    ends = [s + datetime.timedelta(seconds=i["seconds"]) for s, i in zip(starts, mine, strict=True)]
    return {session: (min(starts), max(ends))}


def history_report(settings: Settings, choice: PeriodChoice) -> HistoryReport:
    """The period's figures and the period before's, from the history (read only). A damaged row
    is skipped with a warning; breaks are counted as reminders.break_min_s says."""
    with open_history(settings, existing=True, read_only=True) as opened:
        intervals = list(opened.intervals(choice.session))
        events = list(opened.events(choice.session))
        first, last, label = _period(choice, _spans(choice.session, intervals))
        skipped = opened.skipped_rows
    if skipped:
        log.warning(f"{skipped} damaged row{'s' if skipped != 1 else ''} of the history skipped; the report covers "
                    "the rest")
    period = Period(first, last, label)
    break_min_s = settings.reminders.break_min_s
    inside = within(intervals, "started", period.start, period.end)
    own_events = within(events, "at", period.start, period.end)
    days = period_days(period) or []
    return HistoryReport(period, figures(intervals, events, period, break_min_s),
                         figures(intervals, events, period.previous(), break_min_s), intervals, events,
                         find_habits(inside, own_events, settings.reminders),
                         habits_by_day(inside, own_events, days, settings.reminders)
                         if len(days) > 1 else {})


def todays_page(settings: Settings) -> Path:
    """Today's report as a page in the user's cache folder (written over each time): what the
    tray's "Open today's report" opens."""
    from headwatch.files import private_folder

    page = private_folder("cache") / "today.html"
    history_report(settings, PeriodChoice(today=True)).write_html(page, private=True)
    return page
