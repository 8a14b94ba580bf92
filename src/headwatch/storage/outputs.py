"""Where a command's outputs go, checked before anything is written: no output is ever one of
its inputs, and no two outputs are one file. Pure path logic (the files are only looked up)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from headwatch.errors import HeadwatchError


class OutputClash(HeadwatchError):
    """An output would overwrite an input or another output (a usage error)."""


def same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one file: the same resolved path (links followed), or, where both
    exist, the same inode (hard links, case-insensitive file systems)."""
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return a.resolve() == b.resolve()


def per_item_paths(base: Path, items: Sequence[Path]) -> dict[Path, Path]:
    """One output per item from ``base``: ``base`` itself for a single item, else
    ``BASE-STEM.SUFFIX``, with ``-2``, ``-3`` ... where two items share a stem (a/clip.mp4 and
    b/clip.mp4 must not get one report between them)."""
    if len(items) <= 1:
        return dict.fromkeys(items, base)
    taken: dict[str, int] = {}
    paths: dict[Path, Path] = {}
    for item in items:
        count = taken.get(item.stem.lower(), 0) + 1
        taken[item.stem.lower()] = count
        name = item.stem if count == 1 else f"{item.stem}-{count}"
        paths[item] = base.with_name(f"{base.stem}-{name}{base.suffix}")
    return paths


def check_outputs(inputs: Sequence[Path], outputs: Mapping[str, Sequence[Path]]) -> None:
    """Raise OutputClash when an output (named by its option, e.g. ``--annotate``) is an input or
    is the same file as another output."""
    seen: list[tuple[str, Path]] = []
    for option, paths in outputs.items():
        for path in paths:
            for source in inputs:
                if same_file(path, source):
                    raise OutputClash(f"{option} {path} is also an input: headwatch never writes over its inputs; "
                                      "choose another name")
            for other_option, other in seen:
                if same_file(path, other):
                    raise OutputClash(f"{option} {path} is the same file as {other_option} {other}: each output "
                                      "needs a file of its own; choose another name")
            seen.append((option, path))
