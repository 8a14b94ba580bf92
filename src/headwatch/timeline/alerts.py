"""The alert engine: verdicts over time in, alert events out. Pure; time is the samples' own.

Three independent watches share the sample stream:

- posture: bad posture alerts only when, over the last ``bad_for_s`` seconds of presence, at
  least ``bad_share`` of the judged samples were bad, and the bad stretch is at least that old.
  It clears after ``good_for_s`` of continuous good posture; while it stays bad it repeats
  every ``repeat_after_s``.
- break: ``break_after_min`` of continuous presence asks for a break; an absence of
  ``break_min_s`` counts as one.
- stillness: ``still_for_min`` with the upper body within ``still_tolerance`` of where it was.

Absence ("away") pauses the posture timers: they run on "present time", which advances only
between samples with somebody in view (a gap between samples counts up to ``max_gap_s``, so a
stalled camera does not fast-forward them). An absence of ``away_reset_s`` resets them.
Unknown samples advance present time but are neither good nor bad.
"""

from __future__ import annotations

import statistics
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass

from headwatch.config.settings import Alerts, ConfigError, Reminders, check_fields
from headwatch.timeline.intervals import HoldClock
from headwatch.timeline.presence import MIN_GAP_S, PresenceClock
from headwatch.types import AlertEvent, EventKind, Reason, State, Verdict

__all__ = ["AlertEngine", "AlertEvent", "AlertSettings", "EventKind"]  # the events are plain data: types.py

_ALERTS, _REMINDERS = Alerts(), Reminders()  # the defaults, declared once in config/settings.py


@dataclass(frozen=True, slots=True)
class AlertSettings:
    bad_for_s: float = _ALERTS.bad_for_s
    bad_share: float = _ALERTS.bad_share
    good_for_s: float = _ALERTS.good_for_s
    repeat_after_s: float = _ALERTS.repeat_after_s
    away_reset_s: float = _ALERTS.away_reset_s
    max_gap_s: float = MIN_GAP_S  # presence.presence_gap_s of the sampling interval (assemble.alert_settings)
    break_after_min: float = _REMINDERS.break_after_min
    break_min_s: float = _REMINDERS.break_min_s
    still_for_min: float = _REMINDERS.still_for_min
    still_tolerance: float = _REMINDERS.still_tolerance  # share of the frame's height

    def __post_init__(self) -> None:
        check_fields(self, ("alerts", "reminders"))  # the ranges a config file is held to
        if not self.max_gap_s > 0:
            raise ConfigError(f"AlertSettings: max_gap_s: expected a number above 0, found {self.max_gap_s!r}")


@dataclass(slots=True)
class _Judged:
    present_s: float
    t_s: float
    bad: bool
    verdict: Verdict


class _Reminder:
    """A condition that began at ``start``: first reminded after ``first_s``, then every ``repeat_s``."""

    def __init__(self, start: float, first_s: float, repeat_s: float) -> None:
        self.start = start
        self.first_s = first_s
        self.repeat_s = repeat_s
        self._last: float | None = None

    def shift(self, seconds: float) -> None:
        """Time that was not watched (a pause) counts neither way: the condition began that much later."""
        self.start += seconds
        if self._last is not None:
            self._last += seconds

    def due(self, t_s: float) -> bool:
        """True (once per reminder) when it is time to remind at ``t_s``."""
        since, wait = (self.start, self.first_s) if self._last is None else (self._last, self.repeat_s)
        if t_s - since < wait:
            return False
        self._last = t_s
        return True


