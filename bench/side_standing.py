"""Detection rate, AUC of each head-forward metric, and speed, on a good/poor labelled photo set.

    python bench/side_standing.py ../shared/data/side-standing-labeled [--models lite,full]

Prints one block per model variant and a ratio of its per-frame time against the first
variant, measured in the same run (absolute times on a shared machine are noise).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import cv2

from headwatch.evaluation.scoring import auc
from headwatch.posture.metrics import measure
from headwatch.vision.pose import PoseEstimator

HEAD_FORWARD_METRICS = ("neck_inclination_deg", "neck_angle_3d_deg", "head_forward_deg", "head_pitch_deg")


def run(data: Path, model: str, refine: bool) -> dict[str, object]:
    values: dict[str, dict[str, list[float]]] = {m: {"good": [], "poor": []} for m in HEAD_FORWARD_METRICS}
    found = total = 0
    seconds = 0.0
    views: dict[str, int] = {}
    with PoseEstimator(model, mode="image", refine_small=refine) as estimator:
        for label in ("good", "poor"):
            for path in sorted((data / label).iterdir()):
                image = cv2.imread(str(path))
                if image is None:
                    continue
                total += 1
                start = time.perf_counter()
                pose = estimator.detect(image)
                seconds += time.perf_counter() - start
                if pose is None:
                    continue
                found += 1
                sample = measure(pose)
                views[str(sample.view)] = views.get(str(sample.view), 0) + 1
                for metric in HEAD_FORWARD_METRICS:
                    value = getattr(sample, metric)
                    if value is not None:
                        values[metric][label].append(value)
    return {
        "found": found / total,
        "ms": 1000.0 * seconds / total,
        "views": views,
        "auc": {m: auc(v["good"], v["poor"]) for m, v in values.items()},
        "n": {m: len(v["good"]) + len(v["poor"]) for m, v in values.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", type=Path, help="folder with good/ and poor/ sub-folders of images")
    parser.add_argument("--models", default="lite,full")
    args = parser.parse_args()
    baseline_ms = None
    for model in args.models.split(","):
        for refine in (False, True):
            result = run(args.data, model, refine)
            ms = float(result["ms"])  # type: ignore[arg-type]
            baseline_ms = baseline_ms or ms
            print(f"model={model} refine_small={refine}: person found {result['found']:.1%}, "
                  f"{ms:.1f} ms/frame (x{ms / baseline_ms:.2f} of the first row), views {result['views']}")
            for metric, value in result["auc"].items():  # type: ignore[attr-defined]
                shown = "n/a" if value is None else f"{value:.3f}"
                print(f"    AUC {metric:22s} {shown}  (n={result['n'][metric]})")  # type: ignore[index]


if __name__ == "__main__":
    main()
