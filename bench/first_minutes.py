"""A monitor's first minutes, frame by frame: what the provisional reference adds and costs.

    python bench/first_minutes.py ../shared/data [--cache /tmp/headwatch-devdata.pkl]

Before it has learned a person (`learn_min`, 2 minutes of presence) the monitor judges on the
absolute limits, tightened from PROVISIONAL_S of presence on by a provisional reference of what
it saw so far (reference.limits_tightened_by). For each development person (bench/devdata.py,
seven people, one behind each row) a 118 s run at one frame a second is judged by the monitor's
own LearningJudge: upright frames 0-35 s, slumped 35-55 s and 75-95 s, upright between and after
(each kind in the order recorded, looped). Printed per person and way: the upright frames judged
bad after PROVISIONAL_S, and the slumped frames judged bad, for

- absolute     no provisional reference (the monitor before this work);
- plain floor  a provisional reference with the configured margin floors;
- shipped      the shipped one (floors widened by PROVISIONAL_MARGIN).

Then the widening chosen leaving each person out: of FACTORS, the one with the best mean balanced
accuracy (slumped frames caught, upright frames after PROVISIONAL_S passed) over the other six,
and what it gives the person left out. `bench/short_clips.py --layout first-minutes` asks the same
of the alerts, through `analyze`.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import devdata
from headwatch.app.assemble import absolute_limits
from headwatch.config.settings import Calibration, Thresholds
from headwatch.posture import reference as reference_module
from headwatch.posture.reference import LearningJudge, ReferenceLearner
from headwatch.types import PostureSample, State
from lopo import TASKS, Frame, frames_of, reference_constants

LENGTH_S = 118
SLUMPS = ((35, 55), (75, 95))
LEARN_S, REFRESH_S = 120.0, 600.0
WAYS = {"absolute": (None, 1.0), "plain floor": (reference_module.PROVISIONAL_S, 1.0),
        "shipped": (reference_module.PROVISIONAL_S, reference_module.PROVISIONAL_MARGIN)}
FACTORS = (1.0, 1.25, 1.5, 2.0, 2.5)


def provisional(start_s: float | None, margin: float) -> contextlib.AbstractContextManager[None]:
    """The provisional reference starting at ``start_s`` (None: never), its floors times ``margin``."""
    return reference_constants(PROVISIONAL_S=float("inf") if start_s is None else start_s, PROVISIONAL_MARGIN=margin)


def run(upright: Sequence[PostureSample], slumped: Sequence[PostureSample]) -> tuple[int, int, int, int]:
    """(upright flagged after PROVISIONAL_S, upright frames then, slumped flagged, slumped frames)."""
    judge = LearningJudge(ReferenceLearner(LEARN_S, REFRESH_S), Calibration(), absolute_limits(Thresholds()))
    used = {True: 0, False: 0}
    counts = [0, 0, 0, 0]
    for t in range(LENGTH_S):
        slump = any(start <= t < end for start, end in SLUMPS)
        pool = slumped if slump else upright
        bad = judge(float(t), pool[used[slump] % len(pool)]).state is State.BAD
        used[slump] += 1
        if slump:
            counts[2] += bad
            counts[3] += 1
        elif t >= WAYS["plain floor"][0]:
            counts[0] += bad
            counts[1] += 1
    return counts[0], counts[1], counts[2], counts[3]


def balanced(counts: tuple[int, int, int, int]) -> float:
    flagged, upright, caught, slumped = counts
    return (caught / slumped + 1.0 - flagged / upright) / 2.0


def samples(frames: Sequence[Frame], labels: frozenset[str]) -> list[PostureSample]:
    ordered = sorted((f for f in frames if f.label in labels), key=lambda f: (f.session, f.t_s))
    return [f.sample for f in ordered if f.sample is not None]


def run_person(frames: Sequence[Frame]) -> tuple[int, int, int, int]:
    """``run`` on one person: upright against the set-up's first bad label."""
    good, bad = next(iter(TASKS[frames[0].setup].values()))
    return run(samples(frames, good), samples(frames, bad))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    devdata.add_arguments(parser)
    args = parser.parse_args()
    by_person: dict[str, list[Frame]] = {}
    for frame in frames_of(devdata.load(args.data, args.cache)):
        by_person.setdefault(frame.person, []).append(frame)
    print(f"{LENGTH_S} s at 1 frame a second, slumped {SLUMPS}; one person behind each row\n")
    print(f"{'person':13s} {'way':12s} {'upright flagged':>16s} {'slumped caught':>15s}")
    totals = {way: [0, 0, 0, 0] for way in WAYS}
    for person, frames in sorted(by_person.items()):
        for way, (start_s, margin) in WAYS.items():
            with provisional(start_s, margin):
                counts = run_person(frames)
            totals[way] = [a + b for a, b in zip(totals[way], counts, strict=True)]
            print(f"{person:13s} {way:12s} {counts[0]:>9d} of {counts[1]:<3d} {counts[2]:>8d} of {counts[3]:<3d}")
    print()
    for way, (flagged, upright, caught, slumped) in totals.items():
        print(f"all, {way:12s} upright flagged {flagged} of {upright}, slumped caught {caught} of {slumped}")
    print_left_out(by_person)


def print_left_out(by_person: dict[str, list[Frame]]) -> None:
    """The widening chosen on six people, scored on the seventh (balanced accuracy per person)."""
    scores: dict[str, dict[float, float]] = {}
    for person, frames in by_person.items():
        scores[person] = {}
        for factor in FACTORS:
            with provisional(WAYS["shipped"][0], factor):
                scores[person][factor] = balanced(run_person(frames))
    with provisional(None, 1.0):
        absolute = {person: balanced(run_person(frames)) for person, frames in by_person.items()}
    print(f"\nwidening chosen without the person (of {FACTORS}); balanced accuracy, one person each")
    print(f"{'person':13s} {'chosen':>7s} {'left out':>9s} {'absolute':>9s}")
    for person in sorted(scores):
        others = [p for p in scores if p != person]
        chosen = max(FACTORS, key=lambda f: (round(sum(scores[p][f] for p in others), 9), -abs(f - 1.5)))
        print(f"{person:13s} {chosen:7.2f} {scores[person][chosen]:9.3f} {absolute[person]:9.3f}")


if __name__ == "__main__":
    main()
