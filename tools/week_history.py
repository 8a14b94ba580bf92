"""A week of history for the report's picture: sessions replayed from the demo clip's measured looks.

    python tools/week_history.py OUT.sqlite [--first-day 2026-11-23] [--days 7] [--seed 31]

The looks are real: the demo clip analysed once by the real pipeline at the monitor's calm rate
(a look a second), its upright looks (before and after the slouch) and its slouched ones. A seeded
schedule lays them out over seven days as a week at a desk might go: weekday sessions in the
morning and the afternoon with breaks, slouches that come more often as the afternoon wears on
and more on some days than others, a short Saturday and a Sunday off. Every look goes through the
real alert engine and the real history recorder, so the intervals, alerts and breaks are what the
monitor would have recorded for such a week. The verdicts are the demo's, judged against the
absolute limits (the demo is shorter than the two minutes a learned reference takes).

A 20 s session was the report's picture before: "176.5 alerts per hour" and one day's bar.
"""

from __future__ import annotations

import argparse
import datetime
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "samples" / "demo_slouch.mp4"


@dataclass(frozen=True, slots=True)
class Stretch:
    """What one stretch of a session holds: ``kind`` upright, slouched or away, for ``seconds``."""

    kind: str
    seconds: int


def day_sessions(day: datetime.date, rng: random.Random) -> list[tuple[datetime.datetime, list[Stretch]]]:
    """The day's sessions, each its start and its stretches."""
    if day.weekday() == 6:
        return []  # Sunday off
    slouchiness = rng.uniform(0.5, 1.8)  # some days go worse than others
    if day.weekday() == 5:
        windows = [(10 * 60 + rng.randint(0, 40), 50 + rng.randint(0, 30))]  # a short Saturday
    else:
        windows = [(8 * 60 + 30 + rng.randint(0, 45), 170 + rng.randint(0, 40)),
                   (13 * 60 + rng.randint(0, 30), 200 + rng.randint(0, 70))]
    sessions = []
    for start_min, length_min in windows:
        start = datetime.datetime.combine(day, datetime.time()).astimezone() + datetime.timedelta(minutes=start_min)
        sessions.append((start, list(_stretches(start, length_min * 60, slouchiness, rng))))
    return sessions


def _stretches(start: datetime.datetime, seconds: int, slouchiness: float, rng: random.Random) -> Iterator[Stretch]:
    done, since_break = 0, 0
    next_break = rng.randint(40, 75) * 60
    while done < seconds:
        if since_break >= next_break:  # a coffee, a meeting: away for 4-12 minutes
            away = rng.randint(4, 12) * 60
            yield Stretch("away", away)
            done, since_break, next_break = done + away, 0, rng.randint(40, 75) * 60
            continue
        hour = (start + datetime.timedelta(seconds=done)).hour
        # Slouches come more often as the day goes on: about every 40 min at 9, every 15 at 16.
        mean_gap_s = 60 * max(12.0, 40.0 - 4.0 * (hour - 9)) / slouchiness
        upright = max(60, int(rng.expovariate(1.0 / mean_gap_s)))
        upright = min(upright, next_break - since_break, seconds - done)  # breaks and the end come on time
        yield Stretch("upright", upright)
        done, since_break = done + upright, since_break + upright
        if done < seconds and since_break < next_break:
            slouch = rng.choice([rng.randint(10, 25), rng.randint(40, 360)])  # a moment, or long enough to alert
            yield Stretch("slouched", slouch)
            done, since_break = done + slouch, since_break + slouch


def replay(history: Any, settings: Any, looks: dict[str, list[Any]], start: datetime.datetime,
           stretches: list[Stretch]) -> None:
    """One session into the history: a look a second through the alert engine and the recorder,
    the wall clock following the looks."""
    from headwatch.app.assemble import alert_settings
    from headwatch.storage.recorder import SessionRecorder
    from headwatch.timeline.alerts import AlertEngine
    from headwatch.types import State, Verdict

    now = [start]
    recorder = SessionRecorder(history, "0", "absolute limits", settings, clock=lambda: now[0])
    engine = AlertEngine(alert_settings(settings, 1.0))
    t_s, used = 0.0, {"upright": 0, "slouched": 0}
    for stretch in stretches:
        for _ in range(stretch.seconds):
            if stretch.kind == "away":
                verdict, sample, position = Verdict(State.AWAY), None, None
            else:
                pool = looks[stretch.kind]
                record = pool[used[stretch.kind] % len(pool)]
                used[stretch.kind] += 1
                verdict, sample, position = record.verdict, record.sample, record.position
            now[0] = start + datetime.timedelta(seconds=t_s)
            recorder.sample(t_s, verdict, sample)
            for event in engine.update(t_s, verdict, position):
                recorder.event(event)
            t_s += 1.0
    now[0] = start + datetime.timedelta(seconds=t_s)
    recorder.close("absolute limits")


def build(path: Path, first_day: datetime.date, seed: int = 31, days: int = 7) -> int:
    """Write ``days`` days of sessions from ``first_day`` into a new history at ``path``; returns
    how many sessions."""
    import headwatch
    from headwatch.config.settings import Settings
    from headwatch.storage.history import History
    from headwatch.types import State

    settings = Settings()
    records = headwatch.analyze_video(str(DEMO), settings, reference="absolute").records
    looks = {"upright": [r for r in records if r.verdict.state is State.OK],
             "slouched": [r for r in records if r.verdict.state is State.BAD]}
    assert looks["upright"] and looks["slouched"], "the demo clip should hold upright and slouched looks"
    rng = random.Random(seed)
    count = 0
    with History.open(path) as history:
        for offset in range(days):
            for start, stretches in day_sessions(first_day + datetime.timedelta(days=offset), rng):
                replay(history, settings, looks, start, stretches)
                count += 1
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="the history file to write (must not exist)")
    parser.add_argument("--first-day", type=datetime.date.fromisoformat, default=datetime.date(2026, 11, 23))
    parser.add_argument("--seed", type=int, default=31)
    parser.add_argument("--days", type=int, default=7)
    args = parser.parse_args(argv)
    if args.out.exists():
        parser.error(f"{args.out} exists: give a new file")
    print(f"wrote {build(args.out, args.first_day, args.seed, args.days)} sessions to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