class PostureWatch:
    """Bad posture that persists: ``bad_share`` of the judged samples over the last ``bad_for_s``
    of presence, in a stretch at least that old; clears after ``good_for_s`` of good posture and
    repeats every ``repeat_after_s`` while it lasts. Runs on present time."""

    def __init__(self, settings: AlertSettings) -> None:
        self.settings = settings
        self._window: deque[_Judged] = deque()
        self._stretch_start: _Judged | None = None
        self._good_since: _Judged | None = None
        self._alerted_at: float | None = None  # present time of the last alert
        self._alert_count = 0

    @property
    def alerted(self) -> bool:
        return self._alerted_at is not None

    @property
    def pending(self) -> bool:
        return self._stretch_start is not None or self._alerted_at is not None

    @property
    def recent_bad_share(self) -> float:
        return sum(j.bad for j in self._window) / len(self._window) if self._window else 0.0

    def reset(self, t_s: float, left_at: float) -> list[AlertEvent]:
        """A long absence ends any bad stretch: the person got up."""
        events = [AlertEvent(EventKind.POSTURE_RECOVERED, t_s, left_at)] if self.alerted else []
        self._window.clear()
        self._end_stretch()
        self._good_since = None
        return events

    def _end_stretch(self) -> None:
        self._stretch_start = None
        self._alerted_at = None
        self._alert_count = 0

    def update(self, present_s: float, t_s: float, verdict: Verdict) -> list[AlertEvent]:
        s = self.settings
        if verdict.state not in (State.OK, State.BAD):
            return []  # unknown: present, but neither good nor bad
        if verdict.reasons == (Reason.SUNK,):
            # The head's height alone, the neck and every angle as upright: a moved camera, lid or
            # seat reads so as much as sliding down does, and the reference's lock-in guard decides
            # which after a while (reference.LOCKED_IN_S). Until then it is no evidence either way.
            return []
        now = _Judged(present_s, t_s, verdict.state is State.BAD, verdict)
        if self._window and now.present_s - self._window[-1].present_s > s.bad_for_s:
            # Nothing judged for a whole alert window (the landmarks were hidden): what came
            # before is no evidence about now, so a stretch starts afresh rather than alerting on
            # one bad sample after a short bad moment and a long unknown.
            self._window.clear()
            self._stretch_start = self._good_since = None
        self._window.append(now)
        while self._window and self._window[0].present_s < now.present_s - s.bad_for_s:
            self._window.popleft()

        if now.bad:
            self._good_since = None
            if self._stretch_start is None:
                self._stretch_start = now
        elif self._good_since is None:
            self._good_since = now

        if self._good_since is not None and now.present_s - self._good_since.present_s >= s.good_for_s:
            events = [AlertEvent(EventKind.POSTURE_RECOVERED, t_s, self._good_since.t_s)] if self.alerted else []
            self._end_stretch()
            return events

        if self._stretch_start is None or not now.bad:
            return []  # never alert on a good sample: the person is sitting well right now
        bad_share = self.recent_bad_share
        if self._alerted_at is None:
            if now.present_s - self._stretch_start.present_s >= s.bad_for_s and bad_share >= s.bad_share:
                self._alerted_at = now.present_s
                return [self._event(t_s, self._stretch_start)]
        elif now.present_s - self._alerted_at >= s.repeat_after_s and bad_share >= s.bad_share:
            self._alerted_at = now.present_s
            self._alert_count += 1
            return [self._event(t_s, self._stretch_start)]
        return []

    def _event(self, t_s: float, stretch_start: _Judged) -> AlertEvent:
        bad = [j.verdict for j in self._window if j.bad]
        counts = Counter(r for v in bad for r in v.reasons)
        # The reasons of at least half the bad samples, the one furthest beyond its limit over the
        # stretch first (frequency and distance both count); else the most frequent one.
        distance = {r: sum(v.beyond(r) for v in bad) for r in counts}
        common = [r for r, n in counts.items() if n >= 0.5 * len(bad)] or [counts.most_common(1)[0][0]]
        reasons = tuple(sorted(common, key=lambda r: (-distance[r], -counts[r])))
        names = {name for v in bad for name in v.values}
        values = {name: statistics.median([v.values[name] for v in bad if name in v.values]) for name in sorted(names)}
        # Why, as the latest bad look saw it: its findings of the alert's reasons, furthest first.
        findings = tuple(f for f in bad[-1].findings if f.reason in reasons)
        return AlertEvent(EventKind.BAD_POSTURE, t_s, stretch_start.t_s, reasons, values, repeat=self._alert_count,
                          findings=findings)


class BreakWatch:
    """``break_after_min`` of continuous presence asks for a break; then every ``repeat_after_s``."""

    def __init__(self, settings: AlertSettings) -> None:
        self.settings = settings
        self._reminder: _Reminder | None = None

    def took_break(self) -> None:
        self._reminder = None

    def unwatched(self, seconds: float) -> None:
        if self._reminder is not None:
            self._reminder.shift(seconds)

    def update(self, t_s: float) -> list[AlertEvent]:
        if self._reminder is None:
            self._reminder = _Reminder(t_s, self.settings.break_after_min * 60.0, self.settings.repeat_after_s)
        return [AlertEvent(EventKind.BREAK, t_s, self._reminder.start)] if self._reminder.due(t_s) else []


