"""Leave-one-person-out: how headwatch judges a person whose footage chose none of its numbers.

    python bench/lopo.py ../shared/data [--cache /tmp/headwatch-devdata.pkl]

For every person of the development data (seven people, four set-ups; bench/devdata.py), the
numbers that are fitted (the absolute key-metric threshold of the view family, the margin
around a learned reference) are chosen on the other six, and the left-out person is scored.
Printed per person and task: within-person AUC of the key metric, then balanced accuracy of

- absolute  the shipped absolute thresholds (chosen on all seven: in-sample, for comparison);
- abs-LOPO  an absolute threshold chosen on the other people of the same view family;
- ref       the default: the reference learned from the person's own frames with the shipped
            margins, bounded by the absolute limits (reference.CONFIDENT);
- ref-LOPO  the same with the margin chosen on the others.

Then per person (the mean over their tasks) the default against the absolute limits, and for how
many of the seven people the default is at least the absolute figure.

`--sweep PERSON` prints only that person's figure on the absolute limits with the key metric's cut
moved over a grid: a learned reference moves that cut, so it shows which way any reference can
help or cost them.

Tasks: upright vs the set-up's bad label (front webcam: slouching; side desk: tech neck and,
separately, leaning back; seated: slouched; standing: poor). For chin resting and head on the
desk the share of frames judged bad is printed. Frames with nobody found, or not judged, count
as "not bad", as in the monitor. The reference is learned from all the person's frames of the
family, unlabelled, as `headwatch eval --reference auto --group-by` does.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import devdata
from headwatch.app.assemble import absolute_limits
from headwatch.config.settings import Calibration, Thresholds
from headwatch.config.settings import ReferenceSettings as Reference_
from headwatch.evaluation.scoring import Confusion, auc
from headwatch.posture import reference as reference_module
from headwatch.posture.judge import Limits, judge
from headwatch.posture.metrics import measure
from headwatch.posture.reference import (
    SPREAD_MARGINS,
    LearningJudge,
    ReferenceLearner,
    family_of,
    learn_in_hindsight,
    learn_references,
    limits_for_references,
)
from headwatch.types import PostureSample, State

# set-up -> task name -> (good labels, bad labels)
TASKS: Mapping[str, Mapping[str, tuple[frozenset[str], frozenset[str]]]] = {
    "front-webcam": {"slouching": (frozenset({"good", "notSlouching"}), frozenset({"bad", "isSlouching"}))},
    "side-desk": {"tech neck": (frozenset({"good"}), frozenset({"tech_neck"})),
                  "leaning back": (frozenset({"good"}), frozenset({"leaning_back"}))},
    "side-seated": {"slouched": (frozenset({"good"}), frozenset({"slouched"}))},
    "side-standing": {"poor": (frozenset({"good"}), frozenset({"poor"}))},
}
FLAGGED_ONLY = ("chin_resting", "head_on_desk")
KEY = {"front-webcam": ("ear_height_face_ratio", -1), "side-desk": ("slouch_deg", 1),
       "side-seated": ("slouch_deg", 1), "side-standing": ("slouch_deg", 1)}


@dataclass(frozen=True, slots=True)
class Frame:
    person: str
    setup: str
    label: str
    sample: PostureSample | None
    session: str = ""
    t_s: float = 0.0
    video: bool = False


def frames_of(items: Sequence[devdata.Item]) -> list[Frame]:
    return [Frame(i.person, i.setup, i.label, measure(i.pose) if i.pose is not None else None, i.session, i.t_s,
                  i.path.endswith(".mp4")) for i in items]


def absolute_verdicts(frames: Sequence[Frame], limits: Limits) -> list[State]:
    return [judge(f.sample, limits).state for f in frames]


def balanced_accuracy(frames: Sequence[Frame], task: tuple[frozenset[str], frozenset[str]],
                      states: Sequence[State]) -> float:
    good, bad = task
    pairs = [(f.label in bad, state is State.BAD) for f, state in zip(frames, states, strict=True)
             if f.label in good or f.label in bad]
    value = Confusion.of(pairs).balanced_accuracy
    return float("nan") if value is None else value


def flagged_share(frames: Sequence[Frame], label: str, states: Sequence[State]) -> float | None:
    mine = [state for f, state in zip(frames, states, strict=True) if f.label == label]
    if not mine:
        return None
    return sum(state is State.BAD for state in mine) / len(mine)


def key_auc(frames: Sequence[Frame], task: tuple[frozenset[str], frozenset[str]], setup: str) -> float | None:
    metric, sign = KEY[setup]
    good, bad = task

    def values(labels: frozenset[str]) -> list[float]:
        return [sign * v for f in frames
                if f.label in labels and f.sample and (v := getattr(f.sample, metric)) is not None]

    return auc(values(good), values(bad))


def own_reference_verdicts(frames: Sequence[Frame], margins: Calibration, absolute: Limits,
                           spread: float = SPREAD_MARGINS, replay: bool = False) -> list[State]:
    """Each frame's verdict against the person's own reference, as headwatch would judge it: a
    photo session's reference learned from that session's photos (eval --group-by), a video's
    as analyze judges it: learned from the whole video where it is shorter than learn_min, then
    judged forward by the monitor's own judge (``replay``: as the monitor, learning forward)."""
    states: list[State] = [State.UNKNOWN] * len(frames)
    sessions: dict[str, list[int]] = {}
    for index, frame in enumerate(frames):
        sessions.setdefault(frame.session, []).append(index)
    with reference_constants(SPREAD_MARGINS=spread):
        for indices in sessions.values():
            if frames[indices[0]].video:
                # As analyze judges it by default: learned in hindsight where shorter than learn_min.
                ordered = sorted(indices, key=lambda i: frames[i].t_s)
                seen = [(frames[i].t_s, s, False) for i in ordered if (s := frames[i].sample) is not None]
                learned = None if replay else learn_in_hindsight(seen, Reference_().learn_min * 60.0)
                learner = ReferenceLearner(Reference_().learn_min * 60.0, Reference_().refresh_min * 60.0,
                                           ready=learned)
                live = LearningJudge(learner, margins, absolute)
                for i in sorted(indices, key=lambda i: frames[i].t_s):
                    states[i] = live(frames[i].t_s, frames[i].sample).state
                continue
            refs = learn_references([s for i in indices if (s := frames[i].sample) is not None])
            limits = limits_for_references(refs, margins, absolute)
            for i in indices:
                states[i] = judge(frames[i].sample, limits).state
    return states


