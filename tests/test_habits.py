"""The habits in the report: a made-up week with known habits written into a real history file,
the report's text, JSON and HTML read back, and a recording analysed with `analyze --report`."""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import WriteVideo, pad_and_rotate
from headwatch.cli import app
from headwatch.config.settings import Reminders
from headwatch.report.habits import find_habits, holds, side_shares
from headwatch.storage.history import History
from headwatch.timeline.intervals import HoldClock, Interval, IntervalAggregator
from headwatch.types import PostureSample, State, Verdict

runner = CliRunner()
OK = Verdict(State.OK)


def midnight(days_ago: int) -> datetime.datetime:
    today = datetime.datetime.now().astimezone().replace(hour=0, minute=0, second=0, microsecond=0)
    return today - datetime.timedelta(days=days_ago)


def made_up_week(path: Path) -> None:
    """Seven days ending today. Five working days (6 to 2 days ago), each two sittings of 60 and
    90 min with a 20-min break between: the left shoulder 3 degrees lower in 7 of every 10
    intervals (inside the 8-degree limit), level in the rest; the head 2 degrees forward of the
    upright for the first 30 min of a sitting, 9 degrees after; one position held for 45 min in
    the long sitting. Yesterday nothing; today 5 minutes."""
    with History.open(path) as history:
        def sitting(start: datetime.datetime, minutes: int, hold_from_min: float | None) -> None:
            sid = history.start_session(start, "0", "learned reference", "x")
            for i in range(minutes * 6):
                minute = i / 6.0
                tilt = 3.0 if i % 10 < 7 else 0.0
                held = 0.0
                if hold_from_min is not None and hold_from_min <= minute < hold_from_min + 45:
                    held = (minute - hold_from_min) * 60.0 + 10.0
                medians = {"shoulder_tilt_deg": tilt, "head_roll_deg": 0.3, "head_forward_deg": 12.0,
                           "head_change_deg": 2.0 if minute < 30 else 9.0}
                history.add_interval(sid, Interval(start + datetime.timedelta(seconds=10 * i), 10.0, 10.0, 10.0, 0.0,
                                                   0.0, 0.0, {}, medians, 10, held))
            history.end_session(sid, start + datetime.timedelta(minutes=minutes))

        for days_ago in range(6, 1, -1):
            day = midnight(days_ago)
            sitting(day.replace(hour=9), 60, None)
            sitting(day.replace(hour=10, minute=20), 90, 20.0)
        sitting(midnight(0).replace(hour=0, minute=1), 5, None)


@pytest.fixture
def week_history(tmp_path: Path) -> Path:
    path = tmp_path / "history.sqlite"
    made_up_week(path)
    return path


