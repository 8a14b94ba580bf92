"""Long sessions built from the development footage, through what a real desk does to a camera.

    python bench/scenarios.py ../shared/data [--minutes 3] [--only desk-A]

Each session loops a person's upright footage (photos in the order they were taken, or the
upright stretch of the seated video), changes the set-up part-way, and then slumps (the person's
own "bad" footage) and sits up again. Every look runs the real pipeline at analyze's rate (1 a
second): the full pose model, the background camera tracker, the monitor's own learning judge and
alert engine, with the default settings (the reference learns over the first 2 minutes).

Set-up changes: the camera tilts (the picture moves down 12 % and zooms out 10 %, as a nudged lid
or webcam does) or zooms; the lid tips back (up 8 %, 5 % closer); the light halves; the image
drifts as a hand-held camera would; the seat is lowered (the person, not the room, 6 % lower:
done on the landmarks, as the footage cannot move the person without the room); somebody else
sits down after the first person leaves. Camera moves are made on the pixels, so the tracker
sees them as it would.

Printed per person and scenario: bad-posture alerts while upright (and per hour of upright
time), whether the slump after the change alerted, and how long after the change the set-up
change was noticed (a setup_changed event), the reference had been learned again (noticed, and
the learner no longer re-learning) and the verdicts settled (from then on every minute under
20 % bad; a person whose upright footage reads bad now and then settles late or never).
"""

from __future__ import annotations

import argparse
import math
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from headwatch.app.assemble import ReferenceChoice, alert_settings, posture_judge, still_check_s
from headwatch.app.pipeline import Observer
from headwatch.config.settings import Settings
from headwatch.posture.reference import LearningJudge
from headwatch.timeline.alerts import AlertEngine
from headwatch.types import AlertEvent, EventKind, Frame, Pose, State
from headwatch.vision.camera_motion import CameraTracker
from headwatch.vision.pose import PoseEstimator
from headwatch.vision.sources import VideoFileReader, read_image, sample_video
from headwatch.vision.stillness import still_gate

FPS = 1.0
Image = np.ndarray


@dataclass(frozen=True)
class Camera:
    """How the view is changed: content ``down`` of the height lower, ``zoom`` times larger
    (about the middle), the light times ``light``; ``drift`` (frame heights) sways it up and down."""

    down: float = 0.0
    zoom: float = 1.0
    light: float = 1.0
    drift: float = 0.0

    def apply(self, image: Image, t_s: float) -> Image:
        if self == Camera():
            return image
        height, width = image.shape[:2]
        down = self.down + self.drift * math.sin(2.0 * math.pi * t_s / 20.0)
        matrix = cv2.getRotationMatrix2D((width / 2.0, height / 2.0), 0.0, self.zoom)
        matrix[1, 2] += down * height
        out = cv2.warpAffine(image, matrix, (width, height), borderMode=cv2.BORDER_REPLICATE)
        if self.light != 1.0:
            out = cv2.convertScaleAbs(out, alpha=self.light)
        return np.asarray(out)


@dataclass(frozen=True)
class Part:
    label: str  # upright | slump | away
    frames: Sequence[Image]
    seconds: float
    camera: Camera = field(default_factory=Camera)
    seat: float = 0.0  # the person (landmarks) this much of the frame lower
    change: bool = False  # the set-up changes as this part starts


@dataclass
class Footage:
    person: str
    upright: list[Image]
    slumped: list[Image]


def photos(folder: Path) -> list[Image]:
    paths = sorted((p for p in folder.iterdir() if p.suffix.lower() in (".jpg", ".png")),
                   key=lambda p: (len(p.stem), p.stem))
    return [read_image(p).image for p in paths]


def video_frames(path: Path, start: float, end: float) -> list[Image]:
    with VideoFileReader(path) as reader:
        return [f.image for f in sample_video(reader, FPS * 2) if start <= f.t_s < end]


