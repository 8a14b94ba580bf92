"""Telling standing from sitting in profile, and judging standing photos, on rendered people.

    python tools/synth_render.py /work/renders/varied_6011 --kind varied --scenes 120 --seed 6011
    python bench/standing_renders.py RENDER_DIR [RENDER_DIR ...] [--model full]

Takes the side-camera renders of ``--kind varied`` folders (their truth.json must carry
``keypoints_xy``, the body's keypoints as the camera draws them) and looks at them in five
conditions, each made from the renders as they are (the made pictures go to
RENDER_DIR/standing_bench/, their landmarks to renders_accuracy.py's cache):

- as made;
- knees out: the image's rows from a little above the higher true knee down cut off (the picture
  gets shorter, nothing is scaled), so the knees lie outside it; seated, the hips usually go too;
- hips out: the same cut a little above the higher true hip;
- desk (seated renders only): a flat-coloured desk, a top and a front panel, painted over the
  picture from a little above the hips down to the bottom, from just in front of the hip joints
  to the edge the person faces, hiding thighs, knees and shins: MediaPipe must guess the legs
  (the desk's colour: of light grey, wood and black, the farthest from the background);
- desk over the hips: the same desk reaching back past the hips.

Question 1: for each of profile_limits.KNEE_RULES (which knees metrics.thigh_deg counts), the
share of standing renders the judge takes for standing (judge.is_standing) and the share of
sitting ones (seated, slumped, reclined) it wrongly takes for standing. The truth is the render's
``posture.sitting``: a standing scene's slump is standing. A render where nobody is found is not
taken for standing.

Question 2: standing and sitting renders judged with the shipped absolute limits under each knee
rule (the rule changes thigh_deg, hence only whether the standing limit applies; for sitting
renders, what a misread as standing costs): balanced accuracy of
"bad" against the truth, bad = a forward or slump variant whose true neck_deg rose at least
BAD_CHANGE_DEG above the scene's neutral, good = the neutral render (the rest left out); and the
AUC of slouch_deg and head_forward_deg on the same split. Nobody found counts as "not bad".
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from headwatch.app.assemble import absolute_limits
from headwatch.config.settings import Thresholds
from headwatch.evaluation.scoring import Confusion, auc
from headwatch.posture.judge import is_standing, judge
from headwatch.posture.metrics import MIN_VISIBILITY, measure
from headwatch.types import Landmark, Pose, PostureSample, State
from profile_limits import KNEE_RULES, thigh_with
from renders_accuracy import Record, detect_all, read_records

BAD_CHANGE_DEG = 10.0
CUT_MARGIN = 0.15  # how far above the knees or hips a cut runs, in trunk lengths (a joint's flesh)
DESK_ABOVE_HIP = 0.2  # the desk top's height above the hips, in trunk lengths
DESK_TOP = 0.08  # the desk top's thickness, in trunk lengths
DESK_FRONT_OF_HIP = 0.1  # where the desk starts, forward of the hip joints (trunk lengths)
DESK_BEHIND_HIP = 0.5  # ... and for the desk over the hips, behind them
DESK_COLOURS = ((200, 200, 205), (70, 95, 140), (35, 35, 40))  # BGR: light grey, wood, black


@dataclass(frozen=True)
class Render:
    root: Path
    record: Record
    sitting: bool
    keypoints: Mapping[str, tuple[float, float]]

    def point(self, *names: str) -> np.ndarray:
        """The mean image position of the named keypoints."""
        return np.asarray(np.asarray([self.keypoints[n] for n in names], dtype=np.float64).mean(axis=0))

    def trunk_px(self) -> float:
        shoulders, hips = self.point("left_shoulder", "right_shoulder"), self.point("left_hip", "right_hip")
        return float(np.linalg.norm(shoulders - hips))


def side_renders(root: Path) -> list[Render]:
    raw = {r["file"]: r for r in json.loads((root / "truth.json").read_text(encoding="utf-8"))["renders"]}
    if any("keypoints_xy" not in r for r in raw.values()):
        sys.exit(f"{root}: truth.json has no keypoints_xy; render it again with tools/synth_render.py --kind varied")
    return [Render(root, r, bool(raw[r.file]["posture"]["sitting"]),
                   {k: (float(v[0]), float(v[1])) for k, v in raw[r.file]["keypoints_xy"].items()})
            for r in read_records(root) if r.view == "side"]


# -- conditions: a picture made from a render, or None where the condition does not apply ----------

Maker = Callable[[np.ndarray, Render], np.ndarray | None]


def cut_above(*marks: str) -> Maker:
    """Cut off the rows from a little above the highest of ``marks`` down (nothing when they are
    already below the picture)."""
    def make(image: np.ndarray, render: Render) -> np.ndarray | None:
        cut = int(min(render.keypoints[m][1] for m in marks) - CUT_MARGIN * render.trunk_px())
        return image[:max(cut, 1)] if cut < image.shape[0] else image

    return make


def desk(behind_hip: float) -> Maker:
    """A desk painted over a sitting person's legs: from DESK_ABOVE_HIP above the hips to the
    bottom, from ``behind_hip`` trunk lengths behind the hip joints (negative: in front) to the
    edge the thighs point at."""
    def make(image: np.ndarray, render: Render) -> np.ndarray | None:
        if not render.sitting:
            return None
        hip, knee = render.point("left_hip", "right_hip"), render.point("left_knee", "right_knee")
        trunk = render.trunk_px()
        facing = 1.0 if knee[0] > hip[0] else -1.0
        start = int(hip[0] - facing * behind_hip * trunk)
        top = max(int(min(render.keypoints["left_hip"][1], render.keypoints["right_hip"][1])
                      - DESK_ABOVE_HIP * trunk), 0)
        columns = slice(max(start, 0), None) if facing > 0 else slice(0, max(start, 0))
        background = image[0, 0].astype(float)
        colour = max(DESK_COLOURS, key=lambda c: float(np.abs(np.subtract(c, background)).sum()))
        out = image.copy()
        out[top:, columns] = colour
        out[top:top + max(int(DESK_TOP * trunk), 2), columns] = np.clip(np.add(colour, 40), 0, 255)  # the top's edge
        return out

    return make


CONDITIONS: Mapping[str, Maker | None] = {
    "as made": None,
    "knees out": cut_above("left_knee", "right_knee"),
    "hips out": cut_above("left_hip", "right_hip"),
    "desk": desk(-DESK_FRONT_OF_HIP),
    "desk over the hips": desk(DESK_BEHIND_HIP),
}


@dataclass(frozen=True)
class Seen:
    render: Render
    pose: Pose | None
    sample: PostureSample | None
    size: tuple[int, int]  # the picture's width, height

    def inside(self, name: str) -> bool:
        """Whether the true keypoint lies inside the picture."""
        x, y = self.render.keypoints[name]
        return 0 <= x < self.size[0] and 0 <= y < self.size[1]

    def with_rule(self, rule: str) -> PostureSample | None:
        """The sample with thigh_deg worked out under a knee rule (None: nobody, or no profile)."""
        if self.sample is None or self.pose is None or self.sample.view is None:
            return None
        return replace(self.sample, thigh_deg=thigh_with(self.pose, KNEE_RULES[rule]))

    def standing(self, rule: str) -> bool:
        sample = self.with_rule(rule)
        return sample is not None and is_standing(sample)


def condition_renders(name: str, renders: Sequence[Render], model: str) -> list[Seen]:
    """The renders in one condition, made and measured (landmarks cached)."""
    maker = CONDITIONS[name]
    out: list[Seen] = []
    for root in dict.fromkeys(r.root for r in renders):
        mine = [r for r in renders if r.root == root]
        folder = root if maker is None else root / "standing_bench" / name.replace(" ", "_")
        chosen: list[tuple[Render, tuple[int, int]]] = []
        for render in mine:
            image = cv2.imread(str(root / render.record.file))
            if image is None:
                sys.exit(f"{root / render.record.file}: cannot read the render")
            made = image if maker is None else maker(image, render)
            if made is None:
                continue
            if maker is not None:  # written anew each run (PNG is deterministic: the landmark cache holds)
                folder.mkdir(parents=True, exist_ok=True)
                cv2.imwrite(str(folder / render.record.file), made)
            chosen.append((render, (made.shape[1], made.shape[0])))
        poses = detect_all(folder, [r.record for r, _ in chosen], model)
        for render, size in chosen:
            pose = poses[render.record.file]
            out.append(Seen(render, pose, None if pose is None else measure(pose), size))
    return out


# -- reports --------------------------------------------------------------------------------------


def knee_line(seen: Sequence[Seen]) -> str:
    """Where the true knees are, and where MediaPipe puts them, for one group of renders."""
    n = len(seen)
    true_in = sum(s.inside("left_knee") or s.inside("right_knee") for s in seen)
    hips_in = sum(s.inside("left_hip") and s.inside("right_hip") for s in seen)
    drawn_in = visible = 0
    for s in seen:
        if s.pose is None:
            continue
        knees = (Landmark.LEFT_KNEE, Landmark.RIGHT_KNEE)
        drawn_in += any(0 <= s.pose.image_xy[k][0] < s.pose.width and 0 <= s.pose.image_xy[k][1] < s.pose.height
                        for k in knees)
        visible += any(s.pose.visibility[k] >= MIN_VISIBILITY for k in knees)
    found = sum(s.pose is not None for s in seen)
    return (f"n {n}, person found {found}; true knee in picture {true_in}, both true hips in picture {hips_in}; "
            f"landmark knee drawn in picture {drawn_in}, knee visibility >= {MIN_VISIBILITY} {visible}")


def taken(seen: Sequence[Seen], rule: str, width: int = 17) -> str:
    """How many of ``seen`` the judge takes for standing under ``rule``."""
    part, whole = sum(s.standing(rule) for s in seen), len(seen)
    text = f"{part:4d}/{whole:<4d} {part / whole:6.1%}" if whole else "-"
    return f"{text:>{width}s}"


def of_kind(seen: Sequence[Seen], kind: str) -> list[Seen]:
    return [s for s in seen if s.render.record.kind == kind]


def standing_table(by_condition: Mapping[str, Sequence[Seen]]) -> list[str]:
    lines = ["Q1: taken for standing (judge.is_standing with the rule's thigh_deg), side renders; "
             "standing = posture.sitting false (its slump variant has kind 'slumped')",
             f"{'condition':20s} {'knee rule':26s} {'standing recognised':>19s} {'kind standing':>17s}"
             f" {'standing slump':>17s}   {'sitting taken for standing':>26s} {'seated':>17s} {'slumped':>17s}"
             f" {'reclined':>17s}"]
    for condition, seen in by_condition.items():
        standing = [s for s in seen if not s.render.sitting]
        sitting = [s for s in seen if s.render.sitting]
        for rule in KNEE_RULES:
            columns = [taken(standing, rule, 19), taken(of_kind(standing, "standing"), rule),
                       taken(of_kind(standing, "slumped"), rule) + "  ", taken(sitting, rule, 26),
                       *(taken(of_kind(sitting, kind), rule) for kind in ("seated", "slumped", "reclined"))]
            lines.append(f"{condition:20s} {rule:26s} " + " ".join(columns))
    lines += ["", "knees per condition (true = the mesh's keypoint; landmark = MediaPipe's)"]
    for condition, seen in by_condition.items():
        for label, sits in (("standing", False), ("sitting", True)):
            group = [s for s in seen if s.render.sitting is sits]
            if group:
                lines.append(f"  {condition:20s} {label:9s} {knee_line(group)}")
    return lines


Feature = Callable[[Seen], float]


def camera_height(s: Seen) -> float:
    return s.render.record.truth["camera_height_m"]


def knee_above_bottom(s: Seen) -> float:
    """The higher true knee's height above the picture's bottom edge, in picture heights (< 0: below it)."""
    return (s.size[1] - min(s.render.keypoints["left_knee"][1], s.render.keypoints["right_knee"][1])) / s.size[1]


def trunk_share(s: Seen) -> float:
    """The person's size in the picture: the true trunk's length in picture heights."""
    return s.render.trunk_px() / s.size[1]


# (label, feature of a render, bin edges) for the standing renders' breakdown
BREAKDOWN: tuple[tuple[str, Feature, tuple[float, ...]], ...] = (
    ("camera above the ears, m", camera_height, (-9.0, -0.3, 0.0, 0.3, 9.0)),
    ("higher knee above bottom edge", knee_above_bottom, (-9.0, 0.0, 0.1, 0.2, 9.0)),
    ("trunk length / picture height", trunk_share, (0.0, 0.25, 0.35, 9.0)),
)


def breakdown_table(seen: Sequence[Seen], condition: str) -> list[str]:
    """Standing renders recognised as standing, by camera height, knee position and the person's size."""
    lines = ["", f"standing renders ({condition}) recognised as standing, by camera, knee position and size",
             f"{'group':42s} " + " ".join(f"{rule[:24]:>24s}" for rule in KNEE_RULES)]
    standing = [s for s in seen if not s.render.sitting]
    for label, feature, edges in BREAKDOWN:
        for low, high in itertools.pairwise(edges):
            group = [s for s in standing if low <= feature(s) < high]
            if not group:
                continue
            bounds = f"{low:+.2f}..{high:+.2f}".replace("-9.00", "").replace("+9.00", "")
            lines.append(f"{label + ' ' + bounds:42s} " + " ".join(taken(group, r, 24) for r in KNEE_RULES))
    return lines