def test_the_week_names_the_side_the_hold_the_sittings_and_the_drift(week_history: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", "--week", "--json", "--history", str(week_history)])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    habits = {h["name"]: h for h in document["habits"]["habits"]}
    side = habits["side"]
    assert side["shown"] and side["figures"]["dominant"] == "shoulder_tilt_deg"
    assert side["figures"]["shoulder_tilt_deg"]["left_share"] == pytest.approx(0.70, abs=0.05)
    assert side["sentence"].startswith("Your left shoulder sat lower 70% of the time (2.1° on average)")
    still = habits["holding still"]["figures"]
    assert still["longest_s"] == pytest.approx(45 * 60, abs=20) and still["over_reminder"] == 5
    sitting = habits["sitting"]["figures"]
    assert sitting["longest_s"] == pytest.approx(90 * 60, abs=20)
    assert sitting["over_reminder"] == 10  # both sittings of each day, past 50 min
    assert sitting["sittings"] == 11 and sitting["seated_s"] == pytest.approx((5 * 150 + 5) * 60, abs=20)
    head = habits["head forward"]
    assert head["figures"]["drifts_after_min"] == 30
    assert "drifts forward after about 30 min seated (+7° against the first 15 min)" in head["sentence"]
    days = document["habits_by_day"]
    assert list(days) == [(midnight(6) + datetime.timedelta(days=n)).date().isoformat() for n in range(7)]
    assert days[midnight(1).date().isoformat()] is None  # yesterday: no data
    assert days[midnight(0).date().isoformat()]["habits"][0]["shown"] is False  # today: 5 min


def test_the_week_at_a_glance_marks_days_without_data(week_history: Path, tmp_path: Path) -> None:
    text = runner.invoke(app, ["report", "--week", "--history", str(week_history)]).stdout
    glance = text[text.index("day by day"):].splitlines()
    side_row = next(line for line in glance if line.strip().startswith("side favoured"))
    assert side_row.count("L shoulder 70%") == 5
    assert side_row.rstrip().endswith("no data  too little")
    page = tmp_path / "week.html"
    assert runner.invoke(app, ["report", "--week", "--history", str(week_history), "--html", str(page)]).exit_code == 0
    html = page.read_text()
    assert "<h2>Habits</h2>" in html and "Your left shoulder sat lower 70% of the time" in html
    assert html.count('<td class="empty">no data</td>') == 4  # one day, four habits
    # No alerts in the week: one line, not an empty chart with a y axis below zero.
    assert "No posture alerts in this period" in html
    assert 'alt="posture alerts by hour of the day"' not in html


def test_a_day_with_less_than_ten_minutes_names_no_habit(week_history: Path) -> None:
    result = runner.invoke(app, ["report", "--today", "--json", "--history", str(week_history)])
    habits = json.loads(result.stdout)["habits"]
    assert habits["monitored_s"] == pytest.approx(300, abs=1)
    assert [h["shown"] for h in habits["habits"]] == [False] * 4
    assert habits["habits"][0]["sentence"] == "habits need 10 min monitored; this had 5 min"
    text = runner.invoke(app, ["report", "--today", "--history", str(week_history)]).stdout
    assert "habits need 10 min monitored; this had 5 min" in text
    assert "left shoulder" not in text


def test_a_profile_only_period_has_no_shoulder_chart_and_no_side() -> None:
    start = datetime.datetime(2026, 12, 1, 9, tzinfo=datetime.UTC)
    rows = [Interval(start + datetime.timedelta(seconds=10 * i), 10.0, 10.0, 10.0, 0.0, 0.0, 0.0, {},
                     {"head_forward_deg": 14.0, "trunk_lean_deg": 6.0}, 10, 0.0).to_json() for i in range(120)]
    habits = find_habits(rows, [])
    side = habits.named("side")
    assert not side.shown and "measured facing the camera" in side.sentence  # the forward lean is no side
    from headwatch.report.history import Period, figures
    from headwatch.report.html import render

    period = Period(start, start + datetime.timedelta(days=1), "day")
    page = render(period, figures(rows, [], period), figures(rows, [], period.previous()), rows, [], habits, {})
    assert "this period was seen in profile only" in page and 'alt="shoulder tilt over time"' not in page


@pytest.mark.parametrize(("tilts", "expected"), [
    ([-3.0] * 7 + [0.0] * 3, {"left_share": 0.0, "right_share": 0.7}),
    ([1.0, -1.0] * 5, {"left_share": 0.0, "right_share": 0.0}),  # within the dead band: level
    ([4.0, -4.0] * 5, {"left_share": 0.5, "right_share": 0.5}),
])
def test_side_shares(tilts: list[float], expected: dict[str, float]) -> None:
    start = datetime.datetime(2026, 12, 1, 9, tzinfo=datetime.UTC)
    rows = [Interval(start + datetime.timedelta(seconds=10 * i), 10.0, 10.0, 10.0, 0.0, 0.0, 0.0, {},
                     {"shoulder_tilt_deg": t}, 10).to_json() for i, t in enumerate(tilts)]
    shares = side_shares(rows, "shoulder_tilt_deg")
    assert shares["judged_s"] == 100.0
    assert {k: shares[k] for k in expected} == pytest.approx(expected)


def test_the_hold_clock_and_the_intervals_hold_times() -> None:
    """The aggregator's held_s grows while the body stays within the tolerance, falls back when it
    moves, and the report's holds() finds each stretch's length."""
    clock = HoldClock(0.05)
    for t in range(0, 31):
        clock.update(float(t), (0.5, 0.3 + 0.01 * (t % 2)))  # a little sway, within 0.05
    assert clock.held_s == 30.0
    clock.update(31.0, (0.6, 0.3))
    assert clock.held_s == 0.0
    aggregator = IntervalAggregator(datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC), interval_s=10.0,
                                    still_tolerance=0.05)
    closed: list[Interval] = []
    for t in range(0, 61):  # still for 40 s, a move at 40 s, still again
        body = (0.5, 0.3) if t < 40 else (0.5, 0.5)
        closed += aggregator.add(float(t), OK, PostureSample(), body, 4.0)
    assert [i.held_s for i in closed] == [9.0, 19.0, 29.0, 39.0, 9.0, 19.0]
    assert closed[0].medians["head_change_deg"] == 4.0
    assert holds([i.to_json() for i in closed]) == [39.0, 19.0]


def test_a_short_recording_tilted_to_one_side_names_it(write_video: WriteVideo, grace_hopper: np.ndarray,
                                                       tmp_path: Path) -> None:
    """12 minutes of a person whose shoulders lean a few degrees to her left throughout (inside the
    limits): analyze --report names the side and its share."""
    leaning = cv2.resize(pad_and_rotate(grace_hopper, -5.0, 0.25), (256, 288))
    clip = write_video("leaning.mp4", [leaning] * 720, 1.0)
    page = tmp_path / "leaning.html"
    result = runner.invoke(app, ["analyze", str(clip), "--report", str(page)])
    assert result.exit_code == 0, result.output
    html = page.read_text()
    assert "<h2>Habits</h2>" in html
    said = re.search(r"(Your left shoulder sat lower|Your head tilted toward your left shoulder) (\d+)% of the time",
                     html)
    assert said is not None, html[html.index("<h2>Habits"):][:800]
    assert int(said.group(2)) >= 95


def test_a_short_recording_names_no_habit(write_video: WriteVideo, grace_hopper: np.ndarray, tmp_path: Path) -> None:
    clip = write_video("short.mp4", [cv2.resize(pad_and_rotate(grace_hopper, -5.0, 0.25), (256, 288))] * 60, 1.0)
    page = tmp_path / "short.html"
    assert runner.invoke(app, ["analyze", str(clip), "--report", str(page)]).exit_code == 0
    html = page.read_text()
    assert "Habits need 10 min monitored; this had 0m59s." in html and "left shoulder sat lower" not in html


def test_reminders_shape_the_sentences() -> None:
    start = datetime.datetime(2026, 12, 1, 9, tzinfo=datetime.UTC)
    rows = [Interval(start + datetime.timedelta(seconds=10 * i), 10.0, 10.0, 10.0, 0.0, 0.0, 0.0, {}, {}, 10,
                     10.0 * i + 9.0).to_json() for i in range(6 * 20)]  # one 20-min hold
    strict = find_habits(rows, [], Reminders(still_for_min=15.0, break_after_min=10.0))
    lenient = find_habits(rows, [])
    assert "once past the 15-min reminder" in strict.named("holding still").sentence
    assert "within the 30-min reminder" in lenient.named("holding still").sentence
    assert "1 of 1 sittings ran past the 10-min reminder" in strict.named("sitting").sentence
