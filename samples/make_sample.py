"""Build samples/grace_hopper_sway.mp4: a short clip made from a photo that ships with matplotlib.

    python samples/make_sample.py

The photo is padded, then slowly tilted (up to 8 degrees each way), zoomed and shifted, so the
clip exercises the shoulder-tilt, head-roll and size-dependent metrics. The output is
committed, so the README's quick start works right after install; run this again to rebuild it.
"""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import matplotlib
import numpy as np

FPS = 10
SECONDS = 8
SIZE = (360, 400)  # width, height
OUT = Path(__file__).with_name("grace_hopper_sway.mp4")


def source_photo() -> np.ndarray:
    path = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
    image = cv2.imread(str(path))
    if image is None:
        raise SystemExit(f"cannot read {path}")
    pad = image.shape[0] // 4
    return cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_REPLICATE)


def frame_at(photo: np.ndarray, t_s: float) -> np.ndarray:
    height, width = photo.shape[:2]
    angle = 8.0 * math.sin(2 * math.pi * t_s / SECONDS)  # one slow sway left and right
    scale = 1.0 + 0.15 * math.sin(math.pi * t_s / SECONDS)  # leans in toward the camera, and back
    shift = 20.0 * math.sin(2 * math.pi * t_s / (SECONDS / 2))
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, scale)
    matrix[0, 2] += shift
    moved = cv2.warpAffine(photo, matrix, (width, height), borderMode=cv2.BORDER_REPLICATE)
    return cv2.resize(moved, SIZE, interpolation=cv2.INTER_AREA)


def main() -> None:
    photo = source_photo()
    writer = cv2.VideoWriter(str(OUT), cv2.VideoWriter_fourcc(*"mp4v"), FPS, SIZE)
    if not writer.isOpened():
        raise SystemExit("OpenCV cannot write mp4v video here")
    for index in range(FPS * SECONDS):
        writer.write(frame_at(photo, index / FPS))
    writer.release()
    print(f"wrote {OUT} ({OUT.stat().st_size // 1024} KiB, {FPS * SECONDS} frames)")


if __name__ == "__main__":
    main()
