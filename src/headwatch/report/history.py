"""What a period of history says: the figures `headwatch report` prints. Pure: intervals and
events in (as the history stores them), figures out."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from headwatch.config.settings import Reminders

MIN_HOUR_S = 300.0  # an hour of the day needs this much monitoring to be ranked
# Alerts per hour need this much monitoring to mean something: one alert in a 20 s session read
# "176.5 per hour". Half an hour holds several alerts' worth of time (30 s to build, 5 min to repeat).
MIN_RATE_S = 1800.0


@dataclass(frozen=True, slots=True)
class Period:
    start: datetime.datetime
    end: datetime.datetime
    label: str

    def previous(self) -> Period:
        length = self.end - self.start
        return Period(self.start - length, self.start, f"the {self.label} before")

    def contains(self, moment: datetime.datetime) -> bool:
        return self.start <= moment < self.end


@dataclass(frozen=True, slots=True)
class PeriodFigures:
    monitored_s: float
    good_share: float | None
    alerts: int
    alerts_per_hour: float | None
    longest_bad_s: float
    breaks: int
    worst_hours: tuple[tuple[int, float], ...]  # (hour of day, share of bad posture), worst first
    good_share_by_day: Mapping[str, float] = field(default_factory=dict)
    alerts_by_hour: Mapping[int, int] = field(default_factory=dict)
    break_min_s: float = Reminders().break_min_s  # what counted as a break (the user's reminders.break_min_s)

    def to_json(self) -> dict[str, Any]:
        return {"monitored_s": round(self.monitored_s, 1),
                "good_share": None if self.good_share is None else round(self.good_share, 4),
                "alerts": self.alerts,
                "alerts_per_hour": None if self.alerts_per_hour is None else round(self.alerts_per_hour, 3),
                "longest_bad_s": round(self.longest_bad_s, 1), "breaks": self.breaks,
                "worst_hours": [{"hour": h, "bad_share": round(s, 4)} for h, s in self.worst_hours],
                "good_share_by_day": {d: round(s, 4) for d, s in self.good_share_by_day.items()},
                "alerts_by_hour": {str(h): n for h, n in sorted(self.alerts_by_hour.items())}}


def _moment(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text)


def figures(intervals: Sequence[Mapping[str, Any]], events: Sequence[Mapping[str, Any]],
            period: Period, break_min_s: float = Reminders().break_min_s) -> PeriodFigures:
    """The period's figures from its intervals (history rows) and events (kind, at, detail); an
    absence of ``break_min_s`` or more is a break, as the reminders count it."""
    mine = sorted((i for i in intervals if period.contains(_moment(i["started"]))), key=lambda i: _moment(i["started"]))
    ok = sum(i["ok_s"] for i in mine)
    bad = sum(i["bad_s"] for i in mine)
    monitored = sum(i["present_s"] for i in mine)
    alerts = [e for e in events if e["kind"] == "bad_posture" and period.contains(_moment(e["at"]))
              and e.get("detail", {}).get("repeat", 0) == 0]
    hours = monitored / 3600.0
    return PeriodFigures(
        monitored_s=monitored,
        good_share=ok / (ok + bad) if ok + bad > 0 else None,
        alerts=len(alerts),
        alerts_per_hour=len(alerts) / hours if monitored >= MIN_RATE_S else None,
        longest_bad_s=_longest_bad(mine),
        breaks=_breaks(mine, break_min_s, unwatched_spans(events)),
        worst_hours=_worst_hours(mine),
        good_share_by_day=_good_share_by_day(mine),
        alerts_by_hour=_count_by_hour(alerts),
        break_min_s=break_min_s,
    )


def _longest_bad(intervals: Sequence[Mapping[str, Any]]) -> float:
    """The longest run of back-to-back intervals that were mostly bad posture (their bad time)."""
    longest = run = 0.0
    previous_end: datetime.datetime | None = None
    for interval in intervals:
        start = _moment(interval["started"])
        contiguous = previous_end is not None and abs((start - previous_end).total_seconds()) < 1.0
        judged = interval["ok_s"] + interval["bad_s"]
        mostly_bad = judged > 0 and interval["bad_s"] > 0.5 * judged
        run = (run if contiguous else 0.0) + interval["bad_s"] if mostly_bad else 0.0
        longest = max(longest, run)
        previous_end = start + datetime.timedelta(seconds=interval["seconds"])
    return longest


@dataclass(frozen=True, slots=True)
class Sitting:
    """Presence at the desk with no absence of ``break_min_s`` or more inside it; ``after_break``:
    one such absence came before it (the first sitting of a period may have none)."""

    started: datetime.datetime
    present_s: float
    intervals: tuple[Mapping[str, Any], ...]
    after_break: bool


# Spans the monitor did not watch but nobody left for: a pause (the person may have sat on) and
# the camera lent to a video call (they did): not a break, as the reminders count them.
UNWATCHED_SPANS = (("paused", "resumed"), ("camera_in_use", "camera_free"))


def unwatched_spans(events: Sequence[Mapping[str, Any]]) -> list[tuple[datetime.datetime, datetime.datetime]]:
    """The pauses and the video calls among a history's events, as (start, end) moments."""
    spans = []
    for began, ended in UNWATCHED_SPANS:
        start: dict[Any, datetime.datetime] = {}
        for event in sorted(events, key=lambda e: _moment(e["at"])):
            session = event.get("session_id")
            if event["kind"] == began:
                start.setdefault(session, _moment(event["at"]))
            elif event["kind"] == ended and session in start:
                spans.append((start.pop(session), _moment(event["at"])))
    return spans


