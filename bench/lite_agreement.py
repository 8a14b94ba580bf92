"""How often the lite pose model says what the full one says, per person of the development data.

    python bench/lite_agreement.py ../shared/data

A look that only confirms the picture held still (the still check's look every still_check_s,
the looks that settle after a wake) could run the lite model, if its verdict were the full
model's. Every photo of the development data (photos only: the seated man's video is one
person moving) goes through both models (image mode); printed per person: photos where both
found a person, where they agree on the verdict with the absolute limits, and the median
difference of the front view's key metric (the ear height in face widths) and the profile's
(the slouch angle).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from devdata import PHOTO_SETS
from headwatch.app.assemble import DEFAULT_LIMITS
from headwatch.posture.judge import judge
from headwatch.posture.metrics import measure
from headwatch.types import IMAGE_SUFFIXES, Pose, State
from headwatch.vision.pose import PoseEstimator
from headwatch.vision.sources import read_image


def verdict(pose: Pose | None) -> State:
    return judge(measure(pose) if pose is not None else None, DEFAULT_LIMITS).state


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", type=Path, help="the development data folder (../shared/data)")
    args = parser.parse_args()
    rows: dict[str, list[tuple[Pose | None, Pose | None]]] = {}
    with PoseEstimator("full", mode="image") as full, PoseEstimator("lite", mode="image") as lite:
        for folder, person, _session, _setup in PHOTO_SETS:
            for path in sorted((args.data / folder).rglob("*")):
                if path.suffix.lower() in IMAGE_SUFFIXES:
                    image = read_image(path).image
                    rows.setdefault(person, []).append((full.detect(image), lite.detect(image)))
    total = agreed_all = 0
    for person, pairs in rows.items():
        both = [(f, lt) for f, lt in pairs if f is not None and lt is not None]
        found_by_one = sum((f is None) != (lt is None) for f, lt in pairs)
        agree = sum(verdict(f) == verdict(lt) for f, lt in pairs)
        total, agreed_all = total + len(pairs), agreed_all + agree
        ear = [abs(a - b) for f, lt in both if (a := measure(f).ear_height_face_ratio) is not None
               and (b := measure(lt).ear_height_face_ratio) is not None]
        slouch = [abs(a - b) for f, lt in both if (a := measure(f).slouch_deg) is not None
                  and (b := measure(lt).slouch_deg) is not None]
        print(f"{person:13s} {len(pairs):4d} photos: found by one model only {found_by_one:3d}; same verdict "
              f"{agree / len(pairs):.1%}; median difference: ear height "
              f"{np.median(ear) if ear else float('nan'):.3f} face widths ({len(ear)}), slouch "
              f"{np.median(slouch) if slouch else float('nan'):.1f} deg ({len(slouch)})")
    print(f"all: the same verdict on {agreed_all} of {total} photos ({agreed_all / total:.1%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
