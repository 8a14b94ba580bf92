"""CPU use of the live monitor, paced in real time on a video file (no camera needed).

    python bench/monitor_cpu.py [VIDEO] [--seconds 60]

Without VIDEO it writes (to a temporary folder) a 60 s clip of a person sitting still and well:
Grace Hopper's portrait swaying ``--sway`` degrees (0.5 by default) with a little sensor noise. That
moves the picture as much as real people sitting at a desk move it: the thumbnail motion that
headwatch's still check measures (vision/stillness.py) between webcam photos taken a second apart
has a median of 0.08-0.14 thumbnail pixels for the three people of the development data, 0.13
for this clip; ``--sway 1.5`` (the clip before issue 21, a median of 0.33, past 85 % of those
people's seconds) shows what continuous movement costs. Runs the monitor loop on VIDEO at real-time pace
with the default settings, and again with the adaptive sampling switched off (always the full
rate) as the baseline measured in the same run; prints CPU seconds per wall second for each,
and their ratio. A posture that is stable and good is where the adaptive policy saves; a clip
full of bad posture keeps the full rate.

It also prints one JSON line (the figures, the package versions they were measured with, the
goal) and exits 1 when the default policy misses the goal (``--goal``, CPU seconds per wall
second; issue 21 asks for 0.03 with the full model).
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

import cv2
import matplotlib
import numpy as np

from headwatch.app.assemble import DEFAULT_LIMITS
from headwatch.app.monitor import Monitor
from headwatch.config.settings import Capture
from headwatch.posture.reference import FixedJudge
from headwatch.timeline.alerts import AlertEngine
from headwatch.timeline.sampling import SamplingPolicy
from headwatch.vision.pose import PoseEstimator
from headwatch.vision.sources import VideoFileReader
from headwatch.vision.stillness import StillGate, still_gate

ABSOLUTE = FixedJudge(DEFAULT_LIMITS, "absolute limits")


def cpu_per_wall(video: Path, policy: SamplingPolicy, seconds: float, model: str,
                 gate: StillGate | None = None) -> tuple[float, int, int]:
    """CPU seconds per wall second, looks, and looks that rested the model."""
    reader = VideoFileReader(video)
    with PoseEstimator(model, mode="video") as detector:
        loop = Monitor(reader, detector, ABSOLUTE, AlertEngine(), policy=policy, realtime=True,
                       duration_s=min(seconds, reader.info.duration_s), gate=gate)
        cpu0, wall0 = time.process_time(), time.monotonic()
        summary = loop.run()
        cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
    reader.close()
    return cpu / wall, summary.samples, summary.skipped


def steady_clip(folder: Path, sway_deg: float, seconds: int = 60, fps: int = 15) -> Path:
    photo = cv2.imread(str(Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"))
    photo = cv2.resize(photo, (320, 376))
    path = folder / "steady.mp4"
    noise = np.random.default_rng(0)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (320, 376))
    for i in range(seconds * fps):
        matrix = cv2.getRotationMatrix2D((160, 188), sway_deg * math.sin(i / fps), 1.0)
        frame = cv2.warpAffine(photo, matrix, (320, 376), borderMode=cv2.BORDER_REPLICATE)
        writer.write(np.clip(frame + noise.normal(0.0, 2.0, frame.shape), 0, 255).astype(np.uint8))
    writer.release()
    return path


def versions() -> dict[str, str]:
    """What the figures were measured with."""
    packages = {name: version(name) for name in ("mediapipe", "opencv-contrib-python", "numpy")}
    return {"python": platform.python_version(), "machine": platform.machine(), **packages}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("video", type=Path, nargs="?")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--model", default="full")
    parser.add_argument("--sway", type=float, default=0.5, help="degrees the made-up clip sways (without VIDEO)")
    parser.add_argument("--goal", type=float, default=0.03, help="CPU s per wall s the default policy must stay under")
    args = parser.parse_args()
    made_up = args.video is None
    if made_up:
        args.video = steady_clip(Path(tempfile.mkdtemp(prefix="headwatch-bench-")), args.sway)
    print(f"{args.video}, model {args.model}, up to {args.seconds:.0f} s at real-time pace")
    ten, n_ten, _ = cpu_per_wall(args.video, SamplingPolicy(fps=10.0, calm_fps=10.0), args.seconds, args.model)
    baseline, n_base, _ = cpu_per_wall(args.video, SamplingPolicy(fps=5.0, calm_fps=5.0), args.seconds, args.model)
    adaptive, n_adapt, _ = cpu_per_wall(args.video, SamplingPolicy(), args.seconds, args.model)
    resting, n_rest, n_rested = cpu_per_wall(args.video, SamplingPolicy(), args.seconds, args.model,
                                             still_gate(Capture().still_check_s))
    print(f"fixed 10 fps (what desktop monitors do): {ten:.3f} CPU s per wall s, {n_ten} looks")
    print(f"fixed 5 fps (baseline):                  {baseline:.3f} CPU s per wall s, {n_base} looks")
    print(f"adaptive, the model on every look:       {adaptive:.3f} CPU s per wall s, {n_adapt} looks")
    print(f"default (adaptive, model rests if still): {resting:.3f} CPU s per wall s, {n_rest} looks, "
          f"{n_rest - n_rested} ran the model (x{resting / baseline:.2f} of 5 fps, x{resting / ten:.2f} of 10 fps, "
          f"x{resting / adaptive:.2f} of adaptive; goal <= {args.goal:g})")
    met = resting <= args.goal
    print(json.dumps({"bench": "monitor_cpu", "model": args.model, "seconds": args.seconds,
                      "clip": f"made-up, sway {args.sway:g} deg" if made_up else str(args.video),
                      "cpu_per_wall": {"fixed_10fps": round(ten, 4), "fixed_5fps": round(baseline, 4),
                                       "adaptive": round(adaptive, 4), "default": round(resting, 4)},
                      "looks": {"fixed_10fps": n_ten, "fixed_5fps": n_base, "adaptive": n_adapt,
                                "default": n_rest, "default_model_runs": n_rest - n_rested},
                      "goal": args.goal, "met": met, "versions": versions()}))
    if not met:
        print(f"goal missed: {resting:.3f} > {args.goal:g} CPU s per wall s", file=sys.stderr)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