def _outside(start: datetime.datetime, end: datetime.datetime,
             spans: Sequence[tuple[datetime.datetime, datetime.datetime]]) -> float:
    """Seconds from ``start`` to ``end`` that no span covers (the spans do not overlap: a monitor
    pauses or lends the camera, one at a time)."""
    covered = sum(max(0.0, (min(end, b) - max(start, a)).total_seconds()) for a, b in spans)
    return max(0.0, (end - start).total_seconds() - covered)


def sittings(intervals: Sequence[Mapping[str, Any]], break_min_s: float,
             unwatched: Sequence[tuple[datetime.datetime, datetime.datetime]] = ()) -> list[Sitting]:
    """The sittings of time-ordered intervals: absences are away time within sessions and the
    gaps between them, but for the ``unwatched`` spans in them (pauses, video calls:
    unwatched_spans); one of ``break_min_s`` or more ends a sitting (a break, as the reminders
    count it)."""
    runs: list[tuple[bool, list[Mapping[str, Any]]]] = []
    away = 0.0
    previous_end: datetime.datetime | None = None
    for interval in intervals:
        start = _moment(interval["started"])
        if previous_end is not None and start > previous_end:
            away += _outside(previous_end, start, unwatched)
        away += interval["away_s"]
        if interval["present_s"] > 0:
            if not runs or away >= break_min_s:
                runs.append((away >= break_min_s, []))
            runs[-1][1].append(interval)
            away = 0.0
        previous_end = start + datetime.timedelta(seconds=interval["seconds"])
    return [Sitting(_moment(rows[0]["started"]), sum(i["present_s"] for i in rows), tuple(rows), after_break)
            for after_break, rows in runs]


def _breaks(intervals: Sequence[Mapping[str, Any]], break_min_s: float,
            unwatched: Sequence[tuple[datetime.datetime, datetime.datetime]] = ()) -> int:
    """Absences of at least ``break_min_s``: away time within sessions, and the gaps between them
    (but for pauses and video calls)."""
    return sum(sitting.after_break for sitting in sittings(intervals, break_min_s, unwatched))


