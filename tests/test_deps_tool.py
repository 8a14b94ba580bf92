"""tools/deps.py: reading the lock and saying which packages moved (the pure parts; the venv
work needs the package index and is run by hand, see docs/development.md, "The lock")."""

from __future__ import annotations

from pathlib import Path

from conftest import load_tool

ROOT = Path(__file__).resolve().parents[1]
deps = load_tool("deps")


def test_the_lock_is_read_with_normalised_names() -> None:
    text = "# header\n\nMediaPipe==1.2.3\ntyping_extensions==4.16.0  # why\nnot a pin\n"
    assert deps.parse_lock(text) == {"mediapipe": "1.2.3", "typing-extensions": "4.16.0"}


def test_moved_names_every_difference_and_nothing_else() -> None:
    locked = {"mediapipe": "1.2.2", "numpy": "2.4.6", "gone": "1.0"}
    fresh = {"mediapipe": "1.2.3", "numpy": "2.4.6", "new": "0.1"}
    assert deps.moved(locked, fresh) == ["gone: 1.0 -> (gone)", "mediapipe: 1.2.2 -> 1.2.3", "new: (not locked) -> 0.1"]
    assert deps.moved(locked, locked) == []


def test_the_committed_lock_parses_to_every_pinned_line() -> None:
    text = (ROOT / "constraints.txt").read_text(encoding="utf-8")
    pins = deps.parse_lock(text)
    assert len(pins) == sum(1 for line in text.splitlines() if "==" in line and not line.startswith("#"))
    assert pins["mediapipe"] and pins["opencv-contrib-python"]