@contextlib.contextmanager
def reference_constants(**values: float) -> Iterator[None]:
    """reference.py's module constants (SPREAD_MARGINS, PROVISIONAL_S, ...) set to ``values``
    meanwhile: a bench's variants of a shipped number."""
    saved = {name: getattr(reference_module, name) for name in values}
    for name, value in values.items():
        setattr(reference_module, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(reference_module, name, value)


Judging = Callable[[Sequence[Frame]], list[State]]


def mean_score(people: Mapping[str, Sequence[Frame]], judging: Judging) -> float:
    """Mean over people and their tasks of the balanced accuracy."""
    scores = []
    for frames in people.values():
        states = judging(frames)
        for task in TASKS[frames[0].setup].values():
            scores.append(balanced_accuracy(frames, task, states))
    scores = [s for s in scores if s == s]
    return statistics.mean(scores) if scores else float("nan")


def family(setup: str) -> str:
    return "front" if setup == "front-webcam" else "profile"


THRESHOLD_GRID = {"front": [1.20 + 0.01 * i for i in range(50)], "profile": [10.0 + 1.0 * i for i in range(30)]}
MARGIN_GRID = {"front": [0.02 + 0.01 * i for i in range(12)], "profile": [4.0 + 1.0 * i for i in range(13)]}
SPREAD_GRID = [0.0, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0]


def with_threshold(fam: str, value: float) -> Thresholds:
    if fam == "front":
        return replace(Thresholds(), ear_height_face_ratio=value)
    return replace(Thresholds(), slouch_deg=value)


def with_margin(margins: Calibration, fam: str, value: float) -> Calibration:
    if fam == "front":
        return replace(margins, ear_height_margin=value)
    return replace(margins, head_forward_margin_deg=value)


def fit_threshold(people: Mapping[str, Sequence[Frame]], fam: str) -> float:
    return max(THRESHOLD_GRID[fam], key=lambda t: mean_score(
        people, lambda frames: absolute_verdicts(frames, absolute_limits(with_threshold(fam, t)))))


def fit_margin(people: Mapping[str, Sequence[Frame]], fam: str, replay: bool = False) -> tuple[float, float]:
    """The margin and the spread factor (reference.SPREAD_MARGINS) that score best on ``people``;
    of those that tie (the absolute bound can make the margin irrelevant for the others), the one
    nearest the shipped values, so that a tie is not read as a choice."""
    absolute = absolute_limits(Thresholds())
    shipped = with_margin(Calibration(), fam, 0.0)
    shipped_margin = Calibration().ear_height_margin if fam == "front" else Calibration().head_forward_margin_deg
    grid = MARGIN_GRID[fam]
    step = grid[1] - grid[0]

    def score(mk: tuple[float, float]) -> tuple[float, float]:
        value = mean_score(people, lambda frames: own_reference_verdicts(
            frames, with_margin(shipped, fam, mk[0]), absolute, mk[1], replay))
        return round(value, 9), -(abs(mk[0] - shipped_margin) / step + abs(mk[1] - SPREAD_MARGINS))

    return max(((m, k) for m in grid for k in SPREAD_GRID), key=score)


def fmt(value: float | None) -> str:
    return "  -  " if value is None or value != value else f"{value:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    devdata.add_arguments(parser)
    parser.add_argument("--replay", action="store_true",
                        help="judge the video as the monitor would (analyze --replay), not learned in hindsight")
    parser.add_argument("--sweep", metavar="PERSON",
                        help="only print PERSON's balanced accuracy on the absolute limits with the key-metric "
                             "cut at each value: whether any limit tighter or looser than the shipped one suits them")
    args = parser.parse_args()
    frames = frames_of(devdata.load(args.data, args.cache))
    by_person: dict[str, list[Frame]] = {}
    for f in frames:
        by_person.setdefault(f.person, []).append(f)
    if args.sweep is not None:
        if args.sweep not in by_person:
            parser.error(f"no person {args.sweep!r}; the people are {', '.join(sorted(by_person))}")
        print_sweep(args.sweep, by_person[args.sweep])
        return
    shipped_abs = absolute_limits(Thresholds())
    margins = Calibration()
    print(f"{len(frames)} frames, {len(by_person)} people; numbers fitted on the other people of the view family\n")
    print(f"{'person':13s} {'set-up':14s} {'task':13s} {'AUC':>6s} {'absolute':>9s} {'abs-LOPO':>9s} "
          f"{'ref':>6s} {'ref-LOPO':>9s}   fitted (threshold / margin / spread)")
    columns: dict[str, list[float]] = {"absolute": [], "abs-LOPO": [], "ref": [], "ref-LOPO": []}
    per_person: dict[str, dict[str, list[float]]] = {}
    for person, mine in sorted(by_person.items()):
        setup, fam = mine[0].setup, family(mine[0].setup)
        others = {p: fs for p, fs in by_person.items() if p != person and family(fs[0].setup) == fam}
        threshold = fit_threshold(others, fam)
        margin, spread = fit_margin(others, fam, args.replay)
        states = {"absolute": absolute_verdicts(mine, shipped_abs),
                  "abs-LOPO": absolute_verdicts(mine, absolute_limits(with_threshold(fam, threshold))),
                  "ref": own_reference_verdicts(mine, margins, shipped_abs, replay=args.replay),
                  "ref-LOPO": own_reference_verdicts(mine, with_margin(margins, fam, margin), shipped_abs, spread,
                                                     replay=args.replay)}
        for name, task in TASKS[setup].items():
            scores = {k: balanced_accuracy(mine, task, st) for k, st in states.items()}
            for k, v in scores.items():
                columns[k].append(v)
                per_person.setdefault(person, {}).setdefault(k, []).append(v)
            print(f"{person:13s} {setup:14s} {name:13s} {fmt(key_auc(mine, task, setup)):>6s} "
                  + " ".join(f"{fmt(scores[k]):>9s}" if k != "ref" else f"{fmt(scores[k]):>6s}" for k in scores)
                  + f"   {threshold:.2f} / {margin:.2f} / {spread:.1f}")
        for label in FLAGGED_ONLY:
            shares = [flagged_share(mine, label, st) for st in states.values()]
            if shares[0] is not None:
                print(f"{person:13s} {setup:14s} {label + ' *':13s} {'':>6s} "
                      + " ".join(f"{fmt(s):>9s}" if i != 2 else f"{fmt(s):>6s}" for i, s in enumerate(shares)))
                upright = next(iter(TASKS[setup].values()))[0]
                against = [balanced_accuracy(mine, (upright, frozenset({label})), st) for st in states.values()]
                print(f"{person:13s} {setup:14s} {'  vs upright †':13s} {'':>6s} "
                      + " ".join(f"{fmt(s):>9s}" if i != 2 else f"{fmt(s):>6s}" for i, s in enumerate(against)))
    print("\n* share of the frames judged bad; † balanced accuracy against the person's upright frames"
          " (neither counts in the means)")
    print("mean   " + "  ".join(f"{k} {statistics.mean(v):.3f} (min {min(v):.3f})" for k, v in columns.items()))
    unjudged = sum(1 for f in frames if f.sample is None or family_of(f.sample.view) is None)
    print(f"frames with nobody found or no view: {unjudged}")
    print_default_vs_absolute(per_person)


def print_sweep(person: str, frames: Sequence[Frame]) -> None:
    """The person's mean balanced accuracy over their tasks on the absolute limits, the key
    metric's cut moved over THRESHOLD_GRID: a learned reference can only move that cut, so where
    every tighter cut scores lower, every reference that tightens costs this person accuracy."""
    setup = frames[0].setup
    fam = family(setup)
    key = "ear_height_face_ratio" if fam == "front" else "slouch_deg"
    shipped_cut = getattr(Thresholds(), key)
    print(f"{person} ({setup}, {len(frames)} frames): balanced accuracy on the absolute limits, "
          f"{key} cut at each value (shipped {shipped_cut:g}); one person")
    for cut in THRESHOLD_GRID[fam]:
        states = absolute_verdicts(frames, absolute_limits(with_threshold(fam, cut)))
        score = statistics.mean(balanced_accuracy(frames, task, states) for task in TASKS[setup].values())
        mark = "  <- shipped" if abs(cut - shipped_cut) < 1e-9 else ""
        print(f"  {cut:6.2f}  {score:.3f}{mark}")


def print_default_vs_absolute(per_person: Mapping[str, Mapping[str, list[float]]]) -> None:
    """Per person (the mean over their tasks): the default (the learned reference, shipped numbers
    and fitted without them) against the absolute limits, and how many people it held for."""
    print(f"\ndefault vs absolute, per person (mean over the person's tasks); {len(per_person)} people")
    print(f"{'person':13s} {'absolute':>9s} {'default':>8s} {'diff':>7s} {'ref-LOPO':>9s} {'diff':>7s}")
    held = held_lopo = 0
    for person, cols in sorted(per_person.items()):
        a, d, dl = (statistics.mean(cols[k]) for k in ("absolute", "ref", "ref-LOPO"))
        held += d >= a - 1e-9
        held_lopo += dl >= a - 1e-9
        print(f"{person:13s} {a:9.3f} {d:8.3f} {d - a:+7.3f} {dl:9.3f} {dl - a:+7.3f}")
    print(f"default >= absolute for {held} of {len(per_person)} people "
          f"(margins fitted without them: {held_lopo} of {len(per_person)})")


if __name__ == "__main__":
    main()
