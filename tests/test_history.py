"""Samples to intervals, checked by hand on made-up timelines."""

from __future__ import annotations

import datetime

import pytest

from headwatch.posture.judge import AWAY
from headwatch.timeline.intervals import IntervalAggregator
from headwatch.types import PostureSample, Reason, State, Verdict, View

T0 = datetime.datetime(2026, 11, 24, 9, 0, tzinfo=datetime.UTC)
OK = Verdict(State.OK)
BAD = Verdict(State.BAD, (Reason.HEAD_FORWARD, Reason.SHOULDER_TILT))


def sample(head: float) -> PostureSample:
    return PostureSample(view=View.FRONT, head_forward_deg=head)


def test_time_is_split_at_interval_boundaries() -> None:
    aggregator = IntervalAggregator(T0, interval_s=10.0)
    closed = []
    # ok 0-6 s, bad 6-14 s, away 14-20 s, one sample a second.
    for t in range(21):
        verdict = OK if t < 6 else BAD if t < 14 else AWAY
        closed += aggregator.add(float(t), verdict, sample(10.0 + t) if verdict is not AWAY else None)
    first, second = closed
    assert first.started == T0 and first.seconds == 10.0
    assert (first.ok_s, first.bad_s, first.away_s) == (6.0, 4.0, 0.0)
    assert first.bad_by_reason == {"head_forward": 4.0, "shoulder_tilt": 4.0}
    assert first.medians == {"head_forward_deg": 14.5}  # 10..19 over the ten samples at 0..9 s
    assert first.samples == 10
    assert second.started == T0 + datetime.timedelta(seconds=10)
    assert (second.ok_s, second.bad_s, second.away_s, second.present_s) == (0.0, 4.0, 6.0, 4.0)
    assert aggregator.finish() is not None


def test_a_long_gap_counts_only_up_to_the_cap_and_skips_empty_intervals() -> None:
    aggregator = IntervalAggregator(T0, interval_s=10.0, max_gap_s=5.0)
    assert aggregator.add(0.0, BAD, sample(30.0)) == []
    closed = aggregator.add(100.0, OK, sample(10.0))  # a stalled camera for 100 s
    (only,) = closed
    assert only.bad_s == pytest.approx(5.0) and only.started == T0
    following = aggregator.add(101.0, OK, sample(10.0))
    assert following == []
    last = aggregator.finish()
    assert last is not None and last.started == T0 + datetime.timedelta(seconds=100) and last.ok_s == 1.0
