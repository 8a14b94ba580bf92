"""The report's plots as PNG bytes: matplotlib with its non-interactive Agg backend, so no window
and no display is ever needed. Each function takes plain history rows and returns an image."""

from __future__ import annotations

import datetime
import io
import math
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from headwatch.files import keep_matplotlib_at_home
from headwatch.timeline.replay import Alert, pair_alerts
from headwatch.types import AlertEvent, EventKind, FrameRecord, State

keep_matplotlib_at_home()  # before matplotlib is imported: it writes its cache as it loads

import matplotlib  # noqa: E402

matplotlib.use("Agg")  # before pyplot: a report is drawn, never shown

import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

WIDTH_IN, HEIGHT_IN, DPI = 9.0, 3.0, 100  # 900 x 300 pixels
# Good green, bad red, alerts amber: an alert span and the bad share under it must not read as one.
GOOD, BAD, ALERT, NO_DATA = "#2e8b57", "#c0392b", "#f0b429", "#bbbbbb"


def _png(figure: Any) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    plt.close(figure)
    return buffer.getvalue()


def _moment(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text)


def _x(moments: Sequence[datetime.datetime]) -> Any:
    """Datetimes as matplotlib's date numbers (what its axes take)."""
    return mdates.date2num(list(moments))  # type: ignore[no-untyped-call]


def _spans_days(moments: Sequence[datetime.datetime]) -> bool:
    return bool(moments) and min(moments).date() != max(moments).date()


def _time_axis(axis: Any, moments: Sequence[datetime.datetime]) -> None:
    """Clock times on the x axis, in the time zone the samples were recorded in (with seconds
    when the span is short, or every label would read the same minute); over several days, a
    label a day (a week of "00:00" labels says nothing)."""
    zone = moments[0].tzinfo if moments else None
    short = bool(moments) and (max(moments) - min(moments)).total_seconds() < 600
    axis.xaxis_date(tz=zone)
    if _spans_days(moments):
        axis.xaxis.set_major_locator(mdates.DayLocator(tz=zone))  # type: ignore[no-untyped-call]
        axis.xaxis.set_major_formatter(mdates.DateFormatter("%a %d %b", tz=zone))  # type: ignore[no-untyped-call]
        return
    axis.xaxis.set_major_formatter(
        mdates.DateFormatter("%H:%M:%S" if short else "%H:%M", tz=zone))  # type: ignore[no-untyped-call]


def alert_spans(events: Sequence[Mapping[str, Any]], until: datetime.datetime | None = None,
                ) -> list[tuple[datetime.datetime, datetime.datetime]]:
    """(start, end) of each alert among history event rows (timeline.replay.pair_alerts); one not
    recovered from lasts ``until`` (the end of the last interval: the monitor stopped during it),
    or a minute where that is not known."""
    ordered = sorted((e for e in events if e["kind"] in _KINDS), key=lambda e: _moment(e["at"]))
    if not ordered:
        return []
    origin = _moment(ordered[0]["at"])
    as_events = []
    for row in ordered:
        t_s = (_moment(row["at"]) - origin).total_seconds()
        as_events.append(AlertEvent(EventKind(row["kind"]), t_s, t_s, repeat=row.get("detail", {}).get("repeat", 0)))
    opened = [e.t_s for e in as_events if e.kind is EventKind.BAD_POSTURE and e.repeat == 0]
    end_s = (opened[-1] if opened else 0.0) + 60.0
    if until is not None and opened and (until - origin).total_seconds() > opened[-1]:
        end_s = (until - origin).total_seconds()
    moment = partial(_after, origin)
    return [(moment(alert.start_s), moment(alert.end_s)) for alert in pair_alerts(as_events, end_s)]


_KINDS = frozenset(kind.value for kind in EventKind)