def _worst_hours(intervals: Sequence[Mapping[str, Any]], top: int = 3) -> tuple[tuple[int, float], ...]:
    ok: dict[int, float] = defaultdict(float)
    bad: dict[int, float] = defaultdict(float)
    for interval in intervals:
        hour = _moment(interval["started"]).hour
        ok[hour] += interval["ok_s"]
        bad[hour] += interval["bad_s"]
    ranked = sorted(((hour, bad[hour] / (ok[hour] + bad[hour])) for hour in ok | bad
                     if ok[hour] + bad[hour] >= MIN_HOUR_S), key=lambda item: (-item[1], item[0]))
    return tuple(item for item in ranked[:top] if item[1] > 0)


def _good_share_by_day(intervals: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    ok: dict[str, float] = defaultdict(float)
    bad: dict[str, float] = defaultdict(float)
    for interval in intervals:
        day = _moment(interval["started"]).date().isoformat()
        ok[day] += interval["ok_s"]
        bad[day] += interval["bad_s"]
    return {day: ok[day] / (ok[day] + bad[day]) for day in sorted(ok | bad) if ok[day] + bad[day] > 0}


def _count_by_hour(events: Sequence[Mapping[str, Any]]) -> dict[int, int]:
    counts: dict[int, int] = defaultdict(int)
    for event in events:
        counts[_moment(event["at"]).hour] += 1
    return dict(counts)


def format_duration(seconds: float) -> str:
    """e.g. 1h05m, 4m30s."""
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


def local_midnight(day: datetime.date, zone: datetime.tzinfo | None = None) -> datetime.datetime:
    """The start of ``day`` in ``zone``, or in the machine's local time with the offset that holds
    on that day: one offset carried from another day puts the day's start an hour off on the days
    the clocks change."""
    if zone is not None:
        return datetime.datetime.combine(day, datetime.time(), zone)
    return datetime.datetime.combine(day, datetime.time()).astimezone()


def period_days(period: Period, most: int = 31) -> list[str] | None:
    """Every calendar day of a period (ISO dates), for a chart that shows days without data too;
    None for a period longer than ``most`` days."""
    first, last = period.start.date(), (period.end - datetime.timedelta(microseconds=1)).date()
    count = (last - first).days + 1
    if count > most:
        return None
    return [(first + datetime.timedelta(days=n)).isoformat() for n in range(count)]


def period_heading(period: Period) -> str:
    return f"{period.label}: {period.start:%Y-%m-%d %H:%M} to {period.end:%Y-%m-%d %H:%M}"


def figure_rows(period: Period, now: PeriodFigures, before: PeriodFigures) -> list[tuple[str, str]]:
    """(label, value) of each figure, in the report's order: the terminal and the HTML page both
    show these."""
    def share(value: float | None) -> str:
        return "-" if value is None else f"{value:.0%}"

    trend = "- (nothing judged " + ("the period before)" if now.good_share is not None else "in this period)")
    if now.good_share is not None and before.good_share is not None:
        points = 100.0 * (now.good_share - before.good_share)
        trend = f"{points:+.0f} points against {before.good_share:.0%} {period.previous().label}"
    worst = (", ".join(f"{h:02d}:00 ({s:.0%} bad)" for h, s in now.worst_hours)
             or f"- (no hour of the day with {MIN_HOUR_S / 60:.0f} min monitored)")
    return [
        ("time monitored", format_duration(now.monitored_s)),
        ("good posture", f"{share(now.good_share)} of the judged time"),
        ("trend", trend),
        ("posture alerts", f"{now.alerts}"
         + (f" (per hour once {MIN_RATE_S / 60:.0f} min are monitored)" if now.alerts_per_hour is None
            else f" ({now.alerts_per_hour:.1f} per hour)")),
        ("longest bad stretch", format_duration(now.longest_bad_s)),
        ("breaks taken", f"{now.breaks} (absences of {now.break_min_s / 60:g} min or more)"),
        ("worst hours", worst),
    ]


def format_figures(period: Period, now: PeriodFigures, before: PeriodFigures) -> str:
    """The terminal report: this period's figures and the trend against the one before."""
    rows = figure_rows(period, now, before)
    return "\n".join([period_heading(period), *(f"  {label:<20}  {value}" for label, value in rows)])