def truth_bad(seen: Seen, neutral_neck: Mapping[str, float]) -> bool | None:
    """True: a forward/slump variant whose neck rose BAD_CHANGE_DEG; False: the neutral; None: left out."""
    record = seen.render.record
    if record.variant == "neutral":
        return False
    change = record.truth["neck_deg"] - neutral_neck[record.neutral]
    return True if record.variant in ("forward", "slump") and change >= BAD_CHANGE_DEG else None


def judged_bad(sample: PostureSample | None) -> bool:
    return sample is not None and judge(sample, SHIPPED).state is State.BAD


SHIPPED = absolute_limits(Thresholds())


def judge_table(by_condition: Mapping[str, Sequence[Seen]]) -> list[str]:
    lines = ["", f"Q2: side renders judged with the shipped absolute limits; bad = forward/slump with "
             f"true neck change >= {BAD_CHANGE_DEG:.0f} deg, good = neutral; a knee rule moves only "
             "which frames take the standing limit, so for sitting renders it prices a misread",
             f"{'condition':20s} {'stance':8s} {'knee rule':28s} {'good':>5s} {'bad':>5s} {'BA':>6s} {'sens':>6s}"
             f" {'spec':>6s} {'standing limit used':>20s}"]
    aucs = []
    for condition, seen in by_condition.items():
        neutral_neck = {s.render.record.file: s.render.record.truth["neck_deg"] for s in seen}
        for stance, sitting in (("standing", False), ("sitting", True)):
            labelled = [(s, bad) for s in seen if s.render.sitting is sitting
                        and (bad := truth_bad(s, neutral_neck)) is not None]
            if not labelled:
                continue
            good_n = sum(not bad for _, bad in labelled)
            left_out = sum(s.render.sitting is sitting for s in seen) - len(labelled)
            lines.append(f"{condition:20s} {stance:8s} ({left_out} renders left out: raises, reclines, and changes "
                         f"under {BAD_CHANGE_DEG:.0f} deg)")
            for rule in KNEE_RULES:
                confusion = Confusion.of([(bad, judged_bad(s.with_rule(rule))) for s, bad in labelled])
                used = sum(s.standing(rule) for s, _ in labelled)
                lines.append(f"{condition:20s} {stance:8s} {rule:28s} {good_n:5d} {len(labelled) - good_n:5d} "
                             f"{fmt(confusion.balanced_accuracy)} {fmt(confusion.sensitivity)} "
                             f"{fmt(confusion.specificity)} {used:4d}/{len(labelled):<4d} {used / len(labelled):6.1%}")
            for metric in ("slouch_deg", "head_forward_deg"):
                values: tuple[list[float], list[float]] = ([], [])
                for s, bad in labelled:
                    value = None if s.sample is None or s.sample.view is None else getattr(s.sample, metric)
                    if value is not None:
                        values[bad].append(float(value))
                aucs.append(f"{condition:20s} {stance:8s} {metric:18s} AUC {fmt(auc(*values))}  "
                            f"(good {len(values[0])}, bad {len(values[1])} with the metric)")
    return [*lines, "", *aucs]


def fmt(value: float | None) -> str:
    return f"{'-':>6s}" if value is None else f"{value:6.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("renders", type=Path, nargs="+", help="folders written by tools/synth_render.py --kind varied")
    parser.add_argument("--model", default="full")
    args = parser.parse_args()
    renders = [r for root in args.renders for r in side_renders(root)]
    by_condition = {name: condition_renders(name, renders, args.model) for name in CONDITIONS}
    print(f"{len(renders)} side renders from {len(args.renders)} folder(s): "
          f"{sum(not r.sitting for r in renders)} standing, {sum(r.sitting for r in renders)} sitting, "
          f"{len({(r.root, r.record.scene) for r in renders})} scenes (one body each)\n")
    print("\n".join(standing_table(by_condition) + breakdown_table(by_condition["as made"], "as made")
                    + breakdown_table(by_condition["knees out"], "knees out") + judge_table(by_condition)))


if __name__ == "__main__":
    main()