def session_alert_spans(intervals: Sequence[Mapping[str, Any]], events: Sequence[Mapping[str, Any]],
                        ) -> list[tuple[datetime.datetime, datetime.datetime]]:
    """Alert spans paired within each session (rows carry ``session_id``): an alert still on when
    its session ended lasts to that session's last interval, not to the next session's recovery,
    which would shade the night between them."""
    ends: dict[Any, list[datetime.datetime]] = {}
    for row in intervals:
        ends.setdefault(row.get("session_id"), []).append(
            _moment(row["started"]) + datetime.timedelta(seconds=row["seconds"]))
    by_session: dict[Any, list[Mapping[str, Any]]] = {}
    for event in events:
        by_session.setdefault(event.get("session_id"), []).append(event)
    spans = []
    for session, rows in by_session.items():
        session_ends = ends.get(session) or [end for found in ends.values() for end in found]
        spans += alert_spans(rows, max(session_ends) if session_ends else None)
    return sorted(spans)


def _after(origin: datetime.datetime, seconds: float) -> datetime.datetime:
    return origin + datetime.timedelta(seconds=seconds)


def recording_timeline(records: Sequence[FrameRecord], alerts: Sequence[Alert],
                       metric: str = "head_forward_deg") -> bytes:
    """A recording's head-forward angle over its own time (video seconds), the looks judged bad
    marked and the alerts shaded, as `analyze` reported them."""
    figure, axis = plt.subplots(figsize=(WIDTH_IN, HEIGHT_IN))
    for number, alert in enumerate(alerts):
        axis.axvspan(alert.start_s, alert.end_s, color=ALERT, alpha=0.6, lw=0, label="alert" if number == 0 else None)
    points = [(r.t_s, value, r.verdict.state is State.BAD) for r in records
              if r.person and (value := getattr(r.sample, metric)) is not None]
    axis.plot([p[0] for p in points], [p[1] for p in points], color="#34495e", lw=1.2,
              label=metric.replace("_", " "))
    bad = [p for p in points if p[2]]
    if bad:
        axis.scatter([p[0] for p in bad], [p[1] for p in bad], color=BAD, s=12, zorder=3, label="judged bad")
    axis.set_xlabel("video time (s)")
    axis.set_ylabel("degrees")
    axis.set_title("Head forward over the recording" + ("" if points else " (nobody measured)"))
    if points or alerts:
        axis.legend(loc="upper left", fontsize=8)
    figure.tight_layout()
    return _png(figure)


def _broken_at_gaps(rows: Sequence[tuple[datetime.datetime, float, float]],
                    ) -> tuple[list[datetime.datetime], list[float]]:
    """(time, value) of each interval, with a gap (NaN) wherever monitoring stopped between two:
    a line must not run straight across the hours between two sessions."""
    times: list[datetime.datetime] = []
    values: list[float] = []
    for number, (start, _, value) in enumerate(rows):
        if number and (start - rows[number - 1][0]).total_seconds() > rows[number - 1][1] + 1.0:
            times.append(start)
            values.append(math.nan)
        times.append(start)
        values.append(value)
    return times, values


def _bad_share_steps(intervals: Sequence[Mapping[str, Any]]) -> tuple[list[datetime.datetime], list[float]]:
    """Each interval's share judged bad as steps, down to 0 where monitoring stopped before the
    next one: a step must not fill the night between two sessions."""
    times: list[datetime.datetime] = []
    shares: list[float] = []
    for number, row in enumerate(intervals):
        start = _moment(row["started"])
        judged = row["ok_s"] + row["bad_s"]
        times.append(start)
        shares.append(100.0 * row["bad_s"] / judged if judged > 0 else 0.0)
        end = start + datetime.timedelta(seconds=row["seconds"])
        following = _moment(intervals[number + 1]["started"]) if number + 1 < len(intervals) else None
        if following is None or (following - end).total_seconds() > 1.0:
            times.append(end)
            shares.append(0.0)
    return times, shares


