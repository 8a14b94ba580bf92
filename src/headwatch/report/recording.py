"""Per-file summaries of measured records, as a text table or a JSON document. Pure."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from headwatch.errors import printable
from headwatch.timeline.replay import Alert
from headwatch.types import METRIC_NAMES, FrameRecord, State

# What a person reads in the table: the head's angles, the tilts and the lean, and the key metric
# of each view that an alert's why quotes (ear/face facing the camera, slouch in profile). The
# positions in the frame (ear_level, neck_dx ...), the camera's move and the intermediate ratios
# are for programs and for checking the measurement: --json, --out, and the table with -v.
TABLE_METRICS: tuple[str, ...] = ("head_forward_deg", "slouch_deg", "ear_height_face_ratio", "head_pitch_deg",
                                  "shoulder_tilt_deg", "head_roll_deg", "trunk_lean_deg", "reclined_flexion_deg")


def shown_metrics(metrics: dict[str, dict[str, float]], every_metric: bool) -> dict[str, dict[str, float]]:
    """The measured metrics the table shows, in the order it shows them."""
    if every_metric:
        return metrics
    return {name: metrics[name] for name in TABLE_METRICS if name in metrics}


@dataclass(frozen=True, slots=True)
class FileSummary:
    path: str
    kind: str  # "video" | "image"
    duration_s: float
    frames: int
    frames_with_person: int
    view: str | None
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)  # name -> median, p90
    bad_share: float | None = None  # of the judged (ok or bad) frames, the share judged bad
    alerts: list[Alert] = field(default_factory=list)
    reference: str = ""  # what the frames were judged against

    @property
    def person_share(self) -> float:
        return self.frames_with_person / self.frames if self.frames else 0.0

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "kind": self.kind, "duration_s": round(self.duration_s, 3),
                "frames": self.frames, "frames_with_person": self.frames_with_person, "view": self.view,
                "metrics": self.metrics,
                "bad_share": None if self.bad_share is None else round(self.bad_share, 4),
                "alerts": [a.to_json() for a in self.alerts], "reference": self.reference}


def summarize(path: str, kind: str, duration_s: float, records: Sequence[FrameRecord],
              alerts: Sequence[Alert] = (), reference: str = "") -> FileSummary:
    with_person = [r for r in records if r.person]
    judged = [r.verdict.state for r in records if r.verdict.state in (State.OK, State.BAD)]
    views = Counter(r.sample.view.value for r in with_person if r.sample.view is not None)
    metrics: dict[str, dict[str, float]] = {}
    for name in METRIC_NAMES:
        values = [v for r in with_person if (v := getattr(r.sample, name)) is not None]
        if values:
            metrics[name] = {"median": round(float(np.median(values)), 2),
                             "p90": round(float(np.percentile(values, 90)), 2)}
    return FileSummary(path=path, kind=kind, duration_s=duration_s, frames=len(records),
                       frames_with_person=len(with_person),
                       view=views.most_common(1)[0][0] if views else None, metrics=metrics,
                       bad_share=judged.count(State.BAD) / len(judged) if judged else None,
                       alerts=list(alerts), reference=reference)


def format_table(summaries: Sequence[FileSummary], every_metric: bool = False) -> str:
    """Per video: its totals, alerts, then the median and p90 of the metrics a person reads
    (``every_metric``: of every metric it measured). Per photo: one line with its verdict and
    values; consecutive photos form one block, so a folder of photos stays readable."""
    blocks: list[list[str]] = []
    previous_was_photo = False
    for s in summaries:
        if s.kind == "image":
            if previous_was_photo:
                blocks[-1].append(_photo_line(s, every_metric))
            else:
                blocks.append([_photo_line(s, every_metric)])
            previous_was_photo = True
            continue
        previous_was_photo = False
        blocks.append(video_lines(s, every_metric))
    return "\n\n".join("\n".join(lines) for lines in blocks)


def video_lines(s: FileSummary, every_metric: bool = False) -> list[str]:
    head = (f"{printable(s.path)}  ({s.kind}, {s.duration_s:.1f} s, {s.frames} frames analysed, "
            f"person in {s.person_share:.0%}, view {s.view or '-'})")
    if not s.metrics:
        return [head, "  no metrics: nobody was found"]
    lines = [head]
    if s.bad_share is not None:
        lines.append(f"  bad posture in {s.bad_share:.0%} of the judged frames")
    if s.reference:
        lines.append(f"  judged against: {s.reference}")
    lines.append(f"  alerts: {len(s.alerts)}")
    lines += [f"    {a.start_s:7.1f} s - {a.end_s:7.1f} s  {', '.join(a.reasons)}" + (f": {a.why}" if a.why else "")
              for a in s.alerts]
    metrics = shown_metrics(s.metrics, every_metric)
    if metrics:
        width = max(len(name) for name in metrics)
        lines.append(f"  {'metric':<{width}}  {'median':>8}  {'p90':>8}")
        lines += [f"  {name:<{width}}  {m['median']:>8.2f}  {m['p90']:>8.2f}" for name, m in metrics.items()]
    return lines


def _photo_line(s: FileSummary, every_metric: bool = False) -> str:
    if not s.metrics:
        return f"{printable(s.path)}  (image): nobody found"
    verdict = "-" if s.bad_share is None else ("bad" if s.bad_share > 0 else "ok")
    values = ", ".join(f"{name} {m['median']:.2f}" for name, m in shown_metrics(s.metrics, every_metric).items())
    return f"{printable(s.path)}  (image, view {s.view or '-'}): {verdict}; {values}"