def footage(root: Path) -> list[Footage]:
    desk = root / "front-webcam-desk"
    return [
        Footage("desk-A", photos(desk / "personA" / "good"), photos(desk / "personA" / "bad")),
        Footage("desk-B", photos(desk / "personB" / "good"), photos(desk / "personB" / "bad")),
        Footage("webcam-man", photos(root / "front-webcam-labeled" / "low-isSlouching__high-notSlouching"
                                     / "notSlouching"),
                photos(root / "front-webcam-labeled" / "low-isSlouching__high-notSlouching" / "isSlouching")),
        Footage("seated-man", video_frames(root / "side-seated-video" / "sample_left.mp4", 16.5, 31.0),
                video_frames(root / "side-seated-video" / "sample_left.mp4", 0.0, 13.5)),
    ]


def scenarios(who: Footage, other: Footage, minutes: float) -> dict[str, list[Part]]:
    up, slump = who.upright, who.slumped
    before = minutes * 60.0

    def changed(camera: Camera = Camera(), seat: float = 0.0) -> list[Part]:
        return [Part("upright", up, before), Part("upright", up, before, camera, seat, change=True),
                Part("slump", slump, 60.0, camera, seat), Part("upright", up, 60.0, camera, seat)]

    return {
        "steady": [Part("upright", up, 2 * before), Part("slump", slump, 60.0), Part("upright", up, 60.0)],
        "camera tilt": changed(Camera(down=0.12, zoom=0.9)),
        "zoom": changed(Camera(zoom=0.85)),
        "lid back": changed(Camera(down=-0.08, zoom=1.05)),
        "light": changed(Camera(light=0.5)),
        "hand-held": changed(Camera(drift=0.03)),
        "seat lowered": changed(seat=0.06),
        "another person": [Part("upright", up, before), Part("away", [], 60.0),
                           Part("upright", other.upright, before, change=True),
                           Part("slump", other.slumped, 60.0), Part("upright", other.upright, 60.0)],
    }


class Seated:
    """The detector, with the person moved ``seat`` of the frame lower (a lowered seat)."""

    def __init__(self, detector: PoseEstimator) -> None:
        self.detector = detector
        self.seat = 0.0

    def detect(self, image_bgr: Image, t_s: float = 0.0) -> Pose | None:
        pose = self.detector.detect(image_bgr, t_s)
        if pose is None or self.seat == 0.0:
            return pose
        moved = pose.image_xy.copy()
        moved[:, 1] += self.seat * pose.height
        return replace(pose, image_xy=moved)


@dataclass
class Outcome:
    upright_s: float = 0.0
    false_alerts: int = 0
    slumps: int = 0
    slumps_alerted: int = 0
    slump_alert_s: list[float] = field(default_factory=list)  # per alerted slump: from its start to the alert
    noticed_s: float | None = None  # after the change: the first setup_changed event
    causes: list[str] = field(default_factory=list)  # of every setup_changed event
    false_reasons: Counter[str] = field(default_factory=Counter)  # of the alerts while upright
    settled_s: float | None = None  # after the change: from here on a minute is under 20 % bad
    relearned_s: float | None = None  # after the change: noticed, and the reference caught up again
    events: list[AlertEvent] = field(default_factory=list)
    looks: int = 0
    model_runs: int = 0  # looks that ran the pose model (the rest held still)


