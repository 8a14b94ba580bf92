"""Rendered people with exactly known angles (tools/synth_render.py): reading the ground truth,
and the error of headwatch's measurements against it, raw and after calibrating on the scene's
neutral render. Pure apart from reading truth.json."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from headwatch.errors import MALFORMED_DATA, HeadwatchError
from headwatch.types import PostureSample

TRUTH_FILE = "truth.json"
# measured metric -> truth key, per camera; the neck is compared with headwatch's primary angle.
COMPARED: Mapping[str, Mapping[str, str]] = {
    "side": {"head_forward_deg": "neck_deg"},
    "front": {"head_forward_deg": "neck_deg", "shoulder_tilt_deg": "shoulder_tilt_deg",
              "head_roll_deg": "head_roll_deg"},
}


@dataclass(frozen=True, slots=True)
class Render:
    file: str
    view: str  # "side" | "front"
    neutral: str  # the same scene's neutral render
    truth: Mapping[str, float]


def read_renders(root: Path) -> list[Render]:
    path = root / TRUTH_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        renders = [Render(r["file"], r["view"], r["neutral"], {k: float(v) for k, v in r["truth"].items()})
                   for r in data["renders"]]
    except (OSError, *MALFORMED_DATA) as exc:
        raise HeadwatchError(f"{path}: cannot read the render ground truth ({exc})") from None
    if not renders:
        raise HeadwatchError(f"{path}: lists no renders")
    return renders


@dataclass(frozen=True, slots=True)
class MetricError:
    metric: str
    view: str
    raw_mae: float | None
    calibrated_mae: float | None  # after subtracting the scene's neutral measurement and truth
    n: int

    def to_json(self) -> dict[str, Any]:
        return {"metric": self.metric, "view": self.view, "n": self.n,
                "raw_mae": None if self.raw_mae is None else round(self.raw_mae, 3),
                "calibrated_mae": None if self.calibrated_mae is None else round(self.calibrated_mae, 3)}


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def render_errors(renders: Sequence[Render], measured: Mapping[str, PostureSample | None]) -> list[MetricError]:
    """Mean absolute error per metric and camera, and per metric over every camera ("all"). The
    calibrated error compares changes from the neutral render (what a calibrated baseline
    judges), over the non-neutral renders."""
    errors = [_error_of(renders, measured, metric, truth_key, (view,))
              for view, pairs in COMPARED.items() for metric, truth_key in pairs.items()]
    errors.append(_error_of(renders, measured, "head_forward_deg", "neck_deg", tuple(COMPARED)))
    return errors


def _error_of(renders: Sequence[Render], measured: Mapping[str, PostureSample | None], metric: str,
              truth_key: str, views: tuple[str, ...]) -> MetricError:
    by_file = {r.file: r for r in renders}
    raw, calibrated = [], []
    for render in (r for r in renders if r.view in views):
        sample = measured.get(render.file)
        value = getattr(sample, metric) if sample is not None else None
        if value is None:
            continue
        raw.append(abs(value - render.truth[truth_key]))
        neutral = by_file.get(render.neutral)
        base = measured.get(render.neutral)
        base_value = getattr(base, metric) if base is not None else None
        if neutral is not None and render.file != render.neutral and base_value is not None:
            change = value - base_value
            true_change = render.truth[truth_key] - neutral.truth[truth_key]
            calibrated.append(abs(change - true_change))
    view = views[0] if len(views) == 1 else "all"
    return MetricError(metric, view, _mean(raw), _mean(calibrated), len(raw))


def format_render_report(found: int, total: int, errors: Sequence[MetricError]) -> str:
    lines = [f"renders             {total}, person found in {found} ({found / total:.1%})",
             f"{'metric':<20}{'view':<7}{'raw MAE':>9}{'calibrated MAE':>16}{'n':>5}"]
    for e in errors:
        raw = "-" if e.raw_mae is None else f"{e.raw_mae:.2f}"
        cal = "-" if e.calibrated_mae is None else f"{e.calibrated_mae:.2f}"
        lines.append(f"{e.metric:<20}{e.view:<7}{raw:>9}{cal:>16}{e.n:>5}")
    return "\n".join(lines)
