"""Speed and memory of `headwatch analyze`, each against a baseline measured in the same run.

    python bench/speed.py [--long-minutes 10] [--only overhead,long,jobs,startup,memory]

Every figure is a whole process, timed with os.wait4 (wall, CPU and peak RSS of that process and
its children), on videos this script writes to a temporary folder from samples/demo_slouch.mp4
scaled to 1280x720 at 30 fps (MPEG-4 part 2, as cv2.VideoWriter writes it):

overhead  analyze --fps 30 --jobs 1 on a 10 s clip, the model on every frame (rest_when_still
          off), against a minimal loop over the same frames (decode every frame, convert to RGB,
          detect_for_video with one pose, then with two as analyze asks): floor / analyze, the
          goal on the second.
long      analyze with the default sampling on a LONG-minutes clip (the model resting on still
          pictures, as by default): times real time; beside it a
          loop that only grabs every frame (the decoding floor) and the same with the model on
          every 30th frame (1 fps) as floor for the default.
jobs      4 copies of a 3-minute clip: analyze --jobs 2 against --jobs 1: throughput ratio.
startup   `headwatch --help` and `config show` against `python -c pass`, and whether either
          imported mediapipe, cv2 or numpy.
memory    peak RSS of analyze on a 1-minute and a LONG-minute clip (ratio), and of a
          10000x10000 photo against a 1000x1000 one.

At the end one JSON line holds every figure with its goal and whether it was met, and the
package versions; the exit code is 1 when a goal was missed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import cv2

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "samples" / "demo_slouch.mp4"
FLOOR_LOOP = r"""
import sys, cv2, mediapipe as mp
from mediapipe.tasks.python import vision
from mediapipe.tasks.python.core.base_options import BaseOptions
from headwatch.vision.models import load_model
path, every, people = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
options = vision.PoseLandmarkerOptions(base_options=BaseOptions(model_asset_buffer=load_model("full").data),
                                       running_mode=vision.RunningMode.VIDEO, num_poses=people)
landmarker = vision.PoseLandmarker.create_from_options(options) if every else None
capture = cv2.VideoCapture(path)
fps = capture.get(cv2.CAP_PROP_FPS)
index = 0
while capture.grab():
    if every and index % every == 0:
        ok, frame = capture.retrieve()
        rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        landmarker.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb), round(index * 1000 / fps))
    index += 1
if landmarker:
    landmarker.close()
"""


@dataclass(frozen=True)
class Run:
    wall_s: float
    cpu_s: float
    peak_mb: float


def run(args: list[str], env: dict[str, str] | None = None) -> Run:
    """One whole process: wall time, CPU time and peak RSS (its own, children included)."""
    started = time.monotonic()
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env={**os.environ, **env} if env else None)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.monotonic() - started
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"{args}: exited with {status}")
    scale = 1024.0 if sys.platform != "darwin" else 1024.0 * 1024.0  # ru_maxrss: KB on Linux, bytes on macOS
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / scale)


def headwatch(*args: str) -> list[str]:
    return [sys.executable, "-m", "headwatch", *args]


def write_clip(path: Path, seconds: float) -> Path:
    """SOURCE looped to ``seconds`` at 1280x720, 30 fps, written by a child process: on Linux a
    child inherits its parent's peak RSS, which would otherwise show in every figure after."""
    subprocess.run([sys.executable, __file__, "--write-clip", str(path), str(seconds)], check=True)
    return path


def _write_clip(path: Path, seconds: float, size: tuple[int, int] = (1280, 720), fps: float = 30.0) -> Path:
    frames = []
    capture = cv2.VideoCapture(str(SOURCE))
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(cv2.resize(frame, size))
    capture.release()
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    for i in range(round(seconds * fps)):
        cycle = i % (2 * len(frames) - 2)  # forwards then backwards: no jump at the seam
        writer.write(frames[cycle if cycle < len(frames) else 2 * len(frames) - 2 - cycle])
    writer.release()
    return path


