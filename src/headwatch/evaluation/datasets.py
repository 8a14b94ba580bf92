"""Labelled datasets for `headwatch eval`: finding the labelled images and videos. No cv2 here.

Two layouts, mixable:
- images in folders named after their label (``good/``, ``poor/``, or any names mapped with
  ``--label NAME=good|bad``), at any depth;
- videos with a CSV of the same name beside them (``clip.mp4`` + ``clip.csv``) whose rows are
  ``start_s,end_s,label``; time outside the spans is not scored.
"""

from __future__ import annotations

import csv
import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from headwatch.errors import HeadwatchError
from headwatch.types import IMAGE_SUFFIXES, VIDEO_SUFFIXES

DEFAULT_LABELS: Mapping[str, bool] = {"good": False, "poor": True, "bad": True}  # name -> is bad


class DatasetError(HeadwatchError):
    """The dataset cannot be scored as it is; the message says why."""


@dataclass(frozen=True, slots=True)
class Span:
    start_s: float
    end_s: float
    bad: bool


@dataclass(frozen=True, slots=True)
class LabelledImage:
    path: Path
    bad: bool


@dataclass(frozen=True, slots=True)
class LabelledVideo:
    path: Path
    spans: tuple[Span, ...]

    def label_at(self, t_s: float) -> bool | None:
        """Bad (True), good (False), or None outside every span."""
        for span in self.spans:
            if span.start_s <= t_s < span.end_s:
                return span.bad
        return None


@dataclass(frozen=True, slots=True)
class Dataset:
    root: Path
    images: tuple[LabelledImage, ...]
    videos: tuple[LabelledVideo, ...]


def parse_label_options(options: list[str]) -> dict[str, bool]:
    """``["isSlouching=bad", "ok=good"]`` on top of the defaults; raises ValueError if malformed."""
    labels = dict(DEFAULT_LABELS)
    for option in options:
        name, sep, meaning = option.partition("=")
        if not sep or not name or meaning.strip().lower() not in ("good", "bad"):
            raise ValueError(f"--label {option!r}: expected NAME=good or NAME=bad")
        labels[name.strip()] = meaning.strip().lower() == "bad"
    return labels


def read_spans(path: Path, labels: Mapping[str, bool]) -> tuple[Span, ...]:
    """The labelled spans of a video's CSV (a header row ``start_s,end_s,label`` is optional)."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:  # -sig: spreadsheets write a BOM
            rows = [row for row in csv.reader(handle) if row and any(cell.strip() for cell in row)]
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path}: cannot read the spans CSV: {exc}") from None
    if rows and [c.strip().lower() for c in rows[0]] == ["start_s", "end_s", "label"]:
        rows = rows[1:]
    spans = []
    for number, row in enumerate(rows, start=1):
        where = f"{path}: row {number}"
        if len(row) != 3:
            raise DatasetError(f"{where}: expected start_s,end_s,label, found {len(row)} fields")
        try:
            start, end = float(row[0]), float(row[1])
        except ValueError:
            raise DatasetError(f"{where}: start_s and end_s must be numbers, found {row[0]!r}, {row[1]!r}") from None
        if not (math.isfinite(start) and math.isfinite(end)) or end <= start or start < 0:
            raise DatasetError(f"{where}: the span must run forward from 0 or later, found {start:g} to {end:g}")
        label = row[2].strip()
        if label not in labels:
            known = ", ".join(sorted(labels))
            raise DatasetError(f"{where}: unknown label {label!r} (known: {known}; map others with --label NAME=bad)")
        spans.append(Span(start, end, labels[label]))
    if not spans:
        raise DatasetError(f"{path}: the spans CSV has no spans")
    ordered = sorted(spans, key=lambda span: span.start_s)
    for before, after in itertools.pairwise(ordered):
        if after.start_s < before.end_s:  # a frame in both would be counted twice, maybe both ways
            raise DatasetError(f"{path}: the spans {before.start_s:g}-{before.end_s:g} s and "
                               f"{after.start_s:g}-{after.end_s:g} s overlap: each moment has one label")
    return tuple(spans)


def find_dataset(root: Path, labels: Mapping[str, bool]) -> Dataset:
    if not root.exists():
        raise DatasetError(f"{root}: no such folder")
    if not root.is_dir():
        raise DatasetError(f"{root}: not a folder (give the folder that holds the labelled images or videos)")
    files = sorted(p for p in root.rglob("*") if p.is_file())
    images = tuple(LabelledImage(p, labels[p.parent.name]) for p in files
                   if p.suffix.lower() in IMAGE_SUFFIXES and p.parent.name in labels)
    videos = tuple(LabelledVideo(p, read_spans(p.with_suffix(".csv"), labels)) for p in files
                   if p.suffix.lower() in VIDEO_SUFFIXES and p.with_suffix(".csv").is_file())
    if not images and not videos:
        names = "/".join(sorted(labels))
        raise DatasetError(f"{root}: no labelled images or videos: expected images in folders named {names} "
                           "(map other names with --label NAME=good|bad), or videos with a start_s,end_s,label "
                           "CSV of the same name beside them")
    return Dataset(root, images, videos)
