"""The report as one self-contained HTML file: the figures and the plots embedded as PNG."""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping, Sequence
from typing import Any

from headwatch.report import plots
from headwatch.report.history import Period, PeriodFigures, figure_rows, period_days, period_heading
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


def render_recording(summary: FileSummary, records: Sequence[FrameRecord], alerts: Sequence[Alert]) -> str:
    """A recording's page (`analyze --report`): the figures of the analyze table, in the video's own
    time, and its head-forward angle over that time with the alerts shaded."""
    head, *lines = video_lines(summary)
    rows = "\n".join(f"<tr><td>{html.escape(line.strip())}</td></tr>" for line in lines)
    images = _image(plots.recording_timeline(records, alerts), "head forward over the recording, alerts shaded")
    return _page(summary.path, head, rows, images, table_class="lines")  # aligned as in the terminal


def render(period: Period, now: PeriodFigures, before: PeriodFigures, intervals: Sequence[Mapping[str, Any]],
           events: Sequence[Mapping[str, Any]]) -> str:
    inside = [i for i in intervals if period.contains(plots._moment(i["started"]))]
    own_events = [e for e in events if period.contains(plots._moment(e["at"]))]
    heading = period_heading(period)
    rows = "\n".join(f"<tr><th>{html.escape(label)}</th><td>{html.escape(value)}</td></tr>"
                     for label, value in figure_rows(period, now, before))
    images = "\n".join([
        _image(plots.timeline(inside, own_events), "head forward over the day, alert spans shaded"),
        _image(plots.good_share_by_day(now.good_share_by_day, period_days(period)), "share of good posture per day"),
        _image(plots.alerts_by_hour(now.alerts_by_hour), "posture alerts by hour of the day"),
        _image(plots.shoulder_tilt(inside), "shoulder tilt over time"),
    ])
    return _page(heading, heading, rows, images)
