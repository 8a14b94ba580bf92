"""`headwatch report` from a history the test fills: every figure checked against what went in."""

from __future__ import annotations

import datetime
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from headwatch.cli import app
from headwatch.report.history import Period, figures, format_figures
from headwatch.storage.history import History
from headwatch.timeline.intervals import Interval

TZ = datetime.timezone(datetime.timedelta(hours=1))
DAY = datetime.datetime(2026, 11, 24, tzinfo=TZ)


def fill(path: Path) -> None:
    """Today: 09:00-09:30 at a desk (bad 09:10-09:12, one alert and its repeat), a 10 min break,
    09:40-10:00 all good (one more alert at 09:50 from a short slouch counted as 10 s bad).
    Yesterday: 14:00-14:20, half good, half bad."""
    with History.open(path) as history:
        def session(start: datetime.datetime, minutes: int, bad_at: set[int]) -> int:
            sid = history.start_session(start, "0", "learned reference", "x")
            for i in range(minutes * 6):
                bad = 10.0 if i in bad_at else 0.0
                history.add_interval(sid, Interval(start + datetime.timedelta(seconds=10 * i), 10.0, 10.0, 10.0 - bad,
                                                   bad, 0.0, 0.0, {"head_forward": bad} if bad else {},
                                                   {"head_forward_deg": 30.0 if bad else 15.0}, 50))
            return sid

        first = session(DAY.replace(hour=9), 30, set(range(60, 72)))
        history.add_event(first, DAY.replace(hour=9, minute=10, second=30), "bad_posture", ["head_forward"],
                          {"repeat": 0})
        history.add_event(first, DAY.replace(hour=9, minute=11, second=30), "bad_posture", ["head_forward"],
                          {"repeat": 1})
        second = session(DAY.replace(hour=9, minute=40), 20, {60})
        history.add_event(second, DAY.replace(hour=9, minute=50), "bad_posture", ["head_forward"], {"repeat": 0})
        session(DAY.replace(hour=14) - datetime.timedelta(days=1), 20, set(range(60, 120)))


