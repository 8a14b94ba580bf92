"""Short recordings through `headwatch analyze`: are their slumps alerted, and their upright spans quiet?

    python bench/short_clips.py ../shared/data [--layout short|first-minutes] [--bad-for S] [--keep DIR]

A recording shorter than the monitor's learning time (`learn_min`, 2 minutes) is what a user
hands `analyze` most often. Each clip here is 28.5 s at 5 frames a second: slumped 0-3.5 s and
10.5-15 s, upright in between and after, made from one development person's own frames (the
upright and slumped photos of a set-up, in the order they were taken, each held 0.2 s; for the
seated man his video's own frames). The clip is written as a real MP4 to a temporary folder
(never into the repository) and measured by the real command, `headwatch analyze CLIP --json`,
with `bad_for_s` set to 3 (a clip this short cannot hold the default 30; the first slump lasts
3.5 s, a little over it, as analyze samples a video once a second), three ways: the default (a
reference learned from the whole recording), `--replay` (as the monitor, learning forward: a
28.5 s clip stays on the absolute limits) and `--reference absolute`.

Printed per person and way: how many slumps were alerted (an alert on between `bad_for_s` into
the slump and 2 s after its end: a new one, or one still on from the slump before), alerts
starting in an upright span (more than 2 s after a slump's end), and the
seconds of upright span spent under an alert beyond `good_for_s` after a slump's end (an alert
that does not end while the person sits upright). One person behind each row, seven in all.

`--layout first-minutes` asks the same of a monitor's first minutes, while it still learns the
person's upright posture: a 118 s clip (shorter than `learn_min`), upright 0-35 s, slumped 35-55 s
and 75-95 s, with `bad_for_s` 10; `--replay` is the monitor's judgement (the default learns this
clip in hindsight too).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from scenarios import Footage, footage, photos

FPS = 5


@dataclass(frozen=True)
class Layout:
    length_s: float
    slumps: tuple[tuple[float, float], ...]
    bad_for_s: float
    title: str


LAYOUTS = {
    # the first slump a little over bad_for_s: analyze samples 1 a second
    "short": Layout(28.5, ((0.0, 3.5), (10.5, 15.0)), 3.0, "28.5 s clips, slumps at 0-3.5 s and 10.5-15 s"),
    "first-minutes": Layout(118.0, ((35.0, 55.0), (75.0, 95.0)), 10.0,
                            "118 s clips (a monitor's first minutes), slumps at 35-55 s and 75-95 s"),
}
ALERTED_WITHIN_S = 2.0  # after a slump's end: an alert this late still answers that slump
GOOD_FOR_S = 5.0  # the default alerts.good_for_s: an alert may take this long to end
WAYS = {"default": [], "--replay": ["--replay"], "absolute": ["--reference", "absolute"]}


def people(root: Path) -> list[Footage]:
    """The profile people, then the long-session bench's (the webcam people and the seated man)."""
    typing = root / "side-desk-typing"
    return [
        Footage("BAS", photos(typing / "BAS" / "good"), photos(typing / "BAS" / "tech_neck")),
        Footage("CWK", photos(typing / "CWK" / "good"), photos(typing / "CWK" / "tech_neck")),
        Footage("standing-man", photos(root / "side-standing-labeled" / "good"),
                photos(root / "side-standing-labeled" / "poor")),
        *footage(root),
    ]


def slumped_at(layout: Layout, t_s: float) -> bool:
    return any(start <= t_s < end for start, end in layout.slumps)


def write_clip(person: Footage, path: Path, layout: Layout) -> None:
    """The person's frames in the clip's schedule, each source in its own order, one size."""
    height, width = person.upright[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), FPS, (width, height))
    used = {True: 0, False: 0}
    for i in range(round(layout.length_s * FPS)):
        bad = slumped_at(layout, i / FPS)
        pool = person.slumped if bad else person.upright
        frame = pool[used[bad] % len(pool)]
        used[bad] += 1
        writer.write(np.asarray(cv2.resize(frame, (width, height))))
    writer.release()


def analyze(clip: Path, config: Path, way: Sequence[str], length_s: float) -> list[tuple[float, float]]:
    """The alerts (start, end) that `headwatch analyze` reports for the clip."""
    done = subprocess.run([sys.executable, "-m", "headwatch", "analyze", str(clip), "--json", "--config",
                           str(config), *way], capture_output=True, text=True, check=True)
    alerts = json.loads(done.stdout)["files"][0]["alerts"]
    return [(float(a["start_s"]), float(a.get("end_s") or length_s)) for a in alerts]


@dataclass(frozen=True)
class Outcome:
    alerted: tuple[bool, ...]  # per slump
    false_starts: int
    lingering_s: float


def score(alerts: Sequence[tuple[float, float]], layout: Layout, bad_for_s: float) -> Outcome:
    # A slump is answered when an alert is on between bad_for_s into it and a little after its
    # end: a new one, or one still on from the slump before (the user is being told either way).
    alerted = tuple(any(a_start <= end + ALERTED_WITHIN_S and a_end > start + bad_for_s for a_start, a_end in alerts)
                    for start, end in layout.slumps)
    false_starts = sum(1 for a_start, _ in alerts
                       if not any(start <= a_start <= end + ALERTED_WITHIN_S for start, end in layout.slumps))
    # Upright time under an alert, past the grace an alert needs to end after a slump.
    step = 1.0 / FPS
    lingering = 0.0
    for i in range(round(layout.length_s * FPS)):
        t = i / FPS
        grace = any(end <= t < end + GOOD_FOR_S + ALERTED_WITHIN_S for _, end in layout.slumps)
        if not slumped_at(layout, t) and not grace and any(a <= t < b for a, b in alerts):
            lingering += step
    return Outcome(alerted, false_starts, lingering)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", type=Path, help="the development data folder (../shared/data)")
    parser.add_argument("--layout", choices=sorted(LAYOUTS), default="short",
                        help="the clips' schedule (default short)")
    parser.add_argument("--bad-for", type=float, help="alerts.bad_for_s for the clips (default: the layout's, 3 or 10)")
    parser.add_argument("--keep", type=Path, help="write the clips here and keep them (default: a temporary folder)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        layout = LAYOUTS[args.layout]
        bad_for_s = layout.bad_for_s if args.bad_for is None else args.bad_for
        config = folder / "short.toml"
        config.write_text(f"[alerts]\nbad_for_s = {bad_for_s}\n")
        print(f"{layout.title}, {FPS} fps, bad_for_s {bad_for_s}; one person behind each row\n")
        print(f"{'person':22s} {'way':9s} {'slumps alerted':>15s} {'false starts':>13s} {'upright under alert':>20s}")
        totals = {way: [0, 0, 0, 0.0] for way in WAYS}
        for person in people(args.data):
            clip = folder / f"{person.person}.mp4"
            write_clip(person, clip, layout)
            for way, flags in WAYS.items():
                outcome = score(analyze(clip, config, flags, layout.length_s), layout, bad_for_s)
                total = totals[way]
                total[0] += sum(outcome.alerted)
                total[1] += len(outcome.alerted)
                total[2] += outcome.false_starts
                total[3] += outcome.lingering_s
                print(f"{person.person:22s} {way:9s} {sum(outcome.alerted):>11d} of {len(outcome.alerted)} "
                      f"{outcome.false_starts:>13d} {outcome.lingering_s:>18.1f} s")
        print()
        for way, (hit, slumps, false, lingering) in totals.items():
            print(f"{way:9s} slumps alerted {hit} of {slumps}, false starts {false}, "
                  f"upright under alert {lingering:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
