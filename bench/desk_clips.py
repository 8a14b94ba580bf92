"""Clips of people at work, made from the development footage's photos (../shared/data).

The project has no video of anyone typing, but side-desk-typing holds series of photos of two
people typing, taken from one place: the same head and shoulders, the hands elsewhere on the
keys each time. A typing clip keeps one photo's head and shoulders the whole time and pastes
below them (from the higher elbow down, the forearms and hands, blended over 16 px) the same
rows of another photo of the series, a different one every 0.25 s, as hands move on keys. Over
it all the picture sways SWAY_DEG and carries sensor noise, as the made-up steady clip does: in
the still check's watched band that moves the three typing clips by a median of 0.18, 0.12 and
0.13 thumbnail pixels from one second to the next, about as much as or a little more than the
development data's people sitting still at a webcam (0.08-0.14). The head-moving clip shows the
series' photos whole, each for 2 s: the head, the shoulders and the hands all move. Written to a
temporary folder, never into the repository.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from headwatch.types import IMAGE_SUFFIXES
from headwatch.vision.pose import PoseEstimator
from headwatch.vision.sources import read_image

FPS = 15
HANDS_EVERY_S = 0.25
PHOTO_EVERY_S = 2.0
FEATHER_PX = 16
SWAY_DEG = 0.5  # degrees, as the steady clip
LEFT_ELBOW, RIGHT_ELBOW = 13, 14


@dataclass(frozen=True)
class Series:
    name: str
    folder: str  # below the data root
    first: int  # the photos' numbers, in their names' natural order
    last: int


TYPING = (
    Series("BAS typing, head still", "side-desk-typing/BAS/good", 0, 7),
    Series("CWK typing at a keyboard, head still", "side-desk-typing/CWK/good", 0, 9),
    Series("CWK typing in a sweater, head still", "side-desk-typing/CWK/good", 30, 39),
)
MOVING = Series("BAS typing, head moving", "side-desk-typing/BAS/good", 0, 7)


def series_photos(root: Path, series: Series) -> list[np.ndarray]:
    paths = sorted((p for p in (root / series.folder).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES),
                   key=lambda p: (len(p.stem), p.stem))[series.first:series.last + 1]
    return [read_image(p).image for p in paths]


def hands_from(photo: np.ndarray) -> int:
    """The row from which the forearms and hands are pasted: the higher elbow."""
    with PoseEstimator("full", mode="image") as estimator:
        pose = estimator.detect(photo)
    if pose is None:
        raise SystemExit("desk_clips: nobody found in the series' first photo")
    return int(min(pose.image_xy[LEFT_ELBOW, 1], pose.image_xy[RIGHT_ELBOW, 1]))


def _settle(frame: np.ndarray, i: int, noise: np.random.Generator) -> np.ndarray:
    """Sway SWAY_DEG and sensor noise."""
    height, width = frame.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), SWAY_DEG * math.sin(i / FPS), 1.0)
    frame = cv2.warpAffine(frame, matrix, (width, height), borderMode=cv2.BORDER_REPLICATE)
    return np.clip(frame + noise.normal(0.0, 2.0, frame.shape), 0, 255).astype(np.uint8)


def typing_clip(root: Path, series: Series, folder: Path, seconds: int) -> Path:
    photos = series_photos(root, series)
    head, others = photos[0], photos[1:]
    cut = hands_from(head)
    height, width = head.shape[:2]
    blend = np.clip((np.arange(height, dtype=np.float32) - cut) / FEATHER_PX, 0.0, 1.0)[:, None, None]
    choose, noise = np.random.default_rng(1), np.random.default_rng(0)
    path = folder / (series.name.split(",")[0].replace(" ", "-") + "-typing.mp4")
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (width, height))
    hands = others[0]
    for i in range(seconds * FPS):
        if i % round(HANDS_EVERY_S * FPS) == 0:
            hands = cv2.resize(others[int(choose.integers(len(others)))], (width, height))
        frame = (head * (1.0 - blend) + hands * blend).astype(np.uint8)
        writer.write(_settle(frame, i, noise))
    writer.release()
    return path


def moving_clip(root: Path, series: Series, folder: Path, seconds: int) -> Path:
    photos = series_photos(root, series)
    height, width = photos[0].shape[:2]
    noise = np.random.default_rng(0)
    path = folder / "head-moving.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (width, height))
    for i in range(seconds * FPS):
        photo = cv2.resize(photos[int(i / FPS / PHOTO_EVERY_S) % len(photos)], (width, height))
        writer.write(_settle(photo, i, noise))
    writer.release()
    return path


def desk_clips(root: Path, folder: Path, seconds: int = 60) -> list[tuple[str, Path, bool]]:
    """(name, path, head still) for every clip."""
    clips = [(s.name, typing_clip(root, s, folder, seconds), True) for s in TYPING]
    return [*clips, (MOVING.name, moving_clip(root, MOVING, folder, seconds), False)]