EVERY_LOOK = {"HEADWATCH_CAPTURE_REST_WHEN_STILL": "false"}

# Every figure with its goal, for the JSON line at the end.
FIGURES: list[dict[str, object]] = []


def figure(name: str, value: float, goal: str, met: bool | None) -> None:
    """Keep a figure; ``met`` None: no goal."""
    FIGURES.append({"name": name, "value": round(value, 4), "goal": goal, "met": met})


def versions() -> dict[str, str]:
    from importlib.metadata import version

    return {"python": platform.python_version(), "machine": platform.machine(), "cores": str(os.cpu_count()),
            **{name: version(name) for name in ("mediapipe", "opencv-contrib-python", "numpy")}}


def overhead(tmp: Path) -> None:
    clip = write_clip(tmp / "ten.mp4", 10.0)
    floor = run([sys.executable, "-c", FLOOR_LOOP, str(clip), "1", "1"])
    floor2 = run([sys.executable, "-c", FLOOR_LOOP, str(clip), "1", "2"])
    # Like for like: the model on every frame, as the loop (the demo holds still for most of its
    # minute, and analyze would rest the model there: vision/stillness.py).
    analyze = run(headwatch("analyze", str(clip), "--fps", "30", "--jobs", "1"), EVERY_LOOK)
    print(f"overhead  10 s 720p30, every frame: analyze {analyze.wall_s:.1f} s (CPU {analyze.cpu_s:.1f} s); floor loop "
          f"num_poses=1 {floor.wall_s:.1f} s -> ratio {floor.wall_s / analyze.wall_s:.2f} (goal >= 0.9); floor loop "
          f"num_poses=2 as analyze asks {floor2.wall_s:.1f} s -> ratio {floor2.wall_s / analyze.wall_s:.2f}")
    # The goal compares like with like: the loop asking for two poses, as analyze does.
    figure("overhead floor/analyze", floor2.wall_s / analyze.wall_s, ">= 0.9", floor2.wall_s / analyze.wall_s >= 0.9)


def long_clip(tmp: Path, minutes: float) -> None:
    clip = write_clip(tmp / "long.mp4", minutes * 60.0)
    grab = run([sys.executable, "-c", FLOOR_LOOP, str(clip), "0", "1"])
    floor = run([sys.executable, "-c", FLOOR_LOOP, str(clip), "30", "2"])
    analyze = run(headwatch("analyze", str(clip), "--jobs", "1"))
    seconds = minutes * 60.0
    print(f"long      {minutes:g} min 720p30, default sampling: analyze {analyze.wall_s:.1f} s = "
          f"{seconds / analyze.wall_s:.1f}x real time (CPU {analyze.cpu_s:.1f} s); grabbing every frame alone "
          f"{grab.wall_s:.1f} s = {seconds / grab.wall_s:.1f}x; floor loop at 1 fps {floor.wall_s:.1f} s = "
          f"{seconds / floor.wall_s:.1f}x -> analyze/floor {floor.wall_s / analyze.wall_s:.2f} (goal 15x real time)")
    figure("long times real time", seconds / analyze.wall_s, ">= 15", seconds / analyze.wall_s >= 15.0)


def jobs(tmp: Path) -> None:
    clip = write_clip(tmp / "three-minutes.mp4", 180.0)
    folder = tmp / "four"
    folder.mkdir()
    for i in range(4):
        (folder / f"clip{i}.mp4").write_bytes(clip.read_bytes())
    one = run(headwatch("analyze", str(folder), "--jobs", "1"))
    two = run(headwatch("analyze", str(folder), "--jobs", "2"))
    print(f"jobs      4 files of 3 min 720p30: --jobs 1 {one.wall_s:.1f} s (CPU {one.cpu_s:.1f} s), --jobs 2 "
          f"{two.wall_s:.1f} s (CPU {two.cpu_s:.1f} s) -> "
          f"{one.wall_s / two.wall_s:.2f}x throughput (goal >= 1.7 on 2 cores; {os.cpu_count()} cores here)")
    figure("jobs 2 throughput", one.wall_s / two.wall_s, ">= 1.7", one.wall_s / two.wall_s >= 1.7)


