"""What one look that runs the pose model costs, and what cheaper looks would change.

    python bench/look_cost.py ../shared/data [--repeat 3]

The looks of a session at a desk, as the monitor makes them (video mode, a second apart): the
photo series of the development data's people at desks (front-webcam-desk personA, personA-test,
personB; side-desk-typing BAS and CWK), each photo one look. Each variant runs over the same looks
and prints its CPU ms per look (process time, the median of ``--repeat`` passes) against the
current estimator measured in the same run, and how often its verdict (absolute limits) is the
current one's:

- current: the full model, two poses asked for (MediaPipe then detects on every look)
- one pose: the full model asked for one (MediaPipe then tracks from the previous look)
- lite: the lite model, two poses
- crop: the full model on a crop around the person found by the first look (CROP_MARGIN times
  their box), as a region of interest would do: MediaPipe's pose landmarker refuses one
  ("This task doesn't support region-of-interest")
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from headwatch.app.assemble import DEFAULT_LIMITS
from headwatch.posture.judge import judge
from headwatch.posture.metrics import measure
from headwatch.types import IMAGE_SUFFIXES, Pose, State
from headwatch.vision import pose as pose_module
from headwatch.vision.pose import PoseEstimator, crop_around
from headwatch.vision.sources import read_image

SERIES = ("front-webcam-desk/personA/good", "front-webcam-desk/personA-test/good", "front-webcam-desk/personB/good",
          "side-desk-typing/BAS/good", "side-desk-typing/CWK/good")
Detect = Callable[[np.ndarray, float], Pose | None]


def looks(root: Path) -> list[list[np.ndarray]]:
    series = []
    for folder in SERIES:
        paths = sorted((p for p in (root / folder).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES),
                       key=lambda p: (len(p.stem), p.stem))
        series.append([read_image(p).image for p in paths])
    return series


def estimator(model: str, poses: int) -> PoseEstimator:
    saved = pose_module.MAX_PEOPLE
    pose_module.MAX_PEOPLE = poses
    try:
        return PoseEstimator(model, mode="video")
    finally:
        pose_module.MAX_PEOPLE = saved


def run(make: Callable[[], PoseEstimator], series: list[list[np.ndarray]], crop: bool = False,
        ) -> tuple[float, list[State]]:
    """CPU ms per look, and every look's verdict."""
    states, cpu, count = [], 0.0, 0
    for frames in series:
        with make() as detector:
            box = None
            if crop:
                first = detector.detect(frames[0], 0.0)
                box = crop_around(first.bbox(), frames[0].shape[1], frames[0].shape[0]) if first else None
            for i, frame in enumerate(frames):
                x0, y0, x1, y1 = box if box is not None else (0, 0, frame.shape[1], frame.shape[0])
                image = np.ascontiguousarray(frame[y0:y1, x0:x1]) if box is not None else frame
                started = time.process_time()
                found = detector.detect(image, 1.0 + i)
                cpu += time.process_time() - started
                count += 1
                states.append(judge(measure(found) if found is not None else None, DEFAULT_LIMITS).state)
    return 1000.0 * cpu / count, states


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", type=Path, help="the development data folder (../shared/data)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    series = looks(args.data)
    variants: dict[str, tuple[Callable[[], PoseEstimator], bool]] = {
        "current (full, two poses)": (lambda: estimator("full", 2), False),
        "one pose (full, tracked)": (lambda: estimator("full", 1), False),
        "lite (two poses)": (lambda: estimator("lite", 2), False),
        "crop around the person (full)": (lambda: estimator("full", 2), True),
    }
    costs: dict[str, list[float]] = {name: [] for name in variants}
    verdicts: dict[str, list[State]] = {}
    for _ in range(args.repeat):  # interleaved, so that a busy moment of the machine hits every variant
        for name, (make, crop) in variants.items():
            ms, states = run(make, series, crop)
            costs[name].append(ms)
            verdicts[name] = states
    current = next(iter(variants))
    base = statistics.median(costs[current])
    print(f"{sum(len(s) for s in series)} looks over {len(series)} photo series")
    for name in variants:
        ms = statistics.median(costs[name])
        same = sum(a == b for a, b in zip(verdicts[name], verdicts[current], strict=True))
        print(f"{name:30s} {ms:5.1f} CPU ms a look (x{ms / base:.2f}); the current verdict on "
              f"{same} of {len(verdicts[name])} looks ({same / len(verdicts[name]):.1%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