def run(parts: Sequence[Part], model: str, settings: Settings) -> Outcome:
    judge = posture_judge(settings, ReferenceChoice("auto"))
    engine = AlertEngine(alert_settings(settings, 1.0 / FPS))
    outcome = Outcome()
    t = 0.0
    with PoseEstimator(model, mode="video") as estimator:
        detector = Seated(estimator)
        # As the monitor: the model rests while the picture holds still (vision/stillness.py).
        observer = Observer(detector, CameraTracker(), still_gate(still_check_s(settings)))
        looks = model_runs = 0
        change_at: float | None = None
        bad_since_change: list[tuple[float, bool]] = []
        for part in parts:
            start = t
            if part.change:
                change_at = t
            if detector.seat != part.seat:
                observer.forget()  # a real seat change moves the picture; this one moves the landmarks only
            detector.seat = part.seat
            alerted_here = False
            for i in range(round(part.seconds * FPS)):
                if part.label == "away":
                    image = np.full_like(parts[0].frames[0], 90)
                else:
                    image = part.camera.apply(part.frames[i % len(part.frames)], t)
                seen = observer(Frame(t, round(t * FPS), image))
                looks += 1
                model_runs += not seen.skipped
                verdict = judge(t, seen.sample, repeated=seen.skipped)
                events = judge.take_events() + engine.update(t, verdict, seen.position)
                outcome.events += events
                for event in events:
                    if event.kind is EventKind.SETUP_CHANGED:
                        outcome.causes.append(event.cause)
                        if change_at is not None and outcome.noticed_s is None:
                            outcome.noticed_s = t - change_at
                    if event.kind is EventKind.BAD_POSTURE and event.repeat == 0:
                        if part.label == "slump" and not alerted_here:
                            alerted_here = True
                            outcome.slump_alert_s.append(t - start)
                        elif part.label == "upright":
                            outcome.false_alerts += 1
                            outcome.false_reasons.update(r.value for r in event.reasons)
                if (outcome.noticed_s is not None and outcome.relearned_s is None and change_at is not None
                        and isinstance(judge, LearningJudge) and not judge.learner.relearning()):
                    outcome.relearned_s = t - change_at
                if change_at is not None and part.label == "upright" and part.change:
                    bad_since_change.append((t, verdict.state is State.BAD))
                t += 1.0 / FPS
            if part.label == "upright":
                outcome.upright_s += t - start
            if part.label == "slump":
                outcome.slumps += 1
                outcome.slumps_alerted += alerted_here
        if change_at is not None:
            outcome.settled_s = settled(bad_since_change, change_at)
        outcome.looks, outcome.model_runs = looks, model_runs
    return outcome


def settled(judged: Sequence[tuple[float, bool]], since: float, window_s: float = 60.0) -> float | None:
    """How long after ``since`` the verdicts settled: the first time from which every following
    minute (of what was judged) is under 20 % bad. None: never within the part."""
    for i, (at, _) in enumerate(judged):
        later = judged[i:]
        windows = [[bad for t, bad in later if start <= t < start + window_s] for start, _ in later]
        if all(sum(w) < 0.2 * len(w) for w in windows if len(w) >= window_s * FPS * 0.5):
            return at - since
    return None


def fmt_s(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} s"


def main(argv: Sequence[str] | None = None, out: Callable[[str], None] = print) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", type=Path, help="the development data folder (../shared/data)")
    parser.add_argument("--minutes", type=float, default=3.0, help="upright minutes before and after a change")
    parser.add_argument("--only", default="", help="one person")
    parser.add_argument("--model", default="full")
    args = parser.parse_args(argv)
    people = footage(args.data)
    settings = Settings()
    out(f"{'person':11s} {'scenario':15s} {'upright':>8s} {'false alerts':>12s} {'per hour':>8s} "
        f"{'slump alerted':>13s} {'noticed':>8s} {'relearnt':>8s} {'settled':>8s}  set-up changes")
    totals = Outcome()
    for index, who in enumerate(people):
        if args.only and who.person != args.only:
            continue
        other = people[(index + 1) % len(people)]
        for name, parts in scenarios(who, other, args.minutes).items():
            result = run(parts, args.model, settings)
            totals.upright_s += result.upright_s
            totals.false_alerts += result.false_alerts
            totals.slumps += result.slumps
            totals.slumps_alerted += result.slumps_alerted
            totals.looks += result.looks
            totals.model_runs += result.model_runs
            per_hour = result.false_alerts / (result.upright_s / 3600.0)
            out(f"{who.person:11s} {name:15s} {result.upright_s / 60:7.0f}m {result.false_alerts:12d} "
                f"{per_hour:8.1f} {result.slumps_alerted:>6d} of {result.slumps:<4d} {fmt_s(result.noticed_s):>8s} "
                f"{fmt_s(result.relearned_s):>8s} {fmt_s(result.settled_s):>8s}  {','.join(result.causes) or '-'}"
                f"  slump alert after {', '.join(fmt_s(s) for s in result.slump_alert_s) or '-'}"
                f"  model {result.model_runs}/{result.looks}"
                + (f"  (false: {dict(result.false_reasons)})" if result.false_reasons else ""))
    hours = totals.upright_s / 3600.0
    out(f"all: {totals.false_alerts} false alerts in {hours:.1f} h upright ({totals.false_alerts / hours:.1f} "
        f"per hour); {totals.slumps_alerted} of {totals.slumps} slumps alerted; the model ran on "
        f"{totals.model_runs} of {totals.looks} looks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