def test_the_days_figures_by_hand(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite"
    fill(path)
    with History.open(path) as history:
        intervals, events = list(history.intervals()), list(history.events())
    today = Period(DAY, DAY + datetime.timedelta(days=1), "day")
    now = figures(intervals, events, today)
    assert now.monitored_s == 50 * 60  # 30 + 20 minutes
    assert now.good_share == (3000 - 130) / 3000  # 12 bad intervals and one more, 10 s each
    assert now.alerts == 2  # a repeat is not a new alert
    assert now.alerts_per_hour == 2 / (50 / 60)
    assert now.longest_bad_s == 120.0
    assert now.breaks == 1  # the 10 minutes between the sessions
    assert now.worst_hours == ((9, 130 / 3000),)
    assert now.alerts_by_hour == {9: 2}
    before = figures(intervals, events, today.previous())
    assert before.good_share == 0.5 and before.monitored_s == 1200
    assert before.alerts_per_hour is None  # 20 minutes monitored: too little for a rate
    # A break is what the user's reminders call one: ten minutes away are none if breaks are 15 min.
    assert figures(intervals, events, today, break_min_s=15 * 60).breaks == 0


def test_the_report_counts_breaks_as_the_config_says(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite"
    fill(path)
    config = tmp_path / "headwatch.toml"
    config.write_text("[reminders]\nbreak_min_s = 900\n")
    result = CliRunner().invoke(app, ["report", "--history", str(path), "--config", str(config),
                                      "--from", "2026-11-24T00:00+01:00", "--to", "2026-11-25T00:00+01:00"])
    assert result.exit_code == 0, result.output
    assert "breaks taken          0 (absences of 15 min or more)" in result.stdout


def test_the_report_command(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite"
    fill(path)

    def report(*args: str):  # type: ignore[no-untyped-def]
        result = CliRunner().invoke(app, ["report", "--history", str(path), *args])
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
        return result

    text = report("--from", "2026-11-24T00:00+01:00", "--to", "2026-11-25T00:00+01:00").stdout
    assert "time monitored        50m00s" in text
    assert "good posture          96% of the judged time" in text
    assert "trend                 +46 points against 50% the period before" in text
    assert "posture alerts        2 (2.4 per hour)" in text
    assert "longest bad stretch   2m00s" in text and "breaks taken          1 " in text
    assert "worst hours           09:00 (4% bad)" in text
    short = report("--session", "3").stdout  # yesterday's 20 minutes: a count, no rate
    assert "posture alerts        0 (per hour once 30 min are monitored)" in short
    document = json.loads(report("--session", "1", "--json").stdout)
    assert document["schema"] == 1 and document["figures"]["monitored_s"] == 1800.0
    assert document["figures"]["alerts"] == 1
    assert report("--today", "--week").exit_code == 2
    assert report("--session", "99").exit_code == 1


def test_the_html_report_holds_the_figures_and_its_real_plots(tmp_path: Path) -> None:
    import base64
    import re

    import cv2
    import numpy as np

    path, page = tmp_path / "history.sqlite", tmp_path / "report.html"
    fill(path)
    args = ["report", "--history", str(path), "--from", "2026-11-24T00:00+01:00", "--to", "2026-11-25T00:00+01:00"]
    text = CliRunner().invoke(app, args).stdout
    result = CliRunner().invoke(app, [*args, "--html", str(page)])
    assert result.exit_code == 0
    document = page.read_text(encoding="utf-8")
    figure_lines = text[:text.index("\nhabits (")].splitlines()[1:]
    for line in figure_lines:  # every figure of the terminal report, in the table
        label, value = line[:24].strip(), line[24:].strip()
        assert f"<tr><th>{label}</th><td>{value}</td></tr>" in document.replace("&#x27;", "'")
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', document)
    assert len(images) == 3  # the history holds profile views only: no shoulder tilt chart, one line instead
    assert "this period was seen in profile only" in document
    for data in images:
        picture = cv2.imdecode(np.frombuffer(base64.b64decode(data), np.uint8), cv2.IMREAD_COLOR)
        assert picture.shape == (300, 900, 3)
        assert (picture < 250).any(axis=2).mean() > 0.02  # something is drawn, not a blank canvas
    assert "http" not in document.replace("http-equiv", "")  # self-contained: nothing to fetch


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Chromium is not installed")
def test_the_html_report_renders_in_a_real_browser(tmp_path: Path) -> None:
    import subprocess

    import cv2

    path, page, shot = tmp_path / "history.sqlite", tmp_path / "report.html", tmp_path / "report.png"
    fill(path)
    CliRunner().invoke(app, ["report", "--history", str(path), "--from", "2026-11-24T00:00+01:00", "--to",
                             "2026-11-25T00:00+01:00", "--html", str(page)])
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1000,1800", f"--screenshot={shot}",
                    page.as_uri()], capture_output=True, timeout=120, check=False)
    picture = cv2.imread(str(shot))
    assert picture is not None and picture.shape[:2] == (1800, 1000)
    # The plots' coloured marks are on the page: the good-share bars (green) and the alert bars (red).
    green = ((picture[:, :, 1] > 110) & (picture[:, :, 0] < 110) & (picture[:, :, 2] < 80)).sum()
    red = ((picture[:, :, 2] > 160) & (picture[:, :, 1] < 80) & (picture[:, :, 0] < 80)).sum()
    assert green > 2000 and red > 200


def test_the_html_report_leaves_no_matplotlib_folders_in_the_home(tmp_path: Path) -> None:
    """A real process with a home of its own and no MPLCONFIGDIR: matplotlib's config and cache go
    to headwatch's cache folder, not ~/.config/matplotlib and ~/.cache/matplotlib."""
    import os
    import subprocess
    import sys

    path, page, home = tmp_path / "history.sqlite", tmp_path / "report.html", tmp_path / "home"
    fill(path)
    env = {k: v for k, v in os.environ.items() if k not in ("MPLCONFIGDIR", "XDG_CONFIG_HOME", "XDG_CACHE_HOME")}
    env["HOME"] = str(home)
    done = subprocess.run([sys.executable, "-m", "headwatch", "report", "--history", str(path), "--html", str(page)],
                          capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    assert page.stat().st_size > 10_000
    assert not (home / ".config" / "matplotlib").exists() and not (home / ".cache" / "matplotlib").exists()
    assert (home / ".cache" / "headwatch" / "matplotlib").is_dir()


def test_a_week_is_seven_days_and_lines_break_between_sessions() -> None:
    import math

    from headwatch.report.history import period_days
    from headwatch.report.plots import _broken_at_gaps

    week = Period(DAY - datetime.timedelta(days=6), DAY + datetime.timedelta(days=1), "week")
    days = period_days(week)
    assert days is not None and len(days) == 7 and days[-1] == DAY.date().isoformat()
    assert period_days(Period(DAY, DAY + datetime.timedelta(days=90), "period")) is None
    t0 = DAY.replace(hour=9)
    rows = [(t0, 10.0, 1.0), (t0 + datetime.timedelta(seconds=10), 10.0, 2.0),
            (t0 + datetime.timedelta(hours=2), 10.0, 3.0)]  # a second session two hours later
    times, values = _broken_at_gaps(rows)
    assert len(times) == 4 and values[:2] == [1.0, 2.0] and math.isnan(values[2]) and values[3] == 3.0


def test_a_missing_figure_says_why() -> None:
    empty = Period(DAY, DAY + datetime.timedelta(days=1), "day")
    text = format_figures(empty, figures([], [], empty), figures([], [], empty.previous()))
    assert "trend                 - (nothing judged in this period)" in text
    assert "worst hours           - (no hour of the day with 5 min monitored)" in text


def test_an_alert_the_monitor_stopped_in_ends_with_the_session_not_a_minute_later() -> None:
    import datetime

    from headwatch.report.plots import alert_spans

    start = datetime.datetime(2026, 11, 30, 9, 0, tzinfo=datetime.UTC)
    events = [{"kind": "bad_posture", "at": (start + datetime.timedelta(seconds=17)).isoformat(),
               "detail": {"repeat": 0}}]
    ((began, ended),) = alert_spans(events, until=start + datetime.timedelta(seconds=20))
    assert began == start + datetime.timedelta(seconds=17)
    assert ended == start + datetime.timedelta(seconds=20)
    ((_, unknown),) = alert_spans(events)
    assert unknown == start + datetime.timedelta(seconds=77)  # no interval known: a minute


def test_an_alert_open_when_a_session_ended_is_not_paired_with_the_next_sessions_recovery() -> None:
    """A week's report shaded the whole night between two sessions: an alert left on at 17:00 was
    paired with a recovery the next morning."""
    import datetime

    from headwatch.report.plots import session_alert_spans

    day = datetime.datetime(2026, 11, 23, 16, 0, tzinfo=datetime.UTC)
    morning = day + datetime.timedelta(hours=17)

    def interval(session: int, start: datetime.datetime) -> dict[str, object]:
        return {"session_id": session, "started": start.isoformat(), "seconds": 10.0}

    intervals = [interval(1, day + datetime.timedelta(seconds=10 * i)) for i in range(6)]
    intervals += [interval(2, morning + datetime.timedelta(seconds=10 * i)) for i in range(6)]
    events = [{"session_id": 1, "kind": "bad_posture", "at": (day + datetime.timedelta(seconds=40)).isoformat(),
               "detail": {"repeat": 0}},
              {"session_id": 2, "kind": "bad_posture", "at": (morning + datetime.timedelta(seconds=5)).isoformat(),
               "detail": {"repeat": 0}},
              {"session_id": 2, "kind": "posture_recovered",
               "at": (morning + datetime.timedelta(seconds=30)).isoformat(), "detail": {}}]
    first, second = session_alert_spans(intervals, events)
    assert first == (day + datetime.timedelta(seconds=40), day + datetime.timedelta(seconds=60))
    assert second == (morning + datetime.timedelta(seconds=5), morning + datetime.timedelta(seconds=30))
