"""A recording's alerts: the alert engine run over its records, and its events paired into alerts. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from headwatch.timeline.alerts import AlertEngine
from headwatch.types import AlertEvent, EventKind, FrameRecord


@dataclass(frozen=True, slots=True)
class Alert:
    """One bad-posture alert: when it fired, when posture recovered, and why."""

    start_s: float
    end_s: float
    reasons: tuple[str, ...]
    why: str = ""  # the findings when it fired, in the one wording (types.Finding.describe)

    def to_json(self) -> dict[str, Any]:
        return {"start_s": round(self.start_s, 2), "end_s": round(self.end_s, 2), "reasons": list(self.reasons),
                "why": self.why}


def pair_alerts(events: Iterable[AlertEvent], end_s: float) -> list[Alert]:
    """The alerts among ``events`` (in time order): each lasts from its first firing to the
    recovery, or to ``end_s`` when posture had not recovered by then."""
    alerts: list[Alert] = []
    open_alert: AlertEvent | None = None
    for event in events:
        if event.kind is EventKind.BAD_POSTURE and event.repeat == 0 and open_alert is None:
            open_alert = event
        elif event.kind is EventKind.POSTURE_RECOVERED and open_alert is not None:
            alerts.append(Alert(open_alert.t_s, event.start_s, tuple(r.value for r in open_alert.reasons),
                                open_alert.why()))
            open_alert = None
    if open_alert is not None:
        alerts.append(Alert(open_alert.t_s, end_s, tuple(r.value for r in open_alert.reasons), open_alert.why()))
    return alerts


def replay_alerts(records: Iterable[FrameRecord], engine: AlertEngine,
                  end_s: float) -> tuple[list[Alert], list[AlertEvent]]:
    """Run the alert engine over a recording's records, as the live monitor would have: the
    alerts and every raised event."""
    events: list[AlertEvent] = []
    for record in records:
        events += engine.update(record.t_s, record.verdict, record.position)
    return pair_alerts(events, end_s), events
