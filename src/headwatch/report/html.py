"""The report as one self-contained HTML file: the figures and the plots embedded as PNG."""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping, Sequence
from typing import Any

from headwatch.report import plots
from headwatch.report.habits import MIN_HABIT_S, Habits, glance_table
from headwatch.report.history import Period, PeriodFigures, figure_rows, format_duration, period_days, period_heading
from headwatch.report.recording import FileSummary, video_lines
from headwatch.timeline.replay import Alert
from headwatch.types import FrameRecord


def _image(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<figure><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}"></figure>'


def _page(title: str, heading: str, rows: str, images: str, table_class: str = "figures") -> str:
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>headwatch: {html.escape(title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 960px; color: #222; }}
table {{ border-collapse: collapse; margin-bottom: 1.5em; }}
th, td {{ text-align: left; padding: 0.25em 1em 0.25em 0; }} th {{ font-weight: 600; }}
figure {{ margin: 0 0 1em 0; }} img {{ max-width: 100%; }}
table.lines td {{ font-family: ui-monospace, monospace; white-space: pre; padding: 0; }}
table.glance td, table.glance th {{ padding-right: 1.2em; }} .empty {{ color: #777; }}
</style></head>
<body>
<h1>headwatch report</h1>
<p>{html.escape(heading)}</p>
<table class="{table_class}">
{rows}
</table>
{images}
</body></html>
"""


def render_recording(summary: FileSummary, records: Sequence[FrameRecord], alerts: Sequence[Alert],
                     habits: Habits | None = None) -> str:
    """A recording's page (`analyze --report`): the figures of the analyze table, in the video's own
    time, its head-forward angle over that time with the alerts shaded, and its habits."""
    head, *lines = video_lines(summary)
    rows = "\n".join(f"<tr><td>{html.escape(line.strip())}</td></tr>" for line in lines)
    images = _image(plots.recording_timeline(records, alerts), "head forward over the recording, alerts shaded")
    if habits is not None:
        images += "\n" + habits_section(habits, {})
    return _page(summary.path, head, rows, images, table_class="lines")  # aligned as in the terminal


def _nothing(sentence: str) -> str:
    """A chart with nothing to show, as the one line that says so."""
    return f'<p class="empty">{html.escape(sentence)}</p>'


def _sentence(text: str) -> str:
    return text[0].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _cell(text: str, tag: str = "td") -> str:
    quiet = ' class="empty"' if text in ("no data", "too little") else ""
    return f"<{tag}{quiet}>{html.escape(text)}</{tag}>"


def habits_section(habits: Habits, by_day: Mapping[str, Habits | None]) -> str:
    """The habits, each in one sentence, and the week at a glance for a period of several days."""
    parts = ["<h2>Habits</h2>", f"<p>Over {html.escape(format_duration(habits.monitored_s))} monitored; a habit is "
                                f"named from {MIN_HABIT_S / 60:.0f} min of it.</p>"]
    if not habits.enough:
        parts.append(_nothing(_sentence(habits.habits[0].sentence)))
    else:
        rows = []
        for habit in habits.habits:
            said = habit.sentence if habit.shown else _sentence(habit.sentence)
            quiet = "" if habit.shown else ' class="empty"'
            rows.append(f"<tr><th>{html.escape(habit.name)}</th><td{quiet}>{html.escape(said)}</td></tr>")
        parts.append('<table class="habits">\n' + "\n".join(rows) + "\n</table>")
    if len(by_day) > 1:
        header, *body = glance_table(by_day)
        lines = ["<tr>" + "".join(_cell(c, "th") for c in header) + "</tr>"]
        lines += ["<tr>" + _cell(row[0], "th") + "".join(_cell(c) for c in row[1:]) + "</tr>" for row in body]
        parts += ["<h3>Day by day</h3>", '<table class="glance">\n' + "\n".join(lines) + "\n</table>"]
    return "\n".join(parts)


def render(period: Period, now: PeriodFigures, before: PeriodFigures, intervals: Sequence[Mapping[str, Any]],
           events: Sequence[Mapping[str, Any]], habits: Habits | None = None,
           habits_by_day: Mapping[str, Habits | None] | None = None) -> str:
    inside = [i for i in intervals if period.contains(plots._moment(i["started"]))]
    own_events = [e for e in events if period.contains(plots._moment(e["at"]))]
    heading = period_heading(period)
    rows = "\n".join(f"<tr><th>{html.escape(label)}</th><td>{html.escape(value)}</td></tr>"
                     for label, value in figure_rows(period, now, before))
    front_view = any("shoulder_tilt_deg" in i["medians"] for i in inside)
    images = "\n".join([
        _image(plots.timeline(inside, own_events), "head forward over the day, alert spans shaded"),
        _image(plots.good_share_by_day(now.good_share_by_day, period_days(period)), "share of good posture per day"),
        _image(plots.alerts_by_hour(now.alerts_by_hour), "posture alerts by hour of the day") if now.alerts_by_hour
        else _nothing("No posture alerts in this period, so no chart of them by hour."),
        _image(plots.shoulder_tilt(inside), "shoulder tilt over time") if front_view
        else _nothing("No shoulder tilt: it is measured facing the camera, and this period was seen in profile only."),
    ])
    if habits is not None:
        images = habits_section(habits, habits_by_day or {}) + "\n" + images
    return _page(heading, heading, rows, images)
