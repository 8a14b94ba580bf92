"""The profile view's absolute limits across people: which rule separates upright from slumped
on a person whose frames chose none of its numbers.

    python bench/profile_limits.py ../shared/data [--cache /tmp/headwatch-devdata.pkl]

The absolute limits judge every photo, every short clip and the first minutes of every new user,
so what matters is how one limit serves people it was not chosen on. Four profile people of the
development data (bench/devdata.py): BAS and CWK (side desk, seated, photos), the seated man (31 s
video) and the standing man (549 frames). Only ONE of them stands: every standing figure is one
person's, and a limit for standing people alone cannot be chosen leaving him out.

For each person and task (upright vs the set-up's bad label, as bench/lopo.py) it prints the
within-person AUC of the rule's score and the balanced accuracy of

- shipped   the shipped absolute limits (assemble.absolute_limits; its profile numbers were chosen
            with all four people in view, the standing limit on the standing man alone);
- metric>t  one metric against one threshold, the threshold chosen on the OTHER three people
            (their mean balanced accuracy over their tasks);
- logistic  a logistic model of a few metrics fitted on the other three (each person and label
            weighted equally), its cut chosen on them too;
- standing apart  slouch_deg with one cut for frames the judge takes for standing and one for the
            rest, each chosen on the others (the standing man's standing cut: the shipped 20, as
            nobody else stands);
- knee rules  the shipped limits with standing told apart by other rules for which knees count
            as seen (metrics.knee_seen: visibility 0.5, or drawn inside the picture; before, a faint
            knee inside the picture only at the end of a whole thigh, and first, visibility 0.5 only:
            a small person's knees rarely have it).

Every candidate keeps the shipped forward-trunk and reclined-slump bands (leaning back is theirs)
and stands in for the head-forward band (slouch_deg) alone. Frames with nobody found, or without
the metric, count as "not bad", as in the monitor. Printed first: each person's median slouch_deg
and head_forward_deg upright and slumped (why one cut cannot serve them all), and how many of
each person's frames the judge takes for standing (thighs within judge.STANDING_THIGH_DEG of
vertical, knees seen), the only frames the standing limit reaches.
"""

from __future__ import annotations

import argparse
import itertools
import math
import statistics
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

import devdata
from headwatch.app.assemble import absolute_limits
from headwatch.config.settings import Thresholds
from headwatch.evaluation.scoring import Confusion, auc
from headwatch.posture.judge import Band, Limits, is_standing, judge
from headwatch.posture.metrics import MIN_VISIBILITY, knee_seen, thigh_deg
from headwatch.types import Landmark, Pose, PostureSample, State
from lopo import TASKS, Frame, frames_of

PROFILE_SETUPS = ("side-desk", "side-seated", "side-standing")
# One number per frame, higher = more slumped; None: not measurable (judged "not bad").
Score = Callable[[PostureSample], float | None]


def metric(name: str) -> Score:
    return lambda s: getattr(s, name)


def forward_trunk(s: PostureSample) -> float:
    return max(s.trunk_lean_deg or 0.0, 0.0)


SCORES: Mapping[str, Score] = {
    "head_forward_deg": metric("head_forward_deg"),
    "slouch_deg": metric("slouch_deg"),
    "neck_inclination_deg": metric("neck_inclination_deg"),
    "neck_angle_3d_deg": metric("neck_angle_3d_deg"),
    "head_pitch_deg": metric("head_pitch_deg"),
    "slouch+pitch": lambda s: None if s.slouch_deg is None or s.head_pitch_deg is None
    else s.slouch_deg + s.head_pitch_deg,
}
# The logistic model's inputs: the head's angle, the trunk's forward lean, the head's pitch.
LOGISTIC_INPUTS: tuple[Score, ...] = (metric("head_forward_deg"), forward_trunk, metric("head_pitch_deg"))


def labelled(frames: Sequence[Frame]) -> list[tuple[Frame, str, bool]]:
    """(frame, task, is bad) for every frame that belongs to one of its set-up's tasks."""
    out = []
    for name, (good, bad) in TASKS[frames[0].setup].items():
        out += [(f, name, f.label in bad) for f in frames if f.label in good or f.label in bad]
    return out