def timeline(intervals: Sequence[Mapping[str, Any]], events: Sequence[Mapping[str, Any]],
             metric: str = "head_forward_deg") -> bytes:
    """The head-forward angle (each interval's median) over time, alert spans shaded, and the share
    of each interval judged bad against its own limit (the limit moves with the person)."""
    figure, axis = plt.subplots(figsize=(WIDTH_IN, HEIGHT_IN))
    times, values = _broken_at_gaps([(_moment(i["started"]), i["seconds"], i["medians"][metric])
                                     for i in intervals if metric in i["medians"]])
    for number, (start, end) in enumerate(session_alert_spans(intervals, events)):
        axis.axvspan(float(_x([start])[0]), float(_x([end])[0]), color=ALERT, alpha=0.6, lw=0,
                     label="alert" if number == 0 else None)
    axis.plot(_x(times), values, color="#34495e", lw=1.2, label=metric.replace("_", " "))
    axis.set_ylabel("degrees")
    share_axis = axis.twinx()
    bad_times, shares = _bad_share_steps(intervals)
    share_axis.fill_between(_x(bad_times), shares, step="post", color=BAD, alpha=0.25, lw=0, label="judged bad (%)")
    share_axis.set_ylim(0, 100)
    share_axis.set_ylabel("beyond the limit (%)")
    axis.set_title("Head forward over the " + ("period" if _spans_days(bad_times) else "day"))
    handles = axis.get_legend_handles_labels()[0] + share_axis.get_legend_handles_labels()[0]
    axis.legend(handles=handles, loc="upper left", fontsize=8)
    _time_axis(axis, bad_times)
    figure.tight_layout()
    return _png(figure)


def good_share_by_day(shares: Mapping[str, float], days: Sequence[str] | None = None) -> bytes:
    """A bar per day of ``days`` (default: the days with data); a day without monitoring is
    marked "no data" rather than left out, so a week reads as seven days."""
    figure, axis = plt.subplots(figsize=(WIDTH_IN, HEIGHT_IN))
    days = list(days) if days is not None else list(shares)
    axis.bar(days, [100.0 * shares.get(d, 0.0) for d in days], color=GOOD)
    for number, day in enumerate(days):
        if day not in shares:
            axis.text(number, 3, "no data", ha="center", va="bottom", fontsize=8, color=NO_DATA, rotation=90)
    axis.set_ylim(0, 100)
    axis.set_ylabel("good posture (%)")
    axis.set_title("Share of good posture per day")
    figure.tight_layout()
    return _png(figure)


def alerts_by_hour(counts: Mapping[int, int]) -> bytes:
    figure, axis = plt.subplots(figsize=(WIDTH_IN, HEIGHT_IN))
    hours = list(range(24))
    axis.bar(hours, [counts.get(h, 0) for h in hours], color=BAD)
    axis.set_xticks(hours)
    axis.yaxis.set_major_locator(MaxNLocator(integer=True))  # alerts come whole
    axis.set_ylim(bottom=0)  # never a negative count, even with none to show
    axis.set_xlabel("hour of the day")
    axis.set_ylabel("alerts")
    axis.set_title("Posture alerts by hour of the day")
    figure.tight_layout()
    return _png(figure)


def shoulder_tilt(intervals: Sequence[Mapping[str, Any]]) -> bytes:
    figure, axis = plt.subplots(figsize=(WIDTH_IN, HEIGHT_IN))
    times, values = _broken_at_gaps([(_moment(i["started"]), i["seconds"], i["medians"]["shoulder_tilt_deg"])
                                     for i in intervals if "shoulder_tilt_deg" in i["medians"]])
    points = list(zip(times, values, strict=True))
    axis.axhline(0.0, color="#999999", lw=0.8)
    axis.plot(_x(times), values, color="#2c3e50", lw=1.2)
    axis.set_ylabel("degrees (+ left shoulder lower)")
    axis.set_title("Shoulder tilt over time" + ("" if points else " (no front-view samples)"))
    _time_axis(axis, [p[0] for p in points])
    figure.tight_layout()
    return _png(figure)
