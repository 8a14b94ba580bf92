"""The one presence clock, and the figures that count time by it agreeing with each other."""

from __future__ import annotations

import datetime

import pytest

from headwatch.timeline.alerts import AlertEngine, AlertSettings
from headwatch.timeline.intervals import IntervalAggregator
from headwatch.timeline.presence import PresenceClock, presence_gap_s
from headwatch.types import PostureSample, State, Verdict, View

OK = Verdict(State.OK)


def test_a_sample_holds_until_the_next_up_to_the_cap() -> None:
    clock = PresenceClock(max_gap_s=2.0)
    assert [clock.tick(t) for t in (0.0, 1.0, 1.5, 30.0, 31.0)] == [0.0, 1.0, 0.5, 2.0, 1.0]
    clock.restart()
    assert clock.tick(40.0) == 0.0  # after a restart nothing before counts


def test_time_going_backwards_counts_nothing() -> None:
    clock = PresenceClock(max_gap_s=5.0)
    clock.tick(10.0)
    assert clock.tick(9.0) == 0.0


def test_the_cap_follows_the_slowest_sampling() -> None:
    assert presence_gap_s(1.0) == 2.0  # at least 2 s however fast
    assert presence_gap_s(5.0) == 7.5  # at 0.2 fps: one and a half waits


def test_a_clock_without_a_cap_is_refused() -> None:
    with pytest.raises(ValueError, match="max_gap_s"):
        PresenceClock(max_gap_s=0.0)


def test_the_alert_timers_and_the_history_count_the_same_presence() -> None:
    """A stream with a stall in it: the alert engine's presence and the intervals' present time
    agree, because both run on the same clock with the same cap."""
    times = [*range(0, 20), *range(60, 80)]  # a 40 s stall between two 20 s stretches
    engine = AlertEngine(AlertSettings(max_gap_s=2.0))
    aggregator = IntervalAggregator(datetime.datetime(2026, 11, 30, tzinfo=datetime.UTC), interval_s=10.0,
                                    max_gap_s=2.0)
    intervals = []
    sample = PostureSample(view=View.FRONT, head_forward_deg=10.0)
    for t in times:
        engine.update(float(t), OK)
        intervals += aggregator.add(float(t), OK, sample)
    last = aggregator.finish()
    present = sum(i.present_s for i in [*intervals, *([last] if last is not None else [])])
    assert engine.present_s == 19.0 + 2.0 + 19.0
    assert present == engine.present_s