def balanced(frames: Sequence[Frame], flagged: Callable[[Frame], bool]) -> dict[str, float]:
    """Balanced accuracy per task of the person's frames."""
    pairs: dict[str, list[tuple[bool, bool]]] = {}
    for f, task, bad in labelled(frames):
        pairs.setdefault(task, []).append((bad, flagged(f)))
    return {task: Confusion.of(p).balanced_accuracy or float("nan") for task, p in pairs.items()}


def within_auc(frames: Sequence[Frame], score: Score) -> dict[str, float | None]:
    values: dict[str, tuple[list[float], list[float]]] = {}
    for f, task, bad in labelled(frames):
        v = score(f.sample) if f.sample is not None and f.sample.view is not None else None
        if v is not None:
            values.setdefault(task, ([], []))[1 if bad else 0].append(v)
    return {task: auc(g, b) for task, (g, b) in values.items()}


def scored(f: Frame, score: Score) -> float | None:
    s = f.sample
    if s is None or s.view is None or s.view.value == "front":
        return None
    return score(s)


def without_head_band(limits: Limits) -> Limits:
    """The limits without their head-forward band (slouch_deg), seated, standing and without hips."""
    def strip(bands: Mapping[str, Band] | None) -> dict[str, Band] | None:
        return None if bands is None else {name: band for name, band in bands.items() if name != "slouch_deg"}

    return replace(limits, profile=strip(limits.profile) or {}, standing=strip(limits.standing),
                   without_hips=strip(limits.without_hips))


# What every candidate keeps of the shipped limits: the forward trunk lean and the reclined slump
# (leaning back is theirs), so that a candidate stands in for the head-forward band alone.
REST = without_head_band(absolute_limits(Thresholds()))


def threshold_flag(score: Score, threshold: float, standing: float | None = None) -> Callable[[Frame], bool]:
    """Bad: beyond the shipped trunk and reclined bands, or the score above the cut (``standing``:
    the cut for frames the judge takes for standing, when they are handled apart)."""
    def flagged(f: Frame) -> bool:
        if judge(f.sample, REST).state is State.BAD:
            return True
        v = scored(f, score)
        cut = standing if standing is not None and f.sample is not None and is_standing(f.sample) else threshold
        return v is not None and v > cut

    return flagged


def mean_ba(people: Mapping[str, Sequence[Frame]], flagged: Callable[[Frame], bool]) -> float:
    scores = [v for frames in people.values() for v in balanced(frames, flagged).values() if v == v]
    return statistics.mean(scores) if scores else float("nan")