class StillnessWatch:
    """``still_for_min`` with the upper body within ``still_tolerance`` of where it was."""

    def __init__(self, settings: AlertSettings) -> None:
        self.settings = settings
        self._hold = HoldClock(settings.still_tolerance)
        self._reminder: _Reminder | None = None

    def reset(self) -> None:
        self._hold.reset()
        self._reminder = None

    def update(self, t_s: float, position: Sequence[float] | None) -> list[AlertEvent]:
        if position is None:  # not measured this look: the hold goes on
            return []
        if self._hold.update(t_s, position) or self._reminder is None:
            self._reminder = _Reminder(t_s, self.settings.still_for_min * 60.0, self.settings.repeat_after_s)
            return []
        return [AlertEvent(EventKind.STILL, t_s, self._reminder.start)] if self._reminder.due(t_s) else []


class AlertEngine:
    """Feed ``update(t_s, verdict, position)`` in time order; it returns the events raised.

    A thin orchestrator: it keeps the presence clock and absences, and hands each sample to one
    watcher per concern (posture, break, stillness), each holding its own state.
    """

    def __init__(self, settings: AlertSettings | None = None) -> None:
        self.settings = settings or AlertSettings()
        self.posture = PostureWatch(self.settings)
        self.breaks = BreakWatch(self.settings)
        self.stillness = StillnessWatch(self.settings)
        self._clock = PresenceClock(self.settings.max_gap_s)
        self._last_present = False
        self._present_s = 0.0  # present time: advances only while somebody is in view
        self._away_since: float | None = None

    # -- what the monitor shows and what the sampling policy reads -------------------------------

    @property
    def in_bad_posture(self) -> bool:
        """An alert has fired and posture has not recovered since."""
        return self.posture.alerted

    @property
    def bad_pending(self) -> bool:
        """A bad stretch is building or alerted: the monitor should watch closely."""
        return self.posture.pending

    @property
    def recent_bad_share(self) -> float:
        """Share of bad among the judged samples of the last ``bad_for_s`` of presence (0 if none)."""
        return self.posture.recent_bad_share

    @property
    def present_s(self) -> float:
        """Seconds of presence so far (the clock the posture timers run on)."""
        return self._present_s

    # -- the engine -------------------------------------------------------------------------------

    def update(self, t_s: float, verdict: Verdict, position: Sequence[float] | None = None) -> list[AlertEvent]:
        present = verdict.state is not State.AWAY
        counted = self._clock.tick(t_s)
        if present and self._last_present:
            self._present_s += counted
        self._last_present = present
        if not present:
            if self._away_since is None:
                self._away_since = t_s
            return []
        events = self._back_from_absence(t_s)
        events += self.breaks.update(t_s)
        events += self.posture.update(self._present_s, t_s, verdict)
        events += self.stillness.update(t_s, position)
        return events

    def absent(self, t_s: float) -> None:
        """Nobody can be watched from ``t_s`` on (the screen locked, the machine asleep): an absence,
        as if the camera saw nobody there, which the next look ends (a break taken, the posture
        timers reset after ``away_reset_s``). Without it a lock counted as sitting: the break
        reminder came on the first look after lunch."""
        self._last_present = False
        if self._away_since is None:
            self._away_since = t_s

    def unwatched(self, from_s: float, to_s: float) -> None:
        """Not watched from ``from_s`` to ``to_s`` (a pause; the person may have sat or not): that
        time counts neither as sitting nor as a break, and a hold cannot be told across it."""
        self.breaks.unwatched(max(0.0, to_s - from_s))
        self.stillness.reset()

    def _back_from_absence(self, t_s: float) -> list[AlertEvent]:
        if self._away_since is None:
            return []
        left_at, absence = self._away_since, t_s - self._away_since
        self._away_since = None
        events: list[AlertEvent] = []
        if absence >= self.settings.away_reset_s:
            events += self.posture.reset(t_s, left_at)
            self.stillness.reset()
        if absence >= self.settings.break_min_s:
            self.breaks.took_break()
        return events