def startup() -> None:
    def best(args: list[str]) -> float:
        return min(run(args).wall_s for _ in range(5))

    bare = best([sys.executable, "-c", "pass"])
    probe = ("import sys, runpy; sys.argv = ['headwatch', *sys.argv[1:]]\n"
             "try: runpy.run_module('headwatch', run_name='__main__')\n"
             "except SystemExit: pass\n"
             "heavy = sorted(m for m in ('mediapipe', 'cv2', 'numpy', 'matplotlib') if m in sys.modules)\n"
             "sys.stderr.write(','.join(heavy) or 'none')")
    for args in (["--help"], ["config", "show"]):
        took = best(headwatch(*args))
        imported = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True).stderr
        print(f"startup   headwatch {' '.join(args)}: {took:.3f} s, {took / bare:.1f}x `python -c pass` "
              f"({bare:.3f} s); heavy modules imported: {imported.strip().splitlines()[-1]} (goal <= 0.3 s)")
        figure(f"startup {' '.join(args)} s", took, "<= 0.3", took <= 0.3)


def memory(tmp: Path, minutes: float) -> None:
    short = write_clip(tmp / "one-minute.mp4", 60.0)
    long_path = tmp / "long.mp4"
    if not long_path.exists():
        write_clip(long_path, minutes * 60.0)
    a = run(headwatch("analyze", str(short), "--jobs", "1"))
    b = run(headwatch("analyze", str(long_path), "--jobs", "1"))
    print(f"memory    peak RSS after 1 min {a.peak_mb:.0f} MB, after {minutes:g} min {b.peak_mb:.0f} MB -> "
          f"{b.peak_mb / a.peak_mb:.2f} (goal within 10 %)")
    figure("memory long/short", b.peak_mb / a.peak_mb, "<= 1.1", b.peak_mb / a.peak_mb <= 1.1)
    for side in (1000, 10000):
        subprocess.run([sys.executable, "-c", "import sys, cv2, numpy as np; side = int(sys.argv[1]); "
                        "image = np.zeros((side, side, 3), np.uint8); "
                        "cv2.circle(image, (side // 2, side // 2), side // 3, (200, 180, 160), -1); "
                        "cv2.imwrite(sys.argv[2], image)", str(side), str(tmp / f"photo{side}.jpg")], check=True)
    small = run(headwatch("analyze", str(tmp / "photo1000.jpg")))
    huge = run(headwatch("analyze", str(tmp / "photo10000.jpg")))
    print(f"memory    photo 1000x1000 {small.peak_mb:.0f} MB, 10000x10000 {huge.peak_mb:.0f} MB -> "
          f"{huge.peak_mb / small.peak_mb:.2f}x")
    figure("memory photo 10000/1000", huge.peak_mb / small.peak_mb, "none", None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--long-minutes", type=float, default=10.0)
    parser.add_argument("--only", default="overhead,long,jobs,startup,memory")
    parser.add_argument("--write-clip", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.write_clip:
        _write_clip(Path(args.write_clip[0]), float(args.write_clip[1]))
        return 0
    wanted = set(args.only.split(","))
    print(f"{sys.platform}, {os.cpu_count()} cores, Python {sys.version.split()[0]}, OpenCV {cv2.__version__}")
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        if "startup" in wanted:
            startup()
        if "overhead" in wanted:
            overhead(tmp)
        if "jobs" in wanted:
            jobs(tmp)
        if "long" in wanted:
            long_clip(tmp, args.long_minutes)
        if "memory" in wanted:
            memory(tmp, args.long_minutes)
    missed = [f["name"] for f in FIGURES if f["met"] is False]
    print(json.dumps({"bench": "speed", "figures": FIGURES, "missed": missed, "versions": versions()}))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
