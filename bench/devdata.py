"""The development data in ../shared/data as labelled, grouped poses, cached after the first run.

Every photo and every sampled video frame is run once through headwatch's own pose estimator
(the real model); the landmarks are kept in a cache file so that choosing features and limits
by leave-one-person-out does not run MediaPipe again. Nothing from the data enters the repo.

Seven people in four set-ups. The person is what a leave-one-out split leaves out; the session
is a second recording of the same person on another day or with another pose of "upright".
"""

from __future__ import annotations

import argparse
import pickle
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from headwatch.types import IMAGE_SUFFIXES, Pose
from headwatch.vision.pose import PoseEstimator
from headwatch.vision.sources import VideoFileReader, read_image, sample_video


@dataclass(frozen=True, slots=True)
class Item:
    """One labelled frame: who, which set-up, the label as recorded, and the pose (None: nobody)."""

    person: str
    session: str
    setup: str  # front-webcam | side-desk | side-seated | side-standing
    label: str  # as recorded: good, poor, tech_neck, leaning_back, ...
    path: str
    t_s: float
    pose: Pose | None


# folder (relative to the data root) -> person, session, set-up; the label is the image's folder.
PHOTO_SETS: tuple[tuple[str, str, str, str], ...] = (
    ("side-standing-labeled", "standing-man", "s1", "side-standing"),
    ("front-webcam-labeled/low-isSlouching__high-notSlouching", "webcam-man", "high", "front-webcam"),
    ("front-webcam-labeled/low-isSlouching__middle-notSlouching", "webcam-man", "middle", "front-webcam"),
    ("front-webcam-desk/personA", "desk-A", "day1", "front-webcam"),
    ("front-webcam-desk/personA-test", "desk-A", "day2", "front-webcam"),
    ("front-webcam-desk/personB", "desk-B", "day1", "front-webcam"),
    ("side-desk-typing/BAS", "BAS", "s1", "side-desk"),
    ("side-desk-typing/CWK", "CWK", "s1", "side-desk"),
)
VIDEO = "side-seated-video/sample_left.mp4"
# By eye, boundaries +-1.5 s (the data's README): slouched 0-13.5 s, upright 16.5-31 s.
VIDEO_SPANS = ((0.0, 13.5, "slouched"), (16.5, 31.0, "good"))
VIDEO_FPS = 5.0

# Labels that mean "upright, fine"; every other recorded label is some bad posture.
GOOD_LABELS = frozenset({"good", "notSlouching"})


def is_bad(label: str) -> bool:
    return label not in GOOD_LABELS


def _photos(root: Path, estimator: PoseEstimator) -> Iterator[Item]:
    for folder, person, session, setup in PHOTO_SETS:
        for path in sorted((root / folder).rglob("*")):
            if path.suffix.lower() in IMAGE_SUFFIXES:
                pose = estimator.detect(read_image(path).image)
                yield Item(person, session, setup, path.parent.name, str(path.relative_to(root)), 0.0, pose)


def _video(root: Path, model: str) -> Iterator[Item]:
    with VideoFileReader(root / VIDEO) as reader, PoseEstimator(model, mode="video") as estimator:
        for frame in sample_video(reader, VIDEO_FPS):
            label = next((name for lo, hi, name in VIDEO_SPANS if lo <= frame.t_s < hi), None)
            pose = estimator.detect(frame.image, frame.t_s)
            if label is not None:
                yield Item("seated-man", "s1", "side-seated", label, VIDEO, frame.t_s, pose)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The data folder and the landmark cache, as every bench on this data takes them."""
    parser.add_argument("data", type=Path, help="the development data folder (../shared/data)")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/headwatch-devdata.pkl"),
                        help="landmark cache (made on the first run; delete it after changing pose.py)")


def load(root: Path, cache: Path, model: str = "full") -> list[Item]:
    """Every labelled item, from the cache when it is there (delete it after changing pose.py)."""
    if cache.is_file():
        with cache.open("rb") as handle:
            return [_from_plain(row) for row in pickle.load(handle)]
    with PoseEstimator(model, mode="image") as estimator:
        items = list(_photos(root, estimator))
    items += list(_video(root, model))
    cache.parent.mkdir(parents=True, exist_ok=True)
    with cache.open("wb") as handle:
        pickle.dump([_to_plain(item) for item in items], handle)
    return items


_POSE_FIELDS = ("image_xy", "visibility", "world_xyz", "width", "height", "confidence")


def _to_plain(item: Item) -> dict[str, Any]:
    """Built-in types and arrays only, so the cache does not depend on where Item was defined."""
    row = {name: getattr(item, name) for name in ("person", "session", "setup", "label", "path", "t_s")}
    row["pose"] = None if item.pose is None else {name: getattr(item.pose, name) for name in _POSE_FIELDS}
    return row


def _from_plain(row: dict[str, Any]) -> Item:
    pose = None if row["pose"] is None else Pose(**row["pose"])
    return Item(**{**row, "pose": pose})


def people(items: list[Item]) -> list[str]:
    return sorted({i.person for i in items})


def summary(items: list[Item]) -> str:
    lines = []
    for person in people(items):
        mine = [i for i in items if i.person == person]
        found = np.mean([i.pose is not None for i in mine])
        labels = sorted({i.label for i in mine})
        lines.append(f"{person:13s} {mine[0].setup:14s} {len(mine):4d} frames, found {found:.1%}: "
                     + ", ".join(f"{lab} {sum(i.label == lab for i in mine)}" for lab in labels))
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    data = load(Path(sys.argv[1]), Path(sys.argv[2]))
    print(summary(data))
