"""How often the default judgement is right on labelled photos, and what it alerts on a video.

    python bench/judgement.py ../shared/data [--model full]

Single frames of side-standing-labeled (good/poor) and front-webcam-labeled
(*/notSlouching, */isSlouching): the share with a person found, and the sensitivity,
specificity and balanced accuracy of the default verdict (a frame with nobody found, or not
judged, counts as "not bad": that is what the monitor would do). Then the alerts on
side-seated-video/sample_left.mp4 with bad_for_s = 5 (slouched 0-13.5 s, upright 16.5-31 s).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2

from headwatch.app.assemble import DEFAULT_LIMITS
from headwatch.app.pipeline import measure_frames
from headwatch.evaluation.scoring import Confusion
from headwatch.posture.judge import judge
from headwatch.posture.metrics import measure
from headwatch.timeline.alerts import AlertEngine, AlertSettings
from headwatch.timeline.replay import replay_alerts
from headwatch.types import State
from headwatch.vision.pose import PoseEstimator
from headwatch.vision.sources import VideoFileReader, sample_video

SETS = {
    "side-standing-labeled": {"good": False, "poor": True},
    "front-webcam-labeled": {"notSlouching": False, "isSlouching": True},
}


def labelled_images(root: Path, labels: dict[str, bool]) -> list[tuple[Path, bool]]:
    return [(p, labels[p.parent.name]) for p in sorted(root.rglob("*"))
            if p.suffix.lower() in (".jpg", ".png") and p.parent.name in labels]


def score_set(root: Path, labels: dict[str, bool], model: str) -> None:
    pairs, found, judged = [], 0, 0
    with PoseEstimator(model, mode="image") as estimator:
        for path, is_bad in labelled_images(root, labels):
            pose = estimator.detect(cv2.imread(str(path)))
            found += pose is not None
            verdict = judge(measure(pose) if pose is not None else None, DEFAULT_LIMITS)
            judged += verdict.state in (State.OK, State.BAD)
            pairs.append((is_bad, verdict.state is State.BAD))
    c = Confusion.of(pairs)
    print(f"{root.name} ({model}): {len(pairs)} frames, person found {found / len(pairs):.1%}, "
          f"judged {judged / len(pairs):.1%}")
    print(f"    confusion: bad caught {c.true_bad}, bad missed {c.false_good}, "
          f"good flagged {c.false_bad}, good passed {c.true_good}")
    print(f"    sensitivity {c.sensitivity:.3f}  specificity {c.specificity:.3f}  "
          f"balanced accuracy {c.balanced_accuracy:.3f}")


def video_alerts(path: Path, model: str) -> None:
    with VideoFileReader(path) as reader, PoseEstimator(model, mode="video") as estimator:
        info = reader.info
        records = list(measure_frames(sample_video(reader, 5.0), estimator, str(path), DEFAULT_LIMITS))
    alerts, _ = replay_alerts(records, AlertEngine(AlertSettings(bad_for_s=5.0)), end_s=info.duration_s)
    bad = sum(r.verdict.state is State.BAD for r in records)
    print(f"{path.name} ({model}, bad_for_s=5): bad in {bad / len(records):.0%} of {len(records)} frames; alerts:")
    for alert in alerts:
        print(f"    fired {alert.start_s:.1f} s, recovered {alert.end_s:.1f} s, {', '.join(alert.reasons)}")
    for lo, hi, name in ((0.0, 13.5, "slouched"), (16.5, 31.0, "upright")):
        span = [r for r in records if lo <= r.t_s < hi and r.verdict.state in (State.OK, State.BAD)]
        share = sum(r.verdict.state is State.BAD for r in span) / max(len(span), 1)
        print(f"    {name} span {lo}-{hi} s: judged bad in {share:.0%} of frames")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", type=Path, help="the development data folder (../shared/data)")
    parser.add_argument("--model", default="full")
    args = parser.parse_args()
    for name, labels in SETS.items():
        score_set(args.data / name, labels, args.model)
    video_alerts(args.data / "side-seated-video" / "sample_left.mp4", args.model)


if __name__ == "__main__":
    main()
