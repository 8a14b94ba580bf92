"""The history and its reports keep time as a user lives it: time not watched (a lock, a pause, a
video call) is neither a held position nor a break where it is not one, stamps carry the offset
that holds when they are made, rows come back in time order whatever offset they carry, a day
starts at its own midnight on the days the clocks change, and an alert is counted once."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
from pathlib import Path

import pytest

from headwatch.posture.judge import Verdict
from headwatch.report.history import Period, figures, sittings, unwatched_spans
from headwatch.storage.history import History
from headwatch.timeline.intervals import Interval, IntervalAggregator
from headwatch.types import State

UTC = datetime.UTC
T0 = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
OK = Verdict(State.OK)


def test_a_hold_is_not_told_across_time_nobody_watched() -> None:
    """10 min still, 45 min locked, 10 min still in the same place: the longest hold is 10 min."""
    aggregator = IntervalAggregator(T0, interval_s=10.0, max_gap_s=2.0)
    held: list[float] = []
    times = [float(t) for t in range(0, 600)] + [float(t) for t in range(3300, 3900)]
    for t in times:
        held += [i.held_s for i in aggregator.add(t, OK, None, (0.5, 0.4, 0.5, 0.6))]
    assert 590.0 <= max(held) <= 600.0, max(held)


def rows(*spans: tuple[int, int, float]) -> list[dict[str, object]]:
    """Intervals of 10 s over the given minutes (from, to, present share)."""
    out = []
    for first, last, present in spans:
        for k in range(first * 6, last * 6):
            out.append(Interval(T0 + datetime.timedelta(seconds=10 * k), 10.0, 10.0 * present, 10.0 * present, 0.0,
                                10.0 * (1 - present), 0.0, {}, {}, 10).to_json())
    return out


def event(kind: str, minute: int) -> dict[str, object]:
    return {"session_id": 1, "kind": kind, "at": (T0 + datetime.timedelta(minutes=minute)).isoformat(), "detail": {}}


def test_a_pause_or_a_video_call_is_no_break_and_a_lock_is() -> None:
    """40 min sitting, an hour not watched, 40 min sitting: one sitting of 80 min when the hour was
    a pause or a call, two sittings (a break between) when the screen was locked."""
    intervals = rows((0, 40, 1.0), (100, 140, 1.0))
    assert len(sittings(intervals, 180.0)) == 2
    for began, ended in (("paused", "resumed"), ("camera_in_use", "camera_free")):
        spans = unwatched_spans([event(began, 40), event(ended, 100)])
        found = sittings(intervals, 180.0, spans)
        assert len(found) == 1 and found[0].present_s == 80 * 60.0
    locked = unwatched_spans([event("session_away", 40), event("session_back", 100)])
    assert len(sittings(intervals, 180.0, locked)) == 2


def test_sessions_and_breaks_in_time_order_whatever_offset_they_carry(tmp_path: Path) -> None:
    """Berlin in summer, 15:00-16:00+02:00 (13:00-14:00 UTC), then New York, 12:00-13:00-04:00
    (16:00-17:00 UTC): text order puts New York first, and the two hours between were no break."""
    berlin = datetime.datetime(2025, 6, 1, 15, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))
    new_york = datetime.datetime(2025, 6, 1, 12, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=-4)))
    with History.open(tmp_path / "h.sqlite") as history:
        first = history.start_session(berlin, "0", "absolute limits", "x")
        second = history.start_session(new_york, "0", "absolute limits", "x")
        for sid, start in ((first, berlin), (second, new_york)):
            for k in range(360):
                history.add_interval(sid, Interval(start + datetime.timedelta(seconds=10 * k), 10.0, 10.0, 10.0, 0.0,
                                                   0.0, 0.0, {}, {}, 5))
            history.add_event(sid, start, "bad_posture", ["head_forward"], {"repeat": 0})
            history.add_event(sid, start + datetime.timedelta(seconds=5), "bad_posture", ["head_forward"],
                              {"repeat": 1})
        assert [s.id for s in history.sessions()] == [first, second]
        assert [s.alerts for s in history.sessions()] == [1, 1]  # an alert, not each of its repeats
        intervals, events = list(history.intervals()), list(history.events())
    day = Period(datetime.datetime(2025, 6, 1, tzinfo=UTC), datetime.datetime(2025, 6, 2, tzinfo=UTC), "day")
    found = figures(intervals, events, day, 180.0)
    assert found.breaks == 1 and found.alerts == 2 and found.monitored_s == 2 * 3600.0


def in_berlin(code: str) -> str:
    """Run ``code`` with the machine's local time in Berlin (where tzdata has the zone)."""
    if sys.platform == "win32" or not Path("/usr/share/zoneinfo/Europe/Berlin").exists():
        pytest.skip("tzdata (the Europe/Berlin zone in /usr/share/zoneinfo) is not installed, or no TZ here")
    done = subprocess.run([sys.executable, "-c", "import time; time.tzset()\n" + code], capture_output=True,
                          text=True, env={**os.environ, "TZ": "Europe/Berlin"}, check=True)
    return done.stdout.strip()


def test_a_day_starts_at_its_own_midnight_when_the_clocks_change() -> None:
    said = in_berlin("import datetime\nfrom headwatch.report.history import local_midnight\n"
                     "for d in (datetime.date(2025, 3, 30), datetime.date(2025, 3, 31), datetime.date(2025, 10, 26),"
                     " datetime.date(2025, 10, 27)):\n    print(local_midnight(d).isoformat())")
    assert said.split() == ["2025-03-30T00:00:00+01:00", "2025-03-31T00:00:00+02:00", "2025-10-26T00:00:00+02:00",
                            "2025-10-27T00:00:00+01:00"]


def test_a_stamp_carries_the_offset_of_its_own_time() -> None:
    """A session started on a summer evening in Berlin runs past the change to winter time: its
    interval the next morning is stamped +01:00, at the same instant."""
    said = in_berlin("import datetime\nfrom headwatch.timeline.intervals import IntervalAggregator\n"
                     "from headwatch.posture.judge import Verdict\nfrom headwatch.types import State\n"
                     "start = datetime.datetime(2025, 10, 25, 20, 0).astimezone()\n"
                     "a = IntervalAggregator(start, interval_s=10.0)\nlate = 15 * 3600.0\n"
                     "a.add(late, Verdict(State.OK), None)\n"
                     "print(a.add(late + 10.0, Verdict(State.OK), None)[-1].started.isoformat())")
    assert said == "2025-10-26T10:00:00+01:00"


def test_one_look_that_missed_the_person_does_not_end_a_hold() -> None:
    """40 min still with one look at 20 min that found nobody: one hold of 40 min, as the stillness
    reminder counts it; gone for a minute (away_reset_s), the hold ends."""
    for gone_s, expected in ((1, 2389.0), (61, 1199.0)):  # held at the end of each closed 10 s interval
        aggregator = IntervalAggregator(T0, interval_s=10.0, max_gap_s=2.0, away_reset_s=60.0)
        held: list[float] = []
        for t in range(0, 2400):
            body = None if 1200 <= t < 1200 + gone_s else (0.5, 0.4, 0.5, 0.6)
            held += [i.held_s for i in aggregator.add(float(t), OK, None, body)]
        assert max(held) == expected, (gone_s, max(held))