def fit_threshold(people: Mapping[str, Sequence[Frame]], score: Score, standing: float | None = None,
                  fit: str = "seated") -> float:
    """The cut that scores best on ``people``: candidates are the mid-points of their values.
    ``standing`` given: frames taken for standing are cut there, and ``fit`` says which of the two
    cuts is chosen (the other held at ``standing``); math.inf leaves standing frames out of it."""
    values = sorted({round(v, 1) for fs in people.values() for f in fs if (v := scored(f, score)) is not None})
    grid = [(a + b) / 2 for a, b in itertools.pairwise(values)][::max(1, len(values) // 300)]
    if standing is None:
        return max(grid, key=lambda t: mean_ba(people, threshold_flag(score, t)))
    if fit == "standing":
        return max(grid, key=lambda t: mean_ba(people, threshold_flag(score, standing, t)))
    kept = {p: [f for f in fs if f.sample is None or not is_standing(f.sample)] for p, fs in people.items()}
    return max(grid, key=lambda t: mean_ba(kept, threshold_flag(score, t)))


def _knee_rule(counts: Callable[[bool, bool], bool]) -> Callable[[Pose, Landmark], bool]:
    """A knee counted as seen when ``counts(visible, inside the picture)``."""
    def seen(pose: Pose, knee: Landmark) -> bool:
        x, y = pose.image_xy[knee]
        return counts(bool(pose.visibility[knee] >= MIN_VISIBILITY), 0 <= x < pose.width and 0 <= y < pose.height)

    return seen


WHOLE_THIGH_SHARE = 0.72  # the rule shipped before: a faint knee counted at the end of a whole thigh
_LEG = {Landmark.LEFT_KNEE: (Landmark.LEFT_HIP, Landmark.LEFT_SHOULDER),
        Landmark.RIGHT_KNEE: (Landmark.RIGHT_HIP, Landmark.RIGHT_SHOULDER)}


def _whole_thigh(pose: Pose, knee: Landmark) -> bool:
    """Seen, or inside the picture at the end of a thigh at least WHOLE_THIGH_SHARE of the trunk."""
    hip, shoulder = _LEG[knee]
    xy = pose.image_xy
    whole = bool(np.linalg.norm(xy[knee] - xy[hip]) >= WHOLE_THIGH_SHARE * np.linalg.norm(xy[hip] - xy[shoulder]))
    return _knee_rule(lambda visible, inside: visible or (inside and whole))(pose, knee)


# Which knees count as seen when telling standing from sitting (metrics.thigh_deg).
KNEE_RULES: Mapping[str, Callable[[Pose, Landmark], bool]] = {
    "knee visible (first)": _knee_rule(lambda visible, inside: visible),
    "or whole thigh (before)": _whole_thigh,
    "visible or inside (now)": knee_seen,
    "knee inside the picture": _knee_rule(lambda visible, inside: inside),  # a knee below the frame is a guess
}


def thigh_with(pose: Pose, rule: Callable[[Pose, Landmark], bool]) -> float | None:
    """metrics.thigh_deg with a knee counted as seen by ``rule``."""
    return thigh_deg(pose, rule)


def features(f: Frame) -> np.ndarray | None:
    s = f.sample
    if s is None or s.view is None or s.view.value == "front":
        return None
    row = [g(s) for g in LOGISTIC_INPUTS]
    return None if any(v is None for v in row) else np.array(row, dtype=float)


def fit_logistic(people: Mapping[str, Sequence[Frame]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weights of a logistic model on standardised inputs (mean, scale, weights with the bias last);
    each person's good and bad frames weigh as much as any other's."""
    rows, ys, ws = [], [], []
    for frames in people.values():
        mine = [(x, bad) for f, _, bad in labelled(frames) if (x := features(f)) is not None]
        for label in (False, True):
            part = [x for x, bad in mine if bad is label]
            rows += part
            ys += [float(label)] * len(part)
            ws += [1.0 / len(part)] * len(part)
    x, y, w = np.array(rows), np.array(ys), np.array(ws)
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    beta = np.zeros(z.shape[1])
    for _ in range(50):  # Newton's method, lightly ridged so that separable data stays finite
        p = 1.0 / (1.0 + np.exp(-z @ beta))
        grad = z.T @ (w * (p - y)) + 1e-3 * beta
        hess = (z * (w * p * (1 - p))[:, None]).T @ z + 1e-3 * np.eye(len(beta))
        beta -= np.linalg.solve(hess, grad)
    return mean, scale, beta


def logistic_score(model: tuple[np.ndarray, np.ndarray, np.ndarray]) -> Score:
    mean, scale, beta = model

    def score(s: PostureSample) -> float | None:
        row = [g(s) for g in LOGISTIC_INPUTS]
        if any(v is None for v in row):
            return None
        z = (np.array(row, dtype=float) - mean) / scale
        return float(z @ beta[:-1] + beta[-1])

    return score


def fmt(value: float | None) -> str:
    return "  -  " if value is None or value != value else f"{value:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    devdata.add_arguments(parser)
    args = parser.parse_args()
    items = [i for i in devdata.load(args.data, args.cache) if i.setup in PROFILE_SETUPS]
    by_person: dict[str, list[Frame]] = {}
    poses: dict[str, list[Pose | None]] = {}
    for item, f in zip(items, frames_of(items), strict=True):
        by_person.setdefault(f.person, []).append(f)
        poses.setdefault(f.person, []).append(item.pose)
    shipped = absolute_limits(Thresholds())
    print(f"{len(by_person)} profile people, ONE of them standing (standing-man): every standing figure "
          "is one person's.\nFitted numbers chosen on the other three people; AUC within the person.\n")
    print(f"{'person':13s} {'label':13s} {'frames':>6s} {'slouch_deg':>10s} {'head_fwd':>8s}  (medians)")
    for person, frames in sorted(by_person.items()):
        for label in sorted({f.label for f in frames}):
            mine = [f.sample for f in frames if f.label == label and f.sample is not None]
            medians = [statistics.median(v) if (v := [x for s in mine if (x := getattr(s, name)) is not None])
                       else float("nan") for name in ("slouch_deg", "head_forward_deg")]
            print(f"{person:13s} {label:13s} {len(mine):6d} {medians[0]:10.1f} {medians[1]:8.1f}")
    print()
    for person, frames in sorted(by_person.items()):
        judged = [f.sample for f in frames if f.sample is not None and f.sample.view is not None]
        share = sum(is_standing(s) for s in judged) / max(len(judged), 1)
        print(f"taken for standing {person:13s} {share:.2f} of {len(judged)} frames with a view")
    print(f"\n{'rule':34s} {'person':13s} {'task':13s} {'AUC':>6s} {'BA':>6s}  fitted on the others")
    summary: dict[str, dict[str, float]] = {}

    def report(rule: str, person: str, aucs: Mapping[str, float | None], bas: Mapping[str, float], note: str) -> None:
        for task, ba in bas.items():
            print(f"{rule:34s} {person:13s} {task:13s} {fmt(aucs.get(task)):>6s} {fmt(ba):>6s}  {note}")
        summary.setdefault(rule, {})[person] = statistics.mean(bas.values())

    for person, frames in sorted(by_person.items()):
        bas = balanced(frames, lambda f: judge(f.sample, shipped).state is State.BAD)
        report("shipped", person, within_auc(frames, SCORES["slouch_deg"]), bas, "(none: shipped numbers)")
    for name, score in SCORES.items():
        for person, frames in sorted(by_person.items()):
            others = {p: fs for p, fs in by_person.items() if p != person}
            cut = fit_threshold(others, score)
            report(f"{name}>t", person, within_auc(frames, score), balanced(frames, threshold_flag(score, cut)),
                   f"t = {cut:.1f}")
    for person, frames in sorted(by_person.items()):
        others = {p: fs for p, fs in by_person.items() if p != person}
        model = fit_logistic(others)
        score = logistic_score(model)
        cut = fit_threshold(others, score)
        weights = ", ".join(f"{b / s:+.3f}" for b, s in zip(model[2][:-1], model[1], strict=True))
        report("logistic hf,trunk,pitch", person, within_auc(frames, score),
               balanced(frames, threshold_flag(score, cut)), f"per degree {weights}, cut {cut:.2f}")
    for person, frames in sorted(by_person.items()):
        others = {p: fs for p, fs in by_person.items() if p != person}
        standing_frames = sum(f.sample is not None and is_standing(f.sample) for fs in others.values() for f in fs
                              if f.label in {"good", "poor"} and f.setup == "side-standing")
        seat = fit_threshold(others, SCORES["slouch_deg"], standing=math.inf)
        standing_cut = (None if standing_frames == 0
                        else fit_threshold(others, SCORES["slouch_deg"], standing=seat, fit="standing"))
        shown = Thresholds().standing_slouch_deg if standing_cut is None else standing_cut
        note = (f"seated t = {seat:.1f} (standing frames left out of the fit), standing t = {shown:.1f}"
                + (" SHIPPED: no other standing person to choose it on" if standing_cut is None else ""))
        report("slouch_deg>t, standing apart", person, within_auc(frames, SCORES["slouch_deg"]),
               balanced(frames, threshold_flag(SCORES["slouch_deg"], seat, shown)), note)
    for rule, knee_rule in KNEE_RULES.items():
        for person, frames in sorted(by_person.items()):
            moved = [f if f.sample is None or pose is None else replace(
                f, sample=replace(f.sample, thigh_deg=thigh_with(pose, knee_rule)))
                for f, pose in zip(frames, poses[person], strict=True)]
            bas = balanced(moved, lambda f: judge(f.sample, shipped).state is State.BAD)
            judged = [f.sample for f in moved if f.sample is not None and f.sample.view is not None]
            share = sum(is_standing(s) for s in judged) / max(len(judged), 1)
            report(f"shipped, {rule}", person, within_auc(frames, SCORES["slouch_deg"]), bas,
                   f"taken for standing: {share:.2f} of the frames")
    print(f"\nper person (mean over the person's tasks); standing = 1 person\n{'rule':34s} "
          + " ".join(f"{p:>13s}" for p in sorted(by_person)) + f" {'min':>6s}")
    for rule, row in summary.items():
        values = [row[p] for p in sorted(by_person)]
        print(f"{rule:34s} " + " ".join(f"{v:13.3f}" for v in values) + f" {min(values):6.3f}")
    if not math.isfinite(min(min(r.values()) for r in summary.values())):
        print("(a person without both labels scores nan)")


if __name__ == "__main__":
    main()
