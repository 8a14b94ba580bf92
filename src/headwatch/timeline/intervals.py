"""From the monitor's samples to the history's intervals. Pure: samples in, Intervals out.

Each sample's state holds until the next sample (as in the session summary; a gap longer than
``max_gap_s`` counts only that much), and every ``interval_s`` of session time closes one
Interval: time present, time ok, bad (and per reason), away and unknown, the medians of the
metrics over the samples in it, and how long one position had been held when it closed (the
report's habits read these).
"""

from __future__ import annotations

import datetime
import math
import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from headwatch.timeline.presence import MIN_GAP_S, PresenceClock
from headwatch.types import PostureSample, State, Verdict


def now_local() -> datetime.datetime:
    return datetime.datetime.now().astimezone()


def in_local_time(moment: datetime.datetime) -> datetime.datetime:
    """``moment`` with the local offset that holds at it: a session stamped with its start's
    offset read an hour off after the clocks changed (a monitor runs for days)."""
    return moment.astimezone() if moment.tzinfo is not None else moment


def iso(moment: datetime.datetime) -> str:
    return moment.isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class Interval:
    """What happened in one stretch of a session (default 10 s)."""

    started: datetime.datetime
    seconds: float
    present_s: float
    ok_s: float
    bad_s: float
    away_s: float
    unknown_s: float
    bad_by_reason: Mapping[str, float]
    medians: Mapping[str, float]
    samples: int
    held_s: float = 0.0  # how long the upper body had held one position when the interval closed

    def to_json(self) -> dict[str, Any]:
        """The interval as a history row reads back (what reports take)."""
        return {"started": iso(self.started), "seconds": self.seconds, "present_s": self.present_s,
                "ok_s": self.ok_s, "bad_s": self.bad_s, "away_s": self.away_s, "unknown_s": self.unknown_s,
                "bad_by_reason": dict(self.bad_by_reason), "medians": dict(self.medians), "samples": self.samples,
                "held_s": self.held_s}



# The metrics whose medians each interval keeps (what reports plot), and the head's change from
# the person's upright where a reference knows it (the report's "head forward of your upright").
KEPT_METRICS = ("head_forward_deg", "slouch_deg", "ear_height_face_ratio", "shoulder_tilt_deg", "head_roll_deg",
                "trunk_lean_deg")
HEAD_CHANGE = "head_change_deg"


class HoldClock:
    """How long the upper body has stayed within ``tolerance`` (a share of the frame's height) of
    where it settled. The stillness reminder (timeline.alerts.StillnessWatch) and the history's
    holds both measure with it (the history's is also ended by time nobody watched), so the report's
    holds are what the reminder counted."""

    def __init__(self, tolerance: float, away_s: float = 0.0) -> None:
        self.tolerance = tolerance
        self.away_s = away_s
        self.reset()

    def reset(self) -> None:
        self._anchor: tuple[float, ...] | None = None
        self._since = 0.0
        self._gone_since: float | None = None
        self.held_s = 0.0

    def update(self, t_s: float, position: Sequence[float] | None) -> bool:
        """Whether a new hold began here (the first position, or a move beyond the tolerance);
        ``position`` None (nobody measured) for ``away_s`` ends the hold: one look that missed the
        person does not, as it does not end the stillness reminder's (an absence of away_reset_s
        resets that)."""
        if position is None:
            if self._gone_since is None:
                self._gone_since = t_s
            if t_s - self._gone_since >= self.away_s:
                self.reset()
            return False
        self._gone_since = None
        point = tuple(position)
        began = self._anchor is None or math.dist(point, self._anchor) > self.tolerance
        if began:
            self._anchor, self._since = point, t_s
        self.held_s = t_s - self._since
        return began


class IntervalAggregator:
    """``add(t_s, verdict, sample)`` for each sample; it returns the intervals that closed."""

    def __init__(self, started: datetime.datetime, interval_s: float = 10.0, max_gap_s: float = MIN_GAP_S,
                 still_tolerance: float = 0.05, away_reset_s: float = 0.0) -> None:
        self.started = started
        self.interval_s = interval_s
        self._clock = PresenceClock(max_gap_s)
        self._hold = HoldClock(still_tolerance, away_reset_s)
        self._start_s = 0.0
        self._last: tuple[float, Verdict] | None = None
        self._reset()

    def _reset(self) -> None:
        self._seconds: dict[State, float] = defaultdict(float)
        self._by_reason: dict[str, float] = defaultdict(float)
        self._values: dict[str, list[float]] = defaultdict(list)
        self._samples = 0

    def add(self, t_s: float, verdict: Verdict, sample: PostureSample | None,
            body_at: Sequence[float] | None = None, head_change_deg: float | None = None) -> list[Interval]:
        """Count ``verdict`` from the last sample to this one; ``body_at`` is the upper body's
        position (FrameRecord.position) for the hold clock, ``head_change_deg`` the head's change
        from the person's upright where a reference knows it."""
        closed: list[Interval] = []
        # Nothing looked at for longer than a gap counts (a lock, a pause, the camera lent to a
        # call): a hold cannot be told across it, as the stillness reminder does not tell it.
        unwatched = self._last is not None and t_s - self._last[0] > self._clock.max_gap_s
        span = self._clock.tick(t_s)
        if self._last is not None:
            last_t, last_verdict = self._last
            position = last_t
            # Split the span over the interval boundaries it crosses.
            while position < last_t + span:
                boundary = self._start_s + self.interval_s
                piece = min(last_t + span, boundary) - position
                self._count(last_verdict, piece)
                position += piece
                if position >= boundary - 1e-9:
                    closed.append(self._close(boundary))
        if t_s >= self._start_s + self.interval_s:  # a long gap: close what was counted, skip the empty
            if self._samples or any(self._seconds.values()):
                closed.append(self._close(self._start_s + self.interval_s))
            while t_s >= self._start_s + self.interval_s:
                self._start_s += self.interval_s
        self._last = (t_s, verdict)
        self._samples += 1
        if unwatched:
            self._hold.reset()
        self._hold.update(t_s, body_at)
        if sample is not None:
            for name in KEPT_METRICS:
                value = getattr(sample, name)
                if value is not None:
                    self._values[name].append(float(value))
        if head_change_deg is not None:
            self._values[HEAD_CHANGE].append(float(head_change_deg))
        return closed

    def _count(self, verdict: Verdict, seconds: float) -> None:
        self._seconds[verdict.state] += seconds
        if verdict.state is State.BAD:
            for reason in verdict.reasons:
                self._by_reason[reason.value] += seconds

    def _close(self, end_s: float) -> Interval:
        interval = self._interval(end_s)
        self._start_s = end_s
        self._reset()
        return interval

    def _interval(self, end_s: float) -> Interval:
        s = self._seconds
        present = s[State.OK] + s[State.BAD] + s[State.UNKNOWN]
        return Interval(started=in_local_time(self.started + datetime.timedelta(seconds=self._start_s)),
                        seconds=end_s - self._start_s, present_s=present, ok_s=s[State.OK], bad_s=s[State.BAD],
                        away_s=s[State.AWAY], unknown_s=s[State.UNKNOWN], bad_by_reason=dict(self._by_reason),
                        medians={k: round(statistics.median(v), 3) for k, v in self._values.items() if v},
                        samples=self._samples, held_s=round(self._hold.held_s, 1))

    def finish(self) -> Interval | None:
        """The interval in progress at the end of the session (None if nothing was counted)."""
        if self._last is None or not (self._samples or any(self._seconds.values())):
            return None
        end_s = max(self._last[0], self._start_s)
        return self._interval(end_s) if end_s > self._start_s or self._samples else None
