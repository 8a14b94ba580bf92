"""Scores of headwatch's measurements and judgement against labels. Pure: records in, figures out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from headwatch.errors import printable
from headwatch.evaluation.datasets import Span
from headwatch.evaluation.scoring import Confusion, auc
from headwatch.timeline.replay import Alert
from headwatch.types import PostureSample, State

# The head-forward signals scored, and which way is worse: +1 larger is worse, -1 smaller is worse
# (the AUC is of the oriented value, so 1.0 is perfect and 0.5 is chance for every metric).
HEAD_FORWARD_METRICS: Mapping[str, int] = {
    "neck_inclination_deg": 1, "neck_angle_3d_deg": 1, "head_forward_deg": 1, "slouch_deg": 1,
    "ear_height_ratio": -1, "ear_height_face_ratio": -1,
}


@dataclass(frozen=True, slots=True)
class ScoredFrame:
    bad: bool  # the label
    person: bool
    state: State
    sample: PostureSample


@dataclass(frozen=True, slots=True)
class AlertScore:
    bad_spans: int
    detected: int
    onset_delays_s: tuple[float, ...]
    false_alerts: int
    good_hours: float

    @property
    def mean_onset_delay_s(self) -> float | None:
        return sum(self.onset_delays_s) / len(self.onset_delays_s) if self.onset_delays_s else None

    @property
    def false_alerts_per_hour(self) -> float | None:
        return self.false_alerts / self.good_hours if self.good_hours > 0 else None

    def to_json(self) -> dict[str, Any]:
        return {"bad_spans": self.bad_spans, "detected": self.detected,
                "onset_delays_s": [round(d, 2) for d in self.onset_delays_s],
                "mean_onset_delay_s": _round(self.mean_onset_delay_s), "false_alerts": self.false_alerts,
                "good_hours": round(self.good_hours, 4), "false_alerts_per_hour": _round(self.false_alerts_per_hour)}


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def score_alerts(spans: Sequence[Span], alerts: Sequence[Alert]) -> AlertScore:
    """Onset delay of the first alert in (or already on at the start of) each bad span, and the
    alerts that fire inside good spans."""
    delays: list[float] = []
    for span in (s for s in spans if s.bad):
        onsets = [0.0 if a.start_s <= span.start_s < a.end_s else a.start_s - span.start_s for a in alerts
                  if a.start_s <= span.start_s < a.end_s or span.start_s <= a.start_s < span.end_s]
        if onsets:
            delays.append(min(onsets))
    good = [s for s in spans if not s.bad]
    false = sum(1 for a in alerts if any(s.start_s <= a.start_s < s.end_s for s in good))
    return AlertScore(bad_spans=sum(1 for s in spans if s.bad), detected=len(delays), onset_delays_s=tuple(delays),
                      false_alerts=false, good_hours=sum(s.end_s - s.start_s for s in good) / 3600.0)


def merge_alert_scores(scores: Sequence[AlertScore]) -> AlertScore:
    return AlertScore(bad_spans=sum(s.bad_spans for s in scores), detected=sum(s.detected for s in scores),
                      onset_delays_s=tuple(d for s in scores for d in s.onset_delays_s),
                      false_alerts=sum(s.false_alerts for s in scores), good_hours=sum(s.good_hours for s in scores))


@dataclass(frozen=True, slots=True)
class EvalReport:
    frames: int
    detection_rate: float
    judged_share: float
    auc: Mapping[str, float | None]
    confusion: Confusion
    alerts: AlertScore | None = None
    sources: Mapping[str, int] = field(default_factory=dict)  # "images"/"videos" -> count

    def to_json(self) -> dict[str, Any]:
        c = self.confusion
        return {
            "frames": self.frames, "detection_rate": round(self.detection_rate, 4),
            "judged_share": round(self.judged_share, 4),
            "auc": {name: _round(value, 4) for name, value in self.auc.items()},
            "confusion": {"bad_caught": c.true_bad, "bad_missed": c.false_good, "good_flagged": c.false_bad,
                          "good_passed": c.true_good},
            "sensitivity": _round(c.sensitivity, 4), "specificity": _round(c.specificity, 4),
            "balanced_accuracy": _round(c.balanced_accuracy, 4),
            "alerts": self.alerts.to_json() if self.alerts is not None else None,
            "sources": dict(self.sources),
        }


def evaluate(frames: Sequence[ScoredFrame], alert_scores: Sequence[AlertScore] = (),
             sources: Mapping[str, int] | None = None) -> EvalReport:
    """Detection rate, AUC per head-forward metric, and the judgement's confusion counts.

    A frame with nobody found, or not judged (unknown), counts as "not bad": that is what the
    monitor does with it.
    """
    if not frames:
        raise ValueError("no labelled frames to score")
    aucs: dict[str, float | None] = {}
    for name, sign in HEAD_FORWARD_METRICS.items():
        good = [sign * v for f in frames if not f.bad and (v := getattr(f.sample, name)) is not None]
        bad = [sign * v for f in frames if f.bad and (v := getattr(f.sample, name)) is not None]
        aucs[name] = auc(good, bad)
    return EvalReport(
        frames=len(frames),
        detection_rate=sum(f.person for f in frames) / len(frames),
        judged_share=sum(f.state in (State.OK, State.BAD) for f in frames) / len(frames),
        auc=aucs,
        confusion=Confusion.of([(f.bad, f.state is State.BAD) for f in frames]),
        alerts=merge_alert_scores(alert_scores) if alert_scores else None,
        sources=dict(sources or {}),
    )


def format_report(report: EvalReport) -> str:
    c = report.confusion

    def fmt(value: float | None, pattern: str = "{:.3f}") -> str:
        return "-" if value is None else pattern.format(value)

    lines = [
        f"frames scored       {report.frames}  ({', '.join(f'{n} {k}' for k, n in report.sources.items())})",
        f"person found        {report.detection_rate:.1%}  (judged {report.judged_share:.1%})",
        "AUC, bad vs good    " + "  ".join(f"{name} {fmt(value)}" for name, value in report.auc.items()),
        f"confusion           labelled bad: caught {c.true_bad}, missed {c.false_good} | "
        f"labelled good: flagged {c.false_bad}, passed {c.true_good}",
        f"sensitivity         {fmt(c.sensitivity)}",
        f"specificity         {fmt(c.specificity)}",
        f"balanced accuracy   {fmt(c.balanced_accuracy)}",
    ]
    if report.alerts is not None:
        a = report.alerts
        lines += [
            f"alerts              {a.detected} of {a.bad_spans} bad spans alerted, onset delay "
            f"{fmt(a.mean_onset_delay_s, '{:.1f} s')} on average",
            f"false alerts        {a.false_alerts} in {a.good_hours * 60:.1f} min of good spans "
            f"({fmt(a.false_alerts_per_hour, '{:.1f}')} per hour)",
        ]
    return "\n".join(lines)


def spread_of(groups: Mapping[str, EvalReport]) -> dict[str, float | int | None]:
    """How the balanced accuracy varies between groups: what the next person can expect."""
    values = sorted(v for r in groups.values() if (v := r.confusion.balanced_accuracy) is not None)
    if not values:
        return {"groups": len(groups), "min": None, "median": None, "max": None, "sd": None}
    mean = sum(values) / len(values)
    sd = (sum((v - mean) ** 2 for v in values) / len(values)) ** 0.5
    middle = len(values) // 2
    median = values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2.0
    return {"groups": len(groups), "min": round(values[0], 4), "median": round(median, 4),
            "max": round(values[-1], 4), "sd": round(sd, 4)}


def format_groups(groups: Mapping[str, EvalReport]) -> str:
    """One line per group, then the spread of the balanced accuracy."""
    def fmt(value: float | None) -> str:
        return "    -" if value is None else f"{value:.3f}"

    names = {name: printable(name) for name in groups}  # folder names may hold escapes
    width = max([len("group"), *(len(shown) for shown in names.values())])
    lines = [f"{'group':<{width}}  {'frames':>6}  {'found':>6}  {'sens':>5}  {'spec':>5}  {'BA':>5}"]
    for name, r in groups.items():
        c = r.confusion
        lines.append(f"{names[name]:<{width}}  {r.frames:>6}  {r.detection_rate:>6.1%}  {fmt(c.sensitivity):>5}  "
                     f"{fmt(c.specificity):>5}  {fmt(c.balanced_accuracy):>5}")
    spread = spread_of(groups)
    if spread["median"] is not None:
        lines.append(f"balanced accuracy over {spread['groups']} groups: min {spread['min']:.3f}, median "
                     f"{spread['median']:.3f}, max {spread['max']:.3f}, sd {spread['sd']:.3f}")
    return "\n".join(lines)
