"""The one presence clock: how much time a stream of samples stands for.

Each sample's state holds until the next sample, for at most ``max_gap_s``: a lost camera, a
stalled stream or a paused monitor is not attributed to the state before it. The alert engine's
timers, the reference's learning time, the session summary and the history's intervals all count
time this way, with the same cap (``presence_gap_s``), so their figures agree.
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_GAP_S = 2.0  # however fast the sampling, a gap up to this counts (a slow frame is not an absence)
GAP_PER_INTERVAL = 1.5  # beyond that, one and a half of the slowest normal wait between samples


def presence_gap_s(slowest_interval_s: float) -> float:
    """The longest gap between samples that still counts in full, for a source sampled at most
    ``slowest_interval_s`` apart (at 0.2 fps a 30 s persistence then takes 30 s, not 75)."""
    return max(MIN_GAP_S, GAP_PER_INTERVAL * slowest_interval_s)


@dataclass(slots=True)
class PresenceClock:
    """``tick(t_s)`` per sample, in time order: the seconds since the previous sample that count."""

    max_gap_s: float = MIN_GAP_S
    last_t: float | None = None

    def __post_init__(self) -> None:
        if not self.max_gap_s > 0:
            raise ValueError(f"max_gap_s must be above 0, not {self.max_gap_s!r}")

    def tick(self, t_s: float) -> float:
        counted = 0.0 if self.last_t is None else min(max(0.0, t_s - self.last_t), self.max_gap_s)
        self.last_t = t_s
        return counted

    def restart(self) -> None:
        """The next sample starts afresh (as at a session's start): nothing before it counts."""
        self.last_t = None
